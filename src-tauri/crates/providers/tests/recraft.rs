//! Recraft contract tests: JSON `/v1/images/generations` with a bearer token, base64
//! images, and the units charged reported in `credits` on every answer.

use crate::common::*;
use providers::recraft::Recraft;
use providers::{Billing, ErrorClass, ImageProvider, KeyCheck, ProgressSink};
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn run(
    server: &MockServer,
    r: providers::GenerateRequest,
    resp: ResponseTemplate,
) -> Result<providers::GenerateOutput, providers::ProviderError> {
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(resp)
        .mount(server)
        .await;
    let out = Recraft::new(&cfg(&server.uri()), client())
        .generate(&r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

#[tokio::test]
async fn generates_and_reports_the_units_charged() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .and(body_partial_json(json!({
            "model": "recraftv3", "size": "1820x1024", "n": 2,
            "response_format": "b64_json", "negative_prompt": "text", "style": "digital_illustration"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "created": 1_764_396_000, "credits": 80,
            "data": [{"image_id": "a", "b64_json": png_b64(32, 18)}, {"image_id": "b", "b64_json": png_b64(32, 18)}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut r = req("recraftv3");
    r.width = 1820;
    r.height = 1024;
    r.n = 2;
    r.negative_prompt = Some("text".into());
    r.extra = json!({"style": "digital_illustration"});
    let out = Recraft::new(&cfg(&server.uri()), client())
        .generate(&r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 2);
    // 80 API units = $0.08 at 1,000 units per dollar (settled by the catalog's rate).
    assert_eq!(out.usage.credits, Some(Decimal::new(80, 0)));
}

#[tokio::test]
async fn url_images_are_downloaded_without_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/img/x.webp"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(8, 8)))
        .mount(&server)
        .await;
    let url = format!("{}/img/x.webp", server.uri());
    let out = run(
        &server,
        req("recraftv3"),
        ResponseTemplate::new(200)
            .set_body_json(json!({"created": 1, "credits": 40, "data": [{"url": url}]})),
    )
    .await
    .expect("ok");
    assert_eq!(out.images.len(), 1);
    let reqs = server.received_requests().await.unwrap_or_default();
    let get = reqs
        .iter()
        .find(|r| r.url.path() == "/img/x.webp")
        .expect("download");
    assert!(get.headers.get("authorization").is_none());
}

#[tokio::test]
async fn errors_are_classified_with_their_billing() {
    let cases: Vec<(ResponseTemplate, ErrorClass, Billing)> = vec![
        (
            ResponseTemplate::new(401)
                .set_body_json(json!({"code": "unauthorized", "message": "Invalid token"})),
            ErrorClass::AuthFailed,
            Billing::NotBilled,
        ),
        (
            ResponseTemplate::new(400).set_body_json(
                json!({"code": "not_enough_credits", "message": "Not enough credits"}),
            ),
            ErrorClass::QuotaExhausted,
            Billing::NotBilled,
        ),
        (
            ResponseTemplate::new(402).set_body_json(json!({"message": "Payment required"})),
            ErrorClass::QuotaExhausted,
            Billing::NotBilled,
        ),
        (
            ResponseTemplate::new(400).set_body_json(
                json!({"code": "invalid_size", "message": "size 999x999 is not supported"}),
            ),
            ErrorClass::InvalidRequest { field: None },
            Billing::NotBilled,
        ),
        (
            ResponseTemplate::new(400).set_body_json(
                json!({"code": "nsfw", "message": "The prompt was flagged as inappropriate"}),
            ),
            ErrorClass::SafetyBlock { billed: false },
            Billing::NotBilled,
        ),
        (
            ResponseTemplate::new(429)
                .insert_header("retry-after", "2")
                .set_body_json(json!({"message": "slow down"})),
            ErrorClass::RateLimited {
                retry_after_ms: Some(2000),
            },
            Billing::NotBilled,
        ),
        (
            ResponseTemplate::new(500).set_body_string("oops"),
            ErrorClass::Transient,
            Billing::NotBilled,
        ),
        // A 2xx naming a charge but holding no usable image: billed, with the units.
        (
            ResponseTemplate::new(200)
                .set_body_json(json!({"created": 1, "credits": 40, "data": []})),
            ErrorClass::MalformedResponse,
            Billing::Billed,
        ),
    ];
    for (resp, want, billing) in cases {
        let server = MockServer::start().await;
        let e = run(&server, req("recraftv3"), resp).await.expect_err("err");
        assert_eq!((e.class.clone(), e.billing), (want, billing), "{e}");
    }
}

#[tokio::test]
async fn a_dropped_connection_after_sending_is_of_unknown_billing() {
    let server = MockServer::start().await;
    let mut c = cfg(&server.uri());
    c.timeout = std::time::Duration::from_millis(200);
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(2)))
        .mount(&server)
        .await;
    let e = Recraft::new(&c, client())
        .generate(
            &req("recraftv3"),
            Some(KEY),
            &ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("timeout");
    assert!(matches!(e.class, ErrorClass::Timeout { .. }), "{e:?}");
    assert_eq!(e.billing, Billing::Unknown);
}

#[tokio::test]
async fn key_check_reads_the_unit_balance() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/me"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "u1", "email": "a@b.c", "name": "A", "credits": 1960})),
        )
        .mount(&server)
        .await;
    let k = Recraft::new(&cfg(&server.uri()), client())
        .check_key(KEY)
        .await;
    assert_eq!(
        k,
        KeyCheck::Valid {
            balance: Some(providers::Balance {
                amount: Decimal::new(1960, 0),
                unit: "credits".into()
            })
        }
    );
    let bad = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/me"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&bad)
        .await;
    assert!(matches!(
        Recraft::new(&cfg(&bad.uri()), client())
            .check_key(KEY)
            .await,
        KeyCheck::Invalid { .. }
    ));
}

#[tokio::test]
async fn registered_under_its_id() {
    let p = providers::provider_for(
        vocab::ProviderId::Recraft,
        &cfg("http://127.0.0.1:9"),
        client(),
    )
    .expect("registered");
    assert_eq!(p.id(), "recraft");
}
