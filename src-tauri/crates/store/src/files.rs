//! Content-addressed image files and thumbnails under the data dir.
//!
//! `images/ab/cd/<sha256>.<ext>`: written to a temp file in the same directory, fsynced,
//! renamed (and the directory fsynced) before the row that names it commits, so a
//! committed row always has its file. A crash can leave a temp file or a renamed file no
//! row names; the sweep at open removes both. Thumbnails (`thumbs/ab/cd/<sha256>.jpg`) are
//! a cache: renamed atomically but not fsynced, and rebuilt by the sweep when missing.

use std::collections::HashSet;
use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use fast_image_resize::images::Image as FirImage;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{ExtendedColorType, ImageFormat, ImageReader};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Store;
use crate::error::{Result, StoreError};

/// Longest side of a thumbnail, in pixels.
pub const THUMB_MAX_SIDE: u32 = 384;
const TEMP_PREFIX: &str = ".tmp-";

/// A file in the content-addressed store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    pub hash: String,
    /// Relative to the data dir, `/`-separated.
    pub path: String,
    pub mime: vocab::ImageMime,
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    pub thumb_path: Option<String>,
}

/// What the sweep found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepReport {
    pub removed_temp: Vec<PathBuf>,
    pub removed_orphans: Vec<PathBuf>,
    /// Relative paths of image files that rows name but that are gone.
    pub missing_files: Vec<String>,
    pub rebuilt_thumbs: usize,
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn format_of(bytes: &[u8]) -> Result<(ImageFormat, vocab::ImageMime)> {
    use vocab::ImageMime;
    match image::guess_format(bytes) {
        Ok(ImageFormat::Png) => Ok((ImageFormat::Png, ImageMime::Png)),
        Ok(ImageFormat::Jpeg) => Ok((ImageFormat::Jpeg, ImageMime::Jpeg)),
        Ok(ImageFormat::WebP) => Ok((ImageFormat::WebP, ImageMime::WebP)),
        Ok(other) => Err(StoreError::UnsupportedImage(format!(
            "{other:?} images are not stored; expected PNG, JPEG or WebP"
        ))),
        Err(_) => Err(StoreError::UnsupportedImage(
            "the bytes are not a PNG, JPEG or WebP image".into(),
        )),
    }
}

pub(crate) fn shard(dir: &str, hash: &str, ext: &str) -> String {
    format!("{dir}/{}/{}/{hash}.{ext}", &hash[0..2], &hash[2..4])
}

/// Writes `bytes` to `path` atomically: temp file beside it, optional fsync, rename.
pub(crate) fn atomic_write(path: &Path, bytes: &[u8], durable: bool) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| StoreError::InvalidInput(format!("{} has no parent", path.display())))?;
    fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    let tmp = dir.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        drop(f);
        fs::rename(&tmp, path)?;
        if durable {
            // Make the rename itself durable (directory entry).
            #[cfg(unix)]
            fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        StoreError::io(path, e)
    })
}

/// Stores image bytes (once per content) and their thumbnail; returns the file's record.
pub(crate) fn store_bytes(root: &Path, bytes: &[u8]) -> Result<StoredFile> {
    let (format, mime) = format_of(bytes)?;
    let hash = sha256_hex(bytes);
    let rel = shard("images", &hash, mime.extension());
    let thumb_rel = shard("thumbs", &hash, "jpg");
    let abs = root.join(&rel);
    if !abs.exists() {
        atomic_write(&abs, bytes, true)?;
    }
    let thumb_abs = root.join(&thumb_rel);
    let (width, height) = if thumb_abs.exists() {
        ImageReader::with_format(Cursor::new(bytes), format)
            .into_dimensions()
            .map_err(|e| StoreError::UnsupportedImage(e.to_string()))?
    } else {
        let (w, h, jpeg) = thumbnail(bytes, format)?;
        atomic_write(&thumb_abs, &jpeg, false)?;
        (w, h)
    };
    Ok(StoredFile {
        hash,
        path: rel,
        mime,
        bytes: bytes.len() as u64,
        width,
        height,
        thumb_path: Some(thumb_rel),
    })
}

/// Decodes, scales to fit [`THUMB_MAX_SIDE`] and encodes as JPEG. Returns the source size.
pub(crate) fn thumbnail(bytes: &[u8], format: ImageFormat) -> Result<(u32, u32, Vec<u8>)> {
    let img = image::load_from_memory_with_format(bytes, format)
        .map_err(|e| StoreError::UnsupportedImage(e.to_string()))?;
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        return Err(StoreError::UnsupportedImage("image has no pixels".into()));
    }
    let rgb = img.into_rgb8();
    let scale = (THUMB_MAX_SIDE as f64 / w.max(h) as f64).min(1.0);
    let tw = ((w as f64 * scale).round() as u32).max(1);
    let th = ((h as f64 * scale).round() as u32).max(1);
    let pixels = if (tw, th) == (w, h) {
        rgb.into_raw()
    } else {
        let src = FirImage::from_vec_u8(w, h, rgb.into_raw(), PixelType::U8x3)
            .map_err(|e| StoreError::UnsupportedImage(e.to_string()))?;
        let mut dst = FirImage::new(tw, th, PixelType::U8x3);
        Resizer::new()
            .resize(
                &src,
                &mut dst,
                &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)),
            )
            .map_err(|e| StoreError::UnsupportedImage(e.to_string()))?;
        dst.into_vec()
    };
    let mut out = Vec::with_capacity(32 * 1024);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
        .encode(&pixels, tw, th, ExtendedColorType::Rgb8)
        .map_err(|e| StoreError::UnsupportedImage(e.to_string()))?;
    Ok((w, h, out))
}

fn older_than(path: &Path, grace: Duration) -> bool {
    if grace.is_zero() {
        return true;
    }
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .is_some_and(|age| age >= grace)
}

/// Files under `dir`, two shard levels deep.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::io(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io(dir, e))?;
        let ft = entry
            .file_type()
            .map_err(|e| StoreError::io(entry.path(), e))?;
        if ft.is_dir() {
            walk(&entry.path(), out)?;
        } else if ft.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

impl Store {
    /// Removes temp files and files no row references (older than `grace`), reports rows
    /// whose image file is missing, and rebuilds missing thumbnails.
    pub fn sweep(&self, grace: Duration) -> Result<SweepReport> {
        let rows: Vec<(String, String, Option<String>)> = self.read(|c| {
            let mut st = c.prepare("SELECT hash, path, thumb_path FROM files")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        let known: HashSet<&str> = rows.iter().map(|(h, _, _)| h.as_str()).collect();
        let mut report = SweepReport::default();
        for dir in ["images", "thumbs"] {
            let mut found = Vec::new();
            walk(&self.root().join(dir), &mut found)?;
            for path in found {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                let is_temp = name.starts_with(TEMP_PREFIX);
                let stem = name.split('.').next().unwrap_or_default();
                if !is_temp && known.contains(stem) {
                    continue;
                }
                if !older_than(&path, grace) {
                    continue;
                }
                match fs::remove_file(&path) {
                    Ok(()) if is_temp => report.removed_temp.push(path),
                    Ok(()) => report.removed_orphans.push(path),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(StoreError::io(path, e)),
                }
            }
        }
        for (_, rel, thumb) in &rows {
            let abs = self.root().join(rel);
            if !abs.exists() {
                report.missing_files.push(rel.clone());
                continue;
            }
            if let Some(t) = thumb {
                let tabs = self.root().join(t);
                if !tabs.exists() {
                    let bytes = fs::read(&abs).map_err(|e| StoreError::io(&abs, e))?;
                    if let Ok((fmt, _)) = format_of(&bytes)
                        && let Ok((_, _, jpeg)) = thumbnail(&bytes, fmt)
                    {
                        atomic_write(&tabs, &jpeg, false)?;
                        report.rebuilt_thumbs += 1;
                    }
                }
            }
        }
        Ok(report)
    }
}
