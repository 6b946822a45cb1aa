//! Ideogram 3.0 (`POST /v1/ideogram-v3/generate`): multipart form, `Api-Key` header,
//! synchronous. Images come back as temporary URLs (downloaded at once); an image the
//! safety check rejects comes back with `is_image_safe: false` and no URL. Priced flat
//! per output image by rendering speed (TURBO / DEFAULT / QUALITY), so no usage field.
//! Sources: Ideogram API reference (developer.ideogram.ai, "Generate"), Cloudflare AI
//! Gateway's Ideogram page (endpoint, `Api-Key`), Ideogram's V3 migration notes
//! (multipart, `rendering_speed`, `aspect_ratio` as `16x9`).

use std::time::Instant;

use async_trait::async_trait;
use reqwest::header::HeaderMap;
use reqwest::multipart::Form;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::common::{class_for_status, elapsed_ms, key_required};
use crate::config::{ProviderConfig, resolve_base_url};
use crate::errors::{ErrorClass, ProviderError, describe_body, short};
use crate::http::{Http, billing_headers, join};
use crate::images::{ImageSource, materialize};
use crate::types::{
    GenerateOutput, GenerateRequest, KeyCheck, ProgressSink, ProviderProgress, RawUsage, SafetyNote,
};
use crate::{ImageProvider, json as j, retry_after};

/// This client's provider id.
const ID: &str = vocab::ProviderId::Ideogram.as_str();

pub const DEFAULT_BASE_URL: &str = "https://api.ideogram.ai";
/// V3 aspect ratios (sent with `x`, e.g. `16x9`).
pub const ASPECT_RATIOS: &[&str] = &[
    "1:3", "3:1", "1:2", "2:1", "9:16", "16:9", "10:16", "16:10", "2:3", "3:2", "3:4", "4:3",
    "4:5", "5:4", "1:1",
];
pub const MAX_IMAGES: u32 = 8;

/// The rendering speed a quality name asks for (the price tier).
pub fn rendering_speed(quality: Option<&str>) -> &'static str {
    match quality.map(str::to_ascii_lowercase).as_deref() {
        Some("turbo" | "low" | "draft") => "TURBO",
        Some("quality" | "high" | "hd") => "QUALITY",
        _ => "DEFAULT",
    }
}

pub fn aspect_ratio(width: u32, height: u32) -> String {
    crate::stability::nearest_aspect(width, height, ASPECT_RATIOS).replace(':', "x")
}

/// What a successful generate answer held.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedIdeogram {
    pub images: Vec<(ImageSource, Option<u64>)>,
    /// Images the safety check withheld (`is_image_safe: false`, no URL).
    pub filtered: u32,
    pub usage: RawUsage,
}

/// Pure parser for a generate answer (any status).
pub fn parse_response(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedIdeogram, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let data = v.get("data").and_then(Value::as_array).ok_or_else(|| {
        ProviderError::malformed(ID, "the response has no 'data' list of images")
            .with_status(status)
            .billed()
    })?;
    let mut images = Vec::with_capacity(data.len());
    let mut filtered = 0u32;
    for item in data {
        let url = j::str_of(item, "url").filter(|u| !u.is_empty());
        let safe = item.get("is_image_safe").and_then(Value::as_bool) != Some(false);
        match url {
            Some(u) if safe => images.push((
                ImageSource::from_url_or_data(ID, u).map_err(ProviderError::billed)?,
                j::u64_of(item.get("seed")),
            )),
            _ => filtered += 1,
        }
    }
    let usage = RawUsage {
        headers: billing_headers(headers),
        raw: json!({"created": v.get("created"), "images": data.len(), "filtered": filtered}),
        ..RawUsage::default()
    };
    if images.is_empty() && filtered > 0 {
        // Generated, then withheld: whether Ideogram charges for it is not documented.
        return Err(ProviderError::new(
            ID,
            ErrorClass::SafetyBlock { billed: false },
            "Ideogram's safety check withheld every image; rephrase the prompt (whether this is billed is not documented)",
        )
        .with_status(status)
        .outcome_unknown());
    }
    if images.is_empty() {
        return Err(ProviderError::malformed(
            ID,
            "the provider reported success but returned no images",
        )
        .with_status(status)
        .billed());
    }
    Ok(ParsedIdeogram {
        images,
        filtered,
        usage,
    })
}

/// Error bodies are not fully documented: read `error`, `message` or `detail`, and the
/// status (400, 401, 422 safety, 429 per the API reference).
pub fn classify_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = ["error", "message", "detail"]
        .iter()
        .find_map(|k| match v.get(*k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(o)) => o.get("message").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        })
        .map(|s| short(&s))
        .unwrap_or_else(|| format!("HTTP {status} with {}", describe_body(body)));
    let lower = text.to_ascii_lowercase();
    let retry = retry_after::from_any(headers, Some(&v));
    let class = match status {
        402 => ErrorClass::QuotaExhausted,
        400..=499
            if status != 429
                && ["credit", "balance", "insufficient funds", "payment"]
                    .iter()
                    .any(|w| lower.contains(w)) =>
        {
            ErrorClass::QuotaExhausted
        }
        422 | 400
            if ["safety", "inappropriate", "not allowed", "policy"]
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
pub struct Ideogram {
    http: Http,
    base: String,
}

impl Ideogram {
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            http: Http::new(client, ID, cfg),
            base: resolve_base_url(ID, cfg, Some(DEFAULT_BASE_URL)).unwrap_or_default(),
        }
    }

    fn form(req: &GenerateRequest) -> Form {
        let mut form = Form::new()
            .text("prompt", req.prompt.clone())
            .text("rendering_speed", rendering_speed(req.quality.as_deref()))
            .text("aspect_ratio", aspect_ratio(req.width, req.height))
            .text("num_images", req.n.clamp(1, MAX_IMAGES).to_string());
        if let Some(s) = req.seed {
            form = form.text("seed", s.min(2_147_483_647).to_string());
        }
        if let Some(n) = req
            .negative_prompt
            .as_ref()
            .filter(|n| !n.trim().is_empty())
        {
            form = form.text("negative_prompt", n.clone());
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
        form
    }

    async fn run(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        progress: &ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<GenerateOutput, ProviderError> {
        let key = key_required(ID, key)?;
        // An input image makes it a Remix or an Inpaint (`ideogram_inputs`).
        let (path, form) = match crate::ideogram_inputs::build(req)? {
            Some(call) => call,
            None => ("v1/ideogram-v3/generate", Self::form(req)),
        };
        let start = Instant::now();
        let rb = self
            .http
            .client
            .post(join(&self.base, path))
            .header("Api-Key", key)
            .multipart(form);
        progress.emit(ProviderProgress::Running);
        tracing::debug!(provider = ID, model = %req.model, "submitting image request");
        // The HTTP layer marks failures after sending as of unknown billing.
        let resp = self.http.send(rb, cancel).await?;
        let parsed = parse_response(resp.status, &resp.headers, &resp.body)?;
        // Ideogram answered with images: it has billed, whatever happens to the download.
        let expect = crate::input_ops::expect(req, 1);
        let images = materialize(&self.http, parsed.images, expect, progress, cancel)
            .await
            .map_err(ProviderError::billed)?;
        let mut usage = parsed.usage;
        usage.wall_ms = elapsed_ms(start);
        Ok(GenerateOutput {
            images,
            remote_id: None,
            usage,
            safety: (parsed.filtered > 0).then(|| SafetyNote {
                message: format!(
                    "Ideogram's safety check withheld {} of the images",
                    parsed.filtered
                ),
                filtered: parsed.filtered,
            }),
        })
    }
}

#[async_trait]
impl ImageProvider for Ideogram {
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
    /// Ideogram documents no balance or "whoami" endpoint. A generate call without a
    /// prompt is authenticated first and then refused as invalid, so it checks the key
    /// without generating (or paying for) anything.
    async fn check_key(&self, key: &str) -> KeyCheck {
        let rb = self
            .http
            .client
            .post(join(&self.base, "v1/ideogram-v3/generate"))
            .header("Api-Key", key)
            .multipart(Form::new().text("rendering_speed", "TURBO"));
        match self.http.send(rb, &CancellationToken::new()).await {
            Ok(r) if r.status == 401 || r.status == 403 => KeyCheck::Invalid {
                message: format!("the provider rejected the key (HTTP {})", r.status),
            },
            Ok(r) if r.is_success() || r.status == 400 || r.status == 422 => {
                KeyCheck::Valid { balance: None }
            }
            Ok(r) => KeyCheck::Unreachable {
                message: format!("unexpected HTTP {} while checking the key", r.status),
            },
            Err(e) => KeyCheck::Unreachable { message: e.message },
        }
    }
}
