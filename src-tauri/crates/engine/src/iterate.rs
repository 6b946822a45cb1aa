//! `Engine` methods for image inputs and iteration (issue 15): importing input images,
//! the lineage of a result, finalizing a draft and upscaling. Thin, like `facade`.

use std::path::PathBuf;

use crate::api::{
    FinalizeInput, FinalizeOptions, GenerationResult, ImportedImage, Lineage, UpscaleInput,
};
use crate::config::ProgressFn;
use crate::error::Result;
use crate::facade::{Engine, spec};
use crate::{finalize, inputs, jobs};

impl Engine {
    /// Accepts image bytes (a paste, a drop) as an input: checks it is a PNG, JPEG or
    /// WebP within the size limits and keeps it in the library by its sha256 (not a
    /// gallery result). Pass the sha256 back as `InputSource::Blob`.
    pub async fn import_input_image(&self, bytes: Vec<u8>) -> Result<ImportedImage> {
        inputs::import_bytes(&self.core, bytes).await
    }

    /// `import_input_image` from a file the user chose.
    pub async fn import_input_file(&self, path: PathBuf) -> Result<ImportedImage> {
        inputs::import_file(&self.core, path).await
    }

    /// The inputs a result used and the results made from its images.
    pub async fn lineage(&self, generation_id: &str) -> Result<Lineage> {
        inputs::lineage(&self.core, generation_id).await
    }

    /// Every way to make a final of this draft on the project's final chain: re-render
    /// with the draft as the image to edit, upscale it, or re-roll the prompt, each with
    /// its price, expected fidelity to the draft and time.
    pub async fn finalize_options(&self, generation_id: &str) -> Result<FinalizeOptions> {
        finalize::options(&self.core, generation_id).await
    }

    /// Queues the chosen finalize and returns its job id at once; the final links to
    /// the draft (its parent).
    pub async fn finalize(&self, input: FinalizeInput, progress: ProgressFn) -> Result<String> {
        self.core.store().start_check();
        let (gen_input, parent) = finalize::plan(&self.core, &input).await?;
        let (job_id, _handle) = jobs::spawn(&self.core, spec(gen_input, Some(parent)), progress);
        Ok(job_id)
    }

    /// `finalize`, run to completion (CLI, tests).
    pub async fn finalize_and_wait(
        &self,
        input: FinalizeInput,
        progress: ProgressFn,
    ) -> Result<GenerationResult> {
        self.core.store().start_check();
        let (gen_input, parent) = finalize::plan(&self.core, &input).await?;
        let (_job, handle) = jobs::spawn(&self.core, spec(gen_input, Some(parent)), progress);
        handle.await?
    }

    /// Queues an upscale of a generation's image; returns the job id at once.
    pub async fn upscale(&self, input: UpscaleInput, progress: ProgressFn) -> Result<String> {
        self.core.store().start_check();
        let (gen_input, parent) = finalize::upscale_plan(&self.core, &input).await?;
        let (job_id, _handle) = jobs::spawn(&self.core, spec(gen_input, Some(parent)), progress);
        Ok(job_id)
    }

    /// `upscale`, run to completion (CLI, tests).
    pub async fn upscale_and_wait(
        &self,
        input: UpscaleInput,
        progress: ProgressFn,
    ) -> Result<GenerationResult> {
        self.core.store().start_check();
        let (gen_input, parent) = finalize::upscale_plan(&self.core, &input).await?;
        let (_job, handle) = jobs::spawn(&self.core, spec(gen_input, Some(parent)), progress);
        handle.await?
    }
}
