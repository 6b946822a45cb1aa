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

/// Renames a project; its spend history, images and settings follow it.
#[tauri::command]
#[specta::specta]
pub async fn project_rename(
    state: State<'_, AppState>,
    name: String,
    new_name: String,
) -> CmdResult<ProjectView> {
    Ok(state.engine.project_rename(&name, &new_name).await?)
}

/// Archives (hides from everyday lists) or restores a project; nothing is deleted.
#[tauri::command]
#[specta::specta]
pub async fn project_archive(
    state: State<'_, AppState>,
    name: String,
    archived: bool,
) -> CmdResult<ProjectView> {
    Ok(state.engine.project_archive(&name, archived).await?)
}
