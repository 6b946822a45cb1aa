//! ComfyUI with input images: `POST /upload/image` (multipart `image`, `overwrite`), then
//! the uploaded names in the workflow's LoadImage / LoadImageMask nodes.
use crate::support::inputs;
use crate::support::multipart;
use crate::support::refused;

use crate::common::*;
use inputs::*;
use multipart::{all, parts, text_of};
use providers::comfyui::ComfyUi;
use providers::comfyui_inputs::{IMG2IMG_WORKFLOW, patch_inputs};
use providers::{ErrorClass, GenerateRequest, ImageProvider, ProgressSink, ProviderError};
use refused::*;
use serde_json::{Value, json};
use vocab::Operation;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn mount_all(server: &MockServer) {
    // ComfyUI answers an upload with the stored name; a mask goes into a subfolder here
    // to check the name LoadImage gets is `subfolder/name`.
    Mock::given(method("POST"))
        .and(path("/upload/image"))
        .respond_with(|r: &wiremock::Request| {
            let name = parts(r)
                .into_iter()
                .find(|p| p.name == "image")
                .and_then(|p| p.file_name)
                .unwrap_or_default();
            let sub = if name.contains("mask") { "masks" } else { "" };
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": name, "subfolder": sub, "type": "input"}))
        })
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/prompt"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"prompt_id": "pid-1", "number": 1, "node_errors": {}})),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/history/pid-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"pid-1": {
            "outputs": {"9": {"images": [{"filename": "proofsheet_00001_.png", "subfolder": "", "type": "output"}]}},
            "status": {"status_str": "success", "completed": true, "messages": []}}})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/view"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(64, 64)))
        .mount(server)
        .await;
}

async fn send(
    server: &MockServer,
    r: &GenerateRequest,
) -> Result<providers::GenerateOutput, ProviderError> {
    ComfyUi::new(&cfg(&server.uri()), client())
        .generate(r, None, &ProgressSink::noop(), &no_cancel())
        .await
}

async fn received(server: &MockServer, p: &str) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

async fn sent_workflow(server: &MockServer) -> Value {
    let prompts = received(server, "/prompt").await;
    assert_eq!(prompts.len(), 1);
    let body: Value = serde_json::from_slice(&prompts[0].body).expect("json");
    body["prompt"].clone()
}

#[tokio::test]
async fn edit_uploads_the_subject_then_loads_it_by_name() {
    let server = MockServer::start().await;
    mount_all(&server).await;
    let mut r = with_inputs("sdxl", Operation::Edit, 0, 64, 64);
    r.n = 2;
    let out = send(&server, &r).await.expect("ok");
    assert_eq!(out.images.len(), 1);
    let uploads = received(&server, "/upload/image").await;
    assert_eq!(uploads.len(), 1, "no mask, one upload");
    let p = parts(&uploads[0]);
    let image = all(&p, "image");
    assert_eq!(image.len(), 1);
    assert_eq!(
        image[0].bytes,
        &r.inputs.images[0].bytes[..],
        "the subject's bytes"
    );
    assert_eq!(image[0].content_type.as_deref(), Some("image/png"));
    let name = image[0].file_name.clone().expect("file name");
    assert!(
        name.starts_with("proofsheet-") && name.ends_with(".png"),
        "{name}"
    );
    assert_eq!(text_of(&p, "overwrite").as_deref(), Some("true"));

    let wf = sent_workflow(&server).await;
    assert_eq!(wf["10"]["class_type"], "LoadImage");
    assert_eq!(wf["10"]["inputs"]["image"], json!(name));
    assert_eq!(wf["3"]["inputs"]["denoise"], 0.6);
    assert_eq!(wf["3"]["inputs"]["latent_image"], json!(["12", 0]));
    assert_eq!(wf["12"]["inputs"]["amount"], 2);
    assert_eq!(wf["6"]["inputs"]["text"], "put the fox in a red scarf");
}

#[tokio::test]
async fn inpaint_uploads_a_white_means_edit_mask_for_load_image_mask() {
    let server = MockServer::start().await;
    mount_all(&server).await;
    let mut r = with_inputs("sdxl", Operation::Inpaint, 0, 64, 64);
    r.inputs.mask = Some(alpha_mask(64, 64));
    send(&server, &r).await.expect("ok");
    let uploads = received(&server, "/upload/image").await;
    assert_eq!(uploads.len(), 2, "the subject and the mask");
    let mask_part = parts(&uploads[1])
        .into_iter()
        .find(|p| p.name == "image")
        .expect("mask part");
    let g = image::load_from_memory(&mask_part.bytes)
        .expect("png")
        .to_luma8();
    assert_eq!(g.get_pixel(0, 0)[0], 255, "transparent = edit = white");
    assert_eq!(g.get_pixel(63, 0)[0], 0, "opaque = keep = black");
    let mask_name = mask_part.file_name.expect("mask name");

    let wf = sent_workflow(&server).await;
    assert_eq!(wf["13"]["class_type"], "LoadImageMask");
    assert_eq!(
        wf["13"]["inputs"]["image"],
        json!(format!("masks/{mask_name}"))
    );
    assert_eq!(wf["13"]["inputs"]["channel"], "red");
    assert_eq!(wf["14"]["class_type"], "SetLatentNoiseMask");
    assert_eq!(wf["3"]["inputs"]["denoise"], 0.75);
}

#[tokio::test]
async fn a_custom_workflow_keeps_its_denoise_unless_asked() {
    let mut wf: Value = serde_json::from_str(IMG2IMG_WORKFLOW).expect("bundled parses");
    wf["3"]["inputs"]["denoise"] = json!(0.42);
    let r = with_inputs("sdxl", Operation::Edit, 0, 64, 64);
    patch_inputs(&mut wf, &r, "in.png", None, false).expect("patched");
    assert_eq!(wf["3"]["inputs"]["denoise"], 0.42);
    assert_eq!(wf["10"]["inputs"]["image"], "in.png");
    let mut r2 = r.clone();
    r2.extra = json!({"denoise": 0.3});
    patch_inputs(&mut wf, &r2, "in.png", None, false).expect("patched");
    assert_eq!(wf["3"]["inputs"]["denoise"], 0.3);
    let e = patch_inputs(&mut wf, &r, "in.png", Some("m.png"), false).expect_err("no mask node");
    assert!(e.message.contains("LoadImageMask"), "{}", e.message);
    let mut bare = json!({"3": {"class_type": "KSampler", "inputs": {}}});
    let e = patch_inputs(&mut bare, &r, "in.png", None, false).expect_err("no LoadImage");
    assert!(e.message.contains("LoadImage"), "{}", e.message);
}

#[tokio::test]
async fn unsupported_operations_are_refused_before_any_upload() {
    let server = MockServer::start().await;
    mount_all(&server).await;
    let cases = [
        (
            with_inputs("sdxl", Operation::Generate, 1, 64, 64),
            "IP-Adapter",
        ),
        (with_inputs("sdxl", Operation::Expand, 0, 64, 64), "Expand"),
        (with_inputs("sdxl", Operation::Upscale, 0, 64, 64), "upscal"),
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
}

#[tokio::test]
async fn a_failed_upload_is_classified_and_nothing_is_queued() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/upload/image"))
        .respond_with(ResponseTemplate::new(400).set_body_string("Bad Request"))
        .mount(&server)
        .await;
    let e = send(&server, &with_inputs("sdxl", Operation::Edit, 0, 64, 64))
        .await
        .expect_err("upload refused");
    assert!(
        matches!(e.class, ErrorClass::InvalidRequest { .. }),
        "{e:?}"
    );
    assert!(
        e.message.contains("uploading the input image"),
        "{}",
        e.message
    );
    assert!(received(&server, "/prompt").await.is_empty());

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/upload/image"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"subfolder": ""})))
        .mount(&server)
        .await;
    let e = send(&server, &with_inputs("sdxl", Operation::Edit, 0, 64, 64))
        .await
        .expect_err("no name");
    assert_eq!(e.class, ErrorClass::MalformedResponse);
}

proptest::proptest! {
    #[test]
    fn the_upload_parser_takes_any_bytes(status in 100u16..600, body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
        let _ = providers::comfyui_inputs::parse_upload(status, &reqwest::header::HeaderMap::new(), &body);
    }
}
