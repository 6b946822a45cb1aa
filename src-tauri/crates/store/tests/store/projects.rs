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

/// F12: a budget the database cannot hold is refused before anything is written.
#[test]
fn a_refused_budget_creates_nothing() {
    let fx = open();
    let policy = Policy {
        draft_offers: vec!["a".into()],
        ..Default::default()
    };
    let err = fx
        .store
        .create_project_with(
            &NewProject {
                name: "big".into(),
                client: None,
                budget: Some(Budget::hard(d("9300000000"))),
            },
            &policy,
            |id| vec![(format!("project.{id}.x"), serde_json::json!(true))],
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidMoney { .. }), "{err:?}");
    assert!(fx.store.list_projects().unwrap().is_empty());
    assert_eq!(fx.store.setting("project.1.x").unwrap(), None);
}

/// Project, budget, policy and settings land together.
#[test]
fn create_with_saves_everything_at_once() {
    let fx = open();
    let policy = Policy {
        draft_offers: vec!["a".into(), "b".into()],
        final_offers: vec!["c".into()],
        allow_safety_fallback: true,
        moderation: Some(Moderation::Low),
    };
    let p = fx
        .store
        .create_project_with(
            &NewProject {
                name: "P".into(),
                client: Some("ACME".into()),
                budget: Some(Budget::soft(d("5"))),
            },
            &policy,
            |id| vec![(format!("project.{id}.x"), serde_json::json!(true))],
        )
        .unwrap();
    assert_eq!(fx.store.policy(p.id).unwrap(), policy);
    assert_eq!(fx.store.budget(p.id).unwrap(), Some(Budget::soft(d("5"))));
    assert_eq!(
        fx.store.setting(&format!("project.{}.x", p.id)).unwrap(),
        Some(serde_json::json!(true))
    );
    // Update keeps moderation when the new policy leaves it unset; None removes the budget.
    fx.store
        .update_project(
            p.id,
            None,
            None,
            &Policy {
                moderation: None,
                ..Policy::default()
            },
            vec![],
        )
        .unwrap();
    assert_eq!(fx.store.budget(p.id).unwrap(), None);
    assert_eq!(
        fx.store.policy(p.id).unwrap().moderation,
        Some(Moderation::Low)
    );
    assert_eq!(fx.store.project(p.id).unwrap().client, None);
}

/// F17: separate handles (like separate processes) race to create one name: exactly
/// one wins, and the winner's budget is the one kept.
#[test]
fn concurrent_creates_of_one_name_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    drop(store::Store::open(dir.path()).unwrap());
    let handles: Vec<_> = (1..=8)
        .map(|i| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                let s = store::Store::open(&path).unwrap();
                let r = s.create_project(&NewProject {
                    name: "race".into(),
                    client: None,
                    budget: Some(Budget::hard(rust_decimal::Decimal::from(i))),
                });
                (i, r)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for h in handles {
        match h.join().unwrap() {
            (i, Ok(_)) => winners.push(i),
            (_, Err(StoreError::ProjectExists(n))) => assert_eq!(n, "race"),
            (_, Err(e)) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let s = store::Store::open(dir.path()).unwrap();
    let p = s.project_by_name("race").unwrap();
    assert_eq!(
        s.budget(p.id).unwrap().map(|b| b.amount),
        Some(rust_decimal::Decimal::from(winners[0]))
    );
}
