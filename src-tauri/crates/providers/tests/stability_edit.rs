//! Stability edit and upscale endpoints (issue 15; image-inputs.md §1.1, §1.5): one
//! endpoint per model, multipart with `image`, white-means-edit `mask`, outpaint margins
//! `left/right/up/down`, and creative upscale's start-then-poll with resume.
use crate::input_support;

use crate::common::*;
use input_support::*;
use providers::stability::Stability;
use providers::{
    ErrorClass, GenerateRequest, ImageProvider, ProgressSink, ProviderError, ProviderProgress,
};
use serde_json::json;
use vocab::Operation;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn image_ok(w: u32, h: u32) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "image/png")
        .insert_header("finish-reason", "SUCCESS")
        .insert_header("seed", "7")
        .set_body_bytes(png(w, h))
}

async fn call(
    server: &MockServer,
    r: &GenerateRequest,
) -> Result<providers::GenerateOutput, ProviderError> {
    let out = Stability::new(&cfg(&server.uri()), client())
        .generate(r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await;
    if let Err(e) = &out {
        assert_no_key(e);
    }
    out
}

async fn mount_ok(server: &MockServer, route: &str, w: u32, h: u32) {
    Mock::given(method("POST"))
        .and(path(route))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("accept", "image/*"))
        .respond_with(image_ok(w, h))
        .expect(1)
        .mount(server)
        .await;
}

async fn sent(server: &MockServer) -> std::collections::BTreeMap<String, FormPart> {
    let reqs = server.received_requests().await.unwrap_or_default();
    assert_eq!(reqs.len(), 1, "exactly one request");
    parts(&reqs[0])
}

#[tokio::test]
async fn inpaint_sends_image_white_mask_and_prompt() {
    let server = MockServer::start().await;
    mount_ok(&server, "/v2beta/stable-image/edit/inpaint", 64, 48).await;
    let mut r = with_mask(op_req("inpaint", Operation::Inpaint, 64, 48, 0));
    r.seed = Some(5);
    let out = call(&server, &r).await.expect("inpaint ok");
    assert_eq!((out.images[0].width, out.images[0].height), (64, 48));
    let p = sent(&server).await;
    assert_eq!(
        p["image"].bytes,
        r.inputs.images[0].bytes.to_vec(),
        "the subject as sent"
    );
    assert_eq!(p["image"].content_type.as_deref(), Some("image/png"));
    assert_eq!(p["image"].file_name.as_deref(), Some("image.png"));
    assert_white_means_edit(&p["mask"].bytes, 64);
    assert_eq!(p["prompt"].text(), "make the sky purple");
    assert_eq!(p["output_format"].text(), "png");
    assert_eq!(p["seed"].text(), "5");
}

#[tokio::test]
async fn outpaint_sends_margins_as_left_right_up_down() {
    let server = MockServer::start().await;
    mount_ok(
        &server,
        "/v2beta/stable-image/edit/outpaint",
        64 + 30,
        48 + 50,
    )
    .await;
    let mut r = with_margins(
        op_req("outpaint", Operation::Expand, 64, 48, 0),
        10,
        20,
        20,
        30,
    );
    r.negative_prompt = Some("people".into());
    call(&server, &r).await.expect("outpaint ok");
    let p = sent(&server).await;
    let got: Vec<(String, String)> = ["left", "right", "up", "down"]
        .iter()
        .map(|k| (k.to_string(), p[*k].text()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("left".into(), "10".into()),
            ("right".into(), "20".into()),
            ("up".into(), "20".into()),
            ("down".into(), "30".into())
        ]
    );
    assert!(!p.contains_key("mask"));
    assert!(!p.contains_key("negative_prompt"), "outpaint takes none");
}

#[tokio::test]
async fn erase_sends_mask_without_prompt() {
    let server = MockServer::start().await;
    mount_ok(&server, "/v2beta/stable-image/edit/erase", 32, 32).await;
    let r = with_mask(op_req("erase", Operation::Inpaint, 32, 32, 0));
    call(&server, &r).await.expect("erase ok");
    let p = sent(&server).await;
    assert_white_means_edit(&p["mask"].bytes, 32);
    assert!(!p.contains_key("prompt"), "erase takes no prompt");
}

#[tokio::test]
async fn search_and_replace_takes_search_prompt_from_extra() {
    let server = MockServer::start().await;
    mount_ok(
        &server,
        "/v2beta/stable-image/edit/search-and-replace",
        32,
        32,
    )
    .await;
    let mut r = op_req("search-and-replace", Operation::Edit, 32, 32, 0);
    r.extra = json!({"search_prompt": "the dog", "grow_mask": 5});
    call(&server, &r).await.expect("ok");
    let p = sent(&server).await;
    assert_eq!(p["search_prompt"].text(), "the dog");
    assert_eq!(p["prompt"].text(), "make the sky purple");
    assert_eq!(p["grow_mask"].text(), "5", "other extras pass through");
}

#[tokio::test]
async fn remove_background_and_fast_upscale_send_only_the_image() {
    let server = MockServer::start().await;
    mount_ok(
        &server,
        "/v2beta/stable-image/edit/remove-background",
        32,
        32,
    )
    .await;
    let r = op_req("remove-background", Operation::Edit, 32, 32, 0);
    call(&server, &r).await.expect("ok");
    let p = sent(&server).await;
    assert_eq!(
        p.keys().cloned().collect::<Vec<_>>(),
        vec!["image", "output_format"]
    );

    let server = MockServer::start().await;
    mount_ok(&server, "/v2beta/stable-image/upscale/fast", 128, 128).await;
    let mut r = op_req("upscale-fast", Operation::Upscale, 32, 32, 0);
    r.inputs.scale = Some(4);
    let out = call(&server, &r).await.expect("a 4x answer is allowed");
    assert_eq!(out.images[0].width, 128);
    let p = sent(&server).await;
    assert_eq!(
        p.keys().cloned().collect::<Vec<_>>(),
        vec!["image", "output_format"]
    );

    // Asked for 2x, fast makes 4x (it takes no factor; the estimate says "2× → 4×").
    let server = MockServer::start().await;
    mount_ok(&server, "/v2beta/stable-image/upscale/fast", 128, 128).await;
    r.inputs.scale = Some(2);
    let out = call(&server, &r).await.expect("fast at 2x runs at 4x");
    assert_eq!(out.images[0].width, 128);
    assert_eq!(
        sent(&server).await.keys().count(),
        2,
        "image and output_format only"
    );
}

#[tokio::test]
async fn conservative_upscale_sends_prompt_and_accepts_a_4k_answer() {
    let server = MockServer::start().await;
    mount_ok(
        &server,
        "/v2beta/stable-image/upscale/conservative",
        1024,
        1024,
    )
    .await;
    let r = op_req("upscale-conservative", Operation::Upscale, 32, 32, 0);
    let out = call(&server, &r).await.expect("ok");
    assert_eq!(out.images[0].width, 1024);
    let p = sent(&server).await;
    assert_eq!(p["prompt"].text(), "make the sky purple");
}

#[tokio::test]
async fn requests_stability_would_refuse_are_refused_before_sending() {
    let server = MockServer::start().await;
    let no_search = op_req("search-and-replace", Operation::Edit, 32, 32, 0);
    let no_mask = op_req("inpaint", Operation::Inpaint, 32, 32, 0);
    let mut no_prompt = with_mask(op_req("inpaint", Operation::Inpaint, 32, 32, 0));
    no_prompt.prompt = " ".into();
    let no_image = {
        let mut r = GenerateRequest::new("upscale-fast", "x");
        r.inputs.operation = Operation::Upscale;
        r
    };
    let wrong_op = op_req("outpaint", Operation::Inpaint, 32, 32, 0);
    let no_margin = with_margins(op_req("outpaint", Operation::Expand, 32, 32, 0), 0, 0, 0, 0);
    let big_margin = with_margins(
        op_req("outpaint", Operation::Expand, 32, 32, 0),
        0,
        2001,
        0,
        0,
    );
    let two_images = op_req("remove-background", Operation::Edit, 32, 32, 1);
    let text_model_with_input = op_req("stable-image-ultra", Operation::Edit, 32, 32, 0);
    let cases = [
        (no_search, "search prompt"),
        (no_mask, "mask"),
        (no_prompt, "needs a prompt"),
        (no_image, "needs an input image"),
        (wrong_op, "cannot do 'inpaint'"),
        (no_margin, "at least one margin"),
        (big_margin, "at most 2000 px"),
        (two_images, "at most 1 input"),
        (text_model_with_input, "text only"),
    ];
    assert_refused_before_sending(&server, cases, |r| {
        let s = &server;
        async move { call(s, &r).await }
    })
    .await;
}

#[tokio::test]
async fn edit_errors_are_classified() {
    let body = |name: &str, msg: &str| json!({"id": "e1", "name": name, "errors": [msg]});
    let cases: Vec<(ResponseTemplate, ErrorClass, &str)> = vec![
        (
            ResponseTemplate::new(400)
                .set_body_json(body("bad_request", "mask: dimensions must match image")),
            ErrorClass::InvalidRequest { field: None },
            "mask: dimensions",
        ),
        (
            ResponseTemplate::new(403).set_body_json(body("content_moderation", "flagged")),
            ErrorClass::SafetyBlock { billed: false },
            "flagged",
        ),
        (
            ResponseTemplate::new(413).set_body_json(body("payload_too_large", "max 10MiB")),
            ErrorClass::InvalidRequest {
                field: Some("image".into()),
            },
            "10MiB",
        ),
        (
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3")
                .set_body_json(body("rate_limit_exceeded", "slow")),
            ErrorClass::RateLimited {
                retry_after_ms: Some(3000),
            },
            "slow",
        ),
        (
            ResponseTemplate::new(503).set_body_json(body("internal_error", "busy")),
            ErrorClass::Transient,
            "busy",
        ),
    ];
    for (resp, want, needle) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v2beta/stable-image/edit/inpaint"))
            .respond_with(resp)
            .mount(&server)
            .await;
        let r = with_mask(op_req("inpaint", Operation::Inpaint, 32, 32, 0));
        let e = call(&server, &r).await.expect_err("error");
        assert_eq!(e.class, want, "{}", e.message);
        assert!(e.message.contains(needle), "{}", e.message);
    }
}

// ---- creative upscale: start, then poll /v2beta/results/{id} ----

async fn mount_creative_start(server: &MockServer, id: &str) {
    Mock::given(method("POST"))
        .and(path("/v2beta/stable-image/upscale/creative"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": id})))
        .expect(1)
        .mount(server)
        .await;
}

fn in_progress(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(202).set_body_json(json!({"id": id, "status": "in-progress"}))
}

#[tokio::test]
async fn creative_upscale_starts_then_polls_until_the_image() {
    let server = MockServer::start().await;
    mount_creative_start(&server, "abc123").await;
    Mock::given(method("GET"))
        .and(path("/v2beta/results/abc123"))
        .and(header("accept", "image/*"))
        .respond_with(in_progress("abc123"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2beta/results/abc123"))
        .respond_with(image_ok(256, 256))
        .mount(&server)
        .await;
    let (sink, events) = recorder();
    let mut r = op_req("upscale-creative", Operation::Upscale, 64, 64, 0);
    r.extra = json!({"creativity": 0.3});
    let out = Stability::new(&cfg(&server.uri()), client())
        .generate(&r, Some(KEY), &sink, &no_cancel())
        .await
        .expect("upscaled");
    assert_eq!(out.images[0].width, 256);
    assert_eq!(out.remote_id.as_deref(), Some("abc123"));
    let submitted = events.lock().expect("lock").iter().find_map(|e| match e {
        ProviderProgress::Submitted { job } => Some(job.clone()),
        _ => None,
    });
    let job = submitted.expect("the job is announced before polling");
    assert_eq!(job.remote_id, "abc123");
    assert!(
        job.poll_url
            .as_deref()
            .unwrap_or("")
            .ends_with("/v2beta/results/abc123")
    );
    let reqs = server.received_requests().await.unwrap_or_default();
    let p = parts(&reqs[0]);
    assert_eq!(p["prompt"].text(), "make the sky purple");
    assert_eq!(p["creativity"].text(), "0.3");
    assert_eq!(reqs.len(), 4, "one start and three polls");
}

#[tokio::test]
async fn creative_upscale_deadline_keeps_the_job_and_resume_never_restarts() {
    let server = MockServer::start().await;
    mount_creative_start(&server, "job9").await;
    Mock::given(method("GET"))
        .and(path("/v2beta/results/job9"))
        .respond_with(in_progress("job9"))
        .mount(&server)
        .await;
    let mut c = cfg(&server.uri());
    c.poll_deadline = std::time::Duration::from_millis(60);
    let r = op_req("upscale-creative", Operation::Upscale, 64, 64, 0);
    let e = Stability::new(&c, client())
        .generate(&r, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("deadline");
    assert_eq!(
        e.class,
        ErrorClass::Timeout {
            remote_job_id: Some("job9".into())
        }
    );
    assert!(e.may_have_billed(), "the job may still run and bill");
    let job = *e.remote_job.clone().expect("job attached for resume");

    // The app restarts: a new client resumes the stored job; the result is ready now.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v2beta/results/job9"))
        .respond_with(image_ok(256, 256))
        .expect(1)
        .mount(&server)
        .await;
    let stored: providers::RemoteJob =
        serde_json::from_str(&serde_json::to_string(&job).expect("ser")).expect("de");
    let out = Stability::new(&cfg(&server.uri()), client())
        .resume(&stored, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect("resumed");
    assert_eq!(out.images[0].width, 256);
    let reqs = server.received_requests().await.unwrap_or_default();
    assert!(
        reqs.iter().all(|r| r.method.as_str() == "GET"),
        "resume never restarts the upscale"
    );
}

#[tokio::test]
async fn creative_upscale_poll_failures() {
    // 404: the result expired; nothing to resume, outcome unknown.
    let server = MockServer::start().await;
    let job = providers::RemoteJob {
        provider: "stability".into(),
        model: "upscale-creative".into(),
        remote_id: "gone".into(),
        poll_url: Some(format!("{}/v2beta/results/gone", server.uri())),
        extra: json!({"n": 1, "width": 256, "height": 256}),
    };
    Mock::given(method("GET"))
        .and(path("/v2beta/results/gone"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"name": "not_found", "errors": ["id not found"]})),
        )
        .mount(&server)
        .await;
    let s = Stability::new(&cfg(&server.uri()), client());
    let e = s
        .resume(&job, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("404");
    assert!(matches!(e.class, ErrorClass::Timeout { .. }));
    assert!(e.remote_job.is_none(), "an expired job cannot be resumed");
    assert!(e.may_have_billed());

    // 5xx while polling: transient, the job stays attached so it can be resumed.
    let server = MockServer::start().await;
    let mut job5 = job.clone();
    job5.poll_url = Some(format!("{}/v2beta/results/gone", server.uri()));
    Mock::given(method("GET"))
        .and(path("/v2beta/results/gone"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&server)
        .await;
    let e = Stability::new(&cfg(&server.uri()), client())
        .resume(&job5, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("502");
    assert_eq!(e.class, ErrorClass::Transient);
    assert!(e.remote_job.is_some());

    // A stored poll URL on a foreign host is never sent the key.
    let mut evil = job.clone();
    evil.poll_url = Some("https://evil.example.com/v2beta/results/gone".into());
    let e = s
        .resume(&evil, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("host");
    assert_eq!(e.class, ErrorClass::MalformedResponse);

    // A start answer without a usable id: malformed, possibly billed.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2beta/stable-image/upscale/creative"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "../../v1/user"})))
        .mount(&server)
        .await;
    let r = op_req("upscale-creative", Operation::Upscale, 64, 64, 0);
    let e = call(&server, &r).await.expect_err("bad id");
    assert_eq!(e.class, ErrorClass::MalformedResponse);
    assert!(e.may_have_billed());

    // Resume of a synchronous model is refused.
    let mut sync = job.clone();
    sync.model = "inpaint".into();
    let e = s
        .resume(&sync, Some(KEY), &ProgressSink::noop(), &no_cancel())
        .await
        .expect_err("sync");
    assert!(matches!(e.class, ErrorClass::InvalidRequest { .. }));
}

#[tokio::test]
async fn creative_upscale_cancel_and_filtered_result() {
    // Cancelled while polling: the job stays attached (it may still run and bill).
    let server = MockServer::start().await;
    mount_creative_start(&server, "c1").await;
    Mock::given(method("GET"))
        .and(path("/v2beta/results/c1"))
        .respond_with(in_progress("c1"))
        .mount(&server)
        .await;
    let cancel = no_cancel();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        c2.cancel();
    });
    let r = op_req("upscale-creative", Operation::Upscale, 64, 64, 0);
    let e = Stability::new(&cfg(&server.uri()), client())
        .generate(&r, Some(KEY), &ProgressSink::noop(), &cancel)
        .await
        .expect_err("cancelled");
    assert_eq!(e.class, ErrorClass::Cancelled);
    assert_eq!(
        e.remote_job.as_ref().map(|j| j.remote_id.as_str()),
        Some("c1")
    );
    assert!(e.may_have_billed());

    // Finished but blurred by the output filter: a billed safety block, not resumable.
    let server = MockServer::start().await;
    mount_creative_start(&server, "c2").await;
    Mock::given(method("GET"))
        .and(path("/v2beta/results/c2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/png")
                .insert_header("finish-reason", "CONTENT_FILTERED")
                .set_body_bytes(png(64, 64)),
        )
        .mount(&server)
        .await;
    let e = call(&server, &r).await.expect_err("filtered");
    assert_eq!(e.class, ErrorClass::SafetyBlock { billed: true });
    assert!(e.remote_job.is_none());
}
