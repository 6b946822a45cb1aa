//! AUTOMATIC1111 / Forge `/sdapi/v1/txt2img` (synchronous, local, $0). The optional key is
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
use crate::types::*;
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
        let rb = Self::auth(
            self.http.client.post(join(&self.base, "sdapi/v1/txt2img")),
            key,
        )
        .json(&Self::body(req));
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
    fn capabilities(&self, _model: &str) -> Capabilities {
        Capabilities {
            negative_prompt: true,
            seed: true,
            steps: true,
            quality: false,
            max_n: 8,
            sizes: SizeSupport::Any {
                min: 64,
                max: 2048,
                multiple_of: 8,
            },
            async_jobs: false,
            cancel: true,
            local: true,
        }
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
