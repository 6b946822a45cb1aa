//! The engine's routing decision, shown on the Draft / Final buttons before they are
//! pressed, and the project's final quality for promote.

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

/// The quality promoted finals of a project render at (None: the final offer's best
/// standard quality).
#[tauri::command]
#[specta::specta]
pub async fn project_set_final_quality(
    state: State<'_, AppState>,
    project: String,
    quality: Option<String>,
) -> CmdResult<()> {
    Ok(state
        .engine
        .project_set_final_quality(&project, quality)
        .await?)
}

/// Canvas size presets some usable offer makes exactly.
#[tauri::command]
#[specta::specta]
pub async fn route_size_presets(state: State<'_, AppState>) -> CmdResult<Vec<SizePreset>> {
    Ok(state.engine.size_presets().await)
}
