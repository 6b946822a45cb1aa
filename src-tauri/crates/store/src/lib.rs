//! SQLite ledger and gallery, content-addressed image files, dedup keys.
//!
//! [`Store`] is a cheap-to-clone handle over one data directory:
//! `proofsheet.sqlite3` (WAL), `images/ab/cd/<sha256>.<ext>` and `thumbs/ab/cd/<sha256>.jpg`.
//! Its API is synchronous: call it from `spawn_blocking`. Writes go through one writer
//! connection (behind a mutex, every write transaction `BEGIN IMMEDIATE` so other processes
//! such as the CLI serialize too); reads use a small pool of read-only connections.

mod begin;
mod calibration;
mod config_version;
mod dashboard;
mod dedup;
mod drift;
mod error;
mod export;
mod files;
mod gallery;
mod gateways;
mod generations;
mod images;
mod inputs;
mod invoice;
mod ledger;
mod money;
mod open;
mod projects;
#[cfg(test)]
mod query_plans;
mod schema;
mod search;
mod search_index;
mod settle;
mod team_import;
mod thumbs;
mod types;
mod wal_sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use begin::{Begun, SendNow, Start};
pub use calibration::CalibrationRow;
pub use config_version::ConfigVersion;
pub use dashboard::{Dashboard, DashboardQuery, EstimateVsActual, SpendLine};
pub use dedup::{CanonicalRequest, Reusable, dedup_key};
pub use drift::{DriftDecision, DriftSample};
pub use error::{Result, StoreError};
pub use export::{
    ExportedGeneration, a1111_parameters, export_stem, safe_join, sanitize_file_name,
};
pub use files::{StoredFile, SweepReport};
pub use gallery::{Cursor, GalleryPage, GalleryQuery, SearchQuery, Thumb};
pub use gateways::{GatewayHeader, GatewayModel, GatewayRow};
pub use generations::{
    AttemptFinish, AttemptRecord, GenerationDetail, GenerationRecord, NewAttempt, NewGeneration,
    RemoteJobAttempt, RunningGeneration,
};
pub use images::{Board, ImageRecord};
pub use inputs::{Blob, CanonicalInputs, InputRecord, InputUse};
pub use invoice::{SpendItem, SpendKind};
pub use ledger::{BudgetWarning, ProjectSummary, ReservationOutcome, Settlement};
pub use projects::{Budget, NewProject, Policy, Project};
pub use schema::{SCHEMA_VERSION, migrations};
pub use search::{SearchPlan, fts_query, search_plan};
pub use settle::{CallSettle, Claim, NewImage, SettledGeneration, UnconfirmedCharge};
pub use team_import::SharedMeta;
pub use types::{BudgetPeriod, GenerationId, Moderation, ProjectId, Status, Tier};

const DB_FILE: &str = "proofsheet.sqlite3";
const MAX_IDLE_READERS: usize = 8;

/// How to open a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Run the file sweep at open.
    pub sweep: bool,
    /// Temp and orphan files younger than this are left alone: another process (the CLI
    /// beside the app) may have renamed a file whose row is about to commit.
    pub sweep_grace: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            sweep: true,
            sweep_grace: Duration::from_secs(60),
        }
    }
}

/// Handle to the library. `Clone + Send + Sync`; clones share connections.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// Stopped first, as the store closes (`Drop for Inner` then indexes what is left).
    /// `None` on a read-only store, or when its thread could not be started (searches
    /// index the queue then).
    indexer: Option<search_index::Indexer>,
    /// Joined while the writer (and its `-wal` file) is still open.
    /// `None` on a read-only store, or when its thread could not be started (the `sent`
    /// commit then syncs in line).
    wal_sync: Option<wal_sync::WalSyncer>,
    root: PathBuf,
    db_path: PathBuf,
    /// Dropped before the writer: the last connection to close checkpoints the WAL and
    /// removes `-wal`/`-shm`, which a read-only connection cannot do.
    readers: Mutex<Vec<Connection>>,
    /// `None`: a read-only library (every write is refused with [`StoreError::ReadOnly`]).
    /// Shared with the search indexer's thread.
    writer: Option<Arc<Mutex<Connection>>>,
    read_target: open::ReadTarget,
    sweep: Mutex<SweepReport>,
    /// The verdict of the integrity check run before this process first reserves money.
    soundness: Mutex<Option<std::result::Result<(), String>>>,
}

impl Drop for Inner {
    /// Images still queued for search are indexed as the library closes, so a library
    /// opened read-only later finds them too.
    fn drop(&mut self) {
        self.indexer.take();
        if let Some(w) = &self.writer
            && let Err(e) = search_index::index_pending(&mut w.lock())
        {
            tracing::warn!("could not index new images for search: {e}");
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.inner.root)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the library in `data_dir`, migrates it and sweeps files.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(data_dir, OpenOptions::default())
    }

    /// Opens the library. A folder that cannot be written opens read-only: it can be
    /// browsed, and every write is refused with [`StoreError::ReadOnly`].
    pub fn open_with(data_dir: impl AsRef<Path>, options: OpenOptions) -> Result<Store> {
        Store::open_impl(data_dir.as_ref(), options, false)
    }

    /// Opens the library read-only even when it could be written (nothing is migrated,
    /// swept or changed).
    pub fn open_read_only(data_dir: impl AsRef<Path>) -> Result<Store> {
        Store::open_impl(data_dir.as_ref(), OpenOptions::default(), true)
    }

    fn open_impl(root: &Path, options: OpenOptions, force_read_only: bool) -> Result<Store> {
        let root = root.to_path_buf();
        open::prepare_dir(&root)?;
        let db_path = root.join(DB_FILE);
        // Looked at read-only first: a newer database is refused untouched.
        let (found, read_target) = open::peek(&db_path)?;
        let lock = match force_read_only {
            true => None,
            false => open::lock_file(&root)?,
        };
        let writer = match lock {
            Some(lock) if open::db_writable(&db_path)? => Some(open::open_writer(&lock, &db_path)?),
            _ => {
                if !db_path.exists() {
                    return Err(StoreError::ReadOnly(root));
                }
                if found < SCHEMA_VERSION {
                    return Err(StoreError::MigrationFailed {
                        path: db_path,
                        from: found,
                        to: SCHEMA_VERSION,
                        reason: "the library is read-only".into(),
                    });
                }
                None
            }
        };
        if let Some(w) = &writer {
            config_version::install(w)?;
        }
        let writer = writer.map(|w| Arc::new(Mutex::new(w)));
        // What a killed process left queued is indexed now, before anyone searches. A
        // failure only warns: the queue stays, and the first search indexes it.
        if let Some(w) = &writer
            && let Err(e) = search_index::index_pending(&mut w.lock())
        {
            tracing::warn!("could not index new images for search: {e}");
        }
        let indexer = writer.as_ref().and_then(|w| {
            search_index::Indexer::spawn(w.clone())
                .map_err(|e| tracing::warn!("no background search indexing: {e}"))
                .ok()
        });
        let read_only = writer.is_none();
        // `immutable` (ignores the WAL) is only for a file nobody can be writing.
        let read_target = match read_only {
            true => read_target,
            false => open::ReadTarget::Path(db_path.clone()),
        };
        let wal_sync = match read_only {
            true => None,
            false => match wal_sync::WalSyncer::for_wal(&db_path) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!("no background WAL sync, `sent` syncs in line: {e}");
                    None
                }
            },
        };
        let store = Store {
            inner: Arc::new(Inner {
                indexer,
                wal_sync,
                root,
                db_path,
                writer,
                read_target,
                readers: Mutex::new(Vec::new()),
                sweep: Mutex::new(SweepReport::default()),
                soundness: Mutex::new(None),
            }),
        };
        if options.sweep && !read_only {
            let report = store.sweep(options.sweep_grace)?;
            if !report.missing_files.is_empty() {
                tracing::warn!(
                    missing = report.missing_files.len(),
                    "library rows whose image file is missing"
                );
            }
            *store.inner.sweep.lock() = report;
        }
        Ok(store)
    }

    /// True when the library was opened read-only (its folder cannot be written).
    pub fn is_read_only(&self) -> bool {
        self.inner.writer.is_none()
    }

    /// Starts [`Store::check_before_spending`] on a background thread, so its cost
    /// (0.5–2 s on a 100,000-image library, once per process) overlaps the work before
    /// the first reservation. Does nothing once a verdict exists, and never waits: while
    /// a check runs it holds the verdict's lock, and a caller on an async worker (every
    /// submit calls this) must not sit behind it (issue 17: 100 submits waited 1.9 s).
    pub fn start_check(&self) {
        let decided = match self.inner.soundness.try_lock() {
            Some(verdict) => verdict.is_some(),
            // A check is running.
            None => true,
        };
        if self.is_read_only() || decided {
            return;
        }
        let store = self.clone();
        let spawned = std::thread::Builder::new()
            .name("proofsheet-quick-check".into())
            .spawn(move || {
                let _ = store.check_before_spending();
            });
        if let Err(e) = spawned {
            tracing::debug!("integrity check runs in line: {e}");
        }
    }

    /// Refuses to go on with a damaged database: `PRAGMA quick_check`, run once per
    /// process (the verdict is kept), before the first reservation, so no money is spent
    /// on a library that could not record the result (F15).
    pub fn check_before_spending(&self) -> Result<()> {
        let mut verdict = self.inner.soundness.lock();
        if verdict.is_none() {
            *verdict = Some(self.read(open::quick_check)?);
        }
        match verdict.as_ref() {
            Some(Err(detail)) => Err(StoreError::Damaged {
                path: self.inner.db_path.clone(),
                detail: detail.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// The data directory this store lives in.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// Path of the SQLite file.
    pub fn db_path(&self) -> &Path {
        &self.inner.db_path
    }

    /// What the sweep at open found.
    pub fn open_sweep_report(&self) -> SweepReport {
        self.inner.sweep.lock().clone()
    }

    /// Absolute path of a path stored relative to the data dir.
    pub fn absolute(&self, relative: &str) -> PathBuf {
        self.inner.root.join(relative)
    }

    /// `PRAGMA integrity_check`; `Ok(())` when the database reports "ok".
    pub fn integrity_check(&self) -> Result<()> {
        self.read(|c| {
            let res: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if res == "ok" {
                Ok(())
            } else {
                Err(StoreError::Corrupt(format!("integrity_check: {res}")))
            }
        })
    }

    /// Runs `f` on a pooled read-only connection.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.inner.readers.lock().pop();
        let conn = match pooled {
            Some(c) => c,
            None => self.open_reader()?,
        };
        let out = f(&conn);
        let mut readers = self.inner.readers.lock();
        if readers.len() < MAX_IDLE_READERS {
            readers.push(conn);
        }
        out
    }

    fn open_reader(&self) -> Result<Connection> {
        let conn = open::reader(&self.inner.read_target)?;
        // No memory-mapped reads: every page a reader touched stayed mapped into the app
        // (the start-up file sweep and a scroll through the gallery touch them all: 113 MiB
        // of PSS on a 100k library). Pages are read from the OS's page cache instead.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -16_000i64)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the writer; commits on `Ok`.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let Some(writer) = &self.inner.writer else {
            return Err(StoreError::ReadOnly(self.inner.root.clone()));
        };
        let mut conn = writer.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        drop(conn);
        Ok(out)
    }

    /// [`Store::write`] whose commit survives a power cut as well as a killed process,
    /// for the `sent` row (lost, a billed call would be recorded as nothing). Commits
    /// with NORMAL (kill-safe at commit), then asks the background syncer to `fdatasync`
    /// the WAL without waiting for it: the sync overlaps the request the row protects.
    /// Without a syncer thread, the commit itself syncs (`synchronous = FULL`).
    pub(crate) fn write_then_sync<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let Some(syncer) = &self.inner.wal_sync else {
            return self.write_synced(f);
        };
        let out = self.write(f)?;
        syncer.request();
        Ok(out)
    }

    /// After a commit that wrote a `sent` row in a plain [`Store::write`]: asks the
    /// syncer for a WAL sync, or syncs in line when there is no syncer thread.
    pub(crate) fn request_wal_sync(&self) {
        match &self.inner.wal_sync {
            Some(s) => {
                s.request();
            }
            None => {
                if let Err(e) = wal_sync::sync_in_line(&self.inner.db_path) {
                    tracing::warn!("could not sync the library's WAL: {e}");
                }
            }
        }
    }

    /// [`Store::write`] with `synchronous = FULL` for this one commit (the WAL is synced
    /// before it returns), back to NORMAL afterwards. Only where no syncer thread runs.
    fn write_synced<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let Some(writer) = &self.inner.writer else {
            return Err(StoreError::ReadOnly(self.inner.root.clone()));
        };
        let mut conn = writer.lock();
        conn.pragma_update(None, "synchronous", "FULL")?;
        let out = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        // Back to NORMAL even when the transaction failed; if even that fails, the
        // connection stays on FULL (slower, never less safe).
        let _ = conn.pragma_update(None, "synchronous", "NORMAL");
        out
    }

    /// WAL syncs this store's background syncer has run (tests and benches count them,
    /// as `engine::blocking_hops` counts hops).
    #[doc(hidden)]
    pub fn wal_syncs(&self) -> u64 {
        self.inner
            .wal_sync
            .as_ref()
            .map_or(0, |s| s.shared().syncs())
    }

    /// Blocks until every WAL sync requested so far has run, without asking for one
    /// (tests; a clean shutdown does not need it: dropping the store syncs what is
    /// pending).
    #[doc(hidden)]
    pub fn wait_wal_synced(&self) {
        if let Some(s) = &self.inner.wal_sync {
            s.wait(s.last_ticket());
        }
    }

    /// Says that images were stored: the background indexer adds them to the search
    /// indexes once the burst is over (see `search_index.rs`).
    pub(crate) fn index_soon(&self) {
        if let Some(i) = &self.inner.indexer {
            i.announce();
        }
    }

    /// Indexes every image queued for search, so a search sees all of them. A read-only
    /// store cannot: it searches what was indexed (a writable open or close indexes the
    /// rest).
    /// When indexing fails (a long write by another process, say), the search still runs
    /// over what is indexed: a search never fails for this.
    pub(crate) fn index_queued(&self) {
        let Some(writer) = &self.inner.writer else {
            return;
        };
        let indexed = self
            .read(search_index::has_pending)
            .and_then(|pending| match pending {
                true => search_index::index_pending(&mut writer.lock()).map(drop),
                false => Ok(()),
            });
        if let Err(e) = indexed {
            tracing::warn!("could not index new images before a search: {e}");
        }
    }

    /// Batches of new images the background indexer has indexed (tests).
    #[doc(hidden)]
    pub fn search_index_batches(&self) -> u64 {
        self.inner
            .indexer
            .as_ref()
            .map_or(0, search_index::Indexer::batches)
    }

    /// SQLite's `data_version` on the writer: it moves only when another connection
    /// committed to the library (another process such as the CLI, or a second `Store`),
    /// never for this store's own writes. Compare two readings to learn of outside
    /// writes. `None` on a read-only store (it has no writer connection to ask).
    pub fn outside_write_version(&self) -> Result<Option<i64>> {
        let Some(writer) = &self.inner.writer else {
            return Ok(None);
        };
        let conn = writer.lock();
        Ok(Some(
            conn.query_row("PRAGMA data_version", [], |r| r.get(0))?,
        ))
    }
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod synced_tests {
    use super::*;

    fn synchronous(c: &Connection) -> i64 {
        c.query_row("PRAGMA synchronous", [], |r| r.get(0))
            .expect("pragma")
    }

    #[test]
    fn a_synced_write_commits_with_full_and_the_writer_goes_back_to_normal() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        let writer = || store.inner.writer.as_ref().expect("writer").lock();
        assert_eq!(synchronous(&writer()), 1, "NORMAL by default");
        let inside = store
            .write_synced(|tx| Ok(synchronous(tx)))
            .expect("synced write");
        assert_eq!(inside, 2, "FULL for the synced commit");
        assert_eq!(synchronous(&writer()), 1, "NORMAL again after it");
        let failed: Result<()> = store.write_synced(|_| Err(StoreError::not_found("attempt", 1)));
        assert!(failed.is_err());
        assert_eq!(synchronous(&writer()), 1, "NORMAL again after a failed one");
        assert_eq!(store.write(|tx| Ok(synchronous(tx))).expect("write"), 1);
    }

    #[test]
    fn a_sent_style_write_commits_normal_requests_a_background_sync_and_close_stops_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        let shared = store
            .inner
            .wal_sync
            .as_ref()
            .expect("a writable store has a syncer")
            .shared()
            .clone();
        let before = store.wal_syncs();
        for _ in 0..10 {
            let inside = store
                .write_then_sync(|tx| Ok(synchronous(tx)))
                .expect("write");
            assert_eq!(inside, 1, "the commit itself is NORMAL");
        }
        store.wait_wal_synced();
        let syncs = store.wal_syncs() - before;
        assert!((1..=10).contains(&syncs), "{syncs} syncs for 10 requests");
        let clone = store.clone();
        drop(store);
        assert!(!shared.exited(), "a clone keeps the syncer");
        drop(clone);
        assert!(shared.exited(), "closing the store ends its thread");
    }
}

#[cfg(test)]
mod check_tests {
    use super::*;

    /// Every submit calls `start_check`: while a check runs (and holds the verdict), it
    /// must return at once, not wait for the check (the app's async workers call it).
    #[test]
    fn start_check_returns_while_a_check_holds_the_verdict() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(dir.path()).expect("open");
        let running_check = store.inner.soundness.lock();
        let (tx, rx) = std::sync::mpsc::channel();
        let s = store.clone();
        std::thread::spawn(move || {
            s.start_check();
            let _ = tx.send(());
        });
        let returned = rx.recv_timeout(Duration::from_secs(30));
        drop(running_check);
        assert!(returned.is_ok(), "start_check waited for the running check");
        store
            .check_before_spending()
            .expect("a new library is sound");
    }
}
