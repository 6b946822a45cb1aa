//! Settings → Catalog: the catalog in use, the signed feed, its diff, apply and restore.
//! Nothing changes the prices except `catalog_apply` and `catalog_restore`, which the UI
//! calls only on the user's click.

use engine::feed::{CatalogCheckView, CatalogStatusView};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// Version, published date and age of the catalog in use; feed URL, last check, the
/// update waiting for the user's OK, and what "Restore previous" brings back.
#[tauri::command]
#[specta::specta]
pub async fn catalog_status(state: State<'_, AppState>) -> CmdResult<CatalogStatusView> {
    Ok(state.engine.catalog_status().await?)
}

/// Sets the feed URL; `null` or "" goes back to the project's feed.
#[tauri::command]
#[specta::specta]
pub async fn catalog_set_feed_url(
    state: State<'_, AppState>,
    url: Option<String>,
) -> CmdResult<CatalogStatusView> {
    Ok(state.engine.catalog_set_feed_url(url).await?)
}

/// "Check now": downloads and verifies the feed; a newer catalog waits with its diff.
#[tauri::command]
#[specta::specta]
pub async fn catalog_check(state: State<'_, AppState>) -> CmdResult<CatalogCheckView> {
    Ok(state.engine.catalog_check().await?)
}

/// Applies the reviewed update (only `version`, the one the diff showed).
#[tauri::command]
#[specta::specta]
pub async fn catalog_apply(
    state: State<'_, AppState>,
    version: String,
) -> CmdResult<CatalogStatusView> {
    Ok(state.engine.catalog_apply(Some(version)).await?)
}

/// Brings back the catalog in use before the last apply.
#[tauri::command]
#[specta::specta]
pub async fn catalog_restore(state: State<'_, AppState>) -> CmdResult<CatalogStatusView> {
    Ok(state.engine.catalog_restore().await?)
}

/// The public key feeds are verified with: the built-in one, except that debug builds
/// (dev, e2e) take `PROOFSHEET_CATALOG_FEED_KEY` so tests can sign with a throwaway
/// key. Release builds never read the variable.
#[cfg(debug_assertions)]
pub fn feed_key_override() -> Option<engine::feed::FeedKey> {
    let hex = std::env::var("PROOFSHEET_CATALOG_FEED_KEY").ok()?;
    match engine::feed::FeedKey::from_hex(&hex) {
        Ok(k) => Some(k),
        Err(e) => {
            tracing::warn!("PROOFSHEET_CATALOG_FEED_KEY ignored: {e}");
            None
        }
    }
}

#[cfg(not(debug_assertions))]
pub fn feed_key_override() -> Option<engine::feed::FeedKey> {
    None
}

/// The automatic check, at most daily, in the background (at start-up, then looked at
/// hourly so an app left open for days still checks): it only downloads and verifies;
/// the update waits in Settings → Catalog for the user's OK.
pub fn spawn_daily_check(engine: std::sync::Arc<engine::Engine>) {
    if auto_check_disabled() {
        tracing::info!("automatic catalog check off (PROOFSHEET_CATALOG_AUTO_CHECK=off)");
        return;
    }
    tauri::async_runtime::spawn(async move {
        loop {
            match engine.catalog_check_if_due().await {
                Ok(Some(r)) => tracing::info!("catalog feed checked: {}", r.message),
                Ok(None) => {}
                Err(e) => tracing::info!("catalog feed check failed: {}", e.message),
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
}

/// Debug builds (e2e) may turn the automatic check off, so a test run never reaches
/// the public feed host; release builds always check.
#[cfg(debug_assertions)]
fn auto_check_disabled() -> bool {
    std::env::var("PROOFSHEET_CATALOG_AUTO_CHECK").is_ok_and(|v| v == "off")
}

#[cfg(not(debug_assertions))]
fn auto_check_disabled() -> bool {
    false
}
