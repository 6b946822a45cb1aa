//! Start-up reconciliation of generations a previous process left running, attempt by
//! attempt (issue 11):
//! - `answered` (response in hand, files durable, not settled) → finished: charged, its
//!   images recorded;
//! - `sent` with a provider job → the job is polled again (never resubmitted, which would
//!   pay twice) with its stored poll URL; a job past `RetryPolicy::job_max_age`, or one
//!   the provider says is gone, is closed by its billing evidence (charged, unconfirmed
//!   at BFL's submit credits or the estimate, or free) — never "still running" forever;
//! - `sent` without a job (a sync call in flight at the crash) → an unconfirmed charge
//!   at the call's estimate (F3: never "$0, released").
//!
//! Then the generation is succeeded only with every image it asked for (F5), else failed
//! with what happened; the rest of the reservation is released, so the ledger balances.
//!
//! Finally, `unknown` attempts of ended generations (abandoned jobs) are polled to
//! reconcile their unconfirmed charge: confirmed at the real price, or refunded.

use std::collections::BTreeMap;
use std::sync::Arc;

use providers::{Billing, ProgressSink};
use rust_decimal::Decimal;
use store::{AttemptRecord, CallSettle, GenerationRecord, RunningGeneration, Status};
use tokio_util::sync::CancellationToken;

use crate::api::RecoveryReport;
use crate::budget;
use crate::context::Core;
use crate::error::Result;
use crate::lease;
use crate::reconcile::poller;
use crate::remote::{expected_of, gone, priced_of, too_old};
use crate::settle::usage_of;
use crate::settle::{Answered, Success, bound, store_success, submit_credits_cost};

pub(crate) async fn recover(core: &Arc<Core>) -> Result<RecoveryReport> {
    let running = core.store_op(|s| s.running_generations()).await?;
    let mut report = RecoveryReport {
        resumed: Vec::new(),
        failed: Vec::new(),
        still_running: Vec::new(),
        charged_usd: Decimal::ZERO,
        released_usd: Decimal::ZERO,
        messages: Vec::new(),
    };
    for r in claim_abandoned(core, running).await? {
        let id = r.generation.id;
        // Another recovery pass in this process may be on it already.
        if !core.runs().active().insert(id) {
            continue;
        }
        let _active = core.runs().guard(id);
        if let Err(e) = one(core, &r, &mut report).await {
            report
                .messages
                .push(format!("generation {id}: {}", e.message));
        }
    }
    if let Err(e) = crate::reconcile::reconcile(core, &mut report).await {
        report
            .messages
            .push(format!("reconciling unconfirmed charges: {}", e.message));
    }
    crate::shared::catch_up(core, &mut report).await;
    let dir = core.data_dir().to_path_buf();
    let me = core.runs().owner().to_owned();
    let swept = crate::error::blocking(move || Ok(lease::sweep(&dir, &me))).await?;
    if !report.resumed.is_empty() || !report.failed.is_empty() || swept > 0 {
        tracing::info!(
            resumed = report.resumed.len(),
            failed = report.failed.len(),
            stale_leases = swept,
            "reconciled generations left running"
        );
    }
    let changed = !report.resumed.is_empty()
        || !report.failed.is_empty()
        || !report.charged_usd.is_zero()
        || !report.released_usd.is_zero();
    if changed {
        use crate::changes::DataTopic::{Budgets, Gallery, Jobs, Projects};
        core.changes().emit(&[Gallery, Jobs, Budgets, Projects]);
    }
    Ok(report)
}

/// The running generations whose owner is dead (lock file missing or lockable), or that
/// predate leases, taken over by this instance (compare-and-set, so two recovering
/// processes never both take one). Live owners' jobs, and this process's own active
/// ones, are left alone.
async fn claim_abandoned(
    core: &Arc<Core>,
    running: Vec<RunningGeneration>,
) -> Result<Vec<RunningGeneration>> {
    let me = core.runs().owner().to_owned();
    let dir = core.data_dir().to_path_buf();
    let store = core.store().clone();
    let active: std::collections::HashSet<_> = core.runs().active().snapshot();
    crate::error::blocking(move || {
        let mut by_owner: BTreeMap<Option<String>, Vec<RunningGeneration>> = BTreeMap::new();
        for r in running {
            if !active.contains(&r.generation.id) {
                by_owner.entry(r.owner.clone()).or_default().push(r);
            }
        }
        let mut claimed = Vec::new();
        for (owner, gens) in by_owner {
            // Held (locked) until every generation of the dead owner is claimed, then
            // its lock file is removed.
            let _dead = match owner.as_deref() {
                None => None,
                Some(o) if o == me => None,
                Some(o) => match lease::probe(&dir, o)? {
                    lease::Owner::Alive => continue,
                    lease::Owner::Dead(file) => file,
                },
            };
            for r in gens {
                if store.claim_running(r.generation.id, owner.as_deref(), &me)? {
                    claimed.push(r);
                }
            }
        }
        Ok(claimed)
    })
    .await
}

async fn settle(core: &Arc<Core>, attempt: i64, s: CallSettle) -> Result<Decimal> {
    core.store_op(move |st| st.settle_call(attempt, &s, &[], None))
        .await
}

/// Books an attempt whose outcome is unknown as an unconfirmed charge.
async fn unconfirmed(
    core: &Arc<Core>,
    g: &GenerationRecord,
    a: &AttemptRecord,
    amount: Decimal,
    outcome: &str,
    why: String,
) -> Result<Decimal> {
    let (amount, review) = bound(amount, expected_of(g, a), amount.max(expected_of(g, a)));
    settle(
        core,
        a.id,
        CallSettle {
            outcome: outcome.to_owned(),
            billed: true,
            cost: amount,
            unconfirmed: true,
            error: Some(why),
            review,
            ..CallSettle::default()
        },
    )
    .await
}

/// What one attempt's recovery did.
enum Step {
    Done,
    /// The job is still running at the provider (or cannot be polled yet).
    Still(String),
    /// Paid images were lost before they were recorded.
    Lost,
}

async fn one(core: &Arc<Core>, r: &RunningGeneration, report: &mut RecoveryReport) -> Result<()> {
    let g = &r.generation;
    let id = g.id;
    let attempts = core.store_op(move |s| s.attempts(id)).await?;
    // Rows from before migration 6 closed an attempt and charged it in two writes.
    let billed: Decimal = attempts
        .iter()
        .filter(|a| a.billed && a.state == "settled")
        .map(|a| a.cost)
        .sum();
    if billed > g.cost {
        report.charged_usd += budget::charge(core.store(), id, billed - g.cost).await?;
    }
    let mut lost = false;
    for a in attempts
        .iter()
        .filter(|a| matches!(a.state.as_str(), "sent" | "answered" | "prepared"))
    {
        match attempt(core, g, a, report).await? {
            Step::Done => {}
            Step::Lost => lost = true,
            Step::Still(msg) => {
                report.still_running.push(id.to_string());
                report.messages.push(format!("generation {id}: {msg}"));
                return Ok(());
            }
        }
    }
    let (rec, images) = core
        .store_op(move |s| Ok((s.generation(id)?, s.images(id)?.len())))
        .await?;
    if rec.status.is_terminal() {
        if rec.status == Status::Succeeded {
            report.resumed.push(id.to_string());
        } else {
            report.failed.push(id.to_string());
        }
        return Ok(());
    }
    let wanted = g.request.n.max(1) as usize;
    let sent = attempts
        .iter()
        .any(|a| a.outcome.as_deref() != Some("skipped"));
    let (status, why) = if images >= wanted {
        (Status::Succeeded, None)
    } else if lost {
        (
            Status::Failed,
            Some(
                "interrupted: the provider made and billed the images, but Proofsheet closed \
                 before they were recorded and their files are gone; the charge stays. Run the \
                 request again (dedup will not serve this result)"
                    .to_owned(),
            ),
        )
    } else if images > 0 {
        (
            Status::Failed,
            Some(format!(
                "interrupted: only {images} of {wanted} images were made before Proofsheet \
                 closed; they are kept and paid for. Run the request again for a complete \
                 set (dedup will not serve this partial result)"
            )),
        )
    } else if !rec.unconfirmed.is_zero() {
        (
            Status::Failed,
            Some(format!(
                "interrupted: Proofsheet closed after the request was sent and before the \
                 provider answered; ${} (the estimate) is booked as an unconfirmed charge — \
                 check the provider's dashboard, then confirm or refund it",
                rec.unconfirmed.normalize()
            )),
        )
    } else if sent {
        (
            Status::Failed,
            Some(
                "interrupted: Proofsheet closed while this was running; nothing was billed and \
                  the reservation was released"
                    .to_owned(),
            ),
        )
    } else {
        (
            Status::Failed,
            Some(
                "interrupted before any request was sent; the reservation was released".to_owned(),
            ),
        )
    };
    report.released_usd += core
        .store_op(move |s| s.finish_generation(id, status, why.as_deref()))
        .await?;
    if status == Status::Succeeded {
        report.resumed.push(id.to_string());
    } else {
        report.failed.push(id.to_string());
    }
    Ok(())
}

async fn attempt(
    core: &Arc<Core>,
    g: &GenerationRecord,
    a: &AttemptRecord,
    report: &mut RecoveryReport,
) -> Result<Step> {
    if a.state == "answered" {
        return finish_answered(core, a, report).await;
    }
    let Some(job) = crate::remote::job_of(a) else {
        // A call in flight when the process died: the provider may have billed it (F3).
        let amount = expected_of(g, a);
        report.charged_usd += unconfirmed(
            core,
            g,
            a,
            amount,
            "unknown",
            "Proofsheet closed after this request was sent and before the provider answered; \
             its estimate is booked as an unconfirmed charge"
                .into(),
        )
        .await?;
        return Ok(Step::Done);
    };
    let p = match poller(core, g).await {
        Ok(p) => p,
        Err(why) if too_old(core.options().retry.job_max_age, a) => {
            report.charged_usd += unconfirmed(
                core,
                g,
                a,
                expected_of(g, a),
                "unknown",
                format!(
                    "job {} could not be polled ({why}); booked as unconfirmed",
                    job.remote_id
                ),
            )
            .await?;
            return Ok(Step::Done);
        }
        Err(why) => {
            return Ok(Step::Still(format!(
                "cannot poll job {} yet ({why}); it will be polled at the next start",
                job.remote_id
            )));
        }
    };
    let mut priced = priced_of(g);
    if providers::batch::is_batch(&job) {
        // Settled at the batch price it was reserved at.
        priced.latency = pricing::LatencyTier::Batch;
    }
    let started = chrono::Utc::now();
    let out = p
        .client
        .resume(
            &job,
            p.key.as_ref().map(keys::Secret::expose),
            &ProgressSink::noop(),
            &CancellationToken::new(),
        )
        .await;
    let expected = expected_of(g, a);
    match out {
        Ok(out) => {
            let usage = usage_of(&out.usage, Some(&out), None, started);
            let provider_said = crate::drift::reported_of(&p.offer, &priced, &usage);
            let reported = pricing::settle(&p.offer, &priced, &usage).actual;
            let (cost, review) = bound(reported, expected, expected);
            let flagged = review.is_some();
            let id = g.id;
            let first = core.store_op(move |s| s.images(id)).await?.len();
            let first = u32::try_from(first).unwrap_or(u32::MAX);
            let wanted = g.request.n.max(1);
            let stored = store_success(
                core,
                Success {
                    generation: g.id,
                    attempt: a.id,
                    cost,
                    review,
                    usage: serde_json::to_value(&out.usage).ok(),
                    first_idx: first,
                    n: wanted.saturating_sub(first).max(1),
                    wanted,
                    last: false,
                    seed: g.request.seed,
                    out: &out,
                },
            )
            .await?;
            crate::drift::record_reported(core, a.id, provider_said).await;
            core.prices().forget_drift();
            report.charged_usd += cost;
            let aid = a.id;
            if !flagged && let Some(row) = core.store_op(move |s| s.calibration_sample(aid)).await?
            {
                core.prices().learn(crate::prices::sample_of(row));
            }
            Ok(match stored {
                crate::settle::Stored::Saved { .. } => Step::Done,
                crate::settle::Stored::Lost => Step::Lost,
            })
        }
        Err(e) if !gone(&e) => {
            if too_old(core.options().retry.job_max_age, a) {
                let amount = submit_credits_cost(&p.offer, &priced, &job).unwrap_or(expected);
                report.charged_usd += unconfirmed(
                    core,
                    g,
                    a,
                    amount,
                    e.class.name(),
                    format!(
                        "{}; Proofsheet stopped polling job {} after {} h; its price is booked \
                         as an unconfirmed charge",
                        e.message,
                        job.remote_id,
                        core.options().retry.job_max_age.as_secs() / 3600
                    ),
                )
                .await?;
                return Ok(Step::Done);
            }
            Ok(Step::Still(format!(
                "job {} is still running at {}; it will be polled at the next start",
                job.remote_id, p.offer.provider
            )))
        }
        Err(e) => {
            // The job ended (or is gone) without images: book it by its billing evidence.
            let credits = submit_credits_cost(&p.offer, &priced, &job);
            match (e.billing, credits) {
                (Billing::Billed, _) => {
                    let cost = match (&e.usage, credits) {
                        (None, Some(c)) => c,
                        (u, _) => {
                            let raw = u.as_deref().cloned().unwrap_or_default();
                            let usage = usage_of(&raw, None, Some(priced.n), started);
                            pricing::settle(&p.offer, &priced, &usage).actual
                        }
                    };
                    let (cost, review) = bound(cost, expected, expected);
                    report.charged_usd += settle(
                        core,
                        a.id,
                        CallSettle {
                            outcome: e.class.name().to_owned(),
                            billed: true,
                            cost,
                            error: Some(e.message.clone()),
                            review,
                            ..CallSettle::default()
                        },
                    )
                    .await?;
                }
                (Billing::Unknown, _) | (Billing::NotBilled, Some(_)) => {
                    let amount = credits.unwrap_or(expected);
                    report.charged_usd += unconfirmed(
                        core,
                        g,
                        a,
                        amount,
                        e.class.name(),
                        format!(
                            "{}; job {} ended without images and may have been billed: booked \
                             as an unconfirmed charge",
                            e.message, job.remote_id
                        ),
                    )
                    .await?;
                }
                (Billing::NotBilled, None) => {
                    settle(
                        core,
                        a.id,
                        CallSettle {
                            outcome: e.class.name().to_owned(),
                            error: Some(e.message.clone()),
                            ..CallSettle::default()
                        },
                    )
                    .await?;
                }
            }
            Ok(Step::Done)
        }
    }
}

/// An attempt whose response was in hand with its files durable: finish it.
async fn finish_answered(
    core: &Arc<Core>,
    a: &AttemptRecord,
    report: &mut RecoveryReport,
) -> Result<Step> {
    let ans: Option<Answered> = a
        .resume
        .clone()
        .and_then(|v| serde_json::from_value(v).ok());
    let Some(ans) = ans else {
        return Ok(Step::Lost);
    };
    let store = core.store().clone();
    let complete = ans
        .images
        .iter()
        .all(|i| store.absolute(&i.file.path).is_file());
    let images = if complete {
        ans.images.clone()
    } else {
        Vec::new()
    };
    let s = CallSettle {
        outcome: "succeeded".into(),
        billed: true,
        cost: ans.cost,
        usage: ans.usage.clone(),
        review: ans.review.clone(),
        error: (!complete)
            .then(|| "paid, but its image files were lost before they were recorded".into()),
        ..CallSettle::default()
    };
    let aid = a.id;
    report.charged_usd += core
        .store_op(move |st| st.settle_call(aid, &s, &images, None))
        .await?;
    Ok(if complete { Step::Done } else { Step::Lost })
}
