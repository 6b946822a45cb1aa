//! Approval of spend across two libraries (issue 18 item 5): bob (a member) asks, ana
//! (the admin) decides from her own data dir, against a real PostgreSQL and the real
//! keychain (.ci/with-keyring.sh).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::team::{GENERATIONS as GEN, Studio, generate as draft, pending, studio};
use common::{keyring_available, money};
use rust_decimal::Decimal;

fn gen_args(prompt: &str) -> Vec<&str> {
    draft("Spring", prompt)
}

#[tokio::test]
async fn an_admin_approves_or_refuses_from_another_library_and_a_crash_loses_nothing() {
    if !keyring_available() {
        eprintln!("skipped: run under .ci/with-keyring.sh");
        return;
    }
    let Studio { pg, ana, bob, .. } = studio("Spring", "1", false).await;

    // Only admins set the threshold: a member gets a clear, classified refusal.
    let no = bob
        .run(&["team", "project", "approval", "Spring", "--over", "0"])
        .await
        .code(2);
    assert!(no.stderr.contains("only a team admin"), "{}", no.stderr);

    // Below the threshold (worst case about $0.005 ≤ $0.01): runs at once.
    ana.json(&["team", "project", "approval", "Spring", "--over", "0.01"])
        .await;
    let first = bob.run(&gen_args("a lighthouse")).await.ok().json();
    let mut spent = money(&first, "cost_usd");
    assert_eq!(bob.requests_to("POST", GEN).await, 1);

    // Above it: waits, nothing reserved or sent; ana approves; it runs once, charged.
    ana.json(&["team", "project", "approval", "Spring", "--over", "0.001"])
        .await;
    let child = bob.command(&gen_args("a harbour")).spawn().unwrap();
    let p = pending(&ana, 1).await;
    assert_eq!(p[0]["requester"], "bob");
    assert_eq!(p[0]["prompt_summary"], "a harbour");
    let estimate = money(&p[0], "estimate");
    assert!(estimate > "0.001".parse().unwrap(), "{estimate}");
    let id = p[0]["id"].as_i64().unwrap().to_string();
    let m = ana.json(&["team", "project", "show", "Spring"]).await;
    assert_eq!(
        money(&m, "reserved_usd"),
        Decimal::ZERO,
        "nothing held: {m}"
    );
    assert_eq!(bob.requests_to("POST", GEN).await, 1, "nothing sent");
    let no = bob.run(&["team", "approve", &id]).await.code(2);
    assert!(no.stderr.contains("only a team admin"), "{}", no.stderr);
    ana.json(&["team", "approve", &id]).await;
    let out = bob.record(child.wait_with_output().await.unwrap()).ok();
    assert!(
        out.stderr
            .contains(&format!("awaiting approval · est ${estimate}")),
        "{}",
        out.stderr
    );
    spent += money(&out.json(), "cost_usd");
    assert_eq!(bob.requests_to("POST", GEN).await, 2);
    let m = ana.json(&["team", "project", "show", "Spring"]).await;
    assert_eq!(money(&m, "spent_usd"), spent, "{m}");
    assert_eq!(m["balanced"], true);

    // Refused: the job ends with the admin's reason, $0, nothing sent.
    let child = bob.command(&gen_args("a storm")).spawn().unwrap();
    let id = pending(&ana, 1).await[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    ana.json(&["team", "refuse", &id, "--why", "use the draft chain first"])
        .await;
    let out = bob.record(child.wait_with_output().await.unwrap()).code(3);
    assert!(
        out.stderr
            .contains("refused by ana: use the draft chain first"),
        "{}",
        out.stderr
    );
    assert_eq!(bob.requests_to("POST", GEN).await, 2);
    let m = ana.json(&["team", "project", "show", "Spring"]).await;
    assert_eq!(money(&m, "spent_usd"), spent, "{m}");

    // The requester crashes while waiting: the request is still waiting after the
    // restart; two processes of the library resume it, it runs exactly once.
    let mut child = bob.command(&gen_args("a reef")).spawn().unwrap();
    let id = pending(&ana, 1).await[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    child.start_kill().unwrap();
    let _ = child.wait().await;
    let waiting = bob.json(&["team", "resume"]).await;
    assert_eq!(
        waiting["awaiting_approval"][0]["approval_id"].as_str(),
        Some(id.as_str()),
        "{waiting}"
    );
    assert_eq!(
        pending(&ana, 1).await.len(),
        1,
        "still pending on the server"
    );
    let one = bob
        .command(&["team", "resume", &id, "--json"])
        .spawn()
        .unwrap();
    let two = bob
        .command(&["team", "resume", &id, "--json"])
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    ana.json(&["team", "approve", &id]).await;
    let (a, b) = (
        bob.record(one.wait_with_output().await.unwrap()),
        bob.record(two.wait_with_output().await.unwrap()),
    );
    let codes = [a.code, b.code];
    assert_eq!(
        codes.iter().filter(|c| **c == 0).count(),
        1,
        "exactly one runs it: {}\n{}",
        a.stderr,
        b.stderr
    );
    let loser = if a.code == 0 { &b } else { &a };
    assert!(
        loser.stderr.contains("run by another process"),
        "{}",
        loser.stderr
    );
    assert_eq!(bob.requests_to("POST", GEN).await, 3, "sent once");
    let winner = if a.code == 0 { a } else { b };
    spent += money(&winner.json(), "cost_usd");
    let m = ana.json(&["team", "project", "show", "Spring"]).await;
    assert_eq!(money(&m, "spent_usd"), spent, "{m}");
    assert_eq!(m["balanced"], true);
    assert!(
        bob.json(&["team", "resume"]).await["awaiting_approval"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A waiting request withdrawn by its requester.
    let mut child = bob.command(&gen_args("a cove")).spawn().unwrap();
    let id = pending(&ana, 1).await[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    child.start_kill().unwrap();
    let _ = child.wait().await;
    bob.json(&["team", "withdraw", &id]).await;
    pending(&ana, 0).await;
    assert!(
        bob.json(&["team", "resume"]).await["awaiting_approval"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The server away: the request is refused clearly, nothing sent or recorded.
    pg.stop();
    let down = bob.run(&gen_args("a cliff")).await.code(3);
    assert!(down.stderr.contains("cannot be reached"), "{}", down.stderr);
    assert_eq!(bob.requests_to("POST", GEN).await, 3);
    pg.restart();
}
