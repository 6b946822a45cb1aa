//! ComfyUI with an input image: upload it with `POST /upload/image` (multipart `image`,
//! `overwrite`), then point the workflow's `LoadImage` node at the uploaded name. A mask
//! is uploaded as a white = edit grayscale PNG read by `LoadImageMask` (red channel).

use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use vocab::Operation;

use crate::comfyui::classify_error;
use crate::errors::{ErrorClass, ProviderError};
use crate::http::{Http, join};
use crate::json as j;
use crate::types::GenerateRequest;

const ID: &str = vocab::ProviderId::ComfyUi.as_str();

pub const IMG2IMG_WORKFLOW: &str = include_str!("workflows/default_img2img.json");
pub const INPAINT_WORKFLOW: &str = include_str!("workflows/default_inpaint.json");

/// The bundled workflow for a request with inputs (used when `extra.workflow` is unset).
pub fn bundled_workflow(req: &GenerateRequest) -> &'static str {
    if req.inputs.mask.is_some() {
        INPAINT_WORKFLOW
    } else {
        IMG2IMG_WORKFLOW
    }
}

/// How far the sampler moves from the input when `extra.denoise` is not set.
pub fn default_denoise(op: Operation) -> f64 {
    match op {
        Operation::Vary => 0.5,
        Operation::Inpaint => 0.75,
        _ => 0.6,
    }
}

/// What the bundled img2img and inpaint workflows can do: one input image to edit,
/// repaint under a mask, or vary.
pub fn check_inputs(req: &GenerateRequest) -> Result<(), ProviderError> {
    let inputs = &req.inputs;
    let why = match inputs.operation {
        _ if inputs.is_empty() => return Ok(()),
        Operation::Generate => {
            "ComfyUI reference images need a workflow with IP-Adapter or similar nodes, which Proofsheet does not build; use the edit operation (img2img)".to_string()
        }
        Operation::Expand => {
            "expanding is not wired for ComfyUI here; use BFL FLUX.1 Expand or Stability outpaint"
                .into()
        }
        Operation::Upscale => {
            "upscaling is not wired for ComfyUI here; use Stability upscale, Recraft crisp upscale or fal SeedVR2".into()
        }
        Operation::Inpaint if inputs.mask.is_none() => {
            "editing a region needs a mask: paint the region to change".into()
        }
        _ if inputs.images.is_empty() => {
            format!(
                "{} needs the image to work on as the first input",
                inputs.operation
            )
        }
        _ if inputs.images.len() > 1 && inputs.operation != Operation::Vary => format!(
            "the ComfyUI img2img workflow takes one input image; this request has {}",
            inputs.images.len()
        ),
        _ => return Ok(()),
    };
    Err(ProviderError::invalid_request(ID, why))
}

/// The name to put in a `LoadImage` node from an `/upload/image` answer
/// (`{name, subfolder, type}`).
pub fn parse_upload(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, ProviderError> {
    if !(200..300).contains(&status) {
        let mut e = classify_error(status, headers, body);
        e.message = format!("uploading the input image failed: {}", e.message);
        return Err(e);
    }
    let v = j::parse(ID, body)?;
    let name = j::str_of(&v, "name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ProviderError::malformed(ID, "the /upload/image answer has no 'name'"))?;
    Ok(match j::str_of(&v, "subfolder").filter(|s| !s.is_empty()) {
        Some(sub) => format!("{sub}/{name}"),
        None => name.to_string(),
    })
}

/// Upload one file to ComfyUI's input folder; returns the name `LoadImage` takes.
pub(crate) async fn upload(
    http: &Http,
    base: &str,
    key: Option<&str>,
    file: (Vec<u8>, String, &str),
    cancel: &CancellationToken,
) -> Result<String, ProviderError> {
    let (bytes, file_name, mime) = file;
    let part = Part::bytes(bytes)
        .file_name(file_name)
        .mime_str(mime)
        .map_err(|_| ProviderError::invalid_request(ID, format!("bad input type '{mime}'")))?;
    // Named by content hash, so overwriting is idempotent and reruns reuse the file.
    let form = Form::new()
        .part("image", part)
        .text("overwrite", "true")
        .text("type", "input");
    let rb = http.client.post(join(base, "upload/image")).multipart(form);
    let rb = match key.filter(|k| !k.is_empty()) {
        Some(k) => rb.bearer_auth(k),
        None => rb,
    };
    let resp = http.send(rb, cancel).await?;
    parse_upload(resp.status, &resp.headers, &resp.body)
}

/// Upload the subject (and mask) of `req`: `(image name, mask name)`.
pub(crate) async fn upload_inputs(
    http: &Http,
    base: &str,
    key: Option<&str>,
    req: &GenerateRequest,
    cancel: &CancellationToken,
) -> Result<(String, Option<String>), ProviderError> {
    let subject = req
        .inputs
        .subject()
        .ok_or_else(|| ProviderError::invalid_request(ID, "img2img needs an input image"))?;
    // Only hex-like characters reach the server's file name (no paths from a bad hash).
    let stem = |prefix: &str, sha: &str| {
        let tag: String = sha
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(16)
            .collect();
        format!("{prefix}-{tag}")
    };
    let image = upload(
        http,
        base,
        key,
        (
            subject.bytes.to_vec(),
            subject.file_name(&stem("proofsheet", &subject.sha256)),
            subject.mime.as_str(),
        ),
        cancel,
    )
    .await?;
    let mask = match &req.inputs.mask {
        Some(m) => {
            let white = crate::inputs::white_edit_mask(ID, m)?;
            let name = format!("{}.png", stem("proofsheet-mask", &m.sha256));
            Some(upload(http, base, key, (white, name, "image/png"), cancel).await?)
        }
        None => None,
    };
    Ok((image, mask))
}

fn bad_template(msg: &str) -> ProviderError {
    ProviderError::new(
        ID,
        ErrorClass::InvalidRequest {
            field: Some("workflow".into()),
        },
        msg.to_string(),
    )
}

/// Point the workflow's first `LoadImage` at `image`, its `LoadImageMask` at `mask`, the
/// batch at `n`, and (for the bundled workflows or when `extra.denoise` is set) the
/// sampler's denoise.
pub fn patch_inputs(
    wf: &mut Value,
    req: &GenerateRequest,
    image: &str,
    mask: Option<&str>,
    bundled: bool,
) -> Result<(), ProviderError> {
    let nodes = wf
        .as_object_mut()
        .ok_or_else(|| bad_template("the workflow is not an API-format object"))?;
    let first_of = |nodes: &serde_json::Map<String, Value>, class: &str| {
        let mut ids: Vec<&String> = nodes
            .iter()
            .filter(|(_, n)| j::str_of(n, "class_type") == Some(class))
            .map(|(id, _)| id)
            .collect();
        ids.sort_by_key(|id| (id.len(), id.to_string()));
        ids.first().map(|id| id.to_string())
    };
    let set = |nodes: &mut serde_json::Map<String, Value>, id: &str, key: &str, val: Value| {
        if let Some(inputs) = nodes
            .get_mut(id)
            .and_then(|n| n.get_mut("inputs"))
            .and_then(Value::as_object_mut)
        {
            inputs.insert(key.to_string(), val);
        }
    };
    let load = first_of(nodes, "LoadImage").ok_or_else(|| {
        bad_template("the workflow has no LoadImage node to take the input image")
    })?;
    set(nodes, &load, "image", json!(image));
    if let Some(mask) = mask {
        let id = first_of(nodes, "LoadImageMask").ok_or_else(|| {
            bad_template("the workflow has no LoadImageMask node to take the mask")
        })?;
        set(nodes, &id, "image", json!(mask));
    }
    if let Some(id) = first_of(nodes, "RepeatLatentBatch") {
        set(nodes, &id, "amount", json!(req.n.max(1)));
    }
    let denoise = req
        .extra_field("denoise")
        .and_then(Value::as_f64)
        .filter(|d| (0.0..=1.0).contains(d));
    if bundled || denoise.is_some() {
        let d = denoise.unwrap_or_else(|| default_denoise(req.inputs.operation));
        let samplers: Vec<String> = nodes
            .iter()
            .filter(|(_, n)| j::str_of(n, "class_type").is_some_and(|c| c.starts_with("KSampler")))
            .map(|(id, _)| id.clone())
            .collect();
        for id in samplers {
            set(nodes, &id, "denoise", json!(d));
        }
    }
    Ok(())
}
