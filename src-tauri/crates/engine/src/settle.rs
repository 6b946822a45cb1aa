//! What one provider call costs and how its result is booked (issue 11): the plausible
//! band on reported costs (F8, F9), BFL's submit-time credits, and the durable-files-then-
//! one-transaction storing of a successful call (F4) shared by the attempt loop and
//! recovery.

use std::sync::Arc;

use pricing::{EstimateRequest, Offer};
use providers::{GenerateOutput, RawUsage, RemoteJob};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use store::{CallSettle, GenerationId, NewImage, Status};

use crate::api::GenerationResult;
use crate::context::Core;
use crate::error::{EngineError, Result, blocking};

/// A reported cost outside `[estimate / BAND, estimate × BAND]` is not trusted.
const BAND: u32 = 10;

/// Bounds a provider-reported cost against the call's estimate.
///
/// Invariant (F8, F9): a reported cost outside 0.1×–10× of the expected estimate (or
/// negative) is charged at min(reported, worst case × 10) — the estimate when negative —
/// and flagged for review; the caller never feeds a flagged cost to calibration. Such a
/// value never aborts the job or discards its images. Returns (cost, review).
pub(crate) fn bound(
    reported: Decimal,
    expected: Decimal,
    worst: Decimal,
) -> (Decimal, Option<String>) {
    if reported < Decimal::ZERO {
        return (
            expected,
            Some(format!(
                "the provider reported a negative cost (${}); charged the estimate ${}",
                reported.normalize(),
                expected.normalize()
            )),
        );
    }
    if expected <= Decimal::ZERO || reported.is_zero() {
        return (reported, None);
    }
    let band = Decimal::from(BAND);
    if reported > expected * band || reported < expected / band {
        let cap = worst.max(expected) * band;
        let charged = reported.min(cap);
        return (
            charged,
            Some(format!(
                "the provider reported ${}, outside 0.1×–10× of the ${} estimate; charged ${} \
                 — check the provider's dashboard, then confirm or correct it",
                reported.normalize(),
                expected.normalize(),
                charged.normalize()
            )),
        );
    }
    (reported, None)
}

/// BFL reports the job's price in credits when it accepts it (`extra.submit_credits`):
/// what an abandoned job costs, priced in USD through the offer's credit rate.
pub(crate) fn submit_credits_cost(
    offer: &Offer,
    priced: &EstimateRequest,
    job: &RemoteJob,
) -> Option<Decimal> {
    // `submit_credits` is the contract; older BFL handles kept the submit body's `cost`.
    let v = job.extra.get("submit_credits").or_else(|| {
        (job.provider == vocab::ProviderId::Bfl.as_str())
            .then(|| job.extra.get("cost"))
            .flatten()
    })?;
    let credits: Decimal = match v {
        serde_json::Value::Number(n) => n.to_string().parse().ok()?,
        serde_json::Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    if credits <= Decimal::ZERO {
        return None;
    }
    let raw = RawUsage {
        credits: Some(credits),
        ..RawUsage::default()
    };
    let usage = usage_of(&raw, None, Some(priced.n), chrono::Utc::now());
    let usd = pricing::settle(offer, priced, &usage).actual;
    (usd > Decimal::ZERO).then_some(usd)
}

/// What an `answered` attempt holds until it is settled: its durable files and the cost
/// decided for it. Saved as the attempt's resume data so recovery can finish it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Answered {
    pub cost: Decimal,
    pub review: Option<String>,
    pub usage: Option<serde_json::Value>,
    pub images: Vec<NewImage>,
}

/// How storing a successful call ended.
pub(crate) enum Stored {
    /// Files durable, charge and rows committed; the generation is now `status` (`None`:
    /// still running, more calls to come). `result`: the generation as it stands after
    /// the commit, when the call completed it and the caller asked (`Success::result`).
    Saved {
        images: u32,
        result: Option<Box<GenerationResult>>,
    },
    /// Paid for, but the files could not be written (disk full): charged, generation
    /// failed with a message that says so.
    Lost,
}

pub(crate) struct Success<'a> {
    pub generation: GenerationId,
    pub attempt: i64,
    pub cost: Decimal,
    pub review: Option<String>,
    pub usage: Option<serde_json::Value>,
    /// What the provider itself said the call cost (drift), recorded on the attempt.
    pub reported: Option<Decimal>,
    /// Index of this call's first image within the generation.
    pub first_idx: u32,
    /// Images this call asked for (more are dropped: F20).
    pub n: u32,
    /// Images the whole generation asked for; reaching it makes it succeeded.
    pub wanted: u32,
    /// The request's last call: its settlement makes the generation succeeded even when
    /// the provider returned fewer images than asked.
    pub last: bool,
    pub seed: Option<u64>,
    /// Read the finished generation back in the same hop (the attempt loop returns it).
    pub result: bool,
    pub out: &'a GenerateOutput,
}

/// Writes the call's images durably, then marks the attempt `answered` with them and
/// settles the attempt, its charge, the image rows and (when the request is complete) the
/// status in one transaction — all in one blocking hop, since every hop is a thread
/// hand-off (issue 17). If that transaction fails, the two steps run separately as
/// before, so a settlement that cannot commit still leaves the attempt `answered`.
pub(crate) async fn store_success(core: &Arc<Core>, s: Success<'_>) -> Result<Stored> {
    let bytes: Vec<(u32, Vec<u8>, Option<i64>)> = s
        .out
        .images
        .iter()
        .take(s.n.max(1) as usize)
        .enumerate()
        .map(|(i, img)| {
            let idx = s.first_idx + u32::try_from(i).unwrap_or(u32::MAX);
            let seed = img.seed.or(s.seed).and_then(|v| i64::try_from(v).ok());
            (idx, img.bytes.clone(), seed)
        })
        .collect();
    let store = core.store().clone();
    let (generation, attempt, reported, want_result) =
        (s.generation, s.attempt, s.reported, s.result);
    let settle = CallSettle {
        outcome: "succeeded".into(),
        billed: true,
        cost: s.cost,
        unconfirmed: false,
        usage: s.usage.clone(),
        error: None,
        review: s.review.clone(),
        reconcilable: false,
    };
    let (first_idx, last, wanted) = (s.first_idx, s.last, s.wanted);
    let (cost, review, usage) = (s.cost, s.review, s.usage);
    blocking(move || {
        let mut files = Vec::with_capacity(bytes.len());
        for (idx, b, seed) in bytes {
            match store.write_image_file(&b) {
                Ok(file) => files.push(NewImage { idx, file, seed }),
                Err(e) => return lost(&store, generation, attempt, reported, &settle, e),
            }
        }
        let count = u32::try_from(files.len()).unwrap_or(u32::MAX);
        let complete = last || first_idx + count >= wanted.max(1);
        let answered = serde_json::to_value(&Answered {
            cost,
            review,
            usage,
            images: files.clone(),
        })
        .map_err(|e| EngineError::internal(format!("answered attempt: {e}")))?;
        let finish = complete.then_some((Status::Succeeded, None));
        let read_back = (want_result && complete).then_some(generation);
        let settled = match store.answer_and_settle(
            attempt,
            &answered,
            reported,
            &settle,
            &files,
            finish.clone(),
            read_back,
        ) {
            Ok((_, settled)) => settled,
            Err(e) => {
                tracing::warn!(
                    attempt,
                    "settling in one transaction failed, in two steps: {e}"
                );
                store.mark_answered(attempt, &answered)?;
                store.settle_call(attempt, &settle, &files, finish)?;
                record_reported(&store, attempt, reported);
                read_back.map(|g| store.settled_generation(g)).transpose()?
            }
        };
        let result = settled.map(|g| {
            Box::new(crate::convert::result_of(
                &store,
                &g.generation,
                &g.images,
                &g.attempts,
            ))
        });
        Ok(Stored::Saved {
            images: count,
            result,
        })
    })
    .await
}

/// The provider made and billed the images but they could not be written: charge the
/// call and fail the generation, saying so.
fn lost(
    store: &store::Store,
    generation: GenerationId,
    attempt: i64,
    reported: Option<Decimal>,
    settle: &CallSettle,
    why: store::StoreError,
) -> Result<Stored> {
    let msg = format!(
        "the provider made and billed the images, but they could not be saved: {why}. \
         The charge stays on this project; free some disk space, then run the request \
         again (dedup will not serve this result)"
    );
    store.settle_call(attempt, settle, &[], Some((Status::Failed, Some(msg))))?;
    record_reported(store, attempt, reported);
    tracing::warn!(%generation, "paid images could not be saved");
    Ok(Stored::Lost)
}

/// Records what the provider said a call cost; a failure only loses the drift sample.
fn record_reported(store: &store::Store, attempt: i64, reported: Option<Decimal>) {
    if let Some(amount) = reported
        && let Err(e) = store.set_reported_cost(attempt, amount)
    {
        tracing::warn!(attempt, "could not record the reported cost: {e}");
    }
}

/// Provider usage → pricing usage, for settlement.
pub(crate) fn usage_of(
    raw: &RawUsage,
    out: Option<&GenerateOutput>,
    billed_images: Option<u32>,
    started: chrono::DateTime<chrono::Utc>,
) -> pricing::Usage {
    let t = &raw.tokens;
    let tokens = if t.is_empty() {
        pricing::TokenUsage::default()
    } else {
        pricing::TokenUsage {
            text_in: Some(t.text_in),
            image_in: Some(t.image_in),
            cached_in: Some(t.cached_in),
            image_out: Some(t.image_out),
            text_out: Some(t.text_out),
            thinking: t.thinking,
        }
    };
    let first = out.and_then(|o| o.images.first());
    pricing::Usage {
        images_returned: out.map_or(0, |o| u32::try_from(o.images.len()).unwrap_or(u32::MAX)),
        billed_images,
        width: first.map(|i| i.width),
        height: first.map(|i| i.height),
        tokens,
        gpu_seconds: raw.gpu_seconds,
        wall_seconds: Some(Decimal::from(raw.wall_ms) / Decimal::from(1000)),
        credits: raw.credits,
        reported_usd: raw.reported_usd,
        gateway_reported_usd: raw.gateway_reported_usd,
        billable_units: raw.billable_units,
        started_at: Some(started),
    }
}

pub(crate) fn usage_json(raw: &RawUsage) -> Option<serde_json::Value> {
    serde_json::to_value(raw).ok()
}
