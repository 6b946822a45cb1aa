//! Issue 14.7 "Done when": `generate --later` returns at once with state `deferred`,
//! `jobs` shows it, a process killed while polling it leaves it intact, and a later run
//! lands it with its real (batch) cost — submitted exactly once.
mod common;

use std::time::{Duration, Instant};

use common::*;
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "gm-test-key-later-4242";
const SUBMIT: &str = "/v1beta/models/gemini-2.5-flash-image:batchGenerateContent";
const BATCH: &str = "/v1beta/batches/cli1";

async fn mount_submit(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(SUBMIT))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "batches/cli1", "metadata": {"state": "BATCH_STATE_PENDING"}
        })))
        .mount(server)
        .await;
    // Running until `mount_done`; slow, so a poll can be killed mid-flight.
    Mock::given(method("GET"))
        .and(path(BATCH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": "batches/cli1", "done": false,
                                      "metadata": {"state": "BATCH_STATE_RUNNING"}}))
                .set_delay(Duration::from_millis(1500)),
        )
        .with_priority(10)
        .mount(server)
        .await;
}

async fn mount_done(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(BATCH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "batches/cli1", "done": true, "metadata": {"state": "BATCH_STATE_SUCCEEDED"},
            "response": {"inlinedResponses": {"inlinedResponses": [{"response": {
                "candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": b64(&png(16, 16, 90))}}]}, "finishReason": "STOP"}],
                "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 1290,
                    "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}]}
            }}]}}
        })))
        .with_priority(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn generate_later_is_deferred_survives_a_killed_poller_and_lands_once_with_its_batch_cost() {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_GOOGLE_API_KEY", KEY);
    mount_submit(&env.server).await;
    env.project(
        "p",
        "5",
        "google:gemini-2.5-flash-image",
        "google:gemini-2.5-flash-image",
    )
    .await;

    let started = Instant::now();
    let v = env
        .json(&[
            "generate",
            "--project",
            "p",
            "--prompt",
            "a kite over dunes",
            "--draft",
            "--later",
        ])
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "returns at once"
    );
    assert_eq!(v["status"], "deferred", "{v}");
    assert_eq!(v["deferred"]["remote_id"], "batches/cli1", "{v}");
    let gid = v["generation_id"].as_str().expect("id").to_owned();
    let reserved = money(&env.json(&["project", "show", "p"]).await, "reserved_usd");
    assert!(reserved > Decimal::ZERO);

    let jobs = env.json(&["jobs"]).await;
    let list = jobs["deferred"].as_array().expect("deferred list");
    assert_eq!(list.len(), 1, "{jobs}");
    assert_eq!(list[0]["generation_id"], gid.as_str());
    assert!(list[0]["expected_by"].as_str().is_some(), "{jobs}");
    let human = env.run(&["jobs"]).await.ok();
    assert!(human.stdout.contains("deferred"), "{}", human.stdout);
    let shown = env.json(&["show", &gid]).await;
    assert_eq!(shown["status"], "deferred", "{shown}");

    // A poller killed mid-poll: nothing is lost, nothing is sent again.
    let polls = env.requests_to("GET", BATCH).await;
    let mut child = env
        .command(&["jobs", "--json"])
        .spawn()
        .expect("spawn jobs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while env.requests_to("GET", BATCH).await == polls {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the CLI never polled the batch");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().ok();
    child.wait().await.expect("reap");

    mount_done(&env.server).await;
    let jobs = env.json(&["jobs"]).await;
    assert_eq!(jobs["landed"].as_array().map(Vec::len), Some(1), "{jobs}");
    assert_eq!(jobs["deferred"].as_array().map(Vec::len), Some(0), "{jobs}");

    // (10 × $0.30/M + 1290 × $30/M) × 0.5 batch.
    let cost = Decimal::new(193515, 7);
    let p = env.json(&["project", "show", "p"]).await;
    assert_eq!(money(&p, "spent_usd"), cost, "{p}");
    assert_eq!(money(&p, "reserved_usd"), Decimal::ZERO, "{p}");
    let page = env.json(&["gallery", "list", "--project", "p"]).await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(money(&items[0], "cost_usd"), cost);
    assert_eq!(
        env.requests_to("POST", SUBMIT).await,
        1,
        "submitted exactly once"
    );
}

#[tokio::test]
async fn generate_later_on_an_offer_without_a_batch_tier_is_refused_and_costs_nothing() {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_STABILITY_API_KEY", "sk-stab-later-1");
    env.project(
        "p",
        "5",
        "stability:stable-image-core",
        "stability:stable-image-core",
    )
    .await;
    let out = env
        .run(&[
            "generate",
            "--project",
            "p",
            "--prompt",
            "a kite",
            "--draft",
            "--later",
        ])
        .await;
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("later"), "{}", out.stderr);
    assert_eq!(
        env.server.received_requests().await.map_or(0, |r| r.len()),
        0
    );
}
