//! Fault-injection suite (issue 11, "How to prove it"): hostile fake providers on
//! loopback, a harness that kills `proofsheet-cli` with SIGKILL / SIGINT / SIGTERM at
//! seeded random moments, and an auditor that checks the library's money invariants
//! after every scenario. One test runs every scenario (several at a time) and prints
//! per-area counts; it fails if any scenario failed.
//!
//! Run alone: `cargo test -p proofsheet-cli --test faults -- --nocapture`.
//! `FAULTS_FILTER=bfl` runs the scenarios whose name contains "bfl";
//! `FAULTS_SEED=<n>` changes the kill moments; `FAULTS_JOBS=<n>` the parallelism;
//! `FAULTS_CLI=<path>` audits another build of `proofsheet-cli`.

mod audit;
mod fake;
mod harness;
mod http;
mod scenarios;

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fake::Fake;
use scenarios::Scenario;

/// Past this, scenarios not yet started are reported as not run (and fail the suite):
/// the suite must stay bounded in CI.
const SUITE_BUDGET: Duration = Duration::from_secs(200);

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

struct Outcome {
    area: &'static str,
    name: String,
    problems: Vec<String>,
    secs: f64,
}

#[test]
fn fault_injection_suite() {
    let seed = env_u64("FAULTS_SEED").unwrap_or(0x005e_ed11);
    let jobs = env_u64("FAULTS_JOBS").unwrap_or(4).clamp(1, 16) as usize;
    let filter = std::env::var("FAULTS_FILTER").unwrap_or_default();
    let fake = Fake::start();
    let bin = harness::binary();
    let all: Vec<Scenario> = scenarios::all(seed)
        .into_iter()
        .filter(|s| filter.is_empty() || s.full_name().contains(&filter))
        .collect();
    assert!(
        !all.is_empty(),
        "no scenario matches FAULTS_FILTER={filter}"
    );
    eprintln!(
        "faults: {} scenarios, {jobs} at a time, seed {seed:#x}, binary {}, fake at {} (logger {})",
        all.len(),
        bin.display(),
        fake.base,
        fake.logger
    );
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Outcome>> = Mutex::default();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(sc) = all.get(i) else { break };
                    let t = Instant::now();
                    let problems = if start.elapsed() > SUITE_BUDGET {
                        vec!["not run: the suite's time budget was spent".to_string()]
                    } else {
                        match std::panic::catch_unwind(AssertUnwindSafe(|| (sc.run)(&fake))) {
                            Ok(p) => p,
                            Err(e) => vec![format!(
                                "the scenario panicked: {}",
                                e.downcast_ref::<String>()
                                    .cloned()
                                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                                    .unwrap_or_default()
                            )],
                        }
                    };
                    let o = Outcome {
                        area: sc.area,
                        name: sc.name.clone(),
                        problems,
                        secs: t.elapsed().as_secs_f64(),
                    };
                    report_one(&o);
                    results.lock().unwrap_or_else(|e| e.into_inner()).push(o);
                }
            });
        }
    });
    harness::remove_binary_copy();
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    let failed = summary(&results, start.elapsed());
    let unrouted = fake.unrouted();
    if !unrouted.is_empty() {
        eprintln!("faults: requests the fake had no route for: {unrouted:?}");
    }
    assert_eq!(
        failed, 0,
        "{failed} fault-injection scenario(s) failed (see above)"
    );
}

fn report_one(o: &Outcome) {
    if o.problems.is_empty() {
        eprintln!("  PASS {}/{} ({:.1}s)", o.area, o.name, o.secs);
    } else {
        eprintln!("  FAIL {}/{} ({:.1}s)", o.area, o.name, o.secs);
        for p in o.problems.iter().take(8) {
            eprintln!("       - {}", clip(p));
        }
        if o.problems.len() > 8 {
            eprintln!("       - … {} more", o.problems.len() - 8);
        }
    }
}

/// One line, at most 300 characters: a provider's or SQLite's message can be a page long.
fn clip(s: &str) -> String {
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}

/// Prints the counts; returns how many scenarios failed.
fn summary(results: &[Outcome], took: Duration) -> usize {
    let mut areas: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for o in results {
        let a = areas.entry(o.area).or_default();
        if o.problems.is_empty() {
            a.0 += 1;
        } else {
            a.1 += 1;
        }
    }
    let passed = results.iter().filter(|o| o.problems.is_empty()).count();
    let failed = results.len() - passed;
    // The counts go straight to the process's stderr: libtest captures `eprintln!` of a
    // passing test, and CI must print them either way.
    let mut summary = String::from("\n");
    for (area, (p, f)) in &areas {
        summary.push_str(&format!(
            "faults: {area:<12} {:>3} scenarios, {p:>3} passed, {f:>3} failed\n",
            p + f
        ));
    }
    let mut failing: Vec<String> = results
        .iter()
        .filter(|o| !o.problems.is_empty())
        .map(|o| format!("{}/{}", o.area, o.name))
        .collect();
    failing.sort();
    if !failing.is_empty() {
        summary.push_str(&format!("faults: failing: {}\n", failing.join(", ")));
    }
    summary.push_str(&format!(
        "faults: {} scenarios, {passed} passed, {failed} failed ({:.0}s)\n",
        results.len(),
        took.as_secs_f64()
    ));
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(summary.as_bytes());
    let _ = err.flush();
    failed
}
