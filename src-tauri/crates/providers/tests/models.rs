//! Model discovery contract tests (issue 14 §6): each provider's documented list-models
//! wire format, its auth header, pagination, prices where listed, and a refused key.

use crate::common::*;
use providers::http::Http;
use providers::models::{ListedModel, ListedPrice, list_models};
use providers::{ErrorClass, ProviderConfig};
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn http(provider: &'static str) -> Http {
    Http::new(client(), provider, &ProviderConfig::default())
}

async fn list(provider: &'static str, server: &MockServer) -> Vec<ListedModel> {
    list_models(
        &http(provider),
        provider.parse().expect("a provider id"),
        &server.uri(),
        Some(KEY),
    )
    .await
    .expect("listed")
    .expect("this provider lists models")
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn ids(m: &[ListedModel]) -> Vec<&str> {
    m.iter().map(|m| m.id.as_str()).collect()
}

#[tokio::test]
async fn openai_lists_models_with_a_bearer_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "list",
            "data": [
                {"id": "gpt-image-2", "object": "model", "created": 1_760_000_000, "owned_by": "system"},
                {"id": "gpt-4o", "object": "model", "created": 1_715_367_049, "owned_by": "system"}
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let got = list("openai", &server).await;
    assert_eq!(ids(&got), ["gpt-image-2", "gpt-4o"]);
    assert_eq!(got[0].makes_images, Some(true));
    assert_eq!(got[1].makes_images, Some(false));
}

#[tokio::test]
async fn gemini_follows_next_page_token_and_strips_the_models_prefix() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .and(header("x-goog-api-key", KEY))
        .and(query_param("pageToken", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "models": [{"name": "models/imagen-4.0-generate-001", "displayName": "Imagen 4",
                        "supportedGenerationMethods": ["predict"]}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .and(header("x-goog-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "models": [
                {"name": "models/gemini-3-pro-image-preview", "displayName": "Nano Banana Pro",
                 "supportedGenerationMethods": ["generateContent", "countTokens"]},
                {"name": "models/text-embedding-004", "supportedGenerationMethods": ["embedContent"]}
            ],
            "nextPageToken": "p2"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let got = list("google", &server).await;
    assert_eq!(
        ids(&got),
        [
            "gemini-3-pro-image-preview",
            "text-embedding-004",
            "imagen-4.0-generate-001"
        ]
    );
    assert_eq!(got[0].name.as_deref(), Some("Nano Banana Pro"));
    let images: Vec<Option<bool>> = got.iter().map(|m| m.makes_images).collect();
    assert_eq!(images, [Some(true), Some(false), Some(true)]);
}

#[tokio::test]
async fn openrouter_lists_image_models_with_per_token_prices() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .and(query_param("output_modalities", "image"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{
                "id": "google/gemini-2.5-flash-image",
                "name": "Google: Gemini 2.5 Flash Image (Nano Banana)",
                "architecture": {"input_modalities": ["image", "text"],
                                 "output_modalities": ["image", "text"]},
                "pricing": {"prompt": "0.0000003", "completion": "0.0000025",
                            "image": "0.001238", "request": "0"}
            }]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let got = list("openrouter", &server).await;
    assert_eq!(ids(&got), ["google/gemini-2.5-flash-image"]);
    assert_eq!(got[0].makes_images, Some(true));
    assert_eq!(
        got[0].price,
        Some(ListedPrice::Tokens {
            prompt_per_m: d("0.3"),
            completion_per_m: d("2.5"),
            per_input_image: Some(d("0.001238")),
            per_request: None,
        }),
        "exact decimals per million tokens"
    );
}

#[tokio::test]
async fn together_lists_image_models_with_their_megapixel_price() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "black-forest-labs/FLUX.1-schnell", "object": "model", "type": "image",
             "display_name": "FLUX.1 Schnell", "organization": "Black Forest Labs",
             "pricing": {"hourly": 0, "input": 0.0027, "output": 0.0027, "base": 0, "finetune": 0}},
            {"id": "meta-llama/Llama-3.3-70B-Instruct-Turbo", "object": "model", "type": "chat",
             "pricing": {"hourly": 0, "input": 0.88, "output": 0.88, "base": 0, "finetune": 0}}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let got = list("together", &server).await;
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].price,
        Some(ListedPrice::PerMegapixel { usd: d("0.0027") })
    );
    assert_eq!(
        (got[1].makes_images, &got[1].price),
        (Some(false), &None),
        "a chat model is listed without an image price"
    );
}

#[tokio::test]
async fn replicate_reads_the_text_to_image_collection() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/collections/text-to-image"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "Generate images", "slug": "text-to-image",
            "models": [
                {"url": "https://replicate.com/black-forest-labs/flux-1.1-pro",
                 "owner": "black-forest-labs", "name": "flux-1.1-pro", "visibility": "public"},
                {"owner": "ideogram-ai", "name": "ideogram-v3-turbo"}
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let got = list("replicate", &server).await;
    assert_eq!(
        ids(&got),
        [
            "black-forest-labs/flux-1.1-pro",
            "ideogram-ai/ideogram-v3-turbo"
        ]
    );
}

#[tokio::test]
async fn fal_pages_with_its_cursor_and_skips_deprecated_endpoints() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .and(header("authorization", format!("Key {KEY}").as_str()))
        .and(query_param("cursor", "c2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "models": [{"endpoint_id": "fal-ai/recraft/v3/text-to-image",
                        "metadata": {"display_name": "Recraft V3", "category": "text-to-image", "status": "active"}}],
            "next_cursor": null, "has_more": false
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .and(query_param("category", "text-to-image"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "models": [
                {"endpoint_id": "fal-ai/flux/dev",
                 "metadata": {"display_name": "FLUX.1 [dev]", "category": "text-to-image", "status": "active"}},
                {"endpoint_id": "fal-ai/fast-sdxl",
                 "metadata": {"display_name": "Fast SDXL", "category": "text-to-image", "status": "deprecated"}}
            ],
            "next_cursor": "c2", "has_more": true
        })))
        .mount(&server)
        .await;
    let got = list("fal", &server).await;
    assert_eq!(
        ids(&got),
        ["fal-ai/flux/dev", "fal-ai/recraft/v3/text-to-image"]
    );
}

#[tokio::test]
async fn a_refused_key_is_an_auth_error_without_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .respond_with(ResponseTemplate::new(401).set_body_string(format!(
            "{{\"error\":{{\"message\":\"Incorrect API key provided: {KEY}\"}}}}"
        )))
        .mount(&server)
        .await;
    let e = list_models(
        &http("openai"),
        "openai".parse().expect("a provider id"),
        &server.uri(),
        Some(KEY),
    )
    .await
    .expect_err("refused");
    assert_eq!(e.class, ErrorClass::AuthFailed);
    assert!(e.message.contains("Settings"), "{}", e.message);
    assert_no_key(&e);

    // A body that is not the documented shape is malformed, not an empty list.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"oops": 1})))
        .mount(&server)
        .await;
    let e = list_models(
        &http("openai"),
        "openai".parse().expect("a provider id"),
        &server.uri(),
        Some(KEY),
    )
    .await
    .expect_err("malformed");
    assert_eq!(e.class, ErrorClass::MalformedResponse);

    // No key, no request (OpenRouter's public list excepted); no list for BFL.
    let e = list_models(
        &http("openai"),
        "openai".parse().expect("a provider id"),
        &server.uri(),
        None,
    )
    .await
    .expect_err("needs a key");
    assert_eq!(e.class, ErrorClass::AuthFailed);
    assert_eq!(
        list_models(
            &http("bfl"),
            "bfl".parse().expect("a provider id"),
            &server.uri(),
            Some(KEY)
        )
        .await
        .expect("ok"),
        None
    );
}
