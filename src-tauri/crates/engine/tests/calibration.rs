//! Estimates learn from history (DESIGN.md §3): a token-billed offer whose provider
//! reports more output image tokens than the published table is estimated at the median
//! of its settled costs once five are known, by this engine, by its reservations, and by
//! a new engine on the same data dir.

use crate::common::*;
use engine::Engine;
use engine::api::*;
use rust_decimal::Decimal;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const OFFER: &str = "openai:gpt-image-2";

/// OpenAI Images success billing 2,000 output image tokens (the table says 200 for
/// low 1024×1024) and 20 text input tokens.
async fn heavy_openai() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "created": 1,
            "data": [{"b64_json": b64(&png(16, 16))}],
            "usage": {"input_tokens": 20,
                      "input_tokens_details": {"text_tokens": 20, "image_tokens": 0},
                      "output_tokens": 2000, "total_tokens": 2020}
        })))
        .mount(&server)
        .await;
    server
}

fn low(quality: &str) -> RequestParams {
    RequestParams {
        quality: Some(quality.into()),
        ..params(Some(7))
    }
}

async fn estimate_of(e: &Engine, p: RequestParams) -> OfferEstimate {
    let mut r = e
        .estimate(EstimateInput {
            params: p,
            project: None,
            tier: TierFilter::All,
            offers: vec![OFFER.into()],
        })
        .await
        .expect("estimate");
    assert_eq!(r.estimates.len(), 1);
    r.estimates.remove(0)
}

/// Runs one generation of `p` on the offer (no dedup) and returns it with the amount
/// its reservation held.
async fn generate(e: &Engine, p: RequestParams) -> (GenerationResult, Decimal) {
    let (progress, events) = recorder();
    let r = e
        .generate(
            GenerateInput {
                project: "cal".into(),
                params: p,
                route: Route::Offer(OFFER.into()),
                no_dedup: true,
            },
            progress,
        )
        .await
        .expect("generate");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    let reserved = events
        .lock()
        .expect("lock")
        .iter()
        .find_map(|ev| match ev {
            JobEvent::Reserved { amount_usd, .. } => Some(*amount_usd),
            _ => None,
        })
        .expect("a reservation event");
    (r, reserved)
}

#[tokio::test]
async fn estimates_switch_to_the_median_of_settled_costs_after_five_and_survive_a_restart() {
    let openai = heavy_openai().await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("openai", openai.uri())], options()).await;
    e.project_upsert(project("cal", None, &[], &[]))
        .await
        .expect("project");

    let published = estimate_of(&e, low("low")).await;
    assert!(published.supported, "{published:?}");
    assert_eq!(published.confidence.as_str(), "published");
    assert_eq!(
        (published.price_source.as_str(), published.price_known),
        ("published", true)
    );
    assert!(
        published.expected_usd < d("0.02"),
        "200 image tokens at $30/M: {published:?}"
    );

    let mut actuals = Vec::new();
    for i in 1..=5 {
        let (r, reserved) = generate(&e, low("low")).await;
        assert_eq!(
            reserved, published.worst_case_usd,
            "generation {i} reserves the published worst case"
        );
        actuals.push(r.cost_usd);
        if i == 4 {
            let four = estimate_of(&e, low("low")).await;
            assert_eq!(
                (four.confidence.as_str(), four.expected_usd),
                ("published", published.expected_usd),
                "four samples are not enough"
            );
        }
    }
    // 2,000 image tokens × $30/M = $0.06, plus 20 text tokens × $5/M.
    assert!(
        actuals.iter().all(|a| *a == d("0.0601")),
        "the provider's reported usage was settled: {actuals:?}"
    );
    assert_eq!(requests(&openai).await, 5, "no dedup: five paid calls");

    let learned = estimate_of(&e, low("low")).await;
    assert_eq!(
        (learned.confidence.as_str(), learned.calibration_samples),
        ("calibrated", Some(5))
    );
    assert_eq!(
        (learned.price_source.as_str(), learned.calibration_samples),
        ("calibrated", Some(5))
    );
    assert_eq!(learned.expected_usd, d("0.0601"), "the median of the five");
    assert_eq!(learned.worst_case_usd, d("0.0601"), "their maximum");
    assert!(
        learned.lines.iter().any(|l| l.contains('5')),
        "the explanation names the history: {:?}",
        learned.lines
    );
    // Other parameters of the same offer have no history yet.
    let medium = estimate_of(&e, low("medium")).await;
    assert_eq!(medium.confidence.as_str(), "published");

    // The pipeline reserves the calibrated worst case, not the published one.
    let (_, reserved) = generate(&e, low("low")).await;
    assert_eq!(reserved, d("0.0601"));
    let six = estimate_of(&e, low("low")).await;
    assert_eq!(
        (six.confidence.as_str(), six.calibration_samples),
        ("calibrated", Some(6))
    );
    drop(e);

    // A new engine on the same data dir loads the history from the store.
    let again = engine(dir.path(), &[("openai", openai.uri())], options()).await;
    let reloaded = estimate_of(&again, low("low")).await;
    assert_eq!(
        (reloaded.confidence.as_str(), reloaded.calibration_samples),
        ("calibrated", Some(6))
    );
    assert_eq!(
        (reloaded.expected_usd, reloaded.worst_case_usd),
        (d("0.0601"), d("0.0601"))
    );
    assert_eq!(
        estimate_of(&again, low("medium")).await.confidence.as_str(),
        "published"
    );
}

/// A request split over several provider calls (n above the offer's per-call maximum of
/// 10) settles call by call, so no call's cost is the request's: it teaches nothing.
#[tokio::test]
async fn requests_split_over_several_calls_are_not_samples() {
    let openai = heavy_openai().await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("openai", openai.uri())], options()).await;
    e.project_upsert(project("cal", None, &[], &[]))
        .await
        .expect("project");
    let twelve = RequestParams {
        n: 12,
        ..low("low")
    };
    for _ in 0..5 {
        let (r, _) = generate(&e, twelve.clone()).await;
        assert_eq!(r.attempts.len(), 2, "two calls: {r:?}");
    }
    assert_eq!(requests(&openai).await, 10);
    assert_eq!(
        estimate_of(&e, twelve).await.confidence.as_str(),
        "published"
    );
    drop(e);
    let again = engine(dir.path(), &[("openai", openai.uri())], options()).await;
    let n12 = RequestParams {
        n: 12,
        ..low("low")
    };
    assert_eq!(
        estimate_of(&again, n12).await.confidence.as_str(),
        "published"
    );
}

/// Flat-priced offers are their published price whatever the history.
#[tokio::test]
async fn flat_priced_offers_never_calibrate() {
    let stability = MockServer::start().await;
    stability_ok(&stability, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("stability", stability.uri())], options()).await;
    e.project_upsert(project("cal", None, &[], &[]))
        .await
        .expect("project");
    let offer = "stability:stable-image-core";
    for _ in 0..5 {
        let r = e
            .generate(
                GenerateInput {
                    project: "cal".into(),
                    params: params(Some(7)),
                    route: Route::Offer(offer.into()),
                    no_dedup: true,
                },
                noop(),
            )
            .await
            .expect("generate");
        assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    }
    let r = e
        .estimate(EstimateInput {
            params: params(Some(7)),
            project: None,
            tier: TierFilter::All,
            offers: vec![offer.into()],
        })
        .await
        .expect("estimate");
    assert_eq!(r.estimates[0].confidence.as_str(), "published");
}

const SDXL: &str = "replicate:stability-ai/sdxl";

/// A time-billed prediction left running by a crashed process is finished by recovery;
/// its settled cost (from the stored calibration key) joins the four known ones, so the
/// estimate calibrates without a restart.
#[tokio::test]
async fn a_job_finished_by_recovery_is_learned() {
    let replicate = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/predictions/p-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "p-1", "status": "succeeded",
            "output": [format!("{}/out.png", replicate.uri())],
            "metrics": {"predict_time": 20}
        })))
        .mount(&replicate)
        .await;
    Mock::given(method("GET"))
        .and(path("/out.png"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(png(8, 8)))
        .mount(&replicate)
        .await;
    let mut opts = options();
    opts.keys.insert("replicate".into(), KEY.into());
    let endpoints = [("replicate", replicate.uri())];
    let dir = tempfile::tempdir().expect("tmp");
    let sdxl = RequestParams {
        negative_prompt: None,
        ..params(Some(7))
    };
    {
        let e = engine(dir.path(), &endpoints, opts.clone()).await;
        e.project_upsert(project("p", None, &[], &[]))
            .await
            .expect("project");
    }

    // The key the engine records for this request on this offer.
    let offer = pricing::Catalog::bundled().offer(SDXL).expect("offer");
    let mut req = pricing::EstimateRequest::new(sdxl.prompt.clone(), 1024, 1024);
    req.seed = Some(7);
    let key = pricing::estimate(
        offer,
        &req,
        &pricing::EstimateContext::new(chrono::Utc::now()),
    )
    .resolved
    .calibration_key();

    // History from an earlier session: four settled runs, and one left running.
    let s = store::Store::open(dir.path()).expect("store");
    let pid = s.project_by_name("p").expect("project").id;
    let new_gen = || store::NewGeneration {
        project_id: pid,
        request: store::CanonicalRequest {
            prompt: sdxl.prompt.clone(),
            provider: "replicate".into(),
            model: "stability-ai/sdxl".into(),
            width: 1024,
            height: 1024,
            n: 1,
            seed: Some(7),
            ..Default::default()
        },
        tier: store::Tier::Draft,
        parent_id: None,
        offer_id: Some(SDXL.into()),
        estimate: Some(d("0.00585")),
        seed_honoured: true,
    };
    let attempt = |remote: Option<serde_json::Value>| store::NewAttempt {
        provider: vocab::OfferProvider::Replicate,
        model: "stability-ai/sdxl".into(),
        offer_id: SDXL.into(),
        remote_job: remote,
    };
    for cost in ["0.01", "0.03", "0.04", "0.05"] {
        let g = s.create_generation(&new_gen()).expect("generation");
        let a = s
            .start_attempt_calibrated(g, &attempt(None), Some(&key))
            .expect("attempt");
        s.finish_attempt(
            a.id,
            &store::AttemptFinish {
                outcome: "succeeded".into(),
                billed: true,
                cost: d(cost),
                usage: None,
                error: None,
            },
        )
        .expect("finish");
    }
    let g = s.create_generation(&new_gen()).expect("generation");
    s.set_status(g, store::Status::Running, None)
        .expect("running");
    s.reserve(pid, g, d("0.1")).expect("reserve");
    let job = providers::RemoteJob {
        provider: "replicate".into(),
        model: "stability-ai/sdxl".into(),
        remote_id: "p-1".into(),
        poll_url: None,
        extra: serde_json::Value::Null,
    };
    s.start_attempt_calibrated(
        g,
        &attempt(Some(serde_json::to_value(&job).expect("job"))),
        Some(&key),
    )
    .expect("open attempt");
    drop(s);

    let e = engine(dir.path(), &endpoints, opts).await;
    let before = estimate_for(&e, SDXL, sdxl.clone()).await;
    assert_eq!(
        before.confidence.as_str(),
        "assumed",
        "four samples: {before:?}"
    );
    let report = e.recover().await.expect("recover");
    assert_eq!(report.resumed, vec![g.to_string()], "{report:?}");
    let detail = e.generation_detail(&g.to_string()).await.expect("detail");
    assert_eq!(detail.cost_usd, d("0.0195"), "20 s × $0.000975");

    let after = estimate_for(&e, SDXL, sdxl).await;
    assert_eq!(
        (after.confidence.as_str(), after.calibration_samples),
        ("calibrated", Some(5))
    );
    // 0.01, 0.0195, 0.03, 0.04, 0.05: median 0.03, max 0.05.
    assert_eq!(
        (after.expected_usd, after.worst_case_usd),
        (d("0.03"), d("0.05"))
    );
}

async fn estimate_for(e: &Engine, offer: &str, p: RequestParams) -> OfferEstimate {
    let r = e
        .estimate(EstimateInput {
            params: p,
            project: None,
            tier: TierFilter::All,
            offers: vec![offer.into()],
        })
        .await
        .expect("estimate");
    r.estimates.into_iter().next().expect("one estimate")
}
