//! Opening a data dir safely: the folder check, a read-only look at the database before
//! anything writes to it, one process at a time through configure + migrate (a lock
//! file), read-only libraries, retries on a busy database, and the integrity check
//! before money is reserved.

use std::fs::{File, OpenOptions as FsOpen};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::{Result, StoreError};
use crate::schema;

/// Held (flock) while a process configures and migrates the database, so concurrent
/// first opens never run the same migration twice (F11). The file stays; deleting a
/// lock file races with the next locker.
const LOCK_FILE: &str = ".proofsheet-open.lock";

/// Creates the folder if missing; a file, device or a path through a file is refused.
pub(crate) fn prepare_dir(root: &Path) -> Result<()> {
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(StoreError::NotAFolder(root.to_path_buf())),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            std::fs::create_dir_all(root).map_err(|e| match e.kind() {
                ErrorKind::NotADirectory | ErrorKind::AlreadyExists => {
                    StoreError::NotAFolder(root.to_path_buf())
                }
                _ => StoreError::io(root, e),
            })
        }
        Err(e) if e.kind() == ErrorKind::NotADirectory => {
            Err(StoreError::NotAFolder(root.to_path_buf()))
        }
        Err(e) => Err(StoreError::io(root, e)),
    }
}

fn is_read_only_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied
    ) || e.raw_os_error() == Some(1) // EPERM
}

/// The open lock file, or `None` when the folder cannot be written (read-only library).
pub(crate) fn lock_file(root: &Path) -> Result<Option<File>> {
    let path = root.join(LOCK_FILE);
    match FsOpen::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
    {
        Ok(f) => Ok(Some(f)),
        Err(e) if is_read_only_error(&e) => Ok(None),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

/// Whether the database file (when present) can be opened for writing.
pub(crate) fn db_writable(db: &Path) -> Result<bool> {
    match FsOpen::new().write(true).open(db) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(true),
        Err(e) if is_read_only_error(&e) => Ok(false),
        Err(e) => Err(StoreError::io(db, e)),
    }
}

/// `file:` URI of a path, percent-encoded, with `immutable=1`: how a WAL database on a
/// read-only medium with no `-shm` file is read at all.
fn immutable_uri(db: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut uri = String::from("file:");
    for &b in db.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// What read connections open: the path, or an immutable URI for a read-only WAL file.
#[derive(Debug, Clone)]
pub(crate) enum ReadTarget {
    Path(PathBuf),
    Immutable(String),
}

pub(crate) fn reader(target: &ReadTarget) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = match target {
        ReadTarget::Path(p) => Connection::open_with_flags(p, flags)?,
        ReadTarget::Immutable(uri) => {
            Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)?
        }
    };
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

fn user_version(c: &Connection) -> rusqlite::Result<i64> {
    c.pragma_query_value(None, "user_version", |r| r.get(0))
}

/// Reads `user_version` through a read-only connection, before anything writes to the
/// file (F18): a newer or nonsensical version is refused untouched. A missing or empty
/// file is version 0. Returns the version and how readers should open the file.
pub(crate) fn peek(db: &Path) -> Result<(i64, ReadTarget)> {
    let plain = ReadTarget::Path(db.to_path_buf());
    let empty = std::fs::metadata(db).map(|m| m.len() == 0);
    match empty {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok((0, plain)),
        Err(e) => return Err(StoreError::io(db, e)),
        Ok(true) => return Ok((0, plain)),
        Ok(false) => {}
    }
    let found = match reader(&plain).and_then(|c| user_version(&c)) {
        Ok(v) => (v, plain),
        // A WAL file with no -shm beside it on a read-only medium opens only as immutable.
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::CannotOpen) => {
            let t = ReadTarget::Immutable(immutable_uri(db));
            let v = reader(&t)
                .and_then(|c| user_version(&c))
                .map_err(|e| damaged_or(db, e))?;
            (v, t)
        }
        Err(e) => return Err(damaged_or(db, e)),
    };
    schema::check_version(db, found.0)?;
    Ok(found)
}

/// A file that is not a database, or a malformed one, is named as damaged; anything
/// else stays a database error.
pub(crate) fn damaged_or(db: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Damaged {
            path: db.to_path_buf(),
            detail: e.to_string(),
        },
        _ => StoreError::Sqlite(e),
    }
}

fn is_busy(e: &StoreError) -> bool {
    let code = match e {
        StoreError::Sqlite(e) => e.sqlite_error_code(),
        StoreError::Migration(rusqlite_migration::Error::RusqliteError { err, .. }) => {
            err.sqlite_error_code()
        }
        _ => None,
    };
    matches!(
        code,
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// Opens the writer under the lock file: configure (WAL), then migrate, which re-reads
/// the version now that no other process can be migrating. A busy database (another
/// process checkpointing or recovering the WAL) is retried with backoff.
pub(crate) fn open_writer(lock: &File, db: &Path) -> Result<Connection> {
    let mut delay = Duration::from_millis(20);
    let mut tries = 0;
    loop {
        let result = (|| {
            lock.lock()
                .map_err(|e| StoreError::io(PathBuf::from(LOCK_FILE), e))?;
            let out = (|| {
                let mut conn = Connection::open(db)?;
                schema::configure(&conn)?;
                schema::migrate(&mut conn, db)?;
                Ok(conn)
            })();
            let _ = lock.unlock();
            out
        })();
        match result {
            Err(e) if is_busy(&e) && tries < 8 => {
                tries += 1;
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(1));
            }
            other => return other,
        }
    }
}

/// `PRAGMA quick_check` on a read connection: `Ok(Ok(()))` when sound, `Ok(Err(detail))`
/// when damaged, `Err` when the check itself could not run (busy, IO): not a verdict.
pub(crate) fn quick_check(c: &Connection) -> Result<std::result::Result<(), String>> {
    let run = || -> rusqlite::Result<Vec<String>> {
        let mut st = c.prepare("PRAGMA quick_check(3)")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect()
    };
    let checked = run();
    // The check read every page of the library through this pooled connection's cache,
    // which no later query wants: give it back.
    let _ = c.execute_batch("PRAGMA shrink_memory");
    match checked {
        Ok(lines) if lines.len() == 1 && lines[0] == "ok" => Ok(Ok(())),
        Ok(lines) => Ok(Err(lines.join("; ").chars().take(300).collect())),
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
            ) =>
        {
            Ok(Err(e.to_string()))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escapes_what_a_uri_would_misread() {
        assert_eq!(
            immutable_uri(Path::new("/a b/x?#%.db")),
            "file:/a%20b/x%3F%23%25.db?immutable=1"
        );
    }
}
