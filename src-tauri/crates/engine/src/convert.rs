//! Domain records → the api shapes the UI and the CLI see.

use pricing::{Estimate, Offer, OfferTier};
use rust_decimal::Decimal;
use store::{AttemptRecord, GenerationRecord, ImageRecord, Status};

use crate::api::{
    AttemptView, BudgetView, ChargeView, ExpandMargins, GenerationResult, GenerationStatus,
    ImageView, InputHash, InputRef, InputSource, OfferEstimate, OfferView, RequestParams,
    SpendPoint, Tier,
};
use store::CanonicalInputs;

pub(crate) fn tier(t: OfferTier) -> Tier {
    match t {
        OfferTier::Draft => Tier::Draft,
        OfferTier::Final => Tier::Final,
    }
}

pub(crate) fn store_tier(t: store::Tier) -> Tier {
    t.into()
}

pub(crate) fn to_store_tier(t: &Tier) -> store::Tier {
    t.into()
}

pub(crate) fn status(s: Status) -> GenerationStatus {
    match s {
        Status::Queued => GenerationStatus::Queued,
        Status::Running => GenerationStatus::Running,
        Status::Succeeded => GenerationStatus::Succeeded,
        Status::Failed => GenerationStatus::Failed,
        Status::Cancelled => GenerationStatus::Cancelled,
        Status::Reused => GenerationStatus::Reused,
    }
}

pub(crate) fn offer_view(catalog: &pricing::Catalog, o: &Offer) -> OfferView {
    let today = pricing::catalog_date(chrono::Utc::now());
    OfferView {
        status: o.lifecycle_status(today),
        deprecated_on: o.deprecated_on.map(|d| d.to_string()),
        shutdown_on: o.shutdown_on.map(|d| d.to_string()),
        replaced_by: o
            .replaced_by
            .as_ref()
            .and_then(|_| catalog.live_replacement(o, today))
            .map(|r| r.to_string()),
        price_basis: if o.formula.is_unknown() {
            vocab::EstimateSource::Unknown
        } else {
            match o.price_basis {
                pricing::PriceBasis::Published => vocab::EstimateSource::Published,
                pricing::PriceBasis::Reported => vocab::EstimateSource::Reported,
            }
        },
        offer_id: o.id.to_string(),
        provider: o.provider,
        model: o.model.to_string(),
        display_name: o.display_name.to_string(),
        tier: tier(o.tier),
        billing: o.formula.kind(),
        source: o.source.clone(),
        verified_on: o.verified_on.to_string(),
    }
}

/// `fit` is [`crate::routing::fit`]; `cooling_down` the provider's open breaker, if any.
pub(crate) fn estimate_view(
    e: &Estimate,
    dedup_hit: bool,
    availability: vocab::Availability,
    fit: u8,
    cooling_down: Option<String>,
) -> OfferEstimate {
    let lifecycle = e.lifecycle.as_ref().map(ToString::to_string);
    let mut notes: Vec<String> = Vec::with_capacity(e.notes.len() + 1);
    // A retiring or shut-down model is said first, wherever notes are shown.
    if let Some(l) = lifecycle.as_ref().filter(|_| e.supported) {
        notes.push(l.clone());
    }
    notes.extend(e.notes.iter().map(ToString::to_string));
    OfferEstimate {
        price_source: e.source.kind(),
        calibration_samples: match e.source {
            pricing::PriceSource::Calibrated { samples } => u32::try_from(samples).ok(),
            _ => None,
        },
        price_known: e.source != pricing::PriceSource::Unknown,
        replacement: e
            .lifecycle
            .as_ref()
            .and_then(|l| l.replaced_by.as_ref())
            .map(|r| r.to_string()),
        lifecycle,
        offer_id: e.offer_id.to_string(),
        provider: e.provider,
        model: e.model.to_string(),
        display_name: e.display_name.to_string(),
        tier: tier(e.tier),
        billing: e.billing,
        expected_usd: e.expected,
        worst_case_usd: e.worst_case,
        per_image_usd: e.per_image,
        supported: e.supported,
        reason: e.unsupported_reason.clone(),
        notes,
        lines: e.lines.iter().map(ToString::to_string).collect(),
        confidence: match e.confidence {
            pricing::Confidence::Published => vocab::EstimateConfidence::Published,
            pricing::Confidence::Calibrated { .. } => vocab::EstimateConfidence::Calibrated,
            pricing::Confidence::Assumed => vocab::EstimateConfidence::Assumed,
        },
        dedup_hit,
        has_key: availability == vocab::Availability::Ready,
        availability,
        fit: u32::from(fit),
        cooling_down,
        drift: None,
        deferred: None,
    }
}

pub(crate) fn image_view(store: &store::Store, i: &ImageRecord) -> ImageView {
    ImageView {
        path: store.absolute(&i.path).display().to_string(),
        thumb_path: i
            .thumb_path
            .as_ref()
            .map(|t| store.absolute(t).display().to_string()),
        hash: i.hash.clone(),
        width: i.width,
        height: i.height,
        mime: i.mime,
        seed: i.seed.and_then(|s| u32::try_from(s).ok()),
    }
}

pub(crate) fn attempt_view(a: &AttemptRecord) -> AttemptView {
    let ms = a
        .finished_at
        .map(|f| (f - a.started_at).num_milliseconds())
        .unwrap_or(0);
    AttemptView {
        provider: a.provider,
        model: a.model.clone(),
        offer_id: a.offer_id.clone(),
        outcome: match a.outcome.as_deref() {
            None => vocab::AttemptOutcome::Running,
            Some(o) => {
                vocab::AttemptOutcome::from_wire(o).unwrap_or(vocab::AttemptOutcome::Unknown)
            }
        },
        billed: a.billed,
        cost_usd: a.cost,
        error: a.error.clone(),
        duration_ms: u32::try_from(ms.max(0)).unwrap_or(u32::MAX),
        unconfirmed: a.unconfirmed,
        review: a.review.clone(),
        attempt_id: a.id.to_string(),
        expected_usd: a.expected,
        reported_usd: a.reported,
        gateway_reported_usd: a
            .usage
            .as_ref()
            .and_then(|u| u.get("gateway_reported_usd"))
            .and_then(|v| match v {
                serde_json::Value::String(s) => s.parse().ok(),
                serde_json::Value::Number(n) => n.to_string().parse().ok(),
                _ => None,
            }),
    }
}

pub(crate) fn params_of(g: &GenerationRecord, images: &[ImageRecord]) -> RequestParams {
    let r = &g.request;
    let seed = r.seed.and_then(|s| u32::try_from(s).ok()).or_else(|| {
        images
            .iter()
            .find_map(|i| i.seed.and_then(|s| u32::try_from(s).ok()))
    });
    let mut p = RequestParams {
        prompt: r.prompt.clone(),
        negative_prompt: r.negative_prompt.clone(),
        width: r.width,
        height: r.height,
        quality: r.quality.clone(),
        n: r.n.max(1),
        steps: r.steps,
        seed,
        ..RequestParams::text("", 0, 0)
    };
    params_inputs(&mut p, &r.inputs);
    p
}

pub(crate) fn result_of(
    store: &store::Store,
    g: &GenerationRecord,
    images: &[ImageRecord],
    attempts: &[AttemptRecord],
) -> GenerationResult {
    GenerationResult {
        generation_id: g.id.to_string(),
        status: match status(g.status) {
            // Still running, and its call is a job at a provider's batch API.
            GenerationStatus::Running if attempts.iter().any(crate::remote::is_pending) => {
                GenerationStatus::Deferred
            }
            s => s,
        },
        dedup_hit: g.reused_from.is_some(),
        cost_usd: g.cost,
        saved_usd: g.saved,
        images: images.iter().map(|i| image_view(store, i)).collect(),
        attempts: attempts.iter().map(attempt_view).collect(),
        error: g.error.clone(),
        budget_warning: None,
        unconfirmed_usd: g.unconfirmed,
        inputs: input_hashes(&g.request.inputs),
    }
}

pub(crate) fn spend_points(lines: Vec<store::SpendLine>) -> Vec<SpendPoint> {
    lines
        .into_iter()
        .map(|l| SpendPoint {
            key: l.key,
            spend_usd: l.amount,
            count: u32::try_from(l.count).unwrap_or(u32::MAX),
        })
        .collect()
}

pub(crate) fn budget_view(s: &store::ProjectSummary, request: Option<Decimal>) -> BudgetView {
    let fits = match (s.hard, s.remaining, request) {
        (true, Some(rem), Some(req)) => req <= rem,
        _ => true,
    };
    BudgetView {
        project: s.name.clone(),
        budget_usd: s.budget,
        spent_usd: s.spent,
        reserved_usd: s.reserved,
        remaining_usd: s.remaining,
        saved_usd: s.saved,
        hard: s.hard,
        warn_at: s.thresholds.clone(),
        request_usd: request,
        request_fits: fits,
        unconfirmed_usd: s.unconfirmed,
        over_budget: s.over_budget,
    }
}

pub(crate) fn charge_view(c: &store::UnconfirmedCharge) -> ChargeView {
    let a = &c.attempt;
    ChargeView {
        id: a.id.to_string(),
        generation_id: a.generation_id.to_string(),
        project: c.project.clone(),
        prompt: c.prompt.clone(),
        provider: a.provider,
        model: a.model.clone(),
        amount_usd: a.cost,
        reason: a.error.clone(),
        review: a.review.clone(),
        created_at: a.started_at.to_rfc3339(),
    }
}

/// The inputs as `generate --json` prints them.
pub(crate) fn input_hashes(c: &CanonicalInputs) -> Vec<InputHash> {
    c.images
        .iter()
        .map(|i| InputHash {
            hash: i.hash.clone(),
            role: i.role,
        })
        .collect()
}

/// The request parameters a stored generation's inputs came from.
pub(crate) fn params_inputs(p: &mut RequestParams, c: &CanonicalInputs) {
    if c.is_empty() {
        return;
    }
    p.operation = c.operation;
    p.inputs = c
        .images
        .iter()
        .map(|i| InputRef {
            source: match &i.source {
                Some((generation_id, index)) => InputSource::Gallery {
                    generation_id: generation_id.clone(),
                    index: *index,
                },
                None => InputSource::Blob {
                    sha256: i.hash.clone(),
                },
            },
            role: i.role,
        })
        .collect();
    p.mask = c.mask.as_ref().map(|m| InputSource::Blob {
        sha256: m.hash.clone(),
    });
    p.expand = c.expand.map(|[left, top, right, bottom]| ExpandMargins {
        left,
        top,
        right,
        bottom,
    });
    p.scale = c.scale;
    p.fidelity = c.fidelity;
}
