//! The cost of a team reservation against a local PostgreSQL (BENCHMARKS.md):
//! `cargo run --release -p proofsheet-team --features test-support --example reserve_latency`
//! Starts a throwaway server (team::testing), then times a generation's first hold
//! alone (one member) and with 8 members contending for the same project's row lock,
//! alternating the two ways: the approval check as its own call before `reserve`
//! (before) and the check folded into `reserve_with(.., Ticket::Check)` (after). Each
//! hold is settled (`sync`, closed) before the next, as a generation would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use team::ledger::Booked;
use team::testing::PgServer;
use team::{ApprovalAsk, ProjectBudget, Team, Ticket};

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

/// How a generation's first hold reaches the server.
#[derive(Clone, Copy)]
enum Gate {
    /// Before: the approval check as its own call, then the reservation.
    Separate,
    /// After: the threshold checked inside the reservation's transaction.
    Folded,
}

async fn hold(t: &Team, g: &str, amount: Decimal, gate: Gate) {
    match gate {
        Gate::Separate => {
            let ask = ApprovalAsk {
                project: "Bench",
                prompt_summary: "bench",
                offer: "openai/gpt-image-1-mini",
                estimate: amount,
            };
            let gate = t.request_approval_if_needed(&ask).await.unwrap();
            assert_eq!(gate, team::Gate::NotNeeded);
            t.reserve("Bench", g, Some("key"), amount).await.unwrap();
        }
        Gate::Folded => {
            t.reserve_with("Bench", g, Some("key"), amount, Ticket::Check)
                .await
                .unwrap();
        }
    }
}

/// `rounds` generations, alternating the two ways of holding (same load for both).
/// Returns (separate, folded, settle) timings.
async fn run(t: &Team, rounds: usize) -> [Vec<Duration>; 3] {
    let mut out: [Vec<Duration>; 3] = Default::default();
    let amount = Decimal::new(5004, 6);
    for i in 0..rounds {
        let g = uuid::Uuid::new_v4().to_string();
        let gate = if i % 2 == 0 {
            Gate::Separate
        } else {
            Gate::Folded
        };
        let t0 = Instant::now();
        hold(t, &g, amount, gate).await;
        out[i % 2].push(t0.elapsed());
        let t1 = Instant::now();
        let booked = Booked {
            cost: Decimal::new(22, 4),
            unconfirmed: Decimal::ZERO,
            closed: true,
        };
        t.sync(&g, booked).await.unwrap();
        out[2].push(t1.elapsed());
    }
    out
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
    // A threshold every hold is within: the check runs, no approval is needed.
    ana.set_approval_threshold("Bench", Some(Decimal::from(1000)))
        .await
        .unwrap();
    run(&ana, 50).await; // warm-up

    let [before, after, s] = run(&ana, ROUNDS).await;
    println!("one member   check + reserve (before): {}", stats(before));
    println!("one member   reserve, check folded:    {}", stats(after));
    println!("one member   settle:                   {}", stats(s));

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
    let (mut before, mut after, mut s) = (Vec::new(), Vec::new(), Vec::new());
    for t in tasks {
        let [a, b, c] = t.await.unwrap();
        before.extend(a);
        after.extend(b);
        s.extend(c);
    }
    println!("8 contending check + reserve (before): {}", stats(before));
    println!("8 contending reserve, check folded:    {}", stats(after));
    println!("8 contending settle:                   {}", stats(s));
    let a = ana.audit("Bench").await.unwrap();
    assert!(a.balanced(), "{a:?}");
}
