//! Issue 7 "Done when": the CLI killed mid-job against a polling provider (BFL); the
//! next start polls the same remote id again (never resubmits) and settles. Also: Ctrl-C
//! cancels and releases the reservation before exiting 130.
mod common;

use std::time::{Duration, Instant};

use common::*;
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BFL_KEY: &str = "bfl-test-key-5150";
const SUBMIT: &str = "/v1/flux-dev";
const POLL: &str = "/v1/get_result";

/// BFL (providers.md §6): submit → `{id, polling_url, cost}` in credits; polls stay
/// `Pending` until `ready` is mounted.
async fn mount_bfl_pending(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(SUBMIT))
        .and(header("x-key", BFL_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "task-77",
            "polling_url": format!("{}{POLL}?id=task-77", server.uri()),
            "cost": 2.5, "input_mp": 0, "output_mp": 1.05
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(POLL))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "task-77", "status": "Pending", "progress": 0.3})),
        )
        .with_priority(10)
        .mount(server)
        .await;
}

async fn mount_bfl_ready(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(POLL))
        .and(query_param("id", "task-77"))
        .and(header("x-key", BFL_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "task-77", "status": "Ready",
            "result": {"sample": format!("{}/delivery/task-77.png", server.uri()), "seed": 99}
        })))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/delivery/task-77.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(32, 32, 200)))
        .mount(server)
        .await;
}

async fn bfl_env() -> Env {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_BFL_API_KEY", BFL_KEY);
    mount_bfl_pending(&env.server).await;
    env.project("moodboard", "5", "bfl:flux-dev", "bfl:flux-pro-1.1")
        .await;
    env
}

/// Waits (bounded) until the mock has seen a poll: the job is mid-poll.
async fn wait_for_poll(env: &Env, child: &mut tokio::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while env.requests_to("GET", POLL).await == 0 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the CLI exited ({status}) before polling");
        }
        assert!(Instant::now() < deadline, "the CLI never polled BFL");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn killed_mid_poll_then_next_start_resumes_and_settles() {
    let env = bfl_env().await;
    let mut child = env
        .command(&[
            "generate",
            "--project",
            "moodboard",
            "--prompt",
            "a lighthouse at dusk",
            "--draft",
            "--seed",
            "5",
            "--json",
        ])
        .spawn()
        .expect("spawn generate");
    wait_for_poll(&env, &mut child).await;
    child.start_kill().expect("SIGKILL");
    let status = child.wait().await.expect("reap");
    assert!(!status.success());
    assert_eq!(env.requests_to("POST", SUBMIT).await, 1);

    // The dead process left its reservation behind; a start while BFL still says
    // Pending cannot settle it (and must not block on it).
    let p = env.json(&["project", "show", "moodboard"]).await;
    assert!(money(&p, "reserved_usd") > Decimal::ZERO, "{p}");

    mount_bfl_ready(&env.server).await;
    let v = env.json(&["recover"]).await;
    assert_eq!(money(&v, "reserved_usd"), Decimal::ZERO, "{v}");
    assert_eq!(v["resumed"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(money(&v, "charged_usd"), Decimal::new(25, 3), "{v}");

    assert_eq!(
        env.requests_to("POST", SUBMIT).await,
        1,
        "the job was resubmitted (paid twice)"
    );
    assert!(
        env.requests_to("GET", "/delivery/task-77.png").await >= 1,
        "the result was fetched"
    );

    let p = env.json(&["project", "show", "moodboard"]).await;
    assert_eq!(money(&p, "reserved_usd"), Decimal::ZERO, "{p}");
    assert_eq!(
        money(&p, "spent_usd"),
        Decimal::new(25, 3),
        "2.5 BFL credits charged: {p}"
    );

    let page = env
        .json(&["gallery", "list", "--project", "moodboard"])
        .await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(money(&items[0], "cost_usd"), Decimal::new(25, 3));
    let file = items[0]["image"]["path"].as_str().expect("path");
    assert!(std::path::Path::new(file).is_file());

    let id = items[0]["generation_id"].as_str().expect("id");
    let detail = env.json(&["show", id]).await;
    assert_eq!(detail["status"], "succeeded", "{detail}");

    // Starting again changes nothing: settled once.
    env.json(&["recover"]).await;
    let again = env.json(&["project", "show", "moodboard"]).await;
    assert_eq!(money(&again, "spent_usd"), Decimal::new(25, 3));
    assert_eq!(env.requests_to("POST", SUBMIT).await, 1);
}

#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_cancels_releases_the_reservation_and_exits_130() {
    let env = bfl_env().await;
    let mut child = env
        .command(&[
            "generate",
            "--project",
            "moodboard",
            "--prompt",
            "a lighthouse",
            "--draft",
            "--json",
        ])
        .spawn()
        .expect("spawn generate");
    wait_for_poll(&env, &mut child).await;
    let pid = child.id().expect("pid").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    assert!(sent.success());
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the CLI exits after Ctrl-C")
        .expect("reap");
    let out = env.record(out).code(130);
    assert!(out.stderr.contains("cancel"), "{}", out.stderr);
    let doc = out.json();
    let cancelled = doc["error"]["kind"] == "cancelled" || doc["status"] == "cancelled";
    assert!(
        cancelled,
        "one JSON document saying it was cancelled: {doc}"
    );

    let p = env.json(&["project", "show", "moodboard"]).await;
    assert_eq!(
        money(&p, "reserved_usd"),
        Decimal::ZERO,
        "reservation released: {p}"
    );
    assert!(
        money(&p, "spent_usd") <= Decimal::new(25, 3),
        "never more than the job's cost: {p}"
    );
    assert_eq!(env.requests_to("POST", SUBMIT).await, 1);
}

/// A second CLI process started while a job runs (a batch script, or a look at the
/// gallery) must not "recover" that live job: it stays the first process's to finish.
#[tokio::test]
async fn a_second_process_never_recovers_a_live_job() {
    let env = bfl_env().await;
    let mut child = env
        .command(&[
            "generate",
            "--project",
            "moodboard",
            "--prompt",
            "a harbour",
            "--draft",
            "--json",
        ])
        .spawn()
        .expect("spawn generate");
    wait_for_poll(&env, &mut child).await;
    // Other commands while it polls: none may touch the running generation.
    env.json(&["gallery", "list"]).await;
    let p = env.json(&["project", "show", "moodboard"]).await;
    assert!(
        money(&p, "reserved_usd") > Decimal::ZERO,
        "the live job keeps its reservation: {p}"
    );

    mount_bfl_ready(&env.server).await;
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("generate finishes")
        .expect("reap");
    let out = env.record(out).ok();
    let v = out.json();
    assert_eq!(v["status"], "succeeded", "{v}");
    assert_eq!(money(&v, "cost_usd"), Decimal::new(25, 3));
    let p = env.json(&["project", "show", "moodboard"]).await;
    assert_eq!(money(&p, "spent_usd"), Decimal::new(25, 3), "{p}");
    assert_eq!(money(&p, "reserved_usd"), Decimal::ZERO, "{p}");
    assert_eq!(env.requests_to("POST", SUBMIT).await, 1);
    assert_eq!(
        env.requests_to("GET", "/delivery/task-77.png").await,
        1,
        "fetched once, by its own process"
    );
}

/// A job with no remote id yet (a synchronous OpenAI call in flight) has nothing to
/// resume, so recovery would fail it. `recover` from a second process sees its owner's
/// lease held and leaves it alone, without waiting for it.
#[tokio::test]
async fn recover_leaves_a_live_process_job_alone() {
    let mut env = Env::new().await;
    env.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-live-1");
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(
                    json!({"created": 1, "data": [{"b64_json": b64(&png(16, 16, 9))}],
                    "usage": {"input_tokens": 5, "output_tokens": 272, "total_tokens": 277}}),
                )
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&env.server)
        .await;
    env.project(
        "live",
        "5",
        "openai:gpt-image-2",
        "openai:gpt-image-2.5-sunburst",
    )
    .await;
    let child = env
        .command(&[
            "generate",
            "--project",
            "live",
            "--prompt",
            "a slow fox",
            "--draft",
            "--json",
        ])
        .spawn()
        .expect("spawn generate");
    let deadline = Instant::now() + Duration::from_secs(60);
    while env.requests_to("POST", "/v1/images/generations").await == 0 {
        assert!(Instant::now() < deadline, "the CLI never called OpenAI");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let report = env.json(&["recover"]).await;
    assert_eq!(
        report["failed"].as_array().map(Vec::len),
        Some(0),
        "{report}"
    );
    assert_eq!(
        report["resumed"].as_array().map(Vec::len),
        Some(0),
        "{report}"
    );

    let out = env
        .record(child.wait_with_output().await.expect("reap"))
        .ok();
    let v = out.json();
    assert_eq!(v["status"], "succeeded", "{v}");
    let id = v["generation_id"].as_str().expect("id");
    assert_eq!(env.json(&["show", id]).await["status"], "succeeded");
    let p = env.json(&["project", "show", "live"]).await;
    assert_eq!(money(&p, "spent_usd"), money(&v, "cost_usd"), "{p}");
    assert_eq!(money(&p, "reserved_usd"), Decimal::ZERO, "{p}");
}
