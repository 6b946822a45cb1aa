//! The PNG persist path (what most providers return). The thumbnail is rendered on a
//! second thread while the bytes are hashed and made durable, so a persist costs
//! max(render, hash + write + fsync) instead of their sum. The durability order is
//! unchanged: the image file is fsynced and renamed (and its directory fsynced) before
//! the caller commits the row; the thumbnail stays a cache (`files.rs`).

use std::fs;
use std::io::{Cursor, Write};
use std::path::Path;

use fast_image_resize::images::Image as FirImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::ExtendedColorType;

use crate::error::{Result, StoreError};
use crate::files::{StoredFile, THUMB_MAX_SIDE, atomic_write, sha256_hex};

/// Same prefix as `files.rs`, so the sweep removes what a crash leaves behind.
const TEMP_PREFIX: &str = ".tmp-";
/// Decoder allocation cap (the `png` default, 64 MiB, refuses 4K RGBA 16-bit outputs).
const DECODE_LIMIT: usize = 1 << 30;
const JPEG_QUALITY: u8 = 82;

fn unsupported(e: impl std::fmt::Display) -> StoreError {
    StoreError::UnsupportedImage(e.to_string())
}

fn shard(dir: &str, hash: &str, ext: &str) -> String {
    format!("{dir}/{}/{}/{hash}.{ext}", &hash[0..2], &hash[2..4])
}

/// Stores PNG bytes (once per content) and their thumbnail; returns the file's record.
/// Everything is on disk when it returns; the caller then commits the row.
pub(crate) fn store_png(root: &Path, bytes: &[u8]) -> Result<StoredFile> {
    // Header only (IHDR): refuses non-PNG bytes before anything is written.
    let (width, height) = png_dimensions(bytes)?;
    let hash = sha256_hex(bytes);
    let thumb_rel = shard("thumbs", &hash, "jpg");
    let thumb_abs = root.join(&thumb_rel);
    // A thumbnail already there (the same content, or one received from the team's
    // bucket) is not rendered again.
    let have_thumb = thumb_abs.exists();
    std::thread::scope(|s| {
        let render = (!have_thumb).then(|| s.spawn(|| render_png(bytes)));
        let rel = shard("images", &hash, "png");
        let abs = root.join(&rel);
        let written = if abs.exists() {
            Ok(())
        } else {
            write_durable(&abs, bytes)
        };
        if let Some(render) = render {
            let jpeg = render
                .join()
                .map_err(|_| unsupported("thumbnail renderer panicked"))?;
            written?;
            let jpeg = jpeg?;
            if !thumb_abs.exists() {
                atomic_write(&thumb_abs, &jpeg, false)?;
            }
        } else {
            written?;
        }
        Ok(StoredFile {
            hash,
            path: rel,
            mime: vocab::ImageMime::Png,
            bytes: bytes.len() as u64,
            width,
            height,
            thumb_path: Some(thumb_rel),
        })
    })
}

fn png_dimensions(bytes: &[u8]) -> Result<(u32, u32)> {
    let reader = png::Decoder::new(Cursor::new(bytes))
        .read_info()
        .map_err(unsupported)?;
    let info = reader.info();
    if info.width == 0 || info.height == 0 {
        return Err(unsupported("image has no pixels"));
    }
    Ok((info.width, info.height))
}

/// temp file → write → fdatasync → rename → fsync of the directory. Directories created
/// on the way are made durable too, or a power cut could lose the whole new shard.
fn write_durable(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| StoreError::InvalidInput(format!("{} has no parent", path.display())))?;
    let created = create_dirs(dir)?;
    let tmp = dir.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut f = fs::File::create_new(&tmp)?;
        f.write_all(bytes)?;
        // Data plus the size; other inode metadata (times) need not be durable.
        f.sync_data()?;
        drop(f);
        fs::rename(&tmp, path)?;
        #[cfg(unix)]
        {
            fs::File::open(dir)?.sync_all()?;
            for d in &created {
                if let Some(parent) = d.parent() {
                    fs::File::open(parent)?.sync_all()?;
                }
            }
        }
        Ok(())
    })();
    result.map_err(|e: std::io::Error| {
        let _ = fs::remove_file(&tmp);
        StoreError::io(path, e)
    })
}

/// `create_dir_all`, returning the directories it created (deepest first).
fn create_dirs(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut missing = Vec::new();
    let mut d = Some(dir);
    while let Some(p) = d.filter(|p| !p.exists()) {
        missing.push(p.to_path_buf());
        d = p.parent();
    }
    if !missing.is_empty() {
        fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    }
    Ok(missing)
}

/// Thumbnail size for a `w × h` source: longest side [`THUMB_MAX_SIDE`], never upscaled.
fn thumb_size(w: u32, h: u32) -> (u32, u32) {
    let scale = (f64::from(THUMB_MAX_SIDE) / f64::from(w.max(h))).min(1.0);
    let tw = ((f64::from(w) * scale).round() as u32).max(1);
    let th = ((f64::from(h) * scale).round() as u32).max(1);
    (tw, th)
}

/// Decodes with the `png` crate into the file's own layout (no RGB conversion of the
/// full-size image), scales in that layout, drops alpha on the small image and encodes
/// JPEG. Box (area-average) scaling: for downscaling it is alias-free and ~3× cheaper
/// than the bilinear convolution.
pub(crate) fn render_png(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            bytes: DECODE_LIMIT,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(unsupported)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| unsupported("image is too large to decode"))?;
    let mut buf = vec![0u8; size];
    let info = reader.next_frame(&mut buf).map_err(unsupported)?;
    buf.truncate(info.buffer_size());
    let (w, h) = (info.width, info.height);
    let pixel = match info.color_type {
        png::ColorType::Grayscale => PixelType::U8,
        png::ColorType::GrayscaleAlpha => PixelType::U8x2,
        png::ColorType::Rgb => PixelType::U8x3,
        png::ColorType::Rgba => PixelType::U8x4,
        png::ColorType::Indexed => return Err(unsupported("palette was not expanded")),
    };
    let (tw, th) = thumb_size(w, h);
    let pixels = if (tw, th) == (w, h) {
        buf
    } else {
        let src = FirImage::from_vec_u8(w, h, buf, pixel).map_err(unsupported)?;
        let mut dst = FirImage::new(tw, th, pixel);
        Resizer::new()
            .resize(
                &src,
                &mut dst,
                // Alpha is dropped below, as the full-size path does (no premultiply).
                &ResizeOptions::new()
                    .resize_alg(ResizeAlg::Convolution(FilterType::Box))
                    .use_alpha(false),
            )
            .map_err(unsupported)?;
        dst.into_vec()
    };
    let (pixels, color) = match pixel {
        PixelType::U8x2 => (drop_alpha(&pixels, 2), ExtendedColorType::L8),
        PixelType::U8x4 => (drop_alpha(&pixels, 4), ExtendedColorType::Rgb8),
        PixelType::U8 => (pixels, ExtendedColorType::L8),
        _ => (pixels, ExtendedColorType::Rgb8),
    };
    let mut out = Vec::with_capacity(32 * 1024);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode(&pixels, tw, th, color)
        .map_err(unsupported)?;
    Ok(out)
}

/// Keeps the colour channels of `channels`-wide pixels whose last channel is alpha.
fn drop_alpha(pixels: &[u8], channels: usize) -> Vec<u8> {
    pixels
        .chunks_exact(channels)
        .flat_map(|p| &p[..channels - 1])
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(color: png::ColorType, depth: png::BitDepth, w: u32, h: u32) -> Vec<u8> {
        let channels = match color {
            png::ColorType::Grayscale | png::ColorType::Indexed => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
        };
        let bytes_per = if depth == png::BitDepth::Sixteen {
            2
        } else {
            1
        };
        let data: Vec<u8> = (0..(w * h) as usize * channels * bytes_per)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(color);
        enc.set_depth(depth);
        if color == png::ColorType::Indexed {
            enc.set_palette(
                (0..=255u8)
                    .flat_map(|v| [v, 255 - v, v / 2])
                    .collect::<Vec<_>>(),
            );
        }
        let mut writer = enc.write_header().expect("header");
        writer.write_image_data(&data).expect("data");
        writer.finish().expect("finish");
        out
    }

    #[test]
    fn every_png_layout_renders_a_thumbnail_of_the_right_size() {
        use png::{BitDepth as D, ColorType as C};
        for (color, depth) in [
            (C::Grayscale, D::Eight),
            (C::GrayscaleAlpha, D::Eight),
            (C::Rgb, D::Eight),
            (C::Rgb, D::Sixteen),
            (C::Rgba, D::Eight),
            (C::Indexed, D::Eight),
        ] {
            let jpeg = render_png(&png_of(color, depth, 800, 400)).expect("render");
            let thumb = image::load_from_memory(&jpeg).expect("a JPEG");
            assert_eq!(
                (thumb.width(), thumb.height()),
                (384, 192),
                "{color:?} {depth:?}"
            );
        }
        let small = render_png(&png_of(C::Rgb, D::Eight, 40, 30)).expect("render");
        let thumb = image::load_from_memory(&small).expect("a JPEG");
        assert_eq!((thumb.width(), thumb.height()), (40, 30), "never upscaled");
    }

    #[test]
    fn truncated_png_is_refused() {
        let bytes = png_of(png::ColorType::Rgb, png::BitDepth::Eight, 64, 64);
        assert!(matches!(
            render_png(&bytes[..bytes.len() / 2]),
            Err(StoreError::UnsupportedImage(_))
        ));
        assert!(matches!(
            png_dimensions(b"\x89PNG\r\n\x1a\n"),
            Err(StoreError::UnsupportedImage(_))
        ));
    }
}
