//! Google: Gemini native image output (`:generateContent`, `usageMetadata`) and Imagen
//! (`:predict`, no usage: cost = images returned × price). Models starting `imagen` use predict.

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
    GenerateOutput, GenerateRequest, InputImage, KeyCheck, ProgressSink, ProviderProgress,
    RawUsage, RemoteJob, SafetyNote, TokenCounts,
};
use crate::{ImageProvider, decode, json as j, retry_after};

/// This client's provider id.
const ID: &str = vocab::ProviderId::Google.as_str();

pub const DEFAULT_BASE_URL: &str = "https://generativelanguage.googleapis.com/v1beta";
const GEMINI_RATIOS: &[&str] = &["1:1", "2:3", "3:2", "3:4", "4:3", "9:16", "16:9", "21:9"];
const IMAGEN_RATIOS: &[&str] = &["1:1", "3:4", "4:3", "9:16", "16:9"];
const SAFETY_REASONS: &[&str] = &[
    "SAFETY",
    "IMAGE_SAFETY",
    "PROHIBITED_CONTENT",
    "IMAGE_PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "RECITATION",
    "IMAGE_RECITATION",
    "NO_IMAGE",
    "IMAGE_OTHER",
    "OTHER",
    "MODEL_ARMOR",
    "JAILBREAK",
];

pub fn is_imagen(model: &str) -> bool {
    model.starts_with("imagen")
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedGoogle {
    pub sources: Vec<ImageSource>,
    pub usage: RawUsage,
    /// Images the provider filtered out (Imagen `raiFilteredReason`).
    pub filtered: u32,
}

/// `usageMetadata` → tokens. Without a modality breakdown the prompt is text and the
/// candidates are image tokens when images came back. Any invalid count → not reported.
pub fn tokens_from_usage_metadata(u: &Value, has_images: bool) -> TokenCounts {
    let mut c = j::Counts::default();
    let prompt = c.get(u.get("promptTokenCount")).unwrap_or(0);
    let cand = c.get(u.get("candidatesTokenCount")).unwrap_or(0);
    let cached_in = c.get(u.get("cachedContentTokenCount")).unwrap_or(0);
    let thinking = c.get(u.get("thoughtsTokenCount"));
    let pd = u.get("promptTokensDetails");
    let cd = u.get("candidatesTokensDetails");
    let mut modality = |details: Option<&Value>, m: &str| -> Option<u64> {
        let arr = details?.as_array()?;
        Some(
            arr.iter()
                .filter(|d| j::str_of(d, "modality") == Some(m))
                .filter_map(|d| c.get(d.get("tokenCount")))
                .fold(0u64, u64::saturating_add),
        )
    };
    let image_in = modality(pd, "IMAGE").unwrap_or(0);
    let text_in = modality(pd, "TEXT").unwrap_or(prompt.saturating_sub(image_in));
    let (image_out, text_out) = match (modality(cd, "IMAGE"), modality(cd, "TEXT")) {
        (None, None) if has_images => (cand, 0),
        (None, None) => (0, cand),
        (i, t) => (i.unwrap_or(0), t.unwrap_or(0)),
    };
    if c.invalid {
        return TokenCounts::default();
    }
    TokenCounts {
        text_in,
        image_in,
        cached_in,
        image_out,
        text_out,
        thinking,
    }
}

/// Pure parser for `generateContent`.
pub fn parse_generate_content(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedGoogle, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    let raw = v.get("usageMetadata").cloned().unwrap_or(Value::Null);
    // An image part that cannot be read still proves the call ran and was metered.
    let bill = |e: ProviderError| {
        e.with_status(status).with_usage(RawUsage {
            tokens: tokens_from_usage_metadata(&raw, true),
            headers: billing_headers(headers),
            raw: raw.clone(),
            ..RawUsage::default()
        })
    };
    let mut sources = Vec::new();
    let mut finish: Vec<String> = Vec::new();
    for c in v
        .get("candidates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(r) = j::str_of(c, "finishReason") {
            finish.push(r.to_string());
        }
        let parts = c
            .get("content")
            .and_then(|x| x.get("parts"))
            .and_then(Value::as_array);
        for p in parts.into_iter().flatten() {
            if let Some(inline) = p.get("inlineData").or_else(|| p.get("inline_data")) {
                let data = j::str_of(inline, "data").ok_or_else(|| {
                    bill(ProviderError::malformed(
                        ID,
                        "an inlineData part has no 'data'",
                    ))
                })?;
                sources.push(ImageSource::Bytes(decode::b64(ID, data).map_err(bill)?));
            }
        }
    }
    let usage = RawUsage {
        tokens: tokens_from_usage_metadata(&raw, !sources.is_empty()),
        headers: billing_headers(headers),
        raw,
        ..RawUsage::default()
    };
    let block = v
        .get("promptFeedback")
        .and_then(|f| j::str_of(f, "blockReason"));
    if sources.is_empty() {
        let reason = block.map(str::to_string).or_else(|| {
            finish
                .iter()
                .find(|r| SAFETY_REASONS.contains(&r.as_str()))
                .cloned()
        });
        if let Some(reason) = reason {
            // Blocked responses still report prompt and thinking tokens; assume those are billed.
            let billed = !usage.tokens.is_empty();
            let mut e = ProviderError::new(
                ID,
                ErrorClass::SafetyBlock { billed },
                format!(
                    "Gemini returned no image (reason {}); rephrase the prompt",
                    short(&reason)
                ),
            )
            .with_status(status);
            if billed {
                e = e.with_usage(usage);
            }
            return Err(e);
        }
        let e = ProviderError::malformed(
            ID,
            format!(
                "the response has no image (finish reasons: {})",
                short(&finish.join(","))
            ),
        );
        // Usage proves billing; a body with neither usage nor candidates is not Gemini's.
        return Err(if usage.raw.is_object() {
            e.with_usage(usage)
        } else {
            e
        });
    }
    Ok(ParsedGoogle {
        sources,
        usage,
        filtered: 0,
    })
}

/// Pure parser for Imagen `predict`.
pub fn parse_predict(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ParsedGoogle, ProviderError> {
    if !(200..300).contains(&status) {
        return Err(classify_error(status, headers, body));
    }
    let v = j::parse(ID, body)?;
    // Imagen answers `{}` when its filter removed every image. Any other 200 without
    // `predictions` (e.g. a proxy's `{"status":"Pending"}`) is not Imagen's answer:
    // malformed, not a safety block (F20).
    let all_filtered = json!([]);
    let preds = v
        .get("predictions")
        .or_else(|| {
            v.as_object()
                .filter(|o| o.is_empty())
                .map(|_| &all_filtered)
        })
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ProviderError::malformed(
                ID,
                format!(
                    "the :predict answer has no 'predictions' (got {})",
                    describe_body(body)
                ),
            )
            .with_status(status)
        })?;
    let with_images = preds
        .iter()
        .filter(|p| p.get("bytesBase64Encoded").is_some())
        .count() as u64;
    let units = |n: u64| RawUsage {
        billable_units: Some(rust_decimal::Decimal::from(n)),
        headers: billing_headers(headers),
        raw: json!({"images": n}),
        ..RawUsage::default()
    };
    // Image bytes came back, so Imagen generated (and bills) them even if unreadable.
    let bill = |e: ProviderError| e.with_status(status).with_usage(units(with_images));
    let mut sources = Vec::new();
    let mut filtered = 0u32;
    for p in preds {
        match j::str_of(p, "bytesBase64Encoded") {
            Some(b) => sources.push(ImageSource::Bytes(decode::b64(ID, b).map_err(bill)?)),
            None if p.get("raiFilteredReason").is_some() => filtered += 1,
            None => {
                let e = ProviderError::malformed(
                    ID,
                    "a prediction has neither image bytes nor a filter reason",
                );
                return Err(if with_images > 0 { bill(e) } else { e });
            }
        }
    }
    let mut usage = units(sources.len() as u64);
    usage.raw = json!({"images": sources.len(), "filtered": filtered});
    if sources.is_empty() {
        // All filtered: Imagen does not charge blocked images.
        return Err(ProviderError::new(
            ID,
            ErrorClass::SafetyBlock { billed: false },
            "Imagen filtered every image (not billed); rephrase the prompt",
        )
        .with_status(status));
    }
    Ok(ParsedGoogle {
        sources,
        usage,
        filtered,
    })
}

/// Google RPC `{error:{code,message,status,details}}` → taxonomy (providers.md §3, §14).
pub fn classify_error(status: u16, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let err = v.get("error").cloned().unwrap_or(Value::Null);
    let msg = j::str_of(&err, "message")
        .map(short)
        .unwrap_or_else(|| format!("HTTP {status} with {}", describe_body(body)));
    let st = j::str_of(&err, "status").unwrap_or("");
    let lower = msg.to_ascii_lowercase();
    let details = err.get("details").map(Value::to_string).unwrap_or_default();
    let retry =
        retry_after::from_google_details(&err).or_else(|| retry_after::from_headers(headers));
    let billing = lower.contains("billing")
        || lower.contains("limit: 0")
        || lower.contains("free tier is not");
    let class = match status {
        400 if details.contains("API_KEY_INVALID") || lower.contains("api key not valid") => {
            ErrorClass::AuthFailed
        }
        400 if lower.contains("prompt could not be submitted") || lower.contains("safety") => {
            ErrorClass::SafetyBlock { billed: false }
        }
        400 => ErrorClass::InvalidRequest { field: None },
        403 if billing || lower.contains("quota") => ErrorClass::QuotaExhausted,
        404 => ErrorClass::InvalidRequest {
            field: Some("model".into()),
        },
        // 429 is rate limit *or* quota: a RetryInfo means "wait", billing text without it means "pay".
        429 if retry.is_none() && billing => ErrorClass::QuotaExhausted,
        429 => ErrorClass::RateLimited {
            retry_after_ms: retry,
        },
        _ if st == "DEADLINE_EXCEEDED" => ErrorClass::Timeout {
            remote_job_id: None,
        },
        s => class_for_status(s, retry),
    };
    ProviderError::new(ID, class, msg).with_status(status)
}

/// Gemini takes at most this many input images (Nano Banana Pro and 2.1) [SCEN-GEM].
pub const MAX_INPUT_IMAGES: usize = 14;
/// Of the library's image types, those Gemini reads inline (it also takes HEIC/HEIF,
/// which the library never stores).
const INPUT_MIMES: &[vocab::ImageMime] = &[
    vocab::ImageMime::Png,
    vocab::ImageMime::Jpeg,
    vocab::ImageMime::WebP,
];

/// The images sent inline: the subject alone for a variation, otherwise every input.
fn input_images(req: &GenerateRequest) -> &[InputImage] {
    let all = &req.inputs.images;
    match req.inputs.operation {
        vocab::Operation::Vary => &all[..all.len().min(1)],
        _ => all,
    }
}

/// Refuses what Gemini cannot do with input images before anything is sent.
pub fn check_inputs(req: &GenerateRequest) -> Result<(), ProviderError> {
    use vocab::Operation;
    let bad = |m: String| Err(ProviderError::invalid_request(ID, m));
    let inputs = &req.inputs;
    if inputs.is_empty() {
        return Ok(());
    }
    if is_imagen(&req.model) {
        return bad(format!(
            "{} takes no input images on the Gemini API; use a gemini-*-image model to edit or use references",
            req.model
        ));
    }
    match inputs.operation {
        _ if inputs.mask.is_some() => {
            return bad(
                "Gemini edits by instruction only and takes no mask: describe the region to change in the prompt, or use OpenAI, BFL FLUX Fill or Stability inpaint for a painted region".into(),
            );
        }
        Operation::Inpaint => {
            return bad("Gemini cannot edit a painted region (no mask); use the edit operation with an instruction".into());
        }
        Operation::Expand => {
            return bad(
                "Gemini cannot expand by margins; use BFL FLUX.1 Expand or Stability outpaint"
                    .into(),
            );
        }
        Operation::Upscale => {
            return bad("Gemini cannot upscale; use Stability upscale, Recraft crisp upscale or fal SeedVR2".into());
        }
        Operation::Edit | Operation::Vary if inputs.images.is_empty() => {
            return bad(format!(
                "{} needs the image to work on as the first input",
                inputs.operation
            ));
        }
        _ => {}
    }
    if inputs.images.len() > MAX_INPUT_IMAGES {
        return bad(format!(
            "Gemini takes at most {MAX_INPUT_IMAGES} input images; this request has {}",
            inputs.images.len()
        ));
    }
    if let Some(i) = inputs
        .images
        .iter()
        .find(|i| !INPUT_MIMES.contains(&i.mime))
    {
        return bad(format!(
            "Gemini takes PNG, JPEG, WebP or HEIC inputs, not {}",
            i.mime
        ));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Google {
    pub(crate) http: Http,
    pub(crate) base: String,
}

impl Google {
    pub fn new(cfg: &ProviderConfig, client: reqwest::Client) -> Self {
        Self {
            http: Http::new(client, ID, cfg),
            base: resolve_base_url(ID, cfg, Some(DEFAULT_BASE_URL)).unwrap_or_default(),
        }
    }

    pub(crate) fn body(req: &GenerateRequest) -> Value {
        let mut body = if is_imagen(&req.model) {
            json!({
                "instances": [{"prompt": req.prompt}],
                "parameters": {
                    "sampleCount": req.n.clamp(1, 4),
                    "aspectRatio": nearest_aspect(req.width, req.height, IMAGEN_RATIOS),
                },
            })
        } else {
            let mut gcfg = json!({
                "responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": {"aspectRatio": nearest_aspect(req.width, req.height, GEMINI_RATIOS)},
            });
            // Gemini's "quality" is the output size tier.
            if let Some(size) = req
                .quality
                .as_deref()
                .filter(|q| matches!(*q, "512" | "1K" | "2K" | "4K"))
            {
                gcfg["imageConfig"]["imageSize"] = json!(size);
            }
            if let Some(s) = req.seed {
                gcfg["seed"] = json!(s);
            }
            if req.n > 1 {
                gcfg["candidateCount"] = json!(req.n);
            }
            // Input images go as inline parts before the instruction (image-inputs.md §1.3).
            let mut parts: Vec<Value> = input_images(req)
                .iter()
                .map(|i| json!({"inlineData": {"mimeType": i.mime, "data": i.base64()}}))
                .collect();
            parts.push(json!({"text": req.prompt}));
            json!({"contents": [{"role": "user", "parts": parts}], "generationConfig": gcfg})
        };
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
        check_inputs(req)?;
        let start = Instant::now();
        let imagen = is_imagen(&req.model);
        let verb = if imagen { "predict" } else { "generateContent" };
        let url = join(&self.base, &format!("models/{}:{verb}", req.model));
        let rb = self
            .http
            .client
            .post(url)
            .header("x-goog-api-key", key)
            .json(&Self::body(req));
        progress.emit(ProviderProgress::Running);
        tracing::debug!(provider = ID, model = %req.model, verb, "submitting image request");
        let resp = self.http.send(rb, cancel).await?;
        let parsed = if imagen {
            parse_predict(resp.status, &resp.headers, &resp.body)?
        } else {
            parse_generate_content(resp.status, &resp.headers, &resp.body)?
        };
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
        let safety = (parsed.filtered > 0).then(|| SafetyNote {
            message: format!(
                "{} images were filtered by Imagen's safety filter (not billed)",
                parsed.filtered
            ),
            filtered: parsed.filtered,
        });
        Ok(GenerateOutput {
            images,
            remote_id: None,
            usage,
            safety,
        })
    }
}

#[async_trait]
impl ImageProvider for Google {
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
    /// Only batch jobs can be resumed: `generateContent` and `predict` answer at once.
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
        crate::gemini_batch::poll(self, remote, key, progress, cancel).await
    }
    fn batch_support(&self, model: &str) -> bool {
        crate::gemini_batch::supports(model)
    }
    fn batch_takes_inputs(&self, model: &str) -> bool {
        crate::gemini_batch::supports(model)
    }
    async fn submit_batch(
        &self,
        req: &GenerateRequest,
        key: Option<&str>,
        cancel: &CancellationToken,
    ) -> Result<RemoteJob, ProviderError> {
        crate::gemini_batch::submit(self, req, key, cancel).await
    }
    async fn check_key(&self, key: &str) -> KeyCheck {
        let rb = self
            .http
            .client
            .get(join(&self.base, "models"))
            .header("x-goog-api-key", key)
            .query(&[("pageSize", "1")]);
        match self.http.send(rb, &CancellationToken::new()).await {
            // Google answers a bad key with 400 API_KEY_INVALID, not 401.
            Ok(r) if r.status == 400 => KeyCheck::Invalid {
                message: "Google rejected the API key".into(),
            },
            other => match key_check_from(other) {
                Ok(_) => KeyCheck::Valid { balance: None },
                Err(k) => k,
            },
        }
    }
}
