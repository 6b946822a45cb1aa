//! Start-up reconciliation of generations a previous process left running: a provider
//! job with a stored id is polled again (never resubmitted, which would pay twice);
//! anything else is marked failed. Charges that never landed are booked and the rest of
//! every reservation is released, so the ledger balances.

use std::collections::BTreeMap;
use std::sync::Arc;

use providers::{ErrorClass, ProgressSink, RemoteJob};
use rust_decimal::Decimal;
use store::{AttemptFinish, RunningGeneration, Status};
use tokio_util::sync::CancellationToken;

use crate::api::RecoveryReport;
use crate::attempts::usage_of;
use crate::budget;
use crate::error::Result;
use crate::lease;
use crate::shared::{Core, KeyLookup};

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
        if !core.active.lock().insert(id) {
            continue;
        }
        let _active = ActiveGuard(core, id);
        if let Err(e) = one(core, &r, &mut report).await {
            report
                .messages
                .push(format!("generation {id}: {}", e.message));
        }
    }
    let dir = core.config.data_dir.clone();
    let me = core.lease.id().to_owned();
    let swept = crate::error::blocking(move || Ok(lease::sweep(&dir, &me))).await?;
    if !report.resumed.is_empty() || !report.failed.is_empty() || swept > 0 {
        tracing::info!(
            resumed = report.resumed.len(),
            failed = report.failed.len(),
            stale_leases = swept,
            "reconciled generations left running"
        );
    }
    Ok(report)
}

struct ActiveGuard<'a>(&'a Core, store::GenerationId);

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.0.active.lock().remove(&self.1);
    }
}

/// The running generations whose owner is dead (lock file missing or lockable), or that
/// predate leases, taken over by this instance (compare-and-set, so two recovering
/// processes never both take one). Live owners' jobs, and this process's own active
/// ones, are left alone.
async fn claim_abandoned(
    core: &Arc<Core>,
    running: Vec<RunningGeneration>,
) -> Result<Vec<RunningGeneration>> {
    let me = core.lease.id().to_owned();
    let dir = core.config.data_dir.clone();
    let store = core.store.clone();
    let active: std::collections::HashSet<_> = core.active.lock().clone();
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

async fn one(core: &Arc<Core>, r: &RunningGeneration, report: &mut RecoveryReport) -> Result<()> {
    let g = &r.generation;
    let id = g.id;
    let project = g.project_id;
    // Billed attempts whose charge never landed (crash between the two writes).
    let attempts = core.store_op(move |s| s.attempts(id)).await?;
    let billed: Decimal = attempts.iter().filter(|a| a.billed).map(|a| a.cost).sum();
    if billed > g.cost {
        report.charged_usd += budget::charge(core, project, id, billed - g.cost).await?;
    }
    let pending = r
        .last_attempt
        .as_ref()
        .filter(|a| a.finished_at.is_none())
        .and_then(|a| {
            let job = a.remote_job.clone()?;
            Some((a.id, serde_json::from_value::<RemoteJob>(job).ok()?))
        });
    let Some((attempt, job)) = pending else {
        if let Some(a) = r.last_attempt.as_ref().filter(|a| a.finished_at.is_none()) {
            let f = AttemptFinish {
                outcome: "cancelled".into(),
                billed: false,
                cost: Decimal::ZERO,
                usage: None,
                error: Some("Proofsheet closed before the provider answered".into()),
            };
            let aid = a.id;
            core.store_op(move |s| s.finish_attempt(aid, &f)).await?;
        }
        return fail(
            core,
            r,
            report,
            "interrupted: Proofsheet closed while this was running and the provider had not \
             named a job to resume; the reservation was released",
        )
        .await;
    };

    let catalog = core.catalog();
    let offer = g
        .offer_id
        .as_deref()
        .and_then(|o| catalog.offer(o))
        .cloned();
    let (Some(offer), Some(client)) = (
        offer.clone(),
        offer.as_ref().and_then(|o| core.client(&o.id, &o.provider)),
    ) else {
        return fail(core, r, report, "its offer is no longer in the catalog").await;
    };
    let key = match core.key_for(&offer.provider).await {
        Ok(KeyLookup::Found(k)) => Some(k),
        Ok(_) if crate::shared::key_optional(&offer.provider) => None,
        other => {
            let why = match other {
                Err(e) => e.message,
                _ => format!("no API key for {}", offer.provider),
            };
            report.still_running.push(id.to_string());
            report.messages.push(format!(
                "generation {id}: cannot poll job {} yet ({why}); it will be polled at the next start",
                job.remote_id
            ));
            return Ok(());
        }
    };
    let started = chrono::Utc::now();
    let out = client
        .resume(
            &job,
            key.as_deref(),
            &ProgressSink::noop(),
            &CancellationToken::new(),
        )
        .await;
    let priced = {
        let rq = &g.request;
        let mut q = pricing::EstimateRequest::new(rq.prompt.clone(), rq.width, rq.height);
        q.negative_prompt = rq.negative_prompt.clone();
        q.quality = rq.quality.clone();
        q.n = rq.n.max(1);
        q.steps = rq.steps;
        q.seed = rq.seed;
        q
    };
    match out {
        Ok(out) => {
            let usage = usage_of(&out.usage, Some(&out), None, started);
            let cost = pricing::settle(&offer, &priced, &usage).actual;
            let f = AttemptFinish {
                outcome: "succeeded".into(),
                billed: true,
                cost,
                usage: serde_json::to_value(&out.usage).ok(),
                error: None,
            };
            // The attempt carries its calibration key from when it was started.
            let sample = core
                .store_op(move |s| {
                    s.finish_attempt(attempt, &f)?;
                    s.calibration_sample(attempt)
                })
                .await?;
            if let Some(row) = sample {
                core.learn(crate::shared::sample_of(row));
            }
            report.charged_usd += budget::charge(core, project, id, cost).await?;
            let seed_default = g.request.seed;
            core.store_op(move |s| {
                for (idx, img) in out.images.iter().enumerate() {
                    let seed = img
                        .seed
                        .or(seed_default)
                        .and_then(|v| i64::try_from(v).ok());
                    s.persist_image(id, u32::try_from(idx).unwrap_or(u32::MAX), &img.bytes, seed)?;
                }
                Ok(())
            })
            .await?;
            report.released_usd += budget::release(core, id).await?;
            core.store_op(move |s| s.set_status(id, Status::Succeeded, None))
                .await?;
            report.resumed.push(id.to_string());
            Ok(())
        }
        Err(e) if matches!(e.class, ErrorClass::Timeout { .. }) => {
            report.still_running.push(id.to_string());
            report.messages.push(format!(
                "generation {id}: job {} is still running at {}; it will be polled at the next start",
                job.remote_id, offer.provider
            ));
            Ok(())
        }
        Err(e) => {
            let billed = e.probably_billed();
            let cost = if billed {
                let raw = e.usage.as_deref().cloned().unwrap_or_default();
                let usage = usage_of(&raw, None, Some(priced.n), started);
                pricing::settle(&offer, &priced, &usage).actual
            } else {
                Decimal::ZERO
            };
            let f = AttemptFinish {
                outcome: e.class.name().into(),
                billed,
                cost,
                usage: None,
                error: Some(e.message.clone()),
            };
            core.store_op(move |s| s.finish_attempt(attempt, &f))
                .await?;
            if cost > Decimal::ZERO {
                report.charged_usd += budget::charge(core, project, id, cost).await?;
            }
            fail(core, r, report, &e.message).await
        }
    }
}

async fn fail(
    core: &Arc<Core>,
    r: &RunningGeneration,
    report: &mut RecoveryReport,
    why: &str,
) -> Result<()> {
    let id = r.generation.id;
    report.released_usd += budget::release(core, id).await?;
    let why = why.to_owned();
    core.store_op(move |s| s.set_status(id, Status::Failed, Some(&why)))
        .await?;
    report.failed.push(id.to_string());
    Ok(())
}
