//! Data-change notices (issue 13 §3): the engine announces its own writes by topic, and
//! notices writes by another process on the same library (here a second `Store`, as the
//! CLI opens one) as `Library`.

use std::time::Duration;

use crate::common::*;
use engine::{DataTopic, Engine, EngineOptions};
use tokio::sync::broadcast::Receiver;

fn watching() -> EngineOptions {
    EngineOptions {
        outside_write_poll: Some(Duration::from_millis(20)),
        ..options()
    }
}

/// The topics that arrive within `wait`.
async fn drain(rx: &mut Receiver<DataTopic>, wait: Duration) -> Vec<DataTopic> {
    let mut got = Vec::new();
    while let Ok(Ok(t)) = tokio::time::timeout(wait, rx.recv()).await {
        got.push(t);
    }
    got
}

#[tokio::test]
async fn a_write_by_another_process_is_announced_as_library() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = Engine::open_with(config(dir.path()), watching())
        .await
        .expect("open");
    let mut rx = e.subscribe_changes();
    // Let the watcher take its first reading before the other writer commits.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let cli = store::Store::open(dir.path()).expect("second store on the same file");
    cli.create_project(&store::NewProject {
        name: "From the CLI".into(),
        client: None,
        budget: None,
    })
    .expect("outside write");
    let got = drain(&mut rx, Duration::from_millis(500)).await;
    assert!(got.contains(&DataTopic::Library), "got {got:?}");
    // And the engine reads what the other process wrote.
    let names: Vec<String> = e
        .project_list()
        .await
        .expect("list")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["From the CLI"]);
}

#[tokio::test]
async fn the_engines_own_writes_are_announced_by_topic_not_as_outside_writes() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = Engine::open_with(config(dir.path()), watching())
        .await
        .expect("open");
    let mut rx = e.subscribe_changes();
    tokio::time::sleep(Duration::from_millis(100)).await;
    e.project_create(project("Mine", Some("5"), &[], &[]))
        .await
        .expect("create");
    let got = drain(&mut rx, Duration::from_millis(300)).await;
    assert!(got.contains(&DataTopic::Projects), "got {got:?}");
    assert!(got.contains(&DataTopic::Budgets), "got {got:?}");
    assert!(
        !got.contains(&DataTopic::Library),
        "own write seen as outside: {got:?}"
    );
    // A refused write announces nothing.
    let refused = e.project_create(project("Mine", None, &[], &[])).await;
    assert!(refused.is_err(), "the name is taken");
    assert_eq!(drain(&mut rx, Duration::from_millis(100)).await, []);
}

#[tokio::test]
async fn topics_have_snake_case_names_on_the_wire() {
    let names: Vec<String> = [DataTopic::Gallery, DataTopic::Library, DataTopic::Gateways]
        .iter()
        .map(|t| serde_json::to_string(t).expect("json"))
        .collect();
    assert_eq!(names, ["\"gallery\"", "\"library\"", "\"gateways\""]);
}
