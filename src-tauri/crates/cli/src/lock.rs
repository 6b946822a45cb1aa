//! Who may reconcile jobs left running. The engine's start-up recovery treats every
//! generation still marked running (and not owned by this process) as abandoned, so two
//! CLI processes on one data dir (a batch script running `generate` in parallel) must
//! not recover each other's live jobs. Every process holds a shared lock on
//! `cli-alive.lock` for its lifetime; only a process that finds no other one alive (an
//! exclusive lock succeeds) and is the only recoverer (`cli-recover.lock`) recovers.
//! The OS drops the locks of a killed process, so a SIGKILLed job is recovered next time.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::exit::{CliError, CliResult};

pub struct DataDirLock {
    alive: File,
    /// The alive lock is still exclusive until `opened` (recovery reads its list first).
    exclusive: bool,
    /// Held while this process may recover (kept until exit).
    _recover: Option<File>,
    pub may_recover: bool,
}

fn open(path: &Path) -> CliResult<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| {
            CliError::general(format!("cannot open the lock file {}: {e}", path.display()))
        })
}

fn try_exclusive(f: &File) -> CliResult<bool> {
    match f.try_lock() {
        Ok(()) => Ok(true),
        Err(TryLockError::WouldBlock) => Ok(false),
        Err(TryLockError::Error(e)) => Err(CliError::general(format!(
            "cannot lock the data folder: {e}"
        ))),
    }
}

/// Takes the locks. With `wait_for_others` (the `recover` command) it waits until no
/// other CLI process is running instead of skipping recovery.
pub fn acquire(data_dir: &Path, wait_for_others: bool) -> CliResult<DataDirLock> {
    std::fs::create_dir_all(data_dir).map_err(|e| {
        CliError::general(format!(
            "cannot create the data folder {}: {e}",
            data_dir.display()
        ))
    })?;
    let alive = open(&data_dir.join("cli-alive.lock"))?;
    let recover = open(&data_dir.join("cli-recover.lock"))?;
    let lock_err =
        |e: std::io::Error| CliError::general(format!("cannot lock the data folder: {e}"));

    let mut have_recover = try_exclusive(&recover)?;
    if !have_recover && wait_for_others {
        eprintln!("[proofsheet] waiting for another proofsheet-cli to finish recovering…");
        recover.lock().map_err(lock_err)?;
        have_recover = true;
    }
    let alone = if !have_recover {
        false
    } else if wait_for_others {
        if !try_exclusive(&alive)? {
            eprintln!(
                "[proofsheet] waiting for other proofsheet-cli processes on this data folder to finish…"
            );
            alive.lock().map_err(lock_err)?;
        }
        true
    } else {
        try_exclusive(&alive)?
    };
    if !alone {
        alive.lock_shared().map_err(lock_err)?;
    }
    let recover = if alone {
        Some(recover)
    } else {
        if have_recover {
            recover.unlock().map_err(lock_err)?;
        }
        None
    };
    Ok(DataDirLock {
        alive,
        exclusive: alone,
        _recover: recover,
        may_recover: alone,
    })
}

impl DataDirLock {
    /// Call once the engine is open (its recovery pass started): other CLI processes
    /// may start now; their jobs begin after our recovery read the abandoned ones.
    pub fn opened(&mut self) -> CliResult<()> {
        if std::mem::take(&mut self.exclusive) {
            let lock_err =
                |e: std::io::Error| CliError::general(format!("cannot lock the data folder: {e}"));
            self.alive.unlock().map_err(lock_err)?;
            self.alive.lock_shared().map_err(lock_err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lone_process_may_recover() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut first = acquire(dir.path(), false).expect("first");
        assert!(first.may_recover);
        first.opened().expect("downgrade");
        // A second one (same semantics across processes: flock-style locks are per
        // open file description) sees the first alive and skips recovery.
        let second = acquire(dir.path(), false).expect("second");
        assert!(!second.may_recover);
        drop(first);
        drop(second);
        let third = acquire(dir.path(), false).expect("third");
        assert!(third.may_recover, "locks of finished processes are gone");
    }
}
