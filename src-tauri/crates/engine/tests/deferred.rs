//! "Cheaper if it can wait" (issue 14.7): a generation sent to a provider's batch API is
//! reserved at the batch price, survives a restart, is polled (never resubmitted) and
//! lands with its real cost; a failed or expired batch releases its reservation.

use crate::common::*;
use engine::api::*;
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GEMINI: &str = "google:gemini-2.5-flash-image";
// A live model: tests must not route to one whose shutdown date passes under them.
const GPT: &str = "openai:gpt-image-2";

fn later(offer: &str) -> GenerateInput {
    input("p", Route::Offer(offer.into()), Some(7))
}

async fn gemini_batch(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/models/gemini-2.5-flash-image:batchGenerateContent"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "batches/b1", "metadata": {"state": "BATCH_STATE_PENDING"}
        })))
        .expect(1)
        .named("batch submit (exactly once, across both processes)")
        .mount(server)
        .await;
}

fn gemini_done() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "name": "batches/b1", "done": true, "metadata": {"state": "BATCH_STATE_SUCCEEDED"},
        "response": {"inlinedResponses": {"inlinedResponses": [{"response": {
            "candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": b64(&png(16, 16))}}]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 1290,
                "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}]}
        }}]}}
    }))
}

async fn estimate_of(e: &engine::Engine, offer: &str) -> OfferEstimate {
    e.estimate(EstimateInput {
        params: params(Some(7)),
        project: None,
        tier: TierFilter::All,
        offers: vec![offer.into()],
    })
    .await
    .expect("estimate")
    .estimates
    .remove(0)
}

#[tokio::test]
async fn estimate_shows_now_and_later_prices_where_a_batch_tier_exists() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], options()).await;
    let g = estimate_of(&e, GEMINI).await;
    let later = g.deferred.expect("Gemini has a batch tier");
    assert_eq!(later.expected_usd * Decimal::from(2), g.expected_usd);
    assert_eq!(later.within_hours, 24);
    assert_eq!(later.saving_pct, Decimal::from(50));
    assert!(later.source.as_deref().is_some_and(|s| s.contains("batch")));
    // No batch tier (or no batch client): no "later" price.
    let s = estimate_of(&e, "stability:stable-image-core").await;
    assert!(s.deferred.is_none());
}

#[tokio::test]
async fn an_edit_has_a_later_price_only_where_the_batch_api_takes_input_images() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], options()).await;
    let subject = e.import_input_image(png(64, 64)).await.expect("import");
    let edit = |offer: &str| EstimateInput {
        params: RequestParams {
            operation: vocab::Operation::Edit,
            inputs: vec![InputRef {
                source: InputSource::Blob {
                    sha256: subject.sha256.clone(),
                },
                role: vocab::InputRole::Subject,
            }],
            ..params(Some(7))
        },
        project: None,
        tier: TierFilter::All,
        offers: vec![offer.into()],
    };
    let mut g = e.estimate(edit(GEMINI)).await.expect("estimate").estimates;
    assert!(
        g.remove(0).deferred.is_some(),
        "Gemini's batch sends inline parts"
    );
    let mut o = e.estimate(edit(GPT)).await.expect("estimate").estimates;
    let gpt = o.remove(0);
    assert!(
        gpt.deferred.is_none(),
        "OpenAI's batch path here is text only"
    );
    // Asked anyway, the edit is refused before anything is sent.
    e.project_upsert(project("p", Some("5"), &[], &[]))
        .await
        .expect("project");
    let mut inp = later(GPT);
    inp.params = edit(GPT).params;
    let err = e
        .generate_later(inp, noop())
        .await
        .expect_err("text-only batch");
    assert!(err.message.contains("text only"), "{}", err.message);
}

#[tokio::test]
async fn a_deferred_gemini_job_survives_a_restart_and_lands_with_its_real_batch_cost() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = MockServer::start().await;
    gemini_batch(&server).await;
    let endpoints = [("google", server.uri())];
    let (gid, reserved) = {
        let e = engine(dir.path(), &endpoints, options()).await;
        e.project_upsert(project("p", Some("5"), &[GEMINI], &[]))
            .await
            .expect("project");
        let price = estimate_of(&e, GEMINI).await.deferred.expect("later price");
        let r = e
            .generate_later(later(GEMINI), noop())
            .await
            .expect("deferred");
        assert_eq!(r.status, GenerationStatus::Deferred, "{r:?}");
        assert!(r.images.is_empty());
        let p = e.project_show("p").await.expect("show");
        assert_eq!(
            p.reserved_usd, price.worst_case_usd,
            "held at the batch price"
        );
        assert_eq!(p.spent_usd, Decimal::ZERO);
        let jobs = e.deferred_jobs().await.expect("jobs");
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].remote_id, "batches/b1");
        assert_eq!(jobs[0].generation_id, r.generation_id);
        (r.generation_id, p.reserved_usd)
        // The process ends here (engine dropped, lease released).
    };
    assert!(reserved > Decimal::ZERO);

    // A new process: the batch is still running the first time it looks.
    let running = Mock::given(method("GET"))
        .and(path("/batches/b1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "batches/b1", "done": false, "metadata": {"state": "BATCH_STATE_RUNNING"}
        })))
        .mount_as_scoped(&server)
        .await;
    let e = engine(dir.path(), &endpoints, options()).await;
    let rep = e.recover().await.expect("recover");
    assert_eq!(rep.still_running, vec![gid.clone()], "{rep:?}");
    assert_eq!(e.deferred_jobs().await.expect("jobs").len(), 1);
    let p = e.project_show("p").await.expect("show");
    assert_eq!(
        p.reserved_usd, reserved,
        "still held while the provider works"
    );
    drop(running);

    Mock::given(method("GET"))
        .and(path("/batches/b1"))
        .respond_with(gemini_done())
        .mount(&server)
        .await;
    let rep = e.poll_deferred().await.expect("poll");
    assert_eq!(rep.resumed, vec![gid.clone()], "{rep:?}");
    let detail = e.generation_detail(&gid).await.expect("detail");
    assert_eq!(detail.status, GenerationStatus::Succeeded);
    assert_eq!(detail.images.len(), 1);
    // (10 text-in × $0.30/M + 1290 image-out × $30/M) × 0.5 batch.
    let cost = d("0.0193515");
    assert_eq!(detail.cost_usd, cost);
    assert_eq!(detail.unconfirmed_usd, Decimal::ZERO);
    let p = e.project_show("p").await.expect("show");
    assert_eq!(p.spent_usd, cost);
    assert_eq!(
        p.reserved_usd,
        Decimal::ZERO,
        "the rest of the reservation released"
    );
    assert!(e.deferred_jobs().await.expect("jobs").is_empty());
    let posts = server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(posts, 1, "never resubmitted");
}

#[tokio::test]
async fn an_identical_request_while_one_is_deferred_is_refused_not_left_waiting() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = MockServer::start().await;
    gemini_batch(&server).await;
    let e = engine(dir.path(), &[("google", server.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[GEMINI], &[]))
        .await
        .expect("project");
    e.generate_later(later(GEMINI), noop())
        .await
        .expect("deferred");
    let err = e
        .generate(later(GEMINI), noop())
        .await
        .expect_err("already deferred");
    assert!(err.message.contains("already deferred"), "{}", err.message);
}

async fn openai_batch(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/files"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "file-in1", "purpose": "batch"})),
        )
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/batches"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "batch_1", "status": "validating"})),
        )
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn an_expired_or_failed_batch_releases_its_reservation_and_charges_nothing() {
    for status in ["expired", "failed"] {
        let dir = tempfile::tempdir().expect("tmp");
        let server = MockServer::start().await;
        openai_batch(&server).await;
        let endpoints = [("openai", server.uri())];
        let gid = {
            let e = engine(dir.path(), &endpoints, options()).await;
            e.project_upsert(project("p", Some("5"), &[GPT], &[]))
                .await
                .expect("project");
            let r = e
                .generate_later(later(GPT), noop())
                .await
                .expect("deferred");
            assert_eq!(r.status, GenerationStatus::Deferred);
            r.generation_id
        };
        Mock::given(method("GET"))
            .and(path("/batches/batch_1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": "batch_1", "status": status, "output_file_id": null
            })))
            .mount(&server)
            .await;
        let e = engine(dir.path(), &endpoints, options()).await;
        let rep = e.recover().await.expect("recover");
        assert_eq!(rep.failed, vec![gid.clone()], "{status}: {rep:?}");
        let detail = e.generation_detail(&gid).await.expect("detail");
        assert_eq!(detail.status, GenerationStatus::Failed);
        assert_eq!(detail.cost_usd, Decimal::ZERO);
        let p = e.project_show("p").await.expect("show");
        assert_eq!(p.spent_usd, Decimal::ZERO, "{status}");
        assert_eq!(p.reserved_usd, Decimal::ZERO, "{status}: released");
    }
}

#[tokio::test]
async fn a_completed_openai_batch_lands_at_half_the_token_price() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = MockServer::start().await;
    openai_batch(&server).await;
    let endpoints = [("openai", server.uri())];
    let e = engine(dir.path(), &endpoints, options()).await;
    e.project_upsert(project("p", Some("5"), &[GPT], &[]))
        .await
        .expect("project");
    let mut inp = later(GPT);
    inp.params.quality = Some("low".into());
    let r = e.generate_later(inp, noop()).await.expect("deferred");
    Mock::given(method("GET"))
        .and(path("/batches/batch_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "batch_1", "status": "completed", "output_file_id": "file-out1"
        })))
        .mount(&server)
        .await;
    let line = json!({"id": "r1", "custom_id": "proofsheet-0", "error": null, "response": {"status_code": 200, "body": {
        "data": [{"b64_json": b64(&png(16, 16))}],
        "usage": {"input_tokens": 20, "input_tokens_details": {"text_tokens": 20, "image_tokens": 0}, "output_tokens": 625}}}});
    Mock::given(method("GET"))
        .and(path("/files/file-out1/content"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("{line}\n")))
        .mount(&server)
        .await;
    let rep = e.poll_deferred().await.expect("poll");
    assert_eq!(rep.resumed, vec![r.generation_id.clone()], "{rep:?}");
    let detail = e.generation_detail(&r.generation_id).await.expect("detail");
    // (20 × $5/M + 625 × $30/M) × 0.5.
    assert_eq!(detail.cost_usd, d("0.009425"));
    let p = e.project_show("p").await.expect("show");
    assert_eq!(p.spent_usd, d("0.009425"));
    assert_eq!(p.reserved_usd, Decimal::ZERO);
}

#[tokio::test]
async fn later_on_an_offer_without_a_batch_tier_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = MockServer::start().await;
    let e = engine(dir.path(), &[("stability", server.uri())], options()).await;
    e.project_upsert(project("p", Some("5"), &[], &[]))
        .await
        .expect("project");
    let err = e
        .generate_later(later("stability:stable-image-core"), noop())
        .await
        .expect_err("no batch tier");
    assert!(err.message.contains("later"), "{}", err.message);
    assert_eq!(requests(&server).await, 0);
    let p = e.project_show("p").await.expect("show");
    assert_eq!(
        (p.spent_usd, p.reserved_usd),
        (Decimal::ZERO, Decimal::ZERO)
    );
}

#[tokio::test]
async fn a_batch_create_whose_answer_never_came_is_an_unconfirmed_charge_and_is_not_resent() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/files"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "file-in1"})))
        .mount(&server)
        .await;
    // The batch may have been created; the answer does not arrive in time.
    Mock::given(method("POST"))
        .and(path("/batches"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "batch_1", "status": "validating"}))
                .set_delay(std::time::Duration::from_secs(3)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut opts = options();
    opts.http_timeout = std::time::Duration::from_millis(500);
    let e = engine(dir.path(), &[("openai", server.uri())], opts).await;
    e.project_upsert(project("p", Some("5"), &[GPT], &[]))
        .await
        .expect("project");
    let price = estimate_of(&e, GPT).await.deferred.expect("later price");
    let r = e.generate_later(later(GPT), noop()).await.expect("result");
    assert_eq!(r.status, GenerationStatus::Failed, "{r:?}");
    assert_eq!(
        r.unconfirmed_usd, price.expected_usd,
        "booked at the batch estimate"
    );
    let p = e.project_show("p").await.expect("show");
    assert_eq!(p.spent_usd, price.expected_usd);
    assert_eq!(p.unconfirmed_usd, price.expected_usd);
    assert_eq!(p.reserved_usd, Decimal::ZERO);
    assert_eq!(e.charges(None).await.expect("charges").len(), 1);
}
