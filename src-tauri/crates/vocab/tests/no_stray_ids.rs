//! Provider ids are spelled as strings in one place: this crate. Everywhere else they are
//! `ProviderId` / `OfferProvider` in Rust and the generated unions in TypeScript, so adding,
//! renaming or removing a provider fails to compile instead of falling through at runtime.
//!
//! This test scans `src-tauri/` (Rust) and `ui/src` (TypeScript, Svelte) for a provider id's
//! wire name as a quoted string literal (`"fal"`; in TypeScript also `'fal'` and `` `fal` ``)
//! and fails naming each `file:line`. Exempt, and why:
//! - this crate (`src-tauri/crates/vocab/`): the one place the ids are spelled;
//! - tests: `tests/`, `benches/` and `examples/` folders, `*.test.ts`, Rust `#[cfg(test)]`
//!   modules (inline or in their own file): a test states the wire value it expects, and the
//!   wire value is the contract it checks;
//! - catalog and fixture data: only source files are scanned (the catalog, the recorded
//!   fixtures and the capability files are JSON). The UI fake (`ui/src/lib/api/fake/`) is
//!   scanned like any code: it takes its providers from the recorded fixtures;
//! - `ui/src/lib/bindings.ts`: generated from this crate;
//! - comments: prose, not code.

use std::path::{Path, PathBuf};

use vocab::ProviderId;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn exempt_path(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    rel.starts_with("src-tauri/crates/vocab/")
        || rel == "ui/src/lib/bindings.ts"
        || rel.starts_with("ui/src/lib/api/fixtures/")
        || rel.ends_with(".test.ts")
        || parts.iter().any(|p| {
            matches!(
                *p,
                "tests" | "benches" | "examples" | "target" | "node_modules" | "gen"
            )
        })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if matches!(
            p.extension().and_then(|x| x.to_str()),
            Some("rs" | "ts" | "svelte")
        ) {
            out.push(p);
        }
    }
}

/// `mod NAME;` declared under `#[cfg(test)]`: its file is test code.
fn test_module_files(file: &Path, text: &str) -> Vec<PathBuf> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let base = if matches!(stem, "lib" | "main" | "mod") {
        dir.to_path_buf()
    } else {
        dir.join(stem)
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for w in lines.windows(2) {
        let next = w[1].trim();
        if w[0].trim() == "#[cfg(test)]"
            && let Some(name) = next
                .strip_prefix("mod ")
                .or_else(|| next.strip_prefix("pub(crate) mod "))
                .and_then(|r| r.strip_suffix(';'))
        {
            out.push(base.join(format!("{name}.rs")));
            out.push(base.join(name).join("mod.rs"));
        }
    }
    out
}

/// Line numbers (1-based) of the code that counts: not comments, not `#[cfg(test)]` modules.
fn code_lines(text: &str, rust: bool) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut skip_depth: Option<i64> = None;
    let mut pending_cfg_test = false;
    let mut in_block_comment = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(depth) = skip_depth.as_mut() {
            *depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
            if *depth <= 0 {
                skip_depth = None;
            }
            continue;
        }
        if rust && t == "#[cfg(test)]" {
            pending_cfg_test = true;
            continue;
        }
        if pending_cfg_test {
            pending_cfg_test = false;
            if t.starts_with("mod ") && t.ends_with('{') {
                skip_depth = Some(1);
                continue;
            }
        }
        if in_block_comment {
            if t.contains("*/") || t.contains("-->") {
                in_block_comment = false;
            }
            continue;
        }
        if (t.starts_with("/*") && !t.contains("*/"))
            || (t.starts_with("<!--") && !t.contains("-->"))
        {
            in_block_comment = true;
            continue;
        }
        if t.starts_with("//") || t.starts_with('*') || t.starts_with("/*") || t.starts_with("<!--")
        {
            continue;
        }
        out.push((i + 1, line));
    }
    out
}

#[test]
fn provider_ids_are_spelled_only_in_the_vocabulary() {
    let mut files = Vec::new();
    walk(&root().join("src-tauri"), &mut files);
    walk(&root().join("ui/src"), &mut files);
    assert!(
        files.len() > 100,
        "the scan found only {} files under {}: is the layout still src-tauri/ and ui/src?",
        files.len(),
        root().display()
    );
    let mut test_files = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "rs"))
    {
        if let Ok(text) = std::fs::read_to_string(f) {
            test_files.extend(test_module_files(f, &text));
        }
    }
    let mut hits = Vec::new();
    for f in &files {
        let r = rel(f);
        if exempt_path(&r) || test_files.iter().any(|t| t == f) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let rust = r.ends_with(".rs");
        let quotes: &[char] = if rust { &['"'] } else { &['"', '\'', '`'] };
        for (n, line) in code_lines(&text, rust) {
            for id in ProviderId::ALL {
                for q in quotes {
                    let lit = format!("{q}{}{q}", id.as_str());
                    if line.contains(&lit) {
                        hits.push(format!("{r}:{n}: {lit} in `{}`", line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "provider ids spelled as strings outside the vocabulary crate (use vocab::ProviderId / \
         OfferProvider in Rust, the generated unions and `Record<ProviderId, …>` in TypeScript):\n{}",
        hits.join("\n")
    );
}

#[test]
fn the_scan_sees_a_literal_and_skips_test_modules_and_comments() {
    let text = "fn a() { let p = \"fal\"; }\n// \"fal\" in prose\n#[cfg(test)]\nmod tests {\n    fn t() { \"fal\"; }\n}\nfn b() {}\n";
    let lines: Vec<usize> = code_lines(text, true).iter().map(|(n, _)| *n).collect();
    assert_eq!(lines, [1, 7]);
    let files = test_module_files(Path::new("src/lib.rs"), "#[cfg(test)]\nmod test_store;\n");
    assert_eq!(files[0], Path::new("src/test_store.rs"));
    assert!(exempt_path("ui/src/lib/format.test.ts"));
    assert!(exempt_path("src-tauri/crates/engine/tests/pipeline.rs"));
    assert!(!exempt_path("ui/src/lib/format.ts"));
    assert!(!exempt_path("ui/src/lib/api/fake/settings.ts"));
}
