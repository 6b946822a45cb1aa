//! Black Forest Labs contract tests (providers.md §6): x-key, submit cost, polling, moderation.

use std::time::Duration;

use crate::common::*;
use providers::bfl::Bfl;
use providers::{
    Billing, ErrorClass, ImageProvider, KeyCheck, ProgressSink, ProviderError, ProviderProgress,
};
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

// ---- issue 11: the job is never lost, billing evidence, redirects, key echo ----

/// Submit answers with a regional polling URL and `cost: 4`; polls answer `poll`.
async fn mount_regional(server: &MockServer, poll: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v1/flux-pro-1.1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "t1", "polling_url": format!("{}/eu1/v1/get_result?id=t1", server.uri()), "cost": 4
        })))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/eu1/v1/get_result"))
        .respond_with(poll)
        .mount(server)
        .await;
}

async fn run_fast(
    server: &MockServer,
) -> (
    Result<providers::GenerateOutput, ProviderError>,
    Vec<ProviderProgress>,
) {
    let mut c = cfg(&server.uri());
    c.poll_deadline = Duration::from_millis(300);
    let (sink, events) = recorder();
    let r = Bfl::new(&c, client())
        .generate(&req("flux-pro-1.1"), Some(KEY), &sink, &no_cancel())
        .await;
    if let Err(e) = &r {
        assert_no_key(e);
    }
    let ev = events.lock().expect("lock").clone();
    (r, ev)
}

#[tokio::test]
async fn submitted_carries_the_regional_polling_url_and_the_submit_cost() {
    let server = MockServer::start().await;
    mount_regional(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"status": "Pending"})),
    )
    .await;
    let (r, events) = run_fast(&server).await;
    let e = r.expect_err("deadline");
    let job = events
        .iter()
        .find_map(|p| match p {
            ProviderProgress::Submitted { job } => Some(job.clone()),
            _ => None,
        })
        .expect("submitted");
    assert!(
        job.poll_url.as_deref().is_some_and(|u| u.contains("/eu1/")),
        "{job:?}"
    );
    let credits: Decimal =
        serde_json::from_value(job.extra["submit_credits"].clone()).expect("submit_credits");
    assert_eq!(credits, Decimal::new(4, 0));
    assert_eq!(
        e.remote_job.as_deref(),
        Some(&*job),
        "the deadline error carries the same job"
    );

    // Resume polls the stored regional URL (the global endpoint does not know the task).
    let server2 = MockServer::start().await;
    let mut job2 = (*job).clone();
    job2.poll_url = Some(format!("{}/eu1/v1/get_result?id=t1", server2.uri()));
    Mock::given(method("GET"))
        .and(path("/eu1/v1/get_result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "Ready", "result": {"sample": format!("{}/s.png", server2.uri())}}),
        ))
        .mount(&server2)
        .await;
    Mock::given(method("GET"))
        .and(path("/s.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(8, 8)))
        .mount(&server2)
        .await;
    let out = Bfl::new(&cfg(&server2.uri()), client())
        .resume(&job2, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect("resumed via the regional URL");
    assert_eq!(out.usage.credits, Some(Decimal::new(4, 0)));
}

#[tokio::test]
async fn every_poll_failure_keeps_the_job() {
    let polls = vec![
        ResponseTemplate::new(500).set_body_json(json!({"detail": "temporary glitch"})),
        ResponseTemplate::new(200).set_body_string("{not json"),
        ResponseTemplate::new(200).set_body_string("<html>502 Bad Gateway</html>"),
        ResponseTemplate::new(200).set_body_json(json!({"status": "Exploded"})),
    ];
    for poll in polls {
        let server = MockServer::start().await;
        mount_regional(&server, poll).await;
        let (r, _) = run_fast(&server).await;
        let e = r.expect_err("fails");
        let job = e
            .remote_job
            .as_ref()
            .unwrap_or_else(|| panic!("no job: {e:?}"));
        assert_eq!(job.remote_id, "t1");
        assert!(e.may_have_billed(), "{e:?}");
        server.verify().await; // one submit only
    }
}

#[tokio::test]
async fn a_poll_connection_cut_keeps_the_job() {
    let submit = json!({"id": "t1", "cost": 4}).to_string();
    let base = raw_server_routes(vec![
        ("POST ", ok_json(&submit)),
        ("GET ", cut_response(500, r#"{"status": "Pen"#)),
    ])
    .await;
    let e = Bfl::new(&cfg(&base), client())
        .generate(
            &req("flux-pro-1.1"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("cut");
    assert_eq!(
        e.remote_job.as_ref().map(|j| j.remote_id.as_str()),
        Some("t1")
    );
    assert_eq!(e.billing, Billing::Unknown);
}

#[tokio::test]
async fn result_download_failures_after_ready_are_billed_and_keep_the_job() {
    for sample in ["404", "html", "file"] {
        let server = MockServer::start().await;
        let url = match sample {
            "file" => "file:///etc/passwd".to_string(),
            s => format!("{}/delivery/{s}.png", server.uri()),
        };
        mount_regional(
            &server,
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "Ready", "result": {"sample": url}})),
        )
        .await;
        Mock::given(method("GET"))
            .and(path("/delivery/404.png"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/delivery/html.png"))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>not an image</html>"))
            .mount(&server)
            .await;
        let (r, _) = run_fast(&server).await;
        let e = r.expect_err(sample);
        assert!(e.remote_job.is_some(), "{sample}: {e:?}");
        assert_eq!(e.billing, Billing::Billed, "{sample}");
        assert_eq!(
            e.usage.as_ref().and_then(|u| u.credits),
            Some(Decimal::new(4, 0))
        );
        server.verify().await;
    }
}

#[tokio::test]
async fn a_failed_task_is_definitive_and_charges_the_submit_cost() {
    let server = MockServer::start().await;
    mount_regional(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({"status": "Error", "details": "worker crashed"})),
    )
    .await;
    let (r, _) = run_fast(&server).await;
    let e = r.expect_err("failed");
    assert!(e.remote_job.is_none(), "nothing to resume");
    assert_eq!(e.billing, Billing::Billed);
    assert_eq!(
        e.usage.as_ref().and_then(|u| u.credits),
        Some(Decimal::new(4, 0))
    );
}

#[tokio::test]
async fn cancel_while_polling_charges_the_submit_cost() {
    let server = MockServer::start().await;
    mount_regional(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"status": "Pending"})),
    )
    .await;
    let cancel = no_cancel();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        c2.cancel();
    });
    let e = Bfl::new(&cfg(&server.uri()), client())
        .generate(
            &req("flux-pro-1.1"),
            Some(KEY),
            &ProgressSink::noop(),
            &cancel,
        )
        .await
        .expect_err("cancelled");
    assert_eq!(e.class, ErrorClass::Cancelled);
    assert_eq!(
        e.billing,
        Billing::Billed,
        "BFL has no cancel endpoint: the cost is owed"
    );
}

#[tokio::test]
async fn negative_or_absurd_submit_cost_is_not_reported() {
    for cost in [json!(-50), json!(1e30), json!("lots")] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"id": "t1", "cost": cost})),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1/get_result"))
            .respond_with(ResponseTemplate::new(200).set_body_json(ready(&server)))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/delivery/s.png"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(png(8, 8)))
            .mount(&server)
            .await;
        let out = run(&server).await.expect("images kept");
        assert_eq!(out.usage.credits, None, "{cost}");
    }
}

#[tokio::test]
async fn a_key_echoed_as_the_job_id_is_never_printed_or_stored() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": KEY, "polling_url": format!("{}/v1/get_result?id={KEY}", server.uri())}),
        ))
        .mount(&server)
        .await;
    let p = providers::provider_for(vocab::ProviderId::Bfl, &cfg(&server.uri()), client())
        .expect("bfl");
    let (sink, events) = recorder();
    let e = p
        .generate(&req("flux-pro-1.1"), Some(KEY), &sink, &no_cancel())
        .await
        .expect_err("refused");
    assert_no_key(&e);
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert_eq!(e.billing, Billing::Unknown);
    let seen = format!("{:?}", events.lock().expect("lock"));
    assert!(!seen.contains(KEY), "{seen}");
    let polls = server.received_requests().await.unwrap_or_default();
    assert!(
        polls.iter().all(|r| r.method.as_str() == "POST"),
        "never polled"
    );
}

#[tokio::test]
async fn the_key_never_follows_a_redirect_on_submit_or_poll() {
    // Submit redirected.
    let server = MockServer::start().await;
    let second = redirect_everything(&server).await;
    let e = run(&server).await.expect_err("refused");
    assert_redirect_refused(&e);
    assert_key_not_forwarded(&second).await;

    // Poll redirected: the error keeps the job, nothing reaches the other origin.
    let server = MockServer::start().await;
    let second = redirect_everything(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/flux-pro-1.1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(submit(&server)))
        .mount(&server)
        .await;
    let e = run(&server).await.expect_err("refused");
    assert_redirect_refused(&e);
    assert!(e.remote_job.is_some());
    assert_key_not_forwarded(&second).await;
    assert!(
        second
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}
