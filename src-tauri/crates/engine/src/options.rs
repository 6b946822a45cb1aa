//! Tunables of the engine that are not user settings: retry timing, concurrency caps,
//! provider client timeouts and test hooks. `Default` gives production values; tests
//! shrink the timings so they run fast.

use std::collections::HashMap;
use std::time::Duration;

/// How failed provider calls are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after `transient` / `malformed_response` on the same offer.
    pub transient_retries: u32,
    /// First backoff; doubles each retry, plus up to 50 % jitter.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Retries after `rate_limited` on the same offer.
    pub rate_limit_retries: u32,
    /// Longest Retry-After we honour before moving to the next offer.
    pub rate_limit_cap: Duration,
    /// Wait when a 429 carries no Retry-After.
    pub rate_limit_default: Duration,
    /// Times a remote job is polled again after a failed poll (never resubmitted).
    pub resume_attempts: u32,
    /// How long a job whose polls keep failing is resumed before it is abandoned as an
    /// unconfirmed charge (its handle is kept for `recover`).
    pub resume_for: Duration,
    /// How old a job may get before recovery stops polling it and leaves its unconfirmed
    /// charge to the user (a provider forgets finished jobs after a while).
    pub job_max_age: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            transient_retries: 2,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            rate_limit_retries: 2,
            rate_limit_cap: Duration::from_secs(30),
            rate_limit_default: Duration::from_secs(2),
            resume_attempts: 20,
            resume_for: Duration::from_secs(15 * 60),
            job_max_age: Duration::from_secs(24 * 3600),
        }
    }
}

/// Cool-down of a provider after repeated failures.
#[derive(Debug, Clone)]
pub struct BreakerPolicy {
    /// Consecutive failed calls that open the breaker.
    pub failures: u32,
    pub cool_down: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            failures: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// How `Engine::open` reconciles generations a previous process left running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryMode {
    /// Spawn recovery in the background (the app); `Engine::recover` awaits it.
    Background,
    /// Do nothing at open; the caller runs `Engine::recover` (the CLI, tests).
    Manual,
}

#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub retry: RetryPolicy,
    pub breaker: BreakerPolicy,
    /// Overrides the `max_calls_per_provider` setting (concurrent calls per provider or
    /// gateway) when set.
    pub provider_concurrency: Option<usize>,
    /// Per HTTP request.
    pub http_timeout: Duration,
    pub poll_interval: Duration,
    pub poll_deadline: Duration,
    pub recovery: RecoveryMode,
    /// Keys supplied in memory (tests, embedding). Wins over the environment and the
    /// keychain; never persisted.
    pub keys: HashMap<String, String>,
    /// Overrides the `max_concurrent_jobs` setting when set.
    pub max_concurrent_jobs: Option<u32>,
    /// Test hook: provider id → client used instead of the real one (fault injection).
    pub provider_overrides: ProviderOverrides,
    /// The public key catalog feeds are verified with; `None` is the key built into the
    /// app ([`crate::feed_key::FEED_PUBLIC_KEY_HEX`]). Tests pass a throwaway key here; no
    /// environment variable can change it.
    pub catalog_feed_key: Option<crate::feed_key::FeedKey>,
    /// Leave the sweep of orphan image files to [`crate::Engine::sweep_files`] instead
    /// of doing it in `open` (the app sweeps in the background once its window shows:
    /// a large library has hundreds of thousands of files to walk).
    pub defer_file_sweep: bool,
    /// How often the library is checked for writes by another process (the CLI), which
    /// are announced as `DataTopic::Library`; `None` never checks (one-shot CLI runs).
    pub outside_write_poll: Option<Duration>,
    /// The team server team projects reserve and settle through (issue 18); `None`
    /// refuses paid work on team projects.
    pub shared_ledger: crate::team_hook::SharedLedgerHook,
}

/// Provider clients that replace the built ones, by provider id (tests, fault injection).
#[derive(Clone, Default)]
pub struct ProviderOverrides(pub HashMap<String, std::sync::Arc<dyn providers::ImageProvider>>);

impl std::fmt::Debug for ProviderOverrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
            provider_concurrency: None,
            http_timeout: Duration::from_secs(180),
            poll_interval: Duration::from_millis(1000),
            poll_deadline: Duration::from_secs(600),
            recovery: RecoveryMode::Background,
            keys: HashMap::new(),
            max_concurrent_jobs: None,
            provider_overrides: ProviderOverrides::default(),
            catalog_feed_key: None,
            defer_file_sweep: false,
            outside_write_poll: Some(Duration::from_secs(1)),
            shared_ledger: crate::team_hook::SharedLedgerHook::default(),
        }
    }
}
