#![allow(clippy::unwrap_used)]

use store::{Budget, BudgetPeriod, Moderation, NewProject, Policy, StoreError};

use crate::common::{d, open, project};

#[test]
fn create_find_and_refuse_duplicate_names() {
    let fx = open();
    let p = project(&fx.store, "Spring campaign", Some(Budget::hard(d("50"))));
    assert_eq!(fx.store.project_by_name("Spring campaign").unwrap(), p);
    assert_eq!(
        fx.store.project(p.id).unwrap().client.as_deref(),
        Some("ACME")
    );
    let err = fx
        .store
        .create_project(&NewProject {
            name: "Spring campaign".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::ProjectExists(_)));
    assert!(matches!(
        fx.store.project_by_name("nope").unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert_eq!(fx.store.list_projects().unwrap().len(), 1);
}

#[test]
fn budget_round_trips_and_can_be_removed() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    assert_eq!(fx.store.budget(p.id).unwrap(), None);
    let b = Budget {
        amount: d("12.3456"),
        period: BudgetPeriod::Monthly,
        hard: false,
        thresholds: vec![d("0.25"), d("0.9")],
    };
    fx.store.set_budget(p.id, Some(&b)).unwrap();
    assert_eq!(fx.store.budget(p.id).unwrap(), Some(b));
    fx.store.set_budget(p.id, None).unwrap();
    assert_eq!(fx.store.budget(p.id).unwrap(), None);
    let bad = Budget {
        thresholds: vec![d("1.5")],
        ..Budget::hard(d("1"))
    };
    assert!(fx.store.set_budget(p.id, Some(&bad)).is_err());
}

#[test]
fn policy_keeps_offer_order() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    assert_eq!(
        fx.store.policy(p.id).unwrap().draft_offers,
        Vec::<String>::new()
    );
    let policy = Policy {
        draft_offers: vec!["fal/flux-schnell".into(), "openai/gpt-image-1/low".into()],
        final_offers: vec!["google/imagen-4".into()],
        allow_safety_fallback: true,
        moderation: Some(Moderation::Low),
    };
    fx.store.set_policy(p.id, &policy).unwrap();
    assert_eq!(fx.store.policy(p.id).unwrap(), policy);
}

#[test]
fn settings_and_price_overrides() {
    let fx = open();
    assert_eq!(fx.store.setting("theme").unwrap(), None);
    fx.store
        .set_setting("theme", &serde_json::json!("dark"))
        .unwrap();
    fx.store
        .set_setting("theme", &serde_json::json!("light"))
        .unwrap();
    assert_eq!(
        fx.store.setting("theme").unwrap(),
        Some(serde_json::json!("light"))
    );

    let rate = serde_json::json!({"per_image_usd": "0.03"});
    fx.store
        .set_price_override("openai/gpt-image-1/medium", &rate)
        .unwrap();
    assert_eq!(
        fx.store.price_overrides().unwrap(),
        vec![("openai/gpt-image-1/medium".to_string(), rate)]
    );
    assert!(
        fx.store
            .remove_price_override("openai/gpt-image-1/medium")
            .unwrap()
    );
    assert!(fx.store.price_overrides().unwrap().is_empty());
}
