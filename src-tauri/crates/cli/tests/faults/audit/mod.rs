//! The auditor: after a scenario, recovery runs (with the temp-file grace period made to
//! have passed), then the library is opened read-only and the money invariants of issue
//! 11 are checked against what the fake provider actually served.

pub mod sql;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

pub use sql::Gen;

use crate::fake::Fake;
use crate::harness::{KEYS, Lib};

#[derive(Debug, Clone, Copy, Default)]
pub struct Opts {
    /// A generation may legitimately still be running (its job is pending at the provider).
    pub allow_running: bool,
}

/// What a scenario can look at after the audit.
#[derive(Debug, Default)]
pub struct View {
    pub gens: Vec<Gen>,
    /// Per generation: (charged attempts confirmed, unconfirmed, flagged, sum of attempt costs).
    pub charged: HashMap<String, (u32, u32, u32, i64)>,
    pub flag_column: bool,
}

impl View {
    pub fn of_tag<'a>(&'a self, tag: &'a str) -> impl Iterator<Item = &'a Gen> + 'a {
        self.gens.iter().filter(move |g| g.prompt.contains(tag))
    }
    /// Total (confirmed, unconfirmed, flagged) charged attempts and their cost for a tag.
    pub fn tag_charges(&self, tag: &str) -> (u32, u32, u32, i64) {
        self.of_tag(tag).fold((0, 0, 0, 0), |a, g| {
            let c = self.charged.get(&g.id).copied().unwrap_or_default();
            (a.0 + c.0, a.1 + c.1, a.2 + c.2, a.3 + c.3)
        })
    }
}

/// Runs recovery, then every check. Returns the problems found and what it read.
pub fn audit(lib: &Lib, fake: &Fake, opts: Opts) -> (Vec<String>, View) {
    let mut p = Vec::new();
    let dir = lib.data_dir();
    backdate(&dir.join("images"));
    backdate(&dir.join("thumbs"));
    let out = lib.run(&["recover", "--json"], Duration::from_secs(30));
    if out.code != 0 {
        p.push(format!("recover failed: {}", out.brief()));
    }
    let view = match check_db(lib, fake, opts, &mut p) {
        Ok(v) => v,
        Err(e) => {
            p.push(format!("audit could not read the library: {e}"));
            View::default()
        }
    };
    check_keys(lib, fake, &mut p);
    (p, view)
}

/// Ages every file by two minutes: "after recovery" means after the sweep's grace period.
fn backdate(dir: &Path) {
    let old = SystemTime::now() - Duration::from_secs(120);
    for f in files_under(dir) {
        if let Ok(h) = std::fs::File::options().write(true).open(&f) {
            let _ = h.set_modified(old);
        }
    }
}

pub fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn usd(nanos: i64) -> String {
    rust_decimal::Decimal::new(nanos, 9).normalize().to_string()
}

const TERMINAL: &[&str] = &["succeeded", "failed", "cancelled", "reused"];

fn check_db(lib: &Lib, fake: &Fake, opts: Opts, p: &mut Vec<String>) -> sql::Sql<View> {
    let dir = lib.data_dir();
    let c = sql::open(&dir.join("proofsheet.sqlite3"))?;
    p.extend(sql::integrity(&c)?);

    // Ledger against project_totals.
    let mut by_project: HashMap<i64, sql::Effect> = HashMap::new();
    for (pid, kind, amount) in sql::ledger_sums(&c, false)? {
        let Some(eff) = sql::effect(&kind) else {
            p.push(format!(
                "ledger kind '{kind}' is unknown to the auditor (update audit/sql.rs)"
            ));
            continue;
        };
        let t = by_project.entry(pid.parse().unwrap_or(-1)).or_default();
        t.spent += eff.spent * amount;
        t.reserved += eff.reserved * amount;
        t.saved += eff.saved * amount;
        t.unconfirmed += eff.unconfirmed * amount;
    }
    let totals = sql::totals(&c)?;
    for t in &totals {
        let l = by_project.get(&t.project_id).copied().unwrap_or_default();
        let mut diff = |what: &str, ledger: i64, row: i64| {
            if ledger != row {
                p.push(format!(
                    "project {}: project_totals.{what} = {} but the ledger says {}",
                    t.project_id,
                    usd(row),
                    usd(ledger)
                ));
            }
        };
        diff("spent", l.spent, t.spent);
        diff("reserved", l.reserved, t.reserved);
        diff("saved", l.saved, t.saved);
        if let Some(u) = t.unconfirmed {
            diff("unconfirmed", l.unconfirmed, u);
        }
        if l.reserved < 0 || l.spent < 0 {
            p.push(format!(
                "project {}: negative reserved or spent",
                t.project_id
            ));
        }
    }

    // Per generation: ledger, attempts, status, images.
    let mut by_gen: HashMap<String, sql::Effect> = HashMap::new();
    let first_reserve = sql::first_reserves(&c)?;
    for (gid, kind, amount) in sql::ledger_sums(&c, true)? {
        if let Some(eff) = sql::effect(&kind) {
            let t = by_gen.entry(gid).or_default();
            t.spent += eff.spent * amount;
            t.reserved += eff.reserved * amount;
        }
    }
    let (attempts, flag_column) = sql::attempts(&c)?;
    let mut charged: HashMap<String, (u32, u32, u32, i64)> = HashMap::new();
    let mut unfinished: HashMap<String, u32> = HashMap::new();
    let mut definite: HashMap<String, u32> = HashMap::new();
    for a in &attempts {
        let e = charged.entry(a.generation_id.clone()).or_default();
        if a.unconfirmed {
            e.1 += 1;
        } else if a.billed && a.cost > 0 {
            // A "billed" attempt recorded at $0 is not a charge (F1: paid jobs as $0).
            e.0 += 1;
            if a.outcome.as_deref() != Some("succeeded") {
                *definite.entry(a.generation_id.clone()).or_default() += 1;
            }
        }
        if a.flagged {
            e.2 += 1;
        }
        if a.billed || a.unconfirmed {
            e.3 += a.cost;
        }
        if !a.finished || a.open_state {
            *unfinished.entry(a.generation_id.clone()).or_default() += 1;
        }
        if a.cost < 0 {
            p.push(format!(
                "attempt of {} has a negative cost",
                a.generation_id
            ));
        }
    }
    let gens = sql::generations(&c)?;
    let images = sql::image_files(&c)?;
    for g in &gens {
        let l = by_gen.get(&g.id).copied().unwrap_or_default();
        let short = &g.id[..8.min(g.id.len())];
        let terminal = TERMINAL.contains(&g.status.as_str());
        if terminal && l.reserved != 0 {
            p.push(format!(
                "generation {short} is {} but still holds {} reserved",
                g.status,
                usd(l.reserved)
            ));
        }
        if !terminal && !opts.allow_running {
            p.push(format!(
                "generation {short} is still '{}' after recovery ({})",
                g.status,
                g.error.clone().unwrap_or_default()
            ));
        }
        if l.spent != g.cost {
            p.push(format!(
                "generation {short}: cost {} but the ledger charged {}",
                usd(g.cost),
                usd(l.spent)
            ));
        }
        let att = charged.get(&g.id).copied().unwrap_or_default();
        if att.3 != g.cost && g.status != "reused" {
            p.push(format!(
                "generation {short}: its billed attempts cost {} but the generation records {} (F7: truncated or lost charge)",
                usd(att.3),
                usd(g.cost)
            ));
        }
        if terminal && unfinished.get(&g.id).copied().unwrap_or(0) > 0 {
            p.push(format!(
                "generation {short} is {} with an unfinished attempt",
                g.status
            ));
        }
        if matches!(g.status.as_str(), "succeeded" | "reused") && g.images != g.n {
            p.push(format!(
                "generation {short} is {} with {} of {} images (F5/F20)",
                g.status, g.images, g.n
            ));
        }
    }
    for (gid, path, _thumb) in &images {
        if !dir.join(path).is_file() {
            let st = gens
                .iter()
                .find(|g| &g.id == gid)
                .map_or("?", |g| g.status.as_str());
            p.push(format!(
                "an image of {st} generation {} has no file ({path})",
                &gid[..8.min(gid.len())]
            ));
        }
    }

    // Files on disk: no temp file and no orphan once recovery ran past the grace period.
    let known = sql::known_paths(&c)?;
    for root in ["images", "thumbs"] {
        for f in files_under(&dir.join(root)) {
            let rel = f
                .strip_prefix(&dir)
                .map(|r| r.display().to_string())
                .unwrap_or_default();
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            if name.as_deref().is_some_and(|n| n.starts_with(".tmp-")) {
                p.push(format!("temp file left after recovery: {rel}"));
            } else if !known.contains(&rel) {
                p.push(format!("orphan file left after recovery: {rel}"));
            }
        }
    }

    // What the fake served against what was charged, per user request (tag).
    let tags = lib.tags.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for tag in &tags {
        let s = fake.stats(tag);
        let mine: Vec<&Gen> = gens.iter().filter(|g| g.prompt.contains(tag)).collect();
        let (conf, unconf) = mine.iter().fold((0u32, 0u32), |a, g| {
            let c = charged.get(&g.id).copied().unwrap_or_default();
            (a.0 + c.0, a.1 + c.1)
        });
        if conf + unconf < s.billable {
            p.push(format!(
                "{tag}: the provider served {} billable submission(s) but only {} were charged ({} confirmed, {} unconfirmed)",
                s.billable,
                conf + unconf,
                conf,
                unconf
            ));
        }
        if conf > s.billable {
            p.push(format!(
                "{tag}: {conf} confirmed charges for {} billable submission(s)",
                s.billable
            ));
        }
        let calls: i64 = mine
            .iter()
            .filter(|g| g.reused_from.is_none())
            .map(|g| g.n)
            .sum();
        let fallbacks: u32 = mine
            .iter()
            .map(|g| definite.get(&g.id).copied().unwrap_or(0))
            .sum();
        let limit = calls.max(1) + i64::from(fallbacks);
        if i64::from(s.billable) > limit {
            p.push(format!(
                "{tag}: {} paid submissions for {} user request(s) needing {} call(s) and {} definite failure(s): resubmitted",
                s.billable,
                mine.len(),
                calls,
                fallbacks
            ));
        }
    }

    // Hard budgets hold, except by what providers billed above a generation's first
    // reservation (its worst case): a recorded overcharge (F7 true amount, F8 bound).
    for b in sql::budgets(&c)? {
        if !b.hard || b.monthly {
            continue;
        }
        let t = by_project.get(&b.project_id).copied().unwrap_or_default();
        let overcharge: i64 = gens
            .iter()
            .filter(|g| g.project_id == b.project_id)
            .map(|g| {
                let spent = by_gen.get(&g.id).map_or(0, |e| e.spent);
                (spent - first_reserve.get(&g.id).copied().unwrap_or(0)).max(0)
            })
            .sum();
        if t.spent > b.amount + overcharge {
            p.push(format!(
                "project '{}': spent {} against a hard budget of {} (recorded overcharges {})",
                b.name,
                usd(t.spent),
                usd(b.amount),
                usd(overcharge)
            ));
        }
    }
    Ok(View {
        gens,
        charged,
        flag_column,
    })
}

/// Recognisable pieces of every fake key: whole, first 16 and last 16 characters.
pub fn key_fragments() -> Vec<String> {
    let mut out = Vec::new();
    for (_, k) in KEYS {
        out.push((*k).to_string());
        out.push(k[..16].to_string());
        out.push(k[k.len() - 16..].to_string());
    }
    out
}

fn check_keys(lib: &Lib, fake: &Fake, p: &mut Vec<String>) {
    let frags = key_fragments();
    let transcript = lib
        .transcript
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    for f in &frags {
        if transcript.contains(f.as_str()) {
            p.push(format!("key fragment '{f}' printed on stdout/stderr (F16)"));
        }
    }
    for file in files_under(&lib.data_dir()) {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        for f in &frags {
            if bytes.windows(f.len()).any(|w| w == f.as_bytes()) {
                p.push(format!(
                    "key fragment '{f}' stored in {} (F16)",
                    file.display()
                ));
            }
        }
    }
    let tags = lib.tags.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for entry in fake.logged() {
        if !tags.iter().any(|t| entry.target.contains(t.as_str())) {
            continue;
        }
        for (name, value) in &entry.headers {
            if frags.iter().any(|f| value.contains(f.as_str())) {
                p.push(format!(
                    "the key in '{name}' followed a redirect to another host ({} {}) (F6)",
                    entry.method, entry.target
                ));
            }
        }
    }
}
