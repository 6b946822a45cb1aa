use engine::api::{CatalogImportReport, PriceOverrideInput, SettingsInput, SettingsView};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn settings_get(state: State<'_, AppState>) -> CmdResult<SettingsView> {
    Ok(state.engine.settings().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn settings_save(
    state: State<'_, AppState>,
    input: SettingsInput,
) -> CmdResult<SettingsView> {
    Ok(state.engine.settings_save(input).await?)
}

/// Negotiated rates layered over the bundled catalog.
#[tauri::command]
#[specta::specta]
pub async fn settings_set_overrides(
    state: State<'_, AppState>,
    overrides: Vec<PriceOverrideInput>,
) -> CmdResult<()> {
    Ok(state.engine.price_overrides_set(overrides).await?)
}

/// Validates and installs a catalog file; a bad file is refused whole.
#[tauri::command]
#[specta::specta]
pub async fn settings_import_catalog(
    state: State<'_, AppState>,
    json: String,
) -> CmdResult<CatalogImportReport> {
    Ok(state.engine.catalog_import(json).await?)
}
