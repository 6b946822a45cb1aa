//! Recraft with input images (issue 15; image-inputs.md §1.1, §1.7): multipart
//! imageToImage (`image`, `prompt`, `strength`), inpaint (`mask` white = regenerate),
//! crisp / creative upscale (`image`, one `image` back), `credits` reported every time.
use crate::input_support;

use crate::common::*;
use input_support::*;
use providers::recraft::Recraft;
use providers::{ErrorClass, GenerateRequest, ImageProvider, ProgressSink, ProviderError};
use rust_decimal::Decimal;
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
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(resp)
        .mount(server)
        .await;
    let out = Recraft::new(&cfg(&server.uri()), client())
        .generate(r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

fn data_ok(credits: u32, w: u32, h: u32) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "created": 1_764_396_000, "credits": credits,
        "data": [{"image_id": "a", "b64_json": png_b64(w, h)}]
    }))
}

async fn sent(server: &MockServer) -> std::collections::BTreeMap<String, FormPart> {
    let reqs = server.received_requests().await.unwrap_or_default();
    assert_eq!(reqs.len(), 1);
    parts(&reqs[0])
}

#[tokio::test]
async fn image_to_image_sends_image_prompt_strength_and_reports_credits() {
    let server = MockServer::start().await;
    let mut r = op_req("recraftv3", Operation::Edit, 48, 32, 0);
    r.extra = json!({"strength": 0.2, "style": "realistic_image"});
    let out = call(&server, "/images/imageToImage", data_ok(40, 48, 32), &r)
        .await
        .expect("ok");
    assert_eq!(
        out.usage.credits,
        Some(Decimal::from(40)),
        "40 units = $0.04"
    );
    let p = sent(&server).await;
    assert_eq!(p["image"].bytes, r.inputs.images[0].bytes.to_vec());
    assert_eq!(p["image"].file_name.as_deref(), Some("image.png"));
    assert_eq!(p["prompt"].text(), "make the sky purple");
    assert_eq!(p["strength"].text(), "0.2");
    assert_eq!(p["style"].text(), "realistic_image");
    assert_eq!(p["model"].text(), "recraftv3");
    assert_eq!(p["response_format"].text(), "b64_json");
    assert!(!p.contains_key("mask"));

    // No strength named: the documented middle.
    let server = MockServer::start().await;
    let r = op_req("recraftv3", Operation::Edit, 48, 32, 0);
    call(&server, "/images/imageToImage", data_ok(40, 48, 32), &r)
        .await
        .expect("ok");
    assert_eq!(sent(&server).await["strength"].text(), "0.5");
}

#[tokio::test]
async fn inpaint_sends_a_white_means_regenerate_mask() {
    let server = MockServer::start().await;
    let r = with_mask(op_req("recraftv3", Operation::Inpaint, 64, 64, 0));
    let out = call(&server, "/images/inpaint", data_ok(40, 64, 64), &r)
        .await
        .expect("ok");
    assert_eq!(out.usage.credits, Some(Decimal::from(40)));
    let p = sent(&server).await;
    assert_white_means_edit(&p["mask"].bytes, 64);
    assert_eq!(p["mask"].content_type.as_deref(), Some("image/png"));
    assert!(!p.contains_key("strength"));
}

#[tokio::test]
async fn crisp_and_creative_upscale_read_the_single_image_and_credits() {
    for (model, route, credits) in [
        ("crisp-upscale", "/images/crispUpscale", 4),
        ("creative-upscale", "/images/creativeUpscale", 250),
    ] {
        let server = MockServer::start().await;
        let resp = ResponseTemplate::new(200).set_body_json(json!({
            "created": 1, "credits": credits, "image": {"image_id": "u", "b64_json": png_b64(128, 96)}
        }));
        let r = op_req(model, Operation::Upscale, 32, 24, 0);
        let out = call(&server, route, resp, &r).await.expect(model);
        assert_eq!((out.images[0].width, out.images[0].height), (128, 96));
        assert_eq!(out.usage.credits, Some(Decimal::from(credits)));
        let p = sent(&server).await;
        assert_eq!(
            p.keys().cloned().collect::<Vec<_>>(),
            vec!["image", "response_format"],
            "{model} takes only the image"
        );
    }
}

#[tokio::test]
async fn requests_recraft_would_refuse_are_refused_before_sending() {
    let server = MockServer::start().await;
    let cases: Vec<(GenerateRequest, &str)> = vec![
        (op_req("recraftv3", Operation::Inpaint, 32, 32, 0), "mask"),
        (
            op_req("recraftv3", Operation::Expand, 32, 32, 0),
            "cannot do 'expand'",
        ),
        (
            op_req("recraftv3", Operation::Edit, 32, 32, 1),
            "at most 1 input",
        ),
        (
            op_req("crisp-upscale", Operation::Edit, 32, 32, 0),
            "cannot do 'edit'",
        ),
        (
            {
                let mut r = op_req("recraftv3", Operation::Edit, 32, 32, 0);
                r.extra = json!({"strength": 3});
                r
            },
            "between 0 and 1",
        ),
        (
            {
                let mut r = GenerateRequest::new("creative-upscale", "");
                r.inputs.operation = Operation::Upscale;
                r
            },
            "needs an input image",
        ),
    ];
    assert_refused_before_sending(&server, cases, |r| {
        let s = &server;
        async move { call(s, "/images/imageToImage", data_ok(40, 8, 8), &r).await }
    })
    .await;
}

#[tokio::test]
async fn edit_errors_are_classified() {
    let cases: Vec<(ResponseTemplate, ErrorClass)> = vec![
        (
            ResponseTemplate::new(400).set_body_json(
                json!({"code": "invalid_mask", "message": "mask must be grayscale"}),
            ),
            ErrorClass::InvalidRequest { field: None },
        ),
        (
            ResponseTemplate::new(400).set_body_json(
                json!({"code": "not_enough_credits", "message": "Not enough credits"}),
            ),
            ErrorClass::QuotaExhausted,
        ),
        (
            ResponseTemplate::new(429)
                .insert_header("retry-after", "2")
                .set_body_json(json!({"message": "slow down"})),
            ErrorClass::RateLimited {
                retry_after_ms: Some(2000),
            },
        ),
        (
            ResponseTemplate::new(500).set_body_string("oops"),
            ErrorClass::Transient,
        ),
    ];
    for (resp, want) in cases {
        let server = MockServer::start().await;
        let r = with_mask(op_req("recraftv3", Operation::Inpaint, 32, 32, 0));
        let e = call(&server, "/images/inpaint", resp, &r)
            .await
            .expect_err("err");
        assert_eq!(e.class, want, "{}", e.message);
        assert!(!e.may_have_billed());
    }
    // A 200 upscale whose image is unusable but names its charge is billed with it.
    let server = MockServer::start().await;
    let resp = ResponseTemplate::new(200)
        .set_body_json(json!({"credits": 4, "image": {"b64_json": "bm90IGFuIGltYWdl"}}));
    let r = op_req("crisp-upscale", Operation::Upscale, 32, 32, 0);
    let e = call(&server, "/images/crispUpscale", resp, &r)
        .await
        .expect_err("bad image");
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert_eq!(e.usage.and_then(|u| u.credits), Some(Decimal::from(4)));
}
