//! What the edit and upscale clients (BFL, Stability, fal, Recraft) share: the subject
//! image or a clear refusal, multipart parts for inputs and masks, and how large an
//! answer may be when the output is sized by the input (expand, upscale).

use reqwest::multipart::Part;
use vocab::Operation;

use crate::errors::ProviderError;
use crate::images::Expect;
use crate::inputs::white_edit_mask;
use crate::types::{GenerateRequest, InputImage};

/// The image being edited, expanded or upscaled, or an invalid_request naming the model.
pub fn subject<'a>(
    provider: &str,
    req: &'a GenerateRequest,
) -> Result<&'a InputImage, ProviderError> {
    req.inputs.subject().ok_or_else(|| {
        ProviderError::invalid_request(
            provider,
            format!(
                "{} needs an input image for '{}'; add the image to {}",
                req.model,
                req.inputs.operation,
                verb(req.inputs.operation)
            ),
        )
    })
}

fn verb(op: Operation) -> &'static str {
    match op {
        Operation::Upscale => "upscale",
        Operation::Expand => "expand",
        _ => "edit",
    }
}

/// Refuses an operation the model cannot do, saying which ones it can.
pub fn require_op(
    provider: &str,
    req: &GenerateRequest,
    allowed: &[Operation],
) -> Result<(), ProviderError> {
    let op = req.inputs.operation;
    if allowed.contains(&op) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(|o| o.as_str()).collect();
    Err(ProviderError::invalid_request(
        provider,
        format!(
            "{provider} {} cannot do '{op}' (it does: {}); pick another offer",
            req.model,
            names.join(", ")
        ),
    ))
}

/// At most `max` input images, or an invalid_request before anything is sent.
pub fn max_inputs(provider: &str, req: &GenerateRequest, max: usize) -> Result<(), ProviderError> {
    let n = req.inputs.images.len();
    if n <= max {
        return Ok(());
    }
    Err(ProviderError::invalid_request(
        provider,
        format!(
            "{provider} {} takes at most {max} input images, not {n}; remove {}",
            req.model,
            n - max
        ),
    ))
}

/// The mask converted to white = edit (PNG), or an invalid_request if it is required.
pub fn white_mask(provider: &str, req: &GenerateRequest) -> Result<Vec<u8>, ProviderError> {
    let mask = req.inputs.mask.as_ref().ok_or_else(|| {
        ProviderError::invalid_request(
            provider,
            format!(
                "{} repaints a masked region: paint the region to change (the mask) first",
                req.model
            ),
        )
    })?;
    white_edit_mask(provider, mask)
}

/// The mask as a grayscale PNG where black = edit and white = keep (Ideogram's inpaint).
pub fn black_mask(provider: &str, req: &GenerateRequest) -> Result<Vec<u8>, ProviderError> {
    let white = white_mask(provider, req)?;
    let bad = |e: image::ImageError| {
        ProviderError::invalid_request(provider, format!("cannot convert the mask: {e}"))
    };
    let mut gray = image::load_from_memory(&white).map_err(bad)?.to_luma8();
    image::imageops::invert(&mut gray);
    let mut out = std::io::Cursor::new(Vec::new());
    gray.write_to(&mut out, image::ImageFormat::Png)
        .map_err(bad)?;
    Ok(out.into_inner())
}

/// A multipart file part carrying an input image with its own type and a file name.
pub fn image_part(provider: &str, img: &InputImage, stem: &str) -> Result<Part, ProviderError> {
    Part::bytes(img.bytes.to_vec())
        .file_name(img.file_name(stem))
        .mime_str(img.mime.as_str())
        .map_err(|_| {
            ProviderError::invalid_request(
                provider,
                format!(
                    "the input image type '{}' is not a valid MIME type",
                    img.mime
                ),
            )
        })
}

/// A multipart part carrying PNG bytes (a converted mask).
pub fn png_part(bytes: Vec<u8>, stem: &str) -> Part {
    let part = Part::bytes(bytes).file_name(format!("{stem}.png"));
    // "image/png" always parses; keep the part untyped rather than panic if it did not.
    match part.mime_str("image/png") {
        Ok(p) => p,
        Err(_) => Part::bytes(Vec::new()),
    }
}

/// The upscale factor asked for, or `default`.
pub fn scale_or(req: &GenerateRequest, default: u32) -> u32 {
    req.inputs.scale.filter(|s| *s > 0).unwrap_or(default)
}

/// The size the answer should have: the subject grown by the margins (expand) or the
/// factor (upscale, `default_scale` if none was asked), else the requested size.
pub fn output_size(req: &GenerateRequest, default_scale: u32) -> (u32, u32) {
    let Some(s) = req.inputs.subject() else {
        return (req.width, req.height);
    };
    match req.inputs.operation {
        Operation::Expand => {
            let m = req.inputs.expand.unwrap_or_default();
            (
                s.width.saturating_add(m.left).saturating_add(m.right),
                s.height.saturating_add(m.top).saturating_add(m.bottom),
            )
        }
        Operation::Upscale => {
            let k = scale_or(req, default_scale);
            (s.width.saturating_mul(k), s.height.saturating_mul(k))
        }
        _ => (req.width.max(s.width), req.height.max(s.height)),
    }
}

/// [`Expect`] for an answer sized by its input (see [`output_size`]).
pub fn expect(req: &GenerateRequest, default_scale: u32) -> Expect {
    let (w, h) = output_size(req, default_scale);
    let mut r = GenerateRequest::new(req.model.clone(), "");
    r.width = w.max(req.width);
    r.height = h.max(req.height);
    r.n = req.n;
    r.quality = req.quality.clone();
    Expect::of(&r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Margins;
    use std::sync::Arc;

    fn with_subject(op: Operation, w: u32, h: u32) -> GenerateRequest {
        let mut r = GenerateRequest::new("m", "p");
        r.inputs.operation = op;
        r.inputs.images.push(InputImage {
            role: vocab::InputRole::Subject,
            sha256: String::new(),
            mime: vocab::ImageMime::Png,
            width: w,
            height: h,
            bytes: Arc::from(&b"x"[..]),
        });
        r
    }

    #[test]
    fn output_size_follows_the_operation() {
        let mut r = with_subject(Operation::Upscale, 500, 400);
        assert_eq!(output_size(&r, 4), (2000, 1600));
        r.inputs.scale = Some(2);
        assert_eq!(output_size(&r, 4), (1000, 800));
        let mut r = with_subject(Operation::Expand, 500, 400);
        r.inputs.expand = Some(Margins {
            left: 10,
            top: 20,
            right: 30,
            bottom: 40,
        });
        assert_eq!(output_size(&r, 4), (540, 460));
        assert!(expect(&r, 4).max_pixels >= 540 * 460);
    }

    #[test]
    fn missing_subject_and_wrong_op_are_invalid_requests() {
        let mut r = GenerateRequest::new("upscale-fast", "p");
        r.inputs.operation = Operation::Upscale;
        let e = subject("stability", &r).expect_err("no image");
        assert!(e.message.contains("upscale"), "{}", e.message);
        let e = require_op("stability", &r, &[Operation::Edit]).expect_err("wrong op");
        assert!(e.message.contains("cannot do 'upscale'"), "{}", e.message);
        let r = with_subject(Operation::Edit, 1, 1);
        assert!(max_inputs("bfl", &r, 1).is_ok());
        assert!(max_inputs("bfl", &r, 0).is_err());
    }
}
