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

/// The folder holding a stored image or thumbnail, for "show in the file manager": only
/// a file under the library's `images/` or `thumbs/` folder, named without `..`, so the
/// webview cannot have an arbitrary folder opened.
pub fn stored_image_folder(data_dir: &Path, path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    if path
        .components()
        .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
    {
        return None;
    }
    let inside = ["images", "thumbs"]
        .iter()
        .any(|f| path.starts_with(data_dir.join(f)));
    let folder = path.parent()?;
    (inside && folder != data_dir).then(|| folder.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_in_the_library_image_folders_are_revealed() {
        let lib = Path::new("/home/d/.local/share/com.proofsheet.dev");
        let img = lib.join("images/ab/abcd.png");
        assert_eq!(stored_image_folder(lib, &img), Some(lib.join("images/ab")));
        assert!(stored_image_folder(lib, &lib.join("thumbs/ab/abcd.webp")).is_some());
        for bad in [
            lib.join("images/../../../etc/passwd"),
            lib.join("library.sqlite"),
            PathBuf::from("/etc/passwd"),
            lib.join("images"),
            PathBuf::from("images/ab/abcd.png"),
        ] {
            assert_eq!(stored_image_folder(lib, &bad), None, "{}", bad.display());
        }
    }
}
