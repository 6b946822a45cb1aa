//! Encoding input images and masks for the wire: base64, data URIs, and the
//! "white = edit" masks most providers take instead of OpenAI's transparent ones.

use std::io::Cursor;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::errors::ProviderError;
use crate::types::InputImage;

impl InputImage {
    /// Standard base64 of the bytes (Gemini `inlineData`, BFL, Stability JSON fields).
    pub fn base64(&self) -> String {
        STANDARD.encode(&self.bytes)
    }

    /// `data:<mime>;base64,…` (fal, Replicate and OpenRouter take inputs as URLs).
    pub fn data_uri(&self) -> String {
        format!("data:{};base64,{}", self.mime, self.base64())
    }

    /// A file name with the right extension for multipart uploads.
    pub fn file_name(&self, stem: &str) -> String {
        format!("{stem}.{}", self.mime.extension())
    }
}

/// Turns an OpenAI-style mask (alpha 0 = edit here) into a grayscale PNG where white
/// means edit and black means keep (Stability, BFL Fill, Recraft, AUTOMATIC1111). A
/// mask with no alpha channel is taken as already in that convention and returned as
/// grayscale.
pub fn white_edit_mask(provider: &str, mask: &InputImage) -> Result<Vec<u8>, ProviderError> {
    let img = image::load_from_memory(&mask.bytes).map_err(|e| {
        ProviderError::invalid_request(provider, format!("the mask is not a readable image: {e}"))
    })?;
    let gray = if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        image::GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| {
            image::Luma([if rgba.get_pixel(x, y)[3] == 0 { 255 } else { 0 }])
        })
    } else {
        img.to_luma8()
    };
    let mut out = Cursor::new(Vec::new());
    gray.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| {
            ProviderError::invalid_request(provider, format!("cannot encode the mask: {e}"))
        })?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn png(img: image::DynamicImage) -> InputImage {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("test image");
        InputImage {
            role: vocab::InputRole::Subject,
            sha256: String::new(),
            mime: vocab::ImageMime::Png,
            width: img.width(),
            height: img.height(),
            bytes: Arc::from(out.into_inner()),
        }
    }

    #[test]
    fn transparent_pixels_become_white() {
        let mut m = image::RgbaImage::from_pixel(2, 1, image::Rgba([0, 0, 0, 255]));
        m.put_pixel(1, 0, image::Rgba([0, 0, 0, 0]));
        let out = white_edit_mask("stability", &png(m.into())).expect("test image");
        let g = image::load_from_memory(&out)
            .expect("test image")
            .to_luma8();
        assert_eq!(g.get_pixel(0, 0)[0], 0, "opaque = keep = black");
        assert_eq!(g.get_pixel(1, 0)[0], 255, "transparent = edit = white");
    }

    #[test]
    fn a_grayscale_mask_is_kept() {
        let m = image::GrayImage::from_fn(2, 1, |x, _| image::Luma([if x == 0 { 0 } else { 255 }]));
        let out = white_edit_mask("bfl", &png(m.into())).expect("test image");
        let g = image::load_from_memory(&out)
            .expect("test image")
            .to_luma8();
        assert_eq!((g.get_pixel(0, 0)[0], g.get_pixel(1, 0)[0]), (0, 255));
    }

    #[test]
    fn garbage_is_an_invalid_request_not_a_panic() {
        let mut bad = png(image::GrayImage::new(1, 1).into());
        bad.bytes = Arc::from(&b"not a png"[..]);
        let e = white_edit_mask("bfl", &bad).expect_err("garbage must fail");
        assert!(matches!(e.class, crate::ErrorClass::InvalidRequest { .. }));
    }
}
