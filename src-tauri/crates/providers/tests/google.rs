//! Google contract tests (providers.md §3): Gemini generateContent and Imagen predict.

use crate::common::*;
use providers::google::Google;
use providers::{Billing, ErrorClass, ImageProvider, ProgressSink, ProviderError};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GEMINI: &str = "/models/gemini-2.5-flash-image:generateContent";
const IMAGEN: &str = "/models/imagen-4.0-generate-001:predict";

async fn run(
    server: &MockServer,
    model: &str,
    route: &str,
    resp: ResponseTemplate,
) -> Result<providers::GenerateOutput, ProviderError> {
    Mock::given(method("POST"))
        .and(path(route))
        .and(header("x-goog-api-key", KEY))
        .respond_with(resp)
        .mount(server)
        .await;
    let out = Google::new(&cfg(&server.uri()), client())
        .generate(&req(model), Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

fn usage() -> Value {
    json!({"promptTokenCount": 12, "candidatesTokenCount": 1300, "totalTokenCount": 1350, "thoughtsTokenCount": 38,
           "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}],
           "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}, {"modality": "TEXT", "tokenCount": 10}]})
}

#[tokio::test]
async fn gemini_image_with_usage_metadata() {
    let server = MockServer::start().await;
    let body = json!({"candidates": [{"content": {"parts": [{"text": "Here you go"}, {"inlineData": {"mimeType": "image/png", "data": png_b64(12, 12)}}]}, "finishReason": "STOP"}], "usageMetadata": usage()});
    Mock::given(method("POST")).and(path(GEMINI)).and(body_partial_json(json!({"generationConfig": {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio": "1:1"}}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(body)).expect(1).mount(&server).await;
    let out = Google::new(&cfg(&server.uri()), client())
        .generate(
            &req("gemini-2.5-flash-image"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 1);
    let t = &out.usage.tokens;
    assert_eq!(
        (t.text_in, t.image_out, t.text_out, t.thinking),
        (12, 1290, 10, Some(38))
    );
    assert_eq!(out.usage.raw["totalTokenCount"], 1350);
}

#[tokio::test]
async fn gemini_safety_blocks_keep_billed_tokens() {
    let server = MockServer::start().await;
    let body = json!({"candidates": [{"finishReason": "IMAGE_SAFETY"}], "usageMetadata": {"promptTokenCount": 12, "thoughtsTokenCount": 200, "totalTokenCount": 212}});
    let e = run(
        &server,
        "gemini-2.5-flash-image",
        GEMINI,
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await
    .expect_err("blocked");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: true });
    let u = e.usage.expect("usage");
    assert_eq!(
        (u.tokens.text_in, u.tokens.thinking, u.tokens.image_out),
        (12, Some(200), 0)
    );

    let server = MockServer::start().await;
    let body = json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 9}});
    let e = run(
        &server,
        "gemini-2.5-flash-image",
        GEMINI,
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await
    .expect_err("blocked");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: true });
    assert!(e.message.contains("PROHIBITED_CONTENT"));

    let server = MockServer::start().await;
    let body = json!({"candidates": [{"content": {"parts": [{"text": "I can only describe it"}]}, "finishReason": "STOP"}]});
    let e = run(
        &server,
        "gemini-2.5-flash-image",
        GEMINI,
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await
    .expect_err("no image");
    assert_eq!(e.class, ErrorClass::MalformedResponse);
}

#[tokio::test]
async fn imagen_predict_partial_and_full_filtering() {
    let server = MockServer::start().await;
    let body = json!({"predictions": [{"bytesBase64Encoded": png_b64(10, 10), "mimeType": "image/png"}, {"raiFilteredReason": "filtered: person"}]});
    Mock::given(method("POST")).and(path(IMAGEN)).and(body_partial_json(json!({"instances": [{"prompt": "a red fox in the snow"}], "parameters": {"sampleCount": 2}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(body)).mount(&server).await;
    let mut r = req("imagen-4.0-generate-001");
    r.n = 2;
    let out = Google::new(&cfg(&server.uri()), client())
        .generate(&r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.safety.as_ref().map(|s| s.filtered), Some(1));
    assert_eq!(out.usage.billable_units, Some(rust_decimal::Decimal::ONE));

    let server = MockServer::start().await;
    let e = run(
        &server,
        "imagen-4.0-generate-001",
        IMAGEN,
        ResponseTemplate::new(200).set_body_json(json!({})),
    )
    .await
    .expect_err("all filtered");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: false });
}

#[tokio::test]
async fn google_rpc_errors() {
    let err = |code: u16, status: &str, msg: &str, details: Value| {
        ResponseTemplate::new(code).set_body_json(
            json!({"error": {"code": code, "message": msg, "status": status, "details": details}}),
        )
    };
    let cases: Vec<(ResponseTemplate, ErrorClass)> = vec![
        (err(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", json!([{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "5s"}])), ErrorClass::RateLimited { retry_after_ms: Some(5000) }),
        (err(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.", json!([{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []}])), ErrorClass::QuotaExhausted),
        (err(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}])), ErrorClass::AuthFailed),
        (err(400, "INVALID_ARGUMENT", "The prompt could not be submitted. Your current safety filter threshold prohibited one or more words.", json!([])), ErrorClass::SafetyBlock { billed: false }),
        (err(400, "INVALID_ARGUMENT", "Invalid aspect ratio", json!([])), ErrorClass::InvalidRequest { field: None }),
        (err(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers.", json!([])), ErrorClass::AuthFailed),
        (err(404, "NOT_FOUND", "models/foo is not found", json!([])), ErrorClass::InvalidRequest { field: Some("model".into()) }),
        (err(503, "UNAVAILABLE", "The model is overloaded.", json!([])), ErrorClass::Transient),
        (err(504, "DEADLINE_EXCEEDED", "Deadline expired", json!([])), ErrorClass::Timeout { remote_job_id: None }),
        (ResponseTemplate::new(200).set_body_json(json!({"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "@@@not-base64@@@"}}]}}]})), ErrorClass::MalformedResponse),
    ];
    for (resp, want) in cases {
        let server = MockServer::start().await;
        let e = run(&server, "gemini-2.5-flash-image", GEMINI, resp)
            .await
            .expect_err("err");
        assert_eq!(e.class, want, "{}", e.message);
    }
}

// ---- issue 11 ----

#[tokio::test]
async fn predict_without_predictions_is_malformed_not_a_safety_block() {
    let server = MockServer::start().await;
    let e = run(
        &server,
        "imagen-4.0-generate-001",
        IMAGEN,
        ResponseTemplate::new(200).set_body_json(json!({"status": "Pending"})),
    )
    .await
    .expect_err("not imagen's answer");
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert_eq!(e.billing, Billing::NotBilled);
}

#[tokio::test]
async fn unreadable_images_with_usage_are_billed() {
    let server = MockServer::start().await;
    let body = json!({"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": b64(b"not an image")}}]}}], "usageMetadata": usage()});
    let e = run(
        &server,
        "gemini-2.5-flash-image",
        GEMINI,
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await
    .expect_err("bad image");
    assert_eq!(e.billing, Billing::Billed);
    assert_eq!(e.usage.as_ref().map(|u| u.tokens.image_out), Some(1290));

    let server = MockServer::start().await;
    let body = json!({"predictions": [{"bytesBase64Encoded": "@@@"}]});
    let e = run(
        &server,
        "imagen-4.0-generate-001",
        IMAGEN,
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await
    .expect_err("bad image");
    assert_eq!(e.billing, Billing::Billed);
}

#[tokio::test]
async fn invalid_token_counts_are_not_reported() {
    let server = MockServer::start().await;
    let body = json!({"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": png_b64(8, 8)}}]}}],
                      "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": -5}});
    let out = run(
        &server,
        "gemini-2.5-flash-image",
        GEMINI,
        ResponseTemplate::new(200).set_body_json(body),
    )
    .await
    .expect("images kept");
    assert!(out.usage.tokens.is_empty(), "{:?}", out.usage.tokens);
}

#[tokio::test]
async fn the_key_never_follows_a_redirect() {
    let server = MockServer::start().await;
    let second = redirect_everything(&server).await;
    let e = Google::new(&cfg(&server.uri()), client())
        .generate(
            &req("imagen-4.0-fast-generate-001"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("refused");
    assert_redirect_refused(&e);
    assert_key_not_forwarded(&second).await;
    assert!(
        e.message.contains("PROOFSHEET_GOOGLE_BASE_URL"),
        "{}",
        e.message
    );
}
