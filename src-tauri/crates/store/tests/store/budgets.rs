#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rust_decimal::Decimal;
use store::{Budget, Store, StoreError};

use crate::common::{d, generation, open, project};

#[test]
fn hard_budget_refuses_what_would_exceed_it_and_says_what_is_left() {
    let fx = open();
    let p = project(&fx.store, "P", Some(Budget::hard(d("1.00"))));
    let g1 = generation(&fx.store, &p, "a");
    let g2 = generation(&fx.store, &p, "b");
    fx.store.reserve(p.id, g1, d("0.70")).unwrap();
    let err = fx.store.reserve(p.id, g2, d("0.31")).unwrap_err();
    match &err {
        StoreError::BudgetExceeded {
            remaining,
            needed,
            reserved,
            budget,
            ..
        } => {
            assert_eq!(*remaining, d("0.30"));
            assert_eq!(*needed, d("0.31"));
            assert_eq!(*reserved, d("0.70"));
            assert_eq!(*budget, d("1.00"));
        }
        other => panic!("expected BudgetExceeded, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("$0.3 left") && msg.contains("needs $0.31"),
        "{msg}"
    );
    // Exactly the rest fits.
    let ok = fx.store.reserve(p.id, g2, d("0.30")).unwrap();
    assert_eq!(ok.remaining, Some(Decimal::ZERO));
}

#[test]
fn thresholds_warn_and_soft_budgets_proceed_past_the_limit() {
    let fx = open();
    let p = project(&fx.store, "Soft", Some(Budget::soft(d("10"))));
    let g = generation(&fx.store, &p, "a");
    let first = fx.store.reserve(p.id, g, d("4")).unwrap();
    assert!(first.warning.is_none());
    let crossed = fx.store.reserve(p.id, g, d("4.5")).unwrap();
    let w = crossed.warning.unwrap();
    assert_eq!(
        w.threshold,
        Some(d("0.8")),
        "0.4 → 0.85 crosses 0.5 and 0.8; the highest is reported"
    );
    assert!(!w.over_budget);
    let over = fx.store.reserve(p.id, g, d("2")).unwrap();
    assert!(over.warning.unwrap().over_budget);
    assert_eq!(over.remaining, Some(d("-0.5")));
    let s = fx.store.project_summary("Soft").unwrap();
    assert_eq!(s.reserved, d("10.5"));
    assert!(!s.hard);
}

#[test]
fn charge_release_settle_keep_the_ledger_balanced_to_the_cent() {
    let fx = open();
    let p = project(&fx.store, "P", Some(Budget::hard(d("5"))));
    let g = generation(&fx.store, &p, "a");
    fx.store.reserve(p.id, g, d("0.168")).unwrap();
    fx.store.charge(g, d("0.042")).unwrap();
    assert_eq!(fx.store.reserved_for(g).unwrap(), d("0.126"));
    // More than what is still reserved, on a hard budget: refused.
    let err = fx.store.charge(g, d("0.2")).unwrap_err();
    assert!(
        matches!(err, StoreError::ChargeExceedsReservation { .. }),
        "{err:?}"
    );
    assert_eq!(fx.store.release(g).unwrap(), d("0.126"));
    assert_eq!(
        fx.store.release(g).unwrap(),
        Decimal::ZERO,
        "release is idempotent"
    );

    let g2 = generation(&fx.store, &p, "b");
    fx.store.reserve(p.id, g2, d("0.10")).unwrap();
    let s = fx.store.settle(g2, d("0.0042")).unwrap();
    assert_eq!((s.charged, s.released), (d("0.0042"), d("0.0958")));

    let g3 = generation(&fx.store, &p, "c");
    fx.store.record_saving(p.id, g3, d("0.042")).unwrap();

    let sum = fx.store.project_summary("P").unwrap();
    assert_eq!(sum.spent, d("0.0462"));
    assert_eq!(sum.reserved, Decimal::ZERO);
    assert_eq!(sum.saved, d("0.042"));
    assert_eq!(sum.remaining, Some(d("4.9538")));
    assert_eq!(sum.budget, Some(d("5")));
    assert_eq!(sum.thresholds, vec![d("0.5"), d("0.8")]);
    assert!(sum.hard);
    let rec = fx.store.generation(g).unwrap();
    assert_eq!((rec.reserved, rec.cost), (d("0.168"), d("0.042")));
}

#[test]
fn soft_budget_overrun_charge_is_booked_and_balances() {
    let fx = open();
    let p = project(&fx.store, "P", Some(Budget::soft(d("1"))));
    let g = generation(&fx.store, &p, "a");
    fx.store.reserve(p.id, g, d("0.05")).unwrap();
    let s = fx.store.settle(g, d("0.08")).unwrap();
    assert_eq!(s.released, Decimal::ZERO);
    let sum = fx.store.project_summary("P").unwrap();
    assert_eq!((sum.spent, sum.reserved), (d("0.08"), Decimal::ZERO));
}

#[test]
fn reserve_checks_generation_and_project() {
    let fx = open();
    let a = project(&fx.store, "A", None);
    let b = project(&fx.store, "B", None);
    let g = generation(&fx.store, &a, "x");
    assert!(matches!(
        fx.store.reserve(b.id, g, d("1")).unwrap_err(),
        StoreError::InvalidInput(_)
    ));
    assert!(
        fx.store
            .reserve(a.id, uuid::Uuid::new_v4(), d("1"))
            .is_err()
    );
    assert!(fx.store.reserve(a.id, g, d("-1")).is_err());
    // No budget: anything goes, no remaining.
    assert_eq!(
        fx.store.reserve(a.id, g, d("1000")).unwrap().remaining,
        None
    );
}

#[test]
fn hundred_concurrent_reservations_never_overrun_a_hard_budget() {
    let fx = open();
    let p = project(&fx.store, "Tight", Some(Budget::hard(d("1.00"))));
    // Two independent handles on the same files, as the app and the CLI would have.
    let other = Store::open(fx.dir.path()).unwrap();
    let gens: Vec<_> = (0..100)
        .map(|i| generation(&fx.store, &p, &format!("g{i}")))
        .collect();
    let gens = Arc::new(gens);
    let done = Arc::new(AtomicBool::new(false));

    let monitor = {
        let s = other.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut checks = 0;
            while !done.load(Ordering::Relaxed) {
                let sum = s.project_summary("Tight").unwrap();
                assert!(sum.spent + sum.reserved <= d("1.00"), "overrun: {sum:?}");
                checks += 1;
            }
            checks
        })
    };
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let s = if t % 2 == 0 {
                fx.store.clone()
            } else {
                other.clone()
            };
            let gens = gens.clone();
            std::thread::spawn(move || {
                let mut ok = Vec::new();
                for i in (t..100).step_by(8) {
                    match s.reserve(p.id, gens[i], d("0.03")) {
                        Ok(_) => ok.push(gens[i]),
                        Err(StoreError::BudgetExceeded { .. }) => {}
                        Err(e) => panic!("unexpected {e}"),
                    }
                }
                ok
            })
        })
        .collect();
    let reserved: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(reserved.len(), 33, "floor(1.00 / 0.03) reservations fit");
    let sum = fx.store.project_summary("Tight").unwrap();
    assert_eq!(sum.reserved, d("0.99"));

    // Settle some and release the rest, concurrently.
    let threads: Vec<_> = reserved
        .chunks(5)
        .enumerate()
        .map(|(i, chunk)| {
            let s = if i % 2 == 0 {
                fx.store.clone()
            } else {
                other.clone()
            };
            let chunk = chunk.to_vec();
            std::thread::spawn(move || {
                for (j, g) in chunk.into_iter().enumerate() {
                    if j % 2 == 0 {
                        s.settle(g, d("0.0125")).unwrap();
                    } else {
                        s.release(g).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    assert!(monitor.join().unwrap() > 0);
    let sum = fx.store.project_summary("Tight").unwrap();
    assert_eq!(
        sum.reserved,
        Decimal::ZERO,
        "reservation account sums to zero"
    );
    let settled = reserved
        .chunks(5)
        .map(|c| c.len().div_ceil(2))
        .sum::<usize>();
    assert_eq!(sum.spent, d("0.0125") * Decimal::from(settled));
    // Cross-check the raw ledger.
    let c = rusqlite::Connection::open(fx.store.db_path()).unwrap();
    let balance: i64 = c
        .query_row(
            "SELECT sum(CASE kind WHEN 'reserve' THEN amount_nanos ELSE -amount_nanos END)
             FROM ledger WHERE kind IN ('reserve', 'release', 'charge')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(balance, 0);
    assert_running_totals_match_ledger(&c);
}

/// The running totals reserve and the budget meter read must equal the ledger's sums.
fn assert_running_totals_match_ledger(c: &rusqlite::Connection) {
    let mut st = c
        .prepare(
            "SELECT p.id,
                (SELECT coalesce(sum(CASE WHEN kind = 'charge' THEN amount_nanos END), 0)
                   FROM ledger WHERE project_id = p.id),
                (SELECT coalesce(sum(CASE kind WHEN 'reserve' THEN amount_nanos
                        WHEN 'saving' THEN 0 ELSE -amount_nanos END), 0)
                   FROM ledger WHERE project_id = p.id),
                (SELECT coalesce(sum(CASE WHEN kind = 'saving' THEN amount_nanos END), 0)
                   FROM ledger WHERE project_id = p.id),
                t.spent_nanos, t.reserved_nanos, t.saved_nanos
             FROM projects p JOIN project_totals t ON t.project_id = p.id",
        )
        .unwrap();
    let rows: Vec<[i64; 7]> = st
        .query_map([], |r| {
            Ok([
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ])
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(
        !rows.is_empty(),
        "every project with ledger rows has totals"
    );
    for r in rows {
        assert_eq!((r[1], r[2], r[3]), (r[4], r[5], r[6]), "project {}", r[0]);
    }
}

#[test]
fn running_totals_follow_every_ledger_move_and_a_new_month_restarts_monthly_spend() {
    let fx = open();
    let mut budget = Budget::hard(d("1.00"));
    budget.period = store::BudgetPeriod::Monthly;
    let p = project(&fx.store, "Monthly", Some(budget));
    let g1 = generation(&fx.store, &p, "a");
    fx.store.reserve(p.id, g1, d("0.50")).unwrap();
    fx.store.settle(g1, d("0.40")).unwrap();
    let g2 = generation(&fx.store, &p, "b");
    fx.store.reserve(p.id, g2, d("0.30")).unwrap();
    fx.store.record_saving(p.id, g2, d("0.05")).unwrap();
    let c = rusqlite::Connection::open(fx.store.db_path()).unwrap();
    assert_running_totals_match_ledger(&c);
    let sum = fx.store.project_summary("Monthly").unwrap();
    assert_eq!(
        (sum.spent, sum.reserved, sum.saved),
        (d("0.4"), d("0.3"), d("0.05"))
    );

    // The month turns: last month's charges no longer count against a monthly budget.
    c.execute(
        "UPDATE project_totals SET month_start = month_start - 86400000 WHERE project_id = ?1",
        [p.id],
    )
    .unwrap();
    let sum = fx.store.project_summary("Monthly").unwrap();
    assert_eq!((sum.spent, sum.reserved), (d("0"), d("0.3")));
    assert_eq!(sum.remaining, Some(d("0.7")));
    fx.store.settle(g2, d("0.10")).unwrap();
    let sum = fx.store.project_summary("Monthly").unwrap();
    assert_eq!((sum.spent, sum.reserved), (d("0.1"), d("0")));
    assert_running_totals_match_ledger(&c);
}
