//! OpenAI Images contract tests against wiremock (wire formats from providers.md §1, §11, §14).

use std::time::Duration;

use crate::common::*;
use providers::openai::OpenAi;
use providers::{Billing, ErrorClass, ImageProvider, KeyCheck, ProviderError, ProviderProgress};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client_for(server: &MockServer) -> OpenAi {
    OpenAi::new(&cfg(&server.uri()), client())
}

async fn fail(server: &MockServer, resp: ResponseTemplate) -> ProviderError {
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(resp)
        .mount(server)
        .await;
    let err = client_for(server)
        .generate(
            &req("gpt-image-1"),
            Some(KEY),
            &providers::ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("should fail");
    assert_no_key(&err);
    err
}

fn openai_error(status: u16, code: &str, ty: &str, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"message": msg, "type": ty, "param": null, "code": code}}))
}

#[tokio::test]
async fn gpt_image_success_captures_token_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_partial_json(json!({"model": "gpt-image-1", "size": "1024x1024", "n": 1, "quality": "low"})))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req_123")
                .insert_header("openai-processing-ms", "9000")
                .set_body_json(json!({
                    "created": 1,
                    "data": [{"b64_json": png_b64(32, 24)}],
                    "usage": {"input_tokens": 50, "input_tokens_details": {"text_tokens": 40, "image_tokens": 10},
                              "output_tokens": 272, "total_tokens": 322}
                })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut r = req("gpt-image-1");
    r.quality = Some("low".into());
    let (sink, events) = recorder();
    let out = client_for(&server)
        .generate(&r, Some(KEY), &sink, &no_cancel())
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 1);
    assert_eq!((out.images[0].width, out.images[0].height), (32, 24));
    assert_eq!(out.images[0].mime, vocab::ImageMime::Png);
    assert_eq!(out.remote_id.as_deref(), Some("req_123"));
    let t = &out.usage.tokens;
    assert_eq!(
        (t.text_in, t.image_in, t.image_out, t.text_out),
        (40, 10, 272, 0)
    );
    assert_eq!(
        out.usage
            .headers
            .get("openai-processing-ms")
            .map(String::as_str),
        Some("9000")
    );
    assert!(!out.usage.headers.contains_key("authorization"));
    assert_eq!(out.usage.raw["output_tokens"], 272);
    assert!(out.safety.is_none());
    assert!(
        events
            .lock()
            .expect("lock")
            .contains(&ProviderProgress::Running)
    );
}

#[tokio::test]
async fn dalle_url_response_is_downloaded_and_missing_images_noted() {
    let server = MockServer::start().await;
    let url = format!("{}/files/a.png", server.uri());
    Mock::given(method("GET"))
        .and(path("/files/a.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(16, 16)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .and(body_partial_json(json!({"response_format": "b64_json"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"created": 1, "data": [{"url": url}, {"url": url}]})),
        )
        .mount(&server)
        .await;
    let mut r = req("dall-e-2");
    r.n = 3;
    let (sink, events) = recorder();
    let out = client_for(&server)
        .generate(&r, Some(KEY), &sink, &no_cancel())
        .await
        .expect("ok");
    assert_eq!(out.images.len(), 2);
    let note = out.safety.expect("safety note for the missing image");
    assert_eq!(note.filtered, 1);
    assert!(out.usage.tokens.is_empty(), "dall-e has no usage");
    assert!(
        events
            .lock()
            .expect("lock")
            .contains(&ProviderProgress::Downloading)
    );
}

#[tokio::test]
async fn safety_blocks_are_unbilled() {
    for code in ["moderation_blocked", "content_policy_violation"] {
        let server = MockServer::start().await;
        let e = fail(
            &server,
            openai_error(
                400,
                code,
                "invalid_request_error",
                "Your request was rejected by the safety system.",
            ),
        )
        .await;
        assert_eq!(e.class, ErrorClass::SafetyBlock { billed: false }, "{code}");
        assert_eq!(e.http_status, Some(400));
        assert!(!e.is_retryable() && !e.probably_billed());
    }
}

#[tokio::test]
async fn insufficient_quota_429_is_quota_not_rate_limit() {
    let server = MockServer::start().await;
    let e = fail(
        &server,
        openai_error(
            429,
            "insufficient_quota",
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details.",
        ),
    )
    .await;
    assert_eq!(e.class, ErrorClass::QuotaExhausted);
    assert!(!e.is_retryable());
    assert!(e.message.contains("billing"), "{}", e.message);
}

#[tokio::test]
async fn rate_limit_honours_every_retry_after_form() {
    let server = MockServer::start().await;
    let e = fail(
        &server,
        openai_error(429, "rate_limit_exceeded", "requests", "Rate limit reached")
            .insert_header("retry-after", "7"),
    )
    .await;
    assert_eq!(
        e.class,
        ErrorClass::RateLimited {
            retry_after_ms: Some(7000)
        }
    );
    assert!(e.is_retryable());

    let server = MockServer::start().await;
    let e = fail(
        &server,
        openai_error(429, "rate_limit_exceeded", "requests", "Rate limit reached")
            .insert_header("retry-after-ms", "1500")
            .insert_header("retry-after", "9"),
    )
    .await;
    assert_eq!(
        e.class,
        ErrorClass::RateLimited {
            retry_after_ms: Some(1500)
        },
        "retry-after-ms wins"
    );

    let server = MockServer::start().await;
    let when = (chrono::Utc::now() + chrono::Duration::seconds(120))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let e = fail(
        &server,
        openai_error(429, "rate_limit_exceeded", "requests", "slow down")
            .insert_header("retry-after", when.as_str()),
    )
    .await;
    match e.class {
        ErrorClass::RateLimited {
            retry_after_ms: Some(ms),
        } => assert!((60_000..=120_000).contains(&ms), "{ms}"),
        other => panic!("expected rate limit, got {other:?}"),
    }

    let server = MockServer::start().await;
    let e = fail(
        &server,
        openai_error(429, "rate_limit_exceeded", "requests", "slow down"),
    )
    .await;
    assert_eq!(
        e.class,
        ErrorClass::RateLimited {
            retry_after_ms: None
        }
    );
}

#[tokio::test]
async fn server_errors_and_html_pages_are_classified() {
    let server = MockServer::start().await;
    let e = fail(
        &server,
        openai_error(
            500,
            "server_error",
            "server_error",
            "The server had an error",
        ),
    )
    .await;
    assert_eq!(e.class, ErrorClass::Transient);

    let server = MockServer::start().await;
    let e = fail(
        &server,
        ResponseTemplate::new(502).set_body_string("<html><body>Bad gateway</body></html>"),
    )
    .await;
    assert_eq!(e.class, ErrorClass::Transient);
    assert!(e.message.contains("HTML"), "{}", e.message);

    let server = MockServer::start().await;
    let e = fail(
        &server,
        ResponseTemplate::new(200).set_body_string("<!DOCTYPE html><title>captive portal</title>"),
    )
    .await;
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert!(e.message.contains("HTML"), "{}", e.message);
}

#[tokio::test]
async fn auth_and_invalid_request() {
    let server = MockServer::start().await;
    let e = fail(
        &server,
        openai_error(
            401,
            "invalid_api_key",
            "invalid_request_error",
            "Incorrect API key provided",
        ),
    )
    .await;
    assert_eq!(e.class, ErrorClass::AuthFailed);

    let server = MockServer::start().await;
    let e = fail(
        &server,
        ResponseTemplate::new(400).set_body_json(json!({"error": {"message": "Invalid size", "type": "invalid_request_error", "param": "size", "code": "invalid_value"}})),
    )
    .await;
    assert_eq!(
        e.class,
        ErrorClass::InvalidRequest {
            field: Some("size".into())
        }
    );

    let server = MockServer::start().await;
    let e = fail(
        &server,
        openai_error(409, "conflict", "invalid_request_error", "try again")
            .insert_header("x-should-retry", "true"),
    )
    .await;
    assert_eq!(e.class, ErrorClass::Transient, "x-should-retry overrides");
}

#[tokio::test]
async fn hostile_bodies_are_malformed_not_panics() {
    // truncated base64
    let server = MockServer::start().await;
    let full = png_b64(32, 32);
    let e = fail(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": [{"b64_json": &full[..full.len() / 2 - 1]}]})),
    )
    .await;
    assert_eq!(e.class, ErrorClass::MalformedResponse);

    // valid base64 of a truncated PNG
    let server = MockServer::start().await;
    let bytes = png(64, 64);
    let e = fail(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({"data": [{"b64_json": b64(&bytes[..bytes.len() - 40])}]})),
    )
    .await;
    assert_eq!(e.class, ErrorClass::MalformedResponse);

    // decompression bomb
    let server = MockServer::start().await;
    let e = fail(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"data": [{"b64_json": b64(&bomb_png())}]})),
    )
    .await;
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert!(e.message.contains("100000"), "{}", e.message);

    // empty list, missing fields, not an image
    for body in [
        json!({"data": []}),
        json!({"created": 1}),
        json!({"data": [{"revised_prompt": "x"}]}),
        json!({"data": [{"b64_json": b64(b"hello world, not an image")}]}),
    ] {
        let server = MockServer::start().await;
        let e = fail(
            &server,
            ResponseTemplate::new(200).set_body_json(body.clone()),
        )
        .await;
        assert_eq!(e.class, ErrorClass::MalformedResponse, "{body}");
    }
}

#[tokio::test]
async fn oversized_body_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'a'; 64 * 1024]))
        .mount(&server)
        .await;
    let mut c = cfg(&server.uri());
    c.max_body_bytes = 16 * 1024;
    let e = OpenAi::new(&c, client())
        .generate(
            &req("gpt-image-1"),
            Some(KEY),
            &providers::ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("too big");
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert!(e.message.contains("larger"), "{}", e.message);
}

#[tokio::test]
async fn client_timeout_and_cancellation() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(3))
                .set_body_json(json!({"data": []})),
        )
        .mount(&server)
        .await;
    let mut c = cfg(&server.uri());
    c.timeout = Duration::from_millis(200);
    let p = OpenAi::new(&c, client());
    let e = p
        .generate(
            &req("gpt-image-1"),
            Some(KEY),
            &providers::ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("timeout");
    assert_eq!(
        e.class,
        ErrorClass::Timeout {
            remote_job_id: None
        },
        "sync provider: nothing to resume"
    );
    assert!(e.remote_job.is_none());

    let cancel = no_cancel();
    cancel.cancel();
    let e = client_for(&server)
        .generate(
            &req("gpt-image-1"),
            Some(KEY),
            &providers::ProgressSink::noop(),
            &cancel,
        )
        .await
        .expect_err("cancelled");
    assert_eq!(e.class, ErrorClass::Cancelled);
}

#[tokio::test]
async fn missing_key_is_auth_failed_without_a_request() {
    let server = MockServer::start().await;
    let e = client_for(&server)
        .generate(
            &req("gpt-image-1"),
            None,
            &providers::ProgressSink::noop(),
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
async fn check_key_valid_and_invalid() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/models"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let p = client_for(&server);
    assert_eq!(p.check_key(KEY).await, KeyCheck::Valid { balance: None });
    assert!(matches!(
        p.check_key("sk-wrong").await,
        KeyCheck::Invalid { .. }
    ));
    let dead = OpenAi::new(&cfg("http://127.0.0.1:9"), client());
    assert!(matches!(
        dead.check_key(KEY).await,
        KeyCheck::Unreachable { .. }
    ));
}

#[tokio::test]
async fn moderation_preflight() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/moderations"))
        .and(body_partial_json(json!({"input": "something violent"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "modr-1", "model": "omni-moderation-latest",
            "results": [{"flagged": true, "categories": {"violence": true, "hate": false}, "category_scores": {"violence": 0.93, "hate": 0.01}}]
        })))
        .mount(&server)
        .await;
    let r = providers::moderate(&client(), &cfg(&server.uri()), KEY, "something violent")
        .await
        .expect("ok");
    assert!(r.flagged);
    assert_eq!(r.categories, vec!["violence".to_string()]);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/moderations"))
        .respond_with(openai_error(
            401,
            "invalid_api_key",
            "invalid_request_error",
            "bad key",
        ))
        .mount(&server)
        .await;
    let e = providers::moderate(&client(), &cfg(&server.uri()), KEY, "x")
        .await
        .expect_err("auth");
    assert_eq!(e.class, ErrorClass::AuthFailed);
}

// ---- issue 11: billing evidence, bounds, redirects, redaction, clear errors ----

fn usage_json() -> serde_json::Value {
    json!({"input_tokens": 20, "output_tokens": 272, "total_tokens": 292})
}

async fn answer(
    server: &MockServer,
    resp: ResponseTemplate,
    n: u32,
) -> Result<providers::GenerateOutput, ProviderError> {
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(resp)
        .mount(server)
        .await;
    let mut r = req("gpt-image-1-mini");
    r.n = n;
    let out = client_for(server)
        .generate(
            &r,
            Some(KEY),
            &providers::ProgressSink::noop(),
            &no_cancel(),
        )
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

#[tokio::test]
async fn a_200_with_usage_but_unusable_images_is_billed_and_keeps_usage() {
    let mut truncated = png(64, 64);
    truncated.truncate(60);
    let bad = [
        json!([{"b64_json": b64(b"hello, this is not an image at all")}]),
        json!([{"b64_json": "!!!!not base64$$$"}]),
        json!([{"b64_json": b64(&truncated)}]),
        json!([{"b64_json": b64(&png_claiming(100_000, 100_000))}]),
        json!([{"b64_json": b64(&png_claiming(4096, 4096))}]),
        json!([]),
    ];
    for data in bad {
        let server = MockServer::start().await;
        let e = answer(
            &server,
            ResponseTemplate::new(200)
                .set_body_json(json!({"created": 1, "data": data, "usage": usage_json()})),
            1,
        )
        .await
        .expect_err("unusable");
        assert_eq!(e.class, ErrorClass::MalformedResponse, "{data}");
        assert_eq!(e.billing, Billing::Billed, "{data}: {}", e.message);
        assert_eq!(
            e.usage.as_ref().map(|u| u.tokens.image_out),
            Some(272),
            "{data}"
        );
        assert!(e.remote_job.is_none());
    }
}

#[tokio::test]
async fn an_image_over_4x_the_requested_pixels_is_refused_from_its_header() {
    let server = MockServer::start().await;
    let e = answer(
        &server,
        ResponseTemplate::new(200).set_body_json(
            json!({"data": [{"b64_json": b64(&png_claiming(4096, 4096))}], "usage": usage_json()}),
        ),
        1,
    )
    .await
    .expect_err("too many pixels");
    assert!(e.message.contains("4x the pixels"), "{}", e.message);
}

#[tokio::test]
async fn bodies_that_are_plainly_not_openai_are_not_billed() {
    for body in [
        ResponseTemplate::new(200).set_body_string("<html><h1>Welcome to nginx!</h1></html>"),
        ResponseTemplate::new(200),
        ResponseTemplate::new(200).set_body_json(json!({"created": 1})),
    ] {
        let server = MockServer::start().await;
        let e = answer(&server, body, 1).await.expect_err("not openai");
        assert_eq!(e.class, ErrorClass::MalformedResponse);
        assert_eq!(e.billing, Billing::NotBilled, "{}", e.message);
    }
}

#[tokio::test]
async fn truncated_json_is_an_unknown_outcome() {
    let server = MockServer::start().await;
    let e = answer(
        &server,
        ResponseTemplate::new(200)
            .set_body_string(r#"{"created": 1, "data": [{"b64_json": "iVBOR"#),
        1,
    )
    .await
    .expect_err("cut");
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert_eq!(e.billing, Billing::Unknown, "{}", e.message);
}

async fn gen_at(base: &str) -> ProviderError {
    let mut c = cfg(base);
    c.timeout = Duration::from_millis(400);
    let e = OpenAi::new(&c, client())
        .generate(
            &req("gpt-image-1"),
            Some(KEY),
            &providers::ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("fails");
    assert_no_key(&e);
    e
}

#[tokio::test]
async fn transport_failures_say_whether_the_request_left() {
    // Refused before sending: not billed, retryable.
    let e = gen_at(&dead_uri()).await;
    assert_eq!(
        (e.class.clone(), e.billing),
        (ErrorClass::Transient, Billing::NotBilled)
    );

    // Sent, then the body was cut at half its length: unknown.
    let base = raw_server(cut_response(500, r#"{"created": 1, "data": [{"b64"#)).await;
    let e = gen_at(&base).await;
    assert_eq!(e.billing, Billing::Unknown, "{}", e.message);

    // Sent, then the connection closed before any answer: unknown.
    let base = raw_server(Vec::new()).await;
    let e = gen_at(&base).await;
    assert_eq!(e.billing, Billing::Unknown, "{}", e.message);

    // Sent, no answer in time: unknown timeout.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let e = gen_at(&server.uri()).await;
    assert!(matches!(e.class, ErrorClass::Timeout { .. }), "{e:?}");
    assert_eq!(e.billing, Billing::Unknown);
}

#[tokio::test]
async fn a_body_over_the_cap_is_an_unknown_outcome() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b' '; 2048]))
        .mount(&server)
        .await;
    let mut c = cfg(&server.uri());
    c.max_body_bytes = 1024;
    let e = OpenAi::new(&c, client())
        .generate(
            &req("gpt-image-1"),
            Some(KEY),
            &providers::ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("too big");
    assert_eq!(e.billing, Billing::Unknown, "{}", e.message);
}

#[tokio::test]
async fn cancel_in_flight_is_unknown_and_before_sending_is_not_billed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let cancel = no_cancel();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        c2.cancel();
    });
    let e = client_for(&server)
        .generate(
            &req("gpt-image-1"),
            Some(KEY),
            &providers::ProgressSink::noop(),
            &cancel,
        )
        .await
        .expect_err("cancelled");
    assert_eq!(
        (e.class.clone(), e.billing),
        (ErrorClass::Cancelled, Billing::Unknown)
    );

    let e = client_for(&server)
        .generate(
            &req("gpt-image-1"),
            Some(KEY),
            &providers::ProgressSink::noop(),
            &cancel,
        )
        .await
        .expect_err("cancelled");
    assert_eq!(
        (e.class, e.billing),
        (ErrorClass::Cancelled, Billing::NotBilled)
    );
}

#[tokio::test]
async fn never_more_images_than_requested() {
    let server = MockServer::start().await;
    let data: Vec<_> = (0..60)
        .map(|_| json!({"b64_json": png_b64(8, 8)}))
        .collect();
    let out = answer(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"data": data, "usage": usage_json()})),
        1,
    )
    .await
    .expect("ok");
    assert_eq!(out.images.len(), 1);
}

#[tokio::test]
async fn absurd_token_counts_fall_back_to_the_formula_without_error() {
    for bad in [
        json!(18446744073709551615u64),
        json!(1e300),
        json!(-500000),
        json!("many"),
        json!(1e15),
    ] {
        let server = MockServer::start().await;
        let out = answer(
            &server,
            ResponseTemplate::new(200).set_body_json(json!({
                "data": [{"b64_json": png_b64(8, 8)}],
                "usage": {"input_tokens": 20, "output_tokens": bad},
            })),
            1,
        )
        .await
        .expect("images kept");
        assert_eq!(out.images.len(), 1);
        assert!(out.usage.tokens.is_empty(), "{bad}: {:?}", out.usage.tokens);
    }
}

#[tokio::test]
async fn a_key_cut_by_truncation_or_split_by_a_control_char_is_redacted() {
    let long = format!(
        "Request rejected by gateway policy; {} credential={KEY}",
        "x".repeat(232)
    );
    let mut split = KEY.to_string();
    split.insert(10, '\0');
    for msg in [long, format!("Incorrect API key provided: {split}")] {
        let server = MockServer::start().await;
        let e = answer(
            &server,
            openai_error(400, "bad", "invalid_request_error", &msg),
            1,
        )
        .await
        .expect_err("400");
        let e = e.redact(Some(KEY));
        let all = format!(
            "{e} {e:?} {}",
            serde_json::to_string(&e).unwrap_or_default()
        );
        assert_no_key_part(&all);
    }
}

#[tokio::test]
async fn invalid_base_urls_and_keys_with_line_breaks_are_clear_and_final() {
    for base in ["not a url", "ftp://example.com/v1", "http://[::1"] {
        let e = OpenAi::new(&cfg(base), client())
            .generate(
                &req("gpt-image-1"),
                Some(KEY),
                &providers::ProgressSink::noop(),
                &no_cancel(),
            )
            .await
            .expect_err("bad url");
        assert!(
            matches!(e.class, ErrorClass::InvalidRequest { .. }),
            "{base}: {e:?}"
        );
        assert!(
            e.message.contains("PROOFSHEET_OPENAI_BASE_URL"),
            "{}",
            e.message
        );
        assert!(!e.is_retryable());
        assert_eq!(e.billing, Billing::NotBilled);
    }
    let server = MockServer::start().await;
    let e = client_for(&server)
        .generate(
            &req("gpt-image-1"),
            Some("sk-abc\r\ndef"),
            &providers::ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("bad key");
    assert_eq!(e.class, ErrorClass::AuthFailed);
    assert!(
        e.message.contains("contains a line break; set it again"),
        "{}",
        e.message
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn the_key_never_follows_a_redirect_to_another_origin() {
    let server = MockServer::start().await;
    let second = redirect_everything(&server).await;
    let e = client_for(&server)
        .generate(
            &req("gpt-image-1"),
            Some(KEY),
            &providers::ProgressSink::noop(),
            &no_cancel(),
        )
        .await
        .expect_err("redirect refused");
    assert_redirect_refused(&e);
    assert_key_not_forwarded(&second).await;
}
