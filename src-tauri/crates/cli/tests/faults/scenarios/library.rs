//! The library's own safety under concurrency and damage (F11, F12, F14, F17, F18).

use std::time::Duration;

use super::{Scenario, generate, library, sc};
use crate::audit::sql;
use crate::fake::Fake;
use crate::harness::{Lib, Out};

const D: Duration = Duration::from_secs(30);

pub fn all() -> Vec<Scenario> {
    vec![
        sc("library", "concurrent-first-use", concurrent_first_use),
        sc("library", "create-with-refused-budget", refused_budget),
        sc("library", "concurrent-create-one-name", create_race),
        sc("library", "newer-schema-untouched", newer_schema),
        sc("library", "dedup-with-missing-file", dedup_missing_file),
        sc("library", "control-characters-never-printed", control_chars),
    ]
}

fn wait_all(lib: &Lib, runs: Vec<crate::harness::Running>) -> Vec<Out> {
    runs.into_iter()
        .map(|r| {
            let o = r.wait(D);
            lib.record(&o);
            o
        })
        .collect()
}

/// F11: six processes opening a new data dir at once all work, and no SQL is printed.
fn concurrent_first_use(fake: &Fake) -> Vec<String> {
    let mut p = Vec::new();
    for trial in 0..3 {
        let lib = Lib::new(fake);
        let runs = (0..6)
            .map(|_| lib.spawn(&["--json", "project", "list"]))
            .collect();
        for (i, o) in wait_all(&lib, runs).iter().enumerate() {
            if o.code != 0 {
                p.push(format!("trial {trial}, process {i}: {}", o.brief()));
            }
            if o.stderr.contains("CREATE TABLE") {
                p.push(format!("trial {trial}, process {i} printed schema SQL"));
            }
        }
    }
    p
}

/// F12: a refused budget creates nothing; the name stays free.
fn refused_budget(fake: &Fake) -> Vec<String> {
    let lib = Lib::new(fake);
    let mut p = Vec::new();
    let o = lib.run(&["project", "create", "big", "--budget", "9300000000"], D);
    if o.code == 0 {
        p.push("a budget of 9300000000 was accepted".into());
    }
    let list = lib.run(&["--json", "project", "list"], D);
    if list.stdout.contains("\"big\"") {
        p.push("the refused create left project 'big' behind (with no budget)".into());
    }
    let again = lib.run(&["project", "create", "big", "--budget", "10"], D);
    if again.code != 0 {
        p.push(format!(
            "creating 'big' after the refusal failed: {}",
            again.brief()
        ));
    }
    p
}

/// F17: concurrent creates of one name: exactly one wins, and its budget is the one kept.
fn create_race(fake: &Fake) -> Vec<String> {
    let mut p = Vec::new();
    for trial in 0..4 {
        let lib = Lib::new(fake);
        // Open the library first, so this is about the create, not F11.
        let _ = lib.run(&["project", "list"], D);
        let budgets = ["1", "1000", "5", "7", "9", "11"];
        let runs = budgets
            .iter()
            .map(|b| lib.spawn(&["--json", "project", "create", "race", "--budget", b]))
            .collect();
        let outs = wait_all(&lib, runs);
        let winners: Vec<&str> = outs
            .iter()
            .zip(budgets)
            .filter(|(o, _)| o.code == 0)
            .map(|(_, b)| b)
            .collect();
        if winners.len() != 1 {
            p.push(format!(
                "trial {trial}: {} creates of one name succeeded (budgets {winners:?})",
                winners.len()
            ));
            continue;
        }
        let show = lib.run(&["--json", "project", "show", "race"], D).json();
        let kept = show["budget_usd"].as_str().unwrap_or("?").to_string();
        if kept != winners[0] {
            p.push(format!(
                "trial {trial}: the create with budget {} won but the budget is {kept}",
                winners[0]
            ));
        }
    }
    p
}

/// F18: a database from a newer schema is refused before anything writes to it.
fn newer_schema(fake: &Fake) -> Vec<String> {
    let lib = Lib::new(fake);
    let mut p = Vec::new();
    let _ = lib.run(&["project", "list"], D);
    let db = lib.data_dir().join("proofsheet.sqlite3");
    if let Err(e) = sql::make_newer(&db) {
        return vec![e];
    }
    let o = lib.run(&["project", "list"], D);
    if o.code == 0 {
        p.push("a schema-99 library was used".into());
    }
    for ext in ["-wal", "-shm"] {
        let f = lib.data_dir().join(format!("proofsheet.sqlite3{ext}"));
        if f.exists() {
            p.push(format!("refusing the newer library created {ext} (F18)"));
        }
    }
    match sql::journal_mode(&db) {
        Ok(m) if m.eq_ignore_ascii_case("delete") => {}
        Ok(m) => p.push(format!(
            "refusing the newer library changed its journal mode to {m} (F18)"
        )),
        Err(e) => p.push(e),
    }
    p
}

/// F14: dedup never serves a generation whose files are gone.
fn dedup_missing_file(fake: &Fake) -> Vec<String> {
    let offer = "openai:gpt-image-1-mini";
    let lib = match library(fake, offer, "5", false) {
        Ok(l) => l,
        Err(p) => return p,
    };
    let mut p = Vec::new();
    let (_, prompt) = lib.prompt("ok");
    let first = generate(&lib, &prompt, offer, &["--seed", "1"]);
    if first.code != 0 {
        return vec![format!("the first generate failed: {}", first.brief())];
    }
    for d in ["images", "thumbs"] {
        let _ = std::fs::remove_dir_all(lib.data_dir().join(d));
    }
    let again = generate(&lib, &prompt, offer, &["--seed", "1"]);
    if again.code == 0 {
        let v = again.json();
        for img in v["images"].as_array().into_iter().flatten() {
            let path = img["path"].as_str().unwrap_or("");
            if !std::path::Path::new(path).is_file() {
                p.push(format!(
                    "the repeat reported success (dedup_hit {}) with a missing file {path} (F14)",
                    v["dedup_hit"]
                ));
            }
        }
    }
    p
}

/// F20: names (and prompts) with terminal escapes are never printed raw.
fn control_chars(fake: &Fake) -> Vec<String> {
    let lib = Lib::new(fake);
    let mut p = Vec::new();
    let name = "ctl\u{1b}[2J\u{7}name";
    let created = lib.run(&["project", "create", name, "--budget", "1"], D);
    for (what, o) in [
        ("project create", created),
        ("project list", lib.run(&["project", "list"], D)),
    ] {
        if o.stdout.contains('\u{1b}') || o.stdout.contains('\u{7}') {
            p.push(format!("{what} printed a raw escape sequence (F20)"));
        }
    }
    p
}
