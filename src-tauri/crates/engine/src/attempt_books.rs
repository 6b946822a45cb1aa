//! Booking a call's attempts (`attempts` decides what happens next; this records it):
//! the attempt row written `sent` before the request leaves, provider progress saved as
//! soon as a job is named, and each way an attempt closes — a success stored and
//! charged, a failure closed unbilled, charged as billed or booked as unconfirmed — with
//! what the generation still holds kept in step.

use std::sync::Arc;
use std::time::Instant;

use providers::{GenerateOutput, ProgressSink, ProviderError, ProviderProgress, RemoteJob};
use rust_decimal::Decimal;
use store::{CallSettle, NewAttempt};

use crate::api::JobEvent;
use crate::attempts::{Call, CallEnd};
use crate::error::Result;
use crate::settle::{
    Stored, Success, bound, store_success, submit_credits_cost, usage_json, usage_of,
};

impl Call<'_> {
    pub(crate) async fn succeed(
        &mut self,
        attempt: i64,
        out: &GenerateOutput,
        started: chrono::DateTime<chrono::Utc>,
    ) -> Result<CallEnd> {
        let usage = usage_of(&out.usage, Some(out), None, started);
        let provider_said = crate::drift::reported_of(self.offer, &self.priced, &usage);
        let reported = pricing::settle(self.offer, &self.priced, &usage).actual;
        let (cost, review) = bound(reported, self.expected, self.worst_case);
        let flagged = review.is_some();
        (self.emit)(JobEvent::Storing);
        let stored = store_success(
            self.core,
            Success {
                generation: self.generation,
                attempt,
                cost,
                review,
                usage: usage_json(&out.usage),
                reported: provider_said,
                first_idx: self.first_idx,
                n: self.priced.n,
                wanted: self.wanted,
                last: self.last,
                seed: self.seed,
                result: true,
                out,
            },
        )
        .await?;
        self.core.prices().forget_drift();
        self.took(cost);
        // A flagged cost never teaches the estimator (F8).
        if !flagged && let Some(key) = &self.calibration_key {
            self.core.prices().learn(pricing::CalibrationSample {
                offer_id: self.offer.id.to_string(),
                key: key.clone(),
                actual: cost,
            });
        }
        self.core.runs().limits().success(&crate::limits::limit_key(
            &self.offer.id,
            self.offer.provider.as_str(),
        ));
        Ok(match stored {
            Stored::Saved { images, result } => CallEnd::Done(images, result),
            Stored::Lost => CallEnd::Closed,
        })
    }

    pub(crate) async fn start_attempt(&self, remote: Option<&RemoteJob>) -> Result<i64> {
        let new = NewAttempt {
            provider: self.offer.provider,
            model: self.offer.model.to_string(),
            offer_id: self.offer.id.to_string(),
            remote_job: remote.and_then(|r| serde_json::to_value(r).ok()),
        };
        let generation = self.generation;
        let key = self.calibration_key.clone();
        let expected = self.expected;
        self.core
            .store_op(move |s| s.start_sent_attempt(generation, &new, key.as_deref(), expected))
            .await
    }

    /// Forwards provider progress as job events and saves the remote job as soon as the
    /// provider names it, so a crash mid-poll is resumed, not resubmitted.
    pub(crate) fn sink(
        &self,
        attempt: i64,
        job: Arc<parking_lot::Mutex<Option<RemoteJob>>>,
    ) -> ProgressSink {
        let emit = self.emit.clone();
        let store = self.core.store().clone();
        let provider = self.offer.provider;
        let start = Instant::now();
        ProgressSink::new(move |p| match p {
            ProviderProgress::Submitted { job: j } => {
                *job.lock() = Some((*j).clone());
                if let Ok(v) = serde_json::to_value(&j) {
                    let store = store.clone();
                    // Fire and forget: a short SQLite write, off the async workers. If the
                    // process dies first, recovery books the call as unconfirmed.
                    tokio::task::spawn_blocking(move || {
                        if let Err(e) = store.set_remote_job(attempt, &v) {
                            tracing::warn!("could not save the remote job id: {e}");
                        }
                    });
                }
            }
            ProviderProgress::Polling { .. } | ProviderProgress::Queued { .. } => {
                if let Some(id) = job.lock().as_ref().map(|j| j.remote_id.clone()) {
                    emit(JobEvent::Polling {
                        provider,
                        remote_id: id,
                        elapsed_s: u32::try_from(start.elapsed().as_secs()).unwrap_or(u32::MAX),
                    });
                }
            }
            _ => {}
        })
    }

    /// Closes an attempt that cost nothing.
    pub(crate) async fn close_unbilled(
        &self,
        attempt: i64,
        e: &ProviderError,
        note: Option<&str>,
    ) -> Result<()> {
        let settle = CallSettle {
            outcome: e.class.name().to_owned(),
            error: Some(match note {
                Some(n) => format!("{}; {n}", e.message),
                None => e.message.clone(),
            }),
            usage: e.usage.as_deref().and_then(usage_json),
            ..CallSettle::default()
        };
        self.core
            .store_op(move |s| s.settle_call(attempt, &settle, &[], None))
            .await
            .map(|_| ())
    }

    /// Charges a failure the provider proved it billed: its usage, else BFL's submit
    /// credits, else the estimate (bounded like a success).
    pub(crate) async fn charge_billed(
        &mut self,
        attempt: i64,
        e: &ProviderError,
        job: Option<&RemoteJob>,
        started: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let credits = job.and_then(|j| submit_credits_cost(self.offer, &self.priced, j));
        let (reported, provider_said) = match (&e.usage, credits) {
            (None, Some(c)) => (c, Some(c)),
            (usage, _) => {
                let raw = usage.as_deref().cloned().unwrap_or_default();
                let u = usage_of(&raw, None, Some(self.priced.n), started);
                let said = crate::drift::reported_of(self.offer, &self.priced, &u);
                (pricing::settle(self.offer, &self.priced, &u).actual, said)
            }
        };
        let (cost, review) = bound(reported, self.expected, self.worst_case);
        let settle = CallSettle {
            outcome: e.class.name().to_owned(),
            billed: true,
            cost,
            usage: e.usage.as_deref().and_then(usage_json),
            error: Some(e.message.clone()),
            review,
            ..CallSettle::default()
        };
        let charged = self
            .core
            .store_op(move |s| s.settle_call(attempt, &settle, &[], None))
            .await?;
        crate::drift::record_reported(self.core, attempt, provider_said).await;
        self.took(charged);
        Ok(())
    }

    /// Books a call that may have billed as an unconfirmed charge: BFL's submit credits
    /// when known, else the call's expected estimate. `reconcilable` keeps the attempt
    /// open (`unknown`) with its job so recovery can settle it for real later.
    pub(crate) async fn book_unconfirmed(
        &mut self,
        attempt: i64,
        e: &ProviderError,
        message: &str,
        job: Option<&RemoteJob>,
        reconcilable: bool,
    ) -> Result<()> {
        let amount = job
            .and_then(|j| submit_credits_cost(self.offer, &self.priced, j))
            .unwrap_or(self.expected);
        let (amount, review) = bound(amount, self.expected, self.worst_case);
        let settle = CallSettle {
            outcome: e.class.name().to_owned(),
            billed: true,
            cost: amount,
            unconfirmed: true,
            usage: e.usage.as_deref().and_then(usage_json),
            error: Some(message.to_owned()),
            review,
            reconcilable: reconcilable && job.is_some(),
        };
        let job = job.and_then(|j| serde_json::to_value(j).ok());
        let charged = self
            .core
            .store_op(move |s| {
                if let Some(v) = &job {
                    s.set_remote_job(attempt, v)?;
                }
                s.settle_call(attempt, &settle, &[], None)
            })
            .await?;
        self.took(charged);
        Ok(())
    }

    /// What a charge took out of the reservation.
    pub(crate) fn took(&mut self, charged: Decimal) {
        if charged > Decimal::ZERO {
            *self.held = (*self.held - charged).max(Decimal::ZERO);
        }
    }
}
