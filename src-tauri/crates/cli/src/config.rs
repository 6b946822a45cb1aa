//! Where the CLI keeps its data and which keychain service it uses: the same places as
//! the app, so the CLI and the window share one gallery, one ledger and one set of keys.

use std::path::{Path, PathBuf};

use engine::EngineConfig;

use crate::exit::{CliError, CliResult};

pub const KEYCHAIN_SERVICE_ENV: &str = "PROOFSHEET_KEYCHAIN_SERVICE";

/// `--data-dir` / `PROOFSHEET_DATA_DIR` (clap already merged them), else the platform's
/// data folder + the app identifier (Linux: `$XDG_DATA_HOME` or `~/.local/share`).
pub fn data_dir(explicit: Option<PathBuf>) -> CliResult<PathBuf> {
    if let Some(dir) = explicit.filter(|d| !d.as_os_str().is_empty()) {
        check_folder(&dir)?;
        return Ok(dir);
    }
    let base = dirs::data_dir().ok_or_else(|| {
        CliError::general(
            "cannot find this user's data folder (no HOME?); pass --data-dir DIR or set PROOFSHEET_DATA_DIR",
        )
    })?;
    Ok(engine::paths::default_data_dir(&base))
}

/// A data dir must be a folder, or not exist yet (it is created). A file, a device such
/// as /dev/null, or a path through a file is refused here, in the option's words.
fn check_folder(dir: &Path) -> CliResult<()> {
    let not_a_folder = match std::fs::metadata(dir) {
        Ok(m) => !m.is_dir(),
        Err(e) => e.kind() == std::io::ErrorKind::NotADirectory,
    };
    if not_a_folder {
        return Err(CliError::usage(format!(
            "--data-dir {} is not a folder; pass a folder (it is created if missing), or \
             unset PROOFSHEET_DATA_DIR to use the app's library",
            dir.display()
        )));
    }
    Ok(())
}

pub fn keychain_service() -> String {
    std::env::var(KEYCHAIN_SERVICE_ENV)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| engine::paths::storage_id().to_string())
}

/// `PROOFSHEET_POLL_INTERVAL_MS`: how often async provider jobs are polled (tests,
/// slow links). Out-of-range values are ignored.
pub fn poll_interval_ms() -> Option<u64> {
    std::env::var("PROOFSHEET_POLL_INTERVAL_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| (10..=60_000).contains(ms))
}

/// `PROOFSHEET_HTTP_TIMEOUT_MS`: the per-request provider timeout (tests of silent
/// providers, slow links). Out-of-range values are ignored (default 180 s).
pub fn http_timeout_ms() -> Option<u64> {
    std::env::var("PROOFSHEET_HTTP_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| (100..=600_000).contains(ms))
}

pub const CALLS_PER_PROVIDER_ENV: &str = "PROOFSHEET_MAX_CALLS_PER_PROVIDER";

/// `PROOFSHEET_MAX_CALLS_PER_PROVIDER`: calls at once per provider for this process,
/// over the library's setting (Settings → Providers in the app). Unlike the tuning
/// variables above, a bad value is refused: a cap that silently fell back to 8 would
/// hide why a batch runs slower than asked.
pub fn calls_per_provider() -> CliResult<Option<usize>> {
    parse_calls_per_provider(std::env::var(CALLS_PER_PROVIDER_ENV).ok().as_deref())
}

fn parse_calls_per_provider(raw: Option<&str>) -> CliResult<Option<usize>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match raw.parse::<usize>() {
        Ok(n) if (1..=256).contains(&n) => Ok(Some(n)),
        _ => Err(CliError::usage(format!(
            "{CALLS_PER_PROVIDER_ENV}={raw} is not a number from 1 to 256; set one, or unset it \
             to use the library's setting (default 8)"
        ))),
    }
}

pub fn engine_config(explicit_data_dir: Option<PathBuf>) -> CliResult<EngineConfig> {
    Ok(EngineConfig {
        data_dir: data_dir(explicit_data_dir)?,
        keychain_service: keychain_service(),
    })
}

/// Debug builds only (the CLI and e2e tests sign feeds with a throwaway key):
/// `PROOFSHEET_CATALOG_FEED_KEY` (64 hex digits) replaces the built-in public key.
/// Release builds never read it, so no environment can make them trust another key.
#[cfg(debug_assertions)]
pub fn catalog_feed_key() -> CliResult<Option<engine::feed::FeedKey>> {
    match std::env::var("PROOFSHEET_CATALOG_FEED_KEY") {
        Ok(v) if !v.trim().is_empty() => engine::feed::FeedKey::from_hex(&v)
            .map(Some)
            .map_err(|e| CliError::usage(format!("PROOFSHEET_CATALOG_FEED_KEY: {e}"))),
        _ => Ok(None),
    }
}

#[cfg(not(debug_assertions))]
pub fn catalog_feed_key() -> CliResult<Option<engine::feed::FeedKey>> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_per_provider_cap_takes_1_to_256_and_refuses_the_rest_by_name() {
        assert_eq!(parse_calls_per_provider(None).ok(), Some(None));
        assert_eq!(parse_calls_per_provider(Some(" ")).ok(), Some(None));
        assert_eq!(parse_calls_per_provider(Some("100")).ok(), Some(Some(100)));
        assert_eq!(parse_calls_per_provider(Some("256")).ok(), Some(Some(256)));
        for bad in ["0", "257", "-1", "eight"] {
            let e = parse_calls_per_provider(Some(bad)).expect_err(bad);
            assert!(
                e.message.contains(CALLS_PER_PROVIDER_ENV) && e.message.contains("1 to 256"),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn explicit_dir_wins_and_default_names_the_app() {
        let d = data_dir(Some(PathBuf::from("/tmp/x"))).expect("explicit");
        assert_eq!(d, PathBuf::from("/tmp/x"));
        if let Ok(d) = data_dir(None) {
            let name = d.file_name().map(|n| n.to_string_lossy().into_owned());
            assert_eq!(name.as_deref(), Some(engine::paths::storage_id()));
        }
    }

    #[test]
    fn a_file_is_not_a_folder() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").expect("write");
        for p in [file.clone(), file.join("sub"), PathBuf::from("/dev/null")] {
            let e = data_dir(Some(p)).expect_err("refused");
            assert!(e.message.contains("is not a folder"), "{}", e.message);
            assert_eq!(e.kind.code(), crate::exit::USAGE);
        }
        assert!(
            data_dir(Some(dir.path().join("new"))).is_ok(),
            "created later"
        );
    }

    /// The CLI shares the app's library and keys only if both name them alike: the
    /// storage id must be the identifier the app's config gives this build, and the
    /// release config must carry `engine::paths::RELEASE_ID`.
    #[test]
    fn the_storage_id_is_the_apps_identifier() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
        let release = std::fs::read_to_string(root.join("tauri.conf.json")).expect("config");
        let release: serde_json::Value = serde_json::from_str(&release).expect("JSON");
        assert_eq!(
            release["identifier"].as_str(),
            Some(engine::paths::RELEASE_ID)
        );
        let config = if cfg!(debug_assertions) {
            "src-tauri/tauri.dev.conf.json"
        } else {
            "tauri.conf.json"
        };
        let text = std::fs::read_to_string(root.join(config)).expect("the app's config");
        let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(
            json["identifier"].as_str(),
            Some(engine::paths::storage_id()),
            "{config}"
        );
    }
}
