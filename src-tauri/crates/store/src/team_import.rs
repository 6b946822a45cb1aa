//! Team mode (issue 18): what a library publishes of a team project's generation, and
//! how a teammate's generation comes into this library — served by team-wide dedup
//! (the saving is booked here) or received by catch-up (no money at all). Either way it
//! is a `reused` generation at cost 0: the money was spent, once, by its owner.

use rusqlite::{OptionalExtension, params};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::generations::load_generation;
use crate::{GenerationId, ProjectId, Store, Tier, now_ms};

/// The generation's row as a teammate's library needs it (sent as JSON via the server).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedMeta {
    pub request_json: String,
    pub dedup_key: String,
    pub seed_honoured: bool,
    pub tier: Tier,
    pub offer_id: Option<String>,
    pub provider: String,
    pub model: String,
    pub prompt: String,
    pub negative_prompt: Option<String>,
    /// Each image's seed, by index.
    pub seeds: Vec<Option<i64>>,
}

/// One image file of a generation to publish: index, path relative to the data dir, mime.
pub type SharedFile = (u32, String, String);

impl Store {
    /// The publishable record of a generation and its images' files (relative paths,
    /// mime), in index order.
    pub fn shared_meta(&self, generation: GenerationId) -> Result<(SharedMeta, Vec<SharedFile>)> {
        let id = generation.to_string();
        let meta = self.read(|c| {
            c.query_row(
                "SELECT request_json, dedup_key, seed_honoured, offer_id, provider, model, prompt,
                        negative_prompt, tier FROM generations WHERE id = ?1",
                [&id],
                |r| {
                    Ok(SharedMeta {
                        request_json: r.get(0)?,
                        dedup_key: r.get(1)?,
                        seed_honoured: r.get(2)?,
                        offer_id: r.get(3)?,
                        provider: r.get(4)?,
                        model: r.get(5)?,
                        prompt: r.get(6)?,
                        negative_prompt: r.get(7)?,
                        tier: r.get(8)?,
                        seeds: Vec::new(),
                    })
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::not_found("generation", &id))
        })?;
        let images = self.images(generation)?;
        let mut meta = meta;
        meta.seeds = images.iter().map(|i| i.seed).collect();
        let files = images
            .into_iter()
            .map(|i| (i.idx, i.path, i.mime.as_str().to_owned()))
            .collect();
        Ok((meta, files))
    }

    /// Whether this library already has generation `id` (a catch-up item received).
    pub fn has_generation(&self, id: GenerationId) -> Result<bool> {
        let id = id.to_string();
        self.read(|c| {
            Ok(
                c.query_row("SELECT 1 FROM generations WHERE id = ?1", [&id], |_| Ok(()))
                    .optional()?
                    .is_some(),
            )
        })
    }

    /// Brings a teammate's generation into `project` as a `reused` generation at cost 0
    /// with these images (verified by the caller), under `id`; `saved` (the owner's
    /// cost, when it served a request here) is booked as a saving. Idempotent on `id`.
    #[allow(clippy::too_many_arguments)]
    pub fn import_shared(
        &self,
        id: GenerationId,
        project: ProjectId,
        tier: Tier,
        parent: Option<GenerationId>,
        meta: &SharedMeta,
        images: &[Vec<u8>],
        saved: Decimal,
    ) -> Result<GenerationId> {
        if self.has_generation(id)? {
            return Ok(id);
        }
        let gid = id.to_string();
        let now = now_ms();
        self.write(|tx| {
            crate::projects::ensure_project(tx, project)?;
            tx.execute(
                "INSERT INTO generations(id, project_id, request_json, dedup_key, seed_honoured,
                    tier, parent_id, status, estimate_nanos, reserved_nanos, cost_nanos,
                    saved_nanos, offer_id, provider, model, prompt, negative_prompt, created_at,
                    finished_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'reused', 0, 0, 0, 0, ?8, ?9, ?10, ?11, ?12,
                    ?13, ?13)",
                params![
                    gid,
                    project,
                    meta.request_json,
                    meta.dedup_key,
                    meta.seed_honoured,
                    tier,
                    parent.map(|p| p.to_string()),
                    meta.offer_id,
                    meta.provider,
                    meta.model,
                    meta.prompt,
                    meta.negative_prompt,
                    now
                ],
            )?;
            Ok(())
        })?;
        for (idx, bytes) in images.iter().enumerate() {
            let seed = meta.seeds.get(idx).copied().flatten();
            self.persist_image(id, idx as u32, bytes, seed)?;
        }
        if saved > Decimal::ZERO {
            let nanos = crate::money::to_nanos(saved)?;
            self.write(|tx| crate::ledger::saving_in(tx, project, &gid, nanos))?;
        }
        // The row is read back so a damaged meta fails here, not in the gallery.
        self.read(|c| load_generation(c, &gid)).map(|_| id)
    }

    /// The thumbnail this library keeps for the image at `image_path` (relative to the
    /// data dir), to publish beside it; `None` when there is none on disk.
    pub fn thumbnail_bytes(&self, image_path: &str) -> Option<Vec<u8>> {
        let hash = std::path::Path::new(image_path).file_stem()?.to_str()?;
        if hash.len() < 4 {
            return None;
        }
        std::fs::read(self.absolute(&crate::files::shard("thumbs", hash, "jpg"))).ok()
    }

    /// Keeps a teammate's thumbnail of `image` (received with it from the team's bucket)
    /// where storing the image looks for one, so it is not rendered again. Refuses
    /// anything but a JPEG within the thumbnail size.
    pub fn put_thumbnail(&self, image: &[u8], jpeg: &[u8]) -> Result<()> {
        let (w, h) =
            image::ImageReader::with_format(std::io::Cursor::new(jpeg), image::ImageFormat::Jpeg)
                .into_dimensions()
                .map_err(|e| StoreError::UnsupportedImage(format!("a received thumbnail: {e}")))?;
        let max = crate::files::THUMB_MAX_SIDE;
        if w == 0 || h == 0 || w > max || h > max {
            return Err(StoreError::UnsupportedImage(format!(
                "a received thumbnail is {w}x{h}, not within {max}x{max}"
            )));
        }
        let hash = crate::files::sha256_hex(image);
        let path = self.absolute(&crate::files::shard("thumbs", &hash, "jpg"));
        if !path.exists() {
            crate::files::atomic_write(&path, jpeg, false)?;
        }
        Ok(())
    }
}
