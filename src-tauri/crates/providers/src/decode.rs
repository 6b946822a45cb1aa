//! Image bytes from untrusted sources: base64, data URLs, and decoding with limits so a
//! truncated file or a decompression bomb is refused instead of crashing the app.

use std::io::Cursor;

use base64::Engine;
use image::{ImageFormat, ImageReader, Limits};

use crate::errors::ProviderError;
use crate::types::GeneratedImage;

pub const MAX_DIMENSION: u32 = 8192;
pub const MAX_ALLOC_BYTES: u64 = 512 * 1024 * 1024;

/// Decode standard or URL-safe base64, with or without padding and whitespace.
pub fn b64(provider: &str, text: &str) -> Result<Vec<u8>, ProviderError> {
    let cleaned: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let cfg = base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent);
    let std = base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, cfg);
    let url = base64::engine::GeneralPurpose::new(&base64::alphabet::URL_SAFE, cfg);
    std.decode(&cleaned)
        .or_else(|_| url.decode(&cleaned))
        .map_err(|_| {
            ProviderError::malformed(
                provider,
                format!(
                    "the image data is not valid base64 ({} characters, probably truncated)",
                    cleaned.len()
                ),
            )
        })
}

/// `data:image/png;base64,....` → (mime, bytes).
pub fn data_url(provider: &str, url: &str) -> Result<(Option<String>, Vec<u8>), ProviderError> {
    let rest = url
        .strip_prefix("data:")
        .ok_or_else(|| ProviderError::malformed(provider, "expected a data: URL"))?;
    let (meta, payload) = rest
        .split_once(',')
        .ok_or_else(|| ProviderError::malformed(provider, "the data URL has no payload"))?;
    if !meta.ends_with(";base64") {
        return Err(ProviderError::malformed(
            provider,
            "the data URL is not base64-encoded",
        ));
    }
    let mime = meta.trim_end_matches(";base64");
    let mime = (!mime.is_empty()).then(|| mime.to_string());
    Ok((mime, b64(provider, payload)?))
}

/// What the bytes really are, read from the bytes themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub mime: vocab::ImageMime,
    pub width: u32,
    pub height: u32,
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_DIMENSION);
    l.max_image_height = Some(MAX_DIMENSION);
    l.max_alloc = Some(MAX_ALLOC_BYTES);
    l
}

/// Sniff the format, check the header dimensions, then fully decode under limits (this
/// catches truncated files). CPU-bound: call through [`inspect_blocking`] from async code.
pub fn inspect(provider: &str, bytes: &[u8]) -> Result<ImageInfo, ProviderError> {
    inspect_bounded(provider, bytes, None)
}

/// [`inspect`], also refusing (from the header, before decoding) an image with more than
/// `max_pixels` pixels: a decompression bomb sized to the allocation limit (F20).
pub fn inspect_bounded(
    provider: &str,
    bytes: &[u8],
    max_pixels: Option<u64>,
) -> Result<ImageInfo, ProviderError> {
    let bad = |why: String| ProviderError::malformed(provider, why);
    let format = image::guess_format(bytes).map_err(|_| {
        bad(format!(
            "the provider returned {} instead of an image",
            crate::errors::describe_body(bytes)
        ))
    })?;
    let mime = match format {
        ImageFormat::Png => vocab::ImageMime::Png,
        ImageFormat::Jpeg => vocab::ImageMime::Jpeg,
        ImageFormat::WebP => vocab::ImageMime::WebP,
        other => return Err(bad(format!("unsupported image format {other:?}"))),
    };
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| bad(format!("the image header is unreadable: {e}")))?;
    if w == 0 || h == 0 || w > MAX_DIMENSION || h > MAX_DIMENSION {
        return Err(bad(format!(
            "the image claims to be {w}x{h}, beyond the {MAX_DIMENSION}x{MAX_DIMENSION} limit; refused"
        )));
    }
    if let Some(max) = max_pixels.filter(|max| u64::from(w) * u64::from(h) > *max) {
        return Err(bad(format!(
            "the image is {w}x{h}, more than 4x the pixels requested (limit {max}); refused"
        )));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    reader
        .decode()
        .map_err(|e| bad(format!("the image is corrupt or truncated: {e}")))?;
    Ok(ImageInfo {
        mime,
        width: w,
        height: h,
    })
}

/// [`inspect_bounded`] on the blocking pool, producing the final image.
pub async fn inspect_blocking(
    provider: &'static str,
    bytes: Vec<u8>,
    seed: Option<u64>,
    max_pixels: Option<u64>,
) -> Result<GeneratedImage, ProviderError> {
    tokio::task::spawn_blocking(move || {
        let info = inspect_bounded(provider, &bytes, max_pixels)?;
        Ok(GeneratedImage {
            bytes,
            mime: info.mime,
            width: info.width,
            height: info.height,
            seed,
        })
    })
    .await
    .map_err(|_| ProviderError::malformed(provider, "image decoding was aborted"))?
}
