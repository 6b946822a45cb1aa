//! Managed state: the engine, opened once at start-up. No globals.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use engine::{Engine, EngineConfig};

pub struct AppState {
    pub engine: Arc<Engine>,
    /// When this process started, for the first-paint figure in BENCHMARKS.md.
    pub started: Instant,
    pub first_paint_ms: OnceLock<u64>,
}

/// Dev and test builds keep their own data and keychain entries, so running tests
/// never touches a designer's gallery or keys.
pub const CHANNEL_SUFFIX: &str = if cfg!(debug_assertions) { ".dev" } else { "" };

/// `PROOFSHEET_DATA_DIR` wins (tests, throwaway runs); otherwise the platform's app
/// data dir, with the channel suffix for dev and test builds.
pub fn resolve_data_dir(platform_app_data: PathBuf) -> PathBuf {
    if let Some(dir) = std::env::var_os("PROOFSHEET_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    match (platform_app_data.parent(), platform_app_data.file_name()) {
        (Some(parent), Some(name)) => {
            parent.join(format!("{}{CHANNEL_SUFFIX}", name.to_string_lossy()))
        }
        _ => platform_app_data,
    }
}

pub fn engine_config(identifier: &str, platform_app_data: PathBuf) -> EngineConfig {
    EngineConfig {
        data_dir: resolve_data_dir(platform_app_data),
        keychain_service: format!("{identifier}{CHANNEL_SUFFIX}"),
    }
}
