//! Ideogram 3.0 with an input image (issue 15; image-inputs.md §1.1, §1.7): an edit by
//! instruction is a Remix (`/v1/ideogram-v3/remix`: `image`, `prompt`, `image_weight`),
//! a masked edit is an Inpaint (`/v1/ideogram-v3/inpaint`: `image`, `mask` where
//! **black = repaint**, white = keep, `prompt`). Both answer like generate and are
//! billed flat per output image at the rendering speed's rate. Sources: Ideogram API
//! reference (Inpaint with Ideogram 3.0, Remix with Ideogram 3.0, "Edit one region").

use reqwest::multipart::Form;
use serde_json::Value;
use vocab::Operation;

use crate::errors::ProviderError;
use crate::ideogram::{MAX_IMAGES, rendering_speed};
use crate::input_ops::{self, image_part, png_part};
use crate::types::GenerateRequest;

const ID: &str = vocab::ProviderId::Ideogram.as_str();
/// Remix's `image_weight` (1–100) when `extra` names none: Ideogram's default.
pub const DEFAULT_IMAGE_WEIGHT: u64 = 50;

/// The endpoint and form for a request with an input image; `None` for text to image.
pub fn build(req: &GenerateRequest) -> Result<Option<(&'static str, Form)>, ProviderError> {
    if req.inputs.is_empty() {
        return Ok(None);
    }
    input_ops::require_op(ID, req, &[Operation::Edit, Operation::Inpaint])?;
    input_ops::max_inputs(ID, req, 1)?;
    let subject = input_ops::subject(ID, req)?;
    if req.prompt.trim().is_empty() {
        return Err(ProviderError::invalid_request(
            ID,
            "Ideogram needs a prompt describing the edited image",
        ));
    }
    let inpaint = req.inputs.operation == Operation::Inpaint;
    let mut form = Form::new()
        .part("image", image_part(ID, subject, "image")?)
        .text("prompt", req.prompt.clone())
        .text("rendering_speed", rendering_speed(req.quality.as_deref()))
        .text("num_images", req.n.clamp(1, MAX_IMAGES).to_string());
    if let Some(s) = req.seed {
        form = form.text("seed", s.min(2_147_483_647).to_string());
    }
    let path = if inpaint {
        form = form.part("mask", png_part(input_ops::black_mask(ID, req)?, "mask"));
        "v1/ideogram-v3/inpaint"
    } else {
        let weight = match req.extra_field("image_weight") {
            None => DEFAULT_IMAGE_WEIGHT,
            Some(v) => v
                .as_u64()
                .filter(|w| (1..=100).contains(w))
                .ok_or_else(|| {
                    ProviderError::invalid_request(
                        ID,
                        "Ideogram's image_weight is a whole number from 1 to 100",
                    )
                })?,
        };
        form = form.text("image_weight", weight.to_string());
        if let Some(n) = req
            .negative_prompt
            .as_ref()
            .filter(|n| !n.trim().is_empty())
        {
            form = form.text("negative_prompt", n.clone());
        }
        "v1/ideogram-v3/remix"
    };
    if let Some(extra) = req.extra.as_object() {
        for (k, v) in extra.iter().filter(|(k, _)| k.as_str() != "image_weight") {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| Value::to_string(v));
            form = form.text(k.clone(), text);
        }
    }
    Ok(Some((path, form)))
}
