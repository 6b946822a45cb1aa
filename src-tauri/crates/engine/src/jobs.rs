//! Jobs: a cancel token per job, a slot in the queue (`queue`), and the terminal event
//! of every job.

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::{GenerationResult, JobEvent};
use crate::config::ProgressFn;
use crate::context::Core;
use crate::error::{ErrorKind, Result};
use crate::pipeline::{self, JobSpec};
use crate::runs::Runs;

/// Queues a job; the handle resolves when it ends. Emits `Queued` before returning.
pub(crate) fn spawn(
    core: &Arc<Core>,
    spec: JobSpec,
    progress: ProgressFn,
) -> (String, JoinHandle<Result<GenerationResult>>) {
    let job_id = uuid::Uuid::new_v4().to_string();
    let cancel = CancellationToken::new();
    core.runs().register_job(job_id.clone(), cancel.clone());
    progress(JobEvent::Queued {
        job_id: job_id.clone(),
    });
    let core = core.clone();
    let id = job_id.clone();
    let handle = tokio::spawn(async move {
        let out = match core.runs().queue().slot(&cancel).await {
            Some(permit) => {
                // The pipeline gives the slot back while it waits for a team approval.
                let mut slot = Some(permit);
                pipeline::run(core.clone(), spec, cancel, progress.clone(), &mut slot).await
            }
            None => Err(crate::error::EngineError::cancelled()),
        };
        if let Err(e) = &out {
            let message = if e.kind == ErrorKind::Cancelled {
                "cancelled before anything was sent; nothing was charged".to_owned()
            } else {
                e.message.clone()
            };
            progress(JobEvent::Failed {
                message,
                result: None,
            });
        }
        core.runs().forget_job(&id);
        // Whatever the outcome, the ledger moved (reserved, then charged or released).
        use crate::changes::DataTopic::{Budgets, Gallery, Jobs};
        core.changes().emit(&[Gallery, Jobs, Budgets]);
        out
    });
    (job_id, handle)
}

pub(crate) fn cancel(runs: &Runs, job_id: &str) -> bool {
    runs.cancel_job(job_id)
}
