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
/// the invoice line it adds to; returns the path.
#[tauri::command]
#[specta::specta]
pub async fn dashboard_invoice_csv(
    state: State<'_, AppState>,
    query: InvoiceQuery,
    file: String,
) -> CmdResult<String> {
    Ok(state
        .engine
        .invoice_csv(query, crate::paths::user_path(&file))
        .await?)
}

/// Writes a project's spend lines as CSV for the client invoice; returns the path.
#[tauri::command]
#[specta::specta]
pub async fn dashboard_report_csv(
    state: State<'_, AppState>,
    project: String,
    file: String,
) -> CmdResult<String> {
    Ok(state
        .engine
        .report_csv(&project, crate::paths::user_path(&file))
        .await?)
}
