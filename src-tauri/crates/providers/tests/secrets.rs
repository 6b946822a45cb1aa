//! The API key never appears in an error (Display, Debug, JSON), in captured usage headers,
//! or in any log line — even when a hostile server echoes it back everywhere.

use crate::common::*;
use providers::{ImageProvider, ProgressSink, ProviderConfig, provider_for};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn echo_body() -> serde_json::Value {
    let k = KEY;
    json!({
        "error": {"message": format!("Incorrect API key provided: {k}"), "type": "invalid_request_error", "code": k, "status": k},
        "detail": format!("bad key {k}"), "title": k, "errors": [format!("key {k}")], "name": k,
    })
}

fn model_for(id: &str) -> &'static str {
    match id {
        "replicate" => "owner/model",
        "fal" => "fal-ai/flux/dev",
        "bfl" => "flux-pro-1.1",
        "google" => "gemini-2.5-flash-image",
        "stability" => "stable-image-core",
        _ => "model-x",
    }
}

fn provider(id: &str, server: &MockServer) -> std::sync::Arc<dyn ImageProvider> {
    let c: ProviderConfig = cfg(&server.uri());
    provider_for(id.parse().expect("a provider id"), &c, client()).expect("provider")
}

#[tokio::test]
async fn key_never_leaks_from_errors_or_logs() {
    let (logs, _guard) = capture_logs();
    for status in [400u16, 401, 403, 429, 500] {
        for id in vocab::ProviderId::ALL.iter().map(|p| p.as_str()) {
            let server = MockServer::start().await;
            Mock::given(any())
                .respond_with(
                    ResponseTemplate::new(status)
                        .insert_header("x-request-id", KEY)
                        .insert_header("retry-after", KEY)
                        .set_body_json(echo_body()),
                )
                .mount(&server)
                .await;
            let p = provider(id, &server);
            let e = p
                .generate(
                    &req(model_for(id)),
                    Some(KEY),
                    &ProgressSink::noop(),
                    &no_cancel(),
                )
                .await
                .expect_err("fails");
            assert_no_key(&e);
            if let Some(u) = &e.usage {
                assert!(
                    !format!("{u:?}").contains(KEY),
                    "{id}: usage leaked the key"
                );
            }
            let check = p.check_key(KEY).await;
            assert!(
                !format!("{check:?}").contains(KEY),
                "{id}: key check leaked the key"
            );
        }
    }
    let text = logs.text();
    assert!(
        !text.is_empty(),
        "the capture works (providers log at debug/info)"
    );
    assert!(!text.contains(KEY), "a log line contains the key:\n{text}");
}

#[tokio::test]
async fn key_never_leaks_into_captured_success_headers() {
    let (logs, _guard) = capture_logs();
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", format!("req-{KEY}").as_str())
                .set_body_json(json!({"data": [{"b64_json": png_b64(4, 4)}]})),
        )
        .mount(&server)
        .await;
    let p = provider("openai", &server);
    let out = p
        .generate(
            &req("gpt-image-1"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect("ok");
    assert!(!format!("{out:?}").contains(KEY));
    assert!(!logs.text().contains(KEY));
}

#[tokio::test]
async fn transport_errors_do_not_carry_urls_with_credentials() {
    let c = cfg(&format!("http://user:{KEY}@127.0.0.1:9"));
    let p = provider_for(vocab::ProviderId::A1111, &c, client()).expect("provider");
    let e = p
        .generate(&req("sdxl"), None, &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("down");
    assert_no_key(&e);
}

// ---- issue 11 (F16): redaction before truncation, altered echoes, keys as job ids ----

#[test]
fn redaction_catches_cut_and_altered_keys() {
    use providers::errors::redact_text;
    let mut nul = KEY.to_string();
    nul.insert(10, '\0');
    let mut spaced = KEY.to_string();
    spaced.insert(10, ' ');
    let cut = &KEY[..12];
    for text in [
        format!("echo {KEY} end"),
        format!("echo {nul} end"),
        format!("echo {spaced} end"),
        format!("...credential={cut}"),
    ] {
        let out = redact_text(&text, KEY);
        assert!(out.contains("[redacted]"), "{text:?} → {out:?}");
        assert_no_key_part(&out);
    }
    // Text without the key is left alone.
    assert_eq!(redact_text("sk- nothing here", KEY), "sk- nothing here");
}

#[tokio::test]
async fn a_key_echoed_as_a_job_id_never_reaches_progress_or_errors() {
    for id in ["replicate", "fal", "comfyui"] {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "id": KEY, "request_id": KEY, "prompt_id": KEY, "status": "starting",
            })))
            .mount(&server)
            .await;
        let p = provider(id, &server);
        let (sink, events) = recorder();
        let e = p
            .generate(&req(model_for(id)), Some(KEY), &sink, &no_cancel())
            .await
            .expect_err("refused");
        assert_no_key(&e);
        assert_eq!(e.billing, providers::Billing::Unknown, "{id}");
        let seen = format!("{:?}", events.lock().expect("lock"));
        assert!(!seen.contains(KEY), "{id}: {seen}");
    }
}
