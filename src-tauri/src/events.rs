//! App-wide typed events (job progress travels through per-job Channels instead).

use serde::{Deserialize, Serialize};
use tauri_specta::Event;

/// Something the UI shows changed (in this window, another one, or another process such
/// as the CLI): refetch what `topic` names.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct DataChanged {
    pub topic: engine::DataTopic,
}

/// Forwards the engine's data-change notices to the window as `DataChanged` until the
/// engine goes away. A listener that fell behind refetches everything (`library`).
pub fn forward<R: tauri::Runtime>(app: tauri::AppHandle<R>, engine: &engine::Engine) {
    let mut rx = engine.subscribe_changes();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        loop {
            let topic = match rx.recv().await {
                Ok(t) => t,
                Err(RecvError::Lagged(_)) => engine::DataTopic::Library,
                Err(RecvError::Closed) => return,
            };
            if let Err(e) = (DataChanged { topic }).emit(&app) {
                tracing::debug!("data-changed not delivered: {e}");
            }
        }
    });
}
