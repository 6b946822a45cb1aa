//! Attempts on one offer: call the provider, classify the failure, retry (rate limits
//! honour Retry-After, transient errors back off with jitter), resume timed-out remote
//! jobs (never resubmit), and record every call with billed yes/no and its cost.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pricing::{EstimateRequest, Offer};
use providers::{
    ErrorClass, GenerateOutput, GenerateRequest, ProgressSink, ProviderError, ProviderProgress,
    RawUsage, RemoteJob,
};
use rand::Rng;
use rust_decimal::Decimal;
use store::{AttemptFinish, GenerationId, NewAttempt, ProjectId};
use tokio_util::sync::CancellationToken;

use crate::api::JobEvent;
use crate::budget;
use crate::error::{EngineError, Result};
use crate::facade::ProgressFn;
use crate::shared::{Core, KeyLookup};

/// How one provider call (with its retries) ended.
pub(crate) enum CallEnd {
    Done(Box<GenerateOutput>),
    /// Give up on this offer; the next one may be tried.
    Fallback(String),
    /// The provider's safety filter refused; never retried on the same offer.
    Safety(String),
    Cancelled,
    /// A remote job that may still finish and bill: stop without resubmitting anywhere.
    Stuck(String),
}

pub(crate) struct Call<'a> {
    pub core: &'a Arc<Core>,
    pub generation: GenerationId,
    pub project: ProjectId,
    pub offer: &'a Offer,
    /// The request priced for this call (n = images of this call).
    pub priced: EstimateRequest,
    pub request: GenerateRequest,
    /// Reservation this call must be covered by before it is sent.
    pub worst_case: Decimal,
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
    pub held: &'a parking_lot::Mutex<Decimal>,
}

/// Records an attempt that was never sent.
pub(crate) async fn record_skip(
    core: &Arc<Core>,
    generation: GenerationId,
    offer: &Offer,
    reason: String,
) -> Result<()> {
    let new = NewAttempt {
        provider: offer.provider.to_string(),
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
    let p = &core.options.retry;
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
        billable_units: raw.billable_units,
        started_at: Some(started),
    }
}

fn usage_json(raw: &RawUsage) -> Option<serde_json::Value> {
    serde_json::to_value(raw).ok()
}

impl Call<'_> {
    /// Runs the call to an end, retrying and resuming as the failure class allows.
    pub async fn run(&mut self, key: &KeyLookup) -> Result<CallEnd> {
        let provider = self.offer.provider.to_string();
        let Some(client) = self.core.client(&self.offer.id, &provider) else {
            return Ok(CallEnd::Fallback(format!(
                "no endpoint is configured for {provider}; set one in Settings → Endpoints"
            )));
        };
        let key = match key {
            KeyLookup::Found(k) => Some(k.as_str()),
            _ => None,
        };
        let retry = self.core.options.retry.clone();
        let (mut transient, mut limited, mut resumes) = (0u32, 0u32, 0u32);
        let mut remote: Option<RemoteJob> = None;
        loop {
            if self.cancel.is_cancelled() {
                return Ok(CallEnd::Cancelled);
            }
            if let Some(left) = self.core.limits.cooling_down(&provider) {
                return Ok(CallEnd::Fallback(format!(
                    "{provider} failed repeatedly and is cooling down for {} s",
                    left.as_secs().max(1)
                )));
            }
            let held = *self.held.lock();
            if held < self.worst_case {
                budget::ensure_reserved(self.core, self.project, self.generation, self.worst_case)
                    .await?;
                *self.held.lock() = self.worst_case;
            }
            let sem = self.core.limits.semaphore(&provider);
            let _permit = tokio::select! {
                p = sem.acquire_owned() => p.map_err(|_| EngineError::internal("provider limiter closed"))?,
                _ = self.cancel.cancelled() => return Ok(CallEnd::Cancelled),
            };
            let attempt = self.start_attempt(remote.as_ref()).await?;
            *self.attempt_no += 1;
            (self.emit)(JobEvent::Running {
                provider: provider.clone(),
                model: self.offer.model.to_string(),
                attempt: *self.attempt_no,
            });
            let sink = self.sink(attempt, remote.as_ref().map(|r| r.remote_id.clone()));
            let started = chrono::Utc::now();
            let result = match &remote {
                Some(job) => client.resume(job, key, &sink, self.cancel).await,
                None => {
                    client
                        .generate(&self.request, key, &sink, self.cancel)
                        .await
                }
            };
            match result {
                Ok(out) => {
                    let usage = usage_of(&out.usage, Some(&out), None, started);
                    let cost = pricing::settle(self.offer, &self.priced, &usage).actual;
                    self.finish(
                        attempt,
                        "succeeded",
                        true,
                        cost,
                        usage_json(&out.usage),
                        None,
                    )
                    .await?;
                    if let Some(key) = &self.calibration_key {
                        self.core.learn(pricing::CalibrationSample {
                            offer_id: self.offer.id.to_string(),
                            key: key.clone(),
                            actual: cost,
                        });
                    }
                    self.core.limits.success(&provider);
                    return Ok(CallEnd::Done(Box::new(out)));
                }
                Err(e) => {
                    self.finish_failed(attempt, &e, started).await?;
                    match &e.class {
                        ErrorClass::Cancelled => return Ok(CallEnd::Cancelled),
                        ErrorClass::SafetyBlock { .. } => return Ok(CallEnd::Safety(e.message)),
                        ErrorClass::QuotaExhausted
                        | ErrorClass::AuthFailed
                        | ErrorClass::InvalidRequest { .. } => {
                            return Ok(CallEnd::Fallback(e.message));
                        }
                        ErrorClass::RateLimited { retry_after_ms } => {
                            self.core.limits.failure(&provider);
                            if limited >= retry.rate_limit_retries {
                                return Ok(CallEnd::Fallback(e.message));
                            }
                            limited += 1;
                            let d = retry_after_ms
                                .map(Duration::from_millis)
                                .unwrap_or(retry.rate_limit_default)
                                .min(retry.rate_limit_cap);
                            let seconds =
                                u32::try_from(d.as_millis().div_ceil(1000)).unwrap_or(u32::MAX);
                            (self.emit)(JobEvent::WaitingRateLimit {
                                provider: provider.clone(),
                                seconds,
                            });
                            if !wait(d, self.cancel).await {
                                return Ok(CallEnd::Cancelled);
                            }
                        }
                        ErrorClass::Timeout { .. } if e.remote_job.is_some() => {
                            // The job exists at the provider: poll it again, never resubmit.
                            if resumes >= retry.resume_attempts {
                                return Ok(CallEnd::Stuck(e.message));
                            }
                            resumes += 1;
                            remote = e.remote_job.map(|b| *b);
                        }
                        ErrorClass::Transient
                        | ErrorClass::Timeout { .. }
                        | ErrorClass::MalformedResponse => {
                            self.core.limits.failure(&provider);
                            if transient >= retry.transient_retries {
                                return Ok(CallEnd::Fallback(e.message));
                            }
                            let d = backoff(self.core, transient);
                            transient += 1;
                            if !wait(d, self.cancel).await {
                                return Ok(CallEnd::Cancelled);
                            }
                        }
                    }
                }
            }
        }
    }

    async fn start_attempt(&self, remote: Option<&RemoteJob>) -> Result<i64> {
        let new = NewAttempt {
            provider: self.offer.provider.to_string(),
            model: self.offer.model.to_string(),
            offer_id: self.offer.id.to_string(),
            remote_job: remote.and_then(|r| serde_json::to_value(r).ok()),
        };
        let generation = self.generation;
        let key = self.calibration_key.clone();
        self.core
            .store_op(move |s| {
                s.start_attempt_calibrated(generation, &new, key.as_deref())
                    .map(|a| a.id)
            })
            .await
    }

    /// Forwards provider progress as job events and saves the remote job id as soon as
    /// the provider gives one, so a crash mid-poll is resumed, not resubmitted.
    fn sink(&self, attempt: i64, known: Option<String>) -> ProgressSink {
        let emit = self.emit.clone();
        let store = self.core.store.clone();
        let provider = self.offer.provider.to_string();
        let remote = Arc::new(parking_lot::Mutex::new(known));
        let start = Instant::now();
        ProgressSink::new(move |p| match p {
            ProviderProgress::Submitted { job } => {
                *remote.lock() = Some(job.remote_id.clone());
                if let Ok(v) = serde_json::to_value(&job) {
                    let store = store.clone();
                    // Fire and forget: a short SQLite write, off the async workers.
                    tokio::task::spawn_blocking(move || {
                        if let Err(e) = store.set_remote_job(attempt, &v) {
                            tracing::warn!("could not save the remote job id: {e}");
                        }
                    });
                }
            }
            ProviderProgress::Polling { .. } | ProviderProgress::Queued { .. } => {
                if let Some(id) = remote.lock().clone() {
                    emit(JobEvent::Polling {
                        provider: provider.clone(),
                        remote_id: id,
                        elapsed_s: u32::try_from(start.elapsed().as_secs()).unwrap_or(u32::MAX),
                    });
                }
            }
            _ => {}
        })
    }

    async fn finish_failed(
        &self,
        attempt: i64,
        e: &ProviderError,
        started: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let billed = e.probably_billed();
        let cost = if billed {
            let raw = e.usage.as_deref().cloned().unwrap_or_default();
            let images = matches!(e.class, ErrorClass::SafetyBlock { .. }).then_some(self.priced.n);
            let usage = usage_of(&raw, None, images.or(Some(self.priced.n)), started);
            pricing::settle(self.offer, &self.priced, &usage).actual
        } else {
            Decimal::ZERO
        };
        let usage = e.usage.as_deref().and_then(usage_json);
        self.finish(
            attempt,
            e.class.name(),
            billed,
            cost,
            usage,
            Some(e.message.clone()),
        )
        .await
    }

    /// Closes the attempt row, then charges its cost (this order lets recovery find
    /// billed attempts whose charge never landed).
    async fn finish(
        &self,
        attempt: i64,
        outcome: &str,
        billed: bool,
        cost: Decimal,
        usage: Option<serde_json::Value>,
        error: Option<String>,
    ) -> Result<()> {
        let f = AttemptFinish {
            outcome: outcome.to_owned(),
            billed,
            cost,
            usage,
            error,
        };
        let (project, generation) = (self.project, self.generation);
        let s = self.core.store.clone();
        // One trip to the blocking pool: close the attempt, then charge it.
        let charged = crate::error::blocking(move || {
            s.finish_attempt(attempt, &f)?;
            if cost > Decimal::ZERO {
                budget::charge_sync(&s, project, generation, cost)
            } else {
                Ok(Decimal::ZERO)
            }
        })
        .await?;
        if charged > Decimal::ZERO {
            let mut held = self.held.lock();
            *held = (*held - charged).max(Decimal::ZERO);
        }
        Ok(())
    }
}
