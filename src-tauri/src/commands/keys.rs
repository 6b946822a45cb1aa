//! Keys travel inward only: no command returns a secret.

use engine::api::{KeyCheckView, KeyView, ProviderId};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn keys_list(state: State<'_, AppState>) -> CmdResult<Vec<KeyView>> {
    Ok(state.engine.key_list().await?)
}

/// Stores the key in the OS keychain; the reply describes it without the secret.
#[tauri::command]
#[specta::specta]
pub async fn keys_set(
    state: State<'_, AppState>,
    provider: ProviderId,
    secret: String,
) -> CmdResult<KeyView> {
    Ok(state.engine.key_set(provider, secret).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn keys_delete(state: State<'_, AppState>, provider: ProviderId) -> CmdResult<()> {
    Ok(state.engine.key_delete(provider).await?)
}

/// A cheap authenticated call to the provider: valid, invalid or unreachable.
#[tauri::command]
#[specta::specta]
pub async fn keys_test(
    state: State<'_, AppState>,
    provider: ProviderId,
) -> CmdResult<KeyCheckView> {
    Ok(state.engine.key_test(provider).await?)
}
