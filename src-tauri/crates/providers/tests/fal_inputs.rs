//! fal edit and upscale apps (issue 15; image-inputs.md §1.1, §1.6) on the queue flow:
//! `image_urls` (Nano Banana edit, GPT Image 2 edit), `image_url` (FLUX Kontext pro),
//! SeedVR2 `image_url` + `upscale_factor` answering one `image`; inputs as data URIs.
use crate::input_support;

use crate::common::*;
use input_support::*;
use providers::fal::Fal;
use providers::{ErrorClass, GenerateRequest, ImageProvider, ProgressSink, ProviderError};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use vocab::{InputFidelity, Operation};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Mounts the queue for `model` (submitted under app `app`), answering `result`.
async fn mount(server: &MockServer, model: &str, app: &str, result: Value) {
    let base = format!("{}/{app}/requests/r1", server.uri());
    Mock::given(method("POST"))
        .and(path(format!("/{model}")))
        .and(header("authorization", format!("Key {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "request_id": "r1", "status_url": format!("{base}/status"),
            "response_url": base, "cancel_url": format!("{base}/cancel")
        })))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/{app}/requests/r1/status")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "COMPLETED", "metrics": {"inference_time": 2.0}})),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/{app}/requests/r1")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-fal-billable-units", "4.19")
                .set_body_json(result),
        )
        .mount(server)
        .await;
}

fn images_result(server: &MockServer, w: u32, h: u32) -> Value {
    json!({"images": [{"url": format!("{}/img.png", server.uri()), "width": w, "height": h}], "description": ""})
}

async fn mount_image(server: &MockServer, w: u32, h: u32) {
    Mock::given(method("GET"))
        .and(path("/img.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(w, h)))
        .mount(server)
        .await;
}

async fn call(
    server: &MockServer,
    r: &GenerateRequest,
) -> Result<providers::GenerateOutput, ProviderError> {
    let out = Fal::new(&cfg(&server.uri()), client())
        .generate(r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

async fn submitted_input(server: &MockServer) -> Value {
    let reqs = server.received_requests().await.unwrap_or_default();
    let post = reqs
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .expect("submit");
    serde_json::from_slice(&post.body).expect("json")
}

fn data_uri(bytes: &[u8]) -> String {
    format!("data:image/png;base64,{}", b64(bytes))
}

#[tokio::test]
async fn nano_banana_edit_sends_image_urls_in_order() {
    let server = MockServer::start().await;
    mount(
        &server,
        "fal-ai/nano-banana/edit",
        "fal-ai/nano-banana",
        images_result(&server, 40, 30),
    )
    .await;
    mount_image(&server, 40, 30).await;
    let r = op_req("fal-ai/nano-banana/edit", Operation::Edit, 40, 30, 2);
    let out = call(&server, &r).await.expect("ok");
    assert_eq!(out.usage.billable_units, Some(Decimal::new(419, 2)));
    let input = submitted_input(&server).await;
    let want: Vec<String> = r.inputs.images.iter().map(|i| data_uri(&i.bytes)).collect();
    assert_eq!(input["image_urls"], json!(want));
    assert_eq!(input["prompt"], json!("make the sky purple"));
    assert!(
        input.get("image_size").is_none(),
        "an edit is sized by its input"
    );
}

#[tokio::test]
async fn gpt_image_2_edit_passes_quality_and_fidelity() {
    let server = MockServer::start().await;
    mount(
        &server,
        "openai/gpt-image-2/edit",
        "openai/gpt-image-2",
        images_result(&server, 32, 32),
    )
    .await;
    mount_image(&server, 32, 32).await;
    let mut r = op_req("openai/gpt-image-2/edit", Operation::Edit, 32, 32, 0);
    r.quality = Some("low".into());
    r.inputs.fidelity = Some(InputFidelity::High);
    call(&server, &r).await.expect("ok");
    let input = submitted_input(&server).await;
    assert_eq!(
        input["image_urls"],
        json!([data_uri(&r.inputs.images[0].bytes)])
    );
    assert_eq!(input["quality"], json!("low"));
    assert_eq!(input["input_fidelity"], json!("high"));
}

#[tokio::test]
async fn kontext_sends_one_image_url() {
    let server = MockServer::start().await;
    mount(
        &server,
        "fal-ai/flux-pro/kontext",
        "fal-ai/flux-pro",
        images_result(&server, 32, 32),
    )
    .await;
    mount_image(&server, 32, 32).await;
    let mut r = op_req("fal-ai/flux-pro/kontext", Operation::Edit, 32, 32, 0);
    r.seed = Some(11);
    call(&server, &r).await.expect("ok");
    let input = submitted_input(&server).await;
    assert_eq!(
        input["image_url"],
        json!(data_uri(&r.inputs.images[0].bytes))
    );
    assert_eq!(input["seed"], json!(11));
    assert!(input.get("image_urls").is_none());
}

#[tokio::test]
async fn seedvr_upscale_sends_factor_and_reads_the_single_image() {
    let server = MockServer::start().await;
    let result = json!({"image": {"url": format!("{}/img.png", server.uri()), "width": 2048, "height": 1536}, "seed": 5});
    mount(
        &server,
        "fal-ai/seedvr/upscale/image",
        "fal-ai/seedvr",
        result,
    )
    .await;
    // 4x of 512x384: 16x the pixels asked at 1024², allowed because the input sizes it.
    mount_image(&server, 2048, 1536).await;
    let mut r = op_req(
        "fal-ai/seedvr/upscale/image",
        Operation::Upscale,
        512,
        384,
        0,
    );
    r.inputs.scale = Some(4);
    let out = call(&server, &r).await.expect("upscaled");
    assert_eq!((out.images[0].width, out.images[0].height), (2048, 1536));
    assert_eq!(out.images[0].seed, Some(5));
    let input = submitted_input(&server).await;
    assert_eq!(input["upscale_factor"], json!(4));
    assert_eq!(
        input["image_url"],
        json!(data_uri(&r.inputs.images[0].bytes))
    );
    assert!(input.get("prompt").is_none());

    // No factor: SeedVR's default 2.
    let server = MockServer::start().await;
    let result = json!({"image": {"url": format!("{}/img.png", server.uri())}});
    mount(
        &server,
        "fal-ai/seedvr/upscale/image",
        "fal-ai/seedvr",
        result,
    )
    .await;
    mount_image(&server, 64, 64).await;
    let r = op_req("fal-ai/seedvr/upscale/image", Operation::Upscale, 32, 32, 0);
    call(&server, &r).await.expect("ok");
    assert_eq!(submitted_input(&server).await["upscale_factor"], json!(2));
}

#[tokio::test]
async fn requests_fal_would_refuse_are_refused_before_sending() {
    let server = MockServer::start().await;
    let cases: Vec<(GenerateRequest, &str)> = vec![
        (
            with_mask(op_req(
                "fal-ai/nano-banana/edit",
                Operation::Edit,
                32,
                32,
                0,
            )),
            "cannot paint a mask region",
        ),
        (
            op_req("fal-ai/flux-pro/kontext", Operation::Edit, 32, 32, 1),
            "at most 1 input",
        ),
        (
            op_req("fal-ai/seedvr/upscale/image", Operation::Edit, 32, 32, 0),
            "cannot do 'edit'",
        ),
        (
            op_req("fal-ai/flux/dev", Operation::Edit, 32, 32, 0),
            "text only",
        ),
        (
            {
                let mut r = op_req("fal-ai/seedvr/upscale/image", Operation::Upscale, 32, 32, 0);
                r.inputs.scale = Some(11);
                r
            },
            "at most 10x",
        ),
        (
            op_req("openai/gpt-image-2/edit", Operation::Edit, 32, 32, 16),
            "at most 16 input images, not 17",
        ),
        (
            {
                let mut r = GenerateRequest::new("fal-ai/nano-banana/edit", "x");
                r.inputs.operation = Operation::Edit;
                r
            },
            "needs an input image",
        ),
    ];
    assert_refused_before_sending(&server, cases, |r| {
        let s = &server;
        async move { call(s, &r).await }
    })
    .await;
}

#[tokio::test]
async fn a_422_on_the_image_names_the_field() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/fal-ai/nano-banana/edit"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "detail": [{"loc": ["body", "image_urls", 0], "msg": "could not load image", "type": "image_load_error"}]
        })))
        .mount(&server)
        .await;
    let r = op_req("fal-ai/nano-banana/edit", Operation::Edit, 32, 32, 0);
    let e = call(&server, &r).await.expect_err("422");
    assert!(
        matches!(e.class, ErrorClass::InvalidRequest { .. }),
        "{e:?}"
    );
    assert!(e.message.contains("could not load image"));
    assert!(!e.may_have_billed());
}
