//! A generic OpenAI-compatible gateway: user-set base URL and model list, key optional.

use crate::common::*;
use providers::{ErrorClass, ProgressSink, ProviderConfig, provider_for};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn gateway_with_model_list_and_no_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"b64_json": png_b64(8, 8)}]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut c = cfg(&format!("{}/v1/", server.uri()));
    c.models = vec!["flux-local".into()];
    let p = provider_for(vocab::ProviderId::OpenAiCompatible, &c, client()).expect("configured");
    assert_eq!(p.id(), "openai_compatible");
    let out = p
        .generate(
            &req("flux-local"),
            None,
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 1);
    let reqs = server.received_requests().await.unwrap_or_default();
    assert!(
        !reqs[0].headers.contains_key("authorization"),
        "no key, no auth header"
    );

    let e = p
        .generate(
            &req("other-model"),
            None,
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("not listed");
    assert_eq!(
        e.class,
        ErrorClass::InvalidRequest {
            field: Some("model".into())
        }
    );
}

#[tokio::test]
async fn key_is_sent_as_bearer_when_given() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/images/generations")).and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(429).set_body_json(json!({"error": {"message": "slow", "type": "rate_limit", "code": "rate_limit_exceeded"}})).insert_header("retry-after-ms", "250"))
        .mount(&server).await;
    let p = provider_for(
        vocab::ProviderId::OpenAiCompatible,
        &cfg(&server.uri()),
        client(),
    )
    .expect("configured");
    let e = p
        .generate(&req("x"), Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("429");
    assert_eq!(
        e.class,
        ErrorClass::RateLimited {
            retry_after_ms: Some(250)
        }
    );
    assert_eq!(e.provider, "openai_compatible");
}

#[test]
fn registry_builds_every_provider_and_needs_a_base_url_for_gateways() {
    for id in vocab::ProviderId::ALL.iter().map(|p| p.as_str()) {
        if id == "openai_compatible" {
            continue;
        }
        let p = provider_for(
            id.parse().expect("a provider id"),
            &ProviderConfig::default(),
            client(),
        )
        .expect("builds");
        assert_eq!(p.id(), id);
    }
    if std::env::var(providers::base_url_env_var("openai_compatible")).is_err() {
        assert!(
            provider_for(
                vocab::ProviderId::OpenAiCompatible,
                &ProviderConfig::default(),
                client()
            )
            .is_err()
        );
    }
    assert!("nope".parse::<vocab::ProviderId>().is_err());
    assert_eq!(
        providers::base_url_env_var("openai_compatible"),
        "PROOFSHEET_OPENAI_COMPATIBLE_BASE_URL"
    );
}

#[tokio::test]
async fn the_key_never_follows_a_redirect_to_another_origin() {
    let server = MockServer::start().await;
    let second = redirect_everything(&server).await;
    let p = provider_for(
        vocab::ProviderId::OpenAiCompatible,
        &cfg(&format!("{}/v1", server.uri())),
        client(),
    )
    .expect("configured");
    let e = p
        .generate(
            &req("flux-local"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("refused");
    assert_redirect_refused(&e);
    assert!(
        e.message.contains("PROOFSHEET_OPENAI_COMPATIBLE_BASE_URL"),
        "{}",
        e.message
    );
    assert_key_not_forwarded(&second).await;
}

#[tokio::test]
async fn a_key_with_a_line_break_is_refused_before_sending() {
    let server = MockServer::start().await;
    let p = provider_for(
        vocab::ProviderId::OpenAiCompatible,
        &cfg(&server.uri()),
        client(),
    )
    .expect("configured");
    let e = p
        .generate(
            &req("flux-local"),
            Some("abc\ndef"),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("refused");
    assert!(e.message.contains("line break"), "{}", e.message);
    assert!(!e.is_retryable());
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    assert!(matches!(
        p.check_key("abc\r\ndef").await,
        providers::KeyCheck::Invalid { .. }
    ));
}
