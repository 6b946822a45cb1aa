//! Replicate FLUX Kontext edits (image-inputs.md §1.6, REP-KONTEXT): `input_image` as a data
//! URI, `aspect_ratio: "match_input_image"`, `safety_tolerance` at most 2 with an input.
use crate::support::inputs;
use crate::support::refused;

use crate::common::*;
use inputs::*;
use providers::replicate::Replicate;
use providers::{ErrorClass, GenerateRequest, ImageProvider, ProgressSink, ProviderError};
use refused::*;
use serde_json::{Value, json};
use vocab::Operation;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MODEL: &str = "black-forest-labs/flux-kontext-pro";
const ROUTE: &str = "/models/black-forest-labs/flux-kontext-pro/predictions";

async fn kontext_ok(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/out/0.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(64, 64)))
        .mount(server)
        .await;
    let body = json!({
        "id": "k1", "model": MODEL, "input": {}, "status": "succeeded", "error": null,
        "output": format!("{}/out/0.png", server.uri()),
        "urls": {"get": format!("{}/predictions/k1", server.uri())},
        "metrics": {"predict_time": 4.2}
    });
    Mock::given(method("POST"))
        .and(path(ROUTE))
        .respond_with(ResponseTemplate::new(201).set_body_json(body))
        .mount(server)
        .await;
}

async fn send(
    server: &MockServer,
    r: &GenerateRequest,
) -> Result<providers::GenerateOutput, ProviderError> {
    let out = Replicate::new(&cfg(&server.uri()), client())
        .generate(r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

async fn sent_input(server: &MockServer) -> Value {
    let posts: Vec<_> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "one prediction created");
    let body: Value = serde_json::from_slice(&posts[0].body).expect("json");
    body["input"].clone()
}

#[tokio::test]
async fn edit_sends_the_subject_as_a_data_uri_and_matches_its_aspect() {
    let server = MockServer::start().await;
    kontext_ok(&server).await;
    let mut r = with_inputs(MODEL, Operation::Edit, 0, 64, 48);
    r.extra = json!({"input": {"safety_tolerance": 6}});
    let out = send(&server, &r).await.expect("ok");
    assert_eq!(out.images.len(), 1);
    let input = sent_input(&server).await;
    let subject = &r.inputs.images[0];
    assert_eq!(
        input["input_image"],
        json!(format!("data:image/png;base64,{}", b64(&subject.bytes)))
    );
    assert_eq!(input["aspect_ratio"], "match_input_image");
    assert_eq!(
        input["safety_tolerance"], 2,
        "capped at 2 with an input image"
    );
    assert_eq!(input["prompt"], "put the fox in a red scarf");
    assert!(input.get("width").is_none() && input.get("height").is_none());
}

#[tokio::test]
async fn a_lower_tolerance_is_kept_and_the_default_is_two() {
    let server = MockServer::start().await;
    kontext_ok(&server).await;
    let mut r = with_inputs(MODEL, Operation::Edit, 0, 64, 64);
    r.extra = json!({"input": {"safety_tolerance": 1}});
    send(&server, &r).await.expect("ok");
    assert_eq!(sent_input(&server).await["safety_tolerance"], 1);

    let server = MockServer::start().await;
    kontext_ok(&server).await;
    send(&server, &with_inputs(MODEL, Operation::Edit, 0, 64, 64))
        .await
        .expect("ok");
    assert_eq!(sent_input(&server).await["safety_tolerance"], 2);
}

#[tokio::test]
async fn text_to_image_on_kontext_sends_no_input_image() {
    let server = MockServer::start().await;
    kontext_ok(&server).await;
    send(&server, &req(MODEL)).await.expect("ok");
    let input = sent_input(&server).await;
    assert!(input.get("input_image").is_none());
    assert_eq!(input["aspect_ratio"], "1:1");
}

#[tokio::test]
async fn what_kontext_cannot_do_is_refused_before_a_prediction_exists() {
    let server = MockServer::start().await;
    kontext_ok(&server).await;
    let mut masked = with_inputs(MODEL, Operation::Inpaint, 0, 64, 64);
    masked.inputs.mask = Some(alpha_mask(64, 64));
    let cases = [
        (masked, "cannot paint a mask region"),
        (
            with_inputs(MODEL, Operation::Edit, 2, 64, 64),
            "one input image",
        ),
        (with_inputs(MODEL, Operation::Expand, 0, 64, 64), "expand"),
        (with_inputs(MODEL, Operation::Upscale, 0, 64, 64), "upscale"),
        (
            with_inputs("black-forest-labs/flux-schnell", Operation::Edit, 0, 64, 64),
            "flux-kontext-pro",
        ),
    ];
    assert_refused_before_sending(&server, cases, |r| {
        let s = &server;
        async move { send(s, &r).await }
    })
    .await;
}

#[tokio::test]
async fn a_flagged_input_is_a_classified_failure() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(ROUTE))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "title": "Input validation failed", "status": 422,
            "detail": "input.safety_tolerance: Must be less than or equal to 2 when input_image is provided"
        })))
        .mount(&server)
        .await;
    let e = send(&server, &with_inputs(MODEL, Operation::Edit, 0, 64, 64))
        .await
        .expect_err("422");
    assert!(
        matches!(e.class, ErrorClass::InvalidRequest { .. }),
        "{e:?}"
    );
    assert!(e.message.contains("safety_tolerance"), "{}", e.message);
}
