//! Team spend reports against a real PostgreSQL: by member, client and project for a
//! period, refunds netted, another client's spend left out, and the CSV.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal_macros::dec;
use team::ledger::Booked;
use team::testing::{ANA, BOB, PgServer};
use team::{ErrorClass, ProjectBudget, Team};

#[tokio::test]
async fn the_period_report_sums_by_member_client_and_project() {
    let pg = PgServer::start_studio().await;
    let ana = pg.join(ANA, "ana-laptop").await;
    let bob = pg.join(BOB, "bob-mac").await;
    let halde = ProjectBudget {
        client: Some("Halde & Co.".into()),
        ..ProjectBudget::hard(dec!(10))
    };
    ana.set_project("Spring", &halde).await.unwrap();
    ana.set_project("Summer", &halde).await.unwrap();
    let nord = ProjectBudget {
        client: Some("Nordlicht".into()),
        ..ProjectBudget::hard(dec!(10))
    };
    ana.set_project("Rebrand", &nord).await.unwrap();

    let mut n = 0;
    let mut spend = async |t: &Team, project: &str, cost, unconfirmed| {
        n += 1;
        let id = format!("gen-{n}");
        t.reserve(project, &id, None, dec!(1)).await.unwrap();
        let booked = Booked {
            cost,
            unconfirmed,
            closed: true,
        };
        t.sync(&id, booked).await.unwrap();
        id
    };
    spend(&ana, "Spring", dec!(0.04), dec!(0)).await;
    spend(&bob, "Spring", dec!(0.25), dec!(0)).await;
    spend(&bob, "Summer", dec!(0.011), dec!(0)).await;
    spend(&ana, "Rebrand", dec!(0.5), dec!(0)).await;
    // An unconfirmed charge refunded later: nothing spent, no line.
    let refunded = spend(&bob, "Spring", dec!(0.07), dec!(0.07)).await;
    bob.sync(
        &refunded,
        Booked {
            cost: dec!(0),
            unconfirmed: dec!(0),
            closed: true,
        },
    )
    .await
    .unwrap();
    // A refused reservation spends nothing either.
    spend(&ana, "Spring", dec!(0), dec!(0)).await;

    let today = "2999-12-31".to_owned();
    let all = ana.report("2000-01-01", &today, None).await.unwrap();
    assert_eq!(all.total, dec!(0.801));
    assert_eq!(all.lines.len(), 4);
    let rows = |r: &[team::SpendRow]| {
        r.iter()
            .map(|r| (r.name.clone(), r.spent.to_string(), r.generations))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rows(&all.by_member),
        [
            ("ana".into(), "0.54".into(), 2),
            ("bob".into(), "0.261".into(), 2)
        ]
    );
    assert_eq!(
        rows(&all.by_client),
        [
            ("Nordlicht".into(), "0.5".into(), 1),
            ("Halde & Co.".into(), "0.301".into(), 3)
        ]
    );
    assert_eq!(
        rows(&all.by_project)[0],
        ("Rebrand".into(), "0.5".into(), 1)
    );

    // One client: the other's spend is left out; members see the same report.
    let halde = bob
        .report("2000-01-01", &today, Some("Halde & Co."))
        .await
        .unwrap();
    assert_eq!(halde.total, dec!(0.301));
    assert!(
        halde
            .lines
            .iter()
            .all(|l| l.client.as_deref() == Some("Halde & Co."))
    );
    let csv = halde.csv();
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("date,generation,project,client,member,machine,spent_usd")
    );
    let body: Vec<_> = lines.filter(|l| !l.is_empty()).collect();
    assert_eq!(body.len(), 3);
    assert!(
        body.iter()
            .any(|l| l.ends_with(",\"Halde & Co.\",bob,bob-mac,0.25")
                || l.ends_with(",Halde & Co.,bob,bob-mac,0.25")),
        "{csv}"
    );
    let sum: rust_decimal::Decimal = body
        .iter()
        .map(|l| {
            l.rsplit(',')
                .next()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(sum, dec!(0.301));

    // A period before any spend is empty; a bad date is refused as invalid.
    let empty = ana.report("2000-01-01", "2000-01-31", None).await.unwrap();
    assert!(empty.lines.is_empty() && empty.total.is_zero());
    let bad = ana.report("2026-13", &today, None).await.unwrap_err();
    assert_eq!(bad.class(), ErrorClass::Invalid);
}
