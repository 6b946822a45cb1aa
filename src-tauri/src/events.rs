//! App-wide typed events (job progress travels through per-job Channels instead).

use serde::{Deserialize, Serialize};

/// Something the UI shows changed outside the current view: refetch it.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct DataChanged {
    pub what: engine::api::DataTopic,
}
