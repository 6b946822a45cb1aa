//! Issue 16 items 3–4 through the engine: a legacy `openai_compatible` gateway (the old
//! single-key, flat-price kind in Settings) and a named gateway of the same name coexist,
//! each priced and routed its own way, across settings saves and a restart; and all the
//! models of one gateway share one concurrency limit while two gateways do not.
//! No gateway secret is stored here, so no keychain is needed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use engine::api::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const LEGACY: &str = "openai_compatible:lab/house-model";
const NAMED: &str = "gateway:lab/gpt-image-2";

fn legacy(server: &MockServer, price: &str) -> GatewayConfig {
    GatewayConfig {
        name: "lab".into(),
        base_url: format!("{}/legacy/v1", server.uri()),
        models: vec!["house-model".into()],
        price_per_image_usd: Some(d(price)),
    }
}

fn named(server: &MockServer, name: &str, models: &[(&str, Option<&str>)]) -> GatewayInput {
    GatewayInput {
        name: name.into(),
        base_url: format!("{}/{name}/v1", server.uri()),
        dialect: vocab::GatewayDialect::Images,
        headers: vec![],
        models: models
            .iter()
            .map(|(m, o)| GatewayModelInput {
                name: (*m).into(),
                offer_id: o.map(str::to_owned),
            })
            .collect(),
        markup_percent: Some(d("5")),
        markup_per_image_usd: None,
        price_per_image_usd: Some(d("0.01")),
        cost_header: None,
        cost_json_path: None,
        key: None,
    }
}

async fn save_legacy(e: &engine::Engine, g: GatewayConfig) {
    let view = e.settings().await.expect("settings");
    e.settings_save(SettingsInput {
        endpoints: view.endpoints,
        gateways: vec![g],
        max_concurrent_jobs: 8,
        max_calls_per_provider: None,
    })
    .await
    .expect("legacy gateway saved");
}

async fn expected(e: &engine::Engine, offer: &str) -> OfferEstimate {
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

fn with_gateway_keys() -> engine::EngineOptions {
    let mut o = options();
    // The legacy kind's one shared key (provider `openai_compatible`).
    o.keys.insert("openai_compatible".into(), KEY.into());
    o
}

#[tokio::test]
async fn a_legacy_gateway_and_a_named_gateway_of_the_same_name_both_route_and_price() {
    let server = MockServer::start().await;
    for p in [
        "/legacy/v1/images/generations",
        "/lab/v1/images/generations",
    ] {
        Mock::given(method("POST"))
            .and(path(p))
            .respond_with(openai_ok())
            .expect(1)
            .mount(&server)
            .await;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], with_gateway_keys()).await;
    save_legacy(&e, legacy(&server, "0.02")).await;
    e.gateway_save(named(
        &server,
        "lab",
        &[("gpt-image-2", Some("openai:gpt-image-2"))],
    ))
    .await
    .expect("named gateway saved");
    // Saving the legacy settings again keeps the named gateway's offers, and vice versa.
    save_legacy(&e, legacy(&server, "0.025")).await;

    let direct = expected(&e, "openai:gpt-image-2").await;
    let (old, new) = (expected(&e, LEGACY).await, expected(&e, NAMED).await);
    assert_eq!(
        (old.expected_usd, old.price_known),
        (d("0.025"), true),
        "{old:?}"
    );
    assert_eq!(new.expected_usd, direct.expected_usd * d("1.05"), "{new:?}");
    assert_eq!(
        (old.provider.as_str(), new.provider.as_str()),
        ("openai_compatible", "gateway")
    );

    e.project_upsert(project("p", Some("5"), &[LEGACY], &[NAMED]))
        .await
        .expect("project");
    let draft = e
        .generate(input("p", Route::Draft, None), noop())
        .await
        .expect("draft through the legacy gateway");
    let fin = e
        .generate(input("p", Route::Final, None), noop())
        .await
        .expect("final through the named gateway");
    assert_eq!(draft.status, GenerationStatus::Succeeded, "{draft:?}");
    assert_eq!(fin.status, GenerationStatus::Succeeded, "{fin:?}");
    assert_eq!(draft.attempts[0].offer_id, LEGACY);
    assert_eq!(draft.cost_usd, d("0.025"), "the legacy flat price");
    assert_eq!(fin.attempts[0].offer_id, NAMED);
    // 20 text-in × $5/M + 272 image-out × $30/M = $0.00826, + 5 %.
    assert_eq!(fin.cost_usd, d("0.008673"), "{fin:?}");
    let reqs = server.received_requests().await.unwrap_or_default();
    let legacy_req = reqs
        .iter()
        .find(|r| r.url.path().starts_with("/legacy/"))
        .expect("the legacy gateway was called");
    assert_eq!(
        legacy_req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {KEY}").as_str()),
        "the legacy kind keeps its one openai_compatible key"
    );
    drop(e);

    // Both come back after a restart, each with its own price.
    let e = engine::Engine::open_with(config(dir.path()), with_gateway_keys())
        .await
        .expect("reopen");
    assert_eq!(expected(&e, LEGACY).await.expected_usd, d("0.025"));
    assert_eq!(
        expected(&e, NAMED).await.expected_usd,
        direct.expected_usd * d("1.05")
    );
    let s = e.settings().await.expect("settings");
    assert_eq!(
        s.gateways.len(),
        1,
        "the legacy definition is kept as it was"
    );
    assert_eq!(e.gateway_list().await.expect("list").len(), 1);
}

/// Answers OpenAI Images after `delay`, noting when each request arrived.
struct Slow {
    delay: Duration,
    arrived: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for Slow {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.arrived.lock().expect("lock").push(Instant::now());
        openai_ok().set_delay(self.delay)
    }
}

/// Runs one draft per project at once; returns the gap between the two arrivals.
async fn two_at_once(e: &engine::Engine, arrived: &Arc<Mutex<Vec<Instant>>>) -> Duration {
    arrived.lock().expect("lock").clear();
    // Never served from the gallery: each run must reach a gateway.
    let fresh = |p: &str| GenerateInput {
        no_dedup: true,
        ..input(p, Route::Draft, None)
    };
    let (a, b) = tokio::join!(
        e.generate(fresh("a"), noop()),
        e.generate(fresh("b"), noop())
    );
    for r in [a, b] {
        let r = r.expect("generated");
        assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    }
    let t = arrived.lock().expect("lock").clone();
    assert_eq!(t.len(), 2, "two calls reached the gateways");
    t[1].duration_since(t[0])
}

#[tokio::test]
async fn all_models_of_a_gateway_share_one_concurrency_limit_and_gateways_do_not() {
    let server = MockServer::start().await;
    let delay = Duration::from_millis(1200);
    let arrived = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .respond_with(Slow {
            delay,
            arrived: arrived.clone(),
        })
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let mut o = options();
    o.provider_concurrency = Some(1);
    let e = engine(dir.path(), &[], o).await;
    let models = [("house-a", None), ("house-b", None)];
    e.gateway_save(named(&server, "lab", &models))
        .await
        .expect("lab");
    e.gateway_save(named(&server, "other", &models))
        .await
        .expect("other");

    // Two models of one gateway: the second call waits for the first to end.
    for (p, offer) in [("a", "gateway:lab/house-a"), ("b", "gateway:lab/house-b")] {
        e.project_upsert(project(p, Some("5"), &[offer], &[]))
            .await
            .expect("project");
    }
    let gap = two_at_once(&e, &arrived).await;
    assert!(
        gap >= delay,
        "one gateway, one limit: the calls overlapped ({gap:?})"
    );

    // The same model name on two gateways: each has its own limit, so they overlap.
    for (p, offer) in [("a", "gateway:lab/house-a"), ("b", "gateway:other/house-a")] {
        e.project_upsert(project(p, Some("5"), &[offer], &[]))
            .await
            .expect("project");
    }
    let gap = two_at_once(&e, &arrived).await;
    assert!(gap < delay, "two gateways waited on one limit ({gap:?})");
}

#[tokio::test]
async fn a_failing_gateway_cools_down_all_its_models_and_no_other_gateway() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/lab/v1/images/generations"))
        .respond_with(ResponseTemplate::new(503).set_body_json(
            serde_json::json!({"error": {"message": "upstream overloaded", "type": "server_error"}}),
        ))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let mut o = options();
    o.breaker = engine::BreakerPolicy {
        failures: 1,
        cool_down: Duration::from_secs(600),
    };
    let e = engine(dir.path(), &[], o).await;
    let models = [("house-a", None), ("house-b", None)];
    for g in ["lab", "other"] {
        e.gateway_save(named(&server, g, &models))
            .await
            .expect("gateway");
    }
    e.project_upsert(project("p", Some("5"), &["gateway:lab/house-a"], &[]))
        .await
        .expect("project");
    let r = e.generate(input("p", Route::Draft, None), noop()).await;
    assert!(
        r.as_ref()
            .map_or(true, |r| r.status != GenerationStatus::Succeeded),
        "{r:?}"
    );
    let est = e
        .estimate(EstimateInput {
            params: params(None),
            project: None,
            tier: TierFilter::All,
            offers: vec![
                "gateway:lab/house-a".into(),
                "gateway:lab/house-b".into(),
                "gateway:other/house-a".into(),
            ],
        })
        .await
        .expect("estimate")
        .estimates;
    let cooling: Vec<(&str, bool)> = est
        .iter()
        .map(|x| (x.offer_id.as_str(), x.cooling_down.is_some()))
        .collect();
    assert_eq!(
        cooling,
        vec![
            ("gateway:lab/house-a", true),
            ("gateway:lab/house-b", true),
            ("gateway:other/house-a", false)
        ],
        "{est:?}"
    );
    let why = est[1].cooling_down.clone().unwrap_or_default();
    assert!(why.contains("gateway:lab"), "{why}");
}
