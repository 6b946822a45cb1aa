//! The budget invariant end to end: 200 concurrent generations against a hard budget
//! that fits 50. Never more than the budget is charged, the ledger balances, and every
//! refused job says why.

use std::sync::Arc;

use crate::common::*;
use engine::ErrorKind;
use engine::api::*;
use rust_decimal::Decimal;
use wiremock::MockServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_generations_never_overrun_a_hard_budget() {
    let stability = MockServer::start().await;
    stability_ok(&stability, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let mut opts = options();
    opts.max_concurrent_jobs = Some(32);
    opts.provider_concurrency = Some(32);
    let e = Arc::new(engine(dir.path(), &[("stability", stability.uri())], opts).await);
    // Stable Image Core costs $0.03: $1.50 fits exactly 50.
    e.project_upsert(project(
        "tight",
        Some("1.50"),
        &["stability:stable-image-core"],
        &[],
    ))
    .await
    .expect("project");
    let mut tasks = Vec::new();
    for i in 0..200u32 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            // Distinct seeds: no dedup hits, every job wants new money.
            e.generate(input("tight", Route::Draft, Some(1000 + i)), noop())
                .await
        }));
    }
    let (mut ok, mut refused) = (Vec::new(), 0);
    for t in tasks {
        match t.await.expect("join") {
            Ok(r) => ok.push(r),
            Err(err) => {
                assert_eq!(err.kind, ErrorKind::Budget, "{}", err.message);
                assert!(
                    err.message.contains("left") && err.message.contains("needs"),
                    "a refusal says what is left and what the request needs: {}",
                    err.message
                );
                refused += 1;
            }
        }
    }
    assert!(ok.iter().all(|r| r.status == GenerationStatus::Succeeded));
    assert_eq!(ok.len(), 50, "exactly the budget's worth succeeded");
    assert_eq!(refused, 150);
    assert_eq!(
        requests(&stability).await,
        50,
        "refused jobs never reached the provider"
    );

    let p = e.project_show("tight").await.expect("show");
    let charged: Decimal = ok.iter().map(|r| r.cost_usd).sum();
    assert!(p.spent_usd <= d("1.50"), "spent {}", p.spent_usd);
    assert_eq!(p.spent_usd, charged, "the ledger matches the generations");
    assert_eq!(
        p.reserved_usd,
        Decimal::ZERO,
        "every reservation settled or released"
    );
    assert_eq!(p.remaining_usd, Some(d("1.50") - charged));
    let dash = e.dashboard(Some("tight".into())).await.expect("dashboard");
    assert_eq!(dash.total_spend_usd, charged);
}

#[tokio::test]
async fn a_soft_budget_overrun_is_reported_in_the_event_and_the_result() {
    let server = wiremock::MockServer::start().await;
    stability_ok(&server, "core").await;
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(dir.path(), &[("stability", server.uri())], options()).await;
    let mut p = project("soft", Some("0.001"), &["stability:stable-image-core"], &[]);
    p.hard = false;
    e.project_upsert(p).await.expect("project");
    let (progress, events) = recorder();
    let r = e
        .generate(input("soft", Route::Draft, Some(1)), progress)
        .await
        .expect("generate");
    assert_eq!(r.status, GenerationStatus::Succeeded);
    let w = r
        .budget_warning
        .as_deref()
        .expect("a warning in the result");
    assert!(w.contains("Over budget"), "{w}");
    let reserved = events
        .lock()
        .expect("events")
        .iter()
        .find_map(|ev| match ev {
            JobEvent::Reserved { warning, .. } => Some(warning.clone()),
            _ => None,
        })
        .expect("a reserved event");
    assert_eq!(reserved.as_deref(), Some(w));

    // Within budget: no warning.
    let (progress, _) = recorder();
    e.project_upsert(project(
        "roomy",
        Some("100"),
        &["stability:stable-image-core"],
        &[],
    ))
    .await
    .expect("project");
    let r = e
        .generate(input("roomy", Route::Draft, Some(2)), progress)
        .await
        .expect("generate");
    assert_eq!(r.budget_warning, None);
}

/// The meter's "this request" is what pressing Draft (or Final) would reserve: the
/// worst case of the project's chain, not the cheapest offer anywhere in the catalog.
#[tokio::test]
async fn the_estimate_prices_the_budget_impact_of_the_route_the_user_would_press() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(
        dir.path(),
        &[("stability", "http://127.0.0.1:9".into())],
        options(),
    )
    .await;
    e.project_upsert(project(
        "Route",
        Some("0.05"),
        &["stability:stable-image-core"],
        &["stability:stable-image-ultra"],
    ))
    .await
    .expect("project");
    let estimate = |tier| EstimateInput {
        params: params(Some(7)),
        project: Some("Route".into()),
        tier,
        offers: Vec::new(),
    };
    let draft = e
        .estimate(estimate(TierFilter::All))
        .await
        .expect("estimate");
    let budget = draft.budget.expect("budget");
    assert_eq!(budget.request_usd, Some(d("0.03")), "core: 3 credits");
    assert!(budget.request_fits);
    let fin = e
        .estimate(estimate(TierFilter::Final))
        .await
        .expect("estimate");
    let budget = fin.budget.expect("budget");
    assert_eq!(budget.request_usd, Some(d("0.08")), "ultra: 8 credits");
    assert!(!budget.request_fits, "$0.08 cannot fit a $0.05 hard budget");
}
