//! AUTOMATIC1111 `/sdapi/v1/img2img` for edit, inpaint and vary: `init_images` (base64),
//! `mask` (white = repaint), `denoising_strength`.
use crate::support::inputs;
use crate::support::refused;

use crate::common::*;
use inputs::*;
use providers::a1111::A1111;
use providers::{ErrorClass, GenerateRequest, ImageProvider, ProgressSink, ProviderError};
use refused::*;
use serde_json::{Value, json};
use vocab::Operation;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn img2img_ok(server: &MockServer) {
    let info = json!({"seed": 77, "all_seeds": [77]}).to_string();
    Mock::given(method("POST"))
        .and(path("/sdapi/v1/img2img"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"images": [png_b64(64, 64)], "parameters": {}, "info": info}),
            ),
        )
        .mount(server)
        .await;
}

async fn send(
    server: &MockServer,
    r: &GenerateRequest,
) -> Result<providers::GenerateOutput, ProviderError> {
    A1111::new(&cfg(&server.uri()), client())
        .generate(r, None, &ProgressSink::noop(), &no_cancel())
        .await
}

async fn sent_body(server: &MockServer) -> Value {
    let got = server.received_requests().await.unwrap_or_default();
    assert_eq!(got.len(), 1, "exactly one request");
    assert_eq!(got[0].url.path(), "/sdapi/v1/img2img");
    serde_json::from_slice(&got[0].body).expect("json")
}

#[tokio::test]
async fn inpaint_sends_the_subject_and_a_white_means_edit_mask() {
    let server = MockServer::start().await;
    img2img_ok(&server).await;
    let mut r = with_inputs("sdxl", Operation::Inpaint, 0, 64, 64);
    r.inputs.mask = Some(alpha_mask(64, 64));
    let out = send(&server, &r).await.expect("ok");
    assert_eq!(out.images[0].seed, Some(77));
    let body = sent_body(&server).await;
    assert_eq!(body["init_images"], json!([b64(&r.inputs.images[0].bytes)]));
    assert_eq!(body["prompt"], "put the fox in a red scarf");
    assert_eq!(
        (body["width"].clone(), body["height"].clone()),
        (json!(64), json!(64))
    );
    assert_eq!(body["denoising_strength"], 0.75);
    assert_eq!(body["inpainting_fill"], 1);
    assert_eq!(body["inpainting_mask_invert"], 0);
    // The mask arrives as a grayscale PNG: the transparent (left) half white = repaint.
    let mask_b64 = body["mask"].as_str().expect("mask");
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, mask_b64)
        .expect("base64 mask");
    let g = image::load_from_memory(&bytes)
        .expect("png mask")
        .to_luma8();
    assert_eq!(g.dimensions(), (64, 64));
    assert_eq!(g.get_pixel(0, 0)[0], 255, "transparent = edit = white");
    assert_eq!(g.get_pixel(63, 0)[0], 0, "opaque = keep = black");
}

#[tokio::test]
async fn edit_and_vary_have_no_mask_and_their_own_strength() {
    let server = MockServer::start().await;
    img2img_ok(&server).await;
    send(&server, &with_inputs("sdxl", Operation::Edit, 0, 64, 64))
        .await
        .expect("ok");
    let body = sent_body(&server).await;
    assert_eq!(body["denoising_strength"], 0.6);
    assert!(body.get("mask").is_none());

    let server = MockServer::start().await;
    img2img_ok(&server).await;
    let mut vary = with_inputs("sdxl", Operation::Vary, 0, 64, 64);
    vary.extra = json!({"denoising_strength": 0.3});
    send(&server, &vary).await.expect("ok");
    assert_eq!(sent_body(&server).await["denoising_strength"], 0.3);
}

#[tokio::test]
async fn what_img2img_cannot_do_is_refused_before_sending() {
    let server = MockServer::start().await;
    img2img_ok(&server).await;
    let cases = [
        (
            with_inputs("sdxl", Operation::Generate, 1, 64, 64),
            "ControlNet",
        ),
        (with_inputs("sdxl", Operation::Expand, 0, 64, 64), "Expand"),
        (
            with_inputs("sdxl", Operation::Upscale, 0, 64, 64),
            "upscale",
        ),
        (with_inputs("sdxl", Operation::Inpaint, 0, 64, 64), "mask"),
        (
            with_inputs("sdxl", Operation::Edit, 1, 64, 64),
            "one input image",
        ),
    ];
    assert_refused_before_sending(&server, cases, |r| {
        let s = &server;
        async move { send(s, &r).await }
    })
    .await;
    let mut bad_mask = with_inputs("sdxl", Operation::Inpaint, 0, 64, 64);
    let mut m = alpha_mask(64, 64);
    m.bytes = std::sync::Arc::from(&b"not a png"[..]);
    bad_mask.inputs.mask = Some(m);
    let e = send(&server, &bad_mask).await.expect_err("unreadable mask");
    assert!(e.message.contains("mask"), "{}", e.message);
    assert_nothing_sent(&server).await;
}

#[tokio::test]
async fn img2img_errors_are_classified() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sdapi/v1/img2img"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "error": "OutOfMemoryError", "detail": "", "body": "",
            "errors": "CUDA out of memory. Tried to allocate 2.00 GiB"
        })))
        .mount(&server)
        .await;
    let e = send(&server, &with_inputs("sdxl", Operation::Edit, 0, 64, 64))
        .await
        .expect_err("oom");
    assert_eq!(e.class, ErrorClass::Transient);
    assert!(e.message.contains("smaller size"), "{}", e.message);
}
