//! The UI's browser fake (`ui/src/lib/api/fake/`) answers from fixtures recorded here
//! from the real engine: the bundled catalog's offers, real estimates for a few fixed
//! requests, the real validation limits and error texts, default settings. The checked-in
//! files must match what the engine says today; `make bindings` rewrites them
//! (PROOFSHEET_BLESS=1, exactly like the bindings check: this test's name contains
//! "bindings" so the same filter regenerates and checks both).
//!
//! The recording runs in a child process of this test binary with a cleared environment
//! and `PROOFSHEET_CATALOG_DATE` pinned: lifecycle (shut-down models) is read once per
//! process from that variable, and no key or base URL of the machine may leak in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use engine::{Engine, EngineConfig, EngineOptions, RecoveryMode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const FIXTURES_DIR: &str = "ui/src/lib/api/fixtures";
const OUT_VAR: &str = "PROOFSHEET_FIXTURES_OUT";
/// The day lifecycle is judged on, as in every other test (gpt-image-1-mini shuts down
/// 2026-12-01).
const CATALOG_DATE: &str = "2026-11-29";
/// Providers the fake starts with keys for (its seeded Settings → Keys).
const KEYED: [&str; 5] = ["openai", "bfl", "fal", "stability", "google"];
const PROMPT: &str = "a lighthouse at dusk, long exposure";

#[test]
fn bindings_for_the_ui_fake_are_fresh() {
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURES_DIR);
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = std::env::current_exe().expect("test binary path");
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "fake_fixtures::record",
            "--ignored",
            "--test-threads=1",
        ])
        .env_clear()
        .env("PROOFSHEET_CATALOG_DATE", CATALOG_DATE)
        .env(OUT_VAR, dir.path())
        .output()
        .expect("run the recorder");
    assert!(
        out.status.success(),
        "recording the fake's fixtures failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut fresh: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .expect("read recorded fixtures")
        .map(|e| e.expect("dir entry").path())
        .collect();
    fresh.sort();
    assert!(!fresh.is_empty(), "the recorder wrote nothing");
    // Stale: a recorded file differs from (or is missing in) the checked-in copy, or a
    // checked-in file is no longer recorded (the fake would read old data).
    let names: Vec<_> = fresh.iter().filter_map(|p| p.file_name()).collect();
    let mut stale: Vec<PathBuf> = fresh
        .iter()
        .filter(|p| {
            let target = checked_in.join(p.file_name().unwrap_or_default());
            std::fs::read_to_string(target).ok() != std::fs::read_to_string(p).ok()
        })
        .cloned()
        .collect();
    let extra: Vec<PathBuf> = std::fs::read_dir(&checked_in)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| !names.contains(&e.file_name().as_os_str()))
        .map(|e| e.path())
        .collect();
    if stale.is_empty() && extra.is_empty() {
        return;
    }
    // As the bindings check: blessing rewrites the files and still fails, so a
    // PROOFSHEET_BLESS left set never turns this into a writer that passes; in CI it
    // never writes at all.
    let bless = std::env::var_os("PROOFSHEET_BLESS").is_some();
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let listed = stale
        .iter()
        .map(|p| checked_in.join(p.file_name().unwrap_or_default()))
        .chain(extra.iter().cloned())
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if bless && !ci {
        std::fs::create_dir_all(&checked_in).expect("create fixtures dir");
        for path in stale.drain(..) {
            let target = checked_in.join(path.file_name().unwrap_or_default());
            std::fs::copy(&path, target).expect("write fixture");
        }
        for path in &extra {
            std::fs::remove_file(path).expect("remove old fixture");
        }
        panic!(
            "the UI fake's fixtures were rewritten ({listed}): review and commit them (the next run passes)"
        );
    }
    panic!(
        "the UI fake's fixtures are stale ({listed}): run `make bindings` and commit the result{}",
        if bless {
            " (PROOFSHEET_BLESS is ignored in CI)"
        } else {
            ""
        }
    );
}

/// The recorder; only the freshness test above runs it (in a clean child process).
#[test]
#[ignore = "run by bindings_for_the_ui_fake_are_fresh in a clean environment"]
fn record() {
    let out = PathBuf::from(std::env::var_os(OUT_VAR).expect("PROOFSHEET_FIXTURES_OUT"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(record_into(&out));
}

async fn record_into(out: &Path) {
    let data = tempfile::tempdir().expect("temp data dir");
    let engine = open(data.path()).await;
    let mut fixtures = Fixtures::default();

    write(out, "offers.json", &pretty(&to_value(&engine.offers())));
    write(out, "estimates.json", &estimates(&engine).await);
    write(out, "inputs.json", &pretty(&inputs(&engine).await));

    fixtures.limits(&engine).await;
    fixtures.errors(&engine).await;
    fixtures.state(&engine, data.path()).await;
    write(out, "engine.json", &pretty(&json!(fixtures.0)));
}

async fn open(dir: &Path) -> Engine {
    let keys = KEYED
        .iter()
        .map(|p| ((*p).to_owned(), "sk-fixture-not-a-real-key-0000".to_owned()))
        .collect();
    let config = EngineConfig {
        data_dir: dir.to_path_buf(),
        // A test service nobody stores under (the recorder's cleared environment cannot
        // reach a keyring anyway); keys are injected, so none is asked for.
        keychain_service: format!("com.proofsheet.test.fixtures.{}", std::process::id()),
    };
    let options = EngineOptions {
        keys,
        recovery: RecoveryMode::Manual,
        ..EngineOptions::default()
    };
    Engine::open_with(config, options)
        .await
        .expect("open engine")
}

fn params(extra: Value) -> Value {
    let mut p = json!({
        "prompt": PROMPT, "negative_prompt": null, "width": 1024, "height": 1024,
        "quality": null, "n": 1, "steps": null, "seed": null,
    });
    if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
        p.extend(extra.clone());
    }
    p
}

mod errors;
mod facts;
mod requests;

use requests::{estimates, inputs};

/// What the recorder writes to `engine.json`, by section.
#[derive(Default)]
struct Fixtures(BTreeMap<&'static str, Value>);

/// The error exactly as it crosses IPC (the shell's `AppError`).
#[track_caller]
fn err<T: std::fmt::Debug>(r: engine::Result<T>) -> Value {
    let e = r.expect_err("the engine must refuse this probe");
    to_value(&proofsheet_lib::AppError::from(e))
}

fn template(mut error: Value, subs: &[(&str, &str)]) -> Value {
    let msg = error["message"].as_str().unwrap_or_default().to_owned();
    let mut t = msg.clone();
    for (value, slot) in subs {
        assert!(
            t.contains(value),
            "`{value}` is not in the engine's message: {msg}"
        );
        t = t.replacen(value, slot, 1);
    }
    error["message"] = json!(t);
    error
}

fn replace_str(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) => *s = s.replace(from, to),
        Value::Array(a) => a.iter_mut().for_each(|x| replace_str(x, from, to)),
        Value::Object(o) => o.values_mut().for_each(|x| replace_str(x, from, to)),
        _ => {}
    }
}

fn from<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("IPC input shape")
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("serialize")
}

fn pretty(v: &Value) -> String {
    format!("{}\n", serde_json::to_string_pretty(v).expect("json"))
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write fixture");
}
