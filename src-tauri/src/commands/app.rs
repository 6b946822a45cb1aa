use serde::Serialize;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    /// "dev" for debug/test builds, "release" otherwise.
    pub channel: String,
    /// Milliseconds from process start to the UI's first paint, once reported.
    pub first_paint_ms: Option<u32>,
}

/// What the app is and where it keeps its data (shown in Settings).
#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> CmdResult<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        data_dir: state.engine.config().data_dir.display().to_string(),
        channel: if cfg!(debug_assertions) {
            "dev"
        } else {
            "release"
        }
        .to_string(),
        first_paint_ms: state.first_paint_ms.get().map(|ms| *ms as u32),
    })
}

/// The UI calls this once after its first frame; the figure feeds BENCHMARKS.md.
#[tauri::command]
#[specta::specta]
pub async fn app_ready(state: State<'_, AppState>) -> CmdResult<u32> {
    let ms = *state
        .first_paint_ms
        .get_or_init(|| state.started.elapsed().as_millis() as u64);
    tracing::info!(first_paint_ms = ms, "first paint");
    Ok(ms as u32)
}
