use std::path::PathBuf;

use engine::api::{GalleryPage, GalleryQuery, GenerationDetail};
use serde::Serialize;
use tauri::State;

use crate::error::{AppError, AppErrorKind, CmdResult};
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn gallery_page(
    state: State<'_, AppState>,
    query: GalleryQuery,
) -> CmdResult<GalleryPage> {
    Ok(state.engine.gallery_page(query).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn gallery_detail(
    state: State<'_, AppState>,
    generation_id: String,
) -> CmdResult<GenerationDetail> {
    Ok(state.engine.generation_detail(&generation_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn gallery_set_favourite(
    state: State<'_, AppState>,
    generation_id: String,
    favourite: bool,
) -> CmdResult<()> {
    Ok(state
        .engine
        .set_favourite(&generation_id, favourite)
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn gallery_set_rating(
    state: State<'_, AppState>,
    generation_id: String,
    rating: u32,
) -> CmdResult<()> {
    Ok(state.engine.set_rating(&generation_id, rating).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn gallery_add_to_board(
    state: State<'_, AppState>,
    generation_id: String,
    board: String,
) -> CmdResult<()> {
    Ok(state.engine.add_to_board(&generation_id, &board).await?)
}

/// Takes an image (`<id>` or `<id>#<index>`) off a board.
#[tauri::command]
#[specta::specta]
pub async fn gallery_remove_from_board(
    state: State<'_, AppState>,
    generation_id: String,
    board: String,
) -> CmdResult<()> {
    Ok(state
        .engine
        .remove_from_board(&generation_id, &board)
        .await?)
}

/// Deletes a board; its images stay in the gallery.
#[tauri::command]
#[specta::specta]
pub async fn gallery_delete_board(state: State<'_, AppState>, board: String) -> CmdResult<()> {
    Ok(state.engine.delete_board(&board).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn gallery_boards(state: State<'_, AppState>) -> CmdResult<Vec<String>> {
    Ok(state.engine.boards().await?)
}

/// Deletes images (`<generation id>` or `<generation id>#<index>`): files and rows go,
/// the spend history stays. Returns how many images were deleted.
#[tauri::command]
#[specta::specta]
pub async fn gallery_delete(
    state: State<'_, AppState>,
    generation_ids: Vec<String>,
) -> CmdResult<u32> {
    Ok(state.engine.delete_images(generation_ids).await?)
}

/// Where an export went: the folder the user picked and the files written there.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ExportDone {
    pub folder: String,
    pub files: Vec<String>,
}

/// Exports PNGs with their parameters and a JSON sidecar each into a folder the user
/// picks in a native dialog; `None` when they cancel.
#[tauri::command]
#[specta::specta]
pub async fn gallery_export(
    state: State<'_, AppState>,
    generation_ids: Vec<String>,
) -> CmdResult<Option<ExportDone>> {
    let n = generation_ids.len();
    let title = format!("Export {n} image{} to…", if n == 1 { "" } else { "s" });
    let Some(folder) = state.dialogs.pick_folder(&title).await else {
        return Ok(None);
    };
    let files = state.engine.export(generation_ids, folder.clone()).await?;
    Ok(Some(ExportDone {
        folder: folder.display().to_string(),
        files,
    }))
}

/// Shows a stored image in the system file manager. Only paths inside the data dir.
#[tauri::command]
#[specta::specta]
pub async fn gallery_reveal(state: State<'_, AppState>, path: String) -> CmdResult<()> {
    let data_dir = &state.engine.config().data_dir;
    let folder =
        engine::paths::stored_image_folder(data_dir, &PathBuf::from(&path)).ok_or_else(|| {
            AppError::new(
                AppErrorKind::Validation,
                "only images stored in the gallery can be revealed",
            )
        })?;
    crate::reveal::open_folder(&folder).map_err(|e| {
        AppError::new(
            AppErrorKind::Internal,
            if cfg!(target_os = "linux") && e.kind() == std::io::ErrorKind::NotFound {
                "could not open the file manager: xdg-open is missing; install xdg-utils, or open \
             the folder yourself"
                    .into()
            } else {
                format!("could not open the file manager: {e}")
            },
        )
    })
}
