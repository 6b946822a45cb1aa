//! Together contract tests (providers.md §7).

use crate::common::*;
use providers::together::Together;
use providers::{ErrorClass, ImageProvider, ProgressSink};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn run(
    server: &MockServer,
    resp: ResponseTemplate,
) -> Result<providers::GenerateOutput, providers::ProviderError> {
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(resp)
        .mount(server)
        .await;
    let mut r = req("black-forest-labs/FLUX.1-schnell");
    r.steps = Some(4);
    let out = Together::new(&cfg(&server.uri()), client())
        .generate(&r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

#[tokio::test]
async fn base64_and_url_images() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/cdn/x.png"))
        .and(header("user-agent", providers::http::USER_AGENT_VALUE))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(8, 8)))
        .mount(&server)
        .await;
    let body = json!({"id": "tg-1", "model": "black-forest-labs/FLUX.1-schnell", "object": "list",
                      "data": [{"index": 0, "b64_json": png_b64(16, 16)}, {"index": 1, "url": format!("{}/cdn/x.png", server.uri())}]});
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .and(body_partial_json(
            json!({"steps": 4, "width": 1024, "response_format": "base64"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let out = Together::new(&cfg(&server.uri()), client())
        .generate(
            &{
                let mut r = req("black-forest-labs/FLUX.1-schnell");
                r.steps = Some(4);
                r.n = 2;
                r
            },
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 2);
    assert_eq!(out.remote_id.as_deref(), Some("tg-1"));
    assert_eq!(
        out.usage.billable_units,
        Some(rust_decimal::Decimal::new(2, 0))
    );
}

#[tokio::test]
async fn errors_both_readings_of_unverified_shapes() {
    let e = |status: u16, msg: &str| {
        ResponseTemplate::new(status).set_body_json(json!({"error": {"message": msg, "type": "invalid_request_error", "param": null, "code": null}}))
    };
    let cases: Vec<(ResponseTemplate, ErrorClass)> = vec![
        (e(402, "Payment required"), ErrorClass::QuotaExhausted),
        (
            e(400, "Insufficient balance: please add credits"),
            ErrorClass::QuotaExhausted,
        ),
        (
            e(422, "NSFW content detected by the safety checker"),
            ErrorClass::SafetyBlock { billed: false },
        ),
        (
            e(429, "rate limited").insert_header("retry-after", "4"),
            ErrorClass::RateLimited {
                retry_after_ms: Some(4000),
            },
        ),
        (e(503, "overloaded"), ErrorClass::Transient),
        (e(401, "invalid api key"), ErrorClass::AuthFailed),
        (
            ResponseTemplate::new(200).set_body_json(json!({"data": []})),
            ErrorClass::MalformedResponse,
        ),
    ];
    for (resp, want) in cases {
        let server = MockServer::start().await;
        assert_eq!(run(&server, resp).await.expect_err("err").class, want);
    }
}

// ---- issue 11 ----

#[tokio::test]
async fn never_more_images_than_requested_and_priced_on_what_is_kept() {
    let server = MockServer::start().await;
    let data: Vec<_> = (0..5)
        .map(|i| json!({"index": i, "b64_json": png_b64(8, 8)}))
        .collect();
    let out = run(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": "tg", "data": data})),
    )
    .await
    .expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.usage.billable_units, Some(rust_decimal::Decimal::ONE));
}

#[tokio::test]
async fn an_unreadable_image_is_billed() {
    let server = MockServer::start().await;
    let e = run(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({"id": "tg", "data": [{"b64_json": b64(b"text")}]})),
    )
    .await
    .expect_err("bad image");
    assert_eq!(e.billing, providers::Billing::Billed);
}
