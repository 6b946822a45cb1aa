//! Issue 16: a gateway model bound to no catalog offer and given no price is `unknown`,
//! never $0, on every engine surface a designer reads: the estimate, the offer list, the
//! route preview, what is charged and recorded (generation, ledger report, dashboard).
//! Uncapped it is never sent, whatever the budget; under the user's cap the cap is held
//! and charged unless the gateway reports its own figure, which is then charged.
//! (The cost table and the CLI have their own tests: ui costTable.test.ts, cli
//! gateway_cli.rs.) No gateway secret is stored here, so no keychain is needed.

use crate::common::*;
use engine::api::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

const OFFER: &str = "gateway:resell/their-model";

async fn reseller(e: &engine::Engine, server: &MockServer) {
    e.gateway_save(GatewayInput {
        name: "resell".into(),
        base_url: format!("{}/api/v1", server.uri()),
        dialect: vocab::GatewayDialect::Images,
        headers: vec![],
        models: vec![GatewayModelInput {
            name: "their-model".into(),
            offer_id: None,
        }],
        markup_percent: None,
        markup_per_image_usd: None,
        price_per_image_usd: None,
        cost_header: None,
        cost_json_path: None,
        key: None,
    })
    .await
    .expect("gateway saved");
}

async fn estimate(e: &engine::Engine) -> OfferEstimate {
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

async fn preview(e: &engine::Engine, project: &str) -> RouteDecision {
    e.route_preview(RoutePreviewInput {
        project: project.into(),
        params: params(None),
        route: Route::Draft,
    })
    .await
    .expect("route preview")
}

async fn cap(e: &engine::Engine, usd: &str) {
    e.price_overrides_set(vec![PriceOverrideInput {
        offer_id: OFFER.into(),
        multiplier: d("1"),
        price_cap_usd: Some(d(usd)),
    }])
    .await
    .expect("cap saved");
}

#[tokio::test]
async fn an_unknown_gateway_price_is_never_zero_on_any_engine_surface() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/images/generations"))
        .respond_with(openai_ok())
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], options()).await;
    reseller(&e, &server).await;

    // The offer list and the estimate say unknown; the amounts are not a price.
    let listed = e.offers();
    let o = listed.iter().find(|o| o.offer_id == OFFER).expect("listed");
    assert_eq!(o.price_basis, vocab::EstimateSource::Unknown, "{o:?}");
    let est = estimate(&e).await;
    assert_eq!(
        (est.price_known, est.price_source.as_str()),
        (false, "unknown"),
        "{est:?}"
    );
    assert!(est.lines.iter().any(|l| l.contains("unknown")), "{est:?}");

    // Uncapped it is never sent, with a hard budget, a soft one or none at all.
    for (name, budget, hard) in [
        ("hard", Some("5"), true),
        ("soft", Some("5"), false),
        ("none", None, false),
    ] {
        let mut p = project(name, budget, &[OFFER], &[]);
        p.hard = hard;
        e.project_upsert(p).await.expect("project");
        let plan = preview(&e, name).await;
        assert!(!plan.can_run, "{name}: {plan:?}");
        assert!(
            plan.expected_usd.is_none_or(|x| !x.is_zero()),
            "{name}: a $0 price {plan:?}"
        );
        let why = format!("{:?}{:?}", plan.reason, plan.skipped);
        assert!(
            why.contains("unknown") && why.contains("price cap"),
            "{name}: {why}"
        );
        let err = e
            .generate(input(name, Route::Draft, None), noop())
            .await
            .expect_err("refused");
        assert!(err.message.contains("price cap"), "{name}: {err:?}");
    }
    assert_eq!(requests(&server).await, 0, "nothing was sent");
    let dash = e.dashboard(None).await.expect("dashboard");
    assert!(
        dash.total_spend_usd.is_zero() && dash.by_provider.is_empty(),
        "{dash:?}"
    );

    // Under a cap: the cap is previewed, held and — with no figure from the gateway — charged.
    cap(&e, "0.07").await;
    let plan = preview(&e, "hard").await;
    assert_eq!(
        (plan.can_run, plan.expected_usd),
        (true, Some(d("0.07"))),
        "{plan:?}"
    );
    let r = e
        .generate(input("hard", Route::Draft, None), noop())
        .await
        .expect("sent under the cap");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    assert_eq!(r.cost_usd, d("0.07"), "charged the cap, not $0: {r:?}");
    let detail = e.generation_detail(&r.generation_id).await.expect("detail");
    assert_eq!(
        (detail.estimate_usd, detail.cost_usd),
        (d("0.07"), d("0.07"))
    );
    let dash = e.dashboard(None).await.expect("dashboard");
    assert_eq!(dash.total_spend_usd, d("0.07"), "{dash:?}");
    let gw = dash
        .by_provider
        .iter()
        .find(|p| p.key == "gateway")
        .expect("the gateway's spend");
    assert_eq!(gw.spend_usd, d("0.07"));
    let csv_path = dir.path().join("ledger.csv");
    e.report_csv("hard", csv_path.clone())
        .await
        .expect("report");
    let csv = std::fs::read_to_string(&csv_path).expect("csv");
    let row = csv
        .lines()
        .find(|l| l.contains("their-model"))
        .unwrap_or_else(|| panic!("no ledger row for their-model:\n{csv}"));
    assert!(row.contains("0.07"), "{row}");
}

#[tokio::test]
async fn under_a_cap_the_gateways_own_figure_is_charged_when_it_reports_one() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/images/generations"))
        .respond_with(openai_ok().insert_header("x-litellm-response-cost", "0.0123"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[], options()).await;
    reseller(&e, &server).await;
    cap(&e, "0.07").await;
    e.project_upsert(project("p", Some("5"), &[OFFER], &[]))
        .await
        .expect("project");
    let r = e
        .generate(input("p", Route::Draft, None), noop())
        .await
        .expect("generated");
    assert_eq!(r.status, GenerationStatus::Succeeded, "{r:?}");
    assert_eq!(r.cost_usd, d("0.0123"), "{r:?}");
    assert_eq!(r.attempts[0].gateway_reported_usd, Some(d("0.0123")));
    let dash = e.dashboard(None).await.expect("dashboard");
    assert_eq!(dash.total_spend_usd, d("0.0123"));
}
