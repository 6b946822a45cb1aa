//! Image inputs and iteration (issue 15): importing input images, finalizing a draft,
//! upscaling, and the lineage of a result.

use std::sync::Arc;

use engine::api::{FinalizeInput, FinalizeOptions, ImportedImage, JobEvent, Lineage, UpscaleInput};
use tauri::State;
use tauri::ipc::Channel;

use super::image_data::ImageBase64;
use crate::error::CmdResult;
use crate::state::AppState;

/// The formats an input may be (what the engine accepts).
const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp"];

fn forward(channel: Channel<JobEvent>) -> engine::ProgressFn {
    Arc::new(move |event| {
        // The window may be gone; the job still finishes and lands in the gallery.
        let _ = channel.send(event);
    })
}

/// Takes pasted or dropped image bytes (base64) as an input: checked (PNG, JPEG or
/// WebP, size limits, decodable) and kept in the library by sha256.
#[tauri::command]
#[specta::specta]
pub async fn input_import(
    state: State<'_, AppState>,
    data: ImageBase64,
) -> CmdResult<ImportedImage> {
    let bytes = data.decode()?;
    Ok(state.engine.import_input_image(bytes).await?)
}

/// Asks the user for an image file in a native dialog and imports it; `None` when they
/// cancel. The path comes from the dialog, never from the window.
#[tauri::command]
#[specta::specta]
pub async fn input_import_file(state: State<'_, AppState>) -> CmdResult<Option<ImportedImage>> {
    let Some(path) = state
        .dialogs
        .pick_open("Choose an input image", IMAGE_EXTENSIONS)
        .await
    else {
        return Ok(None);
    };
    Ok(Some(state.engine.import_input_file(path).await?))
}

/// The inputs a result used and the results made from its images.
#[tauri::command]
#[specta::specta]
pub async fn generation_lineage(
    state: State<'_, AppState>,
    generation_id: String,
) -> CmdResult<Lineage> {
    Ok(state.engine.lineage(&generation_id).await?)
}

/// Every way to make a final of this draft, priced side by side.
#[tauri::command]
#[specta::specta]
pub async fn generation_finalize_options(
    state: State<'_, AppState>,
    generation_id: String,
) -> CmdResult<FinalizeOptions> {
    Ok(state.engine.finalize_options(&generation_id).await?)
}

/// Runs the chosen finalize; returns the job id at once, progress on `progress`.
#[tauri::command]
#[specta::specta]
pub async fn generation_finalize(
    state: State<'_, AppState>,
    input: FinalizeInput,
    progress: Channel<JobEvent>,
) -> CmdResult<String> {
    Ok(state.engine.finalize(input, forward(progress)).await?)
}

/// Upscales a generation's image; returns the job id at once.
#[tauri::command]
#[specta::specta]
pub async fn generation_upscale(
    state: State<'_, AppState>,
    input: UpscaleInput,
    progress: Channel<JobEvent>,
) -> CmdResult<String> {
    Ok(state.engine.upscale(input, forward(progress)).await?)
}
