//! Instance leases: which engine processes are alive on a data dir.
//!
//! Every `Engine` holds an exclusive lock on `instances/<id>.lock` for its lifetime and
//! stamps its id on the generations it sets running. Recovery reconciles a running
//! generation only when its owner's lock file is missing or can be locked (flock
//! semantics: the OS drops the lock of a dead process; a second open file description
//! conflicts even inside one process). A lock file is created under a temporary name,
//! locked, then renamed into place, so a `.lock` file is never seen unlocked while its
//! owner lives.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{EngineError, Result};

const DIR: &str = "instances";
const EXT: &str = "lock";

pub(crate) struct Lease {
    id: String,
    /// `None` for a read-only library: nothing can run there, so nothing needs a lease.
    held: Option<(PathBuf, File)>,
}

fn lease_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(DIR)
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> EngineError {
    EngineError::internal(format!("cannot {what} {}: {e}", path.display())).caused_by(e)
}

impl Lease {
    /// Creates and locks this instance's lock file.
    pub fn acquire(data_dir: &Path) -> Result<Lease> {
        let dir = lease_dir(data_dir);
        std::fs::create_dir_all(&dir).map_err(|e| io_err("create", &dir, e))?;
        let id = uuid::Uuid::new_v4().to_string();
        let tmp = dir.join(format!("{id}.tmp"));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| io_err("create the lock file", &tmp, e))?;
        file.try_lock()
            .map_err(|e| EngineError::internal(format!("cannot lock {}: {e}", tmp.display())))?;
        let path = dir.join(format!("{id}.{EXT}"));
        std::fs::rename(&tmp, &path).map_err(|e| io_err("rename the lock file", &tmp, e))?;
        Ok(Lease {
            id,
            held: Some((path, file)),
        })
    }

    /// An id with no lock file, for a library opened read-only.
    pub fn read_only() -> Lease {
        Lease {
            id: uuid::Uuid::new_v4().to_string(),
            held: None,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Nothing of ours runs any more; the next recovery may take our jobs at once.
        if let Some((path, _)) = &self.held {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Whether the instance that owns a generation is still alive.
pub(crate) enum Owner {
    Alive,
    /// Dead. Holds its lock file (locked by us) while we take over its generations;
    /// `None` when the file is already gone.
    Dead(Option<DeadLease>),
}

/// The lock file of a dead instance, locked by us; removed on drop.
pub(crate) struct DeadLease {
    path: PathBuf,
    _file: File,
}

impl Drop for DeadLease {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Ids are UUIDs; anything else cannot name a lock file (and must not build a path).
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn probe_path(path: PathBuf) -> Result<Owner> {
    let file = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Owner::Dead(None)),
        Err(e) => return Err(io_err("open the lock file", &path, e)),
    };
    match file.try_lock() {
        Ok(()) => Ok(Owner::Dead(Some(DeadLease { path, _file: file }))),
        Err(TryLockError::WouldBlock) => Ok(Owner::Alive),
        Err(TryLockError::Error(e)) => Err(io_err("lock", &path, e)),
    }
}

/// Checks the lease of instance `owner`.
pub(crate) fn probe(data_dir: &Path, owner: &str) -> Result<Owner> {
    if !valid_id(owner) {
        return Ok(Owner::Dead(None));
    }
    probe_path(lease_dir(data_dir).join(format!("{owner}.{EXT}")))
}

/// Removes lock files left by dead instances (whatever they owned is reconciled as
/// "owner missing"). Returns how many were removed.
pub(crate) fn sweep(data_dir: &Path, me: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(lease_dir(data_dir)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_lock = path.extension().is_some_and(|e| e == EXT);
        let mine = path.file_stem().is_some_and(|s| s == me);
        if !is_lock || mine {
            continue;
        }
        if let Ok(Owner::Dead(Some(dead))) = probe_path(path) {
            drop(dead);
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_lease_is_alive_and_a_dropped_one_is_dead() {
        let dir = tempfile::tempdir().expect("tmp");
        let a = Lease::acquire(dir.path()).expect("lease");
        assert!(matches!(probe(dir.path(), a.id()), Ok(Owner::Alive)));
        let id = a.id().to_owned();
        drop(a);
        assert!(matches!(probe(dir.path(), &id), Ok(Owner::Dead(None))));
        assert!(matches!(probe(dir.path(), "../x"), Ok(Owner::Dead(None))));
    }

    #[test]
    fn a_stale_lock_file_is_dead_and_swept() {
        let dir = tempfile::tempdir().expect("tmp");
        let me = Lease::acquire(dir.path()).expect("lease");
        let live = Lease::acquire(dir.path()).expect("lease");
        // A killed process leaves its file behind, unlocked.
        let stale = lease_dir(dir.path()).join("0000dead.lock");
        std::fs::write(&stale, b"").expect("stale");
        assert!(matches!(
            probe(dir.path(), "0000dead"),
            Ok(Owner::Dead(Some(_)))
        ));
        assert!(!stale.exists(), "a reclaimed lock file is removed");
        std::fs::write(&stale, b"").expect("stale");
        assert_eq!(sweep(dir.path(), me.id()), 1);
        assert!(!stale.exists());
        assert!(matches!(probe(dir.path(), live.id()), Ok(Owner::Alive)));
        assert!(matches!(probe(dir.path(), me.id()), Ok(Owner::Alive)));
    }
}
