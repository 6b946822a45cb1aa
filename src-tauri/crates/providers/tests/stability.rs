//! Stability v2beta contract tests (providers.md §2): multipart, raw bytes, finish-reason.

use crate::common::*;
use providers::stability::Stability;
use providers::{ErrorClass, ImageProvider, KeyCheck, ProgressSink, ProviderError};
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn run(
    server: &MockServer,
    model: &str,
    resp: ResponseTemplate,
    route: &str,
) -> Result<providers::GenerateOutput, ProviderError> {
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(resp)
        .mount(server)
        .await;
    let mut r = req(model);
    r.width = 1344;
    r.height = 768;
    r.negative_prompt = Some("blurry".into());
    r.seed = Some(99);
    let out = Stability::new(&cfg(&server.uri()), client())
        .generate(&r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

fn image_ok(finish: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "image/png")
        .insert_header("finish-reason", finish)
        .insert_header("seed", "99")
        .insert_header("x-request-id", "stab-1")
        .set_body_bytes(png(40, 20))
}

#[tokio::test]
async fn ultra_raw_image_success_sends_multipart() {
    let server = MockServer::start().await;
    let out = run(
        &server,
        "stable-image-ultra",
        image_ok("SUCCESS"),
        "/v2beta/stable-image/generate/ultra",
    )
    .await
    .expect("ok");
    assert_eq!(out.images[0].seed, Some(99));
    assert_eq!((out.images[0].width, out.images[0].height), (40, 20));
    assert_eq!(out.remote_id.as_deref(), Some("stab-1"));
    assert_eq!(
        out.usage.headers.get("finish-reason").map(String::as_str),
        Some("SUCCESS")
    );
    let reqs = server.received_requests().await.unwrap_or_default();
    let r = &reqs[0];
    assert_eq!(
        r.headers.get("accept").and_then(|v| v.to_str().ok()),
        Some("image/*")
    );
    assert!(
        r.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .starts_with("multipart/form-data; boundary=")
    );
    let body = String::from_utf8_lossy(&r.body);
    for part in [
        "name=\"prompt\"",
        "name=\"negative_prompt\"",
        "16:9",
        "name=\"seed\"",
    ] {
        assert!(body.contains(part), "missing {part}");
    }
}

#[tokio::test]
async fn sd3_json_response_and_model_field() {
    let server = MockServer::start().await;
    let resp = ResponseTemplate::new(200)
        .set_body_json(json!({"image": png_b64(16, 16), "finish_reason": "SUCCESS", "seed": 5}));
    let out = run(
        &server,
        "sd3.5-large",
        resp,
        "/v2beta/stable-image/generate/sd3",
    )
    .await
    .expect("ok");
    assert_eq!(out.images[0].seed, Some(5));
    let reqs = server.received_requests().await.unwrap_or_default();
    assert!(String::from_utf8_lossy(&reqs[0].body).contains("sd3.5-large"));
}

#[tokio::test]
async fn content_filtered_200_is_a_billed_safety_block() {
    let server = MockServer::start().await;
    let e = run(
        &server,
        "stable-image-core",
        image_ok("CONTENT_FILTERED"),
        "/v2beta/stable-image/generate/core",
    )
    .await
    .expect_err("filtered");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: true });
    assert!(e.probably_billed());
    let u = e.usage.expect("usage kept for settlement");
    assert_eq!(
        u.headers.get("finish-reason").map(String::as_str),
        Some("CONTENT_FILTERED")
    );
}

#[tokio::test]
async fn error_statuses() {
    let body = |name: &str, msg: &str| json!({"id": "e1", "name": name, "errors": [msg]});
    let cases: Vec<(ResponseTemplate, ErrorClass)> = vec![
        (ResponseTemplate::new(403).set_body_json(body("content_moderation", "Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.")), ErrorClass::SafetyBlock { billed: false }),
        (ResponseTemplate::new(402).set_body_json(body("payment_required", "You lack sufficient credits")), ErrorClass::QuotaExhausted),
        (ResponseTemplate::new(401).set_body_json(body("unauthorized", "missing key")), ErrorClass::AuthFailed),
        (ResponseTemplate::new(400).set_body_json(body("bad_request", "prompt: cannot be empty")), ErrorClass::InvalidRequest { field: None }),
        (ResponseTemplate::new(422).set_body_json(body("invalid_language", "English only")), ErrorClass::InvalidRequest { field: None }),
        (ResponseTemplate::new(429).insert_header("retry-after", "60").set_body_json(body("rate_limit_exceeded", "slow down")), ErrorClass::RateLimited { retry_after_ms: Some(60_000) }),
        (ResponseTemplate::new(500).set_body_json(body("internal_error", "oops")), ErrorClass::Transient),
        (ResponseTemplate::new(200).insert_header("content-type", "text/html").set_body_string("<html>login</html>"), ErrorClass::MalformedResponse),
        (ResponseTemplate::new(200).insert_header("content-type", "image/png").set_body_bytes(bomb_png()), ErrorClass::MalformedResponse),
        (ResponseTemplate::new(200).set_body_json(json!({"image": "iVBORw0KGgoAAAANSUhEUgAA", "finish_reason": "SUCCESS"})), ErrorClass::MalformedResponse),
    ];
    for (resp, want) in cases {
        let server = MockServer::start().await;
        let e = run(
            &server,
            "stable-image-core",
            resp,
            "/v2beta/stable-image/generate/core",
        )
        .await
        .expect_err("err");
        assert_eq!(e.class, want, "{}", e.message);
    }
}

#[tokio::test]
async fn check_key_reads_balance() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/user/balance"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"credits": 22.5})))
        .mount(&server)
        .await;
    match Stability::new(&cfg(&server.uri()), client())
        .check_key(KEY)
        .await
    {
        KeyCheck::Valid { balance: Some(b) } => assert_eq!(b.amount, Decimal::new(225, 1)),
        other => panic!("{other:?}"),
    }
}

// ---- issue 11 ----

#[tokio::test]
async fn a_200_image_that_does_not_decode_is_billed() {
    let server = MockServer::start().await;
    let mut bytes = png(40, 20);
    bytes.truncate(50);
    let e = run(
        &server,
        "stable-image-core",
        ResponseTemplate::new(200)
            .insert_header("content-type", "image/png")
            .set_body_bytes(bytes),
        "/v2beta/stable-image/generate/core",
    )
    .await
    .expect_err("truncated");
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert_eq!(e.billing, providers::Billing::Billed);

    let server = MockServer::start().await;
    let e = run(
        &server,
        "stable-image-core",
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/html")
            .set_body_string("<html>gateway</html>"),
        "/v2beta/stable-image/generate/core",
    )
    .await
    .expect_err("not stability");
    assert_eq!(e.billing, providers::Billing::NotBilled);
}
