//! Image rows (one per output of a generation), favourites, ratings, tags and boards.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError, closed_col};
use crate::files::store_bytes;
use crate::gallery::ms_to_time;
use crate::thumbs::store_png;
use crate::types::{GenerationId, ProjectId};
use crate::{Store, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    pub id: i64,
    pub generation_id: GenerationId,
    pub project_id: ProjectId,
    pub idx: u32,
    pub seed: Option<i64>,
    pub favourite: bool,
    pub rating: u8,
    pub created_at: DateTime<Utc>,
    pub hash: String,
    /// Relative to the data dir.
    pub path: String,
    pub mime: vocab::ImageMime,
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
    pub thumb_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub id: i64,
    pub project_id: ProjectId,
    pub name: String,
}

pub(crate) const IMAGE_COLS: &str = "i.id, i.generation_id, i.project_id, i.idx, i.seed, \
    i.favourite, i.rating, i.created_at, f.hash, f.path, f.mime, f.bytes, f.width, f.height, \
    f.thumb_path";

pub(crate) fn image_from_row(r: &Row<'_>) -> rusqlite::Result<ImageRecord> {
    image_from_row_at(r, 0)
}

/// Maps [`IMAGE_COLS`] starting at column `o` (for joins that select other columns first).
fn image_from_row_at(r: &Row<'_>, o: usize) -> rusqlite::Result<ImageRecord> {
    let gid: String = r.get(o + 1)?;
    Ok(ImageRecord {
        id: r.get(o)?,
        generation_id: uuid::Uuid::parse_str(&gid).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(
                o + 1,
                rusqlite::types::Type::Text,
                Box::new(e),
            )
        })?,
        project_id: r.get(o + 2)?,
        idx: r.get(o + 3)?,
        seed: r.get(o + 4)?,
        favourite: r.get(o + 5)?,
        rating: r.get(o + 6)?,
        created_at: ms_to_time(r.get(o + 7)?),
        hash: r.get(o + 8)?,
        path: r.get(o + 9)?,
        mime: closed_col(r, o + 10, "files.mime")?,
        bytes: r.get::<_, i64>(o + 11)?.max(0) as u64,
        width: r.get(o + 12)?,
        height: r.get(o + 13)?,
        thumb_path: r.get(o + 14)?,
    })
}

pub(crate) fn images_of(c: &Connection, gen_id: &str) -> Result<Vec<ImageRecord>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {IMAGE_COLS} FROM images i JOIN files f ON f.id = i.file_id
         WHERE i.generation_id = ?1"
    ))?;
    let rows = st.query_map([gen_id], image_from_row)?;
    // Sorted here: a handful of rows, and an ORDER BY would cost a sorter setup.
    let mut out: Vec<ImageRecord> = rows.collect::<rusqlite::Result<_>>()?;
    out.sort_by_key(|i| i.idx);
    Ok(out)
}

impl Store {
    /// Stores one output of a generation: hashes the bytes, writes the file atomically
    /// (once per content) and its thumbnail, then commits the rows. PNGs take the path
    /// that renders the thumbnail in parallel with the durable write (`thumbs.rs`).
    pub fn persist_image(
        &self,
        generation: GenerationId,
        idx: u32,
        bytes: &[u8],
        seed: Option<i64>,
    ) -> Result<ImageRecord> {
        // File work happens outside the writer lock; only the row insert is serialized.
        let file = match image::guess_format(bytes) {
            Ok(image::ImageFormat::Png) => store_png(self.root(), bytes)?,
            _ => store_bytes(self.root(), bytes)?,
        };
        let gid = generation.to_string();
        let id = self.write(|tx| {
            let project: ProjectId = tx
                .prepare_cached("SELECT project_id FROM generations WHERE id = ?1")?
                .query_row([&gid], |r| r.get(0))
                .optional()?
                .ok_or_else(|| StoreError::not_found("generation", &gid))?;
            tx.prepare_cached(
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
            let file_id: i64 = tx
                .prepare_cached("SELECT id FROM files WHERE hash = ?1")?
                .query_row([&file.hash], |r| r.get(0))?;
            tx.prepare_cached(
                "INSERT INTO images(generation_id, project_id, file_id, idx, seed, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![gid, project, file_id, idx, seed, now_ms()])?;
            Ok(tx.last_insert_rowid())
        })?;
        self.index_soon();
        self.image(id)
    }

    pub fn image(&self, id: i64) -> Result<ImageRecord> {
        self.read(|c| {
            c.prepare_cached(&format!(
                "SELECT {IMAGE_COLS} FROM images i JOIN files f ON f.id = i.file_id WHERE i.id = ?1"
            ))?
            .query_row([id], image_from_row)
            .optional()?
            .ok_or_else(|| StoreError::not_found("image", id))
        })
    }

    pub fn images(&self, generation: GenerationId) -> Result<Vec<ImageRecord>> {
        self.read(|c| images_of(c, &generation.to_string()))
    }

    /// Deletes images: their rows, tags and board links; a file no other image uses is
    /// removed from disk with its thumbnail. Generations and the ledger keep their
    /// history (what was spent stays spent). Returns how many images were deleted.
    pub fn delete_images(&self, ids: &[i64]) -> Result<usize> {
        let (deleted, orphans) = self.write(|tx| {
            let mut deleted = 0;
            let mut orphans: Vec<(String, Option<String>)> = Vec::new();
            for id in ids {
                let file: Option<i64> = tx
                    .query_row("SELECT file_id FROM images WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })
                    .optional()?;
                let Some(file) = file else { continue };
                tx.execute("DELETE FROM image_tags WHERE image_id = ?1", [id])?;
                tx.execute("DELETE FROM board_images WHERE image_id = ?1", [id])?;
                tx.execute("DELETE FROM images WHERE id = ?1", [id])?;
                deleted += 1;
                let users: i64 = tx.query_row(
                    "SELECT count(*) FROM images WHERE file_id = ?1",
                    [file],
                    |r| r.get(0),
                )?;
                // An input of another generation keeps its file (lineage, recovery).
                let hash: String =
                    tx.query_row("SELECT hash FROM files WHERE id = ?1", [file], |r| r.get(0))?;
                if users == 0 && crate::inputs::input_users(tx, &hash)? == 0 {
                    let paths = tx.query_row(
                        "SELECT path, thumb_path FROM files WHERE id = ?1",
                        [file],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?;
                    tx.execute("DELETE FROM files WHERE id = ?1", [file])?;
                    orphans.push(paths);
                }
            }
            Ok((deleted, orphans))
        })?;
        // After the commit: a crash here leaves an unreferenced file for `sweep`.
        for (path, thumb) in orphans {
            for rel in std::iter::once(path).chain(thumb) {
                let abs = self.root().join(&rel);
                match std::fs::remove_file(&abs) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(StoreError::io(abs, e)),
                }
            }
        }
        Ok(deleted)
    }

    pub fn set_favourite(&self, image: i64, favourite: bool) -> Result<()> {
        self.update_image(
            image,
            "UPDATE images SET favourite = ?2 WHERE id = ?1",
            favourite,
        )
    }

    /// Rating 0 (none) to 5.
    pub fn set_rating(&self, image: i64, rating: u8) -> Result<()> {
        if rating > 5 {
            return Err(StoreError::InvalidInput(format!(
                "rating {rating} is out of range; use 0 to 5"
            )));
        }
        self.update_image(image, "UPDATE images SET rating = ?2 WHERE id = ?1", rating)
    }

    fn update_image(&self, image: i64, sql: &str, value: impl rusqlite::ToSql) -> Result<()> {
        self.write(|tx| {
            if tx.execute(sql, params![image, value])? == 0 {
                return Err(StoreError::not_found("image", image));
            }
            Ok(())
        })
    }

    /// Tags an image (tags are trimmed and lower-cased); idempotent.
    pub fn add_tag(&self, image: i64, tag: &str) -> Result<()> {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() {
            return Err(StoreError::InvalidInput("tag is empty".into()));
        }
        self.write(|tx| {
            tx.execute("INSERT INTO tags(name) VALUES (?1) ON CONFLICT(name) DO NOTHING", [&tag])?;
            let n = tx.execute(
                "INSERT OR IGNORE INTO image_tags(image_id, tag_id)
                 SELECT ?1, id FROM tags WHERE name = ?2 AND EXISTS(SELECT 1 FROM images WHERE id = ?1)",
                params![image, tag],
            )?;
            if n == 0 && !image_exists(tx, image)? {
                return Err(StoreError::not_found("image", image));
            }
            Ok(())
        })
    }

    pub fn remove_tag(&self, image: i64, tag: &str) -> Result<()> {
        let tag = tag.trim().to_lowercase();
        self.write(|tx| {
            tx.execute(
                "DELETE FROM image_tags WHERE image_id = ?1
                 AND tag_id = (SELECT id FROM tags WHERE name = ?2)",
                params![image, tag],
            )?;
            Ok(())
        })
    }

    pub fn tags(&self, image: i64) -> Result<Vec<String>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT t.name FROM image_tags it JOIN tags t ON t.id = it.tag_id
                 WHERE it.image_id = ?1 ORDER BY t.name",
            )?;
            let rows = st.query_map([image], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub fn create_board(&self, project: ProjectId, name: &str) -> Result<Board> {
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(StoreError::InvalidInput("board name is empty".into()));
        }
        self.write(|tx| {
            crate::projects::ensure_project(tx, project)?;
            tx.execute(
                "INSERT INTO boards(project_id, name, created_at) VALUES (?1, ?2, ?3)",
                params![project, name, now_ms()],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StoreError::InvalidInput(format!("a board named {name:?} already exists"))
                }
                e => e.into(),
            })?;
            Ok(Board {
                id: tx.last_insert_rowid(),
                project_id: project,
                name: name.clone(),
            })
        })
    }

    pub fn boards(&self, project: ProjectId) -> Result<Vec<Board>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, project_id, name FROM boards WHERE project_id = ?1 ORDER BY name",
            )?;
            let rows = st.query_map([project], |r| {
                Ok(Board {
                    id: r.get(0)?,
                    project_id: r.get(1)?,
                    name: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub fn add_to_board(&self, board: i64, image: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO board_images(board_id, image_id, added_at) VALUES (?1, ?2, ?3)",
                params![board, image, now_ms()],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StoreError::not_found("board or image", format!("{board}/{image}"))
                }
                e => e.into(),
            })?;
            Ok(())
        })
    }

    pub fn remove_from_board(&self, board: i64, image: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM board_images WHERE board_id = ?1 AND image_id = ?2",
                params![board, image],
            )?;
            Ok(())
        })
    }

    /// Deletes every board called `name` (in any project); the images stay. Returns how
    /// many boards were deleted (0 when none has that name).
    pub fn delete_boards_named(&self, name: &str) -> Result<u32> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM board_images WHERE board_id IN (SELECT id FROM boards WHERE name = ?1)",
                [name],
            )?;
            let n = tx.execute("DELETE FROM boards WHERE name = ?1", [name])?;
            Ok(u32::try_from(n).unwrap_or(u32::MAX))
        })
    }
}

fn image_exists(c: &Connection, image: i64) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS(SELECT 1 FROM images WHERE id = ?1)",
        [image],
        |r| r.get(0),
    )?)
}
