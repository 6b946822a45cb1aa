//! Dedup keys: the same canonical request never pays twice.

use rusqlite::params;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::error::{Result, StoreError};
use crate::generations::{GenerationRecord, load_generation};
use crate::images::{ImageRecord, images_of};
use crate::inputs::CanonicalInputs;
use crate::ledger::saving_in;
use crate::types::{GenerationId, ProjectId, Status, Tier};
use crate::{Store, now_ms};

/// Everything that decides what a provider returns. Two requests with the same key would
/// produce the same images (for seed-honouring models), so the second one is served from
/// the gallery. Callers pass `seed: None` for models that ignore seeds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CanonicalRequest {
    pub prompt: String,
    pub negative_prompt: Option<String>,
    pub seed: Option<u64>,
    pub provider: String,
    pub model: String,
    pub model_version: Option<String>,
    pub width: u32,
    pub height: u32,
    pub quality: Option<String>,
    pub steps: Option<u32>,
    pub style: Option<String>,
    pub n: u32,
    /// sha256 hex of each reference image, in the order sent.
    pub reference_image_hashes: Vec<String>,
    /// The operation, its input images and mask, and its settings (issue 15). Empty for
    /// text to image, which keeps the keys of earlier text requests unchanged.
    #[serde(default, skip_serializing_if = "CanonicalInputs::is_empty")]
    pub inputs: CanonicalInputs,
}

/// NFC, whitespace runs collapsed to one space, trimmed.
pub(crate) fn normalize_text(s: &str) -> String {
    use unicode_normalization::{IsNormalized, is_nfc_quick};
    // Most prompts are already NFC (often plain ASCII): skip the slow char-by-char pass.
    let nfc: std::borrow::Cow<'_, str> = if is_nfc_quick(s.chars()) == IsNormalized::Yes {
        s.into()
    } else {
        s.nfc().collect::<String>().into()
    };
    let mut out = String::with_capacity(nfc.len());
    for word in nfc.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// sha256 hex over a length-prefixed encoding of the normalized request (no separator
/// ambiguity: "a b" + "c" never collides with "a" + "b c").
pub fn dedup_key(req: &CanonicalRequest) -> String {
    fn field(h: &mut Sha256, tag: u8, value: Option<&[u8]>) {
        h.update([tag]);
        match value {
            None => h.update([0u8]),
            Some(v) => {
                h.update([1u8]);
                h.update((v.len() as u64).to_le_bytes());
                h.update(v);
            }
        }
    }
    let mut h = Sha256::new();
    h.update(b"proofsheet-dedup-v1");
    field(&mut h, 1, Some(normalize_text(&req.prompt).as_bytes()));
    let neg = req
        .negative_prompt
        .as_deref()
        .map(normalize_text)
        .filter(|s| !s.is_empty());
    field(&mut h, 2, neg.as_deref().map(str::as_bytes));
    field(
        &mut h,
        3,
        req.seed.map(u64::to_le_bytes).as_ref().map(|b| &b[..]),
    );
    field(&mut h, 4, Some(req.provider.trim().as_bytes()));
    field(&mut h, 5, Some(req.model.trim().as_bytes()));
    field(&mut h, 6, req.model_version.as_deref().map(str::as_bytes));
    field(&mut h, 7, Some(&req.width.to_le_bytes()));
    field(&mut h, 8, Some(&req.height.to_le_bytes()));
    field(&mut h, 9, req.quality.as_deref().map(str::as_bytes));
    field(
        &mut h,
        10,
        req.steps.map(u32::to_le_bytes).as_ref().map(|b| &b[..]),
    );
    field(&mut h, 11, req.style.as_deref().map(str::as_bytes));
    field(&mut h, 12, Some(&req.n.max(1).to_le_bytes()));
    h.update([13u8]);
    h.update((req.reference_image_hashes.len() as u64).to_le_bytes());
    for r in &req.reference_image_hashes {
        field(&mut h, 14, Some(r.trim().to_ascii_lowercase().as_bytes()));
    }
    let i = &req.inputs;
    if !i.is_empty() {
        // Where an input came from (gallery or file) does not change the request: only
        // its bytes (hash) and the part it plays, in order.
        field(&mut h, 15, Some(i.operation.as_str().as_bytes()));
        h.update([16u8]);
        h.update((i.images.len() as u64).to_le_bytes());
        for img in &i.images {
            field(&mut h, 17, Some(img.role.as_str().as_bytes()));
            field(
                &mut h,
                18,
                Some(img.hash.trim().to_ascii_lowercase().as_bytes()),
            );
        }
        let mask = i.mask.as_ref().map(|m| m.hash.trim().to_ascii_lowercase());
        field(&mut h, 19, mask.as_deref().map(str::as_bytes));
        let expand: Option<Vec<u8>> = i
            .expand
            .map(|e| e.iter().flat_map(|v| v.to_le_bytes()).collect());
        field(&mut h, 20, expand.as_deref());
        field(
            &mut h,
            21,
            i.scale.map(u32::to_le_bytes).as_ref().map(|b| &b[..]),
        );
        field(&mut h, 22, i.fidelity.map(|f| f.as_str().as_bytes()));
    }
    hex::encode(h.finalize())
}

/// A stored result that matches a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reusable {
    pub generation: GenerationRecord,
    pub images: Vec<ImageRecord>,
    /// False when the model ignores seeds: present the hit as "reuse the last result"
    /// (a new call would give different images), with "Regenerate anyway" beside it.
    pub seed_honoured: bool,
}

impl Store {
    /// The newest succeeded generation with this key that still has all its images.
    ///
    /// Invariant (F5, F14): dedup serves only a complete result: as many images as the
    /// request asked for, every file still on disk. A partial or file-less generation is
    /// skipped (an older complete one may still serve), so the request runs again.
    pub fn find_reusable(&self, key: &str) -> Result<Option<Reusable>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id FROM generations INDEXED BY generations_dedup
                 WHERE dedup_key = ?1 AND status = 'succeeded'
                 ORDER BY created_at DESC LIMIT 8",
            )?;
            let ids = st
                .query_map([key], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for id in ids {
                let images = images_of(c, &id)?;
                let generation = load_generation(c, &id)?;
                let wanted = generation.request.n.max(1) as usize;
                if images.len() < wanted || images.iter().any(|i| !self.absolute(&i.path).is_file())
                {
                    continue;
                }
                return Ok(Some(Reusable {
                    seed_honoured: generation.seed_honoured,
                    generation,
                    images,
                }));
            }
            Ok(None)
        })
    }

    /// Serves a request from a stored result: a new generation with status `reused`,
    /// cost 0, linked to the source's images, and the source's cost recorded as saved.
    pub fn reuse_generation(
        &self,
        source: GenerationId,
        project: ProjectId,
        tier: Tier,
        parent: Option<GenerationId>,
    ) -> Result<GenerationId> {
        let new_id = uuid::Uuid::new_v4();
        let src_id = source.to_string();
        let id = new_id.to_string();
        self.write(|tx| {
            let src = load_generation(tx, &src_id)?;
            if src.status != Status::Succeeded {
                return Err(StoreError::InvalidInput(format!(
                    "generation {src_id} is {}; only succeeded generations can be reused",
                    src.status
                )));
            }
            crate::projects::ensure_project(tx, project)?;
            let now = now_ms();
            tx.execute(
                "INSERT INTO generations(id, project_id, request_json, dedup_key, seed_honoured, tier,
                    parent_id, reused_from, status, estimate_nanos, reserved_nanos, cost_nanos,
                    saved_nanos, offer_id, provider, model, prompt, negative_prompt, created_at,
                    finished_at)
                 SELECT ?1, ?2, request_json, dedup_key, seed_honoured, ?3, ?4, id, 'reused', 0, 0, 0,
                    0, offer_id, provider, model, prompt, negative_prompt, ?5, ?5
                 FROM generations WHERE id = ?6",
                params![id, project, tier, parent.map(|p| p.to_string()), now, src_id],
            )?;
            tx.execute(
                "INSERT INTO images(generation_id, project_id, file_id, idx, seed, created_at)
                 SELECT ?1, ?2, file_id, idx, seed, ?3 FROM images WHERE generation_id = ?4
                 ORDER BY idx",
                params![id, project, now, src_id],
            )?;
            crate::inputs::copy_inputs(tx, &src_id, &id)?;
            let saved = crate::money::to_nanos(src.cost)?;
            saving_in(tx, project, &id, saved)?;
            Ok(())
        })?;
        self.index_soon();
        Ok(new_id)
    }
}
