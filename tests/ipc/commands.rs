//! Commands driven through tauri's mock runtime and the real invoke handler.

use serde_json::{Value, json};
use tauri::Manager;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;

pub(crate) struct TestApp {
    _data: tempfile::TempDir,
    pub(crate) _app: tauri::App<tauri::test::MockRuntime>,
    webview: tauri::WebviewWindow<tauri::test::MockRuntime>,
}

pub(crate) fn app() -> TestApp {
    let data = tempfile::tempdir().expect("temp dir");
    let app = proofsheet_lib::setup_with_data_dir(mock_builder(), Some(data.path().to_path_buf()))
        // The real context: our capabilities decide which commands the window may call.
        .build(tauri::generate_context!(test = true))
        .expect("build app");
    // One loop iteration runs `setup` (engine, state) and opens the configured window.
    let mut app = app;
    #[allow(deprecated)] // called once, not in a loop: `run_return` would block the test
    app.run_iteration(|_, _| {});
    let webview = app.get_webview_window("main").expect("main window");
    TestApp {
        _data: data,
        _app: app,
        webview,
    }
}

pub(crate) fn invoke(app: &TestApp, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().expect("url"),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(&app.webview, request).map(|b| b.deserialize::<Value>().expect("json body"))
}

#[test]
fn app_info_reports_the_throwaway_data_dir() {
    let app = app();
    let info = invoke(&app, "app_info", json!({})).expect("app_info");
    assert_eq!(info["channel"], "dev");
    assert_eq!(info["data_dir"], app._data.path().display().to_string());
}

#[test]
fn dev_and_test_builds_never_use_the_release_identifier() {
    assert_eq!(
        proofsheet_lib::channel_identifier("com.proofsheet.app"),
        "com.proofsheet.dev"
    );
    assert_eq!(
        proofsheet_lib::channel_identifier("com.proofsheet.dev"),
        "com.proofsheet.dev"
    );
}

#[test]
fn a_command_error_crosses_ipc_as_kind_and_message() {
    let app = app();
    let err = invoke(&app, "project_show", json!({ "name": "No such project" }))
        .expect_err("unknown project must fail");
    assert!(err["kind"].is_string(), "error without kind: {err}");
    assert!(
        err["message"].as_str().is_some_and(|m| !m.is_empty()),
        "empty message: {err}"
    );
}

/// Keys go in through IPC and never come back out: not in a reply, not in the data dir.
/// Needs a throwaway keychain: `make rust-test` runs this under .ci/with-keyring.sh.
#[test]
fn a_key_crosses_ipc_inward_only() {
    if std::env::var_os("PROOFSHEET_KEYRING_TESTS").is_none() {
        eprintln!("note: skipped without a throwaway keyring (.ci/with-keyring.sh)");
        return;
    }
    const SECRET: &str = "sk-IPCLEAK-canary-0123456789";
    let app = app();
    let set = invoke(
        &app,
        "keys_set",
        json!({ "provider": "openai", "secret": SECRET }),
    )
    .expect("keys_set");
    assert_eq!(set["provider"], "openai");
    let list = invoke(&app, "keys_list", json!({})).expect("keys_list");
    for reply in [&set, &list] {
        assert!(
            !reply.to_string().contains(SECRET),
            "secret in a reply: {reply}"
        );
    }
    assert!(
        list.to_string().contains("6789"),
        "last 4 should identify the key: {list}"
    );
    invoke(&app, "keys_delete", json!({ "provider": "openai" })).expect("keys_delete");
    for entry in walk(app._data.path()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
            "secret found in {}",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Settings → Catalog's commands are granted to the window (build.rs + capabilities) and
/// answer with the catalog in use; restore with nothing applied is a clear not_found.
#[test]
fn catalog_commands_are_granted_to_the_window() {
    let app = app();
    let st = invoke(&app, "catalog_status", json!({})).expect("catalog_status");
    assert!(
        st["version"].as_str().is_some_and(|v| !v.is_empty()),
        "{st}"
    );
    assert_eq!(st["origin"], "bundled");
    assert_eq!(st["default_feed_url"], st["feed_url"]);
    let err = invoke(&app, "catalog_restore", json!({})).expect_err("nothing to restore");
    assert_eq!(err["kind"], "not_found", "{err}");
    let err = invoke(
        &app,
        "catalog_set_feed_url",
        json!({ "url": "ftp://x.example/c" }),
    )
    .expect_err("not https");
    assert_eq!(err["kind"], "validation", "{err}");
}

/// "Later" (issue 14.7): its commands are granted to the window. A merge once dropped
/// them from build.rs and the capabilities, and the window's Later failed with a bare
/// "Something went wrong" (found by tests/e2e/test_later_window.py).
#[test]
fn deferred_commands_are_granted_to_the_window() {
    let app = app();
    let jobs = invoke(&app, "deferred_jobs", json!({})).expect("deferred_jobs");
    assert_eq!(jobs, json!([]));
    let report = invoke(&app, "deferred_poll", json!({})).expect("deferred_poll");
    assert!(report.is_object(), "{report}");
    // Bad arguments reach the command (and fail there), not the ACL.
    let err = invoke(&app, "generation_submit_later", json!({})).expect_err("no input");
    assert!(!err.to_string().contains("not allowed"), "{err}");
}
