//! BFL with input images (issue 15; image-inputs.md §1.1, §1.4): FLUX.2
//! `input_image…input_image_8`, Kontext `input_image`, Fill `image`+`mask` (white = edit),
//! Expand `image`+`top/bottom/left/right`, on the usual submit → poll flow with `cost`.
use crate::input_support;

use crate::common::*;
use input_support::*;
use providers::bfl::Bfl;
use providers::{ErrorClass, GenerateRequest, ImageProvider, ProviderError, ProviderProgress};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use vocab::Operation;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Mounts submit (on `/v1/{model}`), one Ready poll and the sample download.
async fn mount(server: &MockServer, model: &str, w: u32, h: u32) {
    Mock::given(method("POST"))
        .and(path(format!("/v1/{model}")))
        .and(header("x-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "t1",
            "polling_url": format!("{}/v1/get_result?id=t1", server.uri()),
            "cost": 4.5, "input_mp": 3.1, "output_mp": 1.0
        })))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/get_result"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "t1", "status": "Ready",
            "result": {"sample": format!("{}/delivery/s.png", server.uri()), "seed": 3}
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/delivery/s.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(w, h)))
        .mount(server)
        .await;
}

async fn call(
    server: &MockServer,
    r: &GenerateRequest,
) -> (
    Result<providers::GenerateOutput, ProviderError>,
    Vec<ProviderProgress>,
) {
    let (sink, events) = recorder();
    let out = Bfl::new(&cfg(&server.uri()), client())
        .generate(r, Some(KEY), &sink, &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    let ev = events.lock().expect("lock").clone();
    (out, ev)
}

async fn submitted_body(server: &MockServer) -> Value {
    let reqs = server.received_requests().await.unwrap_or_default();
    let post = reqs
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .expect("a submit");
    serde_json::from_slice(&post.body).expect("json body")
}

#[tokio::test]
async fn flux2_edit_sends_every_input_in_order_and_keeps_the_submit_cost() {
    let server = MockServer::start().await;
    mount(&server, "flux-2-pro", 64, 48).await;
    let r = op_req("flux-2-pro", Operation::Edit, 64, 48, 2);
    let (out, _) = call(&server, &r).await;
    let out = out.expect("edit ok");
    assert_eq!(
        out.usage.credits,
        Some(Decimal::new(45, 1)),
        "submit cost kept"
    );
    let body = submitted_body(&server).await;
    assert_eq!(body["input_image"], json!(b64(&r.inputs.images[0].bytes)));
    assert_eq!(body["input_image_2"], json!(b64(&r.inputs.images[1].bytes)));
    assert_eq!(body["input_image_3"], json!(b64(&r.inputs.images[2].bytes)));
    assert!(body.get("input_image_4").is_none());
    assert!(
        body.get("width").is_none(),
        "an edit keeps the input's size"
    );
    assert_eq!(body["prompt"], json!("make the sky purple"));
}

#[tokio::test]
async fn flux2_generate_with_references_keeps_the_asked_size() {
    let server = MockServer::start().await;
    mount(&server, "flux-2-flex", 32, 32).await;
    let mut r = op_req("flux-2-flex", Operation::Generate, 32, 32, 7);
    r.width = 512;
    r.height = 512;
    call(&server, &r).await.0.expect("ok");
    let body = submitted_body(&server).await;
    assert_eq!(
        (body["width"].clone(), body["height"].clone()),
        (json!(512), json!(512))
    );
    assert!(body.get("input_image_8").is_some(), "eight inputs allowed");
}

#[tokio::test]
async fn kontext_edit_sends_one_input_image() {
    let server = MockServer::start().await;
    mount(&server, "flux-kontext-pro", 32, 32).await;
    let r = op_req("flux-kontext-pro", Operation::Edit, 32, 32, 0);
    call(&server, &r).await.0.expect("ok");
    let body = submitted_body(&server).await;
    assert_eq!(body["input_image"], json!(b64(&r.inputs.images[0].bytes)));
    assert!(
        body.get("aspect_ratio").is_none(),
        "the edit keeps the input's shape"
    );
}

#[tokio::test]
async fn fill_sends_image_and_white_mask_with_steps_and_guidance() {
    let server = MockServer::start().await;
    mount(&server, "flux-pro-1.0-fill", 64, 48).await;
    let mut r = with_mask(op_req("flux-pro-1.0-fill", Operation::Inpaint, 64, 48, 0));
    r.steps = Some(30);
    r.extra = json!({"guidance": 60});
    call(&server, &r).await.0.expect("ok");
    let body = submitted_body(&server).await;
    assert_eq!(body["image"], json!(b64(&r.inputs.images[0].bytes)));
    let mask = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        body["mask"].as_str().expect("mask"),
    )
    .expect("b64");
    assert_white_means_edit(&mask, 64);
    assert_eq!(body["steps"], json!(30));
    assert_eq!(body["guidance"], json!(60));
    assert!(body.get("width").is_none());
}

#[tokio::test]
async fn expand_sends_margins_and_sizes_the_job_by_the_result() {
    let server = MockServer::start().await;
    mount(&server, "flux-pro-1.0-expand", 64 + 30, 48 + 70).await;
    let r = with_margins(
        op_req("flux-pro-1.0-expand", Operation::Expand, 64, 48, 0),
        10,
        30,
        20,
        40,
    );
    let (out, events) = call(&server, &r).await;
    out.expect("ok");
    let body = submitted_body(&server).await;
    assert_eq!(
        [&body["left"], &body["top"], &body["right"], &body["bottom"]],
        [&json!(10), &json!(30), &json!(20), &json!(40)]
    );
    assert_eq!(body["image"], json!(b64(&r.inputs.images[0].bytes)));
    let job = events
        .iter()
        .find_map(|e| match e {
            ProviderProgress::Submitted { job } => Some(job.clone()),
            _ => None,
        })
        .expect("submitted");
    assert_eq!(
        (job.extra["width"].clone(), job.extra["height"].clone()),
        (json!(94), json!(118))
    );
}

#[tokio::test]
async fn requests_bfl_would_refuse_are_refused_before_sending() {
    let server = MockServer::start().await;
    let mut kontext_mask = with_mask(op_req("flux-kontext-pro", Operation::Edit, 32, 32, 0));
    kontext_mask.inputs.operation = Operation::Edit;
    let cases: Vec<(GenerateRequest, &str)> = vec![
        (
            op_req("flux-2-klein-4b", Operation::Edit, 32, 32, 4),
            "at most 4 input images, not 5",
        ),
        (
            op_req("flux-2-pro", Operation::Edit, 32, 32, 8),
            "at most 8 input images, not 9",
        ),
        (
            op_req("flux-kontext-max", Operation::Edit, 32, 32, 1),
            "at most 1 input",
        ),
        (kontext_mask, "cannot paint a mask region"),
        (
            op_req("flux-pro-1.0-fill", Operation::Inpaint, 32, 32, 0),
            "mask",
        ),
        (
            op_req("flux-pro-1.0-expand", Operation::Expand, 32, 32, 0),
            "at least one margin",
        ),
        (
            op_req("flux-pro-1.0-expand", Operation::Edit, 32, 32, 0),
            "cannot do 'edit'",
        ),
        (
            with_margins(
                op_req("flux-pro-1.0-expand", Operation::Expand, 32, 32, 0),
                0,
                2049,
                0,
                0,
            ),
            "at most 2048 px",
        ),
        (
            op_req("flux-2-pro", Operation::Upscale, 32, 32, 0),
            "cannot do 'upscale'",
        ),
        (
            op_req("flux-pro-1.1", Operation::Generate, 32, 32, 0),
            "text only",
        ),
        (
            GenerateRequest::new("flux-pro-1.0-fill", "x"),
            "cannot do 'generate'",
        ),
    ];
    assert_refused_before_sending(&server, cases, |r| {
        let s = &server;
        async move { call(s, &r).await.0 }
    })
    .await;
}

#[tokio::test]
async fn a_rejected_mask_is_an_invalid_request_naming_the_field() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/flux-pro-1.0-fill"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "detail": [{"loc": ["body", "mask"], "msg": "mask size must match image", "type": "value_error"}]
        })))
        .mount(&server)
        .await;
    let r = with_mask(op_req("flux-pro-1.0-fill", Operation::Inpaint, 32, 32, 0));
    let e = call(&server, &r).await.0.expect_err("422");
    assert_eq!(
        e.class,
        ErrorClass::InvalidRequest {
            field: Some("mask".into())
        }
    );
    assert!(e.message.contains("mask size"));
    assert!(!e.may_have_billed());
}

#[tokio::test]
async fn a_text_request_is_unchanged() {
    let server = MockServer::start().await;
    mount(&server, "flux-2-pro", 32, 32).await;
    call(&server, &req("flux-2-pro")).await.0.expect("ok");
    let body = submitted_body(&server).await;
    assert_eq!(body["width"], json!(1024));
    assert!(body.get("input_image").is_none());
}
