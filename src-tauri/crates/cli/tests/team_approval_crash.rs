//! A crash between claiming an approved request and sending it (issue 18): the approval
//! is claimed by the reservation itself, and the process dies right after that
//! transaction (the `after-approval-claim` crash point: no timing can hit it). After
//! `recover`, the request is still waiting in the library; two `team resume` processes
//! race for it and it runs exactly once, charged once; nothing is left held.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::team::{GENERATIONS, Studio, generate, pending, studio};
use common::{keyring_available, money};
use rust_decimal::Decimal;

#[tokio::test]
async fn a_crash_between_the_claim_and_the_send_is_resumed_once() {
    if !keyring_available() {
        eprintln!("skipped: run under .ci/with-keyring.sh");
        return;
    }
    let Studio {
        pg: _pg,
        ana,
        mut bob,
        ..
    } = studio("Spring", "1", false).await;
    ana.json(&["team", "project", "approval", "Spring", "--over", "0.001"])
        .await;

    bob.set("PROOFSHEET_TEST_CRASH_AT", "after-approval-claim");
    let child = bob.command(&generate("Spring", "a reef")).spawn().unwrap();
    let id = pending(&ana, 1).await[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    ana.json(&["team", "approve", &id]).await;
    let died = bob.record(child.wait_with_output().await.unwrap());
    assert_ne!(died.code, 0, "the crash point fired: {}", died.stderr);
    assert_eq!(
        bob.requests_to("POST", GENERATIONS).await,
        0,
        "nothing sent"
    );
    let all = ana.json(&["team", "approvals", "--all"]).await;
    let a = all["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"].as_i64().unwrap().to_string() == id)
        .cloned()
        .unwrap();
    assert_eq!(a["state"], "claimed", "claimed by the dead process: {a}");

    // Restarted: recovery ends the claimed generation at $0 (here and on the server);
    // the request is still waiting in the library.
    bob.set("PROOFSHEET_TEST_CRASH_AT", "none");
    bob.json(&["recover"]).await;
    let waiting = bob.json(&["team", "resume"]).await;
    assert_eq!(
        waiting["awaiting_approval"][0]["approval_id"].as_str(),
        Some(id.as_str()),
        "{waiting}"
    );
    let m = ana.json(&["team", "project", "show", "Spring"]).await;
    assert_eq!(money(&m, "reserved_usd"), Decimal::ZERO, "{m}");

    // Two processes resume it: it runs exactly once. The other is either told another
    // process runs it, or (started after the run ended) served that result at $0.
    let one = bob
        .command(&["team", "resume", &id, "--json"])
        .spawn()
        .unwrap();
    let two = bob
        .command(&["team", "resume", &id, "--json"])
        .spawn()
        .unwrap();
    let (a, b) = (
        bob.record(one.wait_with_output().await.unwrap()),
        bob.record(two.wait_with_output().await.unwrap()),
    );
    let paid: Vec<&common::Out> = [&a, &b]
        .into_iter()
        .filter(|o| o.code == 0 && money(&o.json(), "cost_usd") > Decimal::ZERO)
        .collect();
    assert_eq!(
        paid.len(),
        1,
        "exactly one runs it:\n{}\n{}",
        a.stderr,
        b.stderr
    );
    let winner = paid[0];
    let loser = if std::ptr::eq(winner, &a) { &b } else { &a };
    assert!(
        loser.stderr.contains("run by another process")
            || (loser.code == 0 && money(&loser.json(), "cost_usd") == Decimal::ZERO),
        "{}",
        loser.stderr
    );
    assert_eq!(bob.requests_to("POST", GENERATIONS).await, 1, "sent once");
    let cost = money(&winner.json(), "cost_usd");
    assert!(cost > Decimal::ZERO);
    let m = ana.json(&["team", "project", "show", "Spring"]).await;
    assert_eq!(money(&m, "spent_usd"), cost, "{m}");
    assert_eq!(money(&m, "reserved_usd"), Decimal::ZERO, "{m}");
    assert_eq!(m["balanced"], true, "{m}");
    assert!(
        bob.json(&["team", "resume"]).await["awaiting_approval"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing left waiting"
    );
    // Resuming again runs nothing.
    bob.run(&["team", "resume", &id, "--json"]).await;
    assert_eq!(bob.requests_to("POST", GENERATIONS).await, 1);
}
