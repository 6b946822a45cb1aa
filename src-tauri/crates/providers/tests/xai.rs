//! xAI Grok Imagine contract tests against wiremock: the documented JSON shapes of
//! `/v1/images/generations` and `/v1/images/edits` (inputs as data URIs in `image.url` or
//! `images[].url`), `usage.cost_in_usd_ticks`, `block_reason`, and xAI's `{code, error}`
//! errors where the status alone misleads (a wrong key is a 400).
use crate::support::inputs;

use crate::common::*;
use inputs::*;
use providers::errors::Billing;
use providers::xai::Xai;
use providers::{ErrorClass, GenerateRequest, ImageProvider, KeyCheck, ProgressSink};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use vocab::{InputRole, Operation};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The documented success answer: base64 image, mime type, the exact cost in ticks.
fn ok_body(images: usize, ticks: u64) -> Value {
    json!({
        "block_reason": null,
        "data": (0..images).map(|_| json!({"b64_json": png_b64(32, 32), "mime_type": "image/png", "revised_prompt": "", "url": null})).collect::<Vec<_>>(),
        "usage": {"cost_in_usd_ticks": ticks}
    })
}

async fn generate(
    server: &MockServer,
    r: &GenerateRequest,
) -> Result<providers::GenerateOutput, providers::ProviderError> {
    let out = Xai::new(&cfg(&server.uri()), client())
        .generate(r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

/// Mounts `resp` on both endpoints and runs a plain text-to-image request.
async fn answer(resp: ResponseTemplate) -> providers::ProviderError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(resp)
        .mount(&server)
        .await;
    generate(&server, &req("grok-imagine-image"))
        .await
        .expect_err("must fail")
}

fn sent_json(server_req: &wiremock::Request) -> Value {
    serde_json::from_slice(&server_req.body).expect("json body")
}

#[tokio::test]
async fn text_to_image_posts_the_documented_json_and_settles_from_ticks() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_partial_json(json!({
            "model": "grok-imagine-image-2.0",
            "prompt": "a red fox in the snow",
            "n": 2,
            "aspect_ratio": "16:9",
            "resolution": "2k",
            "response_format": "b64_json"
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req-1")
                .set_body_json(ok_body(2, 1_200_000_000)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut r = req("grok-imagine-image-2.0");
    r.n = 2;
    r.width = 2048;
    r.height = 1152;
    let out = generate(&server, &r).await.expect("ok");
    assert_eq!(out.images.len(), 2);
    assert_eq!(
        out.usage.reported_usd,
        Some(Decimal::new(12, 2)),
        "1.2e9 ticks = $0.12"
    );
    assert_eq!(out.usage.billable_units, Some(Decimal::from(2)));
    assert_eq!(out.remote_id.as_deref(), Some("req-1"));
    assert!(out.safety.is_none());
    let sent = &server.received_requests().await.expect("recorded")[0];
    let body = sent_json(sent);
    for absent in ["size", "quality", "image", "images", "mask"] {
        assert!(
            body.get(absent).is_none(),
            "{absent} is not an xAI field: {body}"
        );
    }
}

#[tokio::test]
async fn a_url_answer_is_downloaded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/imgen/x.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(16, 16)))
        .mount(&server)
        .await;
    let body = json!({"data": [{"url": format!("{}/imgen/x.png", server.uri()), "mime_type": "image/png"}],
                      "usage": {"cost_in_usd_ticks": 200_000_000u64}});
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let out = generate(&server, &req("grok-imagine-image"))
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.usage.reported_usd, Some(Decimal::new(2, 2)));
}

#[tokio::test]
async fn one_input_goes_to_edits_as_a_data_uri_in_image_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/edits"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body(1, 220_000_000)))
        .expect(1)
        .mount(&server)
        .await;
    let r = with_inputs("grok-imagine-image", Operation::Edit, 0, 64, 48);
    let out = generate(&server, &r).await.expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.usage.reported_usd, Some(Decimal::new(22, 3)));
    let body = sent_json(&server.received_requests().await.expect("recorded")[0]);
    let url = body["image"]["url"].as_str().expect("image.url");
    assert_eq!(
        url,
        r.inputs.images[0].data_uri(),
        "the subject, as a data URI"
    );
    assert!(url.starts_with("data:image/png;base64,"));
    assert!(body.get("images").is_none());
    assert!(
        body.get("aspect_ratio").is_none(),
        "an edit keeps the input's aspect ratio: {body}"
    );
    assert_eq!(body["response_format"], "b64_json");
    assert_eq!(body["prompt"], "put the fox in a red scarf");
}

#[tokio::test]
async fn several_inputs_go_in_images_subject_first() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/edits"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body(1, 230_000_000)))
        .expect(1)
        .mount(&server)
        .await;
    let r = with_inputs("grok-imagine-image", Operation::Edit, 2, 32, 32);
    generate(&server, &r).await.expect("ok");
    let body = sent_json(&server.received_requests().await.expect("recorded")[0]);
    let urls: Vec<&str> = body["images"]
        .as_array()
        .expect("images[]")
        .iter()
        .map(|i| i["url"].as_str().expect("url"))
        .collect();
    let want: Vec<String> = r.inputs.images.iter().map(|i| i.data_uri()).collect();
    assert_eq!(urls, want, "subject first, then the references in order");
    assert!(
        body.get("image").is_none(),
        "image and images are exclusive"
    );
}

#[tokio::test]
async fn generate_with_references_also_uses_edits() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/edits"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body(1, 200_000_000)))
        .expect(1)
        .mount(&server)
        .await;
    let mut r = req("grok-imagine-image");
    r.inputs
        .images
        .push(input_png(InputRole::Reference, 16, 16, 7));
    generate(&server, &r).await.expect("ok");
}

#[tokio::test]
async fn what_grok_cannot_do_is_refused_before_sending() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body(1, 1)))
        .expect(0)
        .mount(&server)
        .await;
    let mut masked = with_inputs("grok-imagine-image", Operation::Inpaint, 0, 32, 32);
    masked.inputs.mask = Some(alpha_mask(32, 32));
    let mut mask_on_edit = with_inputs("grok-imagine-image", Operation::Edit, 0, 32, 32);
    mask_on_edit.inputs.mask = Some(alpha_mask(32, 32));
    let mut empty_edit = req("grok-imagine-image");
    empty_edit.inputs.operation = Operation::Edit;
    let cases = [
        (masked, "mask"),
        (mask_on_edit, "mask"),
        (
            with_inputs("grok-imagine-image", Operation::Edit, 3, 32, 32),
            "at most 3",
        ),
        (
            with_inputs("grok-imagine-image", Operation::Expand, 0, 32, 32),
            "expand",
        ),
        (
            with_inputs("grok-imagine-image", Operation::Upscale, 0, 32, 32),
            "upscale",
        ),
        (empty_edit, "first input"),
    ];
    for (r, says) in cases {
        let e = generate(&server, &r).await.expect_err("refused");
        assert!(
            matches!(e.class, ErrorClass::InvalidRequest { .. }),
            "{says}: {e:?}"
        );
        assert_eq!(e.billing, Billing::NotBilled);
        assert!(e.message.contains(says), "{says}: {}", e.message);
    }
}

#[tokio::test]
async fn a_variation_sends_the_subject_with_a_default_instruction() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/edits"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_body(1, 200_000_000)))
        .mount(&server)
        .await;
    let mut r = with_inputs("grok-imagine-image", Operation::Vary, 1, 32, 32);
    r.prompt = String::new();
    generate(&server, &r).await.expect("ok");
    let body = sent_json(&server.received_requests().await.expect("recorded")[0]);
    assert_eq!(body["image"]["url"], r.inputs.images[0].data_uri());
    assert!(!body["prompt"].as_str().unwrap_or("").is_empty());
}

#[tokio::test]
async fn errors_are_classified_by_message_before_status() {
    let xai = |status: u16, code: &str, msg: &str| {
        ResponseTemplate::new(status).set_body_json(json!({"code": code, "error": msg}))
    };
    let cases: Vec<(ResponseTemplate, ErrorClass)> = vec![
        (
            xai(
                400,
                "Client specified an invalid argument",
                "Incorrect API key provided: xa***yz. You can obtain an API key from https://console.x.ai.",
            ),
            ErrorClass::AuthFailed,
        ),
        (
            xai(
                400,
                "Client specified an invalid argument",
                "Invalid aspect ratio: 5:7",
            ),
            ErrorClass::InvalidRequest { field: None },
        ),
        (
            xai(401, "Unauthenticated", "missing bearer token"),
            ErrorClass::AuthFailed,
        ),
        (
            xai(
                403,
                "The caller does not have permission to execute the specified operation",
                "Your team t-1 has either used all available credits or reached its monthly spending limit. To continue making API requests, please purchase more credits or raise your spending limit.",
            ),
            ErrorClass::QuotaExhausted,
        ),
        (
            xai(
                429,
                "Too many requests",
                "Your team t-1 has either used all available credits or reached its monthly spending limit.",
            ),
            ErrorClass::QuotaExhausted,
        ),
        (
            xai(429, "Too many requests", "rate limit exceeded").insert_header("retry-after", "3"),
            ErrorClass::RateLimited {
                retry_after_ms: Some(3000),
            },
        ),
        (
            xai(
                403,
                "The caller does not have permission to execute the specified operation",
                "Content violates usage guidelines. Failed check: SAFETY_CHECK_TYPE_IMAGE",
            ),
            ErrorClass::SafetyBlock { billed: false },
        ),
        (
            xai(
                400,
                "Client specified an invalid argument",
                "Generated image rejected by content moderation.",
            ),
            ErrorClass::SafetyBlock { billed: false },
        ),
        (
            xai(
                404,
                "Some requested entity was not found",
                "The model grok-imagine-nope does not exist",
            ),
            ErrorClass::InvalidRequest {
                field: Some("model".into()),
            },
        ),
        (
            xai(500, "Internal", "internal error"),
            ErrorClass::Transient,
        ),
        (xai(503, "Unavailable", "overloaded"), ErrorClass::Transient),
        (
            ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"),
            ErrorClass::Transient,
        ),
    ];
    for (resp, want) in cases {
        let e = answer(resp).await;
        assert_eq!(e.class, want, "{}", e.message);
        assert_eq!(e.billing, Billing::NotBilled, "a refusal costs nothing");
        assert!(e.http_status.is_some());
    }
    let e = answer(xai(
        400,
        "Client specified an invalid argument",
        "Incorrect API key provided",
    ))
    .await;
    assert!(
        e.message.contains("Settings → Keys"),
        "says what to do: {}",
        e.message
    );
    let e = answer(xai(403, "permission", "used all available credits")).await;
    assert!(
        e.message.contains("console.x.ai"),
        "says what to do: {}",
        e.message
    );
}

#[tokio::test]
async fn a_moderation_block_is_a_safety_refusal_billed_only_when_charged() {
    let blocked = |ticks: u64| {
        ResponseTemplate::new(200).set_body_json(json!({
            "block_reason": "IMAGE_MODERATION", "data": [], "usage": {"cost_in_usd_ticks": ticks}
        }))
    };
    let free = answer(blocked(0)).await;
    assert_eq!(free.class, ErrorClass::SafetyBlock { billed: false });
    assert_eq!(free.billing, Billing::NotBilled);
    assert!(
        free.message.contains("IMAGE_MODERATION"),
        "{}",
        free.message
    );

    let charged = answer(blocked(200_000_000)).await;
    assert_eq!(charged.class, ErrorClass::SafetyBlock { billed: true });
    assert_eq!(charged.billing, Billing::Billed);
    assert_eq!(
        charged.usage.as_ref().and_then(|u| u.reported_usd),
        Some(Decimal::new(2, 2))
    );
}

#[tokio::test]
async fn fewer_images_than_asked_is_a_safety_note() {
    let server = MockServer::start().await;
    let mut body = ok_body(1, 200_000_000);
    body["block_reason"] = json!("IMAGE_MODERATION");
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let mut r = req("grok-imagine-image");
    r.n = 3;
    let out = generate(&server, &r)
        .await
        .expect("one image is still a result");
    let note = out.safety.expect("note");
    assert_eq!(note.filtered, 2);
    assert!(
        note.message.contains("IMAGE_MODERATION"),
        "{}",
        note.message
    );
}

#[tokio::test]
async fn malformed_bodies_are_classified_and_billed_only_with_evidence() {
    let e = answer(ResponseTemplate::new(200).set_body_string("not json")).await;
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert_eq!(e.billing, Billing::NotBilled);

    let e = answer(
        ResponseTemplate::new(200).set_body_json(json!({"data": [{"b64_json": "%%%"}],
        "usage": {"cost_in_usd_ticks": 200_000_000u64}})),
    )
    .await;
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert_eq!(e.billing, Billing::Billed, "usage proves the charge");

    let e = answer(ResponseTemplate::new(200).set_body_json(json!({"data": []}))).await;
    assert_eq!(e.class, ErrorClass::MalformedResponse);
}

#[tokio::test]
async fn no_key_is_refused_before_sending() {
    let server = MockServer::start().await;
    let e = Xai::new(&cfg(&server.uri()), client())
        .generate(
            &req("grok-imagine-image"),
            None,
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("no key");
    assert_eq!(e.class, ErrorClass::AuthFailed);
    assert!(
        server
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
}

#[tokio::test]
async fn key_check_reads_the_400_wrong_key_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .and(header("authorization", "Bearer good-key-123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"code": "Client specified an invalid argument", "error": "Incorrect API key provided: ba***d. You can obtain an API key from https://console.x.ai."}),
        ))
        .mount(&server)
        .await;
    let p = Xai::new(&cfg(&server.uri()), client());
    assert!(matches!(
        p.check_key("good-key-123").await,
        KeyCheck::Valid { .. }
    ));
    assert!(matches!(
        p.check_key("bad-key-456").await,
        KeyCheck::Invalid { .. }
    ));
}
