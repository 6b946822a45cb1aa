//! Commands driven through tauri's mock runtime and the real invoke handler.

use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;

pub struct TestApp {
    pub data: tempfile::TempDir,
    /// What the scripted dialogs answer: the folder a user would pick.
    pub picked: tempfile::TempDir,
    pub _app: tauri::App<tauri::test::MockRuntime>,
    webview: tauri::WebviewWindow<tauri::test::MockRuntime>,
}

/// The app as `run` builds it, on a throwaway data dir, a keychain service only this
/// test uses, and dialogs that answer with a temp folder.
pub fn app() -> TestApp {
    app_in(tempfile::tempdir().expect("temp dir"))
}

pub fn app_in(data: tempfile::TempDir) -> TestApp {
    let picked = tempfile::tempdir().expect("temp dir");
    let test = proofsheet_lib::TestSetup {
        data_dir: data.path().to_path_buf(),
        keychain_service: crate::hermetic::test_keychain_service(),
        dialog_answer: Some(picked.path().to_path_buf()),
    };
    // The real context: our capabilities decide which commands the window may call. The
    // window is opened below instead: by default its webview keeps its data under the
    // release identifier in the user's data folder.
    let mut context = tauri::generate_context!(test = true);
    let windows = std::mem::take(&mut context.config_mut().app.windows);
    let main = windows
        .first()
        .expect("tauri.conf.json has the main window");
    let mut app = proofsheet_lib::setup_for_tests(mock_builder(), test)
        .build(context)
        .expect("build app");
    // One loop iteration runs `setup` (engine, state).
    #[allow(deprecated)] // called once, not in a loop: `run_return` would block the test
    app.run_iteration(|_, _| {});
    let webview = tauri::WebviewWindowBuilder::from_config(&app, main)
        .expect("main window config")
        .data_directory(data.path().join("webview"))
        .build()
        .expect("main window");
    TestApp {
        data,
        picked,
        _app: app,
        webview,
    }
}

pub fn invoke(app: &TestApp, cmd: &str, args: Value) -> Result<Value, Value> {
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
    assert_eq!(info["data_dir"], app.data.path().display().to_string());
}

#[test]
fn dev_and_test_builds_never_use_the_release_identifier() {
    assert_eq!(proofsheet_lib::channel_identifier(), "com.proofsheet.dev");
}

/// An error crosses IPC as the typed `AppError`: its kind, a message that says what
/// went wrong, and no other fields than the type declares.
#[test]
fn a_command_error_crosses_ipc_as_kind_and_message() {
    let app = app();
    let err = invoke(&app, "project_show", json!({ "name": "No such project" }))
        .expect_err("unknown project must fail");
    assert_app_error(&err, "not_found");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("No such project")),
        "the message should name the project: {err}"
    );
    let err =
        invoke(&app, "catalog_set_feed_url", json!({ "url": "ftp://x/c" })).expect_err("not https");
    assert_app_error(&err, "validation");
}

/// `err` is an `AppError` of `kind`: an object with a non-empty message and only the
/// fields the type has (`field` names the input concerned, when there is one).
pub fn assert_app_error(err: &Value, kind: &str) {
    let obj = err
        .as_object()
        .unwrap_or_else(|| panic!("not an AppError: {err}"));
    assert_eq!(err["kind"], kind, "{err}");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| !m.trim().is_empty()),
        "empty message: {err}"
    );
    for key in obj.keys() {
        assert!(
            ["kind", "message", "field"].contains(&key.as_str()),
            "unexpected field {key}: {err}"
        );
    }
}

/// Keys go in through IPC and never come back out: not in a reply, not in the data dir.
/// Needs a throwaway keychain: `make rust-test` runs this under .ci/with-keyring.sh.
#[test]
fn a_key_crosses_ipc_inward_only() {
    if !crate::hermetic::keyring_available("a_key_crosses_ipc_inward_only") {
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
    for entry in walk(app.data.path()) {
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

/// Start-up does no file sweep before the window shows (review §1.11): an orphan image
/// file survives opening the library and goes once the UI reports its first paint.
#[test]
fn the_file_sweep_waits_for_the_first_paint() {
    let data = tempfile::tempdir().expect("temp dir");
    let orphan = data.path().join("images/orphan.png");
    std::fs::create_dir_all(orphan.parent().expect("parent")).expect("images dir");
    let file = std::fs::File::create(&orphan).expect("orphan");
    // Older than the sweep's grace period, so the sweep may remove it.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    file.set_modified(old).expect("backdate");
    drop(file);
    let app = app_in(data);
    assert!(orphan.exists(), "swept before the window showed");
    invoke(&app, "app_ready", json!({})).expect("app_ready");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while orphan.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        !orphan.exists(),
        "the sweep after the first paint left the orphan"
    );
}
