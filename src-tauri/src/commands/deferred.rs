//! "Later" (issue 14.7): send a generation to a provider's batch API at the batch price,
//! list what is waiting, poll it now.

use engine::api::{DeferredJobView, GenerateInput, JobEvent, RecoveryReport};
use tauri::State;
use tauri::ipc::Channel;

use crate::error::CmdResult;
use crate::state::AppState;

/// Queues a "later" generation; returns the job id at once. Its job ends (`done`, status
/// `deferred`) as soon as the provider has the batch; it lands later.
#[tauri::command]
#[specta::specta]
pub async fn generation_submit_later(
    state: State<'_, AppState>,
    input: GenerateInput,
    progress: Channel<JobEvent>,
) -> CmdResult<String> {
    let forward = std::sync::Arc::new(move |event| {
        let _ = progress.send(event);
    });
    Ok(state.engine.submit_later(input, forward).await?)
}

/// Generations waiting for a provider's batch, with when each is expected.
#[tauri::command]
#[specta::specta]
pub async fn deferred_jobs(state: State<'_, AppState>) -> CmdResult<Vec<DeferredJobView>> {
    Ok(state.engine.deferred_jobs().await?)
}

/// Polls the waiting batches now (the app also does it on a timer).
#[tauri::command]
#[specta::specta]
pub async fn deferred_poll(state: State<'_, AppState>) -> CmdResult<RecoveryReport> {
    Ok(state.engine.poll_deferred().await?)
}
