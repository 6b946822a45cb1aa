//! The job queue: a resizable limit on how many generations run at once.

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

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

    pub(crate) async fn slot(&self, cancel: &CancellationToken) -> Option<OwnedSemaphorePermit> {
        tokio::select! {
            p = self.sem.clone().acquire_owned() => p.ok(),
            _ = cancel.cancelled() => None,
        }
    }
}
