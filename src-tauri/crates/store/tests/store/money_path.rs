//! Issue 11 in the store: true-amount charges over a hard budget (F7), unconfirmed
//! charges and their reconciliation, complete-only dedup (F5, F14), the one-transaction
//! call settlement (F4) and the in-flight claim behind single flight (F13).
#![allow(clippy::unwrap_used)]

use store::{Budget, CallSettle, Claim, NewAttempt, NewImage, Status, StoreError, Tier, dedup_key};

use crate::common::{d, new_gen, open, png, project, request};

fn attempt(store: &store::Store, g: store::GenerationId) -> i64 {
    store
        .start_sent_attempt(
            g,
            &NewAttempt {
                provider: vocab::OfferProvider::OpenAi,
                model: "gpt-image-1".into(),
                offer_id: "openai:gpt-image-1".into(),
                remote_job: None,
            },
            None,
            d("0.04"),
        )
        .unwrap()
}

fn running(store: &store::Store, p: &store::Project, prompt: &str, n: u32) -> store::GenerationId {
    let mut req = request(prompt);
    req.n = n;
    match store
        .claim_generation(uuid::Uuid::new_v4(), &new_gen(p, req, Tier::Draft), "me")
        .unwrap()
    {
        Claim::Created(id) => id,
        other => panic!("expected a new generation, got {other:?}"),
    }
}

/// Ledger ⇔ totals: the running totals equal the sums of the ledger rows.
fn assert_balanced(store: &store::Store, name: &str) {
    let c = rusqlite::Connection::open(store.db_path()).unwrap();
    let (spent, reserved, unconfirmed): (i64, i64, i64) = c
        .query_row(
            "SELECT coalesce(sum(CASE kind WHEN 'charge' THEN amount_nanos WHEN 'unconfirmed'
                    THEN amount_nanos WHEN 'refund' THEN -amount_nanos END), 0),
                    coalesce(sum(CASE kind WHEN 'reserve' THEN amount_nanos WHEN 'release'
                    THEN -amount_nanos WHEN 'charge' THEN -amount_nanos WHEN 'unconfirmed'
                    THEN -amount_nanos END), 0),
                    coalesce(sum(CASE kind WHEN 'unconfirmed' THEN amount_nanos WHEN 'confirm'
                    THEN -amount_nanos WHEN 'refund' THEN -amount_nanos END), 0)
             FROM ledger l JOIN projects p ON p.id = l.project_id WHERE p.name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let s = store.project_summary(name).unwrap();
    assert_eq!(
        (s.spent, s.reserved, s.unconfirmed),
        (
            rust_decimal::Decimal::new(spent, 9).normalize(),
            rust_decimal::Decimal::new(reserved, 9).normalize(),
            rust_decimal::Decimal::new(unconfirmed, 9).normalize()
        )
    );
}

#[test]
fn a_charge_above_the_reservation_is_recorded_in_full_under_a_hard_budget() {
    let fx = open();
    let p = project(&fx.store, "Hard", Some(Budget::hard(d("0.10"))));
    let g = running(&fx.store, &p, "over", 1);
    fx.store.reserve(p.id, g, d("0.08")).unwrap();
    let a = attempt(&fx.store, g);
    let charged = fx
        .store
        .settle_call(
            a,
            &CallSettle {
                outcome: "succeeded".into(),
                billed: true,
                cost: d("0.17"),
                ..Default::default()
            },
            &[],
            Some((Status::Succeeded, None)),
        )
        .unwrap();
    assert_eq!(charged, d("0.17"), "never truncated to what was held");
    let s = fx.store.project_summary("Hard").unwrap();
    assert_eq!((s.spent, s.reserved), (d("0.17"), d("0")));
    assert!(s.over_budget, "{s:?}");
    assert_eq!(fx.store.generation(g).unwrap().cost, d("0.17"));
    assert_eq!(fx.store.attempt(a).unwrap().cost, d("0.17"));
    // Reserve refuses new work until the budget is raised.
    let g2 = running(&fx.store, &p, "next", 1);
    let err = fx.store.reserve(p.id, g2, d("0.01")).unwrap_err();
    assert!(matches!(err, StoreError::BudgetExceeded { .. }), "{err:?}");
    assert_balanced(&fx.store, "Hard");
}

#[test]
fn unconfirmed_charges_count_as_spent_and_reconcile_by_confirm_or_refund() {
    let fx = open();
    let p = project(&fx.store, "U", Some(Budget::hard(d("1"))));
    let g = running(&fx.store, &p, "unknown", 1);
    fx.store.reserve(p.id, g, d("0.05")).unwrap();
    let a = attempt(&fx.store, g);
    fx.store
        .settle_call(
            a,
            &CallSettle {
                outcome: "timeout".into(),
                billed: true,
                cost: d("0.04"),
                unconfirmed: true,
                ..Default::default()
            },
            &[],
            Some((Status::Failed, Some("outcome unknown".into()))),
        )
        .unwrap();
    let s = fx.store.project_summary("U").unwrap();
    assert_eq!(
        (s.spent, s.unconfirmed, s.reserved),
        (d("0.04"), d("0.04"), d("0"))
    );
    assert_eq!(fx.store.unconfirmed_charges(None).unwrap().len(), 1);
    assert_balanced(&fx.store, "U");

    // The provider later proves a lower price: the difference comes back.
    assert_eq!(
        fx.store.confirm_charge(a, Some(d("0.03"))).unwrap(),
        d("-0.01")
    );
    let s = fx.store.project_summary("U").unwrap();
    assert_eq!((s.spent, s.unconfirmed), (d("0.03"), d("0")));
    assert_eq!(fx.store.generation(g).unwrap().cost, d("0.03"));
    assert!(fx.store.unconfirmed_charges(None).unwrap().is_empty());
    assert_balanced(&fx.store, "U");

    // A second one is refunded in full.
    let g2 = running(&fx.store, &p, "unknown 2", 1);
    fx.store.reserve(p.id, g2, d("0.05")).unwrap();
    let a2 = attempt(&fx.store, g2);
    fx.store
        .settle_call(
            a2,
            &CallSettle {
                outcome: "cancelled".into(),
                billed: true,
                cost: d("0.04"),
                unconfirmed: true,
                ..Default::default()
            },
            &[],
            Some((Status::Cancelled, None)),
        )
        .unwrap();
    assert_eq!(
        fx.store.refund_charge(a2, "refunded by the user").unwrap(),
        d("0.04")
    );
    let s = fx.store.project_summary("U").unwrap();
    assert_eq!((s.spent, s.unconfirmed), (d("0.03"), d("0")));
    assert!(!fx.store.attempt(a2).unwrap().billed);
    assert!(fx.store.refund_charge(a2, "again").is_err(), "only once");
    assert_balanced(&fx.store, "U");
    fx.store.integrity_check().unwrap();
}

#[test]
fn settle_call_books_the_charge_images_and_status_together() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let g = running(&fx.store, &p, "two", 2);
    fx.store.reserve(p.id, g, d("0.1")).unwrap();
    let files: Vec<NewImage> = (0..2)
        .map(|i| NewImage {
            idx: i,
            file: fx.store.write_image_file(&png(8, 8, i)).unwrap(),
            seed: Some(1),
        })
        .collect();
    let a = attempt(&fx.store, g);
    fx.store
        .settle_call(
            a,
            &CallSettle {
                outcome: "succeeded".into(),
                billed: true,
                cost: d("0.08"),
                ..Default::default()
            },
            &files,
            Some((Status::Succeeded, None)),
        )
        .unwrap();
    let r = fx.store.generation(g).unwrap();
    assert_eq!((r.status, r.cost), (Status::Succeeded, d("0.08")));
    assert_eq!(fx.store.images(g).unwrap().len(), 2);
    assert_eq!(fx.store.attempt(a).unwrap().state, "settled");
    assert_eq!(fx.store.reserved_for(g).unwrap(), d("0"));
}

#[test]
fn dedup_never_serves_a_partial_or_file_less_generation() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    // n = 2, only 1 image stored (a multi-call request cut midway): not reusable.
    let g = running(&fx.store, &p, "partial", 2);
    let a = attempt(&fx.store, g);
    let img = NewImage {
        idx: 0,
        file: fx.store.write_image_file(&png(8, 8, 7)).unwrap(),
        seed: None,
    };
    fx.store
        .settle_call(a, &CallSettle::default(), &[img], None)
        .unwrap();
    fx.store.set_status(g, Status::Succeeded, None).unwrap();
    let key = fx.store.generation(g).unwrap().dedup_key;
    assert!(
        fx.store.find_reusable(&key).unwrap().is_none(),
        "1 of 2 images"
    );

    // A complete one whose file was deleted: not reusable either.
    let g2 = running(&fx.store, &p, "gone", 1);
    let a2 = attempt(&fx.store, g2);
    let file = fx.store.write_image_file(&png(8, 8, 9)).unwrap();
    let path = fx.store.absolute(&file.path);
    fx.store
        .settle_call(
            a2,
            &CallSettle::default(),
            &[NewImage {
                idx: 0,
                file,
                seed: None,
            }],
            Some((Status::Succeeded, None)),
        )
        .unwrap();
    let mut req = request("gone");
    req.n = 1;
    let key2 = dedup_key(&req);
    assert!(fx.store.find_reusable(&key2).unwrap().is_some());
    std::fs::remove_file(&path).unwrap();
    assert!(
        fx.store.find_reusable(&key2).unwrap().is_none(),
        "file missing"
    );
}

#[test]
fn only_one_of_two_identical_requests_is_created() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let new = new_gen(&p, request("twin"), Tier::Draft);
    let first = fx
        .store
        .claim_generation(uuid::Uuid::new_v4(), &new, "a")
        .unwrap();
    let Claim::Created(id) = first else {
        panic!("{first:?}")
    };
    let second = fx
        .store
        .claim_generation(uuid::Uuid::new_v4(), &new, "b")
        .unwrap();
    assert_eq!(
        second,
        Claim::InFlight {
            generation: id,
            owner: Some("a".into())
        }
    );
    fx.store
        .finish_generation(id, Status::Failed, Some("x"))
        .unwrap();
    assert!(matches!(
        fx.store
            .claim_generation(uuid::Uuid::new_v4(), &new, "b")
            .unwrap(),
        Claim::Created(_)
    ));
}

#[test]
fn migration_6_keeps_the_ledger_and_marks_unfinished_attempts_sent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("proofsheet.sqlite3");
    {
        let mut c = rusqlite::Connection::open(&db).unwrap();
        store::migrations().to_version(&mut c, 5).unwrap();
        c.execute_batch(
            "INSERT INTO projects(id, name, created_at) VALUES (1, 'Old', 0);
             INSERT INTO project_totals(project_id, spent_nanos, reserved_nanos) VALUES (1, 5, 0);
             INSERT INTO generations(id, project_id, request_json, dedup_key, tier, status, provider,
                model, prompt, created_at)
             VALUES ('00000000-0000-4000-8000-000000000001', 1, '{}', 'k', 'draft', 'running',
                'openai', 'gpt-image-1', 'x', 1);
             INSERT INTO ledger(project_id, generation_id, kind, amount_nanos, created_at)
             VALUES (1, '00000000-0000-4000-8000-000000000001', 'charge', 5, 1);
             INSERT INTO attempts(generation_id, n, provider, model, offer_id, started_at)
             VALUES ('00000000-0000-4000-8000-000000000001', 1, 'openai', 'gpt-image-1', 'o', 1);",
        )
        .unwrap();
    }
    let s = store::Store::open(dir.path()).unwrap();
    let g = uuid::Uuid::parse_str("00000000-0000-4000-8000-000000000001").unwrap();
    assert_eq!(s.attempts(g).unwrap()[0].state, "sent");
    let spent = s.project_summary("Old").unwrap().spent;
    assert_eq!(spent, rust_decimal::Decimal::new(5, 9));
    s.integrity_check().unwrap();
}

#[test]
fn a_cost_flagged_for_review_is_never_a_calibration_sample() {
    let fx = open();
    let p = project(&fx.store, "P", None);
    let mut ids = Vec::new();
    for (i, review) in [None, Some("outside the band")].into_iter().enumerate() {
        let g = running(&fx.store, &p, &format!("cal {i}"), 1);
        let a = fx
            .store
            .start_sent_attempt(
                g,
                &NewAttempt {
                    provider: vocab::OfferProvider::OpenAi,
                    model: "gpt-image-1".into(),
                    offer_id: "openai:gpt-image-1".into(),
                    remote_job: None,
                },
                Some("k"),
                d("0.04"),
            )
            .unwrap();
        fx.store
            .settle_call(
                a,
                &CallSettle {
                    outcome: "succeeded".into(),
                    billed: true,
                    cost: d("0.05"),
                    review: review.map(str::to_owned),
                    ..Default::default()
                },
                &[],
                Some((Status::Succeeded, None)),
            )
            .unwrap();
        ids.push(a);
    }
    let samples = fx.store.calibration_samples(10).unwrap();
    assert_eq!(samples.len(), 1, "{samples:?}");
    assert!(fx.store.calibration_sample(ids[1]).unwrap().is_none());
}
