//! Image inputs and iteration (issue 15): where an input comes from, what the library
//! keeps of it, the lineage of a result, and the ways to finalize a draft.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use vocab::{ImageMime, InputFidelity, InputRole, Operation};

use super::{GenerationStatus, OfferEstimate, RequestParams};

/// `operation` when a request names none: text to image.
pub(crate) fn generate_op() -> Operation {
    Operation::Generate
}

ipc_type! {
    /// Where an input image comes from.
    #[serde(rename_all = "snake_case", tag = "kind")]
    pub enum InputSource {
        /// An image of the gallery: `<generation_id>#<index>`.
        Gallery { generation_id: String, index: u32 },
        /// Bytes imported with `import_input_image` (a file, a paste, a drop), by the
        /// sha256 it returned.
        Blob { sha256: String },
    }

    /// One input image of a request, in the order sent (the subject first).
    pub struct InputRef {
        pub source: InputSource,
        pub role: InputRole,
    }

    /// Pixels added on each side (`expand`).
    pub struct ExpandMargins {
        pub left: u32,
        pub top: u32,
        pub right: u32,
        pub bottom: u32,
    }

    /// An image accepted into the library as an input (not a gallery result).
    pub struct ImportedImage {
        pub sha256: String,
        pub width: u32,
        pub height: u32,
        /// Sniffed from the bytes.
        pub mime: ImageMime,
    }

    /// An input of a generation as `generate --json` prints it.
    pub struct InputHash {
        pub hash: String,
        pub role: InputRole,
    }

    /// An input image a result used, with where to show it from.
    pub struct InputView {
        /// 0-based position in the request (the subject is 0).
        pub position: u32,
        pub role: InputRole,
        pub hash: String,
        pub mime: ImageMime,
        pub width: u32,
        pub height: u32,
        /// The gallery image it came from, when it did.
        pub generation_id: Option<String>,
        pub index: Option<u32>,
        /// Absolute path of the stored file, when the library still has it.
        pub path: Option<String>,
        pub thumb_path: Option<String>,
    }

    /// A result that used an image of this generation as an input.
    pub struct LineageLink {
        pub generation_id: String,
        pub operation: Operation,
        /// The part the image played there.
        pub role: InputRole,
        pub status: GenerationStatus,
        /// Draft or final: the tree tags each relative.
        pub tier: super::Tier,
        pub created_at: String,
        pub thumb_path: Option<String>,
    }

    /// Where a result comes from and what was made from it: the detail panel's tree
    /// (draft → edits → final).
    pub struct Lineage {
        pub operation: Operation,
        /// This generation's tier (its relatives' are on `used_by`).
        pub tier: super::Tier,
        /// The input images this result used, in order (subject first).
        pub inputs: Vec<InputView>,
        /// The mask over the subject (alpha 0 = edit), when one was sent.
        pub mask: Option<InputView>,
        pub expand: Option<ExpandMargins>,
        pub scale: Option<u32>,
        pub fidelity: Option<InputFidelity>,
        /// Results that used one of this generation's images as an input.
        pub used_by: Vec<LineageLink>,
    }

    /// How a draft becomes a final.
    #[serde(rename_all = "snake_case")]
    pub enum FinalizeHow {
        /// Re-render on a premium model with the draft as the image to edit (keeps the
        /// composition).
        Reference,
        /// Enlarge the draft itself (keeps every pixel's content).
        Upscale,
        /// Re-roll the prompt on the final chain (today's promote; a new image).
        Reroll,
    }

    /// How close a final is expected to stay to the draft.
    #[serde(rename_all = "snake_case")]
    pub enum DraftFidelity { High, Medium, Low }

    /// One way to finalize a draft, priced.
    pub struct FinalizeOption {
        pub how: FinalizeHow,
        /// The offer it would run on (the first usable one of the final chain that can do
        /// the operation, or the one asked for).
        pub offer_id: Option<String>,
        pub display_name: Option<String>,
        pub estimate: Option<OfferEstimate>,
        pub expected_usd: Option<Decimal>,
        pub worst_case_usd: Option<Decimal>,
        pub fidelity: DraftFidelity,
        /// The rule behind `fidelity`, in words.
        pub fidelity_reason: String,
        /// Expected seconds (settled history of the offer, else the operation's typical).
        pub expected_seconds: Option<u32>,
        pub can_run: bool,
        /// Why not (when `can_run` is false) and what to do.
        pub reason: Option<String>,
        /// The request it runs.
        pub params: RequestParams,
        /// Other offers that can do it, priced (cheapest first).
        pub alternatives: Vec<OfferEstimate>,
    }

    pub struct FinalizeOptions {
        pub generation_id: String,
        pub draft_cost_usd: Decimal,
        /// reference, upscale, reroll: in that order.
        pub options: Vec<FinalizeOption>,
        /// Finals already made from this draft.
        pub finals: Vec<String>,
    }

    pub struct FinalizeInput {
        pub generation_id: String,
        /// Which image of the draft (default 0).
        #[serde(default)]
        pub index: Option<u32>,
        pub how: FinalizeHow,
        /// Run on this offer instead of the final chain.
        pub offer: Option<String>,
    }

    pub struct UpscaleInput {
        pub generation_id: String,
        /// Which image of the generation (default 0).
        #[serde(default)]
        pub index: Option<u32>,
        /// Factor; default 2.
        pub scale: Option<u32>,
        pub offer: Option<String>,
    }
}

impl RequestParams {
    /// Text to image at `width`×`height`, one image, nothing else set.
    pub fn text(prompt: impl Into<String>, width: u32, height: u32) -> Self {
        Self {
            prompt: prompt.into(),
            negative_prompt: None,
            width,
            height,
            quality: None,
            n: 1,
            steps: None,
            seed: None,
            operation: Operation::Generate,
            inputs: Vec::new(),
            mask: None,
            expand: None,
            scale: None,
            fidelity: None,
        }
    }

    /// True when the request carries nothing but text.
    pub fn is_text_only(&self) -> bool {
        self.operation == Operation::Generate && self.inputs.is_empty() && self.mask.is_none()
    }
}
