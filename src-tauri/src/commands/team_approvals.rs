//! Approval of spend on team projects (issue 18 item 5): admins list, approve and
//! refuse requests and set a project's threshold; a requester sees what waits and can
//! withdraw it. Every call goes through the engine's team connection.

use engine::api::{ApprovalThresholdInput, AwaitingApprovalView, TeamApprovalView, TeamApprovals};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// The team's approval requests (admins) or this member's own; `can_decide` says which.
#[tauri::command]
#[specta::specta]
pub async fn team_approvals(
    state: State<'_, AppState>,
    pending_only: bool,
) -> CmdResult<TeamApprovals> {
    Ok(state.engine.team_approvals(pending_only).await?)
}

/// Approves a request (admins only): the requester's job runs it once.
#[tauri::command]
#[specta::specta]
pub async fn team_approve(
    state: State<'_, AppState>,
    approval_id: String,
) -> CmdResult<TeamApprovalView> {
    Ok(state.engine.team_approve(&approval_id).await?)
}

/// Refuses a request with a reason the requester is shown (admins only).
#[tauri::command]
#[specta::specta]
pub async fn team_refuse(
    state: State<'_, AppState>,
    approval_id: String,
    reason: String,
) -> CmdResult<TeamApprovalView> {
    Ok(state.engine.team_refuse(&approval_id, &reason).await?)
}

/// Sets or removes a team project's approval threshold (admins only).
#[tauri::command]
#[specta::specta]
pub async fn team_set_approval_threshold(
    state: State<'_, AppState>,
    input: ApprovalThresholdInput,
) -> CmdResult<()> {
    Ok(state
        .engine
        .team_set_approval_threshold(&input.project, input.threshold_usd)
        .await?)
}

/// This library's requests waiting for an admin (kept across restarts).
#[tauri::command]
#[specta::specta]
pub async fn team_awaiting_approvals(
    state: State<'_, AppState>,
) -> CmdResult<Vec<AwaitingApprovalView>> {
    Ok(state.engine.awaiting_approvals().await?)
}

/// Withdraws a request of this library still waiting; nothing is charged.
#[tauri::command]
#[specta::specta]
pub async fn team_withdraw_approval(
    state: State<'_, AppState>,
    approval_id: String,
) -> CmdResult<()> {
    Ok(state.engine.cancel_approval(&approval_id).await?)
}

/// A team project's approval threshold as the server holds it (`None`: off, or not in a
/// team). Everyone may read it; only admins may set it.
#[tauri::command]
#[specta::specta]
pub async fn team_approval_threshold(
    state: State<'_, AppState>,
    project: String,
) -> CmdResult<Option<rust_decimal::Decimal>> {
    let Some(link) = state.team.current() else {
        return Ok(None);
    };
    let team = link.team().await?;
    Ok(team
        .approval_threshold(&project)
        .await
        .map_err(engine::team_link::engine_error)?)
}
