//! Issue 18 (s18): how long a member's library takes to catch up on N teammate images
//! (default 10,000), against real servers: PostgreSQL (`team::testing`) and an S3
//! server process (`s3s-fs`). A teammate's real generation (CLI + wiremock OpenAI) is
//! the template; N more are published straight through the `team` crate (reserve,
//! sync, upload, publish), each with its own small PNG. Then, per run, a fresh library
//! joins and `team sync` receives everything; the wall time of that command is the
//! figure. Run (the keychain is needed for `team join`):
//!
//!   .ci/with-keyring.sh cargo test -p proofsheet-cli --bench team_catchup
//!
//! (debug build; `cargo bench` builds it optimised). Env: PROOFSHEET_BENCH_IMAGES (N),
//! PROOFSHEET_BENCH_RUNS (default 3).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::team::{BUCKET, generate, join};
use common::{Env, mount_openai_ok, png};
use rust_decimal::Decimal;
use team::ledger::Booked;
use team::testing::{ANA, BOB, PgServer};
use team::testing_s3::S3Server;
use team::{PublishedImage, Team};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let n = env_num("PROOFSHEET_BENCH_IMAGES", 10_000);
    let runs = env_num("PROOFSHEET_BENCH_RUNS", 3);
    let pg = PgServer::start_studio().await;
    let s3 = S3Server::start(&[BUCKET]);

    // The template: one real generation of Ana's, published by her library.
    let mut ana = Env::new().await;
    ana.set("PROOFSHEET_OPENAI_API_KEY", "sk-bench");
    mount_openai_ok(&ana.server, 1).await;
    join(&ana, &pg, Some(&s3), ANA).await;
    ana.json(&["team", "project", "create", "Shared"]).await;
    ana.run(&generate("Shared", "template")).await.ok();
    let db = pg.client("studio").await;
    let meta: String = db
        .query_one(
            "SELECT meta::text FROM generations WHERE published_at IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();

    // N more, published by "another machine" of Ana's, 8 writers at once.
    let t = Instant::now();
    let url = pg.url("ana", Some("ana-pw"), "studio");
    let mut tasks = Vec::new();
    for w in 0..8usize {
        let (url, meta, bucket) = (url.clone(), meta.clone(), s3.storage(BUCKET));
        tasks.push(tokio::spawn(async move {
            let team = Team::connect(&url, None, &format!("bench-{w}"))
                .await
                .unwrap();
            for i in (w..n).step_by(8) {
                let id = uuid::Uuid::new_v4().to_string();
                let key = format!("bench-{i}");
                let cost = Decimal::new(22, 4);
                team.reserve("Shared", &id, Some(&key), cost).await.unwrap();
                let booked = Booked {
                    cost,
                    unconfirmed: Decimal::ZERO,
                    closed: true,
                };
                team.sync(&id, booked).await.unwrap();
                let bytes = png(16 + (i % 128) as u32, 16 + (i / 128) as u32, 7);
                let (sha, _) = bucket.put(&bytes).await.unwrap();
                let mut m = meta.clone();
                m["dedup_key"] = serde_json::Value::String(key);
                let image = PublishedImage {
                    idx: 0,
                    sha256: sha,
                    mime: "image/png".into(),
                    bytes: bytes.len() as i64,
                    thumb_sha256: None,
                };
                team.publish(&id, &m, &[image]).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    eprintln!("published {n} teammate images in {:.1?}", t.elapsed());

    let mut times = Vec::new();
    for r in 0..runs {
        let bob = Env::new().await;
        join(&bob, &pg, Some(&s3), BOB).await;
        bob.json(&["team", "project", "use", "Shared"]).await;
        let t = Instant::now();
        let out = bob.run(&["team", "sync", "--json"]).await.ok().json();
        let took = t.elapsed();
        let received = out["projects"][0]["received"].as_u64().unwrap();
        assert_eq!(received as usize, n + 1, "{out}");
        let g = bob
            .json(&["gallery", "list", "--project", "Shared", "--limit", "1"])
            .await;
        assert_eq!(g["total"].as_u64().unwrap() as usize, n + 1);
        eprintln!(
            "run {}: {} images in {:.1?} ({:.0} images/s)",
            r + 1,
            n + 1,
            took,
            (n + 1) as f64 / took.as_secs_f64()
        );
        times.push(took);
    }
    times.sort();
    let median = times[times.len() / 2];
    let p95 = times[((times.len() as f64 * 0.95).ceil() as usize).saturating_sub(1)];
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "team catch-up: {} images, {runs} runs: median {:.1?}, p95 {:.1?}, min {:.1?}; \
         load {}",
        n + 1,
        median,
        p95,
        times.first().copied().unwrap_or(Duration::ZERO),
        load.trim()
    );
}
