//! The engine's routing decision, shown on the Draft / Final buttons before they are
//! pressed, and the size presets some usable model makes exactly.

use engine::api::{RouteDecision, RoutePreviewInput, SizePreset};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// What pressing Draft / Final / Use would run for this request: the offer, its price,
/// what is snapped or ignored, or why nothing can run and the fix.
#[tauri::command]
#[specta::specta]
pub async fn route_preview(
    state: State<'_, AppState>,
    input: RoutePreviewInput,
) -> CmdResult<RouteDecision> {
    Ok(state.engine.route_preview(input).await?)
}

/// Canvas size presets some usable offer makes exactly.
#[tauri::command]
#[specta::specta]
pub async fn route_size_presets(state: State<'_, AppState>) -> CmdResult<Vec<SizePreset>> {
    Ok(state.engine.size_presets().await)
}
