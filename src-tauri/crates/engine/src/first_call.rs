//! The first provider call of a generation, prepared before its claim (issue 17): when
//! the project is solo, nothing is skipped and the first offer's provider permit is free,
//! its attempt is written `sent` in the claim's transaction (`Store::begin_generation`)
//! instead of a store hop and a transaction of its own just before the request.
//!
//! The permit is taken before the claim, so the call can leave as soon as the claim
//! commits; the breaker is checked first, as `Call::run` checks it. The key is read
//! after the claim, as before (routing already knew one is present): should it have
//! vanished since, the attempt is closed as skipped, never sent.

use std::sync::Arc;

use rust_decimal::Decimal;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::context::Core;
use crate::routing::Candidate;

/// One call's share of an offer's estimate (an offer makes n images in `calls` calls).
pub(crate) struct PerCall {
    pub worst: Decimal,
    /// What an unknown outcome is charged at.
    pub expected: Decimal,
    /// Only a request made in one call settles to a cost comparable with its estimate.
    pub calibration_key: Option<String>,
}

pub(crate) fn per_call(c: &Candidate) -> PerCall {
    let r = &c.estimate.resolved;
    let calls = Decimal::from(r.calls.max(1));
    PerCall {
        worst: c.estimate.worst_case / calls,
        expected: c.estimate.expected / calls,
        calibration_key: (r.calls.max(1) == 1 && c.offer.formula.is_usage_billed())
            .then(|| r.calibration_key()),
    }
}

pub(crate) struct FirstCall {
    send: store::SendNow,
    sem: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
}

/// The first call, written `sent` with the claim: its attempt and provider permit.
pub(crate) type Sent = (i64, OwnedSemaphorePermit);

/// The first call of `c` if it can be written with the claim: a plain provider offer
/// (not a named gateway's) with an endpoint and no cooling-down breaker.
pub(crate) fn plan(core: &Arc<Core>, c: &Candidate) -> Option<FirstCall> {
    if c.offer.provider == vocab::OfferProvider::Gateway {
        return None;
    }
    let provider = c.offer.provider.as_str();
    core.wiring().client(&c.offer.id, provider)?;
    let limit = crate::limits::limit_key(&c.offer.id, provider);
    if core.runs().limits().cooling_down(&limit).is_some() {
        return None;
    }
    let p = per_call(c);
    Some(FirstCall {
        send: store::SendNow {
            attempt: store::NewAttempt {
                provider: c.offer.provider,
                model: c.offer.model.to_string(),
                offer_id: c.offer.id.to_string(),
                remote_job: None,
            },
            calibration_key: p.calibration_key,
            expected: p.expected,
        },
        sem: core.runs().limits().semaphore(&limit),
        permit: None,
    })
}

impl FirstCall {
    /// The attempt to write with the claim, when the provider's permit can be had now
    /// (never waited for: a busy provider sends the usual way, after the claim).
    pub(crate) fn permit_now(&mut self) -> Option<store::SendNow> {
        if self.permit.is_none() {
            self.permit = self.sem.clone().try_acquire_owned().ok();
        }
        self.permit.as_ref().map(|_| self.send.clone())
    }

    /// Gives the permit back (while waiting for an identical request in flight).
    pub(crate) fn release(&mut self) {
        self.permit = None;
    }

    /// What the claim wrote: the call to make first, when its attempt was written.
    pub(crate) fn written(self, attempt: Option<i64>) -> Option<Sent> {
        Some((attempt?, self.permit?))
    }
}

/// Closes a first attempt written with the claim that was never sent (its key vanished
/// in between): skipped, nothing billed, as `attempts::record_skip` records one.
pub(crate) async fn skip_written(
    core: &Arc<Core>,
    attempt: i64,
    reason: &str,
) -> crate::Result<()> {
    let settle = store::CallSettle {
        outcome: "skipped".into(),
        error: Some(reason.to_owned()),
        ..store::CallSettle::default()
    };
    core.store_op(move |s| s.settle_call(attempt, &settle, &[], None))
        .await
        .map(|_| ())
}
