//! OpenAI `/v1/images/edits` contract tests against wiremock: the multipart shape OpenAI
//! documents (`image[]` per input, subject first, `mask`, `input_fidelity` except on
//! gpt-image-1-mini) and its errors (image-inputs.md §1.1–1.2).
use crate::support::inputs;
use crate::support::multipart;
use crate::support::refused;

use crate::common::*;
use inputs::*;
use multipart::{all, parts, text_of};
use providers::openai::OpenAi;
use providers::{ErrorClass, GenerateRequest, ImageProvider, ProgressSink, ProviderError};
use refused::*;
use serde_json::json;
use vocab::{InputFidelity, Operation};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn ok_body() -> serde_json::Value {
    json!({
        "created": 1,
        "data": [{"b64_json": png_b64(64, 64)}],
        "usage": {
            "input_tokens": 9200,
            "input_tokens_details": {"text_tokens": 50, "image_tokens": 9150},
            "output_tokens": 272,
            "total_tokens": 9472
        }
    })
}

async fn edits_ok(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/images/edits"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
        .mount(server)
        .await;
}

async fn send(
    server: &MockServer,
    r: &GenerateRequest,
) -> Result<providers::GenerateOutput, ProviderError> {
    OpenAi::new(&cfg(&server.uri()), client())
        .generate(r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
}

async fn only_request(server: &MockServer) -> wiremock::Request {
    let got = server.received_requests().await.unwrap_or_default();
    assert_eq!(got.len(), 1, "expected exactly one request");
    got.into_iter().next().expect("one request")
}

#[tokio::test]
async fn inpaint_with_references_sends_every_image_the_mask_and_fidelity() {
    let server = MockServer::start().await;
    edits_ok(&server).await;
    let mut r = with_inputs("gpt-image-1.5", Operation::Inpaint, 2, 64, 64);
    r.quality = Some("high".into());
    r.inputs.mask = Some(alpha_mask(64, 64));
    r.inputs.fidelity = Some(InputFidelity::High);
    let out = send(&server, &r).await.expect("edit ok");
    assert_eq!(out.images.len(), 1);
    // Settlement reconciles the input-image tokens the provider reported.
    let t = &out.usage.tokens;
    assert_eq!((t.text_in, t.image_in, t.image_out), (50, 9150, 272));
    assert_eq!(out.usage.raw["input_tokens_details"]["image_tokens"], 9150);

    let req = only_request(&server).await;
    assert_eq!(req.url.path(), "/images/edits");
    assert_eq!(
        req.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {KEY}").as_str())
    );
    let p = parts(&req);
    assert_eq!(text_of(&p, "model").as_deref(), Some("gpt-image-1.5"));
    assert_eq!(
        text_of(&p, "prompt").as_deref(),
        Some("put the fox in a red scarf")
    );
    assert_eq!(text_of(&p, "input_fidelity").as_deref(), Some("high"));
    assert_eq!(text_of(&p, "quality").as_deref(), Some("high"));
    assert_eq!(text_of(&p, "size").as_deref(), Some("64x64"));
    assert_eq!(text_of(&p, "n").as_deref(), Some("1"));
    assert_eq!(text_of(&p, "output_format").as_deref(), Some("png"));
    assert_eq!(text_of(&p, "response_format"), None, "gpt-image rejects it");
    let images = all(&p, "image[]");
    assert_eq!(images.len(), 3);
    for (sent, input) in images.iter().zip(&r.inputs.images) {
        assert_eq!(
            sent.bytes,
            &input.bytes[..],
            "inputs in order, subject first"
        );
        assert_eq!(sent.content_type.as_deref(), Some("image/png"));
        assert!(
            sent.file_name
                .as_deref()
                .is_some_and(|f| f.ends_with(".png"))
        );
    }
    let mask = all(&p, "mask");
    assert_eq!(mask.len(), 1);
    let sent_mask = r.inputs.mask.as_ref().expect("mask");
    assert_eq!(mask[0].bytes, &sent_mask.bytes[..], "the mask goes as-is");
    assert_eq!(mask[0].content_type.as_deref(), Some("image/png"));
}

#[tokio::test]
async fn mini_gets_no_fidelity_field_and_refuses_high() {
    let server = MockServer::start().await;
    edits_ok(&server).await;
    let mut r = with_inputs("gpt-image-1-mini", Operation::Edit, 0, 64, 64);
    r.inputs.fidelity = Some(InputFidelity::Low);
    send(&server, &r)
        .await
        .expect("low fidelity on mini is its default");
    let p = parts(&only_request(&server).await);
    assert_eq!(text_of(&p, "input_fidelity"), None);
    assert_eq!(all(&p, "image[]").len(), 1);
    assert!(all(&p, "mask").is_empty());

    let quiet = MockServer::start().await;
    edits_ok(&quiet).await;
    r.inputs.fidelity = Some(InputFidelity::High);
    let e = send(&quiet, &r).await.expect_err("high on mini");
    assert!(
        matches!(e.class, ErrorClass::InvalidRequest { .. }),
        "{e:?}"
    );
    assert!(e.message.contains("input_fidelity=high"), "{}", e.message);
    assert!(
        quiet
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "nothing sent"
    );
}

#[tokio::test]
async fn fidelity_absent_when_not_chosen() {
    let server = MockServer::start().await;
    edits_ok(&server).await;
    let r = with_inputs("gpt-image-1", Operation::Edit, 0, 64, 64);
    send(&server, &r).await.expect("ok");
    let p = parts(&only_request(&server).await);
    assert_eq!(text_of(&p, "input_fidelity"), None);
}

#[tokio::test]
async fn vary_sends_only_the_subject_and_a_prompt() {
    let server = MockServer::start().await;
    edits_ok(&server).await;
    let mut r = with_inputs("gpt-image-2", Operation::Vary, 2, 64, 64);
    r.prompt = String::new();
    send(&server, &r).await.expect("ok");
    let p = parts(&only_request(&server).await);
    let images = all(&p, "image[]");
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].bytes, &r.inputs.images[0].bytes[..]);
    assert!(text_of(&p, "prompt").is_some_and(|t| t.contains("variation")));
}

#[tokio::test]
async fn generate_with_references_uses_the_edits_endpoint() {
    let server = MockServer::start().await;
    edits_ok(&server).await;
    let mut r = with_inputs("gpt-image-1.5", Operation::Generate, 2, 64, 64);
    r.inputs.images.remove(0); // references only
    r.extra = json!({"background": "opaque", "output_format": "webp"});
    send(&server, &r).await.expect("ok");
    let p = parts(&only_request(&server).await);
    assert_eq!(all(&p, "image[]").len(), 2);
    assert_eq!(text_of(&p, "background").as_deref(), Some("opaque"));
    assert_eq!(text_of(&p, "output_format").as_deref(), Some("webp"));
}

#[tokio::test]
async fn text_to_image_still_goes_to_generations() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
        .expect(1)
        .mount(&server)
        .await;
    send(&server, &req("gpt-image-1")).await.expect("ok");
}

#[tokio::test]
async fn expand_and_upscale_are_refused_with_a_way_out() {
    let server = MockServer::start().await;
    edits_ok(&server).await;
    for (op, needle) in [
        (Operation::Expand, "cannot expand"),
        (Operation::Upscale, "cannot upscale"),
    ] {
        let r = with_inputs("gpt-image-1", op, 0, 64, 64);
        let e = send(&server, &r).await.expect_err("refused");
        assert!(
            matches!(e.class, ErrorClass::InvalidRequest { .. }),
            "{e:?}"
        );
        assert!(
            e.message.contains(needle) && e.message.contains("use"),
            "{}",
            e.message
        );
    }
    let mut r = with_inputs("gpt-image-1", Operation::Inpaint, 0, 64, 64);
    let e = send(&server, &r).await.expect_err("inpaint without mask");
    assert!(e.message.contains("mask"), "{}", e.message);
    r.inputs.mask = Some(alpha_mask(32, 32));
    let e = send(&server, &r).await.expect_err("mask of another size");
    assert!(e.message.contains("same size"), "{}", e.message);
    assert_nothing_sent(&server).await;
}

async fn edit_error(resp: ResponseTemplate) -> ProviderError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/edits"))
        .respond_with(resp)
        .mount(&server)
        .await;
    let mut r = with_inputs("gpt-image-1", Operation::Inpaint, 0, 64, 64);
    r.inputs.mask = Some(alpha_mask(64, 64));
    let e = send(&server, &r).await.expect_err("should fail");
    assert_no_key(&e);
    e
}

fn openai_error(status: u16, code: &str, param: Option<&str>, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(
        json!({"error": {"message": msg, "type": "invalid_request_error", "param": param, "code": code}}),
    )
}

#[tokio::test]
async fn errors_are_classified_like_generations() {
    let e = edit_error(openai_error(
        400,
        "invalid_value",
        Some("mask"),
        "Invalid mask image format - mask size does not match image size",
    ))
    .await;
    assert_eq!(
        e.class,
        ErrorClass::InvalidRequest {
            field: Some("mask".into())
        }
    );
    assert!(
        e.message.contains("same size as the first image"),
        "{}",
        e.message
    );
    assert!(!e.is_retryable());

    let e = edit_error(openai_error(
        400,
        "moderation_blocked",
        None,
        "Your request was rejected by the safety system.",
    ))
    .await;
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: false });

    let e = edit_error(
        openai_error(
            429,
            "rate_limit_exceeded",
            None,
            "Rate limit reached for images",
        )
        .insert_header("retry-after", "7"),
    )
    .await;
    assert_eq!(
        e.class,
        ErrorClass::RateLimited {
            retry_after_ms: Some(7000)
        }
    );

    let e = edit_error(openai_error(
        500,
        "server_error",
        None,
        "The server had an error",
    ))
    .await;
    assert_eq!(e.class, ErrorClass::Transient);
    assert!(e.is_retryable());

    let e = edit_error(openai_error(
        400,
        "invalid_image_format",
        Some("image"),
        "Invalid input image - format must be in ['image/jpeg', 'image/png', 'image/webp'].",
    ))
    .await;
    assert_eq!(
        e.class,
        ErrorClass::InvalidRequest {
            field: Some("image".into())
        }
    );
}

#[test]
fn cached_input_tokens_are_not_billed_twice() {
    use providers::openai::tokens_from_usage;
    let usage = |details: serde_json::Value| json!({"input_tokens": 9200, "input_tokens_details": details, "output_tokens": 272});
    // Cached tokens counted inside the text/image split: taken out of the image tokens.
    let t = tokens_from_usage(&usage(
        json!({"text_tokens": 50, "image_tokens": 9150, "cached_tokens": 9000}),
    ));
    assert_eq!((t.text_in, t.image_in, t.cached_in), (50, 150, 9000));
    assert_eq!(
        t.text_in + t.image_in + t.cached_in,
        9200,
        "classes add up to the total"
    );
    // With a breakdown of the cached tokens, each class loses its own share.
    let t = tokens_from_usage(&usage(json!({
        "text_tokens": 50, "image_tokens": 9150, "cached_tokens": 9000,
        "cached_tokens_details": {"text_tokens": 40, "image_tokens": 8960}
    })));
    assert_eq!((t.text_in, t.image_in, t.cached_in), (10, 190, 9000));
    // Cached tokens reported beside the split (classes already exclusive): unchanged.
    let t = tokens_from_usage(&usage(
        json!({"text_tokens": 50, "image_tokens": 9000, "cached_tokens": 150}),
    ));
    assert_eq!((t.text_in, t.image_in, t.cached_in), (50, 9000, 150));
    // No cache: the reported split as is.
    let t = tokens_from_usage(&usage(json!({"text_tokens": 50, "image_tokens": 9150})));
    assert_eq!(
        (t.text_in, t.image_in, t.cached_in, t.image_out),
        (50, 9150, 0, 272)
    );
}

#[tokio::test]
async fn an_openai_compatible_gateway_gets_the_same_edit_without_a_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/edits"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body()))
        .expect(1)
        .mount(&server)
        .await;
    let mut c = cfg(&format!("{}/v1/", server.uri()));
    c.models = vec!["gpt-image-1".into()];
    let p = providers::provider_for(vocab::ProviderId::OpenAiCompatible, &c, client())
        .expect("configured");
    let r = with_inputs("gpt-image-1", Operation::Edit, 1, 64, 64);
    p.generate(&r, None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect("ok");
    let req = only_request(&server).await;
    assert!(req.headers.get("authorization").is_none());
    assert_eq!(all(&parts(&req), "image[]").len(), 2);
}

#[tokio::test]
async fn edits_are_not_sent_to_the_batch_tier() {
    let server = MockServer::start().await;
    let r = with_inputs("gpt-image-1", Operation::Edit, 0, 64, 64);
    let e = OpenAi::new(&cfg(&server.uri()), client())
        .submit_batch(&r, Some(KEY), &no_cancel())
        .await
        .expect_err("refused");
    assert!(
        matches!(e.class, ErrorClass::InvalidRequest { .. }),
        "{e:?}"
    );
    assert!(e.message.contains("run them now"), "{}", e.message);
    assert_nothing_sent(&server).await;
}
