//! The kill harness: CLI processes killed with SIGKILL, SIGINT or SIGTERM at seeded
//! random moments, then `recover`, then the audit (F3, F4, F5, F10, F13).

use std::time::{Duration, Instant};

use super::{GENERATE_DEADLINE, Scenario, library, sane, sc};
use crate::audit::{self, Opts};
use crate::fake::Fake;
use crate::harness::{Lib, Rng, Running};

const OPENAI: &str = "openai:gpt-image-1-mini";
const SIGNALS: &[&str] = &["KILL", "INT", "TERM"];

fn args<'a>(prompt: &'a str, offer: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "--json",
        "generate",
        "--project",
        "p",
        "--prompt",
        prompt,
        "--offer",
        offer,
    ];
    a.extend_from_slice(extra);
    a
}

fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

/// Waits (bounded) until `cond` holds; false if the process ended or time ran out first.
fn wait_until(r: &mut Running, limit: Duration, cond: impl Fn(&Running) -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if cond(r) {
            return true;
        }
        if r.exited() {
            return false;
        }
        sleep_ms(2);
    }
    false
}

fn finish(lib: &Lib, r: Running, what: &str, p: &mut Vec<String>) -> i32 {
    let out = r.wait(GENERATE_DEADLINE);
    lib.record(&out);
    sane(&out, what, p);
    out.code
}

fn recover(lib: &Lib, p: &mut Vec<String>) {
    let out = lib.run(&["--json", "recover"], GENERATE_DEADLINE);
    sane(&out, "recover", p);
}

/// Audit, plus "at most one paid submission per request" for every tag of the library.
fn audited(lib: &Lib, fake: &Fake, mut p: Vec<String>) -> Vec<String> {
    p.extend(audit::audit(lib, fake, Opts::default()).0);
    for tag in lib.tags.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let s = fake.stats(tag);
        if s.billable > 1 {
            p.push(format!(
                "{tag}: {} paid submissions for one request",
                s.billable
            ));
        }
    }
    p
}

pub fn all(seed: u64) -> Vec<Scenario> {
    let mut v = vec![
        sc("kill", "openai-slow-random-signals", move |f: &Fake| {
            sync_random(f, seed)
        }),
        sc("kill", "openai-budget-race", move |f: &Fake| {
            budget_race(f, seed ^ 0xb0d9e7)
        }),
        sc("kill", "openai-kill-while-storing", move |f: &Fake| {
            store_kill(f, seed ^ 0x5707e)
        }),
        sc("kill", "bfl-n4-multicall-killed", move |f: &Fake| {
            multicall(f, seed ^ 0x4c)
        }),
        sc("kill", "bfl-sigint-mid-poll", |f: &Fake| {
            signal_mid_poll(f, "bfl:flux-dev", "INT")
        }),
        sc("kill", "bfl-regional-killed-mid-poll", regional),
        sc("kill", "openai-sigterm-in-flight", |f: &Fake| {
            in_flight(f, "TERM")
        }),
        sc("kill", "openai-sigint-in-flight", |f: &Fake| {
            in_flight(f, "INT")
        }),
        sc("concurrency", "openai-identical-requests", single_flight),
    ];
    for (i, offer) in [
        "bfl:flux-dev",
        "fal:fal-ai/flux/dev",
        "replicate:black-forest-labs/flux-schnell",
    ]
    .into_iter()
    .enumerate()
    {
        let name = offer.split(':').next().unwrap_or(offer);
        v.push(sc(
            "kill",
            format!("{name}-random-signals"),
            move |f: &Fake| async_random(f, offer, seed ^ ((i as u64 + 1) * 0x9e37)),
        ));
        v.push(sc(
            "kill",
            format!("{name}-expired-after-kill"),
            move |f: &Fake| expired(f, offer),
        ));
    }
    v
}

/// F3: a sync call (1.5 s at the provider) signalled at a random moment, 8 times,
/// under a hard budget that holds two worst cases.
fn sync_random(fake: &Fake, seed: u64) -> Vec<String> {
    let lib = match library(fake, OPENAI, "0.012", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut rng = Rng::new(seed);
    let mut p = Vec::new();
    for i in 0..8 {
        let (_, prompt) = lib.prompt("slow");
        let mut r = lib.spawn(&args(&prompt, OPENAI, &[]));
        sleep_ms(rng.below(1800));
        let sig = *rng.pick(SIGNALS);
        r.signal(sig);
        finish(&lib, r, &format!("generate #{i} ({sig})"), &mut p);
        recover(&lib, &mut p);
    }
    audited(&lib, fake, p)
}

/// F3 race: 8 concurrent sync calls under a hard budget of four worst cases; half are
/// signalled at random moments.
fn budget_race(fake: &Fake, seed: u64) -> Vec<String> {
    let lib = match library(fake, OPENAI, "0.021", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut rng = Rng::new(seed);
    let mut p = Vec::new();
    let mut running: Vec<(Running, Option<(u64, &str)>)> = (0..8)
        .map(|_| {
            let (_, prompt) = lib.prompt("slow");
            let r = lib.spawn(&args(&prompt, OPENAI, &[]));
            let kill = (rng.below(2) == 0).then(|| (rng.below(2000), *rng.pick(SIGNALS)));
            (r, kill)
        })
        .collect();
    let start = Instant::now();
    for (r, kill) in running.iter_mut() {
        if let Some((at, sig)) = *kill {
            let at = Duration::from_millis(at);
            if let Some(left) = at.checked_sub(start.elapsed()) {
                std::thread::sleep(left);
            }
            r.signal(sig);
        }
    }
    for (i, (r, _)) in running.into_iter().enumerate() {
        finish(&lib, r, &format!("generate #{i}"), &mut p);
    }
    recover(&lib, &mut p);
    audited(&lib, fake, p)
}

/// F4: killed while the paid images are being stored; recovery must not lose them and
/// the same request run again must not pay again.
fn store_kill(fake: &Fake, seed: u64) -> Vec<String> {
    let lib = match library(fake, OPENAI, "5", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut rng = Rng::new(seed);
    let mut p = Vec::new();
    let mut prompts = Vec::new();
    for i in 0..3 {
        let (tag, prompt) = lib.prompt("bigimages");
        let extra = ["--n", "2", "--seed", "5"];
        let mut r = lib.spawn(&args(&prompt, OPENAI, &extra));
        if wait_until(&mut r, Duration::from_secs(20), |r| {
            r.stderr_has("storing images")
        }) {
            sleep_ms(rng.below(60));
        }
        r.signal("KILL");
        finish(&lib, r, &format!("generate #{i}"), &mut p);
        prompts.push((tag, prompt));
    }
    recover(&lib, &mut p);
    // A kill before the bytes are durable loses them (the call stays charged: the
    // auditor checks); one after must not: recovery finishes storing them, so the same
    // request is then reused. A re-run is a new user request, so it may pay once more.
    for (tag, prompt) in &prompts {
        let out = lib.run(
            &args(prompt, OPENAI, &["--n", "2", "--seed", "5"]),
            GENERATE_DEADLINE,
        );
        sane(&out, "re-run", &mut p);
        let s = fake.stats(tag);
        if s.billable > 2 {
            p.push(format!(
                "{tag}: {} paid calls for a request and its re-run (F4)",
                s.billable
            ));
        }
    }
    p.extend(audit::audit(&lib, fake, Opts::default()).0);
    p
}

/// F5: n=4 on BFL (one image per call) killed after two calls; recover; the same
/// request again. Never a "succeeded" or dedup result with fewer than 4 images (the
/// auditor checks every succeeded/reused generation has all n).
fn multicall(fake: &Fake, seed: u64) -> Vec<String> {
    let offer = "bfl:flux-dev";
    let lib = match library(fake, offer, "5", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut rng = Rng::new(seed);
    let mut p = Vec::new();
    let (tag, prompt) = lib.prompt("slowjob");
    let extra = ["--n", "4", "--seed", "9"];
    let mut r = lib.spawn(&args(&prompt, offer, &extra));
    if !wait_until(&mut r, Duration::from_secs(30), |_| {
        fake.stats(&tag).submissions >= 2
    }) {
        p.push("the CLI never made a second BFL call".into());
    }
    sleep_ms(rng.below(400));
    r.signal("KILL");
    finish(&lib, r, "generate", &mut p);
    sleep_ms(1300); // the killed jobs become Ready at the fake
    recover(&lib, &mut p);
    let out = lib.run(&args(&prompt, offer, &extra), GENERATE_DEADLINE);
    sane(&out, "re-run", &mut p);
    p.extend(audit::audit(&lib, fake, Opts::default()).0);
    p
}

/// F3: SIGINT/SIGTERM while a BFL job is pending: BFL has no cancel endpoint and bills
/// at submit, so the job must stay charged.
fn signal_mid_poll(fake: &Fake, offer: &str, sig: &str) -> Vec<String> {
    let lib = match library(fake, offer, "5", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut p = Vec::new();
    let (tag, prompt) = lib.prompt("pending");
    let mut r = lib.spawn(&args(&prompt, offer, &[]));
    if !wait_until(&mut r, Duration::from_secs(20), |_| {
        fake.stats(&tag).polls >= 1
    }) {
        p.push("the CLI never polled".into());
    }
    r.signal(sig);
    let code = finish(&lib, r, "generate", &mut p);
    if code != 130 {
        p.push(format!("Ctrl-C/SIGTERM should exit 130, got {code}"));
    }
    fake.heal(&tag);
    recover(&lib, &mut p);
    audited(&lib, fake, p)
}

/// F3: SIGINT or SIGTERM while a sync OpenAI call is in flight (no cancel endpoint):
/// the sent call stays charged (unconfirmed), never "$0, released".
fn in_flight(fake: &Fake, sig: &str) -> Vec<String> {
    let lib = match library(fake, OPENAI, "5", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut p = Vec::new();
    let (tag, prompt) = lib.prompt("slow");
    let mut r = lib.spawn(&args(&prompt, OPENAI, &[]));
    if !wait_until(&mut r, Duration::from_secs(20), |_| {
        fake.stats(&tag).submissions >= 1
    }) {
        p.push("the CLI never sent the request".into());
    }
    sleep_ms(300);
    r.signal(sig);
    finish(&lib, r, "generate", &mut p);
    recover(&lib, &mut p);
    audited(&lib, fake, p)
}

/// F10: a BFL job with a regional polling_url, killed mid-poll, is recovered through
/// that URL (the default one answers 404) and charged once.
fn regional(fake: &Fake) -> Vec<String> {
    let offer = "bfl:flux-dev";
    let lib = match library(fake, offer, "5", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut p = Vec::new();
    let (tag, prompt) = lib.prompt("regional");
    let mut r = lib.spawn(&args(&prompt, offer, &[]));
    if !wait_until(&mut r, Duration::from_secs(20), |_| {
        fake.stats(&tag).polls >= 1
    }) {
        p.push("the CLI never polled".into());
    }
    r.signal("KILL");
    finish(&lib, r, "generate", &mut p);
    sleep_ms(1300); // the job becomes Ready at the fake
    recover(&lib, &mut p);
    let (found, view) = audit::audit(&lib, fake, Opts::default());
    p.extend(found);
    if !view.of_tag(&tag).any(|g| g.status == "succeeded") && fake.stats(&tag).billable == 1 {
        p.push(
            "the killed regional BFL job was not recovered through its polling_url (F10)".into(),
        );
    }
    p
}

/// F10: a job killed mid-poll then forgotten by the provider (expired): recovery ends it
/// (no "still running" forever), releases what it held, and charges what was billed.
fn expired(fake: &Fake, offer: &'static str) -> Vec<String> {
    let lib = match library(fake, offer, "5", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut p = Vec::new();
    let (tag, prompt) = lib.prompt("pending");
    let mut r = lib.spawn(&args(&prompt, offer, &[]));
    if !wait_until(&mut r, Duration::from_secs(20), |_| {
        fake.stats(&tag).polls >= 1
    }) {
        p.push("the CLI never polled".into());
    }
    r.signal("KILL");
    finish(&lib, r, "generate", &mut p);
    fake.forget(&tag);
    recover(&lib, &mut p);
    recover(&lib, &mut p);
    audited(&lib, fake, p)
}

/// Random signals against async jobs that finish 1.2 s after submit; recover resumes.
fn async_random(fake: &Fake, offer: &'static str, seed: u64) -> Vec<String> {
    let lib = match library(fake, offer, "5", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut rng = Rng::new(seed);
    let mut p = Vec::new();
    for i in 0..5 {
        let (_, prompt) = lib.prompt("slowjob");
        let mut r = lib.spawn(&args(&prompt, offer, &[]));
        sleep_ms(rng.below(1500));
        let sig = *rng.pick(SIGNALS);
        r.signal(sig);
        finish(&lib, r, &format!("generate #{i} ({sig})"), &mut p);
        sleep_ms(400);
        recover(&lib, &mut p);
    }
    sleep_ms(1200);
    audited(&lib, fake, p)
}

/// F13: identical concurrent requests pay once; the others wait and reuse it.
fn single_flight(fake: &Fake) -> Vec<String> {
    let lib = match library(fake, OPENAI, "5", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut p = Vec::new();
    let (tag, prompt) = lib.prompt("slow");
    let running: Vec<Running> = (0..4)
        .map(|_| lib.spawn(&args(&prompt, OPENAI, &["--seed", "42"])))
        .collect();
    for (i, r) in running.into_iter().enumerate() {
        let code = finish(&lib, r, &format!("generate #{i}"), &mut p);
        if code != 0 {
            p.push(format!("identical request #{i} failed with exit {code}"));
        }
    }
    let s = fake.stats(&tag);
    if s.billable != 1 {
        p.push(format!(
            "4 identical concurrent requests paid {} times (F13)",
            s.billable
        ));
    }
    p.extend(audit::audit(&lib, fake, Opts::default()).0);
    p
}
