//! SQLite ledger and gallery, content-addressed image files, dedup keys.
//!
//! [`Store`] is a cheap-to-clone handle over one data directory:
//! `proofsheet.sqlite3` (WAL), `images/ab/cd/<sha256>.<ext>` and `thumbs/ab/cd/<sha256>.jpg`.
//! Its API is synchronous: call it from `spawn_blocking`. Writes go through one writer
//! connection (behind a mutex, every write transaction `BEGIN IMMEDIATE` so other processes
//! such as the CLI serialize too); reads use a small pool of read-only connections.

mod calibration;
mod dashboard;
mod dedup;
mod error;
mod export;
mod files;
mod gallery;
mod generations;
mod images;
mod ledger;
mod money;
mod projects;
mod schema;
mod search;
mod thumbs;
mod types;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use calibration::CalibrationRow;
pub use dashboard::{Dashboard, DashboardQuery, EstimateVsActual, SpendLine};
pub use dedup::{CanonicalRequest, Reusable, dedup_key};
pub use error::{Result, StoreError};
pub use export::{
    ExportedGeneration, a1111_parameters, export_stem, safe_join, sanitize_file_name,
};
pub use files::{StoredFile, SweepReport};
pub use gallery::{Cursor, GalleryPage, GalleryQuery, SearchQuery, Thumb};
pub use generations::{
    AttemptFinish, AttemptRecord, GenerationDetail, GenerationRecord, NewAttempt, NewGeneration,
    RunningGeneration,
};
pub use images::{Board, ImageRecord};
pub use ledger::{BudgetWarning, ProjectSummary, ReservationOutcome, Settlement};
pub use projects::{Budget, NewProject, Policy, Project};
pub use schema::{SCHEMA_VERSION, migrations};
pub use search::{SearchPlan, fts_query, search_plan};
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
    root: PathBuf,
    db_path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    sweep: Mutex<SweepReport>,
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

    pub fn open_with(data_dir: impl AsRef<Path>, options: OpenOptions) -> Result<Store> {
        let root = data_dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&root).map_err(|e| StoreError::io(&root, e))?;
        let db_path = root.join(DB_FILE);
        let mut writer = Connection::open(&db_path)?;
        schema::configure(&writer)?;
        schema::migrate(&mut writer, &db_path)?;
        let store = Store {
            inner: Arc::new(Inner {
                root,
                db_path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                sweep: Mutex::new(SweepReport::default()),
            }),
        };
        if options.sweep {
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
        let conn = Connection::open_with_flags(
            &self.inner.db_path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // Memory-mapped reads avoid a syscall per page on large libraries.
        conn.pragma_update(None, "mmap_size", 1024i64 * 1024 * 1024)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -16_000i64)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the writer; commits on `Ok`.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.inner.writer.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
