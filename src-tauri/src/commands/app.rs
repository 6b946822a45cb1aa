use serde::Serialize;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: String,
    pub channel: BuildChannel,
    /// Milliseconds from process start to the UI's first paint, once reported.
    pub first_paint_ms: Option<u32>,
}

/// Which build runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum BuildChannel {
    /// A debug or test build.
    Dev,
    Release,
}

/// What the app is and where it keeps its data (shown in Settings).
#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> CmdResult<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        data_dir: state.engine.config().data_dir.display().to_string(),
        channel: if cfg!(debug_assertions) {
            BuildChannel::Dev
        } else {
            BuildChannel::Release
        },
        first_paint_ms: state.first_paint_ms.get().map(|ms| *ms as u32),
    })
}

/// The UI calls this once after its first frame; the figure feeds BENCHMARKS.md, and
/// the file sweep deferred at start-up begins, then the integrity check.
#[tauri::command]
#[specta::specta]
pub async fn app_ready(state: State<'_, AppState>) -> CmdResult<u32> {
    let ms = *state
        .first_paint_ms
        .get_or_init(|| state.started.elapsed().as_millis() as u64);
    tracing::info!(first_paint_ms = ms, "first paint");
    // The window shows: now sweep the library's files, off the main thread (a large
    // library has hundreds of thousands of them; review §1.11), then run the integrity
    // check the first reservation needs, so the first Generate does not wait for it.
    if state.swept.set(()).is_ok() {
        let engine = state.engine.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(e) = engine.sweep_files().await {
                tracing::warn!("file sweep: {e}");
            }
            engine.start_integrity_check();
        });
    }
    Ok(ms as u32)
}

/// The window's own state (canvas, recent prompts, jobs, latest results) lives in the
/// library folder as well as in the webview's storage: WebKit writes its storage to disk
/// late, so a quit right after typing lost the prompt (issue 12 §1.15).
const UI_STATE_FILE: &str = "window-state.json";
/// A generous bound: the state is a few kilobytes (100 jobs, 12 prompts).
const UI_STATE_MAX: usize = 2 * 1024 * 1024;

/// The saved window state (a JSON object of storage keys to their texts), if any.
#[tauri::command]
#[specta::specta]
pub async fn ui_state_get(state: State<'_, AppState>) -> CmdResult<Option<String>> {
    let path = state.engine.config().data_dir.join(UI_STATE_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) if text.len() <= UI_STATE_MAX => Ok(Some(text)),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::error::AppError::new(
            crate::error::AppErrorKind::Internal,
            format!("could not read the saved window state ({e}); the window starts fresh"),
        )),
    }
}

/// Saves the window state (written whole, then renamed, so a crash never leaves half).
#[tauri::command]
#[specta::specta]
pub async fn ui_state_set(state: State<'_, AppState>, json: String) -> CmdResult<()> {
    if json.len() > UI_STATE_MAX || serde_json::from_str::<serde_json::Value>(&json).is_err() {
        return Err(crate::error::AppError::new(
            crate::error::AppErrorKind::Validation,
            "the window state must be a JSON object under 2 MB",
        ));
    }
    // One write at a time: two overlapping writes through one temporary file could leave
    // the older state (or a torn file) behind.
    static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let dir = state.engine.config().data_dir.clone();
    let tmp = dir.join(format!("{UI_STATE_FILE}.tmp"));
    let write = || -> std::io::Result<()> {
        let _one = WRITING.lock().unwrap_or_else(|p| p.into_inner());
        std::fs::write(&tmp, json.as_bytes())?;
        std::fs::rename(&tmp, dir.join(UI_STATE_FILE))
    };
    write().map_err(|e| {
        crate::error::AppError::new(
            crate::error::AppErrorKind::Internal,
            format!("could not save the window state: {e}"),
        )
    })
}
