//! The generation pipeline (DESIGN.md §2): routing, dedup, budgets, attempts,
//! settlement and jobs. Composes pricing, providers, store and keys; knows no UI.
//!
//! Modules, bottom up (no cycle: `tests/module_graph.rs`): `api`, `config`, `options`,
//! `settings` (types), `catalog` (the catalog in use), `queue`, `limits`, `lease`,
//! `changes` (data-change notices), `remote` (facts about sent jobs); the services
//! `wiring` (settings, clients, catalog, named gateways: one snapshot, one lock),
//! `provider_gateway` (HTTP, keys), `prices` (calibration, drift cache) and `runs`
//! (queue, jobs, active set, limits, lease); `context` (`Core`, which owns them with no
//! public field); `budget` and `gallery` (take only the store); `candidates`, `routing`,
//! `attempts`, `pipeline`, `jobs`, `recovery`, `reconcile`, `estimate`, `projects`,
//! `key_ops`, `settings_ops`, `gateways`, `moderation`; `open` and `facade`.

/// Every IPC / `--json` shape derives the same traits (and a TypeScript type).
macro_rules! ipc_type {
    ($($item:item)*) => {$(
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        $item
    )*};
}

pub mod api;
mod approval;
mod approval_ops;
mod attempt_books;
mod attempts;
mod budget;
mod candidates;
mod catalog;
mod changes;
mod charges;
mod claim;
mod config;
mod context;
mod convert;
mod crash_point;
mod deferred;
mod discover;
mod drift;
mod error;
mod estimate;
mod facade;
pub mod feed;
mod feed_key;
mod finalize;
mod first_call;
mod gallery;
mod gateways;
mod inputs;
pub mod invoice;
mod iterate;
mod job_spec;
mod jobs;
mod key_ops;
mod lease;

mod limits;
mod moderation;
mod open;
mod options;
mod outside_writes;
pub mod paths;
mod pipeline;
mod prices;
mod project_cache;
mod project_read;
mod projects;
pub mod provider_facts;
mod provider_gateway;
mod queue;
mod reconcile;
mod recovery;
mod remote;
mod route_plan;
mod routing;
mod runs;
mod settings;
mod settings_ops;
mod settle;
mod shared;
mod team_bucket_key;
mod team_catchup;
mod team_hook;
pub mod team_link;
mod team_link_approvals;
mod team_ops;
mod team_project;
mod team_reports;
pub mod team_switch;
mod team_sync;
#[cfg(test)]
mod test_store;
mod wiring;

pub use changes::DataTopic;
pub use error::{EngineError, ErrorKind, Result, blocking_hops};
pub use facade::{Engine, EngineConfig, ProgressFn};
pub use inputs::MAX_INPUT_BYTES;
pub use options::{BreakerPolicy, EngineOptions, ProviderOverrides, RecoveryMode, RetryPolicy};
pub use team_hook::{
    ApprovalAsk, ApprovalCheck, Settled, SharedApprovals, SharedError, SharedErrorKind,
    SharedFuture, SharedHit, SharedImage, SharedLedger, SharedLedgerHook, SharedMeter,
};
pub use team_sync::TeamPull;
