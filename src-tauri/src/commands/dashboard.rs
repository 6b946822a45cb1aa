use engine::api::{DashboardData, Invoice, InvoiceQuery};
use tauri::State;

use crate::error::CmdResult;
use crate::state::AppState;

/// Where the money went: spend by day, provider, model and project, for the days
/// `from`..=`to` (`YYYY-MM-DD`, UTC; either may be open).
#[tauri::command]
#[specta::specta]
pub async fn dashboard_data(
    state: State<'_, AppState>,
    project: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> CmdResult<DashboardData> {
    Ok(state.engine.dashboard_range(project, from, to).await?)
}

/// A project's invoice for a billing period: lines in cents, display names, a markup.
#[tauri::command]
#[specta::specta]
pub async fn dashboard_invoice(
    state: State<'_, AppState>,
    query: InvoiceQuery,
) -> CmdResult<Invoice> {
    Ok(state.engine.invoice(query).await?)
}

/// Writes the invoice's items as CSV (UTF-8 with a BOM), one row per item, each naming
/// the invoice line it adds to, to a file the user picks in a native save dialog
/// (`suggested_name` is what it starts with). Returns the path, or `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn dashboard_invoice_csv(
    state: State<'_, AppState>,
    query: InvoiceQuery,
    suggested_name: String,
) -> CmdResult<Option<String>> {
    let title = "Save the spend lines as CSV";
    let Some(file) = state.dialogs.pick_save(title, &suggested_name, "csv").await else {
        return Ok(None);
    };
    Ok(Some(state.engine.invoice_csv(query, file).await?))
}
