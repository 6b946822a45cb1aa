//! One generation end to end (DESIGN.md §2): candidates → dedup → moderation →
//! reserve → attempts with fallbacks → store images → settle and release.
//!
//! Errors before any provider call (validation, budget, keychain, moderation, no usable
//! offer) come back as `Err`; once attempts have run, the outcome is an `Ok` result
//! whose status says succeeded / failed / cancelled, with every attempt listed.

use std::sync::Arc;

use rand::Rng;
use rust_decimal::Decimal;
use store::{GenerationId, NewGeneration, ProjectId, Status};
use tokio_util::sync::CancellationToken;

use crate::api::{GenerationResult, GenerationStatus, JobEvent, Route, Tier};
use crate::attempts::{Call, CallEnd, record_skip};
use crate::budget;
use crate::candidates::route_candidates;
use crate::claim::{Claimed, Held, Reuse, claim, worst_of};
use crate::config::ProgressFn;
use crate::context::Core;
use crate::convert;
use crate::error::{EngineError, Result};
use crate::provider_gateway::KeyLookup;
use crate::routing::{self, Candidate};
use crate::team_hook::ReserveTicket;

pub(crate) use crate::job_spec::JobSpec;

pub(crate) async fn run(
    core: Arc<Core>,
    mut spec: JobSpec,
    cancel: CancellationToken,
    emit: ProgressFn,
    slot: &mut Option<tokio::sync::OwnedSemaphorePermit>,
) -> Result<GenerationResult> {
    loop {
        let out = run_once(
            core.clone(),
            spec.clone(),
            cancel.clone(),
            emit.clone(),
            slot,
        )
        .await;
        // A team reservation above the approval threshold: ask, then run it anew once
        // approved (the wait is the next round's ticket).
        match out {
            Err(e) if spec.approval.is_none() && crate::shared::needs_approval(&e).is_some() => {
                let Some(needs) = crate::shared::needs_approval(&e) else {
                    return Err(e);
                };
                spec.approval = crate::approval::ask(&core, &spec, needs).await?;
            }
            out => {
                // The library's record of an approval is kept until the job that claimed it
                // ends (a crash before any attempt resumes it); the process that lost the
                // claim leaves it to the winner.
                if let Some(r) = &spec.approval
                    && !matches!(&out, Err(e) if crate::shared::approval_taken(e))
                {
                    crate::approval::forget(&core, &r.id).await;
                }
                return out;
            }
        }
    }
}

// `first_call` (a provider permit) is moved into `first` right after the claim; the
// lint misreads the claim loop around it.
#[allow(clippy::significant_drop_tightening)]
async fn run_once(
    core: Arc<Core>,
    spec: JobSpec,
    cancel: CancellationToken,
    emit: ProgressFn,
    slot: &mut Option<tokio::sync::OwnedSemaphorePermit>,
) -> Result<GenerationResult> {
    emit(JobEvent::Estimating);
    routing::validate_params(&spec.params)?;
    // Everything the run needs to know about the project (the team flag too: solo or
    // team, the reservation then needs no read of its own); cached while unchanged.
    let ctx = crate::project_read::project_context(&core, &spec.project).await?;
    let (project, policy, moderate, team) =
        (ctx.project, &ctx.policy, ctx.moderate, ctx.team.clone());
    // A random seed is picked once and recorded, so the result can be reproduced.
    let seed = spec
        .params
        .seed
        .unwrap_or_else(|| rand::rng().random_range(0..i32::MAX as u32));
    let (mut req, resolved) =
        crate::inputs::priced(&core, &spec.params, Some(u64::from(seed))).await?;
    let inputs = &resolved.canonical;
    if spec.later {
        req.latency = pricing::LatencyTier::Batch;
    }
    let catalog = core.wiring().catalog();
    let mut cands =
        route_candidates(&core, &catalog, &spec.route, policy, &req, &spec.params).await;
    if spec.later {
        crate::deferred::restrict(&core, &req, &mut cands);
    }
    if cands.is_empty() {
        return Err(EngineError::validation(match &spec.route {
            Route::Offer(id) => format!("offer `{id}` is not in the price catalog"),
            _ => "no offer can serve this request: add a provider key in Settings → Keys, \
                  or set the project's chain"
                .to_owned(),
        }));
    }
    let tier = match &spec.route {
        Route::Draft => Tier::Draft,
        Route::Final => Tier::Final,
        Route::Offer(_) => convert::tier(cands[0].offer.tier),
    };

    let reuse =
        (!spec.no_dedup).then(|| Reuse::new(&cands, &req, inputs, project, &tier, spec.parent));
    // Without moderation the gallery check rides along with the claim (one store hop);
    // with it, a reusable result is looked up first, since reusing it costs nothing.
    let mut reuse_first = reuse.clone();
    if moderate {
        if let Some(r) = reuse_first.take()
            && let Some(result) = r.run(&core).await?
        {
            return Ok(reused(&emit, result));
        }
        crate::moderation::preflight(&core, &spec.params).await?;
    }
    // A team project: this library's or a teammate's result, before anything is held.
    if let Some(r) = &reuse
        && let Some(result) = crate::team_sync::reuse(
            &core,
            project,
            team.as_deref(),
            r.keys(),
            r.tier_parent(),
            r.clone().run(&core),
        )
        .await?
    {
        return Ok(reused(&emit, result));
    }

    // A team project's approval threshold is checked by the server's reservation; a
    // request resumed for an approval waits here for the decision (without its queue
    // slot) and presents the approval to its reservation.
    let ticket =
        crate::approval::ticket(&core, &spec, team.as_deref(), &cancel, &emit, slot).await?;

    // The generation row exists from here on; it is reconciled if the process dies.
    let first = cands.iter().find(|c| c.skip.is_none()).unwrap_or(&cands[0]);
    let new = NewGeneration {
        project_id: project,
        request: first.canonical(&req, inputs),
        tier: convert::to_store_tier(&tier),
        parent_id: spec.parent,
        offer_id: Some(first.offer.id.to_string()),
        estimate: Some(first.estimate.expected),
        seed_honoured: first.seed_honoured(),
    };
    // With no candidate to record as skipped, the worst case is reserved in the claim's
    // store hop (its own transaction, right after the claim's, as before).
    let hold = (!spec.later && cands.iter().all(|c| c.skip.is_none()))
        .then(|| (project, worst_of(cands.iter())));
    // Solo, nothing skipped and the first offer's provider permit free: its attempt is
    // written `sent` in the same transaction as the claim and the reservation.
    let mut first_call = match (&hold, &team) {
        (Some(_), None) => crate::first_call::plan(&core, &cands[0]),
        _ => None,
    };
    let mut rounds = 0;
    let (generation, held, sent) = loop {
        rounds += 1;
        // After a few failed twins, run this request ourselves rather than wait again.
        // An approved request is claimed on the server by its reservation, not by
        // waiting on an identical one in flight here (of two processes presenting the
        // approval, the server lets one run it; the other is told so).
        let no_claim =
            spec.no_dedup || rounds > 3 || matches!(ticket, ReserveTicket::Approved { .. });
        let send = first_call
            .as_mut()
            .and_then(crate::first_call::FirstCall::permit_now);
        match claim(
            &core,
            &new,
            no_claim,
            &cancel,
            reuse_first.take(),
            hold,
            send,
        )
        .await?
        {
            Claimed::Mine(id, held, sent) => break (id, held, sent),
            Claimed::Reused(result) => return Ok(reused(&emit, *result)),
            Claimed::TwinDone => {
                if let Some(f) = first_call.as_mut() {
                    f.release();
                }
                if let Some(r) = &reuse
                    && let Some(result) = r.clone().run(&core).await?
                {
                    return Ok(reused(&emit, result));
                }
            }
        }
    };
    // The first call when its attempt was written with the claim (else the permit goes).
    let first = first_call.and_then(|f| f.written(sent));
    let _guard = core.runs().guard(generation);
    if let ReserveTicket::Approved { id, .. } = &ticket {
        crate::approval::claiming(&core, id, generation).await?;
    }

    let mut run = Run {
        core: &core,
        generation,
        project,
        team: team.as_deref(),
        ticket: &ticket,
        cancel: &cancel,
        emit: &emit,
        req: &req,
        inputs: &resolved,
        allow_safety_fallback: policy.allow_safety_fallback,
        warning: None,
    };
    let outcome = if spec.later {
        crate::deferred::submit(
            &core,
            generation,
            (project, team.as_deref(), &ticket),
            &cands,
            (&req, &resolved),
            &cancel,
            &emit,
        )
        .await
        .map(|(end, warning)| {
            run.warning = warning;
            match end {
                crate::deferred::Submitted::Deferred => Outcome::Deferred,
                crate::deferred::Submitted::Failed(m) => Outcome::Failed(m),
                crate::deferred::Submitted::Cancelled => Outcome::Cancelled,
            }
        })
    } else {
        run.attempts(&cands, held, first).await
    };
    let result = match outcome {
        Ok(outcome) => run.finish(outcome).await,
        Err(e) => {
            // A call still `sent` or `answered` (the store failed mid-settlement) may have
            // been billed: leave the generation running so recovery books it. Otherwise
            // nothing is half-done: release and record the failure in one step.
            let msg = e.message.clone();
            let closed = core
                .store_op(move |s| {
                    let open = s
                        .attempts(generation)?
                        .iter()
                        .any(|a| matches!(a.state.as_str(), "sent" | "answered"));
                    if !open {
                        s.finish_generation(generation, Status::Failed, Some(&msg))?;
                    }
                    Ok(())
                })
                .await;
            // The run's own error is what the caller needs; a store that also failed to
            // close the row leaves it running, and recovery reconciles it.
            if let Err(close) = closed {
                tracing::warn!(
                    generation = %generation,
                    "could not record the failed generation (recovery will): {close}"
                );
            }
            Err(e)
        }
    };
    crate::shared::after_generation(&core, generation).await;
    result
}

fn reused(emit: &ProgressFn, result: GenerationResult) -> GenerationResult {
    emit(JobEvent::Done {
        result: result.clone(),
    });
    result
}

enum Outcome {
    /// The generation's status is already final (stored by the last call's settlement),
    /// with the generation as read back in that settlement's hop, when it was.
    Closed(Option<Box<GenerationResult>>),
    /// Sent to a provider's batch API; it stays running until recovery lands it.
    Deferred,
    Failed(String),
    Cancelled,
}

struct Run<'a> {
    core: &'a Arc<Core>,
    generation: GenerationId,
    project: ProjectId,
    /// The team project's name when it is one (read in the run's first hop).
    team: Option<&'a str>,
    /// How its team reservation treats the approval threshold.
    ticket: &'a ReserveTicket,
    cancel: &'a CancellationToken,
    emit: &'a ProgressFn,
    req: &'a pricing::EstimateRequest,
    /// The request's input images (bytes loaded once, shared by every call).
    inputs: &'a crate::inputs::Resolved,
    allow_safety_fallback: bool,
    /// The reservation's budget warning, carried into the result.
    warning: Option<String>,
}

impl Run<'_> {
    /// `held`: the reservation made in the claim's hop, if it was.
    /// `first`: the first call's attempt, already written `sent` with the reservation.
    async fn attempts(
        &mut self,
        cands: &[Candidate],
        held: Option<Held>,
        mut first: Option<crate::first_call::Sent>,
    ) -> Result<Outcome> {
        let usable: Vec<&Candidate> = cands.iter().filter(|c| c.skip.is_none()).collect();
        for c in cands {
            if let Some(reason) = &c.skip {
                record_skip(self.core, self.generation, &c.offer, reason.clone()).await?;
            }
        }
        if usable.is_empty() {
            let why: Vec<String> = cands
                .iter()
                .map(|c| format!("{}: {}", c.offer.id, c.skip.as_deref().unwrap_or("")))
                .collect();
            return Err(EngineError::validation(format!(
                "no offer in the chain can make this request ({})",
                why.join("; ")
            )));
        }
        // The worst case of any one candidate is held up front; a fallback after a
        // billed failure tops it up through the same hard-budget check.
        let worst = worst_of(usable.iter().copied());
        let outcome = match held {
            Some(held) => held.map_err(budget::budget_error)?,
            None => {
                budget::reserve(self.core.store(), self.project, self.generation, worst).await?
            }
        };
        // A team project also holds it on the team server (members never overrun the
        // shared budget together); a refusal there fails the generation, which releases
        // the local hold.
        crate::shared::reserve(self.core, self.team, self.generation, worst, self.ticket).await?;
        if matches!(self.ticket, ReserveTicket::Approved { .. }) {
            // Claimed on the server, nothing recorded as sent yet (tests: team_approvals).
            crate::crash_point::crash_point("after-approval-claim");
        }
        let warning = budget::warning_text(&outcome);
        if let Some(w) = &warning {
            tracing::warn!(generation = %self.generation, "{w}");
        }
        (self.emit)(JobEvent::Reserved {
            amount_usd: worst,
            warning: warning.clone(),
        });
        self.warning = warning;
        let mut held = worst;

        let mut attempt_no = 0u32;
        let mut last_error = String::from("no attempt succeeded");
        for (i, c) in usable.iter().enumerate() {
            if i > 0 {
                let canonical = c.canonical(self.req, &self.inputs.canonical);
                let (g, offer) = (self.generation, c.offer.id.to_string());
                self.core
                    .store_op(move |s| s.set_generation_offer(g, &offer, &canonical))
                    .await?;
            }
            let presend = first.take().filter(|_| i == 0);
            let skip = match crate::gateways::key_for_offer(self.core, &c.offer).await {
                Ok(KeyLookup::Missing) => Err(format!(
                    "no API key for {}; add one in Settings → Keys",
                    c.offer.provider
                )),
                Ok(k) => Ok(k),
                Err(e) => Err(e.message),
            };
            let key = match skip {
                Ok(k) => k,
                Err(reason) => {
                    match &presend {
                        // Written `sent` with the claim, never sent: closed as skipped.
                        Some((attempt, _)) => {
                            crate::first_call::skip_written(self.core, *attempt, &reason).await?;
                        }
                        None => {
                            record_skip(self.core, self.generation, &c.offer, reason.clone())
                                .await?;
                        }
                    }
                    last_error = reason;
                    continue;
                }
            };
            match self
                .offer(c, &key, &mut attempt_no, &mut held, presend)
                .await?
            {
                OfferEnd::Images(result) => return Ok(Outcome::Closed(result)),
                OfferEnd::Closed => return Ok(Outcome::Closed(None)),
                OfferEnd::Cancelled => return Ok(Outcome::Cancelled),
                OfferEnd::Next(msg) => last_error = msg,
                OfferEnd::Stop(msg) => return Ok(Outcome::Failed(msg)),
                OfferEnd::Safety(msg) if self.allow_safety_fallback => last_error = msg,
                OfferEnd::Safety(msg) => {
                    return Ok(Outcome::Failed(format!(
                        "{msg}. Blocked by {}'s safety filter; this project does not fall back \
                         to other providers after a block — rephrase the prompt, or allow \
                         safety fallback in the project settings.",
                        c.offer.provider
                    )));
                }
            }
        }
        Ok(Outcome::Failed(last_error))
    }

    /// All calls of one offer (more than one when n exceeds its per-call maximum).
    async fn offer(
        &self,
        c: &Candidate,
        key: &KeyLookup,
        attempt_no: &mut u32,
        held: &mut Decimal,
        mut presend: Option<(i64, tokio::sync::OwnedSemaphorePermit)>,
    ) -> Result<OfferEnd> {
        let r = &c.estimate.resolved;
        let crate::first_call::PerCall {
            worst: per_call_worst,
            expected: per_call_expected,
            calibration_key,
        } = crate::first_call::per_call(c);
        let mut made = 0u32;
        let mut done = None;
        let mut left = r.n.max(1);
        while left > 0 {
            let n = left.min(r.n_per_call.max(1));
            left -= n;
            let mut priced = self.req.clone();
            priced.n = n;
            let request = providers::GenerateRequest {
                model: c.offer.model.to_string(),
                prompt: self.req.prompt.clone(),
                negative_prompt: if r.negative_prompt {
                    self.req.negative_prompt.clone()
                } else {
                    None
                },
                width: r.width,
                height: r.height,
                quality: r.quality.as_deref().map(str::to_owned),
                n,
                steps: r.steps,
                seed: r.seed,
                extra: serde_json::Value::Null,
                inputs: self.inputs.provider.clone(),
            };
            let mut call = Call {
                core: self.core,
                generation: self.generation,
                project: self.project,
                team: self.team,
                offer: &c.offer,
                priced,
                request,
                worst_case: per_call_worst,
                expected: per_call_expected,
                calibration_key: calibration_key.clone(),
                cancel: self.cancel,
                emit: self.emit,
                attempt_no: &mut *attempt_no,
                held: &mut *held,
                first_idx: made,
                wanted: r.n.max(1),
                last: left == 0,
                seed: c.offer.capabilities.seed.then_some(self.req.seed).flatten(),
                presend: presend.take(),
            };
            let partial = |m: String, made: u32| {
                // Invariant (F5): part of a multi-call request is never `succeeded` (and so
                // never served by dedup); the images made are kept and paid for.
                format!("only {made} of {} images were made: {m}", r.n.max(1))
            };
            match call.run(key).await? {
                CallEnd::Done(k, result) => {
                    made += k;
                    done = result;
                }
                CallEnd::Closed => return Ok(OfferEnd::Closed),
                CallEnd::Cancelled => return Ok(OfferEnd::Cancelled),
                CallEnd::Safety(m) if made == 0 => return Ok(OfferEnd::Safety(m)),
                CallEnd::Stuck(m) if made == 0 => return Ok(OfferEnd::Stop(m)),
                CallEnd::Fallback(m) if made == 0 => return Ok(OfferEnd::Next(m)),
                CallEnd::Safety(m) | CallEnd::Stuck(m) | CallEnd::Fallback(m) => {
                    return Ok(OfferEnd::Stop(partial(m, made)));
                }
            }
        }
        Ok(OfferEnd::Images(done))
    }

    async fn finish(&self, outcome: Outcome) -> Result<GenerationResult> {
        let g = self.generation;
        let close = match outcome {
            Outcome::Closed(Some(result)) => return Ok(self.report(*result)),
            Outcome::Closed(None) | Outcome::Deferred => None,
            Outcome::Failed(m) => Some((Status::Failed, m)),
            Outcome::Cancelled => Some((Status::Cancelled, "cancelled".to_owned())),
        };
        if let Some((status, msg)) = close {
            self.core
                .store_op(move |s| {
                    let rec = s.generation(g)?;
                    let msg = match (status, rec.unconfirmed.is_zero()) {
                        (Status::Cancelled, true) => {
                            format!("{msg}; only attempts already billed were charged")
                        }
                        (_, false) if !msg.contains("unconfirmed") => format!(
                            "{msg} (${} is booked as an unconfirmed charge: confirm or refund \
                             it once you have checked the provider's dashboard)",
                            rec.unconfirmed.normalize()
                        ),
                        _ => msg,
                    };
                    s.finish_generation(g, status, Some(&msg))
                })
                .await?;
        }
        let result = self
            .core
            .store_op(move |s| {
                let rec = s.generation(g)?;
                let images = s.images(g)?;
                let attempts = s.attempts(g)?;
                Ok(convert::result_of(s, &rec, &images, &attempts))
            })
            .await?;
        Ok(self.report(result))
    }

    /// Adds the reservation's warning and emits the terminal event.
    fn report(&self, mut result: GenerationResult) -> GenerationResult {
        result.budget_warning.clone_from(&self.warning);
        match result.status {
            GenerationStatus::Succeeded | GenerationStatus::Deferred => {
                (self.emit)(JobEvent::Done {
                    result: result.clone(),
                })
            }
            _ => (self.emit)(JobEvent::Failed {
                message: result
                    .error
                    .clone()
                    .unwrap_or_else(|| "the generation failed".into()),
                result: Some(result.clone()),
            }),
        }
        result
    }
}

enum OfferEnd {
    /// Every call's images are stored and the generation is succeeded (as read back by
    /// the last call's settlement).
    Images(Option<Box<GenerationResult>>),
    /// The generation was closed by a call (paid images that could not be saved).
    Closed,
    Next(String),
    Safety(String),
    Stop(String),
    Cancelled,
}
