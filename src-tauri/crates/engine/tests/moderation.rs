//! Pre-flight moderation goes where every OpenAI call goes: the configured endpoint
//! (review §1.4: it used to resolve its own base URL and could reach the default host).

use crate::common::*;
use engine::api::*;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MINI: &str = "openai:gpt-image-2";

fn moderation(flagged: bool) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "modr-1", "model": "omni-moderation-latest",
        "results": [{"flagged": flagged, "categories": {"violence": flagged},
                     "category_scores": {"violence": if flagged { 0.97 } else { 0.01 }}}]
    }))
}

async fn moderated_project(e: &engine::Engine) {
    let mut p = project("p", Some("5"), &[MINI], &[]);
    p.preflight_moderation = true;
    e.project_upsert(p).await.expect("project");
}

async fn paths(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect()
}

#[tokio::test]
async fn moderation_uses_the_configured_openai_endpoint() {
    let openai = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/moderations"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(moderation(false))
        .expect(1)
        .mount(&openai)
        .await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(openai_ok())
        .mount(&openai)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("openai", openai.uri())], options()).await;
    moderated_project(&e).await;

    let r = e
        .generate(input("p", Route::Draft, None), noop())
        .await
        .expect("generate");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    // The check reached the configured server (not api.openai.com), before the image call.
    assert_eq!(
        paths(&openai).await,
        ["/moderations", "/images/generations"]
    );
}

#[tokio::test]
async fn a_flagged_prompt_is_refused_at_the_configured_endpoint_before_any_charge() {
    let openai = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/moderations"))
        .respond_with(moderation(true))
        .mount(&openai)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("openai", openai.uri())], options()).await;
    moderated_project(&e).await;

    let refused = e.generate(input("p", Route::Draft, None), noop()).await;
    let msg = match refused {
        Err(err) => err.message,
        Ok(r) => r.error.unwrap_or_default(),
    };
    assert!(msg.contains("violence"), "{msg}");
    assert_eq!(
        paths(&openai).await,
        ["/moderations"],
        "no image request was sent"
    );
}
