//! Four "machines" (separate data dirs, one per CLI process group) share one hard team
//! budget on a real PostgreSQL. Many concurrent `generate` processes run against one
//! slow fake provider; some are killed with SIGKILL mid-flight; each machine then runs
//! `recover`. The team ledger must end with 0 cents over the budget, nothing held,
//! balanced, every request the provider served charged, and every machine's local
//! ledger agreeing with the server's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::team::{Kill, Lcg, join_machine};
use common::{Env, b64, keyring_available, library_spent, money, png};
use rust_decimal::Decimal;
use serde_json::json;
use team::testing::PgServer;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, ResponseTemplate};

const MACHINES: usize = 4;
const PER_MACHINE: usize = 6;
const BUDGET: &str = "0.05";

#[derive(Debug)]
enum End {
    Exited(Option<i32>),
    Killed,
}

struct Proc {
    child: tokio::process::Child,
    prompt: String,
    kill: Kill,
    end: Option<End>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_machines_with_kills_never_overrun_a_shared_hard_budget() {
    if !keyring_available() {
        eprintln!("skipped: run under .ci/with-keyring.sh");
        return;
    }
    let pg = PgServer::start_studio().await;

    // The one provider every machine calls: slow enough for kills to land mid-call.
    let mut machines = Vec::new();
    for i in 0..MACHINES {
        let mut env = Env::new().await;
        env.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-team");
        if let Some(first) = machines.first() {
            let first: &Env = first;
            env.set(
                "PROOFSHEET_OPENAI_BASE_URL",
                &format!("{}/v1", first.server.uri()),
            );
        } else {
            let body = json!({
                "created": 1_700_000_000,
                "data": [{ "b64_json": b64(&png(64, 64, 9)) }],
                "usage": { "input_tokens": 12, "output_tokens": 272, "total_tokens": 284,
                  "input_tokens_details": { "text_tokens": 12, "image_tokens": 0 },
                  "output_tokens_details": { "text_tokens": 0, "image_tokens": 272 } }
            });
            // "hang" requests get no answer before their process is killed.
            Mock::given(method("POST"))
                .and(path("/v1/images/generations"))
                .and(body_string_contains("hang"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(body.clone())
                        .set_delay(Duration::from_secs(600)),
                )
                .with_priority(1)
                .mount(&env.server)
                .await;
            Mock::given(method("POST"))
                .and(path("/v1/images/generations"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(body)
                        .set_delay(Duration::from_millis(700)),
                )
                .mount(&env.server)
                .await;
        }
        join_machine(&env, i, &pg, None, "Shared", BUDGET).await;
        machines.push(env);
    }

    // Everyone at once. Every fourth request hangs at the provider and its process is
    // killed once the provider has it (a paid call whose answer never comes); a seeded
    // few others are killed at a random moment (before or while calling).
    let mut rng = Lcg(18);
    let mut children = Vec::new();
    for (m, env) in machines.iter().enumerate() {
        for k in 0..PER_MACHINE {
            let n = m * PER_MACHINE + k;
            let kill = if n.is_multiple_of(4) {
                Kill::AfterSend
            } else if rng.next().is_multiple_of(4) {
                Kill::At(
                    tokio::time::Instant::now() + Duration::from_millis(500 + rng.next() % 3000),
                )
            } else {
                Kill::Never
            };
            let prompt = match kill {
                Kill::AfterSend => format!("hang: machine {m} request {k}"),
                _ => format!("machine {m} request {k}"),
            };
            let mut c = env.command(&[
                "generate",
                "--project",
                "Shared",
                "--prompt",
                &prompt,
                "--offer",
                "openai:gpt-image-1-mini",
                "--quality",
                "low",
                "--size",
                "1024x1024",
                "--json",
            ]);
            children.push(Proc {
                child: c.spawn().expect("spawn"),
                prompt,
                kill,
                end: None,
            });
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while children.iter().any(|p| p.end.is_none()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "processes did not end"
        );
        let bodies: Vec<String> = machines[0]
            .server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect();
        for p in children.iter_mut().filter(|p| p.end.is_none()) {
            if let Ok(Some(status)) = p.child.try_wait() {
                p.end = Some(End::Exited(status.code()));
                continue;
            }
            let now = match p.kill {
                Kill::AfterSend => bodies.iter().any(|b| b.contains(&p.prompt)),
                Kill::At(t) => tokio::time::Instant::now() >= t,
                Kill::Never => false,
            };
            if now {
                p.child.start_kill().expect("SIGKILL");
                let _ = p.child.wait().await;
                p.end = Some(End::Killed);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (mut killed, mut finished, mut refused) = (0, 0, 0);
    for p in &children {
        match &p.end {
            Some(End::Killed) => killed += 1,
            Some(End::Exited(Some(0))) => finished += 1,
            Some(End::Exited(Some(3))) => refused += 1,
            other => panic!("unexpected end of {:?}: {other:?}", p.prompt),
        }
    }
    assert!(
        killed > 0 && finished > 0,
        "killed {killed}, finished {finished}"
    );

    // Each machine recovers what its dead processes left (and syncs it to the server).
    let mut local_spent = Decimal::ZERO;
    for env in &machines {
        env.json(&["recover"]).await;
        local_spent += library_spent(env, "Shared");
    }

    let served = machines[0]
        .requests_to("POST", "/v1/images/generations")
        .await;
    let show = machines[0]
        .json(&["team", "project", "show", "Shared"])
        .await;
    let (spent, budget) = (money(&show, "spent_usd"), money(&show, "budget_usd"));
    eprintln!(
        "finished {finished}, refused {refused}, killed {killed}, served {served}, spent {spent} of {budget}"
    );
    assert!(spent <= budget, "over the hard budget: {show}");
    assert_eq!(money(&show, "reserved_usd"), Decimal::ZERO, "{show}");
    assert_eq!(show["open_generations"], 0, "{show}");
    assert_eq!(show["balanced"], true, "{show}");
    assert_eq!(spent, local_spent, "the libraries and the server agree");

    let db = pg.client("studio").await;
    let charged: i64 = db
        .query_one(
            "SELECT count(*) FROM generations WHERE charged_usd > 0",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        usize::try_from(charged).unwrap() >= served,
        "every request the provider served is charged: {charged} charged, {served} served"
    );
    let unconfirmed: i64 = db
        .query_one(
            "SELECT count(*) FROM ledger WHERE kind = 'unconfirmed'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    eprintln!("unconfirmed charges booked for killed calls: {unconfirmed}");
    let hung = children
        .iter()
        .filter(|p| matches!(p.kill, Kill::AfterSend) && matches!(p.end, Some(End::Killed)))
        .count();
    assert!(
        usize::try_from(unconfirmed).unwrap() >= hung,
        "each call killed after it reached the provider is an unconfirmed charge"
    );
    // The user refunds one unconfirmed charge (the provider did not bill it): the team
    // server follows.
    for env in &machines {
        let list = env.json(&["charges", "list"]).await;
        let Some(c) = list.as_array().and_then(|l| l.first()) else {
            continue;
        };
        let amount = money(c, "amount_usd");
        env.json(&["charges", "refund", c["id"].as_str().unwrap()])
            .await;
        let after = machines[0]
            .json(&["team", "project", "show", "Shared"])
            .await;
        assert_eq!(money(&after, "spent_usd"), spent - amount, "{after}");
        assert_eq!(after["balanced"], true, "{after}");
        break;
    }
    // Every row names a member and one of the four machines (a machine whose requests
    // all lost the race may have none).
    let known: Vec<String> = machines
        .iter()
        .map(|e| {
            let c = std::fs::read_to_string(e.data_dir().join("team.json")).unwrap();
            serde_json::from_str::<serde_json::Value>(&c).unwrap()["machine"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let rows = db
        .query(
            "SELECT DISTINCT l.machine_id, m.name FROM ledger l JOIN members m ON m.id = l.member_id",
            &[],
        )
        .await
        .unwrap();
    assert!(rows.len() >= 2, "several machines wrote the ledger");
    for r in rows {
        let (machine, member): (String, String) = (r.get(0), r.get(1));
        assert!(known.contains(&machine), "unknown machine {machine}");
        assert!(member == "ana" || member == "bob", "{member}");
    }
}
