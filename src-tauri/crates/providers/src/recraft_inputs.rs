//! Recraft with input images (issue 15; image-inputs.md §1.1, §1.7): multipart
//! `/images/imageToImage` (`image`, `prompt`, `strength`), `/images/inpaint` (`image`,
//! `mask` white = regenerate, `prompt`), and the `crisp-upscale` / `creative-upscale`
//! models on `/images/crispUpscale` / `/images/creativeUpscale` (`image`), which answer
//! one `image` instead of a `data` list. Every answer reports its `credits` (API units).

use reqwest::header::HeaderMap;
use reqwest::multipart::Form;
use serde_json::{Value, json};
use vocab::Operation;

use crate::errors::ProviderError;
use crate::images::Expect;
use crate::input_ops::{self, image_part, png_part};
use crate::openai::ParsedImages;
use crate::recraft::{MAX_IMAGES, parse_response};
use crate::types::GenerateRequest;

const ID: &str = vocab::ProviderId::Recraft.as_str();
/// `strength` when `extra` names none: halfway between the input and a new image.
pub const DEFAULT_STRENGTH: f64 = 0.5;
/// Recraft picks the upscaled size; bound it by what decoding allows.
const UPSCALE_MAX_PIXELS: u64 = 8192 * 8192;

/// What a multipart request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    ImageToImage,
    Inpaint,
    /// One image back (`crispUpscale`, `creativeUpscale`).
    Upscale(&'static str),
}

impl Call {
    pub fn path(self) -> &'static str {
        match self {
            Self::ImageToImage => "images/imageToImage",
            Self::Inpaint => "images/inpaint",
            Self::Upscale(p) => p,
        }
    }
}

/// The upscale endpoint a model id names, if it is one.
pub fn upscaler(model: &str) -> Option<&'static str> {
    match model {
        "crisp-upscale" => Some("images/crispUpscale"),
        "creative-upscale" => Some("images/creativeUpscale"),
        _ => None,
    }
}

/// Whether `req` goes to a multipart endpoint rather than `/images/generations`.
pub fn is_multipart(req: &GenerateRequest) -> bool {
    upscaler(&req.model).is_some() || !req.inputs.is_empty()
}

/// The call, its form and how large the answer may be; invalid_request before sending.
pub fn build(req: &GenerateRequest) -> Result<(Call, Form, Expect), ProviderError> {
    let call = match upscaler(&req.model) {
        Some(path) => {
            input_ops::require_op(ID, req, &[Operation::Upscale])?;
            Call::Upscale(path)
        }
        None => {
            input_ops::require_op(ID, req, &[Operation::Edit, Operation::Inpaint])?;
            if req.inputs.operation == Operation::Inpaint {
                Call::Inpaint
            } else {
                Call::ImageToImage
            }
        }
    };
    input_ops::max_inputs(ID, req, 1)?;
    let subject = input_ops::subject(ID, req)?;
    let mut form = Form::new()
        .part("image", image_part(ID, subject, "image")?)
        .text("response_format", "b64_json");
    let mut expect = input_ops::expect(req, 4);
    if let Call::Upscale(_) = call {
        expect.n = 1;
        expect.max_pixels = expect.max_pixels.max(UPSCALE_MAX_PIXELS);
        return Ok((call, form, expect));
    }
    if req.prompt.trim().is_empty() {
        return Err(ProviderError::invalid_request(
            ID,
            "Recraft needs a prompt describing the edited image",
        ));
    }
    let n = req.n.clamp(1, MAX_IMAGES);
    expect.n = n;
    form = form
        .text("prompt", req.prompt.clone())
        .text("model", req.model.clone())
        .text("n", n.to_string());
    if let Some(neg) = req
        .negative_prompt
        .as_ref()
        .filter(|s| !s.trim().is_empty())
    {
        form = form.text("negative_prompt", neg.clone());
    }
    if call == Call::Inpaint {
        form = form.part("mask", png_part(input_ops::white_mask(ID, req)?, "mask"));
    } else {
        let strength = req
            .extra_field("strength")
            .and_then(Value::as_f64)
            .unwrap_or(DEFAULT_STRENGTH);
        if !(0.0..=1.0).contains(&strength) {
            return Err(ProviderError::invalid_request(
                ID,
                format!("Recraft's strength is between 0 and 1, not {strength}"),
            ));
        }
        form = form.text("strength", strength.to_string());
    }
    // `style`, `substyle` and the like pass through `extra` as text fields.
    if let Some(extra) = req.extra.as_object() {
        for (k, v) in extra.iter().filter(|(k, _)| k.as_str() != "strength") {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            form = form.text(k.clone(), text);
        }
    }
    Ok((call, form, expect))
}

/// Parses an answer of `call`: the usual `data` list with `credits`, or an upscaler's
/// single `image` (read as a one-item list, keeping `credits`).
pub fn parse(
    call: Call,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedImages, ProviderError> {
    if !matches!(call, Call::Upscale(_)) || !(200..300).contains(&status) {
        return parse_response(status, headers, body);
    }
    let wrapped = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        let img = v.get("image").filter(|i| i.is_object())?;
        Some(json!({"created": v.get("created"), "credits": v.get("credits"), "data": [img]}))
    });
    match wrapped.and_then(|w| serde_json::to_vec(&w).ok()) {
        Some(bytes) => parse_response(status, headers, &bytes),
        None => parse_response(status, headers, body),
    }
}
