//! fal inputs for each app (issue 15; image-inputs.md §1.1, §1.6): text to image, the
//! edit apps that take `image_urls` (Nano Banana edit, GPT Image 2 edit) or one
//! `image_url` (FLUX Kontext pro), and the SeedVR2 upscaler (`image_url`,
//! `upscale_factor`), all with inputs as data URIs. Upscalers answer with one `image`
//! instead of an `images` list.

use serde_json::{Value, json};
use vocab::Operation;

use crate::errors::ProviderError;
use crate::input_ops;
use crate::json as j;
use crate::types::GenerateRequest;

const ID: &str = vocab::ProviderId::Fal.as_str();
/// SeedVR2's default `upscale_factor`.
pub const DEFAULT_SCALE: u32 = 2;
/// SeedVR2's largest `upscale_factor` (the catalog's `max_scale`).
pub const MAX_SCALE: u32 = 10;

/// How an app takes its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum App {
    /// `image_urls: [...]` (the image to edit first, then references).
    ImageUrls,
    /// One `image_url`.
    ImageUrl,
    /// `image_url` + `upscale_factor`.
    Upscaler,
    /// Text to image only.
    Text,
}

impl App {
    pub fn of(model: &str) -> Self {
        match model {
            "fal-ai/nano-banana/edit" | "openai/gpt-image-2/edit" => Self::ImageUrls,
            "fal-ai/flux-pro/kontext" => Self::ImageUrl,
            "fal-ai/seedvr/upscale/image" => Self::Upscaler,
            _ => Self::Text,
        }
    }

    fn operations(self) -> &'static [Operation] {
        match self {
            Self::ImageUrls | Self::ImageUrl => &[Operation::Edit, Operation::Generate],
            Self::Upscaler => &[Operation::Upscale],
            Self::Text => &[Operation::Generate],
        }
    }
}

/// The JSON input for `req`, or an invalid_request before anything is sent.
pub fn build_input(req: &GenerateRequest) -> Result<Value, ProviderError> {
    let app = App::of(&req.model);
    if app == App::Text {
        if !req.inputs.is_empty() {
            return Err(ProviderError::invalid_request(
                ID,
                format!(
                    "fal {} makes images from text only here; use an edit or upscale app for input images",
                    req.model
                ),
            ));
        }
        return Ok(text_input(req));
    }
    input_ops::require_op(ID, req, app.operations())?;
    if req.inputs.mask.is_some() {
        return Err(ProviderError::invalid_request(
            ID,
            format!(
                "fal {} cannot paint a mask region; describe the change in the prompt or pick an offer with masks",
                req.model
            ),
        ));
    }
    let subject = input_ops::subject(ID, req)?;
    let mut input = match app {
        App::ImageUrls => {
            if req.model.starts_with("openai/") {
                // OpenAI's edit endpoint takes at most 16 images (image-inputs.md §1.2).
                input_ops::max_inputs(ID, req, 16)?;
            }
            let urls: Vec<String> = req.inputs.images.iter().map(|i| i.data_uri()).collect();
            let mut v =
                json!({"prompt": req.prompt, "image_urls": urls, "num_images": req.n.max(1)});
            if let Some(q) = &req.quality {
                v["quality"] = json!(q);
            }
            if let Some(f) = req.inputs.fidelity {
                v["input_fidelity"] = json!(f.as_str());
            }
            v
        }
        App::ImageUrl => {
            input_ops::max_inputs(ID, req, 1)?;
            json!({"prompt": req.prompt, "image_url": subject.data_uri(), "num_images": req.n.max(1)})
        }
        _ => {
            input_ops::max_inputs(ID, req, 1)?;
            let k = input_ops::scale_or(req, DEFAULT_SCALE);
            if k > MAX_SCALE {
                return Err(ProviderError::invalid_request(
                    ID,
                    format!("SeedVR2 upscales at most {MAX_SCALE}x, not {k}x"),
                ));
            }
            json!({
                "image_url": subject.data_uri(),
                "upscale_factor": k,
            })
        }
    };
    if let Some(s) = req.seed {
        input["seed"] = json!(s);
    }
    j::merge_extra(&mut input, &req.extra, &["sync"]);
    Ok(input)
}

/// Text to image: `prompt`, `image_size`, `num_images` and the usual knobs.
fn text_input(req: &GenerateRequest) -> Value {
    let mut input = json!({
        "prompt": req.prompt,
        "image_size": {"width": req.width, "height": req.height},
        "num_images": req.n.max(1),
    });
    if let Some(s) = req.seed {
        input["seed"] = json!(s);
    }
    if let Some(s) = req.steps {
        input["num_inference_steps"] = json!(s);
    }
    if let Some(n) = &req.negative_prompt {
        input["negative_prompt"] = json!(n);
    }
    j::merge_extra(&mut input, &req.extra, &["sync"]);
    input
}

/// The images of a result: the `images` list, or an upscaler's single `image`.
pub fn result_images(v: &Value) -> Option<Vec<&Value>> {
    match (v.get("images"), v.get("image")) {
        (Some(Value::Array(a)), _) => Some(a.iter().collect()),
        (_, Some(one @ Value::Object(_))) => Some(vec![one]),
        _ => None,
    }
}

/// The size the answer should have (an upscale is sized by its input and factor).
pub fn output_size(req: &GenerateRequest) -> (u32, u32) {
    input_ops::output_size(req, DEFAULT_SCALE)
}
