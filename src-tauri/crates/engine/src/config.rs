//! What an engine is opened with and how it reports a job's progress: plain types that
//! every layer may name (they live here, not in `facade`, so no module needs the facade).

use std::path::PathBuf;
use std::sync::Arc;

use crate::api::JobEvent;

/// Receives a job's progress in order. The shell turns it into a Tauri `Channel`.
pub type ProgressFn = Arc<dyn Fn(JobEvent) + Send + Sync>;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Root of the SQLite file, images and thumbnails.
    pub data_dir: PathBuf,
    /// Keychain service name; includes the app identifier so dev/test builds never
    /// touch a user's real entries.
    pub keychain_service: String,
}
