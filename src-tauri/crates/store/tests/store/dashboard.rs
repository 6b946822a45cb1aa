#![allow(clippy::unwrap_used)]

use store::{AttemptFinish, DashboardQuery, NewAttempt, SpendLine, Status, Tier};

use crate::common::{d, generation, open, png, project};

fn attempt(
    fx: &crate::common::Fx,
    g: store::GenerationId,
    provider: &str,
    outcome: &str,
    cost: &str,
) {
    let a = fx
        .store
        .start_attempt(
            g,
            &NewAttempt {
                provider: provider.parse().expect("a provider id"),
                model: "m".into(),
                offer_id: format!("{provider}/m"),
                remote_job: None,
            },
        )
        .unwrap();
    fx.store
        .finish_attempt(
            a.id,
            &AttemptFinish {
                outcome: outcome.into(),
                billed: true,
                cost: d(cost),
                usage: Some(serde_json::json!({"images": 1})),
                error: None,
            },
        )
        .unwrap();
}

#[test]
fn answers_where_the_money_went() {
    let fx = open();
    let a = project(&fx.store, "A", None);
    let b = project(&fx.store, "B", None);

    let g1 = generation(&fx.store, &a, "one");
    fx.store.set_status(g1, Status::Running, None).unwrap();
    fx.store.reserve(a.id, g1, d("0.1")).unwrap();
    attempt(&fx, g1, "openai", "transient", "0.01");
    attempt(&fx, g1, "fal", "succeeded", "0.02");
    fx.store.persist_image(g1, 0, &png(8, 8, 1), None).unwrap();
    fx.store.settle(g1, d("0.03")).unwrap();
    fx.store.set_status(g1, Status::Succeeded, None).unwrap();

    let g2 = generation(&fx.store, &b, "two");
    fx.store.set_status(g2, Status::Running, None).unwrap();
    fx.store.reserve(b.id, g2, d("0.1")).unwrap();
    attempt(&fx, g2, "openai", "safety_block", "0.04");
    fx.store.settle(g2, d("0.04")).unwrap();
    fx.store.set_status(g2, Status::Failed, None).unwrap();

    fx.store
        .reuse_generation(g1, b.id, Tier::Draft, None)
        .unwrap();

    let dash = fx.store.dashboard(&DashboardQuery::default()).unwrap();
    // Counts: generations charged (project, day), billed attempts (provider, model).
    let line = |k: &str, v: &str, count: u64| SpendLine {
        key: k.into(),
        amount: d(v),
        count,
    };
    assert_eq!(dash.total_spent, d("0.07"));
    assert_eq!(
        dash.by_project,
        vec![line("B", "0.04", 1), line("A", "0.03", 1)]
    );
    assert_eq!(
        dash.by_provider,
        vec![line("openai", "0.05", 2), line("fal", "0.02", 1)]
    );
    assert_eq!(
        dash.by_model,
        vec![line("openai/m", "0.05", 2), line("fal/m", "0.02", 1)]
    );
    assert_eq!(dash.retry_spend, d("0.01"));
    assert_eq!(dash.failure_spend, d("0.04"));
    assert_eq!(dash.savings, d("0.03"));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(dash.by_day, vec![line(&today, "0.07", 2)]);
    assert_eq!(dash.estimate_vs_actual.len(), 1);
    let eva = &dash.estimate_vs_actual[0];
    assert_eq!(
        (eva.generations, eva.estimated, eva.actual),
        (1, d("0.042"), d("0.03"))
    );

    let only_a = fx
        .store
        .dashboard(&DashboardQuery {
            project_id: Some(a.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(only_a.total_spent, d("0.03"));
    assert_eq!(only_a.failure_spend, d("0"));
    assert_eq!(only_a.savings, d("0"));
    let future = chrono::Utc::now() + chrono::Duration::hours(1);
    let none = fx
        .store
        .dashboard(&DashboardQuery {
            from: Some(future),
            ..Default::default()
        })
        .unwrap();
    assert!(none.by_day.is_empty() && none.total_spent == d("0"));
}
