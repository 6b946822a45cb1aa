//! Per-provider concurrency limits and circuit breakers (cool-down after repeated
//! failures), so one failing provider is not hammered by every queued job.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Semaphore;

use crate::options::BreakerPolicy;

#[derive(Default)]
struct Breaker {
    consecutive: u32,
    open_until: Option<Instant>,
}

pub(crate) struct Limits {
    per_provider: usize,
    policy: BreakerPolicy,
    semaphores: Mutex<HashMap<String, Arc<Semaphore>>>,
    breakers: Mutex<HashMap<String, Breaker>>,
}

impl Limits {
    pub fn new(per_provider: usize, policy: BreakerPolicy) -> Self {
        Self {
            per_provider: per_provider.max(1),
            policy,
            semaphores: Mutex::new(HashMap::new()),
            breakers: Mutex::new(HashMap::new()),
        }
    }

    pub fn semaphore(&self, provider: &str) -> Arc<Semaphore> {
        self.semaphores
            .lock()
            .entry(provider.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_provider)))
            .clone()
    }

    /// `Some(remaining)` while the provider is cooling down.
    pub fn cooling_down(&self, provider: &str) -> Option<Duration> {
        let mut b = self.breakers.lock();
        let br = b.get_mut(provider)?;
        let until = br.open_until?;
        let now = Instant::now();
        if now >= until {
            // Half-open: let calls through; one more failure re-opens it.
            br.open_until = None;
            br.consecutive = self.policy.failures.saturating_sub(1);
            return None;
        }
        Some(until - now)
    }

    pub fn success(&self, provider: &str) {
        if let Some(b) = self.breakers.lock().get_mut(provider) {
            *b = Breaker::default();
        }
    }

    /// Records a failure that says something about the provider's health.
    pub fn failure(&self, provider: &str) {
        let mut map = self.breakers.lock();
        let b = map.entry(provider.to_owned()).or_default();
        b.consecutive += 1;
        if b.consecutive >= self.policy.failures && b.open_until.is_none() {
            tracing::warn!(provider, failures = b.consecutive, "provider cooling down");
            b.open_until = Some(Instant::now() + self.policy.cool_down);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_and_closes_on_success() {
        let l = Limits::new(
            2,
            BreakerPolicy {
                failures: 2,
                cool_down: Duration::from_secs(60),
            },
        );
        l.failure("fal");
        assert!(l.cooling_down("fal").is_none());
        l.failure("fal");
        assert!(l.cooling_down("fal").is_some());
        l.success("fal");
        assert!(l.cooling_down("fal").is_none());
        assert_eq!(l.semaphore("fal").available_permits(), 2);
    }

    #[test]
    fn half_open_after_cool_down() {
        let l = Limits::new(
            1,
            BreakerPolicy {
                failures: 1,
                cool_down: Duration::ZERO,
            },
        );
        l.failure("bfl");
        assert!(l.cooling_down("bfl").is_none(), "cool-down of zero elapsed");
    }
}
