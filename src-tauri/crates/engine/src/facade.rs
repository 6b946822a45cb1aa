//! `Engine`: the one entry point the Tauri shell and the CLI call.
//! SCAFFOLD: signatures fixed for the shell and the UI; bodies are being filled in.

use std::path::PathBuf;
use std::sync::Arc;

use crate::api::*;
use crate::error::{EngineError, ErrorKind, Result};

/// Receives a job's progress in order. The shell turns it into a Tauri `Channel`.
pub type ProgressFn = Arc<dyn Fn(JobEvent) + Send + Sync>;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Root of the SQLite file, images and thumbnails.
    pub data_dir: PathBuf,
    /// Keychain service name; includes the app identifier so dev/test builds never
    /// touch a user's real entries.
    pub keychain_service: String,
}

pub struct Engine {
    config: EngineConfig,
}

fn not_yet() -> EngineError {
    EngineError::new(ErrorKind::Internal, "this part of the engine is not built yet")
}

impl Engine {
    /// Opens (creating if needed) the data dir, migrates the database, sweeps orphan
    /// files and reconciles jobs left running by a previous process.
    pub async fn open(config: EngineConfig) -> Result<Engine> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            EngineError::internal(format!(
                "cannot create the data folder {}: {e}",
                config.data_dir.display()
            ))
        })?;
        Ok(Engine { config })
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    // ---- pricing ----
    pub fn offers(&self) -> Vec<OfferView> {
        Vec::new()
    }
    pub async fn estimate(&self, _input: EstimateInput) -> Result<EstimateResult> {
        Err(not_yet())
    }

    // ---- generation ----
    /// Queues a generation and returns its job id at once; progress and the result
    /// arrive through `progress`.
    pub async fn submit(&self, _input: GenerateInput, _progress: ProgressFn) -> Result<String> {
        Err(not_yet())
    }
    /// Runs a generation to completion (the CLI's `generate`).
    pub async fn generate(&self, _input: GenerateInput, _progress: ProgressFn) -> Result<GenerationResult> {
        Err(not_yet())
    }
    pub fn cancel(&self, _job_id: &str) -> bool {
        false
    }
    pub async fn promote_preview(&self, _generation_id: &str) -> Result<PromotePreview> {
        Err(not_yet())
    }
    pub async fn promote(&self, _generation_id: &str, _progress: ProgressFn) -> Result<String> {
        Err(not_yet())
    }

    // ---- projects ----
    pub async fn project_upsert(&self, _input: ProjectInput) -> Result<ProjectView> {
        Err(not_yet())
    }
    pub async fn project_list(&self) -> Result<Vec<ProjectView>> {
        Ok(Vec::new())
    }
    pub async fn project_show(&self, _name: &str) -> Result<ProjectView> {
        Err(not_yet())
    }

    // ---- gallery ----
    pub async fn gallery_page(&self, _query: GalleryQuery) -> Result<GalleryPage> {
        Ok(GalleryPage { items: Vec::new(), next_cursor: None, total: 0 })
    }
    pub async fn generation_detail(&self, _generation_id: &str) -> Result<GenerationDetail> {
        Err(not_yet())
    }
    pub async fn set_favourite(&self, _generation_id: &str, _favourite: bool) -> Result<()> {
        Err(not_yet())
    }
    pub async fn set_rating(&self, _generation_id: &str, _rating: u32) -> Result<()> {
        Err(not_yet())
    }
    pub async fn add_to_board(&self, _generation_id: &str, _board: &str) -> Result<()> {
        Err(not_yet())
    }
    pub async fn boards(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }
    /// Exports PNGs (A1111 `parameters` chunk) and JSON sidecars into `folder`.
    pub async fn export(&self, _generation_ids: Vec<String>, _folder: PathBuf) -> Result<Vec<String>> {
        Err(not_yet())
    }

    // ---- dashboard and reports ----
    pub async fn dashboard(&self, _project: Option<String>) -> Result<DashboardData> {
        Err(not_yet())
    }
    /// Writes the project's spend lines as CSV (client invoice) and returns the path.
    pub async fn report_csv(&self, _project: &str, _file: PathBuf) -> Result<String> {
        Err(not_yet())
    }

    // ---- keys (the secret only ever travels inward) ----
    pub async fn key_set(&self, _provider: &str, _secret: String) -> Result<KeyView> {
        Err(not_yet())
    }
    pub async fn key_list(&self) -> Result<Vec<KeyView>> {
        Ok(Vec::new())
    }
    pub async fn key_delete(&self, _provider: &str) -> Result<()> {
        Err(not_yet())
    }
    pub async fn key_test(&self, _provider: &str) -> Result<KeyCheckView> {
        Err(not_yet())
    }

    // ---- settings and catalog ----
    pub async fn settings(&self) -> Result<SettingsView> {
        Err(not_yet())
    }
    pub async fn settings_save(&self, _input: SettingsInput) -> Result<SettingsView> {
        Err(not_yet())
    }
    pub async fn price_overrides_set(&self, _overrides: Vec<PriceOverrideInput>) -> Result<()> {
        Err(not_yet())
    }
    /// Validates and installs a catalog file; a bad file is refused whole, with the
    /// offer, field and reason named.
    pub async fn catalog_import(&self, _json: String) -> Result<CatalogImportReport> {
        Err(not_yet())
    }
}
