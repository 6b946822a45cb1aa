//! Image inputs (issue 15): the library keeps input images by content hash (as `files`
//! rows, without being gallery results), records which inputs, mask and settings each
//! generation used, and answers lineage: which images a result used, and which results
//! used an image.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use vocab::{InputFidelity, InputRole, Operation};

use crate::Store;
use crate::error::{Result, StoreError, closed_col};
use crate::files::{StoredFile, store_bytes};
use crate::types::{GenerationId, Status};

fn generate() -> Operation {
    Operation::Generate
}

/// What a request did with input images. Part of [`crate::CanonicalRequest`]: it is in
/// the dedup key and in `request_json`, so recovery and deferred jobs find every input
/// by hash again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanonicalInputs {
    #[serde(default = "generate")]
    pub operation: Operation,
    /// In the order sent: the subject first.
    #[serde(default)]
    pub images: Vec<InputRecord>,
    #[serde(default)]
    pub mask: Option<InputRecord>,
    /// Pixels added left, top, right, bottom.
    #[serde(default)]
    pub expand: Option<[u32; 4]>,
    #[serde(default)]
    pub scale: Option<u32>,
    #[serde(default)]
    pub fidelity: Option<InputFidelity>,
}

impl Default for CanonicalInputs {
    fn default() -> Self {
        Self {
            operation: Operation::Generate,
            images: Vec::new(),
            mask: None,
            expand: None,
            scale: None,
            fidelity: None,
        }
    }
}

impl CanonicalInputs {
    /// Text to image: nothing beyond the prompt.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One input image of a generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    pub role: InputRole,
    /// Lowercase hex sha256 of the bytes (the `files` row).
    pub hash: String,
    pub mime: vocab::ImageMime,
    pub width: u32,
    pub height: u32,
    /// The gallery image it came from: generation id and image index.
    #[serde(default)]
    pub source: Option<(String, u32)>,
}

/// A generation that used an image as an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputUse {
    pub generation_id: GenerationId,
    pub operation: Operation,
    pub role: InputRole,
    pub status: Status,
    /// Draft or final.
    pub tier: crate::types::Tier,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Its first image's thumbnail, relative to the data dir.
    pub thumb_path: Option<String>,
}

/// The library's file for a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    pub hash: String,
    /// Relative to the data dir.
    pub path: String,
    pub thumb_path: Option<String>,
    pub mime: vocab::ImageMime,
    pub width: u32,
    pub height: u32,
}

fn parse_wire<T: std::str::FromStr>(s: String, col: usize) -> rusqlite::Result<T> {
    s.parse::<T>().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            col,
            rusqlite::types::Type::Text,
            format!("unknown value `{s}`").into(),
        )
    })
}

/// Writes the input rows of a new generation, in the caller's transaction.
pub(crate) fn insert_inputs(c: &Connection, id: &str, inputs: &CanonicalInputs) -> Result<()> {
    if inputs.is_empty() {
        return Ok(());
    }
    let [l, t, r, b] = inputs.expand.map_or([None; 4], |e| e.map(Some));
    c.prepare_cached(
        "INSERT INTO generation_ops(generation_id, operation, expand_left, expand_top,
            expand_right, expand_bottom, scale, fidelity, mask_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        id,
        inputs.operation.as_str(),
        l,
        t,
        r,
        b,
        inputs.scale,
        inputs.fidelity.map(|f| f.as_str()),
        inputs.mask.as_ref().map(|m| m.hash.as_str()),
    ])?;
    let mut st = c.prepare_cached(
        "INSERT INTO generation_inputs(generation_id, position, role, hash, mime, width, height,
            source_generation_id, source_idx)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (pos, i) in inputs.images.iter().enumerate() {
        st.execute(params![
            id,
            pos as i64,
            i.role.as_str(),
            i.hash,
            i.mime.as_str(),
            i.width,
            i.height,
            i.source.as_ref().map(|s| s.0.as_str()),
            i.source.as_ref().map(|s| s.1),
        ])?;
    }
    Ok(())
}

/// Copies the input rows of `src` to a reuse `dst`, in the caller's transaction.
pub(crate) fn copy_inputs(c: &Connection, src: &str, dst: &str) -> Result<()> {
    c.execute(
        "INSERT INTO generation_ops(generation_id, operation, expand_left, expand_top,
            expand_right, expand_bottom, scale, fidelity, mask_hash)
         SELECT ?2, operation, expand_left, expand_top, expand_right, expand_bottom, scale,
            fidelity, mask_hash FROM generation_ops WHERE generation_id = ?1",
        params![src, dst],
    )?;
    c.execute(
        "INSERT INTO generation_inputs(generation_id, position, role, hash, mime, width, height,
            source_generation_id, source_idx)
         SELECT ?2, position, role, hash, mime, width, height, source_generation_id, source_idx
         FROM generation_inputs WHERE generation_id = ?1",
        params![src, dst],
    )?;
    Ok(())
}

/// How many generations name this hash as an input or a mask (a file they name is kept
/// when its gallery images are deleted).
pub(crate) fn input_users(c: &Connection, hash: &str) -> Result<i64> {
    Ok(c.query_row(
        "SELECT (SELECT count(*) FROM generation_inputs WHERE hash = ?1)
              + (SELECT count(*) FROM generation_ops WHERE mask_hash = ?1)",
        [hash],
        |r| r.get(0),
    )?)
}

fn insert_file(c: &Connection, file: &StoredFile) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO files(hash, path, mime, bytes, width, height, thumb_path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(hash) DO NOTHING",
    )?
    .execute(params![
        file.hash,
        file.path,
        file.mime.as_str(),
        file.bytes as i64,
        file.width,
        file.height,
        file.thumb_path
    ])?;
    Ok(())
}

impl Store {
    /// Keeps image bytes in the library by content hash (written durably first, as
    /// generated images are), without making them a gallery result. The caller has
    /// checked the image; this refuses anything but PNG, JPEG and WebP.
    pub fn import_blob(&self, bytes: &[u8]) -> Result<Blob> {
        let file = store_bytes(self.root(), bytes)?;
        self.write(|tx| insert_file(tx, &file))?;
        Ok(Blob {
            hash: file.hash,
            path: file.path,
            thumb_path: file.thumb_path,
            mime: file.mime,
            width: file.width,
            height: file.height,
        })
    }

    /// The library's file for a content hash, if it has one.
    pub fn blob(&self, hash: &str) -> Result<Option<Blob>> {
        let hash = hash.trim().to_ascii_lowercase();
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT hash, path, thumb_path, mime, width, height FROM files WHERE hash = ?1",
            )?
            .query_row([&hash], |r| {
                Ok(Blob {
                    hash: r.get(0)?,
                    path: r.get(1)?,
                    thumb_path: r.get(2)?,
                    mime: closed_col(r, 3, "files.mime")?,
                    width: r.get(4)?,
                    height: r.get(5)?,
                })
            })
            .optional()?)
        })
    }

    /// The bytes of a library file, checked against its hash (a file changed on disk
    /// is refused rather than sent).
    pub fn blob_bytes(&self, hash: &str) -> Result<Vec<u8>> {
        let blob = self
            .blob(hash)?
            .ok_or_else(|| StoreError::not_found("input image", hash))?;
        let abs = self.root().join(&blob.path);
        let bytes = std::fs::read(&abs).map_err(|e| StoreError::io(&abs, e))?;
        if crate::files::sha256_hex(&bytes) != blob.hash {
            return Err(StoreError::InvalidInput(format!(
                "the library file for input {} has changed on disk; import the image again",
                &blob.hash[..12.min(blob.hash.len())]
            )));
        }
        Ok(bytes)
    }

    /// The image of a generation at `idx`, as a library file.
    pub fn gallery_blob(&self, generation: GenerationId, idx: u32) -> Result<Blob> {
        let gid = generation.to_string();
        self.read(|c| {
            c.prepare_cached(
                "SELECT f.hash, f.path, f.thumb_path, f.mime, f.width, f.height
                 FROM images i JOIN files f ON f.id = i.file_id
                 WHERE i.generation_id = ?1 AND i.idx = ?2",
            )?
            .query_row(params![gid, idx], |r| {
                Ok(Blob {
                    hash: r.get(0)?,
                    path: r.get(1)?,
                    thumb_path: r.get(2)?,
                    mime: closed_col(r, 3, "files.mime")?,
                    width: r.get(4)?,
                    height: r.get(5)?,
                })
            })
            .optional()?
            .ok_or_else(|| StoreError::not_found("gallery image", format!("{gid}#{idx}")))
        })
    }

    /// The operation, inputs and mask a generation used (empty for text to image).
    pub fn inputs_of(&self, generation: GenerationId) -> Result<CanonicalInputs> {
        let gid = generation.to_string();
        self.read(|c| {
            let op = c
                .prepare_cached(
                    "SELECT operation, expand_left, expand_top, expand_right, expand_bottom,
                        scale, fidelity, mask_hash FROM generation_ops WHERE generation_id = ?1",
                )?
                .query_row([&gid], |r| {
                    let expand = match (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?) {
                        (Some(l), Some(t), Some(rr), Some(b)) => Some([l, t, rr, b]),
                        _ => None,
                    };
                    let fidelity: Option<String> = r.get(6)?;
                    Ok((
                        parse_wire::<Operation>(r.get(0)?, 0)?,
                        expand,
                        r.get::<_, Option<u32>>(5)?,
                        fidelity
                            .map(|f| parse_wire::<InputFidelity>(f, 6))
                            .transpose()?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                })
                .optional()?;
            let Some((operation, expand, scale, fidelity, mask_hash)) = op else {
                return Ok(CanonicalInputs::default());
            };
            let mut st = c.prepare_cached(
                "SELECT role, hash, mime, width, height, source_generation_id, source_idx
                 FROM generation_inputs WHERE generation_id = ?1 ORDER BY position",
            )?;
            let images = st
                .query_map([&gid], |r| {
                    let src: Option<String> = r.get(5)?;
                    let idx: Option<u32> = r.get(6)?;
                    Ok(InputRecord {
                        role: parse_wire(r.get(0)?, 0)?,
                        hash: r.get(1)?,
                        mime: closed_col(r, 2, "generation_inputs.mime")?,
                        width: r.get(3)?,
                        height: r.get(4)?,
                        source: src.map(|s| (s, idx.unwrap_or(0))),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mask = mask_hash.map(|hash| {
                let (width, height) = images.first().map_or((0, 0), |s| (s.width, s.height));
                InputRecord {
                    role: InputRole::Subject,
                    hash,
                    mime: vocab::ImageMime::Png,
                    width,
                    height,
                    source: None,
                }
            });
            Ok(CanonicalInputs {
                operation,
                images,
                mask,
                expand,
                scale,
                fidelity,
            })
        })
    }

    /// Results (not reuses) that used one of this generation's images as an input,
    /// oldest first.
    pub fn used_by(&self, generation: GenerationId) -> Result<Vec<InputUse>> {
        let gid = generation.to_string();
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT gi.generation_id, coalesce(o.operation, 'generate'), min(gi.role),
                    g.status, g.created_at,
                    (SELECT f.thumb_path FROM images i2 JOIN files f ON f.id = i2.file_id
                      WHERE i2.generation_id = gi.generation_id ORDER BY i2.idx LIMIT 1),
                    g.tier
                 FROM generation_inputs gi
                 JOIN generations g ON g.id = gi.generation_id
                 LEFT JOIN generation_ops o ON o.generation_id = gi.generation_id
                 WHERE gi.generation_id != ?1 AND g.status != 'reused'
                   AND (gi.source_generation_id = ?1 OR gi.hash IN
                        (SELECT f.hash FROM images i JOIN files f ON f.id = i.file_id
                          WHERE i.generation_id = ?1))
                 GROUP BY gi.generation_id
                 ORDER BY g.created_at",
            )?;
            let rows = st
                .query_map([&gid], |r| {
                    let id: String = r.get(0)?;
                    let ms: i64 = r.get(4)?;
                    Ok(InputUse {
                        generation_id: uuid::Uuid::parse_str(&id).map_err(|e| {
                            rusqlite::Error::FromSqlConversionFailure(
                                0,
                                rusqlite::types::Type::Text,
                                Box::new(e),
                            )
                        })?,
                        operation: parse_wire(r.get(1)?, 1)?,
                        role: parse_wire(r.get(2)?, 2)?,
                        status: r.get(3)?,
                        tier: r.get(6)?,
                        created_at: chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default(),
                        thumb_path: r.get(5)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Results that used the image with this content hash as an input, oldest first.
    pub fn results_using(&self, hash: &str) -> Result<Vec<GenerationId>> {
        let hash = hash.trim().to_ascii_lowercase();
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT DISTINCT gi.generation_id FROM generation_inputs gi
                 JOIN generations g ON g.id = gi.generation_id
                 WHERE gi.hash = ?1 AND g.status != 'reused' ORDER BY g.created_at",
            )?;
            let ids = st
                .query_map([&hash], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            ids.iter()
                .map(|id| {
                    uuid::Uuid::parse_str(id)
                        .map_err(|_| StoreError::InvalidInput(format!("bad id {id}")))
                })
                .collect()
        })
    }

    /// How long this offer's recent successful calls took, in milliseconds (the mean of
    /// the last 20), if it has any.
    pub fn typical_call_ms(&self, offer_id: &str) -> Result<Option<u64>> {
        let offer = offer_id.to_owned();
        self.read(|c| {
            let ms: Option<f64> = c
                .prepare_cached(
                    "SELECT avg(d) FROM (SELECT finished_at - started_at AS d FROM attempts
                      WHERE offer_id = ?1 AND outcome = 'succeeded' AND finished_at IS NOT NULL
                      ORDER BY started_at DESC LIMIT 20)",
                )?
                .query_row([&offer], |r| r.get(0))?;
            Ok(ms.filter(|m| *m >= 0.0).map(|m| m as u64))
        })
    }
}
