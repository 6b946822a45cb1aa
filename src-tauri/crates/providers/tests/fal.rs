//! fal.ai contract tests (providers.md §5): queue submit/status/result, sync run, cancel,
//! nsfw, billable units, errors.

use std::time::Duration;

use crate::common::*;
use providers::fal::Fal;
use providers::{
    Billing, ErrorClass, ImageProvider, ProgressSink, ProviderError, ProviderProgress,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP: &str = "/fal-ai/flux";

fn submitted(server: &MockServer) -> Value {
    let base = format!("{}{APP}/requests/r1", server.uri());
    json!({"request_id": "r1", "status_url": format!("{base}/status"), "response_url": base, "cancel_url": format!("{base}/cancel")})
}

fn result(server: &MockServer, nsfw: &[bool]) -> Value {
    let imgs: Vec<Value> = nsfw.iter().map(|_| json!({"url": format!("{}/img.png", server.uri()), "width": 24, "height": 16, "content_type": "image/png"})).collect();
    json!({"images": imgs, "timings": {"inference": 1.25}, "seed": 42, "has_nsfw_concepts": nsfw, "prompt": "a red fox in the snow"})
}

async fn mount_queue(server: &MockServer, statuses: &[Value], result_resp: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/fal-ai/flux/dev"))
        .and(header("authorization", format!("Key {KEY}").as_str()))
        .and(body_partial_json(json!({"prompt": "a red fox in the snow", "image_size": {"width": 1024, "height": 1024}, "num_images": 1})))
        .respond_with(ResponseTemplate::new(200).set_body_json(submitted(server)))
        .expect(1)
        .mount(server)
        .await;
    let n = statuses.len();
    for (i, s) in statuses.iter().enumerate() {
        let m = Mock::given(method("GET"))
            .and(path(format!("{APP}/requests/r1/status")))
            .respond_with(ResponseTemplate::new(200).set_body_json(s.clone()));
        let m = if i + 1 < n {
            m.up_to_n_times(1).with_priority(1)
        } else {
            m
        };
        m.mount(server).await;
    }
    Mock::given(method("GET"))
        .and(path(format!("{APP}/requests/r1")))
        .respond_with(result_resp)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/img.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(24, 16)))
        .mount(server)
        .await;
}

async fn run(server: &MockServer) -> Result<providers::GenerateOutput, ProviderError> {
    let r = Fal::new(&cfg(&server.uri()), client())
        .generate(
            &req("fal-ai/flux/dev"),
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
async fn queue_flow_success_with_billable_units() {
    let server = MockServer::start().await;
    let done = ResponseTemplate::new(200)
        .insert_header("x-fal-billable-units", "1.05")
        .set_body_json(result(&server, &[false]));
    mount_queue(
        &server,
        &[
            json!({"status": "IN_QUEUE", "queue_position": 3}),
            json!({"status": "IN_PROGRESS", "logs": []}),
            json!({"status": "COMPLETED", "metrics": {"inference_time": 1.5}}),
        ],
        done,
    )
    .await;
    let (sink, events) = recorder();
    let out = Fal::new(&cfg(&server.uri()), client())
        .generate(&req("fal-ai/flux/dev"), Some(KEY), &sink, &no_cancel())
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.images[0].seed, Some(42));
    assert_eq!(out.remote_id.as_deref(), Some("r1"));
    assert_eq!(out.usage.billable_units, Some(Decimal::new(105, 2)));
    assert_eq!(
        out.usage.gpu_seconds,
        Some(Decimal::new(125, 2)),
        "result timings.inference"
    );
    assert_eq!(
        out.usage
            .headers
            .get("x-fal-billable-units")
            .map(String::as_str),
        Some("1.05")
    );
    assert_eq!(out.usage.raw["metrics"]["inference_time"], 1.5);
    let ev = events.lock().expect("lock").clone();
    assert!(
        ev.contains(&ProviderProgress::Queued { position: Some(3) }),
        "{ev:?}"
    );
    assert!(
        ev.iter().any(
            |e| matches!(e, ProviderProgress::Submitted { job } if job.remote_id == "r1" && job.poll_url.is_some())
        ),
        "{ev:?}"
    );
}

#[tokio::test]
async fn sync_run_success() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/fal-ai/flux/schnell"))
        .and(header("authorization", format!("Key {KEY}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-fal-request-id", "sync-1")
                .set_body_json(result(&server, &[false])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/img.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(24, 16)))
        .mount(&server)
        .await;
    let mut r = req("fal-ai/flux/schnell");
    r.extra = json!({"sync": true, "enable_safety_checker": true});
    let out = Fal::new(&cfg(&server.uri()), client())
        .generate(&r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect("ok");
    assert_eq!(out.remote_id.as_deref(), Some("sync-1"));
    let reqs = server.received_requests().await.unwrap_or_default();
    let body: Value = serde_json::from_slice(&reqs[0].body).expect("json");
    assert!(body.get("sync").is_none(), "control keys are not sent");
    assert_eq!(body["enable_safety_checker"], true);
}

#[tokio::test]
async fn nsfw_output_is_a_billed_safety_block() {
    let server = MockServer::start().await;
    let done = ResponseTemplate::new(200)
        .insert_header("x-fal-billable-units", "1")
        .set_body_json(result(&server, &[true]));
    mount_queue(&server, &[json!({"status": "COMPLETED"})], done).await;
    let e = run(&server).await.expect_err("nsfw");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: true });
    assert_eq!(
        e.usage.as_ref().and_then(|u| u.billable_units),
        Some(Decimal::ONE)
    );
}

#[tokio::test]
async fn content_policy_422_and_validation_422() {
    let server = MockServer::start().await;
    let body = json!({"detail": [{"loc": ["body", "prompt"], "msg": "The content could not be processed because it contained material flagged by a content checker.", "type": "content_policy_violation"}]});
    mount_queue(
        &server,
        &[json!({"status": "COMPLETED"})],
        ResponseTemplate::new(422).set_body_json(body),
    )
    .await;
    let e = run(&server).await.expect_err("policy");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: false });

    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/fal-ai/flux/dev"))
        .respond_with(ResponseTemplate::new(422).insert_header("x-fal-billable-units", "0").set_body_json(json!({"detail": [{"loc": ["body", "num_images"], "msg": "ensure this value is less than or equal to 4", "type": "value_error.number.not_le"}]})))
        .mount(&server).await;
    let e = run(&server).await.expect_err("validation");
    assert_eq!(
        e.class,
        ErrorClass::InvalidRequest {
            field: Some("num_images".into())
        }
    );
    assert!(!e.probably_billed());
}

#[tokio::test]
async fn submit_errors_are_classified() {
    let cases: Vec<(ResponseTemplate, ErrorClass)> = vec![
        (ResponseTemplate::new(429).insert_header("retry-after", "2").set_body_json(json!({"detail": "Too many requests"})), ErrorClass::RateLimited { retry_after_ms: Some(2000) }),
        (ResponseTemplate::new(402).set_body_json(json!({"detail": "Insufficient balance"})), ErrorClass::QuotaExhausted),
        (ResponseTemplate::new(403).set_body_json(json!({"detail": "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."})), ErrorClass::QuotaExhausted),
        (ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid key"})), ErrorClass::AuthFailed),
        (ResponseTemplate::new(500).insert_header("x-fal-retryable", "true").set_body_json(json!({"detail": "Internal error", "error_type": "runner_disconnected"})), ErrorClass::Transient),
        (ResponseTemplate::new(200).set_body_string("<html>hi</html>"), ErrorClass::MalformedResponse),
        (ResponseTemplate::new(200).set_body_json(json!({"status_url": "x"})), ErrorClass::MalformedResponse),
    ];
    for (resp, want) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/fal-ai/flux/dev"))
            .respond_with(resp)
            .mount(&server)
            .await;
        let e = run(&server).await.expect_err("error");
        assert_eq!(e.class, want, "{}", e.message);
    }
}

#[tokio::test]
async fn server_side_request_timeout_names_the_job() {
    let server = MockServer::start().await;
    mount_queue(&server, &[json!({"status": "COMPLETED", "error": "Request timed out", "error_type": "request_timeout"})], ResponseTemplate::new(500)).await;
    let e = run(&server).await.expect_err("timeout");
    assert_eq!(
        e.class,
        ErrorClass::Timeout {
            remote_job_id: Some("r1".into())
        }
    );
    assert!(e.remote_job.is_none(), "fal gave up; nothing to resume");
}

#[tokio::test]
async fn client_deadline_then_resume_without_resubmitting() {
    let server = MockServer::start().await;
    let done = ResponseTemplate::new(200).set_body_json(result(&server, &[false]));
    mount_queue(&server, &[json!({"status": "IN_PROGRESS"})], done).await;
    let mut c = cfg(&server.uri());
    c.poll_deadline = Duration::from_millis(80);
    let e = Fal::new(&c, client())
        .generate(
            &req("fal-ai/flux/dev"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("deadline");
    assert_eq!(
        e.class,
        ErrorClass::Timeout {
            remote_job_id: Some("r1".into())
        }
    );
    let job = *e.remote_job.expect("job");
    Mock::given(method("GET"))
        .and(path(format!("{APP}/requests/r1/status")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "COMPLETED"})))
        .with_priority(1)
        .mount(&server)
        .await;
    let out = Fal::new(&cfg(&server.uri()), client())
        .resume(&job, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect("resumed");
    assert_eq!(out.images.len(), 1);
    server.verify().await; // submit .expect(1)
}

#[tokio::test]
async fn cancel_calls_the_queue_cancel_endpoint() {
    let server = MockServer::start().await;
    mount_queue(
        &server,
        &[json!({"status": "IN_QUEUE", "queue_position": 9})],
        ResponseTemplate::new(500),
    )
    .await;
    Mock::given(method("PUT"))
        .and(path(format!("{APP}/requests/r1/cancel")))
        .and(header("authorization", format!("Key {KEY}").as_str()))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(json!({"status": "CANCELLATION_REQUESTED"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let cancel = no_cancel();
    let c2 = cancel.clone();
    let sink = ProgressSink::new(move |p| {
        if matches!(p, ProviderProgress::Polling { attempt: 2 }) {
            c2.cancel();
        }
    });
    let e = Fal::new(&cfg(&server.uri()), client())
        .generate(&req("fal-ai/flux/dev"), Some(KEY), &sink, &cancel)
        .await
        .expect_err("cancelled");
    assert_eq!(e.class, ErrorClass::Cancelled);
    server.verify().await;
}

// ---- issue 11: the job is never lost after submit, billing evidence, redirects ----

async fn run_fast(
    server: &MockServer,
) -> (
    Result<providers::GenerateOutput, ProviderError>,
    Vec<ProviderProgress>,
) {
    let mut c = cfg(&server.uri());
    c.poll_deadline = Duration::from_millis(300);
    let (sink, events) = recorder();
    let r = Fal::new(&c, client())
        .generate(&req("fal-ai/flux/dev"), Some(KEY), &sink, &no_cancel())
        .await;
    if let Err(e) = &r {
        assert_no_key(e);
    }
    let ev = events.lock().expect("lock").clone();
    (r, ev)
}

async fn mount_status(
    server: &MockServer,
    status: ResponseTemplate,
    result_resp: ResponseTemplate,
) {
    Mock::given(method("POST"))
        .and(path("/fal-ai/flux/dev"))
        .respond_with(ResponseTemplate::new(200).set_body_json(submitted(server)))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{APP}/requests/r1/status")))
        .respond_with(status)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{APP}/requests/r1")))
        .respond_with(result_resp)
        .mount(server)
        .await;
}

#[tokio::test]
async fn submitted_holds_the_status_response_and_cancel_urls() {
    let server = MockServer::start().await;
    mount_status(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"status": "IN_QUEUE"})),
        ResponseTemplate::new(500),
    )
    .await;
    let (r, events) = run_fast(&server).await;
    r.expect_err("deadline");
    let job = events
        .iter()
        .find_map(|p| match p {
            ProviderProgress::Submitted { job } => Some(job.clone()),
            _ => None,
        })
        .expect("submitted");
    let base = format!("{}{APP}/requests/r1", server.uri());
    assert_eq!(
        job.poll_url.as_deref(),
        Some(format!("{base}/status").as_str())
    );
    assert_eq!(job.extra["response_url"], json!(base));
    assert_eq!(job.extra["cancel_url"], json!(format!("{base}/cancel")));
}

#[tokio::test]
async fn every_poll_failure_keeps_the_job() {
    for status in [
        ResponseTemplate::new(500),
        ResponseTemplate::new(200).set_body_string("{not json"),
        ResponseTemplate::new(200).set_body_string("<html>502 Bad Gateway</html>"),
        ResponseTemplate::new(200).set_body_json(json!({"status": "EXPLODED"})),
    ] {
        let server = MockServer::start().await;
        mount_status(&server, status, ResponseTemplate::new(500)).await;
        let (r, _) = run_fast(&server).await;
        let e = r.expect_err("fails");
        assert_eq!(
            e.remote_job.as_ref().map(|j| j.remote_id.as_str()),
            Some("r1"),
            "{e:?}"
        );
        assert!(e.may_have_billed());
        server.verify().await;
    }
}

#[tokio::test]
async fn failures_after_completed_are_billed_and_keep_the_job() {
    for case in ["garbage", "404", "html", "file"] {
        let server = MockServer::start().await;
        let result_resp = match case {
            "garbage" => ResponseTemplate::new(200).set_body_string("[[["),
            "file" => ResponseTemplate::new(200)
                .set_body_json(json!({"images": [{"url": "file:///etc/passwd"}]})),
            c => ResponseTemplate::new(200).set_body_json(
                json!({"images": [{"url": format!("{}/out/{c}.png", server.uri())}]}),
            ),
        };
        mount_status(
            &server,
            ResponseTemplate::new(200).set_body_json(json!({"status": "COMPLETED"})),
            result_resp,
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
        let (r, _) = run_fast(&server).await;
        let e = r.expect_err(case);
        assert!(e.remote_job.is_some(), "{case}: {e:?}");
        assert_eq!(e.billing, Billing::Billed, "{case}");
        server.verify().await;
    }
}

#[tokio::test]
async fn a_failed_request_is_definitive_and_not_billed() {
    let server = MockServer::start().await;
    mount_status(
        &server,
        ResponseTemplate::new(200).set_body_json(
            json!({"status": "COMPLETED", "error": "boom", "error_type": "internal_error"}),
        ),
        ResponseTemplate::new(500),
    )
    .await;
    let (r, _) = run_fast(&server).await;
    let e = r.expect_err("failed");
    assert!(e.remote_job.is_none());
    assert_eq!(e.billing, Billing::NotBilled);
}

#[tokio::test]
async fn the_key_never_follows_a_redirect_on_submit_or_poll() {
    let server = MockServer::start().await;
    let second = redirect_everything(&server).await;
    let e = run(&server).await.expect_err("refused");
    assert_redirect_refused(&e);
    assert_key_not_forwarded(&second).await;

    let server = MockServer::start().await;
    let second = redirect_everything(&server).await;
    Mock::given(method("POST"))
        .and(path("/fal-ai/flux/dev"))
        .respond_with(ResponseTemplate::new(200).set_body_json(submitted(&server)))
        .mount(&server)
        .await;
    let e = run(&server).await.expect_err("refused");
    assert_redirect_refused(&e);
    assert!(e.remote_job.is_some());
    assert_key_not_forwarded(&second).await;
}
