//! The engine's module graph has no cycle (issue 13 §4): a module names only modules
//! below it, so "where does this type live?" has one answer and each module can be read
//! (and tested) without the ones above it. Edges are the `crate::` paths a module's
//! non-test code names; a folder module (`feed/`) is one node.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module name → the source text of its files, test modules and comments removed.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("engine src is readable") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src");
            let top = rel
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .expect("utf-8 path")
                .trim_end_matches(".rs")
                .to_owned();
            if top == "lib" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable source");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let code: String = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            out.entry(top).or_default().push_str(&code);
        }
    }
    out
}

/// The modules a source text names through `crate::x` or `crate::{x, y::{z, w}}`.
fn named(code: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let words: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
            // The group's top-level items: commas inside a nested `{…}` do not split.
            let mut depth = 0usize;
            let mut start = 0;
            let mut items = Vec::new();
            for (at, ch) in group.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        items.push(&group[start..at]);
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(&group[start..at]);
                        start = at + 1;
                    }
                    _ => {}
                }
            }
            items
                .into_iter()
                .map(|part| part.trim().split("::").next().unwrap_or_default())
                .collect()
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            vec![&rest[..end]]
        };
        found.extend(
            words
                .into_iter()
                .filter(|w| known.contains(*w))
                .map(str::to_owned),
        );
    }
    found
}

/// A cycle in `edges` if there is one (depth-first search, three colours).
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut c = path[at..].to_vec();
            c.push(node.to_owned());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, done, path) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut done, &mut Vec::new()))
}

fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules(src);
    let known: BTreeSet<String> = mods.keys().cloned().collect();
    mods.iter()
        .map(|(m, code)| {
            let mut to = named(code, &known);
            to.remove(m);
            (m.clone(), to)
        })
        .collect()
}

#[test]
fn the_engine_module_graph_has_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph(&src);
    assert!(edges.len() > 20, "found only {} modules", edges.len());
    assert!(
        edges["facade"].contains("pipeline"),
        "the parser misses edges: {edges:?}"
    );
    if let Some(c) = cycle(&edges) {
        panic!("module cycle: {}", c.join(" -> "));
    }
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write =
        |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    write(
        "a.rs",
        "use crate::b::X;\n// crate::c in a comment is no edge\n",
    );
    write("b.rs", "pub struct X;\nfn f() { crate::c::g() }\n");
    write(
        "c.rs",
        "use crate::{a::{self, Z}, d::Y};\n#[cfg(test)]\nmod t { use crate::b; }\n",
    );
    write("d.rs", "pub struct Y;\n");
    let edges = graph(dir.path());
    assert_eq!(edges["a"], BTreeSet::from(["b".to_owned()]));
    assert_eq!(edges["c"], BTreeSet::from(["a".to_owned(), "d".to_owned()]));
    assert_eq!(
        cycle(&edges),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
