//! One request per scenario: every provider × every failure class of faults.md that
//! applies to it (F1, F2, F6, F8, F9, F16, F20).

use super::{Done, Expect, Scenario, generate, sc, single};
use crate::audit::{self, Opts};
use crate::fake::Fake;

// gpt-image-1-mini shuts down 2026-12-01; every Imagen model is shut down (issue 14), so
// the Imagen `:predict` path is only checked to be refused before anything is sent.
const OPENAI: &str = "openai:gpt-image-2";
const IMAGEN: &str = "google:imagen-4.0-fast-generate-001";
const GEMINI: &str = "google:gemini-2.5-flash-image";
const OPENROUTER: &str = "openrouter:google/gemini-2.5-flash-image";
const BFL: &str = "bfl:flux-dev";
const FAL: &str = "fal:fal-ai/flux/dev";
const REPLICATE: &str = "replicate:black-forest-labs/flux-schnell";
const XAI: &str = "xai:grok-imagine-image";

fn short(offer: &str) -> &'static str {
    match offer {
        OPENAI => "openai",
        IMAGEN => "imagen",
        GEMINI => "gemini",
        OPENROUTER => "openrouter",
        BFL => "bfl",
        FAL => "fal",
        XAI => "xai",
        _ => "replicate",
    }
}

fn plain(area: &'static str, offer: &'static str, fault: &'static str, e: Expect) -> Scenario {
    sc(
        area,
        format!("{}-{fault}", short(offer)),
        move |f: &Fake| match single(f, offer, fault, e, "5", false) {
            Ok(d) => d.problems,
            Err(p) => p,
        },
    )
}

/// A single request plus a scenario-specific check.
fn with(
    area: &'static str,
    offer: &'static str,
    fault: &'static str,
    e: Expect,
    soft: bool,
    check: impl Fn(&Done, &mut Vec<String>) + Send + Sync + 'static,
) -> Scenario {
    sc(
        area,
        format!("{}-{fault}", short(offer)),
        move |f: &Fake| match single(f, offer, fault, e, "5", soft) {
            Ok(mut d) => {
                let mut p = std::mem::take(&mut d.problems);
                check(&d, &mut p);
                p
            }
            Err(p) => p,
        },
    )
}

/// $1: far above any plausible charge of these offers (worst case × 10 is below it).
const PLAUSIBLE_MAX_NANOS: i64 = 1_000_000_000;

pub fn all() -> Vec<Scenario> {
    use Expect::*;
    let mut v = Vec::new();
    // Sync providers (F2): billing proof, unknown outcomes, plain errors.
    for offer in [OPENAI, GEMINI, OPENROUTER, XAI] {
        v.push(plain("sync", offer, "ok", Succeeds));
        v.push(plain("sync", offer, "broken", Billed));
        v.push(plain("sync", offer, "truncjson", Unknown));
        v.push(plain("sync", offer, "cut", Unknown));
        v.push(plain("secrets", offer, "redirect", NotBilled));
    }
    for offer in [OPENAI, GEMINI, XAI] {
        v.push(plain("sync", offer, "badb64", Billed));
        v.push(plain("sync", offer, "html", NotBilled));
        v.push(with("sync", offer, "hang", Unknown, false, |d, p| {
            if d.stats.client_gave_up == 0 {
                p.push(format!(
                    "the CLI never gave up on a silent provider by itself (PROOFSHEET_HTTP_TIMEOUT_MS={} ignored?)",
                    crate::harness::HTTP_TIMEOUT_MS
                ));
            }
        }));
    }
    v.push(plain("sync", OPENAI, "truncpng", Billed));
    for offer in [OPENAI, OPENROUTER, XAI] {
        v.push(plain("sync", offer, "close", Unknown));
    }
    for offer in [OPENAI, GEMINI, OPENROUTER, XAI] {
        v.push(plain("sync", offer, "emptydata", Billed));
        // F8: an absurd reported cost is bounded, flagged, and never aborts the job.
        v.push(with("bounds", offer, "huge", Succeeds, true, |d, p| {
            let (_, _, flagged, cost) = d.view.tag_charges(&d.tag);
            if cost > PLAUSIBLE_MAX_NANOS {
                p.push(format!(
                    "charged {cost} nanos for an absurd reported usage: not bounded (F8)"
                ));
            }
            if flagged == 0 {
                p.push(if d.view.flag_column {
                    "the implausible cost was not flagged for review (F8)".into()
                } else {
                    "the library has no review flag for implausible costs (F8)".into()
                });
            }
        }));
        // F9: a negative reported amount falls back to the formula.
        v.push(with(
            "bounds",
            offer,
            "negative",
            Succeeds,
            false,
            |d, p| {
                let cost = d.view.tag_charges(&d.tag).3;
                if cost <= 0 || cost > PLAUSIBLE_MAX_NANOS {
                    p.push(format!(
                        "a negative reported amount was charged {cost} nanos, not the formula (F9)"
                    ));
                }
            },
        ));
    }
    v.push(with("sync", IMAGEN, "ok", NotBilled, false, |d, p| {
        if d.stats.submissions != 0 {
            p.push(format!(
                "a shut-down model was sent {} request(s); it must be refused first (issue 14)",
                d.stats.submissions
            ));
        }
    }));
    v.push(plain("sync", OPENAI, "e500", NotBilled));
    v.push(plain("sync", OPENROUTER, "e500", NotBilled));
    v.push(plain("sync", XAI, "e500", NotBilled));
    v.push(plain("secrets", XAI, "echo", NotBilled));
    v.push(plain("sync", OPENAI, "sixty", Succeeds));
    v.push(plain("secrets", OPENAI, "echo", NotBilled));
    v.push(plain("secrets", OPENAI, "echonul", NotBilled));

    // Async jobs (F1): once a job is named it is resumed, never resubmitted.
    for offer in [BFL, FAL, REPLICATE] {
        v.push(plain("async", offer, "ok", Succeeds));
        v.push(plain("async", offer, "slowjob", Succeeds));
        for fault in [
            "poll500",
            "pollgarbage",
            "pollhtml",
            "pollcut",
            "pollunknown",
        ] {
            v.push(plain("async", offer, fault, Succeeds));
        }
        v.push(plain("secrets", offer, "pollredirect", Succeeds));
        // The job finished; its result fails twice: resume it, never resubmit.
        for fault in ["res404", "reshtml", "resfile"] {
            v.push(plain("async", offer, fault, Succeeds));
        }
        v.push(plain("secrets", offer, "keyid", Any));
        v.push(plain("secrets", offer, "redirect", NotBilled));
    }
    v.push(plain("async", FAL, "resgarbage", Succeeds));
    v.push(plain("async", BFL, "failed", Billed));
    v.push(plain("async", FAL, "failed", NotBilled));
    v.push(plain("async", REPLICATE, "failed", NotBilled));
    v.push(plain("async", BFL, "regional", Succeeds));
    v.push(with("bounds", BFL, "negcost", Succeeds, false, |d, p| {
        if d.view.tag_charges(&d.tag).3 <= 0 {
            p.push("a negative submit cost was charged $0, not the formula (F9)".into());
        }
    }));
    v.push(sc("bounds", "openai-calibration-not-poisoned", calibration));
    v.push(sc("bounds", "openai-overcharge-recorded", overcharge));
    v
}

/// F8: five absurd usages must not teach the estimator an absurd price.
fn calibration(fake: &Fake) -> Vec<String> {
    let lib = match super::library(fake, OPENAI, "5", true) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut p = Vec::new();
    for _ in 0..5 {
        let (_, prompt) = lib.prompt("huge");
        let out = generate(&lib, &prompt, OPENAI, &[]);
        super::sane(&out, "generate", &mut p);
    }
    let (_, prompt) = lib.prompt("ok");
    let out = lib.run(
        &["--json", "estimate", "--prompt", &prompt, "--offer", OPENAI],
        super::GENERATE_DEADLINE,
    );
    let expected = out.json()["estimates"][0]["expected_usd"]
        .as_str()
        .and_then(|s| s.parse::<rust_decimal::Decimal>().ok());
    match expected {
        Some(e) if e <= rust_decimal::Decimal::ONE => {}
        Some(e) => p.push(format!(
            "after 5 absurd usages the estimate is ${e}: calibration was poisoned (F8)"
        )),
        None => p.push(format!("estimate failed: {}", out.brief())),
    }
    p.extend(audit::audit(&lib, fake, Opts::default()).0);
    p
}

/// F7: a real charge above the reservation under a hard budget is recorded at its true
/// amount (the auditor compares attempts, generation and ledger), the project is then
/// over budget, and the next request is refused.
fn overcharge(fake: &Fake) -> Vec<String> {
    // The worst case of this offer and prompt size is ~$0.00502; the fake bills ~$0.00657.
    let lib = match super::library(fake, OPENAI, "0.006", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut p = Vec::new();
    let (tag, prompt) = lib.prompt("over");
    let out = generate(&lib, &prompt, OPENAI, &[]);
    super::sane(&out, "generate", &mut p);
    let (_, prompt2) = lib.prompt("ok");
    let next = generate(&lib, &prompt2, OPENAI, &[]);
    if next.code != 3 {
        p.push(format!(
            "after an overcharge the project is over budget, the next request must be refused (exit 3): {}",
            next.brief()
        ));
    }
    let (found, view) = audit::audit(&lib, fake, Opts::default());
    p.extend(found);
    if fake.stats(&tag).billable == 1 && view.tag_charges(&tag).3 <= 5_000_000 {
        p.push(format!(
            "the provider billed about $0.0066 but {} nanos were recorded (F7)",
            view.tag_charges(&tag).3
        ));
    }
    p
}
