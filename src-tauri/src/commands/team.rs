//! Settings → Team (issue 18): join, status and leave through the same engine calls as
//! `proofsheet-cli team`. The password arrives once, goes to the keychain, and no answer
//! carries it back.

use engine::api::{TeamJoinInput, TeamReportView, TeamStatusView};
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
    catch_up: State<'_, std::sync::Arc<super::team_catchup::CatchUpState>>,
    input: TeamJoinInput,
) -> CmdResult<TeamStatusView> {
    let (link, view) = state.engine.team_join(input).await?;
    state.team.set(Some(link));
    state.engine.announce_team_change();
    // Teammates' images start arriving now, not at the next tick.
    catch_up.kick();
    Ok(view)
}

#[tauri::command]
#[specta::specta]
pub async fn team_leave(
    state: State<'_, AppState>,
    catch_up: State<'_, std::sync::Arc<super::team_catchup::CatchUpState>>,
) -> CmdResult<TeamStatusView> {
    state.engine.team_leave().await?;
    state.team.set(None);
    state.engine.announce_team_change();
    // The status area stops showing the team's catch-up now.
    catch_up.kick();
    Ok(TeamStatusView::not_joined())
}

/// The team's spend in a period (YYYY-MM-DD, UTC, inclusive), by member, client and
/// project; of one client when given.
#[tauri::command]
#[specta::specta]
pub async fn team_report(
    state: State<'_, AppState>,
    from: String,
    to: String,
    client: Option<String>,
) -> CmdResult<TeamReportView> {
    Ok(state
        .engine
        .team_report(&from, &to, client.as_deref())
        .await?)
}

/// Saves the period's lines as CSV where the user picks in the native dialog (the window
/// never names a path); None when the dialog was cancelled.
#[tauri::command]
#[specta::specta]
pub async fn team_report_csv(
    state: State<'_, AppState>,
    from: String,
    to: String,
    client: Option<String>,
    suggested_name: String,
) -> CmdResult<Option<String>> {
    let title = "Save the team's spend as CSV";
    let Some(file) = state.dialogs.pick_save(title, &suggested_name, "csv").await else {
        return Ok(None);
    };
    Ok(Some(
        state
            .engine
            .team_report_csv(&from, &to, client.as_deref(), file)
            .await?,
    ))
}
