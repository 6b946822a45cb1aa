//! Black Forest Labs contract tests (providers.md §6): x-key, submit cost, polling, moderation.
mod common;

use std::time::Duration;

use common::*;
use providers::bfl::Bfl;
use providers::{ErrorClass, ImageProvider, KeyCheck, ProgressSink, ProviderError};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn submit(server: &MockServer) -> Value {
    json!({"id": "t1", "polling_url": format!("{}/v1/get_result?id=t1", server.uri()), "cost": 4.0, "input_mp": 0, "output_mp": 1.05})
}

fn ready(server: &MockServer) -> Value {
    json!({"id": "t1", "status": "Ready", "result": {"sample": format!("{}/delivery/s.png", server.uri()), "seed": 7, "start_time": 1.0, "end_time": 3.0}})
}

async fn mount(server: &MockServer, polls: &[Value]) {
    Mock::given(method("POST"))
        .and(path("/v1/flux-pro-1.1"))
        .and(header("x-key", KEY))
        .and(body_partial_json(
            json!({"prompt": "a red fox in the snow", "width": 1024, "height": 1024}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(submit(server)))
        .expect(1)
        .mount(server)
        .await;
    let n = polls.len();
    for (i, p) in polls.iter().enumerate() {
        let m = Mock::given(method("GET"))
            .and(path("/v1/get_result"))
            .and(header("x-key", KEY))
            .respond_with(ResponseTemplate::new(200).set_body_json(p.clone()));
        let m = if i + 1 < n {
            m.up_to_n_times(1).with_priority(1)
        } else {
            m
        };
        m.mount(server).await;
    }
    Mock::given(method("GET"))
        .and(path("/delivery/s.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(8, 8)))
        .mount(server)
        .await;
}

async fn run(server: &MockServer) -> Result<providers::GenerateOutput, ProviderError> {
    let r = Bfl::new(&cfg(&server.uri()), client())
        .generate(
            &req("flux-pro-1.1"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await;
    if let Err(e) = &r {
        assert_no_key(e);
    }
    r
}

#[tokio::test]
async fn submit_poll_download_with_reported_cost() {
    let server = MockServer::start().await;
    mount(
        &server,
        &[
            json!({"id": "t1", "status": "Pending", "progress": 0.3}),
            ready(&server),
        ],
    )
    .await;
    let out = run(&server).await.expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.images[0].seed, Some(7));
    assert_eq!(out.remote_id.as_deref(), Some("t1"));
    assert_eq!(out.usage.credits, Some(Decimal::new(4, 0)));
    assert_eq!(out.usage.billable_units, Some(Decimal::new(105, 2)));
    let reqs = server.received_requests().await.unwrap_or_default();
    let download = reqs
        .iter()
        .find(|r| r.url.path() == "/delivery/s.png")
        .expect("downloaded");
    assert!(
        !download.headers.contains_key("x-key"),
        "the key is never sent to the delivery URL"
    );
}

#[tokio::test]
async fn moderation_statuses() {
    let server = MockServer::start().await;
    mount(&server, &[json!({"id": "t1", "status": "Request Moderated", "details": {"Moderation Reasons": ["Derivative Works Filter"]}})]).await;
    let e = run(&server).await.expect_err("moderated");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: false });

    let server = MockServer::start().await;
    mount(
        &server,
        &[json!({"id": "t1", "status": "Content Moderated"})],
    )
    .await;
    let e = run(&server).await.expect_err("moderated");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: true });
    assert_eq!(
        e.usage.as_ref().and_then(|u| u.credits),
        Some(Decimal::new(4, 0)),
        "reconcile with the reported cost"
    );
}

#[tokio::test]
async fn failed_and_expired_tasks() {
    let server = MockServer::start().await;
    mount(
        &server,
        &[json!({"id": "t1", "status": "Error", "details": "worker crashed"})],
    )
    .await;
    assert_eq!(
        run(&server).await.expect_err("err").class,
        ErrorClass::Transient
    );

    let server = MockServer::start().await;
    mount(&server, &[json!({"id": "t1", "status": "Task not found"})]).await;
    let e = run(&server).await.expect_err("gone");
    assert_eq!(
        e.class,
        ErrorClass::Timeout {
            remote_job_id: Some("t1".into())
        }
    );
    assert!(e.remote_job.is_none(), "an expired task cannot be resumed");
}

#[tokio::test]
async fn submit_errors() {
    let cases: Vec<(ResponseTemplate, ErrorClass)> = vec![
        (ResponseTemplate::new(429).set_body_json(json!({"error": "rate_limit_exceeded", "retry_after": 5})), ErrorClass::RateLimited { retry_after_ms: Some(5000) }),
        (ResponseTemplate::new(429).insert_header("retry-after", "11").set_body_json(json!({"error": "rate_limit_exceeded", "retry_after": 5})), ErrorClass::RateLimited { retry_after_ms: Some(11000) }),
        (ResponseTemplate::new(402).set_body_json(json!({"detail": "insufficient_credits"})), ErrorClass::QuotaExhausted),
        (ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid key"})), ErrorClass::AuthFailed),
        (ResponseTemplate::new(422).set_body_json(json!({"detail": [{"loc": ["body", "width"], "msg": "must be a multiple of 32", "type": "value_error"}]})), ErrorClass::InvalidRequest { field: Some("width".into()) }),
        (ResponseTemplate::new(503).set_body_string("Service Unavailable"), ErrorClass::Transient),
        (ResponseTemplate::new(200).set_body_json(json!({"polling_url": "x"})), ErrorClass::MalformedResponse),
    ];
    for (resp, want) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/flux-pro-1.1"))
            .respond_with(resp)
            .mount(&server)
            .await;
        assert_eq!(run(&server).await.expect_err("err").class, want);
    }
}

#[tokio::test]
async fn deadline_then_resume_downloads_without_resubmitting() {
    let server = MockServer::start().await;
    mount(&server, &[json!({"id": "t1", "status": "Pending"})]).await;
    let mut c = cfg(&server.uri());
    c.poll_deadline = Duration::from_millis(60);
    let e = Bfl::new(&c, client())
        .generate(
            &req("flux-pro-1.1"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("deadline");
    assert_eq!(
        e.class,
        ErrorClass::Timeout {
            remote_job_id: Some("t1".into())
        }
    );
    let job = *e.remote_job.expect("job");
    Mock::given(method("GET"))
        .and(path("/v1/get_result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ready(&server)))
        .with_priority(1)
        .mount(&server)
        .await;
    let out = Bfl::new(&cfg(&server.uri()), client())
        .resume(&job, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect("resumed");
    assert_eq!(out.images.len(), 1);
    assert_eq!(
        out.usage.credits,
        Some(Decimal::new(4, 0)),
        "cost survives via the stored job"
    );
    server.verify().await;
}

#[tokio::test]
async fn bad_sample_image_is_malformed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/flux-pro-1.1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(submit(&server)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/get_result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ready(&server)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/delivery/s.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(bomb_png()))
        .mount(&server)
        .await;
    assert_eq!(
        run(&server).await.expect_err("bomb").class,
        ErrorClass::MalformedResponse
    );
}

#[tokio::test]
async fn check_key_reports_credits() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/credits"))
        .and(header("x-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"credits": 123.5})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/credits"))
        .respond_with(ResponseTemplate::new(403))
        .mount(&server)
        .await;
    let p = Bfl::new(&cfg(&server.uri()), client());
    match p.check_key(KEY).await {
        KeyCheck::Valid { balance: Some(b) } => assert_eq!(
            (b.amount, b.unit.as_str()),
            (Decimal::new(1235, 1), "credits")
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        p.check_key("nope").await,
        KeyCheck::Invalid { .. }
    ));
}
