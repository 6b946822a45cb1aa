//! The job queue: a resizable limit on concurrent generations, a cancel token per job,
//! and the terminal event of every job.

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::api::{GenerationResult, JobEvent};
use crate::error::{ErrorKind, Result};
use crate::facade::ProgressFn;
use crate::pipeline::{self, JobSpec};
use crate::shared::Core;

pub(crate) struct JobQueue {
    sem: Arc<Semaphore>,
    size: Mutex<u32>,
}

impl JobQueue {
    pub fn new(size: u32) -> Self {
        let size = size.max(1);
        Self {
            sem: Arc::new(Semaphore::new(size as usize)),
            size: Mutex::new(size),
        }
    }

    /// Changes the number of jobs that run at once; running jobs are never interrupted.
    pub fn resize(&self, to: u32) {
        let to = to.max(1);
        let mut size = self.size.lock();
        if to > *size {
            self.sem.add_permits((to - *size) as usize);
        } else if to < *size {
            let surplus = *size - to;
            let sem = self.sem.clone();
            // Take the surplus as jobs finish, then drop it for good.
            tokio::spawn(async move {
                if let Ok(p) = sem.acquire_many_owned(surplus).await {
                    p.forget();
                }
            });
        }
        *size = to;
    }

    pub fn size(&self) -> u32 {
        *self.size.lock()
    }

    async fn slot(&self, cancel: &CancellationToken) -> Option<OwnedSemaphorePermit> {
        tokio::select! {
            p = self.sem.clone().acquire_owned() => p.ok(),
            _ = cancel.cancelled() => None,
        }
    }
}

/// Queues a job; the handle resolves when it ends. Emits `Queued` before returning.
pub(crate) fn spawn(
    core: &Arc<Core>,
    spec: JobSpec,
    progress: ProgressFn,
) -> (String, JoinHandle<Result<GenerationResult>>) {
    let job_id = uuid::Uuid::new_v4().to_string();
    let cancel = CancellationToken::new();
    core.jobs.lock().insert(job_id.clone(), cancel.clone());
    progress(JobEvent::Queued {
        job_id: job_id.clone(),
    });
    let core = core.clone();
    let id = job_id.clone();
    let handle = tokio::spawn(async move {
        let out = match core.queue.slot(&cancel).await {
            Some(_permit) => pipeline::run(core.clone(), spec, cancel, progress.clone()).await,
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
        core.jobs.lock().remove(&id);
        out
    });
    (job_id, handle)
}

pub(crate) fn cancel(core: &Core, job_id: &str) -> bool {
    match core.jobs.lock().get(job_id) {
        Some(t) => {
            t.cancel();
            true
        }
        None => false,
    }
}
