//! AUTOMATIC1111 / Forge contract tests (providers.md §9).

use std::time::Duration;

use crate::common::*;
use providers::a1111::A1111;
use providers::{ErrorClass, ImageProvider, ProgressSink, ProviderProgress};
use serde_json::json;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn txt2img_success_reads_seeds_from_info() {
    let server = MockServer::start().await;
    let info =
        json!({"seed": 1234, "all_seeds": [1234, 1235], "job_timestamp": "20260101"}).to_string();
    Mock::given(method("POST")).and(path("/sdapi/v1/txt2img"))
        .and(body_partial_json(json!({"prompt": "a red fox in the snow", "negative_prompt": "ugly", "steps": 30, "batch_size": 2, "seed": -1, "override_settings": {"sd_model_checkpoint": "sdxl.safetensors"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"images": [png_b64(8, 8), png_b64(8, 8)], "parameters": {}, "info": info})))
        .expect(1).mount(&server).await;
    let mut r = req("sdxl");
    r.negative_prompt = Some("ugly".into());
    r.steps = Some(30);
    r.n = 2;
    r.extra = json!({"checkpoint": "sdxl.safetensors"});
    let out = A1111::new(&cfg(&server.uri()), client())
        .generate(&r, None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect("ok");
    assert_eq!(
        out.images.iter().map(|i| i.seed).collect::<Vec<_>>(),
        vec![Some(1234), Some(1235)]
    );
    assert!(
        out.usage.tokens.is_empty() && out.usage.reported_usd.is_none(),
        "local: no money"
    );
}

#[tokio::test]
async fn errors_and_down_server() {
    let cases: Vec<(ResponseTemplate, ErrorClass)> = vec![
        (ResponseTemplate::new(500).set_body_json(json!({"error": "OutOfMemoryError", "detail": "", "body": "", "errors": "CUDA out of memory. Tried to allocate 2.00 GiB"})), ErrorClass::Transient),
        (ResponseTemplate::new(422).set_body_json(json!({"detail": [{"loc": ["body", "steps"], "msg": "value is not a valid integer", "type": "type_error.integer"}]})), ErrorClass::InvalidRequest { field: None }),
        (ResponseTemplate::new(404).set_body_json(json!({"error": "HTTPException", "detail": "Sampler not found", "body": "", "errors": ""})), ErrorClass::InvalidRequest { field: None }),
        (ResponseTemplate::new(401).set_body_json(json!({"detail": "Incorrect username or password"})), ErrorClass::AuthFailed),
        (ResponseTemplate::new(200).set_body_json(json!({"images": ["not base64 !!"]})), ErrorClass::MalformedResponse),
    ];
    for (resp, want) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/sdapi/v1/txt2img"))
            .respond_with(resp)
            .mount(&server)
            .await;
        let e = A1111::new(&cfg(&server.uri()), client())
            .generate(
                &req("sdxl"),
                Some("user:pass-SECRET"),
                &ProgressSink::noop(),
                &no_cancel(),
            )
            .await
            .expect_err("err");
        assert_eq!(e.class, want, "{}", e.message);
        assert!(!format!("{e:?}").contains("pass-SECRET"));
    }
    let e = A1111::new(&cfg("http://127.0.0.1:9"), client())
        .generate(&req("sdxl"), None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("down");
    assert_eq!(e.class, ErrorClass::Transient);
    assert!(e.message.contains("--api"), "{}", e.message);
}

#[tokio::test]
async fn cancel_interrupts_the_gpu() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sdapi/v1/txt2img"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/sdapi/v1/interrupt"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let cancel = no_cancel();
    let c2 = cancel.clone();
    let sink = ProgressSink::new(move |p| {
        if p == ProviderProgress::Running {
            c2.cancel();
        }
    });
    let e = A1111::new(&cfg(&server.uri()), client())
        .generate(&req("sdxl"), None, &sink, &cancel)
        .await
        .expect_err("cancelled");
    assert_eq!(e.class, ErrorClass::Cancelled);
    server.verify().await;
}

// ---- issue 11 ----

#[tokio::test]
async fn extra_images_are_ignored_and_bombs_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sdapi/v1/txt2img"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"images": [png_b64(8, 8), png_b64(8, 8), png_b64(8, 8)]})),
        )
        .mount(&server)
        .await;
    let out = A1111::new(&cfg(&server.uri()), client())
        .generate(&req("sdxl"), None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 1);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sdapi/v1/txt2img"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"images": [b64(&png_claiming(8192, 8192))]})),
        )
        .mount(&server)
        .await;
    let e = A1111::new(&cfg(&server.uri()), client())
        .generate(&req("sdxl"), None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("bomb");
    assert!(e.message.contains("4x the pixels"), "{}", e.message);
}
