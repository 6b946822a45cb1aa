//! Ideogram 3.0 with an input image (issue 15; image-inputs.md §1.1, §1.7): an edit is
//! a Remix (`image`, `prompt`, `image_weight`), a masked edit an Inpaint whose `mask` is
//! black where to repaint (the inverse of Stability's and BFL's), both with `Api-Key`.
use crate::input_support;

use crate::common::*;
use input_support::*;
use providers::ideogram::Ideogram;
use providers::{ErrorClass, GenerateRequest, ImageProvider, ProgressSink, ProviderError};
use serde_json::json;
use vocab::Operation;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn call(
    server: &MockServer,
    route: &str,
    resp: ResponseTemplate,
    r: &GenerateRequest,
) -> Result<providers::GenerateOutput, ProviderError> {
    Mock::given(method("POST"))
        .and(path(route))
        .and(header("api-key", KEY))
        .respond_with(resp)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ephemeral/a.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(64, 48)))
        .mount(server)
        .await;
    let out = Ideogram::new(&cfg(&server.uri()), client())
        .generate(r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

fn ok(server: &MockServer) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "created": "2026-11-29T06:00:00Z",
        "data": [{"url": format!("{}/ephemeral/a.png", server.uri()), "is_image_safe": true, "seed": 9}]
    }))
}

async fn sent(server: &MockServer) -> std::collections::BTreeMap<String, FormPart> {
    let reqs = server.received_requests().await.unwrap_or_default();
    let post = reqs
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .expect("post");
    parts(post)
}

#[tokio::test]
async fn edit_is_a_remix_with_image_weight() {
    let server = MockServer::start().await;
    let mut r = op_req("ideogram-v3", Operation::Edit, 64, 48, 0);
    r.quality = Some("turbo".into());
    r.extra = json!({"image_weight": 70});
    let out = call(&server, "/v1/ideogram-v3/remix", ok(&server), &r)
        .await
        .expect("ok");
    assert_eq!(out.images[0].seed, Some(9));
    let p = sent(&server).await;
    assert_eq!(p["image"].bytes, r.inputs.images[0].bytes.to_vec());
    assert_eq!(p["prompt"].text(), "make the sky purple");
    assert_eq!(p["image_weight"].text(), "70");
    assert_eq!(p["rendering_speed"].text(), "TURBO");
    assert!(!p.contains_key("mask"));
}

#[tokio::test]
async fn inpaint_sends_a_black_means_repaint_mask() {
    let server = MockServer::start().await;
    let r = with_mask(op_req("ideogram-v3", Operation::Inpaint, 64, 48, 0));
    call(&server, "/v1/ideogram-v3/inpaint", ok(&server), &r)
        .await
        .expect("ok");
    let p = sent(&server).await;
    let g = image::load_from_memory(&p["mask"].bytes)
        .expect("mask decodes")
        .to_luma8();
    assert_eq!(g.get_pixel(0, 0)[0], 0, "the region to repaint is black");
    assert_eq!(g.get_pixel(63, 0)[0], 255, "the region to keep is white");
    assert_eq!(p["prompt"].text(), "make the sky purple");
    assert!(!p.contains_key("image_weight"));
}

#[tokio::test]
async fn requests_ideogram_would_refuse_are_refused_before_sending() {
    let server = MockServer::start().await;
    let mut bad_weight = op_req("ideogram-v3", Operation::Edit, 32, 32, 0);
    bad_weight.extra = json!({"image_weight": 0});
    let cases: Vec<(GenerateRequest, &str)> = vec![
        (op_req("ideogram-v3", Operation::Inpaint, 32, 32, 0), "mask"),
        (
            op_req("ideogram-v3", Operation::Upscale, 32, 32, 0),
            "cannot do 'upscale'",
        ),
        (
            op_req("ideogram-v3", Operation::Edit, 32, 32, 1),
            "at most 1 input",
        ),
        (bad_weight, "1 to 100"),
    ];
    assert_refused_before_sending(&server, cases, |r| {
        let s = &server;
        async move { call(s, "/v1/ideogram-v3/remix", ok(s), &r).await }
    })
    .await;
}

#[tokio::test]
async fn a_refused_input_is_classified() {
    let server = MockServer::start().await;
    let resp = ResponseTemplate::new(422)
        .set_body_json(json!({"error": "The image is not allowed by our safety policy"}));
    let r = op_req("ideogram-v3", Operation::Edit, 32, 32, 0);
    let e = call(&server, "/v1/ideogram-v3/remix", resp, &r)
        .await
        .expect_err("422");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: false });
    let server = MockServer::start().await;
    let resp = ResponseTemplate::new(400)
        .set_body_json(json!({"error": "mask must match the image size"}));
    let r = with_mask(op_req("ideogram-v3", Operation::Inpaint, 32, 32, 0));
    let e = call(&server, "/v1/ideogram-v3/inpaint", resp, &r)
        .await
        .expect_err("400");
    assert!(
        matches!(e.class, ErrorClass::InvalidRequest { .. }),
        "{e:?}"
    );
    assert!(!e.may_have_billed());
}
