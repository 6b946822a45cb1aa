//! Schema: append-only migrations. Never edit a migration that has shipped; add a new one.
//!
//! `PRAGMA user_version` holds the number of applied migrations. A database whose version
//! is above [`SCHEMA_VERSION`] was written by a newer binary and is refused before anything
//! touches it.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

use crate::error::{Result, StoreError};

/// Migration 1: every table. Money columns are integer nano-dollars (see `money.rs`),
/// times are unix milliseconds (UTC).
const M1_TABLES: &str = r#"
CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    client      TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE budgets (
    project_id    INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    amount_nanos  INTEGER NOT NULL CHECK (amount_nanos >= 0),
    period        TEXT NOT NULL CHECK (period IN ('total', 'monthly')),
    hard          INTEGER NOT NULL CHECK (hard IN (0, 1)),
    thresholds    TEXT NOT NULL DEFAULT '[0.5,0.8]'
);

CREATE TABLE policies (
    project_id             INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    draft_offers           TEXT NOT NULL DEFAULT '[]',
    final_offers           TEXT NOT NULL DEFAULT '[]',
    allow_safety_fallback  INTEGER NOT NULL DEFAULT 0,
    moderation             TEXT NOT NULL DEFAULT 'auto' CHECK (moderation IN ('auto', 'low'))
);

CREATE TABLE generations (
    id               TEXT PRIMARY KEY,
    project_id       INTEGER NOT NULL REFERENCES projects(id),
    request_json     TEXT NOT NULL,
    dedup_key        TEXT NOT NULL,
    seed_honoured    INTEGER NOT NULL DEFAULT 1,
    tier             TEXT NOT NULL CHECK (tier IN ('draft', 'final')),
    parent_id        TEXT REFERENCES generations(id),
    reused_from      TEXT REFERENCES generations(id),
    status           TEXT NOT NULL CHECK (status IN
                        ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'reused')),
    estimate_nanos   INTEGER,
    reserved_nanos   INTEGER NOT NULL DEFAULT 0,
    cost_nanos       INTEGER NOT NULL DEFAULT 0,
    saved_nanos      INTEGER NOT NULL DEFAULT 0,
    offer_id         TEXT,
    provider         TEXT NOT NULL,
    model            TEXT NOT NULL,
    prompt           TEXT NOT NULL,
    negative_prompt  TEXT,
    error            TEXT,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER
);
CREATE INDEX generations_dedup ON generations(dedup_key, created_at DESC) WHERE status = 'succeeded';
CREATE INDEX generations_project ON generations(project_id, created_at DESC);
CREATE INDEX generations_parent ON generations(parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX generations_active ON generations(status) WHERE status IN ('queued', 'running');

CREATE TABLE attempts (
    id               INTEGER PRIMARY KEY,
    generation_id    TEXT NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    n                INTEGER NOT NULL,
    provider         TEXT NOT NULL,
    model            TEXT NOT NULL,
    offer_id         TEXT NOT NULL,
    started_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    outcome          TEXT,
    billed           INTEGER NOT NULL DEFAULT 0,
    cost_nanos       INTEGER NOT NULL DEFAULT 0,
    usage_json       TEXT,
    remote_job_json  TEXT,
    error            TEXT,
    UNIQUE (generation_id, n)
);

-- One row per distinct content: identical bytes are stored once.
CREATE TABLE files (
    id          INTEGER PRIMARY KEY,
    hash        TEXT NOT NULL UNIQUE,
    path        TEXT NOT NULL,
    mime        TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    thumb_path  TEXT
);

-- One row per image a generation produced (or reused); several may share a file.
CREATE TABLE images (
    id             INTEGER PRIMARY KEY,
    generation_id  TEXT NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    project_id     INTEGER NOT NULL REFERENCES projects(id),
    file_id        INTEGER NOT NULL REFERENCES files(id),
    idx            INTEGER NOT NULL,
    seed           INTEGER,
    favourite      INTEGER NOT NULL DEFAULT 0,
    rating         INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
    created_at     INTEGER NOT NULL,
    UNIQUE (generation_id, idx)
);
CREATE INDEX images_project_page ON images(project_id, created_at DESC, id DESC);
CREATE INDEX images_page ON images(created_at DESC, id DESC);
CREATE INDEX images_file ON images(file_id);

CREATE TABLE boards (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (project_id, name)
);
CREATE TABLE board_images (
    board_id  INTEGER NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    image_id  INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (board_id, image_id)
) WITHOUT ROWID;
CREATE INDEX board_images_image ON board_images(image_id);

CREATE TABLE tags (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE
);
CREATE TABLE image_tags (
    image_id  INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    tag_id    INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (image_id, tag_id)
) WITHOUT ROWID;

-- The money ledger. Amounts are positive; the kind gives the direction. For one
-- generation, outstanding reservation = reserve - release - charge, and reaches 0 when settled.
CREATE TABLE ledger (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects(id),
    generation_id  TEXT REFERENCES generations(id),
    kind           TEXT NOT NULL CHECK (kind IN ('reserve', 'release', 'charge', 'saving')),
    amount_nanos   INTEGER NOT NULL CHECK (amount_nanos >= 0),
    created_at     INTEGER NOT NULL
);
CREATE INDEX ledger_project ON ledger(project_id, kind, created_at, amount_nanos);
CREATE INDEX ledger_generation ON ledger(generation_id, kind, amount_nanos);

CREATE TABLE price_overrides (
    offer_id    TEXT PRIMARY KEY,
    json        TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
"#;

/// Migration 2: full-text index over prompt, negative prompt, tags, provider and model,
/// one row per image (rowid = images.id), kept in step by triggers and backfilled here.
const M2_FTS: &str = r#"
CREATE VIRTUAL TABLE gallery_fts USING fts5(
    prompt, negative_prompt, tags, provider, model,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO gallery_fts(rowid, prompt, negative_prompt, tags, provider, model)
SELECT i.id, g.prompt, coalesce(g.negative_prompt, ''),
       coalesce((SELECT group_concat(t.name, ' ') FROM image_tags it JOIN tags t ON t.id = it.tag_id
                 WHERE it.image_id = i.id), ''),
       g.provider, g.model
FROM images i JOIN generations g ON g.id = i.generation_id;

CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
    INSERT INTO gallery_fts(rowid, prompt, negative_prompt, tags, provider, model)
    SELECT new.id, g.prompt, coalesce(g.negative_prompt, ''), '', g.provider, g.model
    FROM generations g WHERE g.id = new.generation_id;
END;

CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
    DELETE FROM gallery_fts WHERE rowid = old.id;
END;

CREATE TRIGGER image_tags_fts_insert AFTER INSERT ON image_tags BEGIN
    UPDATE gallery_fts SET tags = coalesce((SELECT group_concat(t.name, ' ') FROM image_tags it
        JOIN tags t ON t.id = it.tag_id WHERE it.image_id = new.image_id), '')
    WHERE rowid = new.image_id;
END;

CREATE TRIGGER image_tags_fts_delete AFTER DELETE ON image_tags BEGIN
    UPDATE gallery_fts SET tags = coalesce((SELECT group_concat(t.name, ' ') FROM image_tags it
        JOIN tags t ON t.id = it.tag_id WHERE it.image_id = old.image_id), '')
    WHERE rowid = old.image_id;
END;

CREATE TRIGGER generations_fts_update AFTER UPDATE OF provider, model ON generations BEGIN
    UPDATE gallery_fts SET provider = new.provider, model = new.model
    WHERE rowid IN (SELECT id FROM images WHERE generation_id = new.id);
END;
"#;

/// Migration 3: which engine instance runs a generation. Recovery reconciles a running
/// generation only when its owner's lease (`instances/<owner>.lock`) is gone or unlocked,
/// so two processes on one data dir never fail each other's live jobs. NULL = a row
/// from before leases (treated as abandoned, as it always was).
const M3_OWNER: &str = r#"
ALTER TABLE generations ADD COLUMN owner TEXT;
"#;

/// Migration 4: per-project running totals, kept in step with every ledger row in the
/// same transaction, so a reservation or a budget meter reads one row instead of summing
/// the project's whole history. `month_start` (unix ms, UTC) is the month
/// `month_spent_nanos` counts, for monthly budgets; a new month starts it from zero.
const M4_TOTALS: &str = r#"
CREATE TABLE project_totals (
    project_id         INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    spent_nanos        INTEGER NOT NULL DEFAULT 0,
    reserved_nanos     INTEGER NOT NULL DEFAULT 0,
    saved_nanos        INTEGER NOT NULL DEFAULT 0,
    month_start        INTEGER NOT NULL DEFAULT 0,
    month_spent_nanos  INTEGER NOT NULL DEFAULT 0
);

INSERT INTO project_totals(project_id, spent_nanos, reserved_nanos, saved_nanos, month_start,
                           month_spent_nanos)
SELECT p.id,
       coalesce(sum(CASE WHEN l.kind = 'charge' THEN l.amount_nanos END), 0),
       coalesce(sum(CASE l.kind WHEN 'reserve' THEN l.amount_nanos
                                WHEN 'release' THEN -l.amount_nanos
                                WHEN 'charge' THEN -l.amount_nanos END), 0),
       coalesce(sum(CASE WHEN l.kind = 'saving' THEN l.amount_nanos END), 0),
       CAST(strftime('%s', 'now', 'start of month') AS INTEGER) * 1000,
       coalesce(sum(CASE WHEN l.kind = 'charge' AND l.created_at >=
                    CAST(strftime('%s', 'now', 'start of month') AS INTEGER) * 1000
                    THEN l.amount_nanos END), 0)
FROM projects p LEFT JOIN ledger l ON l.project_id = p.id
GROUP BY p.id;
"#;

/// Migration 5: the calibration key of an attempt (pricing's `calibration_key()` of the
/// request it priced: size, quality, n, steps, refs, tier), set only for usage- or
/// time-billed offers whose request is made in a single provider call, so the settled
/// cost of a successful attempt is a sample the estimator can learn from. NULL for every
/// other attempt, and for every row written before this migration.
const M5_CALIBRATION: &str = r#"
ALTER TABLE attempts ADD COLUMN calibration_key TEXT;
CREATE INDEX attempts_calibration ON attempts(offer_id, calibration_key, finished_at DESC, id DESC)
    WHERE calibration_key IS NOT NULL AND outcome = 'succeeded' AND billed = 1;
"#;

/// Migration 6: the money path under faults (issue 11).
/// - `attempts.state`: `prepared → sent → (answered | unknown) → settled`. A row is `sent`
///   before its request leaves, so a crash after that point is booked as an unconfirmed
///   charge, never as "$0, released". `answered` means the response is in hand and its
///   files are durable (`resume_json` names them), so recovery can finish it. `unknown`
///   means an unconfirmed charge was booked while the provider job (`remote_job_json`)
///   may still be reconciled. Rows from before this migration are settled, or `sent`
///   when they never finished.
/// - `attempts.expected_nanos`: the call's expected estimate (what an unknown outcome is
///   charged at); `unconfirmed`: its charge is not proven by the provider; `review`: why
///   the charge needs a human look (a reported cost outside the plausible band).
/// - `generations.unconfirmed_nanos`, `project_totals.unconfirmed_nanos`: the unconfirmed
///   part of cost/spent (still counted as spent: the budget keeps it).
/// - The ledger gains kinds `unconfirmed` (a charge not proven), `confirm` (it was) and
///   `refund` (it was not: spent goes back). SQLite cannot alter a CHECK, so the table is
///   rebuilt with its rows.
/// - `generations_inflight`: single flight finds a queued or running twin by dedup key.
const M6_ATTEMPT_STATES: &str = r#"
ALTER TABLE attempts ADD COLUMN state TEXT NOT NULL DEFAULT 'settled'
    CHECK (state IN ('prepared', 'sent', 'answered', 'unknown', 'settled'));
ALTER TABLE attempts ADD COLUMN expected_nanos INTEGER;
ALTER TABLE attempts ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN review TEXT;
ALTER TABLE attempts ADD COLUMN resume_json TEXT;
UPDATE attempts SET state = 'sent' WHERE finished_at IS NULL;
CREATE INDEX attempts_open ON attempts(state) WHERE state <> 'settled';

ALTER TABLE generations ADD COLUMN unconfirmed_nanos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE project_totals ADD COLUMN unconfirmed_nanos INTEGER NOT NULL DEFAULT 0;
CREATE INDEX generations_inflight ON generations(dedup_key) WHERE status IN ('queued', 'running');

CREATE TABLE ledger_v6 (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects(id),
    generation_id  TEXT REFERENCES generations(id),
    kind           TEXT NOT NULL CHECK (kind IN ('reserve', 'release', 'charge', 'saving',
                                                 'unconfirmed', 'confirm', 'refund')),
    amount_nanos   INTEGER NOT NULL CHECK (amount_nanos >= 0),
    created_at     INTEGER NOT NULL
);
INSERT INTO ledger_v6(id, project_id, generation_id, kind, amount_nanos, created_at)
SELECT id, project_id, generation_id, kind, amount_nanos, created_at FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_v6 RENAME TO ledger;
CREATE INDEX ledger_project ON ledger(project_id, kind, created_at, amount_nanos);
CREATE INDEX ledger_generation ON ledger(generation_id, kind, amount_nanos);
"#;

/// Migration 7: search that finds words inside CJK text, emoji and plurals (issue 12
/// §1.14). `gallery_fts` is rebuilt with the Porter stemmer ("lighthouses" finds
/// "lighthouse"); `gallery_tri` indexes the same text as trigrams so a substring ("灯台"
/// inside "夕暮れの灯台", "🌅") is found. `gallery_text` is the one definition of an
/// image's searchable text; triggers keep both indexes in step with it.
const M7_SEARCH: &str = r#"
DROP TABLE gallery_fts;
CREATE VIRTUAL TABLE gallery_fts USING fts5(
    prompt, negative_prompt, tags, provider, model,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO gallery_fts(rowid, prompt, negative_prompt, tags, provider, model)
SELECT i.id, g.prompt, coalesce(g.negative_prompt, ''),
       coalesce((SELECT group_concat(t.name, ' ') FROM image_tags it JOIN tags t ON t.id = it.tag_id
                 WHERE it.image_id = i.id), ''),
       g.provider, g.model
FROM images i JOIN generations g ON g.id = i.generation_id;

CREATE VIEW gallery_text AS
SELECT i.id AS id,
       g.prompt || ' ' || coalesce(g.negative_prompt, '') || ' ' ||
       coalesce((SELECT group_concat(t.name, ' ') FROM image_tags it JOIN tags t ON t.id = it.tag_id
                 WHERE it.image_id = i.id), '') || ' ' || g.provider || ' ' || g.model AS body
FROM images i JOIN generations g ON g.id = i.generation_id;

CREATE VIRTUAL TABLE gallery_tri USING fts5(body, tokenize = 'trigram');
INSERT INTO gallery_tri(rowid, body) SELECT id, body FROM gallery_text;

CREATE TRIGGER images_tri_insert AFTER INSERT ON images BEGIN
    INSERT INTO gallery_tri(rowid, body) SELECT id, body FROM gallery_text WHERE id = new.id;
END;
CREATE TRIGGER images_tri_delete AFTER DELETE ON images BEGIN
    DELETE FROM gallery_tri WHERE rowid = old.id;
END;
CREATE TRIGGER image_tags_tri_insert AFTER INSERT ON image_tags BEGIN
    UPDATE gallery_tri SET body = (SELECT body FROM gallery_text WHERE id = new.image_id)
    WHERE rowid = new.image_id;
END;
CREATE TRIGGER image_tags_tri_delete AFTER DELETE ON image_tags BEGIN
    UPDATE gallery_tri SET body = (SELECT body FROM gallery_text WHERE id = old.image_id)
    WHERE rowid = old.image_id;
END;
CREATE TRIGGER generations_tri_update AFTER UPDATE OF provider, model ON generations BEGIN
    UPDATE gallery_tri SET body = (SELECT body FROM gallery_text WHERE id = gallery_tri.rowid)
    WHERE rowid IN (SELECT id FROM images WHERE generation_id = new.id);
END;
"#;

/// Migration 11: a new image is queued for the search indexes instead of indexed in its
/// own transaction (issue 17: two FTS5 inserts per image were the largest part of a
/// generation's overhead). `search_index.rs` indexes the queue in batches, and before
/// every search. Deletes, tag changes and renames still go to both indexes at once (a
/// queued image has no index row yet: those statements find nothing, and the batch
/// reads the image's text as it is then).
const M11_SEARCH_QUEUE: &str = r#"
CREATE TABLE search_pending (image_id INTEGER PRIMARY KEY);
DROP TRIGGER images_fts_insert;
DROP TRIGGER images_tri_insert;
CREATE TRIGGER images_search_queue AFTER INSERT ON images BEGIN
    INSERT INTO search_pending(image_id) VALUES (new.id);
END;
CREATE TRIGGER images_search_unqueue AFTER DELETE ON images BEGIN
    DELETE FROM search_pending WHERE image_id = old.id;
END;
"#;

/// Migration 12: the dedup reuses, indexed on their own (issue 17). A gallery count is
/// the matching images less the reuse "twins" among them (`gallery.rs`); this index lets
/// the twins be read from the few reuse generations instead of probed once per image.
const M12_REUSED: &str = r#"
CREATE INDEX generations_reused ON generations(id) WHERE reused_from IS NOT NULL;
"#;

/// Migration 8: drift from real bills (issue 14 §5).
/// - `attempts.reported_nanos`: what the provider (or a gateway) said this call cost, in
///   USD (OpenRouter `usage.cost`, BFL/Recraft credits × their rate, a gateway's cost
///   header), recorded beside `expected_nanos` so every answer is reconciled against its
///   estimate. NULL when the provider reports no charge.
/// - `drift_decisions`: the user's answer to a drift mark on an offer (`accepted` as a
///   negotiated rate, or `ignored`), with the newest attempt it was judged on: a drift is
///   shown again only once a whole window of later attempts still drifts.
const M8_DRIFT: &str = r#"
ALTER TABLE attempts ADD COLUMN reported_nanos INTEGER;
CREATE INDEX attempts_drift ON attempts(offer_id, id DESC)
    WHERE outcome = 'succeeded' AND billed = 1 AND state = 'settled';
CREATE TABLE drift_decisions (
    offer_id         TEXT PRIMARY KEY,
    action           TEXT NOT NULL CHECK (action IN ('accepted', 'ignored')),
    ratio            TEXT NOT NULL,
    through_attempt  INTEGER NOT NULL,
    decided_at       INTEGER NOT NULL
);
"#;

/// Named gateways (issue 16). Secret header values and keys live in the keychain only.
const M9_GATEWAYS: &str = r#"
CREATE TABLE gateways (
    name                    TEXT PRIMARY KEY,
    base_url                TEXT NOT NULL,
    dialect                 TEXT NOT NULL CHECK (dialect IN ('images', 'chat')),
    headers                 TEXT NOT NULL DEFAULT '[]',
    models                  TEXT NOT NULL DEFAULT '[]',
    markup_percent          TEXT,
    markup_per_image_nanos  INTEGER CHECK (markup_per_image_nanos >= 0),
    price_per_image_nanos   INTEGER CHECK (price_per_image_nanos >= 0),
    cost_header             TEXT,
    cost_json_path          TEXT,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL
);
"#;

/// Image inputs (issue 15): each generation's operation and its settings, its input
/// images in order (role, content hash, size, the gallery image it came from) and the
/// mask's hash. The bytes are `files` rows (content-addressed), kept while a generation
/// names them.
const M10_INPUTS: &str = r#"
CREATE TABLE generation_ops (
    generation_id  TEXT PRIMARY KEY REFERENCES generations(id) ON DELETE CASCADE,
    operation      TEXT NOT NULL,
    expand_left    INTEGER,
    expand_top     INTEGER,
    expand_right   INTEGER,
    expand_bottom  INTEGER,
    scale          INTEGER,
    fidelity       TEXT,
    mask_hash      TEXT
);
CREATE INDEX generation_ops_mask ON generation_ops(mask_hash) WHERE mask_hash IS NOT NULL;

CREATE TABLE generation_inputs (
    generation_id         TEXT NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    position              INTEGER NOT NULL,
    role                  TEXT NOT NULL,
    hash                  TEXT NOT NULL,
    mime                  TEXT NOT NULL,
    width                 INTEGER NOT NULL,
    height                INTEGER NOT NULL,
    source_generation_id  TEXT,
    source_idx            INTEGER,
    PRIMARY KEY (generation_id, position)
);
CREATE INDEX generation_inputs_hash ON generation_inputs(hash);
"#;

/// The ordered, append-only list of migrations.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(M1_TABLES),
        M::up(M2_FTS),
        M::up(M3_OWNER),
        M::up(M4_TOTALS),
        M::up(M5_CALIBRATION),
        M::up(M6_ATTEMPT_STATES),
        M::up(M7_SEARCH),
        M::up(M8_DRIFT),
        M::up(M9_GATEWAYS),
        M::up(M10_INPUTS),
        M::up(M11_SEARCH_QUEUE),
        M::up(M12_REUSED),
    ])
}

/// Number of migrations this binary knows: the newest `user_version` it can open.
pub const SCHEMA_VERSION: i64 = 12;

/// Per-connection settings. WAL lets readers run while the writer commits.
pub(crate) fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Refuses a version this binary cannot open: newer than [`SCHEMA_VERSION`] (a newer
/// Proofsheet wrote it) or negative (no Proofsheet writes that).
pub(crate) fn check_version(path: &Path, found: i64) -> Result<()> {
    if found > SCHEMA_VERSION {
        return Err(StoreError::DatabaseTooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < 0 {
        return Err(StoreError::BadSchemaVersion {
            path: path.to_path_buf(),
            found,
        });
    }
    Ok(())
}

/// Applies pending migrations. The caller holds the open lock, so the version read here
/// is final. A failing migration is reported with the SQLite reason only, never its SQL.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    check_version(path, found)?;
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    migrations().to_latest(conn).map_err(|e| match e {
        rusqlite_migration::Error::RusqliteError { err, .. }
            if !matches!(
                err.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ) =>
        {
            let from = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap_or(found);
            StoreError::MigrationFailed {
                path: path.to_path_buf(),
                from,
                to: SCHEMA_VERSION,
                reason: sqlite_reason(&err),
            }
        }
        other => StoreError::Migration(other),
    })
}

/// SQLite's own words for a failure, without the statement it was running.
fn sqlite_reason(err: &rusqlite::Error) -> String {
    match err {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string().chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid_and_counted() {
        super::migrations().validate().expect("valid migrations");
        let mut conn = rusqlite::Connection::open_in_memory().expect("open");
        super::migrations().to_latest(&mut conn).expect("migrate");
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(v, super::SCHEMA_VERSION);
    }
}
