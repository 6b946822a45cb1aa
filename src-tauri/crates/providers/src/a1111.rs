//! AUTOMATIC1111 / Forge `/sdapi/v1/txt2img`, and `/sdapi/v1/img2img` for edit, inpaint
//! and vary (synchronous, local, $0). The optional key is
//! `user:pass` for `--api-auth`. Cancellation calls `/sdapi/v1/interrupt`.

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common::{class_for_status, elapsed_ms, key_check_from};
use crate::config::{ProviderConfig, resolve_base_url};
use crate::errors::{ErrorClass, ProviderError, describe_body, short};
use crate::http::{Http, join};
use crate::images::{Expect, ImageSource, materialize};
use crate::types::{
    GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress, RawUsage,
};
use crate::{ImageProvider, decode, json as j};

/// This client's provider id.
const ID: &str = vocab::ProviderId::A1111.as_str();

pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:7860";

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedTxt2Img {
    pub images: Vec<(ImageSource, Option<u64>)>,
    pub info: Value,
}

/// Pure parser. `info` is a JSON *string* holding `seed` and `all_seeds`.
pub fn parse_response(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedTxt2Img, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let list = v
        .get("images")
        .and_then(Value::as_array)
        .ok_or_else(|| ProviderError::malformed(ID, "the response has no 'images' list"))?;
    let info: Value = v
        .get("info")
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    let seeds: Vec<u64> = info
        .get("all_seeds")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| j::u64_of(Some(s))).collect())
        .unwrap_or_default();
    let first_seed = j::u64_of(info.get("seed"));
    let mut images = Vec::new();
    for (i, img) in list.iter().enumerate() {
        let b = img
            .as_str()
            .ok_or_else(|| ProviderError::malformed(ID, "an image entry is not a base64 string"))?;
        let b = b
            .split_once(',')
            .filter(|_| b.starts_with("data:"))
            .map_or(b, |(_, d)| d);
        images.push((
            ImageSource::Bytes(decode::b64(ID, b).map_err(|e| e.with_usage(RawUsage::default()))?),
            seeds.get(i).copied().or(first_seed),
        ));
    }
    Ok(ParsedTxt2Img { images, info })
}

/// `{error, detail, body, errors}` (middleware) or FastAPI `detail[]` → taxonomy.
pub fn classify_error(status: u16, _headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = j::str_of(&v, "errors")
        .or_else(|| j::str_of(&v, "detail"))
        .map(short)
        .or_else(|| {
            v.get("detail")
                .and_then(Value::as_array)
                .map(|a| short(&Value::Array(a.clone()).to_string()))
        })
        .unwrap_or_else(|| format!("HTTP {status} with {}", describe_body(body)));
    let class = match status {
        500 if text.contains("out of memory") => ErrorClass::Transient,
        s => class_for_status(s, None),
    };
    let hint = if text.contains("out of memory") {
        " — try a smaller size or batch"
    } else {
        ""
    };
    ProviderError::new(ID, class, format!("{text}{hint}")).with_status(status)
}

/// How far img2img moves from the input when `extra.denoising_strength` is not set: a
/// variation stays close, an edit moves more, a masked region is repainted.
pub fn default_denoise(op: vocab::Operation) -> f64 {
    match op {
        vocab::Operation::Vary => 0.5,
        vocab::Operation::Inpaint => 0.75,
        _ => 0.6,
    }
}

/// What img2img can do: edit, inpaint (with a mask) and vary one input image.
pub fn check_inputs(req: &GenerateRequest) -> Result<(), ProviderError> {
    use vocab::Operation;
    let inputs = &req.inputs;
    let why = match inputs.operation {
        _ if inputs.is_empty() => return Ok(()),
        Operation::Generate => {
            "AUTOMATIC1111 takes reference images only through ControlNet/IP-Adapter extensions, which Proofsheet does not drive; use the edit operation (img2img) instead".to_string()
        }
        Operation::Expand => {
            "AUTOMATIC1111 outpainting needs a script Proofsheet does not drive; use BFL FLUX.1 Expand or Stability outpaint".into()
        }
        Operation::Upscale => {
            "AUTOMATIC1111 upscaling is not wired here; use Stability upscale, Recraft crisp upscale or fal SeedVR2".into()
        }
        Operation::Inpaint if inputs.mask.is_none() => {
            "editing a region needs a mask: paint the region to change".into()
        }
        _ if inputs.images.is_empty() => {
            format!("{} needs the image to work on as the first input", inputs.operation)
        }
        _ if inputs.images.len() > 1 && inputs.operation != Operation::Vary => format!(
            "img2img takes one input image; this request has {} (references need ControlNet/IP-Adapter)",
            inputs.images.len()
        ),
        _ => return Ok(()),
    };
    Err(ProviderError::invalid_request(ID, why))
}

#[derive(Debug, Clone)]
pub struct A1111 {
    http: Http,
    base: String,
}

impl A1111 {
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            http: Http::new(client, ID, cfg),
            base: resolve_base_url(ID, cfg, Some(DEFAULT_BASE_URL)).unwrap_or_default(),
        }
    }

    fn auth(rb: reqwest::RequestBuilder, key: Option<&str>) -> reqwest::RequestBuilder {
        match key.filter(|k| !k.is_empty()) {
            Some(k) => match k.split_once(':') {
                Some((u, p)) => rb.basic_auth(u, Some(p)),
                None => rb.bearer_auth(k),
            },
            None => rb,
        }
    }

    pub fn body(req: &GenerateRequest) -> Value {
        let mut body = json!({
            "prompt": req.prompt,
            "negative_prompt": req.negative_prompt.clone().unwrap_or_default(),
            "width": req.width,
            "height": req.height,
            "steps": req.steps.unwrap_or(20),
            "seed": req.seed.map_or(-1i64, |s| i64::try_from(s).unwrap_or(-1)),
            "batch_size": req.n.max(1),
            "n_iter": 1,
            "send_images": true,
            "save_images": false,
        });
        if let Some(ckpt) = req.extra_field("checkpoint").and_then(Value::as_str) {
            body["override_settings"] = json!({"sd_model_checkpoint": ckpt});
        }
        j::merge_extra(&mut body, &req.extra, &["checkpoint"]);
        body
    }

    /// The `/sdapi/v1/img2img` body for an edit, inpaint or variation: the subject as
    /// `init_images`, the mask as white = repaint, and how far to move from the input.
    pub fn img2img_body(req: &GenerateRequest) -> Result<Value, ProviderError> {
        check_inputs(req)?;
        let subject = req
            .inputs
            .subject()
            .ok_or_else(|| ProviderError::invalid_request(ID, "img2img needs an input image"))?;
        let mut body = Self::body(req);
        body["init_images"] = json!([subject.base64()]);
        let strength = req
            .extra_field("denoising_strength")
            .and_then(Value::as_f64)
            .filter(|d| (0.0..=1.0).contains(d))
            .unwrap_or_else(|| default_denoise(req.inputs.operation));
        body["denoising_strength"] = json!(strength);
        if let Some(mask) = &req.inputs.mask {
            let white = crate::inputs::white_edit_mask(ID, mask)?;
            body["mask"] = json!(base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                white
            ));
            // Repaint inside the mask starting from the original pixels (A1111's
            // "original" fill), at full picture resolution, with a soft edge.
            for (k, v) in [
                ("inpainting_fill", json!(1)),
                ("inpaint_full_res", json!(false)),
                ("inpainting_mask_invert", json!(0)),
                ("mask_blur", json!(4)),
            ] {
                if req.extra_field(k).is_none() {
                    body[k] = v;
                }
            }
        }
        Ok(body)
    }

    async fn run(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            crate::common::key_usable(ID, k)?;
        }
        let start = Instant::now();
        let (route, body) = if req.inputs.is_empty() {
            ("sdapi/v1/txt2img", Self::body(req))
        } else {
            ("sdapi/v1/img2img", Self::img2img_body(req)?)
        };
        let rb = Self::auth(self.http.client.post(join(&self.base, route)), key).json(&body);
        progress.emit(ProviderProgress::Running);
        let resp = match self.http.send(rb, cancel).await {
            Err(e) if e.class == ErrorClass::Cancelled => {
                // Free the GPU: the blocking call keeps running server-side otherwise.
                let irb = Self::auth(
                    self.http
                        .client
                        .post(join(&self.base, "sdapi/v1/interrupt")),
                    key,
                );
                let _ = self.http.send(irb, &CancellationToken::new()).await;
                return Err(e);
            }
            Err(mut e) if e.class == ErrorClass::Transient => {
                e.message = format!("{} — is the WebUI running with --api?", e.message);
                return Err(e);
            }
            other => other?,
        };
        let parsed = parse_response(resp.status, &resp.headers, &resp.body)?;
        let mut usage = RawUsage {
            raw: json!({"seed": parsed.info.get("seed"), "job_timestamp": parsed.info.get("job_timestamp")}),
            ..RawUsage::default()
        };
        // The WebUI generated these (local, $0): the run happened even if an image is bad.
        let images = materialize(&self.http, parsed.images, Expect::of(req), progress, cancel)
            .await
            .map_err(|e| e.with_usage(usage.clone()))?;
        usage.wall_ms = elapsed_ms(start);
        Ok(GenerateOutput {
            images,
            remote_id: None,
            usage,
            safety: None,
        })
    }
}

#[async_trait]
impl ImageProvider for A1111 {
    fn id(&self) -> &'static str {
        ID
    }
    async fn generate(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        self.run(req, key, progress, cancel).await
    }
    async fn check_key(&self, key: &str) -> KeyCheck {
        let rb = Self::auth(
            self.http.client.get(join(&self.base, "sdapi/v1/sd-models")),
            Some(key),
        );
        match key_check_from(self.http.send(rb, &CancellationToken::new()).await) {
            Ok(_) => KeyCheck::Valid { balance: None },
            Err(k) => k,
        }
    }
}
