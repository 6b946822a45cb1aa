//! `team report` against a real PostgreSQL and the real keychain: two members spend on
//! two clients' team projects; the summary sums by member, client and project, and the
//! `--csv` of one client holds that client's lines only, money exact.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::team::{generate, join};
use common::{Env, keyring_available, money, mount_openai_ok};
use rust_decimal::Decimal;
use team::testing::{ANA, BOB, PgServer};

/// A paid draft (a distinct prompt each: a repeat would be a free gallery hit).
async fn draft(env: &Env, project: &str, prompt: &str) -> Decimal {
    let g = env.run(&generate(project, prompt)).await.ok().json();
    money(&g, "cost_usd")
}

#[tokio::test]
async fn the_team_report_sums_by_member_client_and_project_and_exports_a_clients_csv() {
    if !keyring_available() {
        eprintln!("skipped: run under .ci/with-keyring.sh");
        return;
    }
    let pg = PgServer::start_studio().await;
    let mut ana = Env::new().await;
    ana.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-team");
    mount_openai_ok(&ana.server, 7).await;
    let mut bob = Env::new().await;
    bob.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-team");
    mount_openai_ok(&bob.server, 7).await;
    join(&ana, &pg, None, ANA).await;
    join(&bob, &pg, None, BOB).await;
    for (name, client) in [("Spring", "Halde, \"& Co.\""), ("Rebrand", "Nordlicht")] {
        ana.json(&[
            "team", "project", "create", name, "--budget", "5", "--client", client,
        ])
        .await;
        bob.json(&["team", "project", "use", name]).await;
    }
    let a1 = draft(&ana, "Spring", "a lighthouse").await;
    let b1 = draft(&bob, "Spring", "a harbour").await;
    let b2 = draft(&bob, "Rebrand", "a storm").await;
    assert!([a1, b1, b2].iter().all(|c| *c > Decimal::ZERO));

    // Up to a far day: the spend above is all in the period.
    let today = "2999-12-31".to_owned();
    let r = ana
        .json(&["team", "report", "--from", "2000-01-01", "--to", &today])
        .await;
    assert_eq!(money(&r, "total_usd"), a1 + b1 + b2, "{r}");
    let row = |list: &str, name: &str| {
        r[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .map(|x| (money(x, "spent_usd"), x["generations"].as_u64().unwrap()))
    };
    assert_eq!(row("by_member", "ana"), Some((a1, 1)));
    assert_eq!(row("by_member", "bob"), Some((b1 + b2, 2)));
    assert_eq!(row("by_client", "Nordlicht"), Some((b2, 1)));
    assert_eq!(row("by_project", "Spring"), Some((a1 + b1, 2)));

    // One client's CSV, from a member's library: its two lines, quoted, exact.
    let out = bob
        .run(&[
            "team",
            "report",
            "--from",
            "2000-01-01",
            "--to",
            &today,
            "--client",
            "Halde, \"& Co.\"",
            "--csv",
        ])
        .await
        .ok();
    let mut lines = out.stdout.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(
        lines.next(),
        Some("date,generation,project,client,member,machine,spent_usd")
    );
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), 2, "{}", out.stdout);
    assert!(
        body.iter()
            .all(|l| l.contains(",Spring,\"Halde, \"\"& Co.\"\"\","))
    );
    let sum: Decimal = body
        .iter()
        .map(|l| l.rsplit(',').next().unwrap().parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(sum, a1 + b1);

    // A bad date is a usage error that says the format.
    let bad = ana
        .run(&["team", "report", "--from", "Nov 1", "--to", &today])
        .await
        .code(2);
    assert!(bad.stderr.contains("YYYY-MM-DD"), "{}", bad.stderr);
}
