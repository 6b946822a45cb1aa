use engine::api::ChargeView;
use rust_decimal::Decimal;
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// Charges booked at the estimate that no provider confirmed, newest first.
#[tauri::command]
#[specta::specta]
pub async fn charges_list(
    state: State<'_, AppState>,
    project: Option<String>,
) -> CmdResult<Vec<ChargeView>> {
    Ok(state.engine.charges(project).await?)
}

/// The provider did bill it: keep it as spent (at `amount_usd` when given). Returns the
/// change of spent.
#[tauri::command]
#[specta::specta]
pub async fn charge_confirm(
    state: State<'_, AppState>,
    id: String,
    amount_usd: Option<Decimal>,
) -> CmdResult<Decimal> {
    Ok(state.engine.charge_confirm(&id, amount_usd).await?)
}

/// The provider did not bill it: give the money back to the budget. Returns the amount.
#[tauri::command]
#[specta::specta]
pub async fn charge_refund(state: State<'_, AppState>, id: String) -> CmdResult<Decimal> {
    Ok(state.engine.charge_refund(&id).await?)
}
