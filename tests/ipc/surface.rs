//! The command surface is declared in three hand-kept lists: the commands registered
//! with tauri-specta (`src-tauri/src/commands/mod.rs`), `COMMANDS` in `build.rs` (each
//! gets an `allow-<name>` permission) and the window's capability. A command missing
//! from one of them is denied at runtime; these tests fail instead. Then every
//! registered command is called once through the mock runtime and the real ACL.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::commands::{app, assert_app_error, invoke};

/// Commands registered with the invoke handler, read from a fresh bindings export
/// (the builder's own list, not a copy of it).
fn registered() -> BTreeSet<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bindings.ts");
    proofsheet_lib::export_bindings(&path).expect("export bindings");
    let text = std::fs::read_to_string(&path).expect("read bindings");
    text.split("__TAURI_INVOKE(\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// `COMMANDS` in build.rs.
fn build_rs_commands() -> BTreeSet<String> {
    let text = include_str!("../../src-tauri/build.rs");
    let start = text
        .find("const COMMANDS")
        .expect("build.rs declares COMMANDS");
    let end = start + text[start..].find("];").expect("COMMANDS ends");
    text[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Every permission granted by the capability files.
fn granted() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/capabilities");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(&dir)
        .expect("capabilities folder")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).expect("read capability");
        let cap: Value = serde_json::from_str(&text).expect("capability JSON");
        for p in cap["permissions"].as_array().expect("permissions list") {
            out.insert(p.as_str().expect("permission by name").to_owned());
        }
    }
    out
}

/// The only grants that are not our own commands: the window listens to `DataChanged`.
const PLATFORM_GRANTS: &[&str] = &["core:event:allow-listen", "core:event:allow-unlisten"];

#[test]
fn build_rs_capability_and_registered_commands_agree() {
    let registered = registered();
    assert!(
        registered.len() > 40,
        "read too few commands: {registered:?}"
    );
    let declared = build_rs_commands();
    let missing: Vec<_> = registered.difference(&declared).collect();
    let stale: Vec<_> = declared.difference(&registered).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "build.rs COMMANDS disagrees with the registered commands: \
         missing {missing:?}, not registered {stale:?}"
    );

    let grants = granted();
    let allowed: BTreeSet<String> = grants
        .iter()
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    let ungranted: Vec<_> = registered.difference(&allowed).collect();
    let stale: Vec<_> = allowed.difference(&registered).collect();
    assert!(
        ungranted.is_empty() && stale.is_empty(),
        "the capability disagrees with the registered commands: not granted \
         {ungranted:?}, granted but not a command {stale:?}"
    );
    let other: Vec<_> = grants
        .iter()
        .filter(|p| !p.starts_with("allow-") && !PLATFORM_GRANTS.contains(&p.as_str()))
        .collect();
    assert!(
        other.is_empty(),
        "least privilege: the window needs no {other:?} (add it to PLATFORM_GRANTS with a reason)"
    );
}

/// What one call must answer: a value of this shape, or an `AppError` of this kind.
enum Want {
    Ok(fn(&Value) -> bool),
    Err(&'static str),
    /// Refused at the IPC boundary: an argument outside its closed set (e.g. a provider
    /// id no `ProviderId` names) never reaches the engine.
    BadArg(&'static str),
}

fn empty_list(v: &Value) -> bool {
    v.as_array().is_some_and(|a| a.is_empty())
}
fn list(v: &Value) -> bool {
    v.is_array()
}
fn object(v: &Value) -> bool {
    v.is_object()
}
fn null(v: &Value) -> bool {
    v.is_null()
}

const PROJECT: &str = "IPC table";
/// A well-formed id that names nothing.
const NO_ID: &str = "00000000-0000-4000-8000-000000000000";

fn params() -> Value {
    json!({ "prompt": "a lighthouse", "width": 1024, "height": 1024, "n": 1 })
}

/// One call per command, in an order that lets later calls use what earlier ones made.
/// A new command fails `every_command_is_called_once` until it has a row here.
fn table() -> Vec<(&'static str, Value, Want)> {
    let query = json!({ "project": PROJECT });
    vec![
        ("app_info", json!({}), Want::Ok(object)),
        ("app_ready", json!({}), Want::Ok(|v| v.is_u64())),
        (
            "ui_state_set",
            json!({ "json": "{\"k\":\"v\"}" }),
            Want::Ok(null),
        ),
        (
            "ui_state_get",
            json!({}),
            Want::Ok(|v| v == "{\"k\":\"v\"}"),
        ),
        (
            "pricing_offers",
            json!({}),
            Want::Ok(|v| v.as_array().is_some_and(|a| a.len() > 10)),
        ),
        (
            "pricing_estimate",
            json!({ "input": { "params": params(), "tier": "all", "offers": [] } }),
            Want::Ok(object),
        ),
        ("project_list", json!({}), Want::Ok(list)),
        (
            "project_save",
            json!({ "input": {
                "name": PROJECT, "period": "total", "hard": false, "warn_at": [],
                "draft_chain": ["openai:gpt-image-1-mini"], "final_chain": ["openai:gpt-image-1"],
                "allow_safety_fallback": false, "preflight_moderation": false,
            } }),
            Want::Ok(|v| v["name"] == PROJECT),
        ),
        ("project_show", json!({ "name": PROJECT }), Want::Ok(object)),
        (
            "project_rename",
            json!({ "name": "nope", "newName": "x" }),
            Want::Err("not_found"),
        ),
        (
            "project_archive",
            json!({ "name": "nope", "archived": true }),
            Want::Err("not_found"),
        ),
        (
            "route_preview",
            json!({ "input": { "project": PROJECT, "params": params(), "route": { "kind": "draft" } } }),
            Want::Ok(object),
        ),
        ("route_size_presets", json!({}), Want::Ok(list)),
        (
            "generation_submit",
            json!({ "input": { "project": "nope", "params": params(), "route": { "kind": "draft" },
                               "no_dedup": false },
                    "progress": "__CHANNEL__:7" }),
            // The job id at once; the job then fails on the channel.
            Want::Ok(|v| v.is_string()),
        ),
        (
            "generation_submit_later",
            json!({ "input": { "project": "nope", "params": params(), "route": { "kind": "draft" },
                               "no_dedup": false },
                    "progress": "__CHANNEL__:8" }),
            Want::Ok(|v| v.is_string()),
        ),
        (
            "generation_cancel",
            json!({ "jobId": "nope" }),
            Want::Ok(|v| v == false),
        ),
        (
            "generation_promote_preview",
            json!({ "generationId": NO_ID }),
            Want::Err("not_found"),
        ),
        (
            "generation_promote",
            json!({ "generationId": NO_ID, "progress": "__CHANNEL__:9" }),
            Want::Err("not_found"),
        ),
        (
            "input_import",
            json!({ "data": "AQID" }),
            Want::Err("validation"),
        ),
        // The scripted dialog's folder holds no image yet: the user "cancelled".
        ("input_import_file", json!({}), Want::Ok(null)),
        (
            "generation_lineage",
            json!({ "generationId": NO_ID }),
            Want::Err("not_found"),
        ),
        (
            "generation_finalize_options",
            json!({ "generationId": NO_ID }),
            Want::Err("not_found"),
        ),
        (
            "generation_finalize",
            json!({ "input": { "generation_id": NO_ID, "how": "reference", "offer": null },
                    "progress": "__CHANNEL__:10" }),
            Want::Err("not_found"),
        ),
        (
            "generation_upscale",
            json!({ "input": { "generation_id": NO_ID, "scale": 2, "offer": null },
                    "progress": "__CHANNEL__:11" }),
            Want::Err("not_found"),
        ),
        ("deferred_jobs", json!({}), Want::Ok(empty_list)),
        ("deferred_poll", json!({}), Want::Ok(object)),
        (
            "gallery_page",
            json!({ "query": { "favourites_only": false, "limit": 10 } }),
            Want::Ok(|v| v["items"].as_array().is_some_and(|a| a.is_empty())),
        ),
        (
            "gallery_detail",
            json!({ "generationId": NO_ID }),
            Want::Err("not_found"),
        ),
        (
            "gallery_set_favourite",
            json!({ "generationId": NO_ID, "favourite": true }),
            Want::Err("not_found"),
        ),
        (
            "gallery_set_rating",
            json!({ "generationId": NO_ID, "rating": 3 }),
            Want::Err("not_found"),
        ),
        (
            "gallery_add_to_board",
            json!({ "generationId": NO_ID, "board": "b" }),
            Want::Err("not_found"),
        ),
        ("gallery_boards", json!({}), Want::Ok(empty_list)),
        (
            "gallery_remove_from_board",
            json!({ "generationId": NO_ID, "board": "b" }),
            Want::Err("not_found"),
        ),
        (
            "gallery_delete_board",
            json!({ "board": "b" }),
            Want::Err("not_found"),
        ),
        (
            "gallery_delete",
            json!({ "generationIds": [] }),
            Want::Ok(|v| v == 0),
        ),
        (
            "gallery_export",
            json!({ "generationIds": [NO_ID] }),
            Want::Err("not_found"),
        ),
        (
            "gallery_reveal",
            json!({ "path": "/etc/passwd" }),
            Want::Err("validation"),
        ),
        (
            "dashboard_data",
            json!({ "project": null, "from": null, "to": null }),
            Want::Ok(object),
        ),
        (
            "dashboard_invoice",
            json!({ "query": query }),
            Want::Ok(object),
        ),
        (
            "dashboard_invoice_csv",
            json!({ "query": query, "suggestedName": "../../spend" }),
            // The answer is the file the dialog chose, in the picked folder only.
            Want::Ok(|v| v.as_str().is_some_and(|p| p.ends_with("/spend.csv"))),
        ),
        ("keys_list", json!({}), Want::Ok(list)),
        (
            "keys_set",
            json!({ "provider": "nope", "secret": "sk-x" }),
            Want::BadArg("provider"),
        ),
        (
            "keys_delete",
            json!({ "provider": "nope" }),
            Want::BadArg("provider"),
        ),
        (
            "keys_test",
            json!({ "provider": "nope" }),
            Want::BadArg("provider"),
        ),
        ("settings_get", json!({}), Want::Ok(object)),
        (
            "settings_save",
            json!({ "input": { "endpoints": [], "gateways": [], "max_concurrent_jobs": 2 } }),
            Want::Ok(|v| v["max_concurrent_jobs"] == 2),
        ),
        (
            "settings_set_overrides",
            json!({ "overrides": [] }),
            Want::Ok(null),
        ),
        (
            "settings_import_catalog",
            json!({ "json": "{}" }),
            Want::Err("validation"),
        ),
        (
            "charges_list",
            json!({ "project": null }),
            Want::Ok(empty_list),
        ),
        (
            "charge_confirm",
            json!({ "id": "999999", "amountUsd": null }),
            Want::Err("not_found"),
        ),
        (
            "charge_refund",
            json!({ "id": "999999" }),
            Want::Err("not_found"),
        ),
        ("catalog_status", json!({}), Want::Ok(object)),
        // A feed on a closed local port: the check fails without leaving the machine.
        (
            "catalog_set_feed_url",
            json!({ "url": "https://127.0.0.1:9/feed.json" }),
            Want::Ok(object),
        ),
        ("catalog_check", json!({}), Want::Err("provider")),
        // Nothing waits for an OK, so apply fetches the feed: unreachable.
        (
            "catalog_apply",
            json!({ "version": "nope" }),
            Want::Err("provider"),
        ),
        ("catalog_restore", json!({}), Want::Err("not_found")),
        ("drift_list", json!({}), Want::Ok(empty_list)),
        (
            "drift_accept",
            json!({ "offerId": "nope" }),
            Want::Err("not_found"),
        ),
        (
            "drift_ignore",
            json!({ "offerId": "nope" }),
            Want::Err("not_found"),
        ),
        ("drift_settings_get", json!({}), Want::Ok(object)),
        (
            "drift_settings_save",
            json!({ "input": { "window": 0, "threshold_pct": "10" } }),
            Want::Err("validation"),
        ),
        (
            "offers_discover",
            json!({ "provider": "nope" }),
            Want::BadArg("provider"),
        ),
        (
            "offers_import",
            json!({ "provider": "nope", "models": [] }),
            Want::BadArg("provider"),
        ),
        ("gateway_list", json!({}), Want::Ok(empty_list)),
        (
            "gateway_save",
            json!({ "input": { "name": "", "base_url": "http://127.0.0.1:9/v1", "dialect": "images",
                               "headers": [], "models": [] } }),
            Want::Err("validation"),
        ),
        (
            "gateway_remove",
            json!({ "name": "nope" }),
            Want::Err("not_found"),
        ),
        (
            "gateway_test",
            json!({ "name": "nope" }),
            Want::Err("not_found"),
        ),
        // Approval of spend: a library in no team has nothing waiting, and the team's
        // actions say to join one.
        ("team_awaiting_approvals", json!({}), Want::Ok(empty_list)),
        (
            "team_approvals",
            json!({ "pendingOnly": true }),
            Want::Err("validation"),
        ),
        (
            "team_approve",
            json!({ "approvalId": "1" }),
            Want::Err("validation"),
        ),
        (
            "team_refuse",
            json!({ "approvalId": "1", "reason": "too dear" }),
            Want::Err("validation"),
        ),
        (
            "team_set_approval_threshold",
            json!({ "input": { "project": PROJECT, "threshold_usd": "2" } }),
            Want::Err("validation"),
        ),
        (
            "team_withdraw_approval",
            json!({ "approvalId": "1" }),
            Want::Err("validation"),
        ),
        // Team mode (issue 18): this library never joined; nothing answers with a secret.
        (
            "team_status",
            json!({}),
            Want::Ok(|v| v["joined"] == false && v.get("password").is_none()),
        ),
        (
            "team_join",
            json!({ "input": { "db_url": "postgres://ana@127.0.0.1:1/studio", "password": "pw-x" } }),
            Want::Err("team"),
        ),
        ("team_leave", json!({}), Want::Err("not_found")),
        (
            "team_approval_threshold",
            json!({ "project": PROJECT }),
            Want::Ok(|v| v.is_null()),
        ),
        (
            "team_catch_up_status",
            json!({}),
            Want::Ok(|v| v["phase"] == "off" && v["received"] == 0),
        ),
        (
            "team_report",
            json!({ "from": "2026-11-01", "to": "2026-11-30", "client": null }),
            Want::Err("not_found"),
        ),
        (
            "team_report_csv",
            json!({ "from": "2026-11-01", "to": "2026-11-30", "client": null, "suggestedName": "t" }),
            Want::Err("not_found"),
        ),
    ]
}

/// Every registered command answers through the mock runtime and the real capability:
/// reaching the command (not the ACL, not argument parsing) and answering as its row says.
/// Some commands read the keychain, so this runs under .ci/with-keyring.sh.
#[test]
fn every_command_is_called_once() {
    if !crate::hermetic::keyring_available("every_command_is_called_once") {
        return;
    }
    let app = app();
    let rows = table();
    let called: BTreeSet<String> = rows.iter().map(|(c, _, _)| c.to_string()).collect();
    assert_eq!(called.len(), rows.len(), "a command has two rows");
    let registered = registered();
    let untested: Vec<_> = registered.difference(&called).collect();
    let unknown: Vec<_> = called.difference(&registered).collect();
    assert!(
        untested.is_empty() && unknown.is_empty(),
        "the table must call every registered command once: no row for {untested:?}; \
         not registered {unknown:?}"
    );
    let mut wrong = Vec::new();
    for (cmd, args, want) in rows {
        let got = invoke(&app, cmd, args);
        match (&want, &got) {
            (Want::Ok(check), Ok(v)) if check(v) => {}
            (Want::Err(kind), Err(e)) if e["kind"] == *kind => assert_app_error(e, kind),
            (Want::BadArg(arg), Err(Value::String(e)))
                if e.contains(&format!("invalid args `{arg}`"))
                    && e.contains("unknown variant") => {}
            _ => wrong.push(format!("{cmd}: got {got:?}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "unexpected answers:\n{}",
        wrong.join("\n")
    );
    let written: Vec<_> = std::fs::read_dir(app.picked.path())
        .expect("picked folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        written,
        ["spend.csv"],
        "the CSV lands in the folder the dialog chose"
    );
}
