//! OpenRouter: chat completions with `modalities`, images as data URLs in
//! `choices[0].message.images`, `usage.cost` = the actual charge in USD.

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common::{class_for_status, elapsed_ms, key_check_from, key_required};
use crate::config::{ProviderConfig, resolve_base_url};
use crate::errors::{ErrorClass, ProviderError, describe_body, short};
use crate::http::{Http, billing_headers, join};
use crate::images::{Expect, ImageSource, materialize};
use crate::stability::nearest_aspect;
use crate::types::{
    Balance, GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress, RawUsage,
    TokenCounts,
};
use crate::{ImageProvider, json as j, retry_after};

/// This client's provider id.
const ID: &str = vocab::ProviderId::OpenRouter.as_str();

pub const DEFAULT_BASE_URL: &str = "https://openrouter.ai/api/v1";
const RATIOS: &[&str] = &[
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9",
];

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedChat {
    pub id: Option<String>,
    pub sources: Vec<ImageSource>,
    pub usage: RawUsage,
}

pub fn usage_of(u: &Value, headers: &HeaderMap) -> RawUsage {
    let mut c = j::Counts::default();
    let prompt = c.get(u.get("prompt_tokens")).unwrap_or(0);
    let completion = c.get(u.get("completion_tokens")).unwrap_or(0);
    let d = u.get("completion_tokens_details");
    let image = c.get(d.and_then(|d| d.get("image_tokens"))).unwrap_or(0);
    let reasoning = c.get(d.and_then(|d| d.get("reasoning_tokens")));
    let cached = c
        .get(
            u.get("prompt_tokens_details")
                .and_then(|d| d.get("cached_tokens")),
        )
        .unwrap_or(0);
    if c.invalid {
        return RawUsage {
            reported_usd: j::decimal(u.get("cost")),
            headers: billing_headers(headers),
            raw: u.clone(),
            ..RawUsage::default()
        };
    }
    RawUsage {
        tokens: TokenCounts {
            text_in: prompt.saturating_sub(cached),
            image_in: 0,
            cached_in: cached,
            image_out: image,
            text_out: completion
                .saturating_sub(image)
                .saturating_sub(reasoning.unwrap_or(0)),
            thinking: reasoning,
        },
        reported_usd: j::decimal(u.get("cost")),
        headers: billing_headers(headers),
        raw: u.clone(),
        ..RawUsage::default()
    }
}

/// Pure parser. Errors may also arrive with HTTP 200 in the body.
pub fn parse_response(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedChat, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    if v.get("error").is_some_and(|e| !e.is_null()) {
        let code = j::u64_of(v["error"].get("code"))
            .and_then(|c| u16::try_from(c).ok())
            .unwrap_or(502);
        let mut e = classify_error(code, headers, body);
        e.http_status = Some(status);
        return Err(e);
    }
    let usage = usage_of(v.get("usage").unwrap_or(&Value::Null), headers);
    let choice = v.get("choices").and_then(|c| c.get(0));
    let msg = choice.and_then(|c| c.get("message"));
    let mut sources = Vec::new();
    for img in msg
        .and_then(|m| m.get("images"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let url = img
            .get("image_url")
            .and_then(|u| j::str_of(u, "url"))
            .ok_or_else(|| {
                ProviderError::malformed(ID, "an image entry has no image_url.url")
                    .with_usage(usage.clone())
            })?;
        sources
            .push(ImageSource::from_url_or_data(ID, url).map_err(|e| e.with_usage(usage.clone()))?);
    }
    if sources.is_empty() {
        let finish = choice
            .and_then(|c| j::str_of(c, "finish_reason"))
            .unwrap_or("")
            .to_string();
        let native = choice
            .and_then(|c| j::str_of(c, "native_finish_reason"))
            .unwrap_or("")
            .to_ascii_uppercase();
        let billed = usage.reported_usd.is_some_and(|c| !c.is_zero()) || !usage.tokens.is_empty();
        if finish == "content_filter" || native.contains("SAFETY") || native.contains("PROHIBITED")
        {
            return Err(ProviderError::new(
                ID,
                ErrorClass::SafetyBlock { billed },
                format!(
                    "the model returned no image (finish reason {}); rephrase the prompt",
                    short(&finish)
                ),
            )
            .with_usage(usage));
        }
        let e = ProviderError::malformed(
            ID,
            "the model answered without an image (is it an image model?)",
        );
        // Usage proves billing; JSON with neither choices nor usage is not OpenRouter's.
        return Err(if usage.raw.is_object() {
            e.with_usage(usage)
        } else {
            e
        });
    }
    Ok(ParsedChat {
        id: j::str_of(&v, "id").map(str::to_string),
        sources,
        usage,
    })
}

/// `{error:{code,message,metadata}}` → taxonomy (providers.md §8).
pub fn classify_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let err = v.get("error").cloned().unwrap_or(Value::Null);
    let msg = j::str_of(&err, "message")
        .map(short)
        .unwrap_or_else(|| format!("HTTP {status} with {}", describe_body(body)));
    let class = match status {
        403 => ErrorClass::SafetyBlock { billed: false },
        404 => ErrorClass::InvalidRequest {
            field: Some("model".into()),
        },
        s => class_for_status(s, retry_after::from_any(headers, Some(&v))),
    };
    ProviderError::new(ID, class, msg).with_status(status)
}

#[derive(Debug, Clone)]
pub struct OpenRouter {
    http: Http,
    base: String,
}

impl OpenRouter {
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            http: Http::new(client, ID, cfg),
            base: resolve_base_url(ID, cfg, Some(DEFAULT_BASE_URL)).unwrap_or_default(),
        }
    }

    pub fn body(req: &GenerateRequest) -> Value {
        // Gemini models answer text and image; image-only models (FLUX…) want ["image"].
        let both = req.model.contains("gemini")
            || req.model.starts_with("google/")
            || req.model.starts_with("openai/");
        let modalities = if both {
            json!(["image", "text"])
        } else {
            json!(["image"])
        };
        let mut image_config =
            json!({"aspect_ratio": nearest_aspect(req.width, req.height, RATIOS)});
        if let Some(q) = req
            .quality
            .as_deref()
            .filter(|q| matches!(*q, "1K" | "2K" | "4K"))
        {
            image_config["image_size"] = json!(q);
        }
        let mut body = json!({
            "model": req.model,
            "messages": [{"role": "user", "content": req.prompt}],
            "modalities": modalities,
            "image_config": image_config,
        });
        if let Some(s) = req.seed {
            body["seed"] = json!(s);
        }
        j::merge_extra(&mut body, &req.extra, &[]);
        body
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
        let rb = self
            .http
            .client
            .post(join(&self.base, "chat/completions"))
            .bearer_auth(key)
            .header("X-Title", "Proofsheet")
            .json(&Self::body(req));
        progress.emit(ProviderProgress::Running);
        let resp = self.http.send(rb, cancel).await?;
        let parsed = parse_response(resp.status, &resp.headers, &resp.body)?;
        let mut usage = parsed.usage;
        let images = materialize(
            &self.http,
            parsed.sources.into_iter().map(|s| (s, None)).collect(),
            Expect::of(req),
            progress,
            cancel,
        )
        .await
        .map_err(|e| e.with_usage(usage.clone()))?;
        usage.wall_ms = elapsed_ms(start);
        Ok(GenerateOutput {
            images,
            remote_id: parsed.id,
            usage,
            safety: None,
        })
    }
}

#[async_trait]
impl ImageProvider for OpenRouter {
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
        // `/key` reports the key's remaining limit (OpenRouter docs; not in the reference).
        let rb = self
            .http
            .client
            .get(join(&self.base, "key"))
            .bearer_auth(key);
        match key_check_from(self.http.send(rb, &CancellationToken::new()).await) {
            Ok(r) => KeyCheck::Valid {
                balance: serde_json::from_slice::<Value>(&r.body)
                    .ok()
                    .and_then(|v| j::decimal(v.get("data").and_then(|d| d.get("limit_remaining"))))
                    .map(|amount| Balance {
                        amount,
                        unit: "usd".into(),
                    }),
            },
            Err(k) => k,
        }
    }
}
