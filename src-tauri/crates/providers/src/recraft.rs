//! Recraft (`POST /v1/images/generations`): OpenAI-shaped JSON in and out, bearer token,
//! synchronous. Every answer reports the API units it charged in `credits` (1,000 units
//! = $1), which settlement uses. Sources: recraft.ai/docs/api-reference/endpoints
//! (generate, auth), …/appendix (sizes), …/pricing; LiteLLM's Recraft provider page.
//! Edits, inpainting and upscales (multipart) are built and parsed in `recraft_inputs`.

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common::{class_for_status, elapsed_ms, key_check_from, key_required};
use crate::config::{ProviderConfig, resolve_base_url};
use crate::errors::{ErrorClass, ProviderError, describe_body, short};
use crate::http::{Http, join};
use crate::images::{Expect, materialize};
use crate::openai::ParsedImages;
use crate::types::{
    Balance, GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress, RawUsage,
};
use crate::{ImageProvider, json as j, recraft_inputs, retry_after};

/// This client's provider id.
const ID: &str = vocab::ProviderId::Recraft.as_str();

pub const DEFAULT_BASE_URL: &str = "https://external.api.recraft.ai/v1";
/// Images per call (Recraft's `n` is 1–6).
pub const MAX_IMAGES: u32 = 6;

pub fn build_body(req: &GenerateRequest) -> Value {
    let mut body = json!({
        "prompt": req.prompt,
        "model": req.model,
        "size": format!("{}x{}", req.width, req.height),
        "n": req.n.clamp(1, MAX_IMAGES),
        "response_format": "b64_json",
    });
    if let Some(n) = req
        .negative_prompt
        .as_ref()
        .filter(|n| !n.trim().is_empty())
    {
        body["negative_prompt"] = json!(n);
    }
    // `style`, `substyle`, `controls` and the like pass through `extra`.
    j::merge_extra(&mut body, &req.extra, &[]);
    body
}

/// Pure parser (any status): OpenAI's `data[]` reading plus Recraft's `credits`.
pub fn parse_response(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedImages, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let credits = j::decimal(v.get("credits"));
    let with_credits = |mut u: RawUsage| {
        u.credits = credits;
        u.raw = json!({"created": v.get("created"), "credits": v.get("credits")});
        u
    };
    match crate::openai::parse_images_response(ID, status, headers, body) {
        Ok(mut parsed) => {
            parsed.usage = with_credits(parsed.usage);
            Ok(parsed)
        }
        // A 2xx that names a charge was billed even if its images are unusable.
        Err(e) if credits.is_some() => Err(e.with_usage(with_credits(RawUsage::default()))),
        Err(e) => Err(e.billed()),
    }
}

/// Error bodies are read as `{code, message}` or `{error: {message}}` or `{detail}`
/// (not fully documented), with the status deciding the class.
pub fn classify_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = j::str_of(&v, "code").unwrap_or("").to_ascii_lowercase();
    let text = j::str_of(&v, "message")
        .map(str::to_owned)
        .or_else(|| {
            v.get("error").and_then(|e| {
                e.as_str()
                    .map(str::to_owned)
                    .or_else(|| j::str_of(e, "message").map(str::to_owned))
            })
        })
        .or_else(|| j::str_of(&v, "detail").map(str::to_owned))
        .map(|s| short(&s))
        .unwrap_or_else(|| format!("HTTP {status} with {}", describe_body(body)));
    let lower = format!("{code} {}", text.to_ascii_lowercase());
    let retry = retry_after::from_any(headers, Some(&v));
    let class = match status {
        402 => ErrorClass::QuotaExhausted,
        400..=499
            if status != 429
                && ["not_enough_credits", "credits", "balance", "insufficient"]
                    .iter()
                    .any(|w| lower.contains(w)) =>
        {
            ErrorClass::QuotaExhausted
        }
        400..=499
            if status != 429
                && ["nsfw", "inappropriate", "safety", "moderation"]
                    .iter()
                    .any(|w| lower.contains(w)) =>
        {
            ErrorClass::SafetyBlock { billed: false }
        }
        s => class_for_status(s, retry),
    };
    ProviderError::new(ID, class, text).with_status(status)
}

#[derive(Debug, Clone)]
pub struct Recraft {
    http: Http,
    base: String,
}

impl Recraft {
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            http: Http::new(client, ID, cfg),
            base: resolve_base_url(ID, cfg, Some(DEFAULT_BASE_URL)).unwrap_or_default(),
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
        let start = Instant::now();
        let post = |path: &str| {
            self.http
                .client
                .post(join(&self.base, path))
                .bearer_auth(key)
        };
        // Input images go multipart to their own endpoint (`recraft_inputs`).
        let (rb, call, expect) = if recraft_inputs::is_multipart(req) {
            let (call, form, expect) = recraft_inputs::build(req)?;
            (post(call.path()).multipart(form), Some(call), expect)
        } else {
            (
                post("images/generations").json(&build_body(req)),
                None,
                Expect::of(req),
            )
        };
        progress.emit(ProviderProgress::Running);
        tracing::debug!(provider = ID, model = %req.model, "submitting image request");
        let resp = self.http.send(rb, cancel).await?;
        let parsed = match call {
            Some(c) => recraft_inputs::parse(c, resp.status, &resp.headers, &resp.body)?,
            None => parse_response(resp.status, &resp.headers, &resp.body)?,
        };
        let usage = parsed.usage;
        let images = materialize(
            &self.http,
            parsed.sources.into_iter().map(|s| (s, None)).collect(),
            expect,
            progress,
            cancel,
        )
        .await
        .map_err(|e| e.with_usage(usage.clone()))?;
        let mut usage = usage;
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
impl ImageProvider for Recraft {
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
    /// `GET /users/me` answers with the account and its API-unit balance (`credits`).
    async fn check_key(&self, key: &str) -> KeyCheck {
        let rb = self
            .http
            .client
            .get(join(&self.base, "users/me"))
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
