//! Ideogram 3.0 contract tests: multipart `/v1/ideogram-v3/generate` with `Api-Key`,
//! rendering speed from quality, URL images downloaded at once, unsafe images withheld.

use crate::common::*;
use providers::ideogram::Ideogram;
use providers::{Billing, ErrorClass, ImageProvider, KeyCheck, ProgressSink};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GEN: &str = "/v1/ideogram-v3/generate";

async fn run(
    server: &MockServer,
    r: providers::GenerateRequest,
    resp: ResponseTemplate,
) -> Result<providers::GenerateOutput, providers::ProviderError> {
    Mock::given(method("POST"))
        .and(path(GEN))
        .and(header("api-key", KEY))
        .respond_with(resp)
        .mount(server)
        .await;
    let out = Ideogram::new(&cfg(&server.uri()), client())
        .generate(&r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

fn images(server: &MockServer, items: serde_json::Value) -> ResponseTemplate {
    let _ = server;
    ResponseTemplate::new(200)
        .set_body_json(json!({"created": "2026-11-29T06:00:00Z", "data": items}))
}

async fn cdn(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/ephemeral/a.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(24, 16)))
        .mount(server)
        .await;
}

#[tokio::test]
async fn generates_with_the_documented_multipart_form_and_downloads_the_urls() {
    let server = MockServer::start().await;
    cdn(&server).await;
    let url = format!("{}/ephemeral/a.png", server.uri());
    let mut r = req("ideogram-v3");
    r.width = 1312;
    r.height = 736;
    r.n = 2;
    r.seed = Some(42);
    r.quality = Some("quality".into());
    r.negative_prompt = Some("blurry".into());
    let out = run(
        &server,
        r,
        images(
            &server,
            json!([
                {"url": url, "is_image_safe": true, "seed": 42, "resolution": "1312x736", "prompt": "x"},
                {"url": url, "is_image_safe": true, "seed": 43, "resolution": "1312x736", "prompt": "x"}
            ]),
        ),
    )
    .await
    .expect("ok");
    assert_eq!(out.images.len(), 2);
    assert_eq!(
        (
            out.images[1].seed,
            out.images[1].width,
            out.images[1].height
        ),
        (Some(43), 24, 16)
    );
    assert_eq!(out.safety, None);
    let reqs = server.received_requests().await.unwrap_or_default();
    let post = reqs
        .iter()
        .find(|r| r.url.path() == GEN)
        .expect("generate call");
    assert!(
        post.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .starts_with("multipart/form-data; boundary=")
    );
    let body = String::from_utf8_lossy(&post.body);
    for (field, value) in [
        ("prompt", "a red fox in the snow"),
        ("rendering_speed", "QUALITY"),
        ("aspect_ratio", "16x9"),
        ("num_images", "2"),
        ("seed", "42"),
        ("negative_prompt", "blurry"),
    ] {
        let part = format!("name=\"{field}\"\r\n\r\n{value}\r\n");
        assert!(body.contains(&part), "missing {field}={value} in {body}");
    }
    // The image download carries no key.
    let get = reqs
        .iter()
        .find(|r| r.url.path() == "/ephemeral/a.png")
        .expect("download");
    assert!(get.headers.get("api-key").is_none());
}

#[test]
fn quality_names_map_to_rendering_speeds() {
    use providers::ideogram::{aspect_ratio, rendering_speed};
    assert_eq!(rendering_speed(Some("turbo")), "TURBO");
    assert_eq!(rendering_speed(Some("low")), "TURBO");
    assert_eq!(rendering_speed(Some("default")), "DEFAULT");
    assert_eq!(rendering_speed(Some("medium")), "DEFAULT");
    assert_eq!(rendering_speed(None), "DEFAULT");
    assert_eq!(rendering_speed(Some("HIGH")), "QUALITY");
    assert_eq!(aspect_ratio(1024, 1024), "1x1");
    assert_eq!(aspect_ratio(736, 1312), "9x16");
    assert_eq!(aspect_ratio(1536, 512), "3x1");
}

#[tokio::test]
async fn withheld_images_are_noted_or_a_safety_block_of_unknown_billing() {
    let server = MockServer::start().await;
    cdn(&server).await;
    let url = format!("{}/ephemeral/a.png", server.uri());
    let mut two = req("ideogram-v3");
    two.n = 2;
    let out = run(
        &server,
        two,
        images(
            &server,
            json!([{"url": url, "is_image_safe": true}, {"url": "", "is_image_safe": false}]),
        ),
    )
    .await
    .expect("one image survives");
    assert_eq!(out.images.len(), 1);
    assert_eq!(out.safety.map(|s| s.filtered), Some(1));

    let server = MockServer::start().await;
    let e = run(
        &server,
        req("ideogram-v3"),
        images(&server, json!([{"url": null, "is_image_safe": false}])),
    )
    .await
    .expect_err("all withheld");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: false });
    assert_eq!(
        e.billing,
        Billing::Unknown,
        "generated then withheld: billing undocumented"
    );
}

#[tokio::test]
async fn errors_are_classified_with_their_billing() {
    let cases: Vec<(ResponseTemplate, ErrorClass)> = vec![
        (
            ResponseTemplate::new(401).set_body_json(json!({"error": "Invalid API key"})),
            ErrorClass::AuthFailed,
        ),
        (
            ResponseTemplate::new(422)
                .set_body_json(json!({"error": "Prompt failed the safety check"})),
            ErrorClass::SafetyBlock { billed: false },
        ),
        (
            ResponseTemplate::new(400).set_body_json(
                json!({"error": "Insufficient credits; add credits in the API dashboard"}),
            ),
            ErrorClass::QuotaExhausted,
        ),
        (
            ResponseTemplate::new(422).set_body_json(json!({"detail": "num_images must be ≤ 8"})),
            ErrorClass::InvalidRequest { field: None },
        ),
        (
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3")
                .set_body_json(json!({"error": "Too many requests"})),
            ErrorClass::RateLimited {
                retry_after_ms: Some(3000),
            },
        ),
        (
            ResponseTemplate::new(503).set_body_string("<html>bad gateway</html>"),
            ErrorClass::Transient,
        ),
        (
            ResponseTemplate::new(200).set_body_json(json!({"created": "x"})),
            ErrorClass::MalformedResponse,
        ),
    ];
    for (resp, want) in cases {
        let server = MockServer::start().await;
        let e = run(&server, req("ideogram-v3"), resp)
            .await
            .expect_err("err");
        assert_eq!(e.class, want, "{e}");
        let billed = matches!(want, ErrorClass::MalformedResponse);
        assert_eq!(
            e.billing,
            if billed {
                Billing::Billed
            } else {
                Billing::NotBilled
            },
            "{e}"
        );
    }
}

#[tokio::test]
async fn missing_key_is_refused_before_any_call() {
    let server = MockServer::start().await;
    let e = Ideogram::new(&cfg(&server.uri()), client())
        .generate(
            &req("ideogram-v3"),
            None,
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("no key");
    assert_eq!(e.class, ErrorClass::AuthFailed);
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn key_check_authenticates_without_generating() {
    for (status, valid) in [(422u16, true), (400, true), (401, false)] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(GEN))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({"error": "x"})))
            .expect(1)
            .mount(&server)
            .await;
        let k = Ideogram::new(&cfg(&server.uri()), client())
            .check_key(KEY)
            .await;
        assert_eq!(
            matches!(k, KeyCheck::Valid { .. }),
            valid,
            "{status}: {k:?}"
        );
        let reqs = server.received_requests().await.unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&reqs[0].body).contains("name=\"prompt\""),
            "a key check never sends a prompt"
        );
    }
}

#[tokio::test]
async fn registered_under_its_id() {
    let p = providers::provider_for(
        vocab::ProviderId::Ideogram,
        &cfg("http://127.0.0.1:9"),
        client(),
    )
    .expect("registered");
    assert_eq!(p.id(), "ideogram");
}
