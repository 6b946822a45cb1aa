//! Stability AI v2beta Stable Image (Ultra / Core / SD3.x): multipart in, raw bytes out,
//! `finish-reason` header. One image per call. No cost field: credits come from the catalog
//! (or a `/v1/user/balance` delta, which the engine may take via `check_key`).

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use reqwest::multipart::Form;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common::{class_for_status, elapsed_ms, key_check_from, key_required};
use crate::config::{ProviderConfig, resolve_base_url};
use crate::errors::{ErrorClass, ProviderError, describe_body, short};
use crate::http::{Http, billing_headers, join};
use crate::stability_edit::{self, Route};
use crate::types::{
    Balance, GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress, RawUsage,
    RemoteJob,
};
use crate::{ImageProvider, decode, json as j, retry_after};

/// This client's provider id.
const ID: &str = vocab::ProviderId::Stability.as_str();

pub const DEFAULT_BASE_URL: &str = "https://api.stability.ai";
pub const ASPECT_RATIOS: &[&str] = &[
    "16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21",
];

/// The aspect ratio from `ratios` nearest to W:H (log distance).
pub fn nearest_aspect(width: u32, height: u32, ratios: &[&'static str]) -> &'static str {
    let target = (width.max(1) as f64 / height.max(1) as f64).ln();
    ratios
        .iter()
        .filter_map(|r| {
            let (a, b) = r.split_once(':')?;
            let v = (a.parse::<f64>().ok()? / b.parse::<f64>().ok()?).ln();
            Some((*r, (v - target).abs()))
        })
        .min_by(|x, y| x.1.total_cmp(&y.1))
        .map(|(r, _)| r)
        .unwrap_or("1:1")
}

/// (endpoint path, sd3 model field)
pub fn endpoint_for(model: &str) -> (&'static str, Option<String>) {
    if model.contains("ultra") {
        ("v2beta/stable-image/generate/ultra", None)
    } else if model.contains("core") {
        ("v2beta/stable-image/generate/core", None)
    } else {
        ("v2beta/stable-image/generate/sd3", Some(model.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedStability {
    pub bytes: Vec<u8>,
    pub seed: Option<u64>,
    pub usage: RawUsage,
}

/// Pure parser for a generate response (raw image or JSON form).
pub fn parse_generation(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedStability, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let ctype = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (bytes, finish, seed) = if ctype.starts_with("application/json") {
        let v = j::parse(ID, body)?;
        let img = v.get("image").and_then(Value::as_str).ok_or_else(|| {
            ProviderError::malformed(ID, "the JSON response has no 'image' field")
        })?;
        (
            decode::b64(ID, img).map_err(|e| {
                e.with_status(status).with_usage(RawUsage {
                    headers: billing_headers(headers),
                    ..RawUsage::default()
                })
            })?,
            j::str_of(&v, "finish_reason").map(str::to_string),
            j::u64_of(v.get("seed")),
        )
    } else if ctype.starts_with("image/") {
        (
            body.to_vec(),
            header("finish-reason"),
            header("seed").and_then(|s| s.parse().ok()),
        )
    } else {
        return Err(ProviderError::malformed(
            ID,
            format!(
                "expected an image but got content-type '{}' with {}",
                short(&ctype),
                describe_body(body)
            ),
        ));
    };
    let usage = RawUsage {
        headers: billing_headers(headers),
        raw: json!({"finish_reason": finish, "seed": seed}),
        ..RawUsage::default()
    };
    if finish.as_deref() == Some("CONTENT_FILTERED") {
        // Generated, then blurred by the output filter: Stability counts it as a success.
        return Err(ProviderError::new(
            ID,
            ErrorClass::SafetyBlock { billed: true },
            "the image was generated but blurred by Stability's output filter (this is billed); rephrase the prompt",
        )
        .with_status(status)
        .with_usage(usage));
    }
    Ok(ParsedStability { bytes, seed, usage })
}

/// `{id, name, errors[]}` → taxonomy (providers.md §2).
pub fn classify_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let name = j::str_of(&v, "name").unwrap_or("");
    let detail = v
        .get("errors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|s| !s.is_empty())
        .or_else(|| j::str_of(&v, "message").map(str::to_string))
        .map(|s| short(&s))
        .unwrap_or_else(|| format!("HTTP {status} with {}", describe_body(body)));
    let retry = retry_after::from_any(headers, Some(&v));
    let class = match status {
        403 if name == "content_moderation" => ErrorClass::SafetyBlock { billed: false },
        402 => ErrorClass::QuotaExhausted,
        413 => ErrorClass::InvalidRequest {
            field: Some("image".into()),
        },
        s => class_for_status(s, retry),
    };
    ProviderError::new(ID, class, detail).with_status(status)
}

#[derive(Debug, Clone)]
pub struct Stability {
    http: Http,
    base: String,
    cfg: ProviderConfig,
}

impl Stability {
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            http: Http::new(client, ID, cfg),
            base: resolve_base_url(ID, cfg, Some(DEFAULT_BASE_URL)).unwrap_or_default(),
            cfg: cfg.clone(),
        }
    }

    fn site(&self) -> stability_edit::Site<'_> {
        stability_edit::Site {
            http: &self.http,
            base: &self.base,
            cfg: &self.cfg,
        }
    }

    async fn run(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        let key = key_required(ID, key)?;
        if let Some(route) = Route::of(&req.model) {
            return stability_edit::run(self.site(), route, req, key, progress, cancel).await;
        }
        if !req.inputs.is_empty() {
            return Err(ProviderError::invalid_request(
                ID,
                format!(
                    "Stability {} makes images from text only here; use inpaint, outpaint, erase, search-and-replace, remove-background or an upscale model for input images",
                    req.model
                ),
            ));
        }
        let start = Instant::now();
        let (path, model_field) = endpoint_for(&req.model);
        let mut form = Form::new()
            .text("prompt", req.prompt.clone())
            .text(
                "aspect_ratio",
                nearest_aspect(req.width, req.height, ASPECT_RATIOS),
            )
            .text("output_format", "png");
        if let Some(m) = model_field {
            form = form.text("model", m);
        }
        if let Some(n) = &req.negative_prompt {
            form = form.text("negative_prompt", n.clone());
        }
        if let Some(s) = req.seed {
            form = form.text("seed", s.min(4_294_967_294).to_string());
        }
        if let Some(extra) = req.extra.as_object() {
            for (k, v) in extra {
                let text = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                form = form.text(k.clone(), text);
            }
        }
        let rb = self
            .http
            .client
            .post(join(&self.base, path))
            .bearer_auth(key)
            .header(ACCEPT, "image/*")
            .multipart(form);
        progress.emit(ProviderProgress::Running);
        tracing::debug!(provider = ID, model = %req.model, "submitting image request");
        let resp = self.http.send(rb, cancel).await?;
        let parsed =
            parse_generation(resp.status, &resp.headers, &resp.body).map_err(|mut e| {
                if let Some(u) = e.usage.as_mut() {
                    u.wall_ms = elapsed_ms(start);
                }
                e
            })?;
        let mut usage = parsed.usage;
        usage.wall_ms = elapsed_ms(start);
        // A 200 with image bytes means Stability generated (and billed) it.
        let max = crate::images::Expect::of(req).max_pixels;
        let image = decode::inspect_blocking(ID, parsed.bytes, parsed.seed, Some(max))
            .await
            .map_err(|e| e.with_usage(usage.clone()))?;
        Ok(GenerateOutput {
            images: vec![image],
            remote_id: usage.headers.get("x-request-id").cloned(),
            usage,
            safety: None,
        })
    }
}

#[async_trait]
impl ImageProvider for Stability {
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
    /// Polls a started creative upscale again (`GET /v2beta/results/{id}`); never restarts it.
    async fn resume(
        &self,
        remote: &RemoteJob,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        let key = key_required(ID, key)?;
        if Route::of(&remote.model) != Some(Route::UpscaleCreative) {
            return Err(crate::common::resume_unsupported(ID));
        }
        stability_edit::follow(
            self.site(),
            remote.clone(),
            key,
            progress,
            cancel,
            Instant::now(),
        )
        .await
    }
    async fn check_key(&self, key: &str) -> KeyCheck {
        let rb = self
            .http
            .client
            .get(join(&self.base, "v1/user/balance"))
            .bearer_auth(key);
        match key_check_from(self.http.send(rb, &CancellationToken::new()).await) {
            Ok(r) => KeyCheck::Valid {
                balance: serde_json::from_slice::<Value>(&r.body)
                    .ok()
                    .and_then(|v| j::decimal(v.get("credits")))
                    .map(|amount| Balance {
                        amount,
                        unit: "credits".into(),
                    }),
            },
            Err(k) => k,
        }
    }
}
