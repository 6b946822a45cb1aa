//! Named gateways (issue 16). Secrets travel inward only: a save may carry a key or a
//! secret header value; no reply ever holds one.

use engine::api::{GatewayInput, GatewayTestView, GatewayView};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn gateway_list(state: State<'_, AppState>) -> CmdResult<Vec<GatewayView>> {
    Ok(state.engine.gateway_list().await?)
}

/// Adds or replaces a gateway; its offers are priced and routable as soon as it returns.
#[tauri::command]
#[specta::specta]
pub async fn gateway_save(
    state: State<'_, AppState>,
    input: GatewayInput,
) -> CmdResult<GatewayView> {
    Ok(state.engine.gateway_save(input).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn gateway_remove(state: State<'_, AppState>, name: String) -> CmdResult<()> {
    Ok(state.engine.gateway_remove(&name).await?)
}

/// Calls the gateway's model list: reachable, key accepted, which mapped models it serves.
#[tauri::command]
#[specta::specta]
pub async fn gateway_test(state: State<'_, AppState>, name: String) -> CmdResult<GatewayTestView> {
    Ok(state.engine.gateway_test(&name).await?)
}
