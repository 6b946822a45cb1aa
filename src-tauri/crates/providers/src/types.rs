//! Request, output, usage and job types shared by every provider client.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One text-to-image request, provider-neutral. Provider-specific knobs go in `extra`
/// (e.g. Replicate `version`, A1111/ComfyUI `checkpoint`, fal `sync`); unknown object
/// keys in `extra` are merged into the provider's JSON input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    pub model: String,
    pub prompt: String,
    pub negative_prompt: Option<String>,
    pub width: u32,
    pub height: u32,
    pub quality: Option<String>,
    pub n: u32,
    pub steps: Option<u32>,
    pub seed: Option<u64>,
    #[serde(default)]
    pub extra: serde_json::Value,
    /// Input images, mask and the operation (issue 15); empty for text to image.
    #[serde(default, skip_serializing_if = "ImageInputs::is_empty")]
    pub inputs: ImageInputs,
}

impl GenerateRequest {
    /// A minimal request; handy in tests and the CLI.
    pub fn new(model: impl Into<String>, prompt: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            prompt: prompt.into(),
            negative_prompt: None,
            width: 1024,
            height: 1024,
            quality: None,
            n: 1,
            steps: None,
            seed: None,
            extra: serde_json::Value::Null,
            inputs: ImageInputs::default(),
        }
    }

    /// `extra[key]` if `extra` is an object.
    pub fn extra_field(&self, key: &str) -> Option<&serde_json::Value> {
        self.extra.as_object().and_then(|o| o.get(key))
    }
}

/// What a request does with input images: the operation, the images (the subject
/// first), an optional mask over the subject, and the operation's own settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageInputs {
    pub operation: vocab::Operation,
    #[serde(default)]
    pub images: Vec<InputImage>,
    /// A PNG the size of the first image; transparent (alpha 0) where to edit, as OpenAI
    /// takes it. Clients that want another convention (white = edit) convert it.
    #[serde(default)]
    pub mask: Option<InputImage>,
    /// Pixels to add on each side (`expand`).
    #[serde(default)]
    pub expand: Option<Margins>,
    /// Upscale factor (`upscale`), e.g. 2 or 4.
    #[serde(default)]
    pub scale: Option<u32>,
    /// OpenAI `input_fidelity`; `None` = the model's default.
    #[serde(default)]
    pub fidelity: Option<vocab::InputFidelity>,
}

impl Default for ImageInputs {
    fn default() -> Self {
        Self {
            operation: vocab::Operation::Generate,
            images: Vec::new(),
            mask: None,
            expand: None,
            scale: None,
            fidelity: None,
        }
    }
}

impl ImageInputs {
    /// Plain text to image: nothing to send but the prompt.
    pub fn is_empty(&self) -> bool {
        self.operation == vocab::Operation::Generate && self.images.is_empty()
    }

    /// The image being edited, expanded or upscaled (the first input).
    pub fn subject(&self) -> Option<&InputImage> {
        self.images.first()
    }
}

/// One input image. The bytes travel only in memory: serialized (deferred jobs, logs of
/// a request) an input is its hash and size, and the engine reloads the bytes from the
/// library by hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputImage {
    pub role: vocab::InputRole,
    /// Lowercase hex sha256 of `bytes`.
    pub sha256: String,
    pub mime: vocab::ImageMime,
    pub width: u32,
    pub height: u32,
    #[serde(skip)]
    pub bytes: Arc<[u8]>,
}

impl fmt::Debug for InputImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InputImage")
            .field("role", &self.role)
            .field("sha256", &self.sha256)
            .field("mime", &self.mime)
            .field("size", &format_args!("{}x{}", self.width, self.height))
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Pixels added on each side of an expanded image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Margins {
    pub left: u32,
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
}

/// One decoded, verified image.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedImage {
    pub bytes: Vec<u8>,
    pub mime: vocab::ImageMime,
    pub width: u32,
    pub height: u32,
    pub seed: Option<u64>,
}

impl fmt::Debug for GeneratedImage {
    // Never dump megabytes of image bytes into a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedImage")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("mime", &self.mime)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("seed", &self.seed)
            .finish()
    }
}

/// Token counts by class, as reported by the provider (0 when not reported).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCounts {
    pub text_in: u64,
    pub image_in: u64,
    pub cached_in: u64,
    pub image_out: u64,
    pub text_out: u64,
    pub thinking: Option<u64>,
}

impl TokenCounts {
    pub fn is_empty(&self) -> bool {
        self.text_in == 0
            && self.image_in == 0
            && self.cached_in == 0
            && self.image_out == 0
            && self.text_out == 0
            && self.thinking.unwrap_or(0) == 0
    }
}

/// What the provider said it used. `pricing` turns this into money; it is stored raw
/// so costs can be recomputed when prices change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RawUsage {
    pub tokens: TokenCounts,
    /// Active compute seconds (Replicate `metrics.predict_time`, fal inference time).
    pub gpu_seconds: Option<Decimal>,
    /// Provider credits charged (BFL submit `cost`). Not converted to USD here.
    pub credits: Option<Decimal>,
    /// Money the provider says it charged, in USD (OpenRouter `usage.cost`).
    pub reported_usd: Option<Decimal>,
    /// Provider billing units (fal `x-fal-billable-units`).
    pub billable_units: Option<Decimal>,
    /// What a gateway said the call cost (LiteLLM `x-litellm-response-cost`, an
    /// aggregator's `usage.cost`, a configured header or JSON path): recorded beside
    /// the offer's own price for reconciliation, never charged in its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_reported_usd: Option<Decimal>,
    pub wall_ms: u64,
    /// Billing-relevant response headers only (allow-listed; never auth headers).
    pub headers: BTreeMap<String, String>,
    /// The usage/metrics object as received.
    pub raw: serde_json::Value,
}

/// A note that the provider filtered part of the output without failing the call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyNote {
    pub message: String,
    /// How many requested images are missing or were blanked by a filter.
    pub filtered: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateOutput {
    pub images: Vec<GeneratedImage>,
    pub remote_id: Option<String>,
    pub usage: RawUsage,
    pub safety: Option<SafetyNote>,
}

/// An async job at the provider, stored by the engine so it can be polled again after a
/// timeout or crash instead of being resubmitted (which would pay twice). It holds
/// everything `resume` needs: the provider's own polling URL (BFL's regional
/// `polling_url`, fal's status/response URLs, Replicate's `urls.get`) and, in `extra`,
/// what the submit answer said it costs (`submit_credits` for BFL's `cost`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteJob {
    pub provider: String,
    pub model: String,
    pub remote_id: String,
    pub poll_url: Option<String>,
    #[serde(default)]
    pub extra: serde_json::Value,
}

/// Progress of one call, for the UI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProviderProgress {
    /// The provider named its job: `job` is the full resume handle, saved by the engine
    /// before the next network step.
    Submitted {
        job: Box<RemoteJob>,
    },
    Queued {
        position: Option<u64>,
    },
    Running,
    Polling {
        attempt: u32,
    },
    Downloading,
}

/// A cheap, cloneable progress callback.
#[derive(Clone)]
pub struct ProgressSink(Arc<dyn Fn(ProviderProgress) + Send + Sync>);

impl ProgressSink {
    pub fn new(f: impl Fn(ProviderProgress) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }
    /// A sink that drops every event.
    pub fn noop() -> Self {
        Self::new(|_| {})
    }
    pub fn emit(&self, event: ProviderProgress) {
        (self.0)(event)
    }
}

impl Default for ProgressSink {
    fn default() -> Self {
        Self::noop()
    }
}

impl fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// A balance the provider reports for the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    pub amount: Decimal,
    /// `"usd"` or `"credits"`.
    pub unit: String,
}

/// Result of a cheap authenticated call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum KeyCheck {
    Valid { balance: Option<Balance> },
    Invalid { message: String },
    Unreachable { message: String },
}
