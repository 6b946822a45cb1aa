//! "Cheaper if it can wait" (issue 14.7): a generation sent to a provider's batch API at
//! the batch price, delivered later.
//!
//! A deferred generation is an ordinary generation with one attempt whose resume handle
//! is the batch id (`providers::batch`). The money rules of every attempt hold:
//! - the worst case at the batch price is reserved (hard budget checked) before anything
//!   is sent, and the attempt row is `sent` before the batch is submitted;
//! - the batch handle is stored before the next network step; the job is never
//!   submitted twice — a submit that failed without billing may fall back to the next
//!   offer, one whose outcome is unknown is booked as an unconfirmed charge and stops;
//! - the generation stays `running` (shown as `deferred`) while the provider works;
//!   `recovery` polls it — at every start and on the app's background timer — never
//!   resubmits, and lands it with its real cost (the provider's usage × the batch
//!   price), or releases the reservation when the batch failed or expired unbilled.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pricing::LatencyTier;
use providers::{Billing, GenerateRequest, RemoteJob};
use rust_decimal::Decimal;
use store::{AttemptRecord, CallSettle, GenerationId, NewAttempt, ProjectId};
use tokio_util::sync::CancellationToken;

use crate::api::{DeferredJobView, DeferredPrice, JobEvent};
use crate::attempts::record_skip;
use crate::budget;
use crate::config::ProgressFn;
use crate::context::Core;
use crate::error::{EngineError, Result};
use crate::provider_gateway::KeyLookup;
use crate::routing::Candidate;

fn within_hours(offer: &pricing::Offer) -> u32 {
    offer
        .modifiers
        .latency
        .iter()
        .find(|l| l.tier == LatencyTier::Batch)
        .and_then(|l| l.within_hours)
        .unwrap_or(providers::batch::WINDOW_HOURS)
}

fn expected_by(job: &RemoteJob, a: &AttemptRecord) -> DateTime<Utc> {
    job.extra
        .get("expected_by")
        .and_then(serde_json::Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(a.started_at + chrono::Duration::hours(24))
}

fn secs(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Whether the offer can be sent later from here: a batch price in the catalog and a
/// client that speaks the provider's batch API for the model.
/// Whether this request may go to the offer's batch tier: text to image always, with
/// input images only where the provider's batch API takes them.
fn can_defer_request(core: &Core, offer: &pricing::Offer, req: &pricing::EstimateRequest) -> bool {
    let plain = req.reference_images.is_empty() && req.operation == vocab::Operation::Generate;
    can_defer(core, offer)
        && (plain
            || core
                .wiring()
                .client(&offer.id, offer.provider.as_str())
                .is_some_and(|c| c.batch_takes_inputs(&offer.model)))
}

pub(crate) fn can_defer(core: &Core, offer: &pricing::Offer) -> bool {
    offer
        .modifiers
        .latency
        .iter()
        .any(|l| l.tier == LatencyTier::Batch)
        && core
            .wiring()
            .client(&offer.id, offer.provider.as_str())
            .is_some_and(|c| c.batch_support(&offer.model))
}

/// The "later" price of each offer that has one (`None` elsewhere), in `offers` order.
pub(crate) fn prices(
    core: &Core,
    offers: &[&pricing::Offer],
    req: &pricing::EstimateRequest,
    ctx: &pricing::EstimateContext<'_>,
) -> Vec<Option<DeferredPrice>> {
    let mut later = req.clone();
    later.latency = LatencyTier::Batch;
    offers
        .iter()
        .map(|o| {
            if !can_defer_request(core, o, req) {
                return None;
            }
            let now = pricing::estimate_offers(std::iter::once(*o), req, ctx).pop()?;
            let e = pricing::estimate_offers(std::iter::once(*o), &later, ctx).pop()?;
            if !e.supported || e.resolved.latency != LatencyTier::Batch {
                return None;
            }
            let saving_pct = if now.expected > Decimal::ZERO {
                ((Decimal::ONE - e.expected / now.expected) * Decimal::from(100)).round_dp(0)
            } else {
                Decimal::ZERO
            };
            Some(DeferredPrice {
                expected_usd: e.expected,
                worst_case_usd: e.worst_case,
                within_hours: within_hours(o),
                saving_pct,
                mode: vocab::DeferredMode::Batch,
                source: o
                    .modifiers
                    .latency
                    .iter()
                    .find(|l| l.tier == LatencyTier::Batch)
                    .and_then(|l| l.source.clone()),
            })
        })
        .collect()
}

/// Marks the candidates that cannot be sent later.
pub(crate) fn restrict(core: &Core, req: &pricing::EstimateRequest, cands: &mut [Candidate]) {
    for c in cands.iter_mut().filter(|c| c.skip.is_none()) {
        if c.estimate.resolved.latency != LatencyTier::Batch {
            c.skip = Some("has no cheaper deferred (batch) tier".into());
        } else if !can_defer(core, &c.offer) {
            c.skip = Some(format!(
                "Proofsheet cannot send {} to {}'s batch API",
                c.offer.model, c.offer.provider
            ));
        } else if !can_defer_request(core, &c.offer, req) {
            c.skip = Some(format!(
                "{}'s batch API takes text only here: send edits and references now",
                c.offer.provider
            ));
        }
    }
}

/// How a deferred submission ended.
pub(crate) enum Submitted {
    /// The batch is at the provider, its handle stored.
    Deferred,
    Failed(String),
    /// Cancelled before the next offer was tried.
    Cancelled,
}

/// Reserves at the batch price and submits to the first offer that takes the batch.
pub(crate) async fn submit(
    core: &Arc<Core>,
    generation: GenerationId,
    (project, team, ticket): (ProjectId, Option<&str>, &crate::team_hook::ReserveTicket),
    cands: &[Candidate],
    (req, inputs): (&pricing::EstimateRequest, &crate::inputs::Resolved),
    cancel: &CancellationToken,
    emit: &ProgressFn,
) -> Result<(Submitted, Option<String>)> {
    for c in cands {
        if let Some(reason) = &c.skip {
            record_skip(core, generation, &c.offer, reason.clone()).await?;
        }
    }
    let usable: Vec<&Candidate> = cands.iter().filter(|c| c.skip.is_none()).collect();
    if usable.is_empty() {
        let why: Vec<String> = cands
            .iter()
            .map(|c| format!("{}: {}", c.offer.id, c.skip.as_deref().unwrap_or("")))
            .collect();
        return Err(EngineError::validation(format!(
            "no offer in the chain can take this request later ({}); send it now, or pick an \
             offer with a batch tier (Gemini image models, GPT Image models)",
            why.join("; ")
        )));
    }
    let worst = usable
        .iter()
        .map(|c| c.estimate.worst_case)
        .max()
        .unwrap_or_default();
    crate::shared::reserve(core, team, generation, worst, ticket).await?;
    let outcome = budget::reserve(core.store(), project, generation, worst).await?;
    let warning = budget::warning_text(&outcome);
    emit(JobEvent::Reserved {
        amount_usd: worst,
        warning: warning.clone(),
    });
    let mut last = String::from("no offer took the batch");
    for (i, c) in usable.iter().enumerate() {
        if cancel.is_cancelled() {
            return Ok((Submitted::Cancelled, warning));
        }
        if i > 0 {
            let canonical = c.canonical(req, &inputs.canonical);
            let (g, offer) = (generation, c.offer.id.to_string());
            core.store_op(move |s| s.set_generation_offer(g, &offer, &canonical))
                .await?;
        }
        let key = match core.gateway().key_for(c.offer.provider.as_str()).await? {
            KeyLookup::Found(k) => Some(k),
            KeyLookup::NotNeeded => None,
            KeyLookup::Missing => {
                last = format!(
                    "no API key for {}; add one in Settings → Keys",
                    c.offer.provider
                );
                record_skip(core, generation, &c.offer, last.clone()).await?;
                continue;
            }
        };
        match one(
            core,
            generation,
            c,
            (req, inputs),
            key.as_ref().map(keys::Secret::expose),
            cancel,
            emit,
        )
        .await?
        {
            None => return Ok((Submitted::Deferred, warning)),
            Some((msg, false)) => last = msg,
            Some((msg, true)) => return Ok((Submitted::Failed(msg), warning)),
        }
    }
    Ok((Submitted::Failed(last), warning))
}

/// One submission. `None`: deferred; `Some((why, stop))`: failed, `stop` when it may
/// have billed (no other offer is tried then).
async fn one(
    core: &Arc<Core>,
    generation: GenerationId,
    c: &Candidate,
    (req, inputs): (&pricing::EstimateRequest, &crate::inputs::Resolved),
    key: Option<&str>,
    cancel: &CancellationToken,
    emit: &ProgressFn,
) -> Result<Option<(String, bool)>> {
    let provider = c.offer.provider.to_string();
    let Some(client) = core.wiring().client(&c.offer.id, &provider) else {
        return Ok(Some((
            format!("no endpoint is configured for {provider}"),
            false,
        )));
    };
    let r = &c.estimate.resolved;
    let request = GenerateRequest {
        model: c.offer.model.to_string(),
        prompt: req.prompt.clone(),
        negative_prompt: if r.negative_prompt {
            req.negative_prompt.clone()
        } else {
            None
        },
        width: r.width,
        height: r.height,
        quality: r.quality.as_deref().map(str::to_owned),
        n: r.n.max(1),
        steps: r.steps,
        seed: r.seed,
        extra: serde_json::Value::Null,
        inputs: inputs.provider.clone(),
    };
    let new = NewAttempt {
        provider: c.offer.provider,
        model: c.offer.model.to_string(),
        offer_id: c.offer.id.to_string(),
        remote_job: None,
    };
    let expected = c.estimate.expected;
    // `sent` before the request leaves: a crash from here on is accounted.
    let attempt = core
        .store_op(move |s| s.start_sent_attempt(generation, &new, None, expected))
        .await?;
    emit(JobEvent::Running {
        provider: c.offer.provider,
        model: c.offer.model.to_string(),
        attempt: 1,
    });
    match client.submit_batch(&request, key, cancel).await {
        Ok(mut job) => {
            let now = Utc::now();
            let due = now + chrono::Duration::hours(i64::from(within_hours(&c.offer)));
            if let Some(o) = job.extra.as_object_mut() {
                o.insert("submitted_at".into(), secs(now).into());
                o.insert("expected_by".into(), secs(due).into());
            }
            let v = serde_json::to_value(&job)
                .map_err(|e| EngineError::internal(format!("batch handle: {e}")))?;
            // Stored before anything else happens; if this write fails the attempt stays
            // `sent` without a handle and recovery books it as unconfirmed.
            core.store_op(move |s| s.set_remote_job(attempt, &v))
                .await?;
            emit(JobEvent::Polling {
                provider: c.offer.provider,
                remote_id: job.remote_id,
                elapsed_s: 0,
            });
            Ok(None)
        }
        Err(e) => {
            let billed = e.billing != Billing::NotBilled;
            let msg = if billed {
                format!(
                    "{}. The batch request reached {provider} and its outcome is unknown, so it \
                     was not resent: its estimate is booked as an unconfirmed charge; check your \
                     {provider} dashboard, then confirm or refund it",
                    e.message
                )
            } else {
                e.message.clone()
            };
            let settle = CallSettle {
                outcome: e.class.name().to_owned(),
                billed,
                cost: if billed { expected } else { Decimal::ZERO },
                unconfirmed: billed && e.billing == Billing::Unknown,
                error: Some(msg.clone()),
                ..CallSettle::default()
            };
            core.store_op(move |s| s.settle_call(attempt, &settle, &[], None))
                .await?;
            Ok(Some((msg, billed)))
        }
    }
}

/// Generations waiting for a provider's batch, oldest first.
pub(crate) async fn list(core: &Arc<Core>) -> Result<Vec<DeferredJobView>> {
    core.store_op(|s| {
        let mut out = Vec::new();
        // Only attempts `sent` under a remote job: not every running generation (100
        // jobs in flight made this ~500 statements per refresh; issue 17).
        for r in s.running_remote_jobs()? {
            let (g, a) = (&r.generation, &r.attempt);
            if !crate::remote::is_pending(a) {
                continue;
            }
            let Some(job) = crate::remote::batch_of(a) else {
                continue;
            };
            let project = s.project(g.project_id).map(|p| p.name).unwrap_or_default();
            out.push(DeferredJobView {
                generation_id: g.id.to_string(),
                project,
                prompt: g.request.prompt.clone(),
                offer_id: a.offer_id.clone(),
                provider: a.provider,
                model: a.model.clone(),
                remote_id: job.remote_id.clone(),
                submitted_at: secs(a.started_at),
                expected_by: secs(expected_by(&job, a)),
                reserved_usd: r.reserved,
                expected_usd: a.expected.unwrap_or_default(),
            });
        }
        Ok(out)
    })
    .await
}
