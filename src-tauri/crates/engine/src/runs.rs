//! Job runs (issue 13 §4): what this process is running and may run. The queue's
//! concurrency limit, a cancel token per job, the generations this process is working on
//! (recovery leaves them alone), per-provider limits and breakers, and the lease whose id
//! is stamped on the generations it runs.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parking_lot::Mutex;
use store::GenerationId;
use tokio_util::sync::CancellationToken;

use crate::lease::Lease;
use crate::limits::Limits;
use crate::queue::JobQueue;

pub(crate) struct Runs {
    limits: Limits,
    queue: JobQueue,
    /// Job id → cancel token of queued and running jobs.
    jobs: Mutex<HashMap<String, CancellationToken>>,
    active: ActiveSet,
    lease: Lease,
}

/// Generations this process is working on. A handle, so a store closure on a blocking
/// thread can mark a generation the moment it is created.
#[derive(Clone, Default)]
pub(crate) struct ActiveSet(Arc<Mutex<HashSet<GenerationId>>>);

impl ActiveSet {
    /// Marks `id` active; false if it already was.
    pub fn insert(&self, id: GenerationId) -> bool {
        self.0.lock().insert(id)
    }

    pub fn remove(&self, id: &GenerationId) {
        self.0.lock().remove(id);
    }

    pub fn contains(&self, id: &GenerationId) -> bool {
        self.0.lock().contains(id)
    }

    pub fn snapshot(&self) -> HashSet<GenerationId> {
        self.0.lock().clone()
    }
}

/// Removes a generation from the active set when its work ends, however it ends.
pub(crate) struct ActiveGuard<'a>(&'a ActiveSet, GenerationId);

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.0.remove(&self.1);
    }
}

impl Runs {
    pub fn new(limits: Limits, queue: JobQueue, lease: Lease) -> Self {
        Self {
            limits,
            queue,
            jobs: Mutex::new(HashMap::new()),
            active: ActiveSet::default(),
            lease,
        }
    }

    /// This instance's lease id, stamped on the generations it runs.
    pub fn owner(&self) -> &str {
        self.lease.id()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn queue(&self) -> &JobQueue {
        &self.queue
    }

    pub fn active(&self) -> &ActiveSet {
        &self.active
    }

    /// Drops `id` from the active set when the guard goes (it must already be in it).
    pub fn guard(&self, id: GenerationId) -> ActiveGuard<'_> {
        ActiveGuard(&self.active, id)
    }

    pub fn register_job(&self, job_id: String, cancel: CancellationToken) {
        self.jobs.lock().insert(job_id, cancel);
    }

    pub fn forget_job(&self, job_id: &str) {
        self.jobs.lock().remove(job_id);
    }

    /// Cancels a queued or running job; false if no such job is known.
    pub fn cancel_job(&self, job_id: &str) -> bool {
        match self.jobs.lock().get(job_id) {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }
}
