//! Per-provider concurrency limits and circuit breakers (cool-down after repeated
//! failures), so one failing provider is not hammered by every queued job.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Semaphore;

use crate::options::BreakerPolicy;

/// What one limiter and breaker are kept under: the provider, or one gateway. All the
/// models of a named gateway (`gateway:NAME/…`) or a legacy one (`openai_compatible:NAME/…`)
/// share one limit, since they share its rate limits; two gateways never share one.
pub(crate) fn limit_key(offer_id: &str, provider: &str) -> String {
    if provider == providers::gateway::GATEWAY_ID
        && let Some(g) = crate::catalog::gateway_of(offer_id)
    {
        return format!("gateway:{g}");
    }
    crate::settings::client_key(offer_id, provider)
}

#[derive(Default)]
struct Breaker {
    consecutive: u32,
    open_until: Option<Instant>,
}

pub(crate) struct Limits {
    /// Resized live by a settings save; every provider's semaphore follows.
    per_provider: Mutex<usize>,
    policy: BreakerPolicy,
    semaphores: Mutex<HashMap<String, Arc<Semaphore>>>,
    breakers: Mutex<HashMap<String, Breaker>>,
}

impl Limits {
    pub fn new(per_provider: usize, policy: BreakerPolicy) -> Self {
        Self {
            per_provider: Mutex::new(per_provider.max(1)),
            policy,
            semaphores: Mutex::new(HashMap::new()),
            breakers: Mutex::new(HashMap::new()),
        }
    }

    pub fn semaphore(&self, provider: &str) -> Arc<Semaphore> {
        // Lock order: per_provider, then semaphores (as in `resize`).
        let size = self.per_provider.lock();
        self.semaphores
            .lock()
            .entry(provider.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(*size)))
            .clone()
    }

    pub fn per_provider(&self) -> usize {
        *self.per_provider.lock()
    }

    /// Changes the calls allowed at once per provider; calls under way are never
    /// interrupted (a lower cap takes effect as they end). Needs a Tokio runtime.
    pub fn resize(&self, to: usize) {
        let to = to.max(1);
        let mut size = self.per_provider.lock();
        let from = *size;
        for sem in self.semaphores.lock().values() {
            if to > from {
                sem.add_permits(to - from);
            } else if to < from {
                let sem = sem.clone();
                let surplus = u32::try_from(from - to).unwrap_or(u32::MAX);
                // Take the surplus as calls end, then drop it for good.
                tokio::spawn(async move {
                    if let Ok(p) = sem.acquire_many_owned(surplus).await {
                        p.forget();
                    }
                });
            }
        }
        *size = to;
    }

    /// `Some(remaining)` while the provider is cooling down.
    pub fn cooling_down(&self, provider: &str) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.breakers.lock();
        let br = map.get_mut(provider)?;
        let until = br.open_until?;
        if now >= until {
            // Half-open: let calls through; one more failure re-opens it.
            br.open_until = None;
            br.consecutive = self.policy.failures.saturating_sub(1);
            return None;
        }
        drop(map);
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
        let opened = b.consecutive >= self.policy.failures && b.open_until.is_none();
        if opened {
            b.open_until = Some(Instant::now() + self.policy.cool_down);
        }
        let failures = b.consecutive;
        drop(map);
        if opened {
            tracing::warn!(provider, failures, "provider cooling down");
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
    fn one_limiter_per_gateway_shared_by_all_its_models() {
        let l = Limits::new(1, BreakerPolicy::default());
        let key = |offer: &str, provider: &str| limit_key(offer, provider);
        let a = key("gateway:lab/gpt-image-2", "gateway");
        assert_eq!(a, key("gateway:lab/house/model", "gateway"));
        assert_ne!(a, key("gateway:other/gpt-image-2", "gateway"));
        assert_ne!(a, key("openai:gpt-image-2", "openai"));
        let legacy = key("openai_compatible:lab/m1", "openai_compatible");
        assert_eq!(legacy, key("openai_compatible:lab/m2", "openai_compatible"));
        assert_ne!(
            legacy, a,
            "a legacy gateway and a named one of the same name"
        );
        assert_eq!(key("fal:flux/dev", "fal"), "fal");
        // The permit taken for one model is the one another model of the gateway waits on.
        let held = l.semaphore(&a).try_acquire_owned().expect("first permit");
        let other_model = l.semaphore(&key("gateway:lab/dall-e-3", "gateway"));
        assert!(other_model.try_acquire().is_err(), "shared limit");
        assert!(
            l.semaphore(&key("gateway:other/dall-e-3", "gateway"))
                .try_acquire_owned()
                .is_ok(),
            "another gateway has its own"
        );
        drop(held);
        assert!(other_model.try_acquire().is_ok());
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
