//! Managed state: the engine, opened once at start-up. No globals.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use engine::{Engine, EngineConfig};

pub struct AppState {
    pub engine: Arc<Engine>,
    /// The team ledger the engine was opened with (issue 18): join and leave swap its
    /// link while the app runs.
    pub team: Arc<engine::team_switch::TeamSwitch>,
    /// Where exports and reports go: native dialogs (tests: a scripted answer).
    pub dialogs: Box<dyn crate::dialogs::Dialogs>,
    /// When this process started, for the first-paint figure in BENCHMARKS.md.
    pub started: Instant,
    pub first_paint_ms: OnceLock<u64>,
    /// Set once the file sweep deferred at open has started (after the first paint).
    pub swept: OnceLock<()>,
}

/// The name this build stores data and keys under (`engine::paths::storage_id`: dev and
/// test builds use `com.proofsheet.dev`, as `proofsheet-cli` does, so no dev or test run
/// touches a designer's library or keychain entries; release builds the bundle
/// identifier, held equal to `engine::paths::RELEASE_ID` by the CLI's config test).
pub fn channel_identifier() -> &'static str {
    engine::paths::storage_id()
}

/// `PROOFSHEET_DATA_DIR` wins (tests, throwaway runs); otherwise the platform's data
/// dir named after the channel identifier, as the CLI resolves it.
pub fn resolve_data_dir(platform_app_data: PathBuf) -> PathBuf {
    if let Some(dir) = std::env::var_os("PROOFSHEET_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    match platform_app_data.parent() {
        Some(platform_data) => engine::paths::default_data_dir(platform_data),
        None => platform_app_data,
    }
}

pub fn engine_config(platform_app_data: PathBuf) -> EngineConfig {
    EngineConfig {
        data_dir: resolve_data_dir(platform_app_data),
        keychain_service: channel_identifier().to_string(),
    }
}
