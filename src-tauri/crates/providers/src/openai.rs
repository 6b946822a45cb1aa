//! OpenAI Images (`/v1/images/generations`, and `/v1/images/edits` for input images via
//! `openai_edit`): gpt-image family (base64 + token `usage`) and DALL·E (URL or base64).
//! The same code serves `openai_compatible` gateways.

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
use crate::json;
use crate::types::{
    GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress, RawUsage, RemoteJob,
    SafetyNote, TokenCounts,
};
use crate::{ImageProvider, retry_after};

/// This client's provider id.
const ID: &str = vocab::ProviderId::OpenAi.as_str();

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// What a successful images response held, before any download or decode.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedImages {
    pub sources: Vec<ImageSource>,
    pub usage: RawUsage,
}

pub fn is_dalle(model: &str) -> bool {
    model.starts_with("dall-e")
}

pub fn build_body(req: &GenerateRequest, send_response_format: bool) -> Value {
    let mut body = json!({
        "model": req.model,
        "prompt": req.prompt,
        "n": req.n.max(1),
        "size": format!("{}x{}", req.width, req.height),
    });
    if let Some(q) = &req.quality {
        body["quality"] = json!(q);
    }
    if send_response_format && is_dalle(&req.model) {
        body["response_format"] = json!("b64_json");
    }
    json::merge_extra(&mut body, &req.extra, &[]);
    body
}

/// Token usage from an OpenAI images `usage` object. Without an output breakdown all
/// output tokens are image tokens (LiteLLM's reading, providers.md §12). Missing output
/// tokens or any invalid count → not reported (empty), so pricing uses the formula.
pub fn tokens_from_usage(u: &Value) -> TokenCounts {
    let mut c = json::Counts::default();
    let input_total = c.get(u.get("input_tokens")).unwrap_or(0);
    let in_d = u.get("input_tokens_details");
    let image_in = c.get(in_d.and_then(|d| d.get("image_tokens"))).unwrap_or(0);
    let cached_in = c
        .get(in_d.and_then(|d| d.get("cached_tokens")))
        .unwrap_or(0);
    let mut text_in = c
        .get(in_d.and_then(|d| d.get("text_tokens")))
        .unwrap_or_else(|| input_total.saturating_sub(image_in));
    let mut image_in = image_in;
    // OpenAI counts cached tokens inside `input_tokens` and its text/image split. Pricing
    // bills each class separately, so take the cached ones out of their class (by
    // `cached_tokens_details` when given, else from the image tokens first: re-sent
    // reference images are what an edit session caches) instead of billing them twice.
    if cached_in > 0 && text_in.saturating_add(image_in) >= input_total.max(1) {
        let cd = in_d.and_then(|d| d.get("cached_tokens_details"));
        let split = (
            c.get(cd.and_then(|d| d.get("text_tokens"))),
            c.get(cd.and_then(|d| d.get("image_tokens"))),
        );
        let (from_text, from_image) = match split {
            (Some(t), Some(i)) => (t, i),
            _ => {
                let i = cached_in.min(image_in);
                (cached_in - i, i)
            }
        };
        text_in = text_in.saturating_sub(from_text);
        image_in = image_in.saturating_sub(from_image);
    }
    let out_total = c.get(u.get("output_tokens"));
    let out_d = u.get("output_tokens_details").filter(|d| d.is_object());
    let (image_out, text_out) = match out_d {
        Some(d) => (
            c.get(d.get("image_tokens")),
            c.get(d.get("text_tokens")).unwrap_or(0),
        ),
        None => (out_total, 0),
    };
    match image_out {
        Some(image_out) if !c.invalid => TokenCounts {
            text_in,
            image_in,
            cached_in,
            image_out,
            text_out,
            thinking: None,
        },
        _ => TokenCounts::default(),
    }
}

/// Parse an images response (any status). Pure: fuzzed by the property tests.
pub fn parse_images_response(
    provider: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedImages, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(provider, status, headers, body));
    }
    let v = json::parse(provider, body)?;
    let raw = v.get("usage").cloned().unwrap_or(Value::Null);
    let usage = RawUsage {
        tokens: tokens_from_usage(&raw),
        billable_units: None,
        headers: billing_headers(headers),
        raw,
        ..RawUsage::default()
    };
    let data = v.get("data").and_then(Value::as_array);
    // Billing proof: a usage object, or image entries the provider generated. Without
    // either the body is plainly not the provider's answer (not billed).
    let evidence = usage.raw.is_object() || data.is_some_and(|d| !d.is_empty());
    let bill = |e: ProviderError| {
        if evidence {
            e.with_status(status).with_usage(usage.clone())
        } else {
            e.with_status(status)
        }
    };
    let data = data.ok_or_else(|| {
        bill(ProviderError::malformed(
            provider,
            "the response has no 'data' list of images",
        ))
    })?;
    let mut sources = Vec::with_capacity(data.len());
    for item in data {
        if let Some(b) = item.get("b64_json").and_then(Value::as_str) {
            sources.push(ImageSource::Bytes(
                crate::decode::b64(provider, b).map_err(bill)?,
            ));
        } else if let Some(u) = item.get("url").and_then(Value::as_str) {
            sources.push(ImageSource::from_url_or_data(provider, u).map_err(bill)?);
        } else {
            return Err(bill(ProviderError::malformed(
                provider,
                "an entry in 'data' has neither 'b64_json' nor 'url'",
            )));
        }
    }
    if sources.is_empty() {
        return Err(bill(ProviderError::malformed(
            provider,
            "the provider reported success but returned an empty image list",
        )));
    }
    Ok(ParsedImages { sources, usage })
}

/// OpenAI-style `{"error": {message, type, param, code}}` → taxonomy (providers.md §1, §14).
pub fn classify_error(
    provider: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let err = v.get("error").cloned().unwrap_or(Value::Null);
    // Some gateways put a string in "error".
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| err.as_str())
        .map(short)
        .unwrap_or_else(|| format!("HTTP {status} with {}", describe_body(body)));
    let code = err.get("code").and_then(Value::as_str).unwrap_or("");
    let ty = err.get("type").and_then(Value::as_str).unwrap_or("");
    let param = err.get("param").and_then(Value::as_str).map(str::to_string);
    let lower = message.to_ascii_lowercase();
    let retry = retry_after::from_any(headers, Some(&v));
    let quota = code == "insufficient_quota"
        || ty == "insufficient_quota"
        || code == "billing_hard_limit_reached"
        || code == "billing_not_active";
    let safety = matches!(code, "content_policy_violation" | "moderation_blocked")
        || lower.contains("safety system");
    let class = match status {
        _ if quota => ErrorClass::QuotaExhausted,
        400 | 403 | 422 if safety => ErrorClass::SafetyBlock { billed: false },
        400 | 409 | 422 => ErrorClass::InvalidRequest { field: param },
        404 => ErrorClass::InvalidRequest {
            field: Some(param.unwrap_or_else(|| "model".into())),
        },
        429 => ErrorClass::RateLimited {
            retry_after_ms: retry,
        },
        s => class_for_status(s, retry),
    };
    // The server's own verdict overrides the status-based guess (OpenAI SDK behaviour).
    let should_retry = headers.get("x-should-retry").and_then(|v| v.to_str().ok());
    let class = match (should_retry, class) {
        (Some("true"), ErrorClass::InvalidRequest { .. }) => ErrorClass::Transient,
        (_, c) => c,
    };
    let hint = match class {
        ErrorClass::QuotaExhausted => {
            " — add credit or raise the limit in the provider's billing settings"
        }
        ErrorClass::AuthFailed => " — check the API key in Settings → Keys",
        ErrorClass::SafetyBlock { .. } => " — rephrase the prompt",
        // Edits: a mask of the wrong size or without transparency is refused with 400.
        ErrorClass::InvalidRequest { ref field }
            if field.as_deref() == Some("mask") || lower.contains("mask") =>
        {
            " — the mask must be a PNG with transparency (alpha 0 = edit), the same size as the first image"
        }
        _ => "",
    };
    ProviderError::new(provider, class, format!("{message}{hint}")).with_status(status)
}

/// The shared OpenAI-images client (`openai` and `openai_compatible`).
#[derive(Debug, Clone)]
pub struct OpenAiImages {
    pub(crate) id: &'static str,
    pub(crate) http: Http,
    pub(crate) base: String,
    pub(crate) key_optional: bool,
}

impl OpenAiImages {
    pub(crate) async fn generate(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        let key = if self.key_optional {
            key.filter(|k| !k.is_empty())
        } else {
            Some(key_required(self.id, key)?)
        };
        if let Some(k) = key {
            crate::common::key_usable(self.id, k)?;
        }
        let start = Instant::now();
        // Any input image goes to the edits endpoint (multipart); text alone to generations.
        let mut rb = if crate::openai_edit::uses_edits(req) {
            let form = crate::openai_edit::build_form(self.id, req)?;
            self.http
                .client
                .post(join(&self.base, "images/edits"))
                .multipart(form)
        } else {
            self.http
                .client
                .post(join(&self.base, "images/generations"))
                .json(&build_body(req, self.id == ID))
        };
        if let Some(k) = key {
            rb = rb.bearer_auth(k);
        }
        tracing::debug!(provider = self.id, model = %req.model, n = req.n, "submitting image request");
        progress.emit(ProviderProgress::Running);
        let resp = self.http.send(rb, cancel).await?;
        let parsed = parse_images_response(self.id, resp.status, &resp.headers, &resp.body)?;
        let requested = req.n.max(1) as usize;
        let got = parsed.sources.len();
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
        let remote_id = usage.headers.get("x-request-id").cloned();
        // With n>1 flagged images are silently dropped (providers.md §1).
        let safety = (got < requested).then(|| SafetyNote {
            message: format!(
                "{} of {requested} images were not returned, probably removed by the provider's safety system",
                requested - got
            ),
            filtered: (requested - got) as u32,
        });
        tracing::info!(
            provider = self.id,
            images = images.len(),
            wall_ms = usage.wall_ms,
            "images received"
        );
        Ok(GenerateOutput {
            images,
            remote_id,
            usage,
            safety,
        })
    }

    pub(crate) async fn check_key(&self, key: &str) -> KeyCheck {
        let mut rb = self.http.client.get(join(&self.base, "models"));
        if !key.is_empty() {
            rb = rb.bearer_auth(key);
        }
        let resp = self.http.send(rb, &CancellationToken::new()).await;
        match key_check_from(resp) {
            Ok(_) => KeyCheck::Valid { balance: None },
            Err(k) => k,
        }
    }
}

/// OpenAI's own Images API.
#[derive(Debug, Clone)]
pub struct OpenAi(pub(crate) OpenAiImages);

impl OpenAi {
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        let base = resolve_base_url(ID, cfg, Some(DEFAULT_BASE_URL)).unwrap_or_default();
        Self(OpenAiImages {
            id: ID,
            http: Http::new(client, ID, cfg),
            base,
            key_optional: false,
        })
    }
}

#[async_trait]
impl ImageProvider for OpenAi {
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
        self.0.generate(req, key, progress, cancel).await
    }
    /// Only batch jobs can be resumed: the Images API answers at once.
    async fn resume(
        &self,
        remote: &RemoteJob,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        if !crate::batch::is_batch(remote) {
            return Err(crate::common::resume_unsupported(ID));
        }
        crate::openai_batch::poll(&self.0, remote, key, progress, cancel).await
    }
    fn batch_support(&self, model: &str) -> bool {
        crate::openai_batch::supports(model)
    }
    async fn submit_batch(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        cancel: &CancellationToken,
    ) -> Result<RemoteJob, ProviderError> {
        crate::openai_batch::submit(&self.0, req, key, cancel).await
    }
    async fn check_key(&self, key: &str) -> KeyCheck {
        self.0.check_key(key).await
    }
}
