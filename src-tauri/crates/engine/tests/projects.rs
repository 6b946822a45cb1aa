//! Project create is one transaction (F12, F17); a data dir that is a file is refused
//! in words (F19).

use crate::common::*;
use engine::{Engine, ErrorKind};

#[tokio::test]
async fn a_refused_budget_creates_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = Engine::open_with(config(dir.path()), options())
        .await
        .expect("open");
    let err = e
        .project_create(project("big", Some("9300000000"), &[], &[]))
        .await
        .expect_err("too large");
    assert_eq!(err.kind, ErrorKind::Validation, "{}", err.message);
    assert!(e.project_list().await.expect("list").is_empty());
    // And the name is still free for a budget that fits.
    let p = e
        .project_create(project("big", Some("10"), &[], &[]))
        .await
        .expect("create");
    assert_eq!(p.budget_usd, Some(d("10")));
}

#[tokio::test]
async fn concurrent_creates_of_one_name_have_one_winner() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut engines = Vec::new();
    for _ in 0..4 {
        engines.push(
            Engine::open_with(config(dir.path()), options())
                .await
                .expect("open"),
        );
    }
    let budgets = ["1", "1000", "5", "7"];
    let results = futures::future::join_all(
        engines
            .iter()
            .zip(budgets)
            .map(|(e, b)| e.project_create(project("race", Some(b), &[], &[]))),
    )
    .await;
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert_eq!(e.kind, ErrorKind::Validation);
            assert!(
                e.message
                    .contains("a project named \"race\" already exists"),
                "{}",
                e.message
            );
        }
    }
    let now = engines[0].project_show("race").await.expect("show");
    assert_eq!(now.budget_usd, winners[0].budget_usd, "never overwritten");
}

#[tokio::test]
async fn upsert_still_edits_an_existing_project() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = Engine::open_with(config(dir.path()), options())
        .await
        .expect("open");
    e.project_upsert(project("p", Some("5"), &[], &[]))
        .await
        .expect("create");
    let mut edit = project("p", None, &[], &[]);
    edit.client = None;
    let v = e.project_upsert(edit).await.expect("edit");
    assert_eq!((v.budget_usd, v.client), (None, None));
}

#[tokio::test]
async fn a_file_as_data_dir_is_not_a_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("f");
    std::fs::write(&file, b"x").expect("write");
    let err = Engine::open_with(config(&file), options())
        .await
        .err()
        .expect("refused");
    assert_eq!(err.kind, ErrorKind::Validation);
    assert!(err.message.contains("is not a folder"), "{}", err.message);
}
