//! Issue 18 at scale (s18): four machines (separate data dirs) joined to one team with
//! its bucket (real PostgreSQL, a real `s3s-fs` process, the real keychain) start 200
//! `generate` processes at once against one hard budget that fits 50 calls, on one slow
//! fake provider; some are killed with SIGKILL mid-flight; each machine then runs
//! `recover` (which also pushes its outbox). The team ledger must end with 0 cents
//! over, nothing held, balanced, every served request charged, the libraries agreeing
//! with the server — and every image any library holds in the bucket exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use common::team::{BUCKET, Kill, Lcg, join_machine};
use common::{Env, b64, keyring_available, library_spent, money, png};
use rust_decimal::Decimal;
use serde_json::json;
use team::testing::PgServer;
use team::testing_s3::S3Server;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

const MACHINES: usize = 4;
const PER_MACHINE: usize = 50;
/// 50 calls at $0.0022 each (each holds its $0.005004 worst case while in flight).
const BUDGET: &str = "0.11";

/// A different image on every answer (identical bytes would be one object).
struct Unique(AtomicU32);
impl Respond for Unique {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        let body = json!({
            "created": 1_700_000_000,
            "data": [{ "b64_json": b64(&png(32 + n % 64, 32 + n / 64, 9)) }],
            "usage": { "input_tokens": 12, "output_tokens": 272, "total_tokens": 284,
              "input_tokens_details": { "text_tokens": 12, "image_tokens": 0 },
              "output_tokens_details": { "text_tokens": 0, "image_tokens": 272 } }
        });
        ResponseTemplate::new(200)
            .set_body_json(body)
            .set_delay(Duration::from_millis(700))
    }
}

struct Proc {
    child: tokio::process::Child,
    prompt: String,
    kill: Kill,
    end: Option<Option<i32>>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_generations_on_four_machines_against_a_budget_for_fifty() {
    if !keyring_available() {
        eprintln!("skipped: run under .ci/with-keyring.sh");
        return;
    }
    let t0 = std::time::Instant::now();
    let pg = PgServer::start_studio().await;
    let s3 = S3Server::start(&[BUCKET]);
    let mut machines: Vec<Env> = Vec::new();
    for i in 0..MACHINES {
        let mut env = Env::new().await;
        env.set("PROOFSHEET_OPENAI_API_KEY", "sk-test-team");
        if let Some(first) = machines.first() {
            env.set(
                "PROOFSHEET_OPENAI_BASE_URL",
                &format!("{}/v1", first.server.uri()),
            );
        } else {
            Mock::given(method("POST"))
                .and(path("/v1/images/generations"))
                .and(body_string_contains("hang"))
                .respond_with(ResponseTemplate::new(500).set_delay(Duration::from_secs(600)))
                .with_priority(1)
                .mount(&env.server)
                .await;
            Mock::given(method("POST"))
                .and(path("/v1/images/generations"))
                .respond_with(Unique(AtomicU32::new(0)))
                .mount(&env.server)
                .await;
        }
        join_machine(&env, i, &pg, Some(&s3), "Shared", BUDGET).await;
        machines.push(env);
    }
    eprintln!("setup {:?}", t0.elapsed());

    // Everyone at once: every tenth request hangs at the provider and is killed once
    // the provider has it; a seeded few others die at a random moment.
    let mut rng = Lcg(1818);
    let mut children = Vec::new();
    for (m, env) in machines.iter().enumerate() {
        for k in 0..PER_MACHINE {
            let n = m * PER_MACHINE + k;
            let kill = if n % 10 == 3 {
                Kill::AfterSend
            } else if rng.next().is_multiple_of(12) {
                Kill::At(tokio::time::Instant::now() + Duration::from_millis(rng.next() % 8000))
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
    // A guard against a hang, not a speed check: a loaded 2-core machine (a CI run beside
    // two release builds) once needed more than 150 s for the 200 processes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
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
                p.end = Some(status.code());
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
                p.end = Some(None);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let count = |want: Option<i32>| children.iter().filter(|p| p.end == Some(want)).count();
    let (killed, finished, refused) = (count(None), count(Some(0)), count(Some(3)));
    assert_eq!(
        killed + finished + refused,
        children.len(),
        "an unexpected exit code"
    );
    assert!(
        killed > 0 && finished > 0,
        "killed {killed}, finished {finished}"
    );
    eprintln!("ran {:?}", t0.elapsed());

    let mut local_spent = Decimal::ZERO;
    let mut local_images = 0u64;
    for env in &machines {
        env.json(&["recover"]).await;
        local_spent += library_spent(env, "Shared");
        let g = env
            .json(&["gallery", "list", "--project", "Shared", "--limit", "500"])
            .await;
        local_images += g["total"].as_u64().unwrap();
    }
    let served = machines[0]
        .requests_to("POST", "/v1/images/generations")
        .await;
    let show = machines[0]
        .json(&["team", "project", "show", "Shared"])
        .await;
    let (spent, budget) = (money(&show, "spent_usd"), money(&show, "budget_usd"));
    eprintln!(
        "finished {finished}, refused {refused}, killed {killed}, served {served}, spent {spent} \
         of {budget}, images {local_images}, objects {}, in {:?}",
        s3.object_files(BUCKET),
        t0.elapsed()
    );
    assert!(spent <= budget, "over the hard budget: {show}");
    assert_eq!(money(&show, "reserved_usd"), Decimal::ZERO, "{show}");
    assert_eq!(show["open_generations"], 0, "{show}");
    assert_eq!(show["balanced"], true, "{show}");
    assert_eq!(spent, local_spent, "the libraries and the server agree");

    let db = pg.client("studio").await;
    let one = |sql: &'static str| {
        let db = &db;
        async move { db.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    let charged = one("SELECT count(*) FROM generations WHERE charged_usd > 0").await;
    assert!(
        usize::try_from(charged).unwrap() >= served,
        "every served request is charged: {charged} charged, {served} served"
    );
    // Every image a library holds is in the bucket, once; none is published twice.
    let published = one("SELECT count(*) FROM generation_images").await;
    let distinct = one("SELECT count(DISTINCT sha256) FROM generation_images").await;
    assert_eq!(published, distinct, "an image published twice");
    assert_eq!(
        u64::try_from(published).unwrap(),
        local_images,
        "an image not published"
    );
    assert_eq!(
        s3.object_files(BUCKET),
        local_images as usize,
        "objects vs images"
    );
    let outbox =
        one("SELECT count(*) FROM generations WHERE status = 'closed' AND published_at IS NULL")
            .await;
    assert_eq!(outbox, 0, "nothing left in any outbox");
}
