//! The cost of a team reservation against a local PostgreSQL (BENCHMARKS.md):
//! `cargo run --release -p proofsheet-team --features test-support --example reserve_latency`
//! Starts a throwaway server (team::testing), then times `reserve` alone (one member),
//! and `reserve` with 8 members contending for the same project's row lock. Each
//! reservation is settled (`sync`, closed) before the next, as a generation would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use team::ledger::Booked;
use team::testing::PgServer;
use team::{ProjectBudget, Team};

const ROUNDS: usize = 1000;

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "n={} median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        v.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    )
}

async fn run(t: &Team, rounds: usize) -> (Vec<Duration>, Vec<Duration>) {
    let (mut reserve, mut settle) = (Vec::new(), Vec::new());
    let amount = Decimal::new(5004, 6);
    for _ in 0..rounds {
        let g = uuid::Uuid::new_v4().to_string();
        let t0 = Instant::now();
        t.reserve("Bench", &g, Some("key"), amount).await.unwrap();
        reserve.push(t0.elapsed());
        let t1 = Instant::now();
        let booked = Booked {
            cost: Decimal::new(22, 4),
            unconfirmed: Decimal::ZERO,
            closed: true,
        };
        t.sync(&g, booked).await.unwrap();
        settle.push(t1.elapsed());
    }
    (reserve, settle)
}

#[tokio::main]
async fn main() {
    let pg = PgServer::start_studio().await;
    let url = pg.url("ana", None, "studio");
    let ana = Team::join(&url, Some("ana-pw"), "bench-0", "Bench")
        .await
        .unwrap();
    let mut budget = ProjectBudget::hard(Decimal::from(1_000_000));
    budget.member_cap = Some(Decimal::from(100_000));
    ana.set_project("Bench", &budget).await.unwrap();
    run(&ana, 50).await; // warm-up

    let (r, s) = run(&ana, ROUNDS).await;
    println!("one member   reserve: {}", stats(r));
    println!("one member   settle:  {}", stats(s));

    let mut tasks = Vec::new();
    for i in 0..8 {
        let url = pg.url("bob", None, "studio");
        tasks.push(tokio::spawn(async move {
            let t = Team::join(&url, Some("bob-pw"), &format!("bench-{}", i + 1), "Bench")
                .await
                .unwrap();
            run(&t, ROUNDS / 4).await
        }));
    }
    let (mut r, mut s) = (Vec::new(), Vec::new());
    for t in tasks {
        let (a, b) = t.await.unwrap();
        r.extend(a);
        s.extend(b);
    }
    println!("8 contending reserve: {}", stats(r));
    println!("8 contending settle:  {}", stats(s));
    let a = ana.audit("Bench").await.unwrap();
    assert!(a.balanced(), "{a:?}");
}
