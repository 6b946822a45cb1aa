//! The engine's data-change notices reach the window as the typed `DataChanged` event
//! (issue 13 §3), through the real setup on the mock runtime.

use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};
use tauri::Listener;

use crate::commands::{app, invoke};

#[test]
fn a_saved_project_is_announced_to_the_window() {
    let app = app();
    let (tx, rx) = mpsc::channel::<Value>();
    app._app.listen("data-changed", move |e| {
        let payload = serde_json::from_str(e.payload()).expect("json payload");
        let _ = tx.send(payload);
    });
    invoke(
        &app,
        "project_save",
        json!({ "input": {
            "name": "Evented", "client": null, "budget_usd": "5", "period": "total",
            "hard": true, "warn_at": [], "draft_chain": [], "final_chain": [],
            "allow_safety_fallback": false, "preflight_moderation": false
        }}),
    )
    .expect("project_save");
    let mut topics = Vec::new();
    while let Ok(p) = rx.recv_timeout(Duration::from_secs(2)) {
        topics.push(p["topic"].clone());
        if topics.contains(&json!("projects")) {
            break;
        }
    }
    assert!(topics.contains(&json!("projects")), "got {topics:?}");
}
