//! Every SQL statement the auditor runs, in one place. The library is opened read-only.
//! The schema is changing (migration 6 adds attempt states and unconfirmed charges), so
//! columns that may not exist yet are detected with `PRAGMA table_info` and read as
//! absent, and new ledger kinds are recognised by name.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

pub type Sql<T> = Result<T, String>;

fn e(what: &str) -> impl Fn(rusqlite::Error) -> String + '_ {
    move |err| format!("{what}: {err}")
}

pub fn open(db: &Path) -> Sql<Connection> {
    Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(e("open the library read-only"))
}

fn columns(c: &Connection, table: &str) -> Sql<HashSet<String>> {
    let mut st = c
        .prepare(&format!("PRAGMA table_info({table})"))
        .map_err(e("table_info"))?;
    let rows = st
        .query_map([], |r| r.get::<_, String>(1))
        .map_err(e("table_info"))?;
    Ok(rows.flatten().collect())
}

/// `integrity_check` and `foreign_key_check` findings (empty = healthy).
pub fn integrity(c: &Connection) -> Sql<Vec<String>> {
    let mut out = Vec::new();
    let mut st = c
        .prepare("PRAGMA integrity_check")
        .map_err(e("integrity_check"))?;
    for r in st
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(e("integrity_check"))?
        .flatten()
    {
        if r != "ok" {
            out.push(format!("integrity_check: {r}"));
        }
    }
    let mut st = c
        .prepare("PRAGMA foreign_key_check")
        .map_err(e("foreign_key_check"))?;
    for r in st
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(e("foreign_key_check"))?
        .flatten()
    {
        out.push(format!("foreign_key_check: a row of {r} points nowhere"));
    }
    Ok(out)
}

/// How a ledger kind moves a project's numbers (nanos, signs applied to the amount).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Effect {
    pub spent: i64,
    pub reserved: i64,
    pub saved: i64,
    pub unconfirmed: i64,
}

/// The ledger kinds: the first four, plus migration 6's `unconfirmed` (spent, tracked
/// apart), `confirm` (proven: no longer unconfirmed) and `refund` (not billed after all:
/// spent goes back), as store/src/ledger.rs books them. None = a kind the auditor does
/// not know.
pub fn effect(kind: &str) -> Option<Effect> {
    let k = kind.to_ascii_lowercase();
    let f = |spent, reserved, saved, unconfirmed| {
        Some(Effect {
            spent,
            reserved,
            saved,
            unconfirmed,
        })
    };
    match k.as_str() {
        "reserve" => f(0, 1, 0, 0),
        "release" => f(0, -1, 0, 0),
        "charge" => f(1, -1, 0, 0),
        "saving" => f(0, 0, 1, 0),
        _ if k.contains("unconfirmed") => f(1, -1, 0, 1),
        _ if k.contains("confirm") => f(0, 0, 0, -1),
        _ if k.contains("refund") => f(-1, 0, 0, -1),
        _ => None,
    }
}

/// `(project_id or generation_id, kind) → sum(amount)`.
pub fn ledger_sums(c: &Connection, by_generation: bool) -> Sql<Vec<(String, String, i64)>> {
    let col = if by_generation {
        "coalesce(generation_id, '')"
    } else {
        "CAST(project_id AS TEXT)"
    };
    let q = format!("SELECT {col}, kind, coalesce(sum(amount_nanos), 0) FROM ledger GROUP BY 1, 2");
    let mut st = c.prepare(&q).map_err(e("ledger sums"))?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(e("ledger sums"))?;
    rows.collect::<Result<_, _>>().map_err(e("ledger sums"))
}

/// Each generation's first reservation (its worst case before any top-up).
pub fn first_reserves(c: &Connection) -> Sql<std::collections::HashMap<String, i64>> {
    let mut st = c
        .prepare(
            "SELECT generation_id, amount_nanos FROM ledger WHERE id IN
                (SELECT min(id) FROM ledger WHERE kind = 'reserve' GROUP BY generation_id)",
        )
        .map_err(e("first reserves"))?;
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get(1)?,
            ))
        })
        .map_err(e("first reserves"))?;
    rows.collect::<Result<_, _>>().map_err(e("first reserves"))
}

#[derive(Debug, Clone)]
pub struct Totals {
    pub project_id: i64,
    pub spent: i64,
    pub reserved: i64,
    pub saved: i64,
    pub unconfirmed: Option<i64>,
}

pub fn totals(c: &Connection) -> Sql<Vec<Totals>> {
    let cols = columns(c, "project_totals")?;
    let unconf = cols.contains("unconfirmed_nanos");
    let q = format!(
        "SELECT project_id, spent_nanos, reserved_nanos, saved_nanos, {} FROM project_totals",
        if unconf { "unconfirmed_nanos" } else { "NULL" }
    );
    let mut st = c.prepare(&q).map_err(e("project_totals"))?;
    let rows = st
        .query_map([], |r| {
            Ok(Totals {
                project_id: r.get(0)?,
                spent: r.get(1)?,
                reserved: r.get(2)?,
                saved: r.get(3)?,
                unconfirmed: r.get(4)?,
            })
        })
        .map_err(e("project_totals"))?;
    rows.collect::<Result<_, _>>().map_err(e("project_totals"))
}

#[derive(Debug, Clone)]
pub struct Budget {
    pub project_id: i64,
    pub name: String,
    pub amount: i64,
    pub hard: bool,
    pub monthly: bool,
}

pub fn budgets(c: &Connection) -> Sql<Vec<Budget>> {
    let mut st = c
        .prepare(
            "SELECT b.project_id, p.name, b.amount_nanos, b.hard, b.period
             FROM budgets b JOIN projects p ON p.id = b.project_id",
        )
        .map_err(e("budgets"))?;
    let rows = st
        .query_map([], |r| {
            Ok(Budget {
                project_id: r.get(0)?,
                name: r.get(1)?,
                amount: r.get(2)?,
                hard: r.get::<_, i64>(3)? == 1,
                monthly: r.get::<_, String>(4)? == "monthly",
            })
        })
        .map_err(e("budgets"))?;
    rows.collect::<Result<_, _>>().map_err(e("budgets"))
}

#[derive(Debug, Clone)]
pub struct Gen {
    pub id: String,
    pub project_id: i64,
    pub status: String,
    pub cost: i64,
    /// Images asked for (`request_json.n`).
    pub n: i64,
    pub prompt: String,
    pub reused_from: Option<String>,
    pub images: i64,
    pub error: Option<String>,
}

pub fn generations(c: &Connection) -> Sql<Vec<Gen>> {
    let mut st = c
        .prepare(
            "SELECT g.id, g.project_id, g.status, g.cost_nanos,
                    coalesce(json_extract(g.request_json, '$.n'), 1), g.prompt, g.reused_from,
                    (SELECT count(*) FROM images i WHERE i.generation_id = g.id), g.error
             FROM generations g ORDER BY g.created_at",
        )
        .map_err(e("generations"))?;
    let rows = st
        .query_map([], |r| {
            Ok(Gen {
                id: r.get(0)?,
                project_id: r.get(1)?,
                status: r.get(2)?,
                cost: r.get(3)?,
                n: r.get(4)?,
                prompt: r.get(5)?,
                reused_from: r.get(6)?,
                images: r.get(7)?,
                error: r.get(8)?,
            })
        })
        .map_err(e("generations"))?;
    rows.collect::<Result<_, _>>().map_err(e("generations"))
}

#[derive(Debug, Clone)]
pub struct Att {
    pub generation_id: String,
    pub outcome: Option<String>,
    pub billed: bool,
    pub cost: i64,
    pub finished: bool,
    /// Migration 6: still `prepared`, `sent` or `answered` (not settled, not booked unknown).
    pub open_state: bool,
    /// Charged at the estimate because the outcome is unknown (migration 6).
    pub unconfirmed: bool,
    /// Flagged for review (an implausible reported cost; migration 6).
    pub flagged: bool,
}

/// The first of `names` that `cols` has, as an SQL expression, else `fallback`.
fn pick(cols: &HashSet<String>, names: &[&str], fallback: &str) -> String {
    names
        .iter()
        .find(|n| cols.contains(**n))
        .map_or_else(|| fallback.to_string(), |n| n.to_string())
}

/// The attempts, and whether the library has a review-flag column at all.
pub fn attempts(c: &Connection) -> Sql<(Vec<Att>, bool)> {
    let cols = columns(c, "attempts")?;
    let state = pick(&cols, &["state"], "NULL");
    let unconfirmed = pick(&cols, &["unconfirmed"], "0");
    // Migration 6 names the reason in `review` (TEXT); any non-empty value is a flag.
    let flag_col = ["review", "flagged", "needs_review"]
        .into_iter()
        .find(|n| cols.contains(*n));
    let flagged = flag_col.map_or_else(
        || "0".to_string(),
        |c| format!("CASE WHEN {c} IS NULL OR {c} IN ('', '0', 0) THEN 0 ELSE 1 END"),
    );
    let q = format!(
        "SELECT generation_id, outcome, billed, cost_nanos, finished_at IS NOT NULL,
                {state}, {unconfirmed}, {flagged}
         FROM attempts ORDER BY id"
    );
    let mut st = c.prepare(&q).map_err(e("attempts"))?;
    let rows = st
        .query_map([], |r| {
            let state: Option<String> = r.get(5)?;
            let unconfirmed = r.get::<_, Option<i64>>(6)?.unwrap_or(0) != 0
                || state.as_deref().is_some_and(|s| s.contains("unknown"));
            Ok(Att {
                generation_id: r.get(0)?,
                outcome: r.get(1)?,
                billed: r.get::<_, i64>(2)? != 0,
                cost: r.get(3)?,
                finished: r.get(4)?,
                open_state: state
                    .as_deref()
                    .is_some_and(|s| matches!(s, "prepared" | "sent" | "answered")),
                unconfirmed,
                flagged: r.get::<_, i64>(7)? != 0,
            })
        })
        .map_err(e("attempts"))?;
    let all = rows.collect::<Result<_, _>>().map_err(e("attempts"))?;
    Ok((all, flag_col.is_some()))
}

/// `(generation_id, files.path, files.thumb_path)` for every image row.
pub fn image_files(c: &Connection) -> Sql<Vec<(String, String, Option<String>)>> {
    let mut st = c
        .prepare(
            "SELECT i.generation_id, f.path, f.thumb_path FROM images i JOIN files f ON f.id = i.file_id",
        )
        .map_err(e("image files"))?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(e("image files"))?;
    rows.collect::<Result<_, _>>().map_err(e("image files"))
}

/// Every path a `files` row names (image and thumbnail), relative to the data dir.
pub fn known_paths(c: &Connection) -> Sql<HashSet<String>> {
    let mut st = c
        .prepare("SELECT path, thumb_path FROM files")
        .map_err(e("files"))?;
    let rows = st
        .query_map(params![], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .map_err(e("files"))?;
    let mut out = HashSet::new();
    for (p, t) in rows.flatten() {
        out.insert(p);
        out.extend(t);
    }
    Ok(out)
}

/// Test setup, not audit: make a library look written by a newer Proofsheet (F18),
/// in rollback-journal mode so any WAL switch shows.
pub fn make_newer(db: &Path) -> Sql<()> {
    let c = Connection::open(db).map_err(e("open for setup"))?;
    c.pragma_update(None, "journal_mode", "DELETE")
        .map_err(e("journal_mode"))?;
    c.pragma_update(None, "user_version", 99)
        .map_err(e("user_version"))?;
    Ok(())
}

/// The journal mode stored in the file (read-only open does not change it).
pub fn journal_mode(db: &Path) -> Sql<String> {
    let c = open(db)?;
    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .map_err(e("journal_mode"))
}
