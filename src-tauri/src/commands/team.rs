//! Settings → Team (issue 18): join, status and leave through the same engine calls as
//! `proofsheet-cli team`. The password arrives once, goes to the keychain, and no answer
//! carries it back.

use engine::api::{TeamJoinInput, TeamStatusView};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn team_status(state: State<'_, AppState>) -> CmdResult<TeamStatusView> {
    Ok(state.engine.team_status().await?)
}

/// Joins (the first member creates the team); team projects then go through the server
/// at once, without a restart.
#[tauri::command]
#[specta::specta]
pub async fn team_join(
    state: State<'_, AppState>,
    input: TeamJoinInput,
) -> CmdResult<TeamStatusView> {
    let (link, view) = state.engine.team_join(input).await?;
    state.team.set(Some(link));
    state.engine.announce_team_change();
    Ok(view)
}

#[tauri::command]
#[specta::specta]
pub async fn team_leave(state: State<'_, AppState>) -> CmdResult<TeamStatusView> {
    state.engine.team_leave().await?;
    state.team.set(None);
    state.engine.announce_team_change();
    Ok(TeamStatusView::not_joined())
}
