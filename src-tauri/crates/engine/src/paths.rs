//! Where Proofsheet keeps its library and which keychain service holds its keys. The app
//! and `proofsheet-cli` both ask here, so they open one gallery, one ledger and one set
//! of keys, and a dev or test build never touches a designer's.

use std::path::{Path, PathBuf};

/// The bundle identifier of release builds (`tauri.conf.json` `identifier`; a test in
/// the shell holds the two equal).
pub const RELEASE_ID: &str = "com.proofsheet.app";
/// Dev and test builds (`make dev`, e2e, `cargo test`, a debug CLI).
pub const DEV_ID: &str = "com.proofsheet.dev";

/// The name data and keys are stored under for this build.
pub fn storage_id() -> &'static str {
    if cfg!(debug_assertions) {
        DEV_ID
    } else {
        RELEASE_ID
    }
}

/// The library folder inside the platform's data folder (Linux: `$XDG_DATA_HOME` or
/// `~/.local/share`) when neither `--data-dir` nor `PROOFSHEET_DATA_DIR` names one.
pub fn default_data_dir(platform_data_dir: &Path) -> PathBuf {
    platform_data_dir.join(storage_id())
}
