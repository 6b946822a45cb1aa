//! Gallery queries: keyset-paginated thumbnail pages and full-text prompt search.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Row, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::error::Result;
use crate::types::{GenerationId, ProjectId, Tier};

pub(crate) fn ms_to_time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Position after the last item of a page: `(created_at, image id)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: i64,
}

/// Filters for a gallery page. Everything optional; newest first.
#[derive(Debug, Clone, Default)]
pub struct GalleryQuery {
    pub project_id: Option<ProjectId>,
    pub board_id: Option<i64>,
    pub provider: Option<String>,
    pub tier: Option<Tier>,
    /// Inclusive lower bound.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub to: Option<DateTime<Utc>>,
    pub favourites_only: bool,
    pub min_rating: Option<u8>,
    /// Continue after this cursor (from the previous page's `next`).
    pub after: Option<Cursor>,
    /// Page size; 0 means 200.
    pub limit: u32,
}

/// Full-text search over prompt, negative prompt, tags, provider and model.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// What the user typed; any text is safe (it is turned into quoted FTS terms).
    pub text: String,
    pub project_id: Option<ProjectId>,
    /// Continue after this cursor (only its `id` is used: search pages by image id).
    pub after: Option<Cursor>,
    /// Page size; 0 means 200.
    pub limit: u32,
}

/// One grid cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thumb {
    pub image_id: i64,
    pub generation_id: GenerationId,
    pub project_id: ProjectId,
    pub hash: String,
    pub path: String,
    pub thumb_path: Option<String>,
    pub width: u32,
    pub height: u32,
    pub mime: String,
    pub favourite: bool,
    pub rating: u8,
    pub created_at: DateTime<Utc>,
    pub provider: String,
    pub model: String,
    pub tier: Tier,
    pub prompt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryPage {
    pub items: Vec<Thumb>,
    /// Cursor for the next page; `None` on the last page.
    pub next: Option<Cursor>,
}

const THUMB_COLS: &str = "i.id, i.generation_id, i.project_id, f.hash, f.path, f.thumb_path, \
    f.width, f.height, f.mime, i.favourite, i.rating, i.created_at, g.provider, g.model, g.tier, \
    g.prompt";

fn thumb_from_row(r: &Row<'_>) -> rusqlite::Result<Thumb> {
    let gid: String = r.get(1)?;
    Ok(Thumb {
        image_id: r.get(0)?,
        generation_id: uuid::Uuid::parse_str(&gid).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
        })?,
        project_id: r.get(2)?,
        hash: r.get(3)?,
        path: r.get(4)?,
        thumb_path: r.get(5)?,
        width: r.get(6)?,
        height: r.get(7)?,
        mime: r.get(8)?,
        favourite: r.get(9)?,
        rating: r.get(10)?,
        created_at: ms_to_time(r.get(11)?),
        provider: r.get(12)?,
        model: r.get(13)?,
        tier: r.get(14)?,
        prompt: r.get(15)?,
    })
}

fn page_limit(limit: u32) -> u32 {
    match limit {
        0 => 200,
        n => n.min(1000),
    }
}

fn finish_page(mut items: Vec<Thumb>, limit: u32) -> GalleryPage {
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next = if more {
        items.last().map(|t| Cursor {
            created_at: t.created_at,
            id: t.image_id,
        })
    } else {
        None
    };
    GalleryPage { items, next }
}

/// Turns user text into a safe FTS5 query: alphanumeric words, each quoted, all required,
/// the last one as a prefix (search as you type). `None` when nothing searchable is left.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .collect();
    let (last, rest) = words.split_last()?;
    let mut q: Vec<String> = rest.iter().map(|w| format!("\"{w}\"")).collect();
    q.push(format!("\"{last}\"*"));
    Some(q.join(" "))
}

impl Store {
    /// A page of thumbnails, newest first, with keyset pagination.
    pub fn gallery_page(&self, q: &GalleryQuery) -> Result<GalleryPage> {
        let limit = page_limit(q.limit);
        let mut sql = format!(
            "SELECT {THUMB_COLS} FROM images i JOIN files f ON f.id = i.file_id
             JOIN generations g ON g.id = i.generation_id"
        );
        let mut args: Vec<Value> = Vec::new();
        let mut push = |sql: &mut String, clause: &str, v: Value| {
            args.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(b) = q.board_id {
            push(
                &mut sql,
                " JOIN board_images bi ON bi.image_id = i.id AND bi.board_id = ?",
                b.into(),
            );
        }
        sql.push_str(" WHERE 1");
        if let Some(p) = q.project_id {
            push(&mut sql, " AND i.project_id = ?", p.into());
        }
        if let Some(p) = &q.provider {
            push(&mut sql, " AND g.provider = ?", p.clone().into());
        }
        if let Some(t) = q.tier {
            push(&mut sql, " AND g.tier = ?", t.as_str().to_string().into());
        }
        if let Some(f) = q.from {
            push(
                &mut sql,
                " AND i.created_at >= ?",
                f.timestamp_millis().into(),
            );
        }
        if let Some(t) = q.to {
            push(
                &mut sql,
                " AND i.created_at < ?",
                t.timestamp_millis().into(),
            );
        }
        if q.favourites_only {
            sql.push_str(" AND i.favourite = 1");
        }
        if let Some(r) = q.min_rating {
            push(&mut sql, " AND i.rating >= ?", i64::from(r).into());
        }
        if let Some(c) = q.after {
            push(
                &mut sql,
                " AND (i.created_at, i.id) < (?",
                c.created_at.timestamp_millis().into(),
            );
            push(&mut sql, ", ?)", c.id.into());
        }
        push(
            &mut sql,
            " ORDER BY i.created_at DESC, i.id DESC LIMIT ?",
            i64::from(limit + 1).into(),
        );
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), thumb_from_row)?;
            Ok(finish_page(rows.collect::<rusqlite::Result<_>>()?, limit))
        })
    }

    /// Full-text search, most recently stored first. Never fails on user text.
    pub fn search(&self, q: &SearchQuery) -> Result<GalleryPage> {
        let limit = page_limit(q.limit);
        let Some(fts) = fts_query(&q.text) else {
            return Ok(GalleryPage {
                items: Vec::new(),
                next: None,
            });
        };
        let mut sql = format!(
            "SELECT {THUMB_COLS} FROM gallery_fts JOIN images i ON i.id = gallery_fts.rowid
             JOIN files f ON f.id = i.file_id JOIN generations g ON g.id = i.generation_id
             WHERE gallery_fts MATCH ?1"
        );
        let mut args: Vec<Value> = vec![fts.into()];
        if let Some(p) = q.project_id {
            args.push(p.into());
            sql.push_str(&format!(" AND i.project_id = ?{}", args.len()));
        }
        if let Some(c) = q.after {
            args.push(c.id.into());
            sql.push_str(&format!(" AND gallery_fts.rowid < ?{}", args.len()));
        }
        args.push(i64::from(limit + 1).into());
        sql.push_str(&format!(
            " ORDER BY gallery_fts.rowid DESC LIMIT ?{}",
            args.len()
        ));
        self.read(|c| {
            let mut st = c.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(args.iter()), thumb_from_row)?;
            Ok(finish_page(rows.collect::<rusqlite::Result<_>>()?, limit))
        })
    }
}
