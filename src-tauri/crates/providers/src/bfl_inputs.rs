//! BFL request bodies with input images (issue 15; image-inputs.md §1.1, §1.4): FLUX.2
//! takes `input_image`, `input_image_2` … `input_image_8` (klein 4), Kontext one
//! `input_image`, Fill `image` + `mask` (white = edit), Expand `image` + margins. All
//! base64; the submit/poll flow and its reported `cost` are the text-to-image ones.

use serde_json::{Value, json};
use vocab::Operation;

use crate::bfl::build_body;
use crate::errors::ProviderError;
use crate::input_ops;
use crate::types::GenerateRequest;

const ID: &str = vocab::ProviderId::Bfl.as_str();
/// Expand adds at most this many pixels per side (the catalog's `max_margin`).
pub const MAX_MARGIN: u32 = 2048;

/// The model families that differ in how inputs go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// FLUX.2: up to `max` inputs (references, or the image to edit first).
    Flux2 {
        max: usize,
    },
    Kontext,
    Fill,
    Expand,
    /// Text to image only (FLUX 1.1, Ultra, dev).
    TextOnly,
}

impl Family {
    pub fn of(model: &str) -> Self {
        if model.starts_with("flux-2") {
            Self::Flux2 {
                max: if model.contains("klein") { 4 } else { 8 },
            }
        } else if model.starts_with("flux-kontext") {
            Self::Kontext
        } else if model == "flux-pro-1.0-fill" {
            Self::Fill
        } else if model == "flux-pro-1.0-expand" {
            Self::Expand
        } else {
            Self::TextOnly
        }
    }

    /// The operations the model does with this client.
    pub fn operations(self) -> &'static [Operation] {
        match self {
            Self::Flux2 { .. } | Self::Kontext => &[Operation::Generate, Operation::Edit],
            Self::Fill => &[Operation::Inpaint],
            Self::Expand => &[Operation::Expand],
            Self::TextOnly => &[Operation::Generate],
        }
    }
}

/// The submit body for `req`, or an invalid_request before anything is sent.
pub fn submit_body(req: &GenerateRequest) -> Result<Value, ProviderError> {
    let family = Family::of(&req.model);
    if req.inputs.is_empty() && !matches!(family, Family::Fill | Family::Expand) {
        return Ok(build_body(req));
    }
    input_ops::require_op(ID, req, family.operations())?;
    if req.inputs.mask.is_some() && family != Family::Fill {
        return Err(ProviderError::invalid_request(
            ID,
            format!(
                "BFL {} cannot paint a mask region; use flux-pro-1.0-fill for a masked edit",
                req.model
            ),
        ));
    }
    match family {
        Family::Flux2 { max } => references(req, max),
        Family::Kontext => references(req, 1),
        Family::Fill => fill(req),
        Family::Expand => expand(req),
        Family::TextOnly => Err(ProviderError::invalid_request(
            ID,
            format!(
                "BFL {} makes images from text only; use FLUX.2 or FLUX Kontext with input images",
                req.model
            ),
        )),
    }
}

/// FLUX.2 / Kontext: `input_image`, `input_image_2`, … in order (the subject first).
fn references(req: &GenerateRequest, max: usize) -> Result<Value, ProviderError> {
    input_ops::max_inputs(ID, req, max)?;
    input_ops::subject(ID, req)?;
    let mut body = build_body(req);
    if req.inputs.operation == Operation::Edit
        && let Some(o) = body.as_object_mut()
    {
        // An edit keeps the input's size and shape unless `extra` says otherwise.
        for k in ["width", "height", "aspect_ratio"] {
            if req.extra_field(k).is_none() {
                o.remove(k);
            }
        }
    }
    for (i, img) in req.inputs.images.iter().enumerate() {
        let name = if i == 0 {
            "input_image".to_string()
        } else {
            format!("input_image_{}", i + 1)
        };
        body[name] = json!(img.base64());
    }
    Ok(body)
}

/// The fields every FLUX.1 tool takes besides its own.
fn tool_body(req: &GenerateRequest) -> Result<Value, ProviderError> {
    input_ops::max_inputs(ID, req, 1)?;
    let subject = input_ops::subject(ID, req)?;
    let mut body = json!({
        "image": subject.base64(),
        "prompt": req.prompt,
        "output_format": "png",
    });
    if let Some(s) = req.seed {
        body["seed"] = json!(s);
    }
    if let Some(s) = req.steps {
        body["steps"] = json!(s);
    }
    Ok(body)
}

fn fill(req: &GenerateRequest) -> Result<Value, ProviderError> {
    let mut body = tool_body(req)?;
    let mask = input_ops::white_mask(ID, req)?;
    body["mask"] = json!(base64_of(&mask));
    // `guidance`, `grow_mask`, `safety_tolerance` pass through `extra`.
    crate::json::merge_extra(&mut body, &req.extra, &[]);
    Ok(body)
}

fn expand(req: &GenerateRequest) -> Result<Value, ProviderError> {
    let mut body = tool_body(req)?;
    let m = req.inputs.expand.unwrap_or_default();
    if m.left == 0 && m.top == 0 && m.right == 0 && m.bottom == 0 {
        return Err(ProviderError::invalid_request(
            ID,
            "expand needs at least one margin above 0 pixels",
        ));
    }
    if let Some(v) = [m.left, m.top, m.right, m.bottom]
        .into_iter()
        .find(|v| *v > MAX_MARGIN)
    {
        return Err(ProviderError::invalid_request(
            ID,
            format!("FLUX Expand adds at most {MAX_MARGIN} px per side, not {v} px"),
        ));
    }
    body["top"] = json!(m.top);
    body["bottom"] = json!(m.bottom);
    body["left"] = json!(m.left);
    body["right"] = json!(m.right);
    crate::json::merge_extra(&mut body, &req.extra, &[]);
    Ok(body)
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
