use engine::api::DashboardData;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// Where the money went: spend by day, provider, model and project.
#[tauri::command]
#[specta::specta]
pub async fn dashboard_data(
    state: State<'_, AppState>,
    project: Option<String>,
) -> CmdResult<DashboardData> {
    Ok(state.engine.dashboard(project).await?)
}

/// Writes a project's spend lines as CSV for the client invoice; returns the path.
#[tauri::command]
#[specta::specta]
pub async fn dashboard_report_csv(
    state: State<'_, AppState>,
    project: String,
    file: String,
) -> CmdResult<String> {
    Ok(state
        .engine
        .report_csv(&project, crate::paths::user_path(&file))
        .await?)
}
