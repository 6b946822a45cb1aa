//! Drift from real bills (issue 14 §5): Recraft reports the units it charged on every
//! answer. When the last N settled attempts cost more than the threshold away from their
//! estimates, the cost table marks the offer and the dashboard lists it with the
//! evidence; accepting sets a negotiated rate from the observed ratio, ignoring hides the
//! mark; both survive a restart.

use crate::common::*;
use engine::Engine;
use engine::api::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const OFFER: &str = "recraft:recraftv3";

/// Recraft's documented answer: base64 images and the API units charged in `credits`.
fn recraft_answer(credits: u32) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "created": 1_764_396_000, "credits": credits,
        "data": [{"image_id": "a", "b64_json": b64(&png(16, 16))}]
    }))
}

fn opts() -> engine::EngineOptions {
    let mut o = options();
    o.keys.insert("recraft".into(), KEY.into());
    o
}

async fn open(dir: &std::path::Path, server: &MockServer) -> Engine {
    engine(dir, &[("recraft", server.uri())], opts()).await
}

async fn estimate(e: &Engine) -> OfferEstimate {
    e.estimate(EstimateInput {
        params: params(None),
        project: None,
        tier: TierFilter::All,
        offers: vec![OFFER.into()],
    })
    .await
    .expect("estimate")
    .estimates
    .remove(0)
}

async fn generate(e: &Engine) -> GenerationResult {
    let r = e
        .generate(
            GenerateInput {
                no_dedup: true,
                ..input("drift", Route::Offer(OFFER.into()), None)
            },
            noop(),
        )
        .await
        .expect("generate");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    r
}

#[tokio::test]
async fn bills_above_the_estimate_mark_the_offer_until_accepted_or_ignored() {
    let server = MockServer::start().await;
    // Three answers at 50 units ($0.05, the table says 40), then three at 40 units.
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(recraft_answer(50))
        .up_to_n_times(3)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(recraft_answer(40))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = open(dir.path(), &server).await;
    e.project_upsert(project("drift", None, &[], &[]))
        .await
        .expect("project");
    let settings = e
        .drift_settings_save(DriftSettings {
            window: 3,
            threshold_pct: d("10"),
        })
        .await
        .expect("drift settings");
    assert_eq!(settings.window, 3);

    let published = estimate(&e).await;
    assert_eq!(published.expected_usd, d("0.04"), "{published:?}");
    assert_eq!(published.drift, None);

    let mut last = String::new();
    for i in 1..=3 {
        let r = generate(&e).await;
        assert_eq!(r.cost_usd, d("0.05"), "Recraft's 50 units were charged");
        if i < 3 {
            assert_eq!(
                estimate(&e).await.drift,
                None,
                "{i} attempts: no full window"
            );
        }
        last = r.generation_id;
    }
    // Every attempt carries its estimate and the provider's own charge.
    let detail = e.generation_detail(&last).await.expect("detail");
    let last = detail.attempts.last().expect("an attempt");
    assert_eq!(
        (last.expected_usd, last.reported_usd, last.cost_usd),
        (Some(d("0.04")), Some(d("0.05")), d("0.05"))
    );

    let marked = estimate(&e).await;
    let mark = marked.drift.expect("the cost table marks the offer");
    assert_eq!(
        (mark.ratio, mark.percent, mark.samples),
        (d("1.25"), d("25"), 3)
    );
    assert!(mark.message.contains("25% above"), "{}", mark.message);
    assert_eq!(marked.expected_usd, d("0.04"), "never applied silently");

    let dash = e.dashboard(None).await.expect("dashboard");
    assert_eq!(dash.drifts.len(), 1, "{:?}", dash.drifts);
    let drift = &dash.drifts[0];
    assert_eq!(
        (drift.offer_id.as_str(), drift.status.as_str()),
        (OFFER, "drifting")
    );
    assert_eq!(drift.suggested_multiplier, d("1.25"));
    assert_eq!(drift.evidence.len(), 3);
    for ev in &drift.evidence {
        assert_eq!(
            (ev.expected_usd, ev.actual_usd, ev.reported_usd),
            (d("0.04"), d("0.05"), Some(d("0.05")))
        );
    }

    // Accept: one step, from the observed ratio. Recraft bills in credits, so the credits
    // assumed per image become 50; its $0.001 per credit stays.
    let accepted = e.drift_accept(OFFER).await.expect("accept");
    assert_eq!(accepted.status, vocab::DriftStatus::Accepted);
    let now = estimate(&e).await;
    assert_eq!(
        now.expected_usd,
        d("0.05"),
        "estimates use the accepted rate"
    );
    assert_eq!(now.drift, None);
    assert!(e.dashboard(None).await.expect("dash").drifts.is_empty());

    // The bills fall back to 40 units: 20 % below the accepted rate, raised again once
    // a whole window of later attempts shows it.
    for _ in 0..3 {
        assert_eq!(generate(&e).await.cost_usd, d("0.04"));
    }
    let again = estimate(&e).await.drift.expect("a fresh window drifts");
    assert_eq!(again.percent, d("-20"));
    e.drift_ignore(OFFER).await.expect("ignore");
    assert_eq!(estimate(&e).await.drift, None, "ignored");
    drop(e);

    // Decisions are kept in the library.
    let e = open(dir.path(), &server).await;
    let after = estimate(&e).await;
    assert_eq!(after.drift, None, "still ignored after a restart");
    assert_eq!(after.expected_usd, d("0.05"), "the accepted rate is kept");
    let all = e.drift_list().await.expect("list");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, vocab::DriftStatus::Ignored);
    assert_eq!(
        e.drift_settings().await.expect("settings").window,
        3,
        "settings persisted"
    );
    let err = e
        .drift_accept("openai:gpt-image-2")
        .await
        .expect_err("no drift there");
    assert!(err.message.contains("drift list"), "{}", err.message);
}
