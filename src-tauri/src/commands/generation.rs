use std::sync::Arc;

use engine::api::{GenerateInput, JobEvent, PromotePreview};
use tauri::State;
use tauri::ipc::Channel;

use crate::error::CmdResult;
use crate::state::AppState;

fn forward(channel: Channel<JobEvent>) -> engine::ProgressFn {
    Arc::new(move |event| {
        // The window may be gone; the job still finishes and lands in the gallery.
        let _ = channel.send(event);
    })
}

/// Queues a generation; returns the job id at once. Progress arrives on `progress`.
#[tauri::command]
#[specta::specta]
pub async fn generation_submit(
    state: State<'_, AppState>,
    input: GenerateInput,
    progress: Channel<JobEvent>,
) -> CmdResult<String> {
    Ok(state.engine.submit(input, forward(progress)).await?)
}

/// Cancels a queued or running job; its reservation is released.
#[tauri::command]
#[specta::specta]
pub async fn generation_cancel(state: State<'_, AppState>, job_id: String) -> CmdResult<bool> {
    Ok(state.engine.cancel(&job_id))
}

/// Prices promoting a draft to the final chain, before anything is spent.
#[tauri::command]
#[specta::specta]
pub async fn generation_promote_preview(
    state: State<'_, AppState>,
    generation_id: String,
) -> CmdResult<PromotePreview> {
    Ok(state.engine.promote_preview(&generation_id).await?)
}

/// Re-renders a draft on the final chain with the same prompt, seed and parameters.
#[tauri::command]
#[specta::specta]
pub async fn generation_promote(
    state: State<'_, AppState>,
    generation_id: String,
    progress: Channel<JobEvent>,
) -> CmdResult<String> {
    Ok(state
        .engine
        .promote(&generation_id, forward(progress))
        .await?)
}
