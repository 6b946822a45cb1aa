//! Gallery queries: keyset-paginated thumbnail pages and full-text prompt search.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::Store;
use crate::error::{Result, closed_col};
use crate::search::{SearchPlan, search_plan};
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
    /// Skip this many matches first (after `after`, if set): a jump far down the list
    /// reads its rows directly; the page's `next` then continues by keyset.
    pub offset: u32,
    /// Page size; 0 means 200.
    pub limit: u32,
}

/// Full-text search over prompt, negative prompt, tags, provider and model, narrowed by
/// the same filters as a gallery page.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// What the user typed; any text is safe (it is turned into quoted FTS terms).
    pub text: String,
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
    /// Continue after this cursor (only its `id` is used: search pages by image id).
    pub after: Option<Cursor>,
    /// Skip this many matches first, as in [`GalleryQuery::offset`].
    pub offset: u32,
    /// Page size; 0 means 200.
    pub limit: u32,
}

/// The filters a page and a search share.
struct Filters<'a> {
    project_id: Option<ProjectId>,
    board_id: Option<i64>,
    provider: Option<&'a str>,
    tier: Option<Tier>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    favourites_only: bool,
    min_rating: Option<u8>,
}

impl GalleryQuery {
    fn filters(&self) -> Filters<'_> {
        Filters {
            project_id: self.project_id,
            board_id: self.board_id,
            provider: self.provider.as_deref(),
            tier: self.tier,
            from: self.from,
            to: self.to,
            favourites_only: self.favourites_only,
            min_rating: self.min_rating,
        }
    }
}

impl SearchQuery {
    fn filters(&self) -> Filters<'_> {
        Filters {
            project_id: self.project_id,
            board_id: self.board_id,
            provider: self.provider.as_deref(),
            tier: self.tier,
            from: self.from,
            to: self.to,
            favourites_only: self.favourites_only,
            min_rating: self.min_rating,
        }
    }
}

/// SQL text with numbered parameters.
#[derive(Default)]
struct Sql {
    text: String,
    args: Vec<Value>,
}

impl Sql {
    fn raw(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// Appends `clause`, its one `?` bound to `v`.
    fn push(&mut self, clause: &str, v: Value) {
        self.args.push(v);
        self.text
            .push_str(&clause.replace('?', &format!("?{}", self.args.len())));
    }
}

impl Filters<'_> {
    fn needs_generation(&self) -> bool {
        self.provider.is_some() || self.tier.is_some()
    }

    /// The board join (filtering rows, so it goes with the FROM clause).
    fn joins(&self, sql: &mut Sql) {
        if let Some(b) = self.board_id {
            sql.push(
                " JOIN board_images bi ON bi.image_id = i.id AND bi.board_id = ?",
                b.into(),
            );
        }
    }

    /// `AND …` for every filter set (over `i` = images, `g` = generations).
    /// `SELECT columns FROM images i` with only what the filters (and a search's match)
    /// need: the counts' and the jumps' query, which read no file or generation columns.
    fn lean(&self, columns: &str, search: Option<SearchPlan>) -> Sql {
        let mut sql = Sql::default();
        sql.raw(&format!("SELECT {columns} FROM images i"));
        if self.needs_generation() {
            sql.raw(" JOIN generations g ON g.id = i.generation_id");
        }
        self.joins(&mut sql);
        sql.raw(" WHERE 1");
        if let Some(plan) = search {
            matches(&mut sql, plan);
        }
        self.wheres(&mut sql);
        sql
    }

    fn wheres(&self, sql: &mut Sql) {
        // A dedup reuse in the same project points at an image already shown: one tile,
        // not a $0.00 twin (walkthrough 1.10). Its row stays for the ledger and lineage;
        // if the original is deleted, the reuse shows in its place. An earlier image of
        // the same file is looked for first (an index probe that finds nothing for almost
        // every image), the generation only then: the other way round read a generation
        // row per image, most of a count's time at 100,000 images (BENCHMARKS.md).
        sql.raw(
            " AND NOT EXISTS (SELECT 1 FROM images o CROSS JOIN generations rg \
             WHERE o.file_id = i.file_id AND o.project_id = i.project_id AND o.id < i.id \
             AND rg.id = i.generation_id AND rg.reused_from IS NOT NULL)",
        );
        self.filter_wheres(sql);
    }

    /// `count(*)` of the images the filters match, twins included: one index range.
    fn count_all(&self, sql: &mut Sql) {
        sql.raw("SELECT count(*) FROM images i");
        if self.needs_generation() {
            sql.raw(" JOIN generations g ON g.id = i.generation_id");
        }
        self.joins(sql);
        sql.raw(" WHERE 1");
        self.filter_wheres(sql);
    }

    /// `count(*)` of the twins among them (the images `wheres` leaves out), read from the
    /// dedup reuses (`generations_reused`, a handful of rows) instead of probed per image.
    /// The order is forced: left to itself SQLite walked the project's images (an
    /// equality on `project_id`) and probed each, as slow as before.
    fn count_twins(&self, sql: &mut Sql) {
        sql.raw(
            "SELECT count(*) FROM generations g INDEXED BY generations_reused \
             CROSS JOIN images i INDEXED BY sqlite_autoindex_images_1 \
             ON i.generation_id = g.id",
        );
        self.joins(sql);
        sql.raw(
            " WHERE g.reused_from IS NOT NULL AND EXISTS (SELECT 1 FROM images o \
             WHERE o.file_id = i.file_id AND o.project_id = i.project_id AND o.id < i.id)",
        );
        self.filter_wheres(sql);
    }

    /// The filters' own `AND …` terms, without the twin rule.
    fn filter_wheres(&self, sql: &mut Sql) {
        if let Some(p) = self.project_id {
            sql.push(" AND i.project_id = ?", p.into());
        }
        if let Some(p) = self.provider {
            sql.push(" AND g.provider = ?", p.to_owned().into());
        }
        if let Some(t) = self.tier {
            sql.push(" AND g.tier = ?", t.as_str().to_owned().into());
        }
        if let Some(f) = self.from {
            sql.push(" AND i.created_at >= ?", f.timestamp_millis().into());
        }
        if let Some(t) = self.to {
            sql.push(" AND i.created_at < ?", t.timestamp_millis().into());
        }
        if self.favourites_only {
            sql.raw(" AND i.favourite = 1");
        }
        if let Some(r) = self.min_rating {
            sql.push(" AND i.rating >= ?", i64::from(r).into());
        }
    }
}

/// [`Store::gallery_count`]'s statement.
fn count_sql(q: &GalleryQuery) -> Sql {
    let f = q.filters();
    let mut sql = Sql::default();
    sql.raw("SELECT (");
    f.count_all(&mut sql);
    sql.raw(") - (");
    f.count_twins(&mut sql);
    sql.raw(")");
    sql
}

/// The text of a gallery count's statement, for `query_plans`.
#[cfg(test)]
pub(crate) fn count_text(q: &GalleryQuery) -> String {
    count_sql(q).text
}

/// `AND …` for each index the search needs (`i` = images).
fn matches(sql: &mut Sql, plan: SearchPlan) {
    if let Some(words) = plan.words {
        sql.push(
            " AND i.id IN (SELECT rowid FROM gallery_fts WHERE gallery_fts MATCH ?)",
            words.into(),
        );
    }
    for pattern in plan.substrings {
        sql.push(
            " AND i.id IN (SELECT rowid FROM gallery_tri WHERE body LIKE ?)",
            pattern.into(),
        );
    }
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
    pub mime: vocab::ImageMime,
    pub favourite: bool,
    pub rating: u8,
    pub created_at: DateTime<Utc>,
    pub provider: vocab::OfferProvider,
    pub model: String,
    pub tier: Tier,
    pub prompt: String,
    /// This image's index within its generation, and how many images the generation made
    /// (a tile shows its own share of the cost; actions name this variation).
    pub idx: u32,
    pub siblings: u32,
    /// The whole generation's cost, read with the page (not one generation load per tile).
    pub generation_cost: rust_decimal::Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryPage {
    pub items: Vec<Thumb>,
    /// Cursor for the next page; `None` on the last page.
    pub next: Option<Cursor>,
}

const THUMB_COLS: &str = "i.id, i.generation_id, i.project_id, f.hash, f.path, f.thumb_path, \
    f.width, f.height, f.mime, i.favourite, i.rating, i.created_at, g.provider, g.model, g.tier, \
    g.prompt, i.idx, (SELECT count(*) FROM images x WHERE x.generation_id = i.generation_id), \
    g.cost_nanos";

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
        mime: closed_col(r, 8, "files.mime")?,
        favourite: r.get(9)?,
        rating: r.get(10)?,
        created_at: ms_to_time(r.get(11)?),
        provider: crate::error::closed_col(r, 12, "generations.provider")?,
        model: r.get(13)?,
        tier: r.get(14)?,
        prompt: r.get(15)?,
        idx: r.get(16)?,
        siblings: r.get(17)?,
        generation_cost: crate::money::from_nanos(r.get(18)?),
    })
}

fn page_limit(limit: u32) -> u32 {
    match limit {
        0 => 200,
        n => n.min(1000),
    }
}

/// ` LIMIT 1 OFFSET ?`: the last of the first `offset` matches. SQLite still steps over
/// the skipped ones and checks their filters (no join to their files or generations).
fn skip(sql: &mut Sql, offset: u32) {
    sql.push(
        " LIMIT 1 OFFSET ?",
        i64::from(offset.saturating_sub(1)).into(),
    );
}

/// ` AND (created_at, id) < cursor`: the keyset continuation.
fn keyset_after(sql: &mut Sql, after: Option<Cursor>) {
    if let Some(c) = after {
        sql.push(
            " AND (i.created_at, i.id) < (?",
            c.created_at.timestamp_millis().into(),
        );
        sql.push(", ?)", c.id.into());
    }
}

fn empty_page() -> GalleryPage {
    GalleryPage {
        items: Vec::new(),
        next: None,
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

impl Store {
    /// A page of thumbnails, newest first, with keyset pagination.
    pub fn gallery_page(&self, q: &GalleryQuery) -> Result<GalleryPage> {
        let limit = page_limit(q.limit);
        let after = match q.offset {
            0 => q.after,
            n => match self.gallery_position(q, n)? {
                Some(c) => Some(c),
                None => return Ok(empty_page()),
            },
        };
        let f = q.filters();
        let mut sql = Sql::default();
        sql.raw(&format!(
            "SELECT {THUMB_COLS} FROM images i JOIN files f ON f.id = i.file_id
             JOIN generations g ON g.id = i.generation_id"
        ));
        f.joins(&mut sql);
        sql.raw(" WHERE 1");
        f.wheres(&mut sql);
        keyset_after(&mut sql, after);
        sql.push(
            " ORDER BY i.created_at DESC, i.id DESC LIMIT ?",
            i64::from(limit + 1).into(),
        );
        self.page_of(&sql, limit)
    }

    /// A jump: the position of the `offset`-th match (1-based: the last one skipped), read
    /// over the images and their filters alone; the page then continues after it by
    /// keyset. `None`: the list is not that long.
    fn gallery_position(&self, q: &GalleryQuery, offset: u32) -> Result<Option<Cursor>> {
        let mut sql = q.filters().lean("i.created_at, i.id", None);
        keyset_after(&mut sql, q.after);
        sql.raw(" ORDER BY i.created_at DESC, i.id DESC");
        skip(&mut sql, offset);
        self.position_of(&sql)
    }

    /// How many images match a gallery query's filters (its cursor and limit aside).
    ///
    /// All the matching images less the twins among them, in one statement (one
    /// snapshot): the per-image twin probe made a project's count 150–220 ms at 100,000
    /// images, and the project list counts every project after every job (issue 17).
    pub fn gallery_count(&self, q: &GalleryQuery) -> Result<u64> {
        self.count_of(&count_sql(q))
    }

    /// Full-text search, most recently stored first, narrowed by the query's filters.
    /// Words match stemmed ("lighthouses" finds "lighthouse"); CJK text and emoji match
    /// as substrings (see `search.rs`). Never fails on user text.
    pub fn search(&self, q: &SearchQuery) -> Result<GalleryPage> {
        self.index_queued();
        let limit = page_limit(q.limit);
        let Some(plan) = search_plan(&q.text) else {
            return Ok(empty_page());
        };
        let after = match q.offset {
            0 => q.after,
            n => match self.search_position(q, &plan, n)? {
                Some(c) => Some(c),
                None => return Ok(empty_page()),
            },
        };
        let f = q.filters();
        let mut sql = Sql::default();
        sql.raw(&format!(
            "SELECT {THUMB_COLS} FROM images i JOIN files f ON f.id = i.file_id
             JOIN generations g ON g.id = i.generation_id"
        ));
        f.joins(&mut sql);
        sql.raw(" WHERE 1");
        matches(&mut sql, plan);
        f.wheres(&mut sql);
        if let Some(c) = after {
            sql.push(" AND i.id < ?", c.id.into());
        }
        sql.push(" ORDER BY i.id DESC LIMIT ?", i64::from(limit + 1).into());
        self.page_of(&sql, limit)
    }

    /// A search's jump, as [`Store::gallery_position`] (a search orders by image id).
    fn search_position(
        &self,
        q: &SearchQuery,
        plan: &SearchPlan,
        offset: u32,
    ) -> Result<Option<Cursor>> {
        let mut sql = q.filters().lean("i.created_at, i.id", Some(plan.clone()));
        if let Some(c) = q.after {
            sql.push(" AND i.id < ?", c.id.into());
        }
        sql.raw(" ORDER BY i.id DESC");
        skip(&mut sql, offset);
        self.position_of(&sql)
    }

    /// How many images a search matches (its cursor and limit aside).
    pub fn search_count(&self, q: &SearchQuery) -> Result<u64> {
        self.index_queued();
        let Some(plan) = search_plan(&q.text) else {
            return Ok(0);
        };
        self.count_of(&q.filters().lean("count(*)", Some(plan)))
    }

    fn page_of(&self, sql: &Sql, limit: u32) -> Result<GalleryPage> {
        self.read(|c| {
            let mut st = c.prepare_cached(&sql.text)?;
            let rows = st.query_map(params_from_iter(sql.args.iter()), thumb_from_row)?;
            Ok(finish_page(rows.collect::<rusqlite::Result<_>>()?, limit))
        })
    }

    fn position_of(&self, sql: &Sql) -> Result<Option<Cursor>> {
        self.read(|c| {
            Ok(c.prepare_cached(&sql.text)?
                .query_row(params_from_iter(sql.args.iter()), |r| {
                    Ok(Cursor {
                        created_at: ms_to_time(r.get(0)?),
                        id: r.get(1)?,
                    })
                })
                .optional()?)
        })
    }

    fn count_of(&self, sql: &Sql) -> Result<u64> {
        self.read(|c| {
            let n: i64 = c
                .prepare_cached(&sql.text)?
                .query_row(params_from_iter(sql.args.iter()), |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }
}
