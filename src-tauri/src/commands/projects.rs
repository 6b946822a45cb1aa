use engine::api::{ProjectInput, ProjectView};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn project_list(state: State<'_, AppState>) -> CmdResult<Vec<ProjectView>> {
    Ok(state.engine.project_list().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn project_show(state: State<'_, AppState>, name: String) -> CmdResult<ProjectView> {
    Ok(state.engine.project_show(&name).await?)
}

/// Creates the project, or updates it when the name exists.
#[tauri::command]
#[specta::specta]
pub async fn project_save(
    state: State<'_, AppState>,
    input: ProjectInput,
) -> CmdResult<ProjectView> {
    Ok(state.engine.project_upsert(input).await?)
}
