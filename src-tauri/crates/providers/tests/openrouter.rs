//! OpenRouter contract tests (providers.md §8): chat completions, data URLs, usage.cost.

use crate::common::*;
use providers::openrouter::OpenRouter;
use providers::{ErrorClass, ImageProvider, ProgressSink};
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn run(
    server: &MockServer,
    model: &str,
    resp: ResponseTemplate,
) -> Result<providers::GenerateOutput, providers::ProviderError> {
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(resp)
        .mount(server)
        .await;
    let out = OpenRouter::new(&cfg(&server.uri()), client())
        .generate(&req(model), Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

#[tokio::test]
async fn gemini_via_openrouter_reports_cost() {
    let server = MockServer::start().await;
    let body = json!({"id": "gen-1", "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "ok",
        "images": [{"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{}", png_b64(14, 14))}, "index": 0}]}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 1300, "total_tokens": 1310, "completion_tokens_details": {"image_tokens": 1290, "reasoning_tokens": 0}, "cost": 0.0387243}});
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(body_partial_json(
            json!({"modalities": ["image", "text"], "model": "google/gemini-2.5-flash-image"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let out = OpenRouter::new(&cfg(&server.uri()), client())
        .generate(
            &req("google/gemini-2.5-flash-image"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.remote_id.as_deref(), Some("gen-1"));
    assert_eq!(
        out.usage.reported_usd,
        Some(Decimal::new(387243, 7)),
        "exact decimal, no float rounding"
    );
    assert_eq!(
        (
            out.usage.tokens.image_out,
            out.usage.tokens.text_out,
            out.usage.tokens.text_in
        ),
        (1290, 10, 10)
    );
}

#[tokio::test]
async fn flux_gets_image_only_modality() {
    let server = MockServer::start().await;
    let body = json!({"id": "gen-2", "choices": [{"message": {"images": [{"image_url": {"url": format!("data:image/png;base64,{}", png_b64(8, 8))}}]}}], "usage": {"cost": 0.03}});
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(body_partial_json(json!({"modalities": ["image"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let out = OpenRouter::new(&cfg(&server.uri()), client())
        .generate(
            &req("black-forest-labs/flux.2-pro"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect("ok");
    assert_eq!(out.usage.reported_usd, Some(Decimal::new(3, 2)));
}

#[tokio::test]
async fn errors_including_200_with_error_body() {
    let err = |status: u16, code: u16, msg: &str| {
        ResponseTemplate::new(status).set_body_json(json!({"error": {"code": code, "message": msg, "metadata": {"reasons": ["violence"], "flagged_input": "…", "provider_name": "x", "model_slug": "y"}}}))
    };
    let cases: Vec<(ResponseTemplate, ErrorClass)> = vec![
        (err(402, 402, "Insufficient credits"), ErrorClass::QuotaExhausted),
        (err(403, 403, "Input was flagged by moderation"), ErrorClass::SafetyBlock { billed: false }),
        (err(429, 429, "Rate limited").insert_header("retry-after", "2"), ErrorClass::RateLimited { retry_after_ms: Some(2000) }),
        (err(502, 502, "Upstream returned an invalid response"), ErrorClass::Transient),
        (err(503, 503, "No provider available"), ErrorClass::Transient),
        (err(408, 408, "Timed out"), ErrorClass::Timeout { remote_job_id: None }),
        (err(401, 401, "No auth credentials found"), ErrorClass::AuthFailed),
        (err(200, 502, "Provider disconnected mid-generation"), ErrorClass::Transient),
        (ResponseTemplate::new(200).set_body_json(json!({"choices": [{"finish_reason": "content_filter", "message": {"content": ""}}], "usage": {"prompt_tokens": 8, "cost": 0.0001}})), ErrorClass::SafetyBlock { billed: true }),
        (ResponseTemplate::new(200).set_body_json(json!({"choices": [{"message": {"images": [{"image_url": {"url": "data:image/png;base64,iVBORw0K"}}]}}]})), ErrorClass::MalformedResponse),
        (ResponseTemplate::new(200).set_body_json(json!({"choices": [{"message": {"content": "I cannot draw"}}]})), ErrorClass::MalformedResponse),
    ];
    for (resp, want) in cases {
        let server = MockServer::start().await;
        let e = run(&server, "google/gemini-2.5-flash-image", resp)
            .await
            .expect_err("err");
        assert_eq!(e.class, want, "{}", e.message);
    }
}

// ---- issue 11 ----

fn chat(img: &str, usage: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(
        json!({"id": "gen-1", "choices": [{"finish_reason": "stop", "message": {"role": "assistant",
        "images": [{"type": "image_url", "image_url": {"url": img}}]}}], "usage": usage}),
    )
}

#[tokio::test]
async fn negative_or_absurd_cost_is_not_reported_and_images_are_kept() {
    for cost in [json!(-3), json!(1e300), json!("NaN"), json!(99999999999u64)] {
        let server = MockServer::start().await;
        let out = run(
            &server,
            "google/gemini-2.5-flash-image",
            chat(
                &format!("data:image/png;base64,{}", png_b64(8, 8)),
                json!({"prompt_tokens": 10, "completion_tokens": 1300, "cost": cost}),
            ),
        )
        .await
        .expect("images kept");
        assert_eq!(out.usage.reported_usd, None, "{cost}");
        assert_eq!(out.images.len(), 1);
    }
}

#[tokio::test]
async fn an_unreadable_image_with_a_reported_cost_is_billed() {
    let server = MockServer::start().await;
    let e = run(
        &server,
        "google/gemini-2.5-flash-image",
        chat(
            &format!("data:image/png;base64,{}", b64(b"nope")),
            json!({"prompt_tokens": 10, "completion_tokens": 1300, "cost": 0.0387}),
        ),
    )
    .await
    .expect_err("bad image");
    assert_eq!(e.billing, providers::Billing::Billed);
    assert_eq!(
        e.usage.as_ref().and_then(|u| u.reported_usd),
        Some(Decimal::new(387, 4))
    );

    let server = MockServer::start().await;
    let e = run(
        &server,
        "google/gemini-2.5-flash-image",
        ResponseTemplate::new(200).set_body_json(json!({"object": "x"})),
    )
    .await
    .expect_err("not openrouter");
    assert_eq!(e.billing, providers::Billing::NotBilled);
}
