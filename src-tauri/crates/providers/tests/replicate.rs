//! Replicate contract tests (providers.md §4): Prefer: wait, polling, resume, cancel, errors.

use std::time::Duration;

use crate::common::*;
use providers::replicate::Replicate;
use providers::{
    Billing, ErrorClass, ImageProvider, ProgressSink, ProviderError, ProviderProgress,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn pred(server: &MockServer, status: &str, output: Value) -> Value {
    json!({
        "id": "p1", "model": "black-forest-labs/flux-schnell", "version": "v", "input": {},
        "output": output, "logs": "", "error": null, "status": status,
        "urls": {"get": format!("{}/predictions/p1", server.uri()), "cancel": format!("{}/predictions/p1/cancel", server.uri())},
        "metrics": {"predict_time": 2.5, "total_time": 3.1}
    })
}

async fn image_route(server: &MockServer) -> String {
    Mock::given(method("GET"))
        .and(path("/out/0.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(20, 10)))
        .mount(server)
        .await;
    format!("{}/out/0.png", server.uri())
}

async fn submits(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && !r.url.path().ends_with("/cancel"))
        .count()
}

async fn generate(
    server: &MockServer,
    model: &str,
) -> Result<providers::GenerateOutput, ProviderError> {
    let r = Replicate::new(&cfg(&server.uri()), client())
        .generate(&req(model), Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &r {
        assert_no_key(e);
    }
    r
}

#[tokio::test]
async fn official_model_sync_wait_success() {
    let server = MockServer::start().await;
    let url = image_route(&server).await;
    Mock::given(method("POST"))
        .and(path("/models/black-forest-labs/flux-schnell/predictions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header_exists("prefer"))
        .and(body_partial_json(
            json!({"input": {"prompt": "a red fox in the snow", "aspect_ratio": "1:1"}}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(pred(
            &server,
            "succeeded",
            json!([url]),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let out = generate(&server, "black-forest-labs/flux-schnell")
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!((out.images[0].width, out.images[0].height), (20, 10));
    assert_eq!(out.remote_id.as_deref(), Some("p1"));
    assert_eq!(out.usage.gpu_seconds, Some(Decimal::new(25, 1)));
    assert_eq!(out.usage.billable_units, Some(Decimal::ONE));
    assert_eq!(out.usage.raw["total_time"], 3.1);
}

#[tokio::test]
async fn version_prediction_polls_until_done() {
    let server = MockServer::start().await;
    let url = image_route(&server).await;
    Mock::given(method("POST"))
        .and(path("/predictions"))
        .and(body_partial_json(json!({"version": "abc123"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(pred(
            &server,
            "starting",
            Value::Null,
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/predictions/p1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pred(
            &server,
            "processing",
            Value::Null,
        )))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/predictions/p1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pred(
            &server,
            "succeeded",
            json!(url),
        )))
        .mount(&server)
        .await;
    let (sink, events) = recorder();
    let out = Replicate::new(&cfg(&server.uri()), client())
        .generate(&req("someone/sdxl:abc123"), Some(KEY), &sink, &no_cancel())
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.usage.gpu_seconds, Some(Decimal::new(25, 1)));
    let ev = events.lock().expect("lock").clone();
    match ev.first() {
        Some(ProviderProgress::Submitted { job }) => assert_eq!(job.remote_id, "p1"),
        other => panic!("first event should name the job: {other:?}"),
    }
    assert!(
        ev.contains(&ProviderProgress::Polling { attempt: 3 }),
        "{ev:?}"
    );
}

#[tokio::test]
async fn poll_deadline_returns_resumable_job_and_resume_never_resubmits() {
    let server = MockServer::start().await;
    let url = image_route(&server).await;
    Mock::given(method("POST"))
        .and(path("/models/black-forest-labs/flux-dev/predictions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(pred(
            &server,
            "starting",
            Value::Null,
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/predictions/p1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pred(
            &server,
            "processing",
            Value::Null,
        )))
        .mount(&server)
        .await;
    let mut c = cfg(&server.uri());
    c.poll_deadline = Duration::from_millis(100);
    let p = Replicate::new(&c, client());
    let e = p
        .generate(
            &req("black-forest-labs/flux-dev"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("deadline");
    assert_eq!(
        e.class,
        ErrorClass::Timeout {
            remote_job_id: Some("p1".into())
        }
    );
    assert_no_key(&e);
    let job = *e.remote_job.clone().expect("resumable job");
    assert_eq!(job.provider, "replicate");
    // The job survives a crash: it round-trips through JSON.
    let job: providers::RemoteJob =
        serde_json::from_str(&serde_json::to_string(&job).expect("ser")).expect("de");

    Mock::given(method("GET"))
        .and(path("/predictions/p1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pred(
            &server,
            "succeeded",
            json!([url]),
        )))
        .with_priority(1)
        .mount(&server)
        .await;
    let out = Replicate::new(&cfg(&server.uri()), client())
        .resume(&job, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect("resumed");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.remote_id.as_deref(), Some("p1"));
    assert_eq!(submits(&server).await, 1, "resume must not resubmit");
}

#[tokio::test]
async fn nsfw_failure_and_empty_output_are_billed_safety_blocks() {
    let server = MockServer::start().await;
    let mut failed = pred(&server, "failed", Value::Null);
    failed["error"] =
        json!("NSFW content detected. Try running it again, or try a different prompt.");
    Mock::given(method("POST"))
        .and(path("/models/a/b/predictions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(failed))
        .mount(&server)
        .await;
    let e = generate(&server, "a/b").await.expect_err("nsfw");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: true });
    assert_eq!(
        e.usage.as_ref().and_then(|u| u.gpu_seconds),
        Some(Decimal::new(25, 1))
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/models/a/b/predictions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(pred(
            &server,
            "succeeded",
            json!([]),
        )))
        .mount(&server)
        .await;
    let e = generate(&server, "a/b").await.expect_err("empty");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: true });

    let server = MockServer::start().await;
    let mut failed = pred(&server, "failed", Value::Null);
    failed["error"] = json!("CUDA error: device-side assert triggered");
    Mock::given(method("POST"))
        .and(path("/models/a/b/predictions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(failed))
        .mount(&server)
        .await;
    let e = generate(&server, "a/b").await.expect_err("infra");
    assert_eq!(e.class, ErrorClass::Transient);
    assert!(
        e.probably_billed(),
        "time-billed seconds are assumed charged"
    );
}

#[tokio::test]
async fn http_errors_are_classified() {
    let cases: Vec<(ResponseTemplate, ErrorClass)> = vec![
        (
            ResponseTemplate::new(429).set_body_json(json!({"detail": "Request was throttled. Your rate limit for creating predictions is reduced to 6 requests per minute with a burst of 1 requests while you have less than $5.0 in credit.", "status": 429, "retry_after": 5})),
            ErrorClass::RateLimited { retry_after_ms: Some(5000) },
        ),
        (
            ResponseTemplate::new(429).insert_header("retry-after", "3").set_body_json(json!({"detail": "throttled", "status": 429})),
            ErrorClass::RateLimited { retry_after_ms: Some(3000) },
        ),
        (
            ResponseTemplate::new(402).set_body_json(json!({"title": "Billing required", "detail": "You need to set up billing to run this model.", "status": 402})),
            ErrorClass::QuotaExhausted,
        ),
        (ResponseTemplate::new(401).set_body_json(json!({"title": "Unauthenticated", "detail": "You did not pass a valid authentication token", "status": 401})), ErrorClass::AuthFailed),
        (ResponseTemplate::new(422).set_body_json(json!({"title": "Input validation failed", "detail": "input.num_outputs: Must be <= 4", "status": 422})), ErrorClass::InvalidRequest { field: None }),
        (ResponseTemplate::new(404).set_body_json(json!({"title": "Not found", "detail": "model not found", "status": 404})), ErrorClass::InvalidRequest { field: Some("model".into()) }),
        (ResponseTemplate::new(503).set_body_string("<html>upstream down</html>"), ErrorClass::Transient),
        (ResponseTemplate::new(201).set_body_string("<html>ok?</html>"), ErrorClass::MalformedResponse),
        (ResponseTemplate::new(201).set_body_json(json!({"status": "starting"})), ErrorClass::MalformedResponse),
    ];
    for (resp, want) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/models/a/b/predictions"))
            .respond_with(resp)
            .mount(&server)
            .await;
        let e = generate(&server, "a/b").await.expect_err("error");
        assert_eq!(e.class, want, "{}", e.message);
    }
}

#[tokio::test]
async fn cancellation_stops_polling_and_calls_cancel_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/models/a/b/predictions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(pred(
            &server,
            "processing",
            Value::Null,
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/predictions/p1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(pred(
            &server,
            "processing",
            Value::Null,
        )))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/predictions/p1/cancel"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(pred(
            &server,
            "canceled",
            Value::Null,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let cancel = no_cancel();
    let c2 = cancel.clone();
    let sink = ProgressSink::new(move |p| {
        if p == (ProviderProgress::Polling { attempt: 2 }) {
            c2.cancel();
        }
    });
    let e = Replicate::new(&cfg(&server.uri()), client())
        .generate(&req("a/b"), Some(KEY), &sink, &cancel)
        .await
        .expect_err("cancelled");
    assert_eq!(e.class, ErrorClass::Cancelled);
    server.verify().await;
}

#[tokio::test]
async fn job_urls_on_foreign_hosts_are_not_followed() {
    let server = MockServer::start().await;
    let mut p = pred(&server, "starting", Value::Null);
    p["urls"]["get"] = json!("https://evil.example.com/steal");
    Mock::given(method("POST"))
        .and(path("/models/a/b/predictions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(p))
        .mount(&server)
        .await;
    let e = generate(&server, "a/b").await.expect_err("refused");
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert!(e.message.contains("unexpected host"), "{}", e.message);
}

#[tokio::test]
async fn a_slow_poll_request_times_out_with_the_job_attached() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/models/a/b/predictions"))
        .respond_with(ResponseTemplate::new(201).set_body_json(pred(
            &server,
            "starting",
            Value::Null,
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/predictions/p1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(2))
                .set_body_json(pred(&server, "processing", Value::Null)),
        )
        .mount(&server)
        .await;
    let mut c = cfg(&server.uri());
    c.timeout = Duration::from_millis(300);
    let e = Replicate::new(&c, client())
        .generate(&req("a/b"), Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("timeout");
    assert_eq!(
        e.class,
        ErrorClass::Timeout {
            remote_job_id: Some("p1".into())
        }
    );
    assert_eq!(
        e.remote_job.as_ref().map(|j| j.remote_id.as_str()),
        Some("p1")
    );
    assert_eq!(submits(&server).await, 1);
}

// ---- issue 11: the job is never lost after submit, billing evidence, redirects ----

const MODEL: &str = "black-forest-labs/flux-schnell";

async fn mount_started(server: &MockServer, poll: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(format!("/models/{MODEL}/predictions")))
        .respond_with(ResponseTemplate::new(201).set_body_json(pred(
            server,
            "starting",
            Value::Null,
        )))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/predictions/p1"))
        .respond_with(poll)
        .mount(server)
        .await;
}

async fn generate_fast(server: &MockServer) -> Result<providers::GenerateOutput, ProviderError> {
    let mut c = cfg(&server.uri());
    c.poll_deadline = Duration::from_millis(300);
    let r = Replicate::new(&c, client())
        .generate(&req(MODEL), Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &r {
        assert_no_key(e);
    }
    r
}

#[tokio::test]
async fn every_poll_failure_keeps_the_job() {
    for poll in [
        ResponseTemplate::new(500),
        ResponseTemplate::new(200).set_body_string("{not json"),
        ResponseTemplate::new(200).set_body_string("<html>502 Bad Gateway</html>"),
    ] {
        let server = MockServer::start().await;
        mount_started(&server, poll).await;
        let e = generate_fast(&server).await.expect_err("fails");
        assert_eq!(
            e.remote_job.as_ref().map(|j| j.remote_id.as_str()),
            Some("p1"),
            "{e:?}"
        );
        assert!(e.may_have_billed());
        server.verify().await;
    }
}

#[tokio::test]
async fn output_failures_after_succeeded_are_billed_and_keep_the_job() {
    for case in ["404", "html", "file"] {
        let server = MockServer::start().await;
        let out = match case {
            "file" => "file:///etc/passwd".to_string(),
            c => format!("{}/out/{c}.png", server.uri()),
        };
        mount_started(
            &server,
            ResponseTemplate::new(200).set_body_json(pred(&server, "succeeded", json!([out]))),
        )
        .await;
        Mock::given(method("GET"))
            .and(path("/out/404.png"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/out/html.png"))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>no</html>"))
            .mount(&server)
            .await;
        let e = generate_fast(&server).await.expect_err(case);
        assert!(e.remote_job.is_some(), "{case}: {e:?}");
        assert_eq!(e.billing, Billing::Billed, "{case}");
        server.verify().await;
    }
}

#[tokio::test]
async fn failed_or_canceled_predictions_are_definitive_and_billed_only_for_time() {
    for (status, metrics, billed) in [
        ("failed", json!({}), Billing::NotBilled),
        ("failed", json!({"predict_time": 1.5}), Billing::Billed),
        ("canceled", json!({}), Billing::NotBilled),
    ] {
        let server = MockServer::start().await;
        let mut p = pred(&server, status, Value::Null);
        p["metrics"] = metrics;
        p["error"] = json!("CUDA out of memory");
        mount_started(&server, ResponseTemplate::new(200).set_body_json(p)).await;
        let e = generate_fast(&server).await.expect_err(status);
        assert!(e.remote_job.is_none(), "{status}: nothing to resume");
        assert_eq!(e.billing, billed, "{status}");
    }
}

#[tokio::test]
async fn the_key_never_follows_a_redirect_on_submit_or_poll() {
    let server = MockServer::start().await;
    let second = redirect_everything(&server).await;
    let e = generate(&server, MODEL).await.expect_err("refused");
    assert_redirect_refused(&e);
    assert_key_not_forwarded(&second).await;

    let server = MockServer::start().await;
    let second = redirect_everything(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/models/{MODEL}/predictions")))
        .respond_with(ResponseTemplate::new(201).set_body_json(pred(
            &server,
            "starting",
            Value::Null,
        )))
        .mount(&server)
        .await;
    let e = generate(&server, MODEL).await.expect_err("refused");
    assert_redirect_refused(&e);
    assert!(e.remote_job.is_some());
    assert_key_not_forwarded(&second).await;
}
