//! The scenarios, written from issue 11's expectations (not from today's behaviour).
//! Each one builds its own library, drives the real CLI against the fake, then audits.

mod calls;
mod kills;
mod library;

use std::time::Duration;

use crate::audit::{self, Opts, View};
use crate::fake::{Fake, TagStats};
use crate::harness::{Lib, Out};

pub type Run = Box<dyn Fn(&Fake) -> Vec<String> + Send + Sync>;

pub struct Scenario {
    pub area: &'static str,
    pub name: String,
    pub run: Run,
}

impl Scenario {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.area, self.name)
    }
}

pub fn sc(
    area: &'static str,
    name: impl Into<String>,
    run: impl Fn(&Fake) -> Vec<String> + Send + Sync + 'static,
) -> Scenario {
    Scenario {
        area,
        name: name.into(),
        run: Box::new(run),
    }
}

/// Slow scenarios first, so the pool's tail is short.
pub fn all(seed: u64) -> Vec<Scenario> {
    let mut v = kills::all(seed);
    v.extend(calls::all());
    v.extend(library::all());
    v
}

/// What the issue expects of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Images stored, one paid submission.
    Succeeds,
    /// The provider proved billing (usage, cost, a finished job) but the result is
    /// unusable: charged, never resent on the same offer.
    Billed,
    /// Sent, outcome unknown: charged unconfirmed at the estimate, never resent.
    Unknown,
    /// Plainly not billed (an error status, not the provider's answer): nothing charged.
    NotBilled,
    /// Only the auditor's invariants (keys, ledger, served = charged).
    Any,
}

pub const GENERATE_DEADLINE: Duration = Duration::from_secs(45);

pub fn generate(lib: &Lib, prompt: &str, offer: &str, extra: &[&str]) -> Out {
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
    lib.run(&a, GENERATE_DEADLINE)
}

/// No panic, no hang.
pub fn sane(out: &Out, what: &str, p: &mut Vec<String>) {
    if out.code == 101 || out.stderr.contains("panicked") {
        p.push(format!("{what} panicked: {}", out.brief()));
    }
    if out.timed_out {
        p.push(format!(
            "{what} did not finish within {}s and was killed",
            GENERATE_DEADLINE.as_secs()
        ));
    }
}

/// A library with project `p` (chains pinned to `offer`) or the reason it failed.
pub fn library(fake: &Fake, offer: &str, budget: &str, soft: bool) -> Result<Lib, Vec<String>> {
    let lib = Lib::new(fake);
    let out = lib.project("p", budget, soft, offer);
    if out.code != 0 {
        return Err(vec![format!("project create failed: {}", out.brief())]);
    }
    Ok(lib)
}

pub struct Done {
    /// Kept so the data dir lives until the scenario's own checks ran.
    pub _lib: Lib,
    pub tag: String,
    pub view: View,
    pub stats: TagStats,
    pub problems: Vec<String>,
}

/// One request with `fault` on `offer`, audited, and checked against `expect`.
pub fn single(
    fake: &Fake,
    offer: &str,
    fault: &str,
    expect: Expect,
    budget: &str,
    soft: bool,
) -> Result<Done, Vec<String>> {
    let lib = library(fake, offer, budget, soft)?;
    let (tag, prompt) = lib.prompt(fault);
    let out = generate(&lib, &prompt, offer, &[]);
    let mut p = Vec::new();
    sane(&out, "generate", &mut p);
    let (mut found, view) = audit::audit(&lib, fake, Opts::default());
    p.append(&mut found);
    let stats = fake.stats(&tag);
    expectation(expect, &out, &view, &tag, &stats, &mut p);
    Ok(Done {
        _lib: lib,
        tag,
        view,
        stats,
        problems: p,
    })
}

pub fn expectation(
    expect: Expect,
    out: &Out,
    view: &View,
    tag: &str,
    s: &TagStats,
    p: &mut Vec<String>,
) {
    let (conf, unconf, _, cost) = view.tag_charges(tag);
    let succeeded = view.of_tag(tag).any(|g| g.status == "succeeded");
    let failed_exit = out.code != 0;
    match expect {
        Expect::Succeeds => {
            if out.code != 0 || !succeeded {
                p.push(format!("expected success: {}", out.brief()));
            }
            if s.submissions != 1 {
                p.push(format!(
                    "expected 1 submission, the provider got {}",
                    s.submissions
                ));
            }
        }
        Expect::Billed => {
            if !failed_exit || succeeded {
                p.push(format!("expected a failure: {}", out.brief()));
            }
            if s.submissions != 1 {
                p.push(format!(
                    "sent {} times: a billed failure is never resent on the same offer (F1/F2)",
                    s.submissions
                ));
            }
            if conf == 0 || cost == 0 {
                p.push(format!(
                    "the provider proved billing but {} confirmed charge(s), cost {} nanos were recorded (F1/F2)",
                    conf, cost
                ));
            }
        }
        Expect::Unknown => {
            if !failed_exit || succeeded {
                p.push(format!("expected a failure: {}", out.brief()));
            }
            if s.submissions != 1 {
                p.push(format!(
                    "sent {} times: an unknown outcome is never resent (F2)",
                    s.submissions
                ));
            }
            if unconf == 0 {
                p.push(format!(
                    "the outcome is unknown but no unconfirmed charge was recorded ({conf} confirmed, cost {cost} nanos) (F2/F3)"
                ));
            }
        }
        Expect::NotBilled => {
            if !failed_exit || succeeded {
                p.push(format!("expected a failure: {}", out.brief()));
            }
            if conf + unconf > 0 || cost != 0 {
                p.push(format!(
                    "nothing was billed but {} charge(s) of {cost} nanos were recorded",
                    conf + unconf
                ));
            }
        }
        Expect::Any => {}
    }
}
