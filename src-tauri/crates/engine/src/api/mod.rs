//! The engine's public data shapes: what the Tauri shell sends over IPC and what
//! `proofsheet-cli --json` prints. Money is `Decimal` (a decimal string on the wire,
//! field names end in `_usd`); ids are strings; counts are u32 so they stay plain
//! numbers in TypeScript. Add fields freely; never rename (DESIGN.md §5).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

mod drift;
mod gallery;
mod gateway;
mod inputs;
mod invoice;
mod settings;
mod team;

pub use drift::*;
pub use gallery::*;
pub use gateway::*;
pub(crate) use inputs::generate_op;
pub use inputs::*;
pub use invoice::*;
pub use settings::*;
pub use team::*;
pub use vocab::{
    AttemptOutcome, Availability, BillingKind, CatalogCheckOutcome, CatalogOrigin, DataTopic,
    DeferredMode, DiscoveryStatus, DriftStatus, ErrorField, EstimateConfidence, EstimateSource,
    GatewayDialect, GatewayPricing, LifecycleField, LifecycleStatus, OfferProvider, ProviderId,
};

ipc_type! {
    /// Draft (cheap) or final (premium).
    #[serde(rename_all = "snake_case")]
    pub enum Tier { Draft, Final }

    /// Which offers a request is priced or routed on.
    #[serde(rename_all = "snake_case")]
    pub enum TierFilter { Draft, Final, All }

    /// Parameters shared by estimate and generate.
    pub struct RequestParams {
        pub prompt: String,
        pub negative_prompt: Option<String>,
        pub width: u32,
        pub height: u32,
        pub quality: Option<String>,
        pub n: u32,
        pub steps: Option<u32>,
        /// None means "random"; the engine picks one and records it.
        pub seed: Option<u32>,
        /// What is done with `inputs`; absent: `generate` (text to image, inputs if any
        /// are references).
        #[serde(default = "generate_op")]
        pub operation: Operation,
        /// Input images in the order sent: the subject (edited, expanded, upscaled) first.
        #[serde(default)]
        pub inputs: Vec<InputRef>,
        /// A PNG the size of the subject, alpha 0 where to edit (`inpaint`).
        #[serde(default)]
        pub mask: Option<InputSource>,
        #[serde(default)]
        pub expand: Option<ExpandMargins>,
        /// Upscale factor.
        #[serde(default)]
        pub scale: Option<u32>,
        /// How faithfully the model keeps the inputs (OpenAI `input_fidelity`).
        #[serde(default)]
        pub fidelity: Option<InputFidelity>,
    }

    pub struct EstimateInput {
        pub params: RequestParams,
        /// When set, dedup hits and the budget impact are computed for this project.
        pub project: Option<String>,
        pub tier: TierFilter,
        /// Explicit offer ids; empty means every offer of `tier`.
        pub offers: Vec<String>,
    }

    pub struct OfferEstimate {
        pub offer_id: String,
        pub provider: OfferProvider,
        pub model: String,
        pub display_name: String,
        pub tier: Tier,
        /// Formula kind, e.g. "flat_per_image", "tokens", "per_megapixel".
        pub billing: BillingKind,
        pub expected_usd: Decimal,
        pub worst_case_usd: Decimal,
        pub per_image_usd: Decimal,
        pub supported: bool,
        /// Why the offer cannot serve this request (when `supported` is false).
        pub reason: Option<String>,
        /// Snapped or ignored parameters, e.g. "seed ignored by this model".
        pub notes: Vec<String>,
        /// How the price was derived, one line per step.
        pub lines: Vec<String>,
        /// How far the figure can be trusted ("calibrated": `calibration_samples`).
        pub confidence: EstimateConfidence,
        /// Where `expected_usd` comes from. With "unknown" the amounts are the user's
        /// price cap for the offer, or zero when none is set: never show them as a price
        /// ($0); show "unknown".
        pub price_source: EstimateSource,
        /// Settled costs behind a "calibrated" figure.
        pub calibration_samples: Option<u32>,
        /// False when no price is known (`price_source` "unknown").
        pub price_known: bool,
        /// "retiring on 2026-12-01, use openai:gpt-image-2.5-sunburst", "shut down on …,
        /// use …", "deprecated since …"; None for live offers. Also the first note.
        pub lifecycle: Option<String>,
        /// The offer to use instead, when the model retires or has shut down.
        pub replacement: Option<String>,
        /// The same request is already in the gallery: reuse costs $0.
        pub dedup_hit: bool,
        /// A key for this provider is available (keychain or environment).
        pub has_key: bool,
        /// Whether the provider can be called now, and if not, what is missing.
        pub availability: Availability,
        /// How faithfully this offer delivers the request: 0 = the size asked for,
        /// 1 = snapped to the same aspect ratio, 2 = snapped to another shape. "Cheapest"
        /// compares offers of the best fit only (a 1024² image is not a cheap 4096²).
        pub fit: u32,
        /// Set while the provider cools down after repeated failures: Draft/Final skip
        /// it and use the next usable offer. E.g. "openai failed repeatedly and is
        /// cooling down for 21 s".
        pub cooling_down: Option<String>,
        /// Settled costs of this offer have drifted from its estimates (issue 14 §5);
        /// None when they agree, or the user accepted or ignored the drift.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub drift: Option<DriftMark>,
        /// The cheaper "later" price (a batch tier), when the offer has one this app can
        /// send to: the canvas shows "now $X / later $Y (within 24 h)".
        #[serde(default)]
        pub deferred: Option<DeferredPrice>,
    }

    pub struct EstimateResult {
        /// Cheapest first; unsupported offers last, with their reason.
        pub estimates: Vec<OfferEstimate>,
        /// Budget of `EstimateInput::project`, with what the cheapest supported
        /// offer of the tier would add.
        pub budget: Option<BudgetView>,
    }

    #[serde(rename_all = "snake_case")]
    pub enum BudgetPeriod { Total, Monthly }

    pub struct BudgetView {
        pub project: String,
        pub budget_usd: Option<Decimal>,
        pub spent_usd: Decimal,
        pub reserved_usd: Decimal,
        pub remaining_usd: Option<Decimal>,
        pub saved_usd: Decimal,
        pub hard: bool,
        /// Warning thresholds as fractions of the budget, e.g. ["0.5", "0.8"].
        pub warn_at: Vec<Decimal>,
        /// Worst case this request would reserve (when known).
        pub request_usd: Option<Decimal>,
        /// False when a hard budget cannot take `request_usd`.
        pub request_fits: bool,
        /// The part of `spent_usd` the providers never confirmed (outcome unknown, job
        /// abandoned): counted as spent until confirmed or refunded.
        pub unconfirmed_usd: Decimal,
        /// Spent is above the budget (a provider billed more than was held); a hard
        /// budget refuses new work until it is raised.
        pub over_budget: bool,
    }

    pub struct ProjectInput {
        pub name: String,
        pub client: Option<String>,
        pub budget_usd: Option<Decimal>,
        pub period: BudgetPeriod,
        pub hard: bool,
        pub warn_at: Vec<Decimal>,
        /// Ordered offer ids; empty means the default chain (cheapest capable).
        pub draft_chain: Vec<String>,
        /// Ordered offer ids; empty means the default chain (premium).
        pub final_chain: Vec<String>,
        /// Fall back to the next offer after a safety block (default: stop).
        pub allow_safety_fallback: bool,
        /// Check prompts with OpenAI's free moderation endpoint first.
        pub preflight_moderation: bool,
        /// The quality promoted finals render at, e.g. "high"; None (or absent): the
        /// final model's best standard quality.
        #[serde(default)]
        pub final_quality: Option<String>,
    }

    pub struct ProjectView {
        pub name: String,
        pub client: Option<String>,
        pub budget_usd: Option<Decimal>,
        pub period: BudgetPeriod,
        pub hard: bool,
        pub warn_at: Vec<Decimal>,
        pub spent_usd: Decimal,
        pub reserved_usd: Decimal,
        pub remaining_usd: Option<Decimal>,
        pub saved_usd: Decimal,
        pub draft_chain: Vec<String>,
        pub final_chain: Vec<String>,
        pub allow_safety_fallback: bool,
        pub preflight_moderation: bool,
        /// The quality promoted finals render at; None: the final model's best standard.
        pub final_quality: Option<String>,
        /// Images in the gallery (not requests: failed and refused ones made none).
        pub generations: u32,
        /// Hidden from everyday lists; nothing is deleted.
        pub archived: bool,
        /// The part of `spent_usd` the providers never confirmed.
        pub unconfirmed_usd: Decimal,
        /// Spent is above the budget; a hard budget refuses new work until raised.
        pub over_budget: bool,
        /// Offers of the draft or final chain that are shut down or retiring, with the
        /// replacement to offer (the UI warns in Projects and on the Canvas).
        pub chain_warnings: Vec<ChainWarning>,
        /// A team project: the budget figures above are the team's (issue 18).
        #[serde(default)]
        pub team: Option<TeamMeterView>,
    }

    /// One offer of a project chain whose model is retiring or has shut down.
    pub struct ChainWarning {
        /// Which chain of the project holds it.
        pub chain: Tier,
        pub offer_id: String,
        /// Never `live` here.
        pub status: LifecycleStatus,
        /// "shut down on 2026-10-23, use openai:gpt-image-2.5-sunburst".
        pub message: String,
        /// The live offer to put in its place, when the catalog names one.
        pub replacement: Option<String>,
    }

    /// Route on the project's draft chain, final chain, or one explicit offer.
    #[serde(rename_all = "snake_case", tag = "kind", content = "offer_id")]
    pub enum Route { Draft, Final, Offer(String) }

    pub struct GenerateInput {
        pub project: String,
        pub params: RequestParams,
        pub route: Route,
        /// "Regenerate anyway": bypass dedup.
        pub no_dedup: bool,
    }

    pub struct ImageView {
        /// Absolute path of the stored file.
        pub path: String,
        pub thumb_path: Option<String>,
        pub hash: String,
        pub width: u32,
        pub height: u32,
        pub mime: ImageMime,
        pub seed: Option<u32>,
    }

    pub struct AttemptView {
        pub provider: OfferProvider,
        pub model: String,
        pub offer_id: String,
        pub outcome: AttemptOutcome,
        pub billed: bool,
        pub cost_usd: Decimal,
        pub error: Option<String>,
        pub duration_ms: u32,
        /// Its charge is booked at the estimate but the provider never confirmed it
        /// (outcome unknown); confirm or refund it.
        pub unconfirmed: bool,
        /// Why its charge needs a look (e.g. a reported cost far from the estimate).
        pub review: Option<String>,
        /// Id for `charge_confirm` / `charge_refund`.
        pub attempt_id: String,
        /// The call's estimate when it was sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub expected_usd: Option<Decimal>,
        /// What the provider (or gateway) said it charged, when it reports one: the
        /// reconciliation of this attempt against `expected_usd`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reported_usd: Option<Decimal>,
        /// What a gateway said this call cost (LiteLLM's response-cost header, an
        /// aggregator's `usage.cost`), recorded beside `cost_usd` which our price decided.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub gateway_reported_usd: Option<Decimal>,
    }

    #[serde(rename_all = "snake_case")]
    /// `deferred`: sent to a provider's batch API (or held for a cheap window); it lands
    /// in the gallery later, polled in the background (`Engine::deferred_jobs`).
    pub enum GenerationStatus { Queued, Running, Succeeded, Failed, Cancelled, Reused, Deferred }

    /// The result of one generation; the CLI prints exactly this with `--json`.
    pub struct GenerationResult {
        pub generation_id: String,
        pub status: GenerationStatus,
        pub dedup_hit: bool,
        pub cost_usd: Decimal,
        pub saved_usd: Decimal,
        pub images: Vec<ImageView>,
        pub attempts: Vec<AttemptView>,
        /// Set when the generation failed: what happened and what to do next.
        pub error: Option<String>,
        /// A soft-budget overrun or a warning threshold crossed by this generation's
        /// reservation, in words for the designer.
        pub budget_warning: Option<String>,
        /// The part of `cost_usd` the provider never confirmed.
        pub unconfirmed_usd: Decimal,
        /// The input images it used, in order (hash and role).
        #[serde(default)]
        pub inputs: Vec<InputHash>,
    }

    /// A request of this library waiting for a team admin's approval (issue 18).
    pub struct AwaitingApprovalView {
        pub approval_id: String,
        pub project: String,
        pub prompt: String,
        /// The worst case its reservation would hold.
        pub estimate_usd: Decimal,
        /// RFC 3339, when it was asked.
        pub requested_at: String,
    }

    /// Where a team approval request stands.
    #[serde(rename_all = "snake_case")]
    pub enum ApprovalStateView { Pending, Approved, Refused, Cancelled, Claimed, Expired }

    /// A team approval request as admins (and its requester) see it.
    pub struct TeamApprovalView {
        pub approval_id: String,
        pub project: String,
        pub requester: String,
        pub machine: String,
        pub prompt_summary: String,
        pub offer_id: String,
        /// The worst case its reservation would hold.
        pub estimate_usd: Decimal,
        pub state: ApprovalStateView,
        pub created_at: String,
        pub expires_at: String,
        pub decided_by: Option<String>,
        pub decided_at: Option<String>,
        pub reason: Option<String>,
    }

    /// A team project's approval threshold (admins): `None` turns approval off.
    pub struct ApprovalThresholdInput {
        pub project: String,
        pub threshold_usd: Option<Decimal>,
    }

    /// The approval requests this member may see; `can_decide`: this member is an admin.
    pub struct TeamApprovals {
        pub can_decide: bool,
        pub items: Vec<TeamApprovalView>,
    }

    /// Progress of one job, delivered in order through the job's channel.
    #[serde(rename_all = "snake_case", tag = "stage")]
    pub enum JobEvent {
        Queued { job_id: String },
        Estimating,
        /// A team project's approval threshold is exceeded: nothing is reserved or sent
        /// until an admin approves request `approval_id` (worst case `estimate_usd`).
        AwaitingApproval { approval_id: String, estimate_usd: Decimal },
        /// `warning`: a budget threshold crossed or a soft budget overrun.
        Reserved { amount_usd: Decimal, warning: Option<String> },
        WaitingRateLimit { provider: OfferProvider, seconds: u32 },
        Running { provider: OfferProvider, model: String, attempt: u32 },
        Polling { provider: OfferProvider, remote_id: String, elapsed_s: u32 },
        Storing,
        Done { result: GenerationResult },
        Failed { message: String, result: Option<GenerationResult> },
    }

    pub struct PromotePreview {
        pub generation_id: String,
        pub draft_cost_usd: Decimal,
        /// The final chain priced for the draft's prompt, size and seed at the final
        /// quality (`decision.quality`).
        pub estimates: Vec<OfferEstimate>,
        /// Expected price of the first supported final offer minus the draft's cost.
        pub difference_usd: Decimal,
        /// What pressing Promote runs: the final offer, its price and quality, or why
        /// it cannot run. The same decision the promote job routes by.
        pub decision: RouteDecision,
        /// What will differ from the draft, in words: quality, model, size, and whether
        /// the draft's seed can be reused ("… ignores seeds: expect a new image").
        pub differences: Vec<String>,
        /// This draft already has a final (see `children` of its detail).
        pub already_promoted: bool,
    }

    /// A canvas size preset some usable offer makes exactly (never a size every usable
    /// offer would snap).
    pub struct SizePreset {
        pub width: u32,
        pub height: u32,
        /// Aspect in words, e.g. "square", "3:2", "16:9".
        pub hint: String,
        /// Display names of the usable offers that make it exactly.
        pub offers: Vec<String>,
    }

    pub struct RoutePreviewInput {
        pub project: String,
        pub params: RequestParams,
        pub route: Route,
    }

    /// An offer of a route that will not be tried, and why.
    pub struct SkippedOffer {
        pub offer_id: String,
        pub display_name: String,
        pub reason: String,
    }

    /// The engine's one routing decision for a request on a route, before anything is
    /// sent: the offer pressing Draft / Final / Use would run (with what is snapped or
    /// ignored) or why nothing can run and what to do about it.
    pub struct RouteDecision {
        pub can_run: bool,
        /// The offer that runs first (or serves it from the gallery when `dedup_hit`).
        pub offer_id: Option<String>,
        pub display_name: Option<String>,
        pub provider: Option<OfferProvider>,
        pub expected_usd: Option<Decimal>,
        /// What the budget holds while the job runs (worst case over the chain).
        pub reserve_usd: Option<Decimal>,
        /// Size and quality that will be sent to `offer_id`.
        pub width: u32,
        pub height: u32,
        pub quality: Option<String>,
        /// Snapped or ignored parameters, e.g. "size snapped to 1536×1024".
        pub notes: Vec<String>,
        /// The gallery already holds this result: running costs $0.
        pub dedup_hit: bool,
        /// The offer takes the seed (a fixed seed reproduces the image).
        pub seed_honoured: bool,
        /// Why it cannot run (when `can_run` is false).
        pub reason: Option<String>,
        /// What to do about it.
        pub fix: Option<String>,
        /// Offers of the chain passed over, in order.
        pub skipped: Vec<SkippedOffer>,
    }

    pub struct SpendPoint { pub key: String, pub spend_usd: Decimal, pub count: u32 }

    pub struct DashboardData {
        pub total_spend_usd: Decimal,
        pub by_day: Vec<SpendPoint>,
        pub by_provider: Vec<SpendPoint>,
        pub by_model: Vec<SpendPoint>,
        pub by_project: Vec<SpendPoint>,
        /// Money spent on attempts that failed (billed failures).
        pub failed_spend_usd: Decimal,
        /// Money spent on attempts that were retried or fell back.
        pub retry_spend_usd: Decimal,
        pub saved_usd: Decimal,
        pub estimated_usd: Decimal,
        pub actual_usd: Decimal,
        /// Offers whose settled costs drifted from their estimates, with the evidence.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub drifts: Vec<DriftView>,
    }

    pub struct OfferView {
        pub offer_id: String,
        pub provider: OfferProvider,
        pub model: String,
        pub display_name: String,
        pub tier: Tier,
        pub billing: BillingKind,
        pub source: String,
        pub verified_on: String,
        /// Where it stands today.
        pub status: LifecycleStatus,
        pub deprecated_on: Option<String>,
        pub shutdown_on: Option<String>,
        /// The live offer to use instead (the catalog's `replaced_by`, followed past
        /// offers that have shut down too).
        pub replaced_by: Option<String>,
        /// `published` or `reported` (a quote); `unknown` when the offer has no price
        /// (never `calibrated`: that is an estimate's source, not the offer's).
        pub price_basis: EstimateSource,
    }
    /// A charge booked at the estimate that the provider never confirmed.
    pub struct ChargeView {
        /// The attempt id: pass it to `charge_confirm` / `charge_refund`.
        pub id: String,
        pub generation_id: String,
        pub project: String,
        pub prompt: String,
        pub provider: OfferProvider,
        pub model: String,
        pub amount_usd: Decimal,
        /// Why it is unconfirmed.
        pub reason: Option<String>,
        pub review: Option<String>,
        pub created_at: String,
    }

    /// What start-up reconciliation did with generations a previous process left
    /// running (`Engine::recover`).
    pub struct RecoveryReport {
        /// Generations whose provider job was polled again and finished.
        pub resumed: Vec<String>,
        /// Generations marked failed (nothing to resume), reservations released.
        pub failed: Vec<String>,
        /// Provider jobs still running (or not pollable yet); polled at the next start.
        pub still_running: Vec<String>,
        pub charged_usd: Decimal,
        pub released_usd: Decimal,
        pub messages: Vec<String>,
    }

    /// The price of sending a request "later" on one offer.
    pub struct DeferredPrice {
        pub expected_usd: Decimal,
        /// What a deferred job reserves.
        pub worst_case_usd: Decimal,
        /// The provider's promised turnaround.
        pub within_hours: u32,
        /// Off the standard price, in percent (e.g. "50").
        pub saving_pct: Decimal,
        pub mode: DeferredMode,
        /// Where the deferred price is published.
        pub source: Option<String>,
    }

    /// A generation sent to be delivered later, until it lands (or fails).
    pub struct DeferredJobView {
        pub generation_id: String,
        pub project: String,
        pub prompt: String,
        pub offer_id: String,
        pub provider: OfferProvider,
        pub model: String,
        /// The provider's batch id (the resume handle).
        pub remote_id: String,
        /// RFC 3339.
        pub submitted_at: String,
        /// RFC 3339: submitted + the provider's window.
        pub expected_by: String,
        /// Held for it (at the deferred price) until it lands.
        pub reserved_usd: Decimal,
        pub expected_usd: Decimal,
    }
}

// The store keeps its own tier type (it knows nothing of IPC); the two convert here,
// next to the IPC type, so any module can convert without naming `convert`.
impl From<store::Tier> for Tier {
    fn from(t: store::Tier) -> Self {
        match t {
            store::Tier::Draft => Tier::Draft,
            store::Tier::Final => Tier::Final,
        }
    }
}

impl From<&Tier> for store::Tier {
    fn from(t: &Tier) -> Self {
        match t {
            Tier::Draft => store::Tier::Draft,
            Tier::Final => store::Tier::Final,
        }
    }
}
