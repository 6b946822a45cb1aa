//! Together AI `/v1/images/generations`: OpenAI-style body and errors, base64 or URL
//! images, no usage (cost = rate × megapixels from the returned sizes).

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common::{elapsed_ms, key_check_from, key_required};
use crate::config::{ProviderConfig, resolve_base_url};
use crate::errors::{ErrorClass, ProviderError};
use crate::http::{Http, join};
use crate::images::{Expect, materialize};
use crate::openai::ParsedImages;
use crate::types::{GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress};
use crate::{ImageProvider, json as j};

/// This client's provider id.
const ID: &str = vocab::ProviderId::Together.as_str();

pub const DEFAULT_BASE_URL: &str = "https://api.together.xyz/v1";

/// Pure parser: OpenAI-shaped `data[]`, Together's own error readings layered on top.
pub fn parse_response(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedImages, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let mut parsed = crate::openai::parse_images_response(ID, status, headers, body)?;
    let n = parsed.sources.len() as u64;
    parsed.usage.billable_units = Some(rust_decimal::Decimal::from(n));
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        parsed.usage.raw = json!({"id": v.get("id"), "model": v.get("model")});
    }
    Ok(parsed)
}

/// The balance and safety shapes are unverified (providers.md §7): read both the status
/// and the message text.
pub fn classify_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let mut e = crate::openai::classify_error(ID, status, headers, body);
    let lower = e.message.to_ascii_lowercase();
    if (400..500).contains(&status) && status != 429 {
        if [
            "insufficient balance",
            "credit",
            "balance",
            "payment required",
        ]
        .iter()
        .any(|w| lower.contains(w))
        {
            e.class = ErrorClass::QuotaExhausted;
        } else if ["nsfw", "safety", "content policy"]
            .iter()
            .any(|w| lower.contains(w))
        {
            e.class = ErrorClass::SafetyBlock { billed: false };
        }
    }
    e
}

#[derive(Debug, Clone)]
pub struct Together {
    http: Http,
    base: String,
}

impl Together {
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
        let mut body = json!({
            "model": req.model,
            "prompt": req.prompt,
            "width": req.width,
            "height": req.height,
            "n": req.n.max(1),
            "response_format": "base64",
        });
        if let Some(s) = req.steps {
            body["steps"] = json!(s);
        }
        if let Some(s) = req.seed {
            body["seed"] = json!(s);
        }
        if let Some(n) = &req.negative_prompt {
            body["negative_prompt"] = json!(n);
        }
        j::merge_extra(&mut body, &req.extra, &[]);
        let rb = self
            .http
            .client
            .post(join(&self.base, "images/generations"))
            .bearer_auth(key)
            .json(&body);
        progress.emit(ProviderProgress::Running);
        let resp = self.http.send(rb, cancel).await?;
        let parsed = parse_response(resp.status, &resp.headers, &resp.body)?;
        let remote_id = serde_json::from_slice::<Value>(&resp.body)
            .ok()
            .and_then(|v| j::str_of(&v, "id").map(str::to_string));
        let mut usage = parsed.usage;
        let images = materialize(
            &self.http,
            parsed.sources.into_iter().map(|s| (s, req.seed)).collect(),
            Expect::of(req),
            progress,
            cancel,
        )
        .await
        .map_err(|e| e.with_usage(usage.clone()))?;
        usage.wall_ms = elapsed_ms(start);
        // Priced per image returned: never more than were asked for.
        usage.billable_units = Some(rust_decimal::Decimal::from(images.len() as u64));
        Ok(GenerateOutput {
            images,
            remote_id,
            usage,
            safety: None,
        })
    }
}

#[async_trait]
impl ImageProvider for Together {
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
        let rb = self
            .http
            .client
            .get(join(&self.base, "models"))
            .bearer_auth(key);
        match key_check_from(self.http.send(rb, &CancellationToken::new()).await) {
            Ok(_) => KeyCheck::Valid { balance: None },
            Err(k) => k,
        }
    }
}
