//! The team ledger against a real PostgreSQL (started per test by `team::testing`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures::StreamExt;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use team::ledger::Booked;
use team::testing::{ANA as ADMIN, BOB, PgServer};
use team::{ErrorClass, ProjectBudget, Role, Team, TeamError};

async fn studio() -> (PgServer, Team, Team) {
    let pg = PgServer::start_studio().await;
    let admin = pg.join(ADMIN, "ana-laptop").await;
    let bob = pg.join(BOB, "bob-mac").await;
    (pg, admin, bob)
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn closed(cost: Decimal, unconfirmed: Decimal) -> Booked {
    Booked {
        cost,
        unconfirmed,
        closed: true,
    }
}

#[tokio::test]
async fn the_schema_is_migrated_and_a_newer_database_is_refused() {
    let (pg, admin, bob) = studio().await;
    let s = admin.status().await.unwrap();
    assert_eq!((s.team.as_str(), s.role), ("Acme", Role::Admin));
    assert_eq!(s.schema_version, team::schema::app_version());
    assert!(s.schema_version >= 1);
    let b = bob.status().await.unwrap();
    assert_eq!(
        (b.team.as_str(), b.member.as_str(), b.role),
        ("Acme", "bob", Role::Member)
    );

    // A newer app migrated the database: this one refuses it, before any money moves.
    let next = i32::try_from(team::schema::app_version() + 1).unwrap();
    pg.sql(
        "studio",
        &format!(
            "INSERT INTO refinery_schema_history(version, name, applied_on, checksum)
             VALUES ({next}, 'from_the_future', '2027-01-01T00:00:00Z', '1')"
        ),
    )
    .await;
    let e = Team::connect(&pg.url("bob", Some("bob-pw"), "studio"), None, "bob-mac")
        .await
        .err()
        .expect("refused");
    assert_eq!(e.class(), ErrorClass::Schema);
    assert!(matches!(e, TeamError::SchemaNewer { .. }), "{e:?}");
    assert!(e.to_string().contains("update Proofsheet"), "{e}");
    // A running member's status sees it too.
    assert_eq!(bob.status().await.unwrap_err().class(), ErrorClass::Schema);
}

#[tokio::test]
async fn admins_set_budgets_and_members_cannot() {
    let (_pg, admin, bob) = studio().await;
    let e = bob
        .set_project("Spring", &ProjectBudget::hard(dec!(10)))
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Forbidden);
    admin
        .set_project("Spring", &ProjectBudget::hard(dec!(10)))
        .await
        .unwrap();
    assert_eq!(bob.projects().await.unwrap(), vec!["Spring".to_owned()]);
    admin.set_role("bob", Role::Admin).await.unwrap();
    let again = Team::connect(&_pg.url("bob", None, "studio"), Some("bob-pw"), "bob-mac")
        .await
        .unwrap();
    assert_eq!(again.member().role, Role::Admin);
}

#[tokio::test]
async fn wrong_password_and_a_missing_server_are_classified() {
    let pg = PgServer::start();
    pg.studio("studio", ADMIN, &[]).await;
    let e = Team::join(&pg.url("ana", None, "studio"), Some("wrong"), "m", "Acme")
        .await
        .err()
        .expect("refused");
    assert_eq!(e.class(), ErrorClass::Auth, "{e:?}");
    assert!(
        !e.to_string().contains("wrong"),
        "no password in the message: {e}"
    );
    let url = pg.url("ana", None, "studio");
    drop(pg);
    let e = Team::join(&url, Some("ana-pw"), "m", "Acme")
        .await
        .err()
        .expect("down");
    assert_eq!(e.class(), ErrorClass::Unreachable, "{e:?}");
    assert!(e.to_string().contains("refuse paid work"), "{e}");
}

#[tokio::test]
async fn reserve_charge_release_with_the_local_ledger_semantics() {
    let (_pg, admin, bob) = studio().await;
    admin
        .set_project("Spring", &ProjectBudget::hard(dec!(1.00)))
        .await
        .unwrap();

    // Reserve, then a billed failure and a fallback top-up, then settle and close.
    let g = new_id();
    let r = bob
        .reserve("Spring", &g, Some("key-1"), dec!(0.40))
        .await
        .unwrap();
    assert_eq!(r.remaining, Some(dec!(0.60)));
    bob.reserve("Spring", &g, None, dec!(0.25)).await.unwrap();
    let m = admin.meter("Spring").await.unwrap();
    assert_eq!((m.spent, m.reserved), (dec!(0), dec!(0.65)));
    // As written, not at the column's scale ("1.000000000" in the window's field).
    assert_eq!(m.budget.map(|b| b.to_string()).as_deref(), Some("1"));
    bob.sync(&g, closed(dec!(0.55), dec!(0))).await.unwrap();
    // Idempotent: a retried sync books nothing more.
    bob.sync(&g, closed(dec!(0.55), dec!(0))).await.unwrap();
    let m = admin.meter("Spring").await.unwrap();
    assert_eq!(
        (m.spent, m.reserved, m.remaining),
        (dec!(0.55), dec!(0), Some(dec!(0.45)))
    );

    // The hard budget refuses, before anything is held.
    let e = admin
        .reserve("Spring", &new_id(), None, dec!(0.50))
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Budget);
    assert!(e.to_string().contains("only $0.45"), "{e}");

    // An unknown outcome: booked unconfirmed at the estimate, counted as spent.
    let u = new_id();
    admin.reserve("Spring", &u, None, dec!(0.20)).await.unwrap();
    admin
        .sync(&u, closed(dec!(0.20), dec!(0.20)))
        .await
        .unwrap();
    let m = admin.meter("Spring").await.unwrap();
    assert_eq!((m.spent, m.unconfirmed), (dec!(0.75), dec!(0.20)));
    // Later refunded by the user: spent and unconfirmed go down together.
    admin.sync(&u, closed(dec!(0), dec!(0))).await.unwrap();
    let m = admin.meter("Spring").await.unwrap();
    assert_eq!((m.spent, m.unconfirmed), (dec!(0.55), dec!(0)));

    // A provider billing more than was held is charged in full, past the hard budget.
    let o = new_id();
    admin.reserve("Spring", &o, None, dec!(0.45)).await.unwrap();
    admin.sync(&o, closed(dec!(0.60), dec!(0))).await.unwrap();
    let m = admin.meter("Spring").await.unwrap();
    assert_eq!(
        (m.spent, m.reserved, m.remaining),
        (dec!(1.15), dec!(0), Some(dec!(-0.15)))
    );
    let e = bob
        .reserve("Spring", &new_id(), None, dec!(0.01))
        .await
        .unwrap_err();
    assert_eq!(
        e.class(),
        ErrorClass::Budget,
        "an overrun project refuses new work"
    );

    let a = admin.audit("Spring").await.unwrap();
    assert!(a.balanced(), "{a:?}");
    assert_eq!(a.open_generations, 0);
}

#[tokio::test]
async fn a_member_cap_holds_within_the_project_budget() {
    let (_pg, admin, bob) = studio().await;
    let mut b = ProjectBudget::hard(dec!(500));
    b.member_cap = Some(dec!(50));
    b.monthly = true;
    admin.set_project("Client", &b).await.unwrap();
    let g = new_id();
    bob.reserve("Client", &g, None, dec!(30)).await.unwrap();
    bob.sync(&g, closed(dec!(30), dec!(0))).await.unwrap();
    let held = new_id();
    bob.reserve("Client", &held, None, dec!(15)).await.unwrap();
    let e = bob
        .reserve("Client", &new_id(), None, dec!(6))
        .await
        .unwrap_err();
    assert!(matches!(e, TeamError::MemberCapExceeded { .. }), "{e:?}");
    assert!(e.to_string().contains("only $5 is left of your $50"), "{e}");
    // Another member has their own cap.
    admin
        .reserve("Client", &new_id(), None, dec!(40))
        .await
        .unwrap();
    let m = bob.meter("Client").await.unwrap();
    assert_eq!(
        (m.member_month_spent, m.member_reserved),
        (dec!(30), dec!(15))
    );
    assert_eq!(m.reserved, dec!(55));
}

/// Many members on separate connections race for a hard budget that fits exactly N
/// reservations: exactly N pass, nothing goes over, and the ledger balances.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_members_never_overrun_a_hard_budget() {
    let (pg, admin, _bob) = studio().await;
    const FITS: usize = 20;
    const TRIES: usize = 60;
    let each = dec!(0.25);
    admin
        .set_project("Race", &ProjectBudget::hard(each * Decimal::from(FITS)))
        .await
        .unwrap();
    // Each task is its own "machine" with its own connection (connected first, a few
    // at a time: SCRAM logins are slow in a debug build), then all race at once.
    let url = pg.url("bob", None, "studio");
    let members: Vec<Team> = futures::stream::iter(0..TRIES)
        .map(|i| {
            let url = url.clone();
            async move {
                Team::connect(&url, Some("bob-pw"), &format!("machine-{i}"))
                    .await
                    .expect("connect")
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(TRIES));
    let mut tasks = Vec::new();
    for t in members {
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            let g = uuid::Uuid::new_v4().to_string();
            match t.reserve("Race", &g, None, each).await {
                Ok(_) => {
                    t.sync(&g, closed(each, Decimal::ZERO))
                        .await
                        .expect("settle");
                    true
                }
                Err(e) => {
                    assert_eq!(e.class(), ErrorClass::Budget, "{e:?}");
                    false
                }
            }
        }));
    }
    let won = futures::future::join_all(tasks)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().expect("task"))
        .count();
    assert_eq!(won, FITS, "exactly the reservations that fit pass");
    let m = admin.meter("Race").await.unwrap();
    assert_eq!(
        (m.spent, m.reserved, m.remaining),
        (dec!(5), dec!(0), Some(dec!(0)))
    );
    let a = admin.audit("Race").await.unwrap();
    assert!(a.balanced(), "{a:?}");
}

#[tokio::test]
async fn a_server_restart_refuses_while_down_and_reconnects_after() {
    let (pg, admin, bob) = studio().await;
    admin
        .set_project("Spring", &ProjectBudget::hard(dec!(1)))
        .await
        .unwrap();
    let g = new_id();
    bob.reserve("Spring", &g, None, dec!(0.10)).await.unwrap();
    pg.stop();
    let e = bob
        .reserve("Spring", &new_id(), None, dec!(0.10))
        .await
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Unreachable, "{e:?}");
    let e = bob.sync(&g, closed(dec!(0.10), dec!(0))).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Unreachable, "{e:?}");
    pg.restart();
    // The hold survived the crash; this machine finds it open and settles it.
    assert_eq!(
        bob.open_generations().await.unwrap(),
        vec![(g.clone(), "Spring".to_owned())]
    );
    bob.sync(&g, closed(dec!(0.10), dec!(0))).await.unwrap();
    assert!(bob.open_generations().await.unwrap().is_empty());
    let a = admin.audit("Spring").await.unwrap();
    assert!(a.balanced(), "{a:?}");
    assert_eq!(a.spent, dec!(0.1));
}
