//! A provider job already sent (a queue job or a batch): how it is found, polled and
//! judged. Pure; shared by `recovery`, `reconcile` and `deferred`.

use std::time::Duration;

use providers::{ProviderError, RemoteJob};
use rust_decimal::Decimal;
use store::{AttemptRecord, GenerationRecord};

/// How long a deferred job is polled before it is closed by its billing evidence: the
/// providers' 24-hour window, Gemini's 48-hour expiry, and slack for a machine that was
/// switched off meanwhile.
pub(crate) const BATCH_MAX_AGE: Duration = Duration::from_secs(72 * 3600);

/// The batch handle of an attempt, if it is a deferred job.
pub(crate) fn batch_of(a: &AttemptRecord) -> Option<RemoteJob> {
    let job: RemoteJob = serde_json::from_value(a.remote_job.clone()?).ok()?;
    providers::batch::is_batch(&job).then_some(job)
}

/// A deferred job still waiting for its provider.
pub(crate) fn is_pending(a: &AttemptRecord) -> bool {
    a.state == "sent" && batch_of(a).is_some()
}

pub(crate) fn priced_of(g: &GenerationRecord) -> pricing::EstimateRequest {
    let rq = &g.request;
    let mut q = pricing::EstimateRequest::new(rq.prompt.clone(), rq.width, rq.height);
    q.negative_prompt = rq.negative_prompt.clone();
    q.quality = rq.quality.clone();
    q.n = rq.n.max(1);
    q.steps = rq.steps;
    q.seed = rq.seed;
    // The inputs priced by their sizes, found again by hash: no bytes are needed.
    crate::inputs::apply_stored(&mut q, &rq.inputs);
    q
}

/// What an attempt was expected to cost (what an unknown outcome is charged at).
pub(crate) fn expected_of(g: &GenerationRecord, a: &AttemptRecord) -> Decimal {
    a.expected.or(g.estimate).unwrap_or_default()
}

pub(crate) fn job_of(a: &AttemptRecord) -> Option<RemoteJob> {
    serde_json::from_value(a.remote_job.clone()?).ok()
}

pub(crate) fn too_old(job_max_age: Duration, a: &AttemptRecord) -> bool {
    let age = chrono::Utc::now() - a.started_at;
    // A deferred (batch) job is promised within a day, and may take longer.
    let max = if batch_of(a).is_some() {
        BATCH_MAX_AGE.max(job_max_age)
    } else {
        job_max_age
    };
    age.to_std().is_ok_and(|d| d >= max)
}

/// A poll answer that says the job is over or no longer exists (BFL "Task not found",
/// expired): no job handle left to resume.
pub(crate) fn gone(e: &ProviderError) -> bool {
    e.http_status == Some(404) || e.remote_job.is_none()
}
