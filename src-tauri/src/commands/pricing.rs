use engine::api::{EstimateInput, EstimateResult, OfferView};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// Every offer in the active catalog (bundled prices plus the user's overrides).
#[tauri::command]
#[specta::specta]
pub async fn pricing_offers(state: State<'_, AppState>) -> CmdResult<Vec<OfferView>> {
    Ok(state.engine.offers())
}

/// Prices one request on every offer of the tier; nothing is sent to a provider.
#[tauri::command]
#[specta::specta]
pub async fn pricing_estimate(
    state: State<'_, AppState>,
    input: EstimateInput,
) -> CmdResult<EstimateResult> {
    Ok(state.engine.estimate(input).await?)
}
