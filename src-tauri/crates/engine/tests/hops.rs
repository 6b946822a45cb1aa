//! Blocking store hops per generation (issue 17): each is two thread hand-offs, the
//! largest share of the engine's overhead. The counter is process-wide, so this binary
//! holds one test and runs its generations one after another.
mod common;

use common::*;
use engine::api::*;
use engine::{ErrorKind, blocking_hops};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

const OFFER: &str = "openai:gpt-image-2";

#[tokio::test]
async fn a_solo_generation_makes_two_store_hops_and_a_team_flag_still_refuses() {
    let openai = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(openai_ok())
        .mount(&openai)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("openai", openai.uri())], options()).await;
    e.project_upsert(project("solo", Some("5"), &[OFFER], &[]))
        .await
        .expect("project");
    e.project_upsert(project("shared", Some("5"), &[OFFER], &[]))
        .await
        .expect("project");
    e.set_team_project("shared", true).await.expect("mark team");

    // Happy path, text prompt, dedup miss, no moderation: the project (policy, flags)
    // comes from the cache while the configuration is unchanged; dedup + claim +
    // reservation + `sent` in one hop and one transaction (the provider permit is free);
    // files, `answered` and settlement. A warm-up first, so the cache is filled.
    let mut seeds = 1..;
    let mut one = || {
        let mut i = input("solo", Route::Draft, seeds.next());
        i.no_dedup = true;
        i
    };
    let warm = e.generate(one(), noop()).await.expect("warm-up");
    assert_eq!(warm.status, GenerationStatus::Succeeded, "{warm:?}");
    let mut counts = Vec::new();
    for _ in 0..3 {
        let before = blocking_hops();
        let r = e.generate(one(), noop()).await.expect("generate");
        counts.push(blocking_hops() - before);
        assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    }
    assert_eq!(counts, vec![2, 2, 2], "blocking hops per solo generation");
    assert_eq!(requests(&openai).await, 4);

    // A change to the project's configuration is seen by the next generation: the
    // project is read again (one more hop), then cached again.
    e.project_upsert(project("solo", Some("6"), &[OFFER], &[]))
        .await
        .expect("change it");
    let mut after = Vec::new();
    for _ in 0..2 {
        let before = blocking_hops();
        e.generate(one(), noop()).await.expect("generate");
        after.push(blocking_hops() - before);
    }
    assert_eq!(
        after,
        vec![3, 2],
        "read again after our own change, then cached"
    );
    // So is a change by another process (the CLI beside the app): here a second store
    // on the same library writing a setting.
    let outside = store::Store::open(dir.path()).expect("second store");
    outside
        .set_setting("hops.outside", &serde_json::json!(1))
        .expect("outside write");
    drop(outside);
    let before = blocking_hops();
    e.generate(one(), noop()).await.expect("generate");
    assert_eq!(
        blocking_hops() - before,
        3,
        "read again after an outside write"
    );
    assert_eq!(requests(&openai).await, 7);

    // The team flag now comes from the first hop: a team project on a library that has
    // not joined a team is still refused before anything is sent, and holds nothing.
    let mut t = input("shared", Route::Draft, Some(7));
    t.no_dedup = true;
    let err = e.generate(t, noop()).await.expect_err("refused");
    assert_eq!(err.kind, ErrorKind::Budget, "{err:?}");
    assert!(
        err.message.contains("has not joined the team server"),
        "{}",
        err.message
    );
    assert_eq!(requests(&openai).await, 7, "nothing sent");
    let p = e.project_show("shared").await.expect("show");
    assert_eq!((p.spent_usd, p.reserved_usd), (d("0"), d("0")));
}
