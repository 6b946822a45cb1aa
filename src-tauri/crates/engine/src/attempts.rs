//! Attempts on one offer (the decisions; `attempt_books` records them): call the provider, classify the failure, retry (rate limits
//! honour Retry-After, transient errors back off with jitter), resume remote jobs (never
//! resubmit), and record every call with what it may have cost.
//!
//! Invariant (DESIGN.md §2, issue 11) — at most one paid submission per attempt, and
//! every call that may have billed is accounted. Enforced here, in `Call::run`:
//! - the attempt row is written `sent` before the request leaves;
//! - an error that names a job (`remote_job`) resumes THAT job, bounded by
//!   `RetryPolicy::resume_for`; it is never resubmitted. Past the bound the job is
//!   abandoned: charged as unconfirmed (BFL submit credits, else the estimate) with its
//!   handle kept so recovery can reconcile it;
//! - `Billing::Billed` is charged (settled usage, else the estimate); the failure is
//!   definite: the next candidate may be tried, the same offer is not resent;
//! - `Billing::Unknown` is charged as unconfirmed at the call's expected estimate and
//!   the request stops (no resend, no fallback);
//! - only `Billing::NotBilled` without a job is retried or falls back;
//! - a cancel once the request is in the provider client's hands books the call as
//!   unconfirmed (the provider may bill it); before that nothing was spent (an attempt
//!   already `sent` whose request never left is closed unbilled) and the reservation is
//!   released.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pricing::{EstimateRequest, Offer};
use providers::{Billing, ErrorClass, GenerateRequest, ProviderError, RemoteJob};
use rand::Rng;
use rust_decimal::Decimal;
use store::{AttemptFinish, GenerationId, NewAttempt, ProjectId};
use tokio_util::sync::CancellationToken;

use crate::api::{GenerationResult, JobEvent};
use crate::budget;
use crate::config::ProgressFn;
use crate::context::Core;
use crate::error::{EngineError, Result};
use crate::provider_gateway::KeyLookup;
use crate::settle::submit_credits_cost;

/// How one provider call (with its retries) ended.
pub(crate) enum CallEnd {
    /// Images stored and charged (`images` of them), with the generation as it stands
    /// when this call completed it.
    Done(u32, Option<Box<GenerationResult>>),
    /// Give up on this offer; the next one may be tried.
    Fallback(String),
    /// The provider's safety filter refused; never retried on the same offer.
    Safety(String),
    Cancelled,
    /// The call may have billed and its outcome is not known (or its job was abandoned):
    /// stop without resubmitting anywhere.
    Stuck(String),
    /// The generation was closed by the call itself (paid images that could not be saved).
    Closed,
}

pub(crate) struct Call<'a> {
    pub core: &'a Arc<Core>,
    pub generation: GenerationId,
    pub project: ProjectId,
    /// The team project's name when it is one (read in the run's first hop).
    pub team: Option<&'a str>,
    pub offer: &'a Offer,
    /// The request priced for this call (n = images of this call).
    pub priced: EstimateRequest,
    pub request: GenerateRequest,
    /// Reservation this call must be covered by before it is sent.
    pub worst_case: Decimal,
    /// This call's expected cost: what an unknown outcome is charged at.
    pub expected: Decimal,
    /// The request's calibration key when this call is the whole request on a usage- or
    /// time-billed offer: recorded on each attempt, and a success's settled cost is
    /// learned as a sample.
    pub calibration_key: Option<String>,
    pub cancel: &'a CancellationToken,
    pub emit: &'a ProgressFn,
    /// Running count of attempts of the generation (for the `running` event).
    pub attempt_no: &'a mut u32,
    /// What this generation still holds, tracked in memory so the common path needs
    /// no extra read; a shortfall is topped up through the store's budget check.
    pub held: &'a mut Decimal,
    /// Index of this call's first image in the generation, and the request's total.
    pub first_idx: u32,
    pub wanted: u32,
    /// The request's last call (its success completes the generation).
    pub last: bool,
    /// Seed recorded on images the provider does not report one for.
    pub seed: Option<u64>,
    /// The first attempt, already written `sent` with the claim, and its provider permit
    /// (`first_call`): the first pass sends it instead of writing one.
    pub presend: Option<(i64, tokio::sync::OwnedSemaphorePermit)>,
}

/// Records an attempt that was never sent.
pub(crate) async fn record_skip(
    core: &Arc<Core>,
    generation: GenerationId,
    offer: &Offer,
    reason: String,
) -> Result<()> {
    let new = NewAttempt {
        provider: offer.provider,
        model: offer.model.to_string(),
        offer_id: offer.id.to_string(),
        remote_job: None,
    };
    core.store_op(move |s| {
        let a = s.start_attempt(generation, &new)?;
        s.finish_attempt(
            a.id,
            &AttemptFinish {
                outcome: "skipped".into(),
                billed: false,
                cost: Decimal::ZERO,
                usage: None,
                error: Some(reason),
            },
        )
    })
    .await
}

fn backoff(core: &Core, retry: u32) -> Duration {
    let p = &core.options().retry;
    let base = p.backoff_base.saturating_mul(1u32 << retry.min(16));
    let capped = base.min(p.backoff_max);
    let jitter = rand::rng().random_range(0.0..=0.5);
    capped + capped.mul_f64(jitter)
}

/// Sleeps unless cancelled; false when cancelled.
async fn wait(d: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(d) => true,
        _ = cancel.cancelled() => false,
    }
}

/// What the loop does after a failed call.
enum Next {
    Retry,
    Resume(RemoteJob),
    End(CallEnd),
}

/// Retry counters of one call.
#[derive(Default)]
struct Counters {
    transient: u32,
    limited: u32,
    resumes: u32,
    resuming_since: Option<Instant>,
}

impl Call<'_> {
    /// Runs the call to an end, retrying and resuming as the failure's billing allows.
    pub async fn run(&mut self, key: &KeyLookup) -> Result<CallEnd> {
        let provider = self.offer.provider.to_string();
        let client = if self.offer.provider == vocab::OfferProvider::Gateway {
            match crate::gateways::client(self.core, &self.offer.id).await {
                Ok(c) => c,
                Err(why) => return Ok(CallEnd::Fallback(why)),
            }
        } else {
            let Some(client) = self.core.wiring().client(&self.offer.id, &provider) else {
                return Ok(CallEnd::Fallback(format!(
                    "no endpoint is configured for {provider}; set one in Settings → Endpoints"
                )));
            };
            client
        };
        let key = match key {
            KeyLookup::Found(k) => Some(k.expose()),
            _ => None,
        };
        // One limit and breaker per provider, or per gateway (all its models share one).
        let limit = crate::limits::limit_key(&self.offer.id, &provider);
        let mut n = Counters::default();
        let mut remote: Option<RemoteJob> = None;
        loop {
            if let Some((attempt, permit)) = self.presend.take() {
                if self.cancel.is_cancelled() {
                    // Written `sent` but never sent: nothing to bill.
                    let e = ProviderError::new(
                        &provider,
                        ErrorClass::Cancelled,
                        "cancelled before the request was sent",
                    );
                    self.close_unbilled(attempt, &e, None).await?;
                    return Ok(CallEnd::Cancelled);
                }
                let next = self
                    .send(&*client, key, attempt, remote.as_ref(), &mut n)
                    .await?;
                // Held through the send and what follows it, as the permit below is.
                drop(permit);
                match next {
                    Next::Retry => {}
                    Next::Resume(job) => remote = Some(job),
                    Next::End(end) => return Ok(end),
                }
                continue;
            }
            if self.cancel.is_cancelled() {
                return self.cancelled_between(remote).await;
            }
            // A job we are resuming is never given up for a cooling-down breaker: moving
            // on could pay twice.
            if remote.is_none()
                && let Some(left) = self.core.runs().limits().cooling_down(&limit)
            {
                return Ok(CallEnd::Fallback(format!(
                    "{limit} failed repeatedly and is cooling down for {} s",
                    left.as_secs().max(1)
                )));
            }
            if *self.held < self.worst_case {
                crate::shared::ensure(self.core, self.team, self.generation, self.worst_case)
                    .await?;
                budget::ensure_reserved(
                    self.core.store(),
                    self.project,
                    self.generation,
                    self.worst_case,
                )
                .await?;
                *self.held = self.worst_case;
            }
            let sem = self.core.runs().limits().semaphore(&limit);
            let _permit = tokio::select! {
                p = sem.acquire_owned() => p.map_err(|_| EngineError::internal("provider limiter closed"))?,
                _ = self.cancel.cancelled() => return self.cancelled_between(remote).await,
            };
            let attempt = self.start_attempt(remote.as_ref()).await?;
            match self
                .send(&*client, key, attempt, remote.as_ref(), &mut n)
                .await?
            {
                Next::Retry => {}
                Next::Resume(job) => remote = Some(job),
                Next::End(end) => return Ok(end),
            }
        }
    }

    /// One request (or resume) on the attempt written `sent`, and what follows it.
    async fn send(
        &mut self,
        client: &dyn providers::ImageProvider,
        key: Option<&str>,
        attempt: i64,
        remote: Option<&RemoteJob>,
        n: &mut Counters,
    ) -> Result<Next> {
        *self.attempt_no += 1;
        (self.emit)(JobEvent::Running {
            provider: self.offer.provider,
            model: self.offer.model.to_string(),
            attempt: *self.attempt_no,
        });
        // The progress callback can take its time (the app forwards it to the window): a
        // cancel that came in meanwhile finds a new request not sent yet, so nothing billed.
        if remote.is_none() && self.cancel.is_cancelled() {
            let e = ProviderError::new(
                self.offer.provider.as_str(),
                ErrorClass::Cancelled,
                "cancelled before the request was sent",
            );
            self.close_unbilled(attempt, &e, None).await?;
            return Ok(Next::End(CallEnd::Cancelled));
        }
        let job_slot = Arc::new(parking_lot::Mutex::new(remote.cloned()));
        let sink = self.sink(attempt, job_slot.clone());
        let started = chrono::Utc::now();
        let result = match remote {
            Some(job) => client.resume(job, key, &sink, self.cancel).await,
            None => {
                client
                    .generate(&self.request, key, &sink, self.cancel)
                    .await
            }
        };
        match result {
            Ok(out) => self.succeed(attempt, &out, started).await.map(Next::End),
            Err(e) => {
                let known = job_slot.lock().clone();
                self.after_error(attempt, e, known, started, n).await
            }
        }
    }

    async fn after_error(
        &mut self,
        attempt: i64,
        e: ProviderError,
        known: Option<RemoteJob>,
        started: chrono::DateTime<chrono::Utc>,
        n: &mut Counters,
    ) -> Result<Next> {
        let provider = self.offer.provider.to_string();
        let retry = self.core.options().retry.clone();
        if matches!(e.class, ErrorClass::Cancelled) {
            match (e.billing, &known) {
                (Billing::Billed, _) => {
                    self.charge_billed(attempt, &e, known.as_ref(), started)
                        .await?;
                }
                // BFL has no cancel endpoint and billed at submit.
                (_, Some(job)) if submit_credits_cost(self.offer, &self.priced, job).is_some() => {
                    let msg = format!("{}; the job keeps running at {provider}", e.message);
                    self.book_unconfirmed(attempt, &e, &msg, Some(job), true)
                        .await?;
                }
                // The provider cancelled its job on our request (fal, Replicate).
                (Billing::NotBilled, Some(_)) => self.close_unbilled(attempt, &e, None).await?,
                // Sent, then cancelled: the provider may bill it.
                _ => {
                    let msg = format!(
                        "{}; the request had already been sent, so it may be billed",
                        e.message
                    );
                    self.book_unconfirmed(attempt, &e, &msg, None, false)
                        .await?;
                }
            }
            return Ok(Next::End(CallEnd::Cancelled));
        }

        if let Some(job) = e.remote_job.as_deref().cloned() {
            // The job exists at the provider: poll it again, never resubmit (F1).
            let since = *n.resuming_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= retry.resume_for || n.resumes >= retry.resume_attempts {
                let msg = format!(
                    "{}. The {provider} job {} did not finish within {:.1} s; it was not \
                     resubmitted, its price is booked as an unconfirmed charge and \
                     `recover` checks it again later",
                    e.message,
                    job.remote_id,
                    since.elapsed().as_secs_f64()
                );
                self.book_unconfirmed(attempt, &e, &msg, Some(&job), true)
                    .await?;
                return Ok(Next::End(CallEnd::Stuck(msg)));
            }
            self.close_unbilled(attempt, &e, Some("the job is polled again"))
                .await?;
            let d = backoff(self.core, n.resumes);
            n.resumes += 1;
            if !wait(d, self.cancel).await {
                return self.cancelled_between(Some(job)).await.map(Next::End);
            }
            return Ok(Next::Resume(job));
        }

        // The job this call submitted ended for good (no handle to resume) and BFL bills
        // at submit: book its submit cost; never resubmit the same offer.
        if e.billing == Billing::NotBilled
            && let Some(job) = &known
            && submit_credits_cost(self.offer, &self.priced, job).is_some()
        {
            let msg = format!(
                "{}; BFL charges a job when it accepts it, so its submit cost is booked as an \
                 unconfirmed charge",
                e.message
            );
            self.book_unconfirmed(attempt, &e, &msg, Some(job), false)
                .await?;
            return Ok(Next::End(CallEnd::Fallback(msg)));
        }
        match e.billing {
            Billing::Billed => {
                // Definite and paid: charge it; another offer may be tried, this one is
                // not resent (F2).
                self.charge_billed(attempt, &e, known.as_ref(), started)
                    .await?;
                return Ok(Next::End(match e.class {
                    ErrorClass::SafetyBlock { .. } => CallEnd::Safety(e.message),
                    _ => CallEnd::Fallback(e.message),
                }));
            }
            Billing::Unknown => {
                let msg = format!(
                    "{}. The request reached {provider} and its outcome is unknown, so it was \
                     not resent: its estimate is booked as an unconfirmed charge; check your \
                     {provider} dashboard, then confirm or refund it",
                    e.message
                );
                self.book_unconfirmed(attempt, &e, &msg, known.as_ref(), known.is_some())
                    .await?;
                return Ok(Next::End(CallEnd::Stuck(msg)));
            }
            Billing::NotBilled => self.close_unbilled(attempt, &e, None).await?,
        }
        match &e.class {
            ErrorClass::Cancelled => Ok(Next::End(CallEnd::Cancelled)),
            ErrorClass::SafetyBlock { .. } => Ok(Next::End(CallEnd::Safety(e.message))),
            ErrorClass::QuotaExhausted
            | ErrorClass::AuthFailed
            | ErrorClass::InvalidRequest { .. } => Ok(Next::End(CallEnd::Fallback(e.message))),
            ErrorClass::RateLimited { retry_after_ms } => {
                self.core
                    .runs()
                    .limits()
                    .failure(&crate::limits::limit_key(&self.offer.id, &provider));
                if n.limited >= retry.rate_limit_retries {
                    return Ok(Next::End(CallEnd::Fallback(e.message)));
                }
                n.limited += 1;
                let d = retry_after_ms
                    .map(Duration::from_millis)
                    .unwrap_or(retry.rate_limit_default)
                    .min(retry.rate_limit_cap);
                let seconds = u32::try_from(d.as_millis().div_ceil(1000)).unwrap_or(u32::MAX);
                (self.emit)(JobEvent::WaitingRateLimit {
                    provider: self.offer.provider,
                    seconds,
                });
                if !wait(d, self.cancel).await {
                    return Ok(Next::End(CallEnd::Cancelled));
                }
                Ok(Next::Retry)
            }
            ErrorClass::Transient | ErrorClass::Timeout { .. } | ErrorClass::MalformedResponse => {
                self.core
                    .runs()
                    .limits()
                    .failure(&crate::limits::limit_key(&self.offer.id, &provider));
                if n.transient >= retry.transient_retries {
                    return Ok(Next::End(CallEnd::Fallback(e.message)));
                }
                let d = backoff(self.core, n.transient);
                n.transient += 1;
                if !wait(d, self.cancel).await {
                    return Ok(Next::End(CallEnd::Cancelled));
                }
                Ok(Next::Retry)
            }
        }
    }

    /// Cancelled while nothing was in flight: free, unless a named job may still bill.
    async fn cancelled_between(&mut self, remote: Option<RemoteJob>) -> Result<CallEnd> {
        if let Some(job) = remote {
            let attempt = self.start_attempt(Some(&job)).await?;
            let e = ProviderError::new(
                self.offer.provider.as_str(),
                ErrorClass::Cancelled,
                "cancelled while its job was still running at the provider",
            );
            let msg = e.message.clone();
            self.book_unconfirmed(attempt, &e, &msg, Some(&job), true)
                .await?;
        }
        Ok(CallEnd::Cancelled)
    }
}
