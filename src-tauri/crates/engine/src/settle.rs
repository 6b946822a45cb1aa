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

use crate::context::Core;
use crate::error::{Result, blocking};

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
    /// still running, more calls to come).
    Saved { images: u32 },
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
    pub out: &'a GenerateOutput,
}

/// Writes the call's images durably, marks the attempt `answered` with them, then settles
/// the attempt, its charge, the image rows and (when the request is complete) the status
/// in one transaction.
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
    let written = blocking(move || {
        let mut files = Vec::with_capacity(bytes.len());
        for (idx, b, seed) in bytes {
            match store.write_image_file(&b) {
                Ok(file) => files.push(NewImage { idx, file, seed }),
                Err(e) => return Ok(Err(e.to_string())),
            }
        }
        Ok(Ok(files))
    })
    .await?;
    let (generation, attempt) = (s.generation, s.attempt);
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
    match written {
        Ok(files) => {
            let answered = Answered {
                cost: s.cost,
                review: s.review,
                usage: s.usage,
                images: files.clone(),
            };
            let count = u32::try_from(files.len()).unwrap_or(u32::MAX);
            let complete = s.last || s.first_idx + count >= s.wanted.max(1);
            core.store_op(move |st| {
                let v = serde_json::to_value(&answered)?;
                st.mark_answered(attempt, &v)?;
                st.settle_call(
                    attempt,
                    &settle,
                    &files,
                    complete.then_some((Status::Succeeded, None)),
                )
            })
            .await?;
            Ok(Stored::Saved { images: count })
        }
        Err(why) => {
            let msg = format!(
                "the provider made and billed the images, but they could not be saved: {why}. \
                 The charge stays on this project; free some disk space, then run the request \
                 again (dedup will not serve this result)"
            );
            let m = msg.clone();
            core.store_op(move |st| {
                st.settle_call(attempt, &settle, &[], Some((Status::Failed, Some(m))))
            })
            .await?;
            tracing::warn!(%generation, "paid images could not be saved");
            Ok(Stored::Lost)
        }
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
