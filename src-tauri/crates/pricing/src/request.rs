//! The request being priced and the request a provider will actually receive.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Width × height of an image (reference inputs, returned outputs).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageDims {
    pub width: u32,
    pub height: u32,
}

/// Latency / service tier. Offers list the multipliers they support.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[serde(rename_all = "snake_case")]
pub enum LatencyTier {
    #[default]
    Standard,
    Fast,
    Priority,
    /// Asynchronous batch APIs (OpenAI, Gemini: half price).
    Batch,
}

impl LatencyTier {
    pub fn as_str(self) -> &'static str {
        match self {
            LatencyTier::Standard => "standard",
            LatencyTier::Fast => "fast",
            LatencyTier::Priority => "priority",
            LatencyTier::Batch => "batch",
        }
    }
}

fn one() -> u32 {
    1
}

/// What the designer asked for, before any provider's constraints are applied.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EstimateRequest {
    pub prompt: String,
    #[serde(default)]
    pub negative_prompt: Option<String>,
    pub width: u32,
    pub height: u32,
    /// `low` / `medium` / `high` / `standard` / `hd` / `auto`; `None` = the offer's default.
    #[serde(default)]
    pub quality: Option<String>,
    #[serde(default = "one")]
    pub n: u32,
    #[serde(default)]
    pub steps: Option<u32>,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Every input image, the subject (the image edited, expanded or upscaled) first.
    #[serde(default)]
    pub reference_images: Vec<ImageDims>,
    #[serde(default)]
    pub latency: LatencyTier,
    /// What is done with the inputs; `generate` prices as text to image plus references.
    #[serde(default = "generate")]
    pub operation: vocab::Operation,
    /// OpenAI `input_fidelity` (input tokens per image depend on it).
    #[serde(default)]
    pub input_fidelity: Option<vocab::InputFidelity>,
    /// A mask over the subject is sent (`inpaint`).
    #[serde(default)]
    pub mask: bool,
    /// Pixels added left, top, right, bottom (`expand`).
    #[serde(default)]
    pub expand: Option<[u32; 4]>,
    /// Upscale factor (`upscale`).
    #[serde(default)]
    pub scale: Option<u32>,
    /// The designer gave no prompt (an upscale or erase needs none): offers whose
    /// operation needs one refuse. Not read from `prompt`, which pricing may be asked to
    /// price empty (its tokens left out).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_prompt: bool,
}

fn generate() -> vocab::Operation {
    vocab::Operation::Generate
}

impl EstimateRequest {
    /// A plain request: prompt, size, n = 1, everything else default.
    pub fn new(prompt: impl Into<String>, width: u32, height: u32) -> Self {
        Self {
            prompt: prompt.into(),
            negative_prompt: None,
            width,
            height,
            quality: None,
            n: 1,
            steps: None,
            seed: None,
            reference_images: Vec::new(),
            latency: LatencyTier::Standard,
            operation: vocab::Operation::Generate,
            input_fidelity: None,
            mask: false,
            expand: None,
            scale: None,
            no_prompt: false,
        }
    }
}

/// The request after snapping to one offer's capabilities: exactly what the engine
/// should send, and what was priced.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ResolvedRequest {
    pub width: u32,
    pub height: u32,
    /// The provider's own name for the size when it takes one (`"16:9"`, `"2K 1:1"`).
    pub size_label: Option<Arc<str>>,
    pub quality: Option<Arc<str>>,
    /// Total images.
    pub n: u32,
    /// Images per provider call (≤ the offer's `max_n`).
    pub n_per_call: u32,
    /// Provider calls needed to make `n` images.
    pub calls: u32,
    pub steps: Option<u32>,
    /// `None` when the model ignores seeds.
    pub seed: Option<u64>,
    /// Whether the negative prompt is sent.
    pub negative_prompt: bool,
    pub reference_images: u32,
    pub latency: LatencyTier,
    /// What is done with the input images.
    #[serde(default = "generate")]
    pub operation: vocab::Operation,
    /// `input_fidelity` to send (`None` when there are no inputs or the model takes none).
    #[serde(default)]
    pub input_fidelity: Option<vocab::InputFidelity>,
    /// The upscale factor the provider will apply (`upscale`).
    #[serde(default)]
    pub scale: Option<u32>,
}

impl ResolvedRequest {
    /// Key grouping history samples for calibration: identical keys mean "same offer,
    /// same parameters" (prompt text excluded; size, quality, n, steps, refs, tier included).
    pub fn calibration_key(&self) -> String {
        let base = format!(
            "{}x{}|q={}|n={}|steps={}|refs={}|{}",
            self.width,
            self.height,
            self.quality.as_deref().unwrap_or("-"),
            self.n,
            self.steps.map_or_else(|| "-".to_owned(), |s| s.to_string()),
            self.reference_images,
            self.latency.as_str()
        );
        // Text-to-image keys stay as they were before operations existed.
        if self.operation == vocab::Operation::Generate && self.reference_images == 0 {
            return base;
        }
        format!(
            "{base}|op={}|fid={}|x{}",
            self.operation,
            self.input_fidelity.map_or("-", |f| f.as_str()),
            self.scale.unwrap_or(1)
        )
    }
}
