//! Issue 14 items 2–3 through the engine: a shut-down model is never sent to and its
//! project chains warn with the replacement; an unknown price is never estimated or
//! reserved as $0 (refused until the user sets a price cap, which is then reserved).

use crate::common::*;
use engine::api::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

const GW: &str = "openai_compatible:lab/house-model";

async fn with_gateway(dir: &std::path::Path, server: &MockServer) -> engine::Engine {
    let e = engine(dir, &[("openai", server.uri())], options()).await;
    let view = e.settings().await.expect("settings");
    e.settings_save(SettingsInput {
        endpoints: view.endpoints,
        gateways: vec![GatewayConfig {
            name: "lab".into(),
            base_url: server.uri(),
            models: vec!["house-model".into()],
            price_per_image_usd: None,
        }],
        max_concurrent_jobs: 4,
        max_calls_per_provider: None,
    })
    .await
    .expect("gateway saved");
    e
}

async fn estimate_one(e: &engine::Engine, offer: &str) -> OfferEstimate {
    e.estimate(EstimateInput {
        params: params(None),
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
async fn an_unknown_price_is_refused_until_capped_and_then_the_cap_is_reserved() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(openai_ok())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = with_gateway(dir.path(), &server).await;
    e.project_upsert(project("p", Some("5"), &[GW], &[]))
        .await
        .expect("project");

    let est = estimate_one(&e, GW).await;
    assert_eq!(
        (est.price_source.as_str(), est.price_known),
        ("unknown", false),
        "{est:?}"
    );
    assert!(
        est.lines.iter().any(|l| l.contains("price unknown")),
        "{est:?}"
    );

    let err = e
        .generate(input("p", Route::Draft, None), noop())
        .await
        .expect_err("refused: nothing could be reserved");
    assert!(
        err.message.contains("unknown") && err.message.contains("price cap"),
        "{err:?}"
    );
    assert_eq!(requests(&server).await, 0, "nothing was sent");

    e.price_overrides_set(vec![PriceOverrideInput {
        offer_id: GW.into(),
        multiplier: d("1"),
        price_cap_usd: Some(d("0.07")),
    }])
    .await
    .expect("cap saved");
    let capped = estimate_one(&e, GW).await;
    assert_eq!(
        (
            capped.expected_usd,
            capped.worst_case_usd,
            capped.price_known
        ),
        (d("0.07"), d("0.07"), false),
        "the cap is shown (still not a known price)"
    );

    let (progress, events) = recorder();
    let r = e
        .generate(input("p", Route::Draft, None), progress)
        .await
        .expect("sent once capped");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    let reserved = events
        .lock()
        .expect("lock")
        .iter()
        .find_map(|ev| match ev {
            JobEvent::Reserved { amount_usd, .. } => Some(*amount_usd),
            _ => None,
        })
        .expect("a reservation");
    assert_eq!(reserved, d("0.07"), "the cap is what was held, never $0");
}

#[tokio::test]
async fn shut_down_offers_are_never_sent_to_and_chains_that_hold_them_warn() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/images/generations"))
        .respond_with(openai_ok())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("openai", server.uri())], options()).await;
    let view = e
        .project_upsert(project(
            "old",
            Some("5"),
            &["openai:gpt-image-1", "openai:gpt-image-2"],
            &["google:gemini-3-pro-image-preview"],
        ))
        .await
        .expect("project");
    let warned: Vec<(Tier, &str, &str, Option<&str>)> = view
        .chain_warnings
        .iter()
        .map(|w| {
            (
                w.chain.clone(),
                w.offer_id.as_str(),
                w.status.as_str(),
                w.replacement.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        warned,
        [
            (
                Tier::Draft,
                "openai:gpt-image-1",
                "shut_down",
                Some("openai:gpt-image-2.5-sunburst")
            ),
            (
                Tier::Final,
                "google:gemini-3-pro-image-preview",
                "shut_down",
                Some("google:gemini-3-pro-image")
            ),
        ]
    );

    // Asked for by name: refused before any call, naming the replacement.
    let err = e
        .generate(
            input("old", Route::Offer("openai:gpt-image-1".into()), None),
            noop(),
        )
        .await
        .expect_err("shut down");
    assert!(
        err.message
            .contains("shut down on 2026-10-23, use openai:gpt-image-2.5-sunburst"),
        "{err:?}"
    );
    assert_eq!(requests(&server).await, 0);

    // In a chain: skipped (recorded), the next offer runs.
    let r = e
        .generate(input("old", Route::Draft, None), noop())
        .await
        .expect("falls through to gpt-image-2");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    assert_eq!(r.attempts[0].offer_id, "openai:gpt-image-1");
    assert_eq!(r.attempts[0].outcome.as_str(), "skipped");
    assert_eq!(
        r.attempts.last().map(|a| a.offer_id.as_str()),
        Some("openai:gpt-image-2")
    );
    assert_eq!(requests(&server).await, 1);

    // The price list leaves shut-down offers out; named, they say why they cannot run.
    let all = e
        .estimate(EstimateInput {
            params: params(None),
            project: None,
            tier: TierFilter::All,
            offers: Vec::new(),
        })
        .await
        .expect("estimate");
    assert!(all.estimates.len() > 40);
    assert!(
        all.estimates
            .iter()
            .all(|x| x.offer_id != "openai:gpt-image-1" && x.offer_id != "openai:dall-e-3")
    );
    let est = estimate_one(&e, "openai:gpt-image-1").await;
    assert!(!est.supported);
    assert_eq!(
        est.replacement.as_deref(),
        Some("openai:gpt-image-2.5-sunburst")
    );
}
