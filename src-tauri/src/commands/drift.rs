//! Drift from real bills and provider model discovery (issue 14 §5, §6).

use engine::api::{DiscoveryReport, DriftSettings, DriftView, OfferImportReport, ProviderId};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// Offers whose settled costs drifted from their estimates, every status, with evidence.
#[tauri::command]
#[specta::specta]
pub async fn drift_list(state: State<'_, AppState>) -> CmdResult<Vec<DriftView>> {
    Ok(state.engine.drift_list().await?)
}

/// Accepts a drift in one step: the offer's rate follows the observed ratio.
#[tauri::command]
#[specta::specta]
pub async fn drift_accept(state: State<'_, AppState>, offer_id: String) -> CmdResult<DriftView> {
    Ok(state.engine.drift_accept(&offer_id).await?)
}

/// Ignores a drift until a whole window of later attempts still drifts.
#[tauri::command]
#[specta::specta]
pub async fn drift_ignore(state: State<'_, AppState>, offer_id: String) -> CmdResult<DriftView> {
    Ok(state.engine.drift_ignore(&offer_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn drift_settings_get(state: State<'_, AppState>) -> CmdResult<DriftSettings> {
    Ok(state.engine.drift_settings().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn drift_settings_save(
    state: State<'_, AppState>,
    input: DriftSettings,
) -> CmdResult<DriftSettings> {
    Ok(state.engine.drift_settings_save(input).await?)
}

/// Models the keys can use that the catalog lacks, and offers providers no longer list.
#[tauri::command]
#[specta::specta]
pub async fn offers_discover(
    state: State<'_, AppState>,
    provider: Option<ProviderId>,
) -> CmdResult<DiscoveryReport> {
    Ok(state.engine.offers_discover(provider).await?)
}

/// Imports OpenRouter's or Together's listed prices as offers, after the user's OK.
#[tauri::command]
#[specta::specta]
pub async fn offers_import(
    state: State<'_, AppState>,
    provider: ProviderId,
    models: Vec<String>,
) -> CmdResult<OfferImportReport> {
    Ok(state.engine.offers_import(provider, models).await?)
}
