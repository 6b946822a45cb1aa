//! Gemini image inputs (image-inputs.md §1.3): `inlineData {mimeType, data}` parts before
//! the text in `contents.parts`, no mask, image-input tokens in `usageMetadata`.
use crate::support::inputs;
use crate::support::refused;

use crate::common::*;
use inputs::*;
use providers::google::Google;
use providers::{ErrorClass, GenerateRequest, ImageProvider, ProgressSink, ProviderError};
use refused::*;
use serde_json::{Value, json};
use vocab::Operation;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MODEL: &str = "gemini-3-pro-image-preview";
const ROUTE: &str = "/models/gemini-3-pro-image-preview:generateContent";

async fn gemini_ok(server: &MockServer) {
    let body = json!({
        "candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": png_b64(64, 64)}}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 1132, "candidatesTokenCount": 1120, "totalTokenCount": 2252,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}, {"modality": "IMAGE", "tokenCount": 1120}],
            "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1120}]}
    });
    Mock::given(method("POST"))
        .and(path(ROUTE))
        .and(header("x-goog-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn send(
    server: &MockServer,
    r: &GenerateRequest,
) -> Result<providers::GenerateOutput, ProviderError> {
    let out = Google::new(&cfg(&server.uri()), client())
        .generate(r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

async fn sent_parts(server: &MockServer) -> Vec<Value> {
    let got = server.received_requests().await.unwrap_or_default();
    assert_eq!(got.len(), 1, "exactly one request");
    let body: Value = serde_json::from_slice(&got[0].body).expect("json body");
    body["contents"][0]["parts"]
        .as_array()
        .cloned()
        .expect("parts")
}

#[tokio::test]
async fn edit_with_references_sends_inline_parts_before_the_text() {
    let server = MockServer::start().await;
    gemini_ok(&server).await;
    let r = with_inputs(MODEL, Operation::Edit, 2, 64, 64);
    let out = send(&server, &r).await.expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!(
        (out.usage.tokens.image_in, out.usage.tokens.text_in),
        (1120, 12)
    );
    let parts = sent_parts(&server).await;
    assert_eq!(parts.len(), 4, "3 images then the text");
    for (part, input) in parts.iter().zip(&r.inputs.images) {
        assert_eq!(part["inlineData"]["mimeType"], "image/png");
        assert_eq!(
            part["inlineData"]["data"],
            json!(b64(&input.bytes)),
            "subject first, in order"
        );
    }
    assert_eq!(parts[3], json!({"text": "put the fox in a red scarf"}));
}

#[tokio::test]
async fn generate_with_references_and_vary_use_the_same_shape() {
    let server = MockServer::start().await;
    gemini_ok(&server).await;
    let mut r = with_inputs(MODEL, Operation::Generate, 1, 64, 64);
    r.inputs.images.remove(0);
    send(&server, &r).await.expect("ok");
    let parts = sent_parts(&server).await;
    assert_eq!(parts.len(), 2);
    assert!(parts[0].get("inlineData").is_some());

    let server = MockServer::start().await;
    gemini_ok(&server).await;
    send(&server, &with_inputs(MODEL, Operation::Vary, 2, 64, 64))
        .await
        .expect("ok");
    assert_eq!(
        sent_parts(&server).await.len(),
        2,
        "the subject alone, then the text"
    );
}

#[tokio::test]
async fn text_only_requests_are_unchanged() {
    let server = MockServer::start().await;
    gemini_ok(&server).await;
    send(&server, &req(MODEL)).await.expect("ok");
    assert_eq!(
        sent_parts(&server).await,
        vec![json!({"text": "a red fox in the snow"})]
    );
}

#[tokio::test]
async fn masks_expand_upscale_and_imagen_inputs_are_refused_before_sending() {
    let server = MockServer::start().await;
    gemini_ok(&server).await;
    let mut inpaint = with_inputs(MODEL, Operation::Inpaint, 0, 64, 64);
    inpaint.inputs.mask = Some(alpha_mask(64, 64));
    let cases = [
        (inpaint, "instruction only"),
        (with_inputs(MODEL, Operation::Expand, 0, 64, 64), "expand"),
        (with_inputs(MODEL, Operation::Upscale, 0, 64, 64), "upscale"),
        (
            with_inputs("imagen-4.0-generate-001", Operation::Edit, 0, 64, 64),
            "no input images",
        ),
        (
            with_inputs(MODEL, Operation::Generate, 14, 64, 64),
            "at most 14",
        ),
    ];
    assert_refused_before_sending(&server, cases, |r| {
        let s = &server;
        async move { send(s, &r).await }
    })
    .await;
}

#[tokio::test]
async fn an_edit_refused_for_safety_is_classified() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ROUTE))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
            "usageMetadata": {"promptTokenCount": 1132, "totalTokenCount": 1132}
        })))
        .mount(&server)
        .await;
    let e = send(&server, &with_inputs(MODEL, Operation::Edit, 0, 64, 64))
        .await
        .expect_err("blocked");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: true });

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ROUTE))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"code": 400, "message": "Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting", "status": "INVALID_ARGUMENT"}
        })))
        .mount(&server)
        .await;
    let e = send(&server, &with_inputs(MODEL, Operation::Edit, 0, 64, 64))
        .await
        .expect_err("bad image");
    assert!(
        matches!(e.class, ErrorClass::InvalidRequest { .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn the_batch_tier_takes_inline_inputs_and_refuses_a_mask() {
    let server = MockServer::start().await;
    let mut masked = with_inputs(MODEL, Operation::Inpaint, 0, 64, 64);
    masked.inputs.mask = Some(alpha_mask(64, 64));
    let g = Google::new(&cfg(&server.uri()), client());
    let e = g
        .submit_batch(&masked, Some(KEY), &no_cancel())
        .await
        .expect_err("refused");
    assert!(e.message.contains("instruction only"), "{}", e.message);
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );

    Mock::given(method("POST"))
        .and(path(format!("/models/{MODEL}:batchGenerateContent")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "batches/b1",
            "metadata": {"model": format!("models/{MODEL}"), "state": "BATCH_STATE_PENDING"}
        })))
        .mount(&server)
        .await;
    let r = with_inputs(MODEL, Operation::Edit, 1, 64, 64);
    g.submit_batch(&r, Some(KEY), &no_cancel())
        .await
        .expect("submitted");
    let got = server.received_requests().await.unwrap_or_default();
    let body: Value = serde_json::from_slice(&got[0].body).expect("json");
    let parts =
        &body["batch"]["inputConfig"]["requests"]["requests"][0]["request"]["contents"][0]["parts"];
    assert_eq!(parts.as_array().map(Vec::len), Some(3));
    assert_eq!(
        parts[0]["inlineData"]["data"],
        json!(b64(&r.inputs.images[0].bytes))
    );
    assert_eq!(parts[2]["text"], "put the fox in a red scarf");
}
