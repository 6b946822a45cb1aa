//! The feed's files in the data dir (`catalog/`), written atomically (temp + rename) so
//! a crash never leaves half a catalog.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{EngineError, Result};

pub(crate) const PENDING: &str = "pending.json";
pub(crate) const ACTIVE: &str = "active.json";
pub(crate) const PREVIOUS: &str = "previous.json";

pub(crate) fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("catalog")
}

pub(crate) fn sig_name(name: &str) -> String {
    format!("{name}.sig")
}

pub(crate) fn read(dir: &Path, name: &str) -> Result<Option<Vec<u8>>> {
    match std::fs::read(dir.join(name)) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(dir, name, &e)),
    }
}

pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "", &e))?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp).map_err(|e| io_error(dir, name, &e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| io_error(dir, name, &e))?;
    std::fs::rename(&tmp, dir.join(name)).map_err(|e| io_error(dir, name, &e))
}

pub(crate) fn remove(dir: &Path, name: &str) -> Result<()> {
    match std::fs::remove_file(dir.join(name)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(dir, name, &e)),
    }
}

fn io_error(dir: &Path, name: &str, e: &std::io::Error) -> EngineError {
    EngineError::internal(format!(
        "cannot write the catalog file {}: {e}; check that the data folder is writable",
        dir.join(name).display()
    ))
}
