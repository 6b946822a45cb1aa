//! PostgreSQL stopped mid-run on a team project with a bucket (issue 18): the call in
//! flight finishes and is charged in the library, its publication waits in the outbox
//! (nothing uploaded while the server is away), a teammate's paid request is refused
//! clearly, and after the restart `recover` settles and publishes it: one object, one
//! published record, the ledger balanced, the teammate catches up; nothing twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::team::{BUCKET, GENERATIONS, Studio, generate, studio};
use common::{b64, keyring_available, money, png};
use rust_decimal::Decimal;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn a_server_stop_mid_run_keeps_the_outbox_and_catches_up_once() {
    if !keyring_available() {
        eprintln!("skipped: run under .ci/with-keyring.sh");
        return;
    }
    let Studio { pg, s3, ana, bob } = studio("Spring", "1", true).await;
    let s3 = s3.unwrap();
    // Ana's provider answers after 3 s: time to stop the server mid-call.
    ana.server.reset().await;
    let body = serde_json::json!({
        "created": 1_700_000_000,
        "data": [{ "b64_json": b64(&png(64, 64, 5)) }],
        "usage": { "input_tokens": 12, "output_tokens": 272, "total_tokens": 284,
          "input_tokens_details": { "text_tokens": 12, "image_tokens": 0 },
          "output_tokens_details": { "text_tokens": 0, "image_tokens": 272 } }
    });
    Mock::given(method("POST"))
        .and(path(GENERATIONS))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(body)
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&ana.server)
        .await;

    let child = ana.command(&generate("Spring", "a dune")).spawn().unwrap();
    for _ in 0..300 {
        if ana.requests_to("POST", GENERATIONS).await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pg.stop();
    let out = ana.record(child.wait_with_output().await.unwrap()).ok();
    let cost = money(&out.json(), "cost_usd");
    assert!(cost > Decimal::ZERO);
    assert!(out.stderr.contains("team sync deferred"), "{}", out.stderr);
    assert_eq!(s3.object_files(BUCKET), 0, "nothing published while away");

    // While it is down: a teammate's paid request is refused before anything is sent.
    let down = bob.run(&generate("Spring", "a cliff")).await.code(3);
    assert!(down.stderr.contains("cannot be reached"), "{}", down.stderr);
    assert_eq!(bob.requests_to("POST", GENERATIONS).await, 0);
    // Browsing keeps working: the image is in Ana's own library.
    let gallery = ana.json(&["gallery", "list", "--project", "Spring"]).await;
    assert_eq!(
        gallery["items"].as_array().map(Vec::len),
        Some(1),
        "{gallery}"
    );

    // Back: recover settles the generation on the server and pushes the outbox.
    pg.restart();
    ana.json(&["recover"]).await;
    assert_eq!(s3.object_files(BUCKET), 1, "uploaded after the restart");
    let m = ana.json(&["team", "project", "show", "Spring"]).await;
    assert_eq!(money(&m, "spent_usd"), cost, "{m}");
    assert_eq!(money(&m, "reserved_usd"), Decimal::ZERO, "{m}");
    assert_eq!(m["open_generations"], 0, "{m}");
    assert_eq!(m["balanced"], true, "{m}");
    let db = pg.client("studio").await;
    let published: i64 = db
        .query_one(
            "SELECT count(*) FROM generations WHERE published_at IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(published, 1);

    // Again: nothing left to push; the teammate catches up once.
    ana.json(&["recover"]).await;
    ana.json(&["team", "sync"]).await;
    assert_eq!(s3.object_files(BUCKET), 1, "nothing uploaded twice");
    let s = bob.json(&["team", "sync"]).await;
    assert_eq!(s["projects"][0]["received"], 1, "{s}");
    let s = bob.json(&["team", "sync"]).await;
    assert_eq!(s["projects"][0]["received"], 0, "{s}");
    let gallery = bob.json(&["gallery", "list", "--project", "Spring"]).await;
    assert_eq!(
        gallery["items"].as_array().map(Vec::len),
        Some(1),
        "{gallery}"
    );
    assert_eq!(bob.requests_to("POST", GENERATIONS).await, 0);
}
