//! The generation pipeline (DESIGN.md §2): routing, dedup, budgets, attempts,
//! settlement and jobs. Composes pricing, providers, store and keys; knows no UI.
//!
//! Modules: `routing` (chains, capability skips), `pipeline` (one generation end to
//! end), `attempts` (retries, fallbacks, resume), `budget` (reserve/charge/release),
//! `limits` (per-provider concurrency and cool-down), `jobs` (queue, cancel),
//! `recovery` (start-up reconciliation), `estimate`, `projects`, `library`, `key_ops`,
//! `settings`/`settings_ops`, `moderation`.

/// Every IPC / `--json` shape derives the same traits (and a TypeScript type).
macro_rules! ipc_type {
    ($($item:item)*) => {$(
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        $item
    )*};
}

pub mod api;
mod attempts;
mod budget;
mod catalog;
mod changes;
mod charges;
mod config;
mod context;
mod convert;
mod deferred;
mod discover;
mod drift;
mod error;
mod estimate;
mod facade;
pub mod feed;
mod feed_key;
mod gallery;
mod gateways;
pub mod invoice;
mod jobs;
mod key_ops;
mod lease;

mod limits;
mod moderation;
mod options;
mod pipeline;
mod projects;
mod queue;
mod reconcile;
mod recovery;
mod remote;
mod route_plan;
mod routing;
mod settings;
mod settings_ops;
mod settle;
#[cfg(test)]
mod test_store;

pub use changes::DataTopic;
pub use error::{EngineError, ErrorKind, Result};
pub use facade::{Engine, EngineConfig, ProgressFn};
pub use options::{BreakerPolicy, EngineOptions, ProviderOverrides, RecoveryMode, RetryPolicy};
