//! xAI Grok Imagine: `POST /v1/images/generations` for text alone and `POST
//! /v1/images/edits` for any input image. Both take JSON (not multipart, unlike OpenAI):
//! an edit carries its inputs as data URIs in `image: {url}` (one) or `images: [{url}]`
//! (up to three, the subject first). The answer is OpenAI-images shaped (`data[].b64_json`
//! or `url`) plus `usage.cost_in_usd_ticks` (10^10 ticks = $1: the exact charge) and
//! `block_reason` when moderation withheld the images. Errors are `{code, error}` with
//! `error` a string; a wrong key is a 400 ("Incorrect API key provided"), spent credits a
//! 403 or 429 ("used all available credits or reached its monthly spending limit").
//! Sources: docs.x.ai image generation / editing / multi-image editing pages, the xAI
//! REST reference as mirrored by withone.ai, LiteLLM `llms/xai/image_{generation,edit}`,
//! image-inputs.md [HERMES-XAI].

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use vocab::Operation;

use crate::common::{class_for_status, elapsed_ms, key_required};
use crate::config::{ProviderConfig, resolve_base_url};
use crate::errors::{ErrorClass, ProviderError, describe_body, short};
use crate::http::{Http, join};
use crate::images::{Expect, materialize};
use crate::openai::ParsedImages;
use crate::types::{
    GenerateOutput, GenerateRequest, InputImage, KeyCheck, ProgressSink, ProviderProgress,
    RawUsage, SafetyNote,
};
use crate::{ImageProvider, json as j, retry_after};

/// This client's provider id.
const ID: &str = vocab::ProviderId::Xai.as_str();

pub const DEFAULT_BASE_URL: &str = "https://api.x.ai/v1";
/// The aspect ratios `aspect_ratio` accepts (besides `auto`).
pub const ASPECT_RATIOS: &[&str] = &[
    "1:1", "3:4", "4:3", "9:16", "16:9", "2:3", "3:2", "9:19.5", "19.5:9", "9:20", "20:9", "1:2",
    "2:1",
];
/// Multi-image editing takes at most this many source images.
pub const MAX_INPUTS: usize = 3;
/// `n` is 1 to 10.
pub const MAX_N: u32 = 10;
/// 10,000,000,000 ticks are one US dollar.
const TICKS_PER_USD: u64 = 10_000_000_000;
/// Without a prompt a variation still needs an instruction (`prompt` is required).
const VARY_PROMPT: &str = "A variation of this image: keep its subject, composition and style.";
/// Fields this module sets itself; `extra` cannot override them.
const RESERVED: &[&str] = &[
    "model",
    "prompt",
    "n",
    "image",
    "images",
    "mask",
    "aspect_ratio",
    "resolution",
    "response_format",
];

/// `1k` or `2k`: the requested size's long side decides (the catalog prices by it).
pub fn resolution(width: u32, height: u32) -> &'static str {
    if width.max(height) > 1536 { "2k" } else { "1k" }
}

/// The endpoint (relative to the base URL) and JSON body for a request. Fails, before
/// anything is sent, on what Grok Imagine cannot do: masks, expand, upscale, more than
/// three inputs.
pub fn build_request(req: &GenerateRequest) -> Result<(&'static str, Value), ProviderError> {
    let bad = |msg: String| Err(ProviderError::invalid_request(ID, msg));
    let inputs = &req.inputs;
    match inputs.operation {
        Operation::Expand => {
            return bad("Grok Imagine cannot expand an image; use BFL FLUX.1 Expand (flux-pro-1.0-expand) or Stability outpaint".into());
        }
        Operation::Upscale => {
            return bad("Grok Imagine cannot upscale; use Stability upscale, Recraft crisp upscale or fal SeedVR2".into());
        }
        _ => {}
    }
    if inputs.mask.is_some() || inputs.operation == Operation::Inpaint {
        return bad("Grok Imagine edits by instruction only and takes no mask: describe the change in the prompt, or paint the region on an offer that takes a mask (OpenAI gpt-image, BFL FLUX Fill, Stability inpaint)".into());
    }
    if matches!(inputs.operation, Operation::Edit | Operation::Vary) && inputs.images.is_empty() {
        return bad(format!(
            "{} needs the image to work on as the first input",
            inputs.operation
        ));
    }
    if inputs.images.len() > MAX_INPUTS {
        return bad(format!(
            "Grok Imagine takes at most {MAX_INPUTS} input images; {} were given",
            inputs.images.len()
        ));
    }
    let n = req.n.clamp(1, MAX_N);
    let mut body = json!({
        "model": req.model,
        "prompt": req.prompt,
        "n": n,
        "resolution": resolution(req.width, req.height),
        "response_format": "b64_json",
    });
    let path = if inputs.images.is_empty() {
        body["aspect_ratio"] = json!(crate::stability::nearest_aspect(
            req.width,
            req.height,
            ASPECT_RATIOS
        ));
        "images/generations"
    } else {
        // A variation sends the subject only; the output follows the first input's
        // aspect ratio (xAI's default), so no `aspect_ratio` is sent.
        let images: Vec<&InputImage> = if inputs.operation == Operation::Vary {
            inputs.images.iter().take(1).collect()
        } else {
            inputs.images.iter().collect()
        };
        if inputs.operation == Operation::Vary && req.prompt.trim().is_empty() {
            body["prompt"] = json!(VARY_PROMPT);
        }
        let url = |i: &InputImage| json!({ "url": i.data_uri() });
        match images.as_slice() {
            [one] => body["image"] = url(one),
            many => body["images"] = many.iter().map(|i| url(i)).collect(),
        }
        "images/edits"
    };
    j::merge_extra(&mut body, &req.extra, RESERVED);
    Ok((path, body))
}

/// The USD in `usage.cost_in_usd_ticks`; None when missing or not a count.
pub fn reported_usd(usage: &Value) -> Option<Decimal> {
    let ticks = j::u64_of(usage.get("cost_in_usd_ticks"))?;
    Decimal::from(ticks).checked_div(Decimal::from(TICKS_PER_USD))
}

/// What a successful answer held, and how many images moderation withheld.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedXai {
    pub images: ParsedImages,
    /// `block_reason`, when the answer names one.
    pub block_reason: Option<String>,
}

/// Pure parser for an images answer (any status). Fuzzed by the property tests.
pub fn parse_response(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedXai, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let raw_usage = v.get("usage").cloned().unwrap_or(Value::Null);
    let cost = reported_usd(&raw_usage);
    let block_reason = v
        .get("block_reason")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(short);
    let no_images = v
        .get("data")
        .and_then(Value::as_array)
        .is_none_or(|d| d.is_empty());
    if let (Some(reason), true) = (&block_reason, no_images) {
        let e = ProviderError::new(
            ID,
            ErrorClass::SafetyBlock {
                billed: cost.is_some_and(|c| !c.is_zero()),
            },
            format!("xAI's moderation withheld the image ({reason}) — rephrase the prompt or change the input images"),
        )
        .with_status(status);
        // A charge it reports for a blocked answer is still a charge.
        return Err(match cost.filter(|c| !c.is_zero()) {
            Some(c) => e.with_usage(RawUsage {
                reported_usd: Some(c),
                raw: raw_usage,
                ..RawUsage::default()
            }),
            None => e,
        });
    }
    let mut images = crate::openai::parse_images_response(ID, status, headers, body)?;
    images.usage.reported_usd = cost;
    images.usage.billable_units = Some(Decimal::from(images.sources.len() as u64));
    Ok(ParsedXai {
        images,
        block_reason,
    })
}

/// `{code, error}` (or an OpenAI-style `{error: {message}}`) → the taxonomy. The status
/// alone misleads here: a wrong key is a 400, spent credits a 403 or 429, a safety
/// refusal a 400 or 403, so the message decides first.
pub fn classify_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let message = v
        .get("error")
        .and_then(|e| {
            e.as_str()
                .or_else(|| e.get("message").and_then(Value::as_str))
        })
        .or_else(|| v.get("message").and_then(Value::as_str))
        .map(short)
        .unwrap_or_else(|| format!("HTTP {status} with {}", describe_body(body)));
    let code = j::str_of(&v, "code").unwrap_or("").to_ascii_lowercase();
    let lower = message.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let retry = retry_after::from_any(headers, Some(&v));
    let class = if !(400..500).contains(&status) {
        class_for_status(status, retry)
    } else if has(&["api key", "api-key", "unauthenticated"]) || status == 401 {
        ErrorClass::AuthFailed
    } else if has(&["credits", "spending limit", "billing"]) {
        ErrorClass::QuotaExhausted
    } else if has(&["usage guidelines", "moderation", "content policy", "safety"]) {
        ErrorClass::SafetyBlock { billed: false }
    } else if status == 429 {
        ErrorClass::RateLimited {
            retry_after_ms: retry,
        }
    } else if status == 403 && code.contains("permission") {
        ErrorClass::AuthFailed
    } else if status == 404 {
        ErrorClass::InvalidRequest {
            field: Some("model".into()),
        }
    } else {
        class_for_status(status, retry)
    };
    let hint = match class {
        ErrorClass::QuotaExhausted => {
            " — buy credits or raise the spending limit in the xAI console (console.x.ai)"
        }
        ErrorClass::AuthFailed => " — check the xAI API key in Settings → Keys",
        ErrorClass::SafetyBlock { .. } => " — rephrase the prompt or change the input images",
        _ => "",
    };
    ProviderError::new(ID, class, format!("{message}{hint}")).with_status(status)
}

#[derive(Debug, Clone)]
pub struct Xai {
    http: Http,
    base: String,
}

impl Xai {
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
        let (path, body) = build_request(req)?;
        let start = Instant::now();
        let rb = self
            .http
            .client
            .post(join(&self.base, path))
            .bearer_auth(key)
            .json(&body);
        tracing::debug!(provider = ID, model = %req.model, n = req.n, path, "submitting image request");
        progress.emit(ProviderProgress::Running);
        let resp = self.http.send(rb, cancel).await?;
        let parsed = parse_response(resp.status, &resp.headers, &resp.body)?;
        let requested = req.n.clamp(1, MAX_N) as usize;
        let got = parsed.images.sources.len();
        let mut usage = parsed.images.usage;
        let images = materialize(
            &self.http,
            parsed
                .images
                .sources
                .into_iter()
                .map(|s| (s, None))
                .collect(),
            Expect::of(req),
            progress,
            cancel,
        )
        .await
        .map_err(|e| e.with_usage(usage.clone()))?;
        usage.wall_ms = elapsed_ms(start);
        let remote_id = usage.headers.get("x-request-id").cloned();
        let safety = (got < requested).then(|| SafetyNote {
            message: format!(
                "{} of {requested} images were not returned{}",
                requested - got,
                parsed
                    .block_reason
                    .map(|r| format!(" (xAI moderation: {r})"))
                    .unwrap_or_else(|| ", probably withheld by xAI's moderation".into())
            ),
            filtered: (requested - got) as u32,
        });
        Ok(GenerateOutput {
            images,
            remote_id,
            usage,
            safety,
        })
    }
}

#[async_trait]
impl ImageProvider for Xai {
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
    /// A wrong key is a 400 here, not a 401, so the status alone cannot tell.
    async fn check_key(&self, key: &str) -> KeyCheck {
        let rb = self
            .http
            .client
            .get(join(&self.base, "models"))
            .bearer_auth(key);
        match self.http.send(rb, &CancellationToken::new()).await {
            Ok(r) if r.is_success() => KeyCheck::Valid { balance: None },
            Ok(r) => match classify_error(r.status, &r.headers, &r.body) {
                e if matches!(e.class, ErrorClass::AuthFailed) => KeyCheck::Invalid {
                    message: format!("xAI rejected the key (HTTP {})", r.status),
                },
                e => KeyCheck::Unreachable { message: e.message },
            },
            Err(e) => KeyCheck::Unreachable { message: e.message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_follows_the_long_side() {
        assert_eq!(resolution(1024, 1024), "1k");
        assert_eq!(resolution(1536, 864), "1k");
        assert_eq!(resolution(2048, 2048), "2k");
        assert_eq!(resolution(1152, 2048), "2k");
    }

    #[test]
    fn ticks_are_ten_billion_to_the_dollar() {
        assert_eq!(
            reported_usd(&json!({"cost_in_usd_ticks": 200_000_000u64})),
            Some(Decimal::new(2, 2))
        );
        assert_eq!(reported_usd(&json!({"cost_in_usd_ticks": -5})), None);
        assert_eq!(reported_usd(&json!({})), None);
    }
}
