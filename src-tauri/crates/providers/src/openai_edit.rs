//! OpenAI `POST /v1/images/edits` (multipart) for gpt-image models: every request with
//! input images goes here (edit, inpaint, vary, generate with references). `image[]` per
//! input (the subject first), `mask` as sent (alpha 0 = edit, applies to the first image),
//! `input_fidelity` except on gpt-image-1-mini (image-inputs.md §1.1–1.2).

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use vocab::{InputFidelity, Operation};

use crate::errors::ProviderError;
use crate::types::{GenerateRequest, InputImage};

/// The edits endpoint takes at most this many images [OAI-EDIT].
pub const MAX_IMAGES: usize = 16;
/// Without a prompt a variation still needs an instruction (the endpoint requires one).
const VARY_PROMPT: &str = "A variation of this image: keep its subject, composition and style.";
/// Image types the edits endpoint reads.
const IMAGE_MIMES: &[vocab::ImageMime] = &[
    vocab::ImageMime::Png,
    vocab::ImageMime::Jpeg,
    vocab::ImageMime::WebP,
];
/// Fields this module sets itself; `extra` cannot override them.
const RESERVED: &[&str] = &[
    "model",
    "prompt",
    "image",
    "image[]",
    "mask",
    "n",
    "size",
    "quality",
    "input_fidelity",
    "response_format",
];

/// Whether the request goes to `/images/edits` instead of `/images/generations`.
pub fn uses_edits(req: &GenerateRequest) -> bool {
    !req.inputs.is_empty()
}

/// Whether the model takes `input_fidelity` (gpt-image-1-mini does not).
pub fn takes_fidelity(model: &str) -> bool {
    !model.starts_with("gpt-image-1-mini")
}

/// The images to send, the subject first; checks the operation is one gpt-image can do.
/// Nothing is sent when this fails, so nothing is billed.
pub fn images_for(provider: &str, req: &GenerateRequest) -> Result<Vec<InputImage>, ProviderError> {
    let bad = |msg: String| Err(ProviderError::invalid_request(provider, msg));
    let inputs = &req.inputs;
    if req.model.starts_with("dall-e") {
        return bad(format!(
            "{} takes no input images here; use a gpt-image model (gpt-image-1.5, gpt-image-2) to edit",
            req.model
        ));
    }
    match inputs.operation {
        Operation::Expand => {
            return bad(
                "gpt-image cannot expand an image; use BFL FLUX.1 Expand (flux-pro-1.0-expand) or Stability outpaint".into(),
            );
        }
        Operation::Upscale => {
            return bad(
                "gpt-image cannot upscale; use Stability upscale (fast, conservative, creative), Recraft crisp upscale or fal SeedVR2".into(),
            );
        }
        Operation::Inpaint if inputs.mask.is_none() => {
            return bad(
                "editing a region needs a mask: paint the region to change (transparent = edit)"
                    .into(),
            );
        }
        Operation::Edit | Operation::Inpaint | Operation::Vary if inputs.images.is_empty() => {
            return bad(format!(
                "{} needs the image to work on as the first input",
                inputs.operation
            ));
        }
        _ => {}
    }
    let images: Vec<InputImage> = if inputs.operation == Operation::Vary {
        inputs.images.iter().take(1).cloned().collect()
    } else {
        inputs.images.clone()
    };
    if images.is_empty() {
        return bad("the edits endpoint needs at least one input image".into());
    }
    if images.len() > MAX_IMAGES {
        return bad(format!(
            "OpenAI takes at most {MAX_IMAGES} input images per edit; this request has {}",
            images.len()
        ));
    }
    if let Some(img) = images.iter().find(|i| !IMAGE_MIMES.contains(&i.mime)) {
        return bad(format!(
            "OpenAI edits take PNG, JPEG or WebP images, not {}; convert the input first",
            img.mime
        ));
    }
    if let Some(mask) = &inputs.mask {
        if mask.mime != vocab::ImageMime::Png {
            return bad(format!(
                "the mask must be a PNG with transparency (alpha 0 = edit), not {}",
                mask.mime
            ));
        }
        let subject = &images[0];
        let known = mask.width > 0 && subject.width > 0;
        if known && (mask.width, mask.height) != (subject.width, subject.height) {
            return bad(format!(
                "the mask is {}×{} but the image to edit is {}×{}; OpenAI needs the mask the same size as the first image",
                mask.width, mask.height, subject.width, subject.height
            ));
        }
    }
    if inputs.fidelity == Some(InputFidelity::High) && !takes_fidelity(&req.model) {
        // Refused rather than dropped: the estimate the user accepted priced high
        // fidelity, and silently sending low would not be what they asked for.
        return bad(format!(
            "{} does not take input_fidelity=high; choose low fidelity, or gpt-image-1.5 / gpt-image-2 for high",
            req.model
        ));
    }
    Ok(images)
}

fn file_part(provider: &str, img: &InputImage, stem: &str) -> Result<Part, ProviderError> {
    Part::bytes(img.bytes.to_vec())
        .file_name(img.file_name(stem))
        .mime_str(img.mime.as_str())
        .map_err(|_| {
            ProviderError::invalid_request(
                provider,
                format!("the input image type '{}' is not valid", img.mime),
            )
        })
}

/// The multipart form for `/images/edits`. `low` fidelity on gpt-image-1-mini is its
/// only behaviour, so it is left out rather than refused.
pub fn build_form(provider: &str, req: &GenerateRequest) -> Result<Form, ProviderError> {
    let images = images_for(provider, req)?;
    let prompt = if req.inputs.operation == Operation::Vary && req.prompt.trim().is_empty() {
        VARY_PROMPT.to_string()
    } else {
        req.prompt.clone()
    };
    let mut form = Form::new()
        .text("model", req.model.clone())
        .text("prompt", prompt)
        .text("n", req.n.max(1).to_string())
        .text("size", format!("{}x{}", req.width, req.height));
    if let Some(q) = &req.quality {
        form = form.text("quality", q.clone());
    }
    if let Some(f) = req.inputs.fidelity.filter(|_| takes_fidelity(&req.model)) {
        form = form.text("input_fidelity", f.as_str().to_string());
    }
    let extra = req.extra.as_object();
    if !extra.is_some_and(|o| o.contains_key("output_format")) {
        form = form.text("output_format", "png");
    }
    // Provider knobs (background, moderation, output_compression…) as text fields.
    for (k, v) in extra.into_iter().flatten() {
        if RESERVED.contains(&k.as_str()) {
            continue;
        }
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => v.to_string(),
            _ => continue,
        };
        form = form.text(k.clone(), text);
    }
    for (i, img) in images.iter().enumerate() {
        form = form.part("image[]", file_part(provider, img, &format!("image-{i}"))?);
    }
    if let Some(mask) = &req.inputs.mask {
        form = form.part("mask", file_part(provider, mask, "mask")?);
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn img(role: vocab::InputRole, mime: vocab::ImageMime, w: u32) -> InputImage {
        InputImage {
            role,
            sha256: String::new(),
            mime,
            width: w,
            height: w,
            bytes: Arc::from(&b"x"[..]),
        }
    }

    fn edit(model: &str, op: Operation, n: usize) -> GenerateRequest {
        let mut r = GenerateRequest::new(model, "make it blue");
        r.inputs.operation = op;
        for i in 0..n {
            let role = if i == 0 {
                vocab::InputRole::Subject
            } else {
                vocab::InputRole::Reference
            };
            r.inputs.images.push(img(role, vocab::ImageMime::Png, 64));
        }
        r
    }

    #[test]
    fn plain_text_to_image_stays_on_generations() {
        assert!(!uses_edits(&GenerateRequest::new("gpt-image-1", "x")));
        assert!(uses_edits(&edit("gpt-image-1", Operation::Generate, 1)));
        assert!(uses_edits(&edit("gpt-image-1", Operation::Edit, 1)));
    }

    #[test]
    fn vary_sends_only_the_subject() {
        let r = edit("gpt-image-1", Operation::Vary, 3);
        assert_eq!(images_for("openai", &r).expect("ok").len(), 1);
        assert_eq!(
            images_for("openai", &edit("gpt-image-1", Operation::Edit, 3))
                .expect("ok")
                .len(),
            3
        );
    }

    #[test]
    fn refusals_name_the_way_out() {
        let cases = [
            (edit("gpt-image-1", Operation::Expand, 1), "Expand"),
            (edit("gpt-image-1", Operation::Upscale, 1), "upscale"),
            (edit("gpt-image-1", Operation::Inpaint, 1), "mask"),
            (edit("gpt-image-1", Operation::Edit, 0), "first input"),
            (edit("gpt-image-1", Operation::Edit, 17), "at most 16"),
            (edit("dall-e-3", Operation::Edit, 1), "gpt-image"),
        ];
        for (r, needle) in cases {
            let e = images_for("openai", &r).expect_err("refused");
            assert!(
                matches!(e.class, crate::ErrorClass::InvalidRequest { .. }),
                "{e:?}"
            );
            assert!(e.message.contains(needle), "{needle}: {}", e.message);
        }
    }

    #[test]
    fn mask_must_match_the_subject_and_be_png() {
        let mut r = edit("gpt-image-1", Operation::Inpaint, 1);
        r.inputs.mask = Some(img(vocab::InputRole::Subject, vocab::ImageMime::Png, 32));
        let e = images_for("openai", &r).expect_err("size mismatch");
        assert!(e.message.contains("same size"), "{}", e.message);
        r.inputs.mask = Some(img(vocab::InputRole::Subject, vocab::ImageMime::Jpeg, 64));
        let e = images_for("openai", &r).expect_err("jpeg mask");
        assert!(e.message.contains("PNG"), "{}", e.message);
        r.inputs.mask = Some(img(vocab::InputRole::Subject, vocab::ImageMime::Png, 64));
        assert!(images_for("openai", &r).is_ok());
    }

    #[test]
    fn high_fidelity_on_mini_is_refused_low_is_fine() {
        let mut r = edit("gpt-image-1-mini", Operation::Edit, 1);
        r.inputs.fidelity = Some(InputFidelity::High);
        let e = images_for("openai", &r).expect_err("mini high");
        assert!(e.message.contains("input_fidelity"), "{}", e.message);
        r.inputs.fidelity = Some(InputFidelity::Low);
        assert!(images_for("openai", &r).is_ok());
        assert!(!takes_fidelity("gpt-image-1-mini"));
        assert!(takes_fidelity("gpt-image-1.5"));
    }
}
