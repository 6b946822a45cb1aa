//! Server-protected running totals (issue 18): a member's own raw SQL cannot move a
//! project's totals, the members' totals, a generation's money or the ledger rows
//! (INSUFFICIENT_PRIVILEGE from the database itself); the ledger's own path still works.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal_macros::dec;
use team::ProjectBudget;
use team::ledger::Booked;
use team::testing::{ANA, BOB, PgServer, STUDIO};
use tokio_postgres::error::SqlState;

#[tokio::test]
async fn a_members_raw_sql_cannot_move_the_running_totals() {
    let pg = PgServer::start_studio().await;
    let ana = pg.join(ANA, "ana-laptop").await;
    let bob = pg.join(BOB, "bob-mac").await;
    ana.set_project("Spring", &ProjectBudget::hard(dec!(1)))
        .await
        .unwrap();
    bob.reserve("Spring", "g-1", None, dec!(0.5)).await.unwrap();

    let (raw, conn) =
        tokio_postgres::connect(&pg.url(BOB.0, Some(BOB.1), STUDIO), tokio_postgres::NoTls)
            .await
            .unwrap();
    tokio::spawn(conn);
    for sql in [
        "UPDATE team_projects SET spent_usd = 0, reserved_usd = 0",
        "UPDATE team_projects SET month_spent_usd = 0",
        "UPDATE team_projects SET month_start = '2000-01-01'",
        "UPDATE member_totals SET reserved_usd = 0, month_spent_usd = 0",
        "DELETE FROM member_totals",
        "UPDATE generations SET reserved_usd = 0, charged_usd = 0",
        "INSERT INTO generations(id, project_id, member_id, machine_id, charged_usd)
         SELECT 'g-fake', project_id, member_id, machine_id, 5 FROM generations LIMIT 1",
        "DELETE FROM ledger",
        "TRUNCATE ledger",
        "INSERT INTO ledger(project_id, generation_id, member_id, machine_id, kind, amount_usd)
         SELECT project_id, id, member_id, machine_id, 'release', 0.5 FROM generations",
        "UPDATE ledger SET amount_usd = 0",
    ] {
        let e = raw.execute(sql, &[]).await.unwrap_err();
        assert_eq!(
            e.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {e}"
        );
    }

    // The ledger's path is untouched: bob settles, the books balance, and the meter
    // every member reads shows the money.
    bob.sync(
        "g-1",
        Booked {
            cost: dec!(0.2),
            unconfirmed: dec!(0),
            closed: true,
        },
    )
    .await
    .unwrap();
    let a = ana.audit("Spring").await.unwrap();
    assert!(a.balanced(), "{a:?}");
    assert_eq!((a.spent, a.reserved), (dec!(0.2), dec!(0)));
    let m = bob.meter("Spring").await.unwrap();
    assert_eq!((m.spent, m.member_month_spent), (dec!(0.2), dec!(0.2)));
}
