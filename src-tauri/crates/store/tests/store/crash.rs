//! SIGKILL while storing images: the library must reopen consistent.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::Rng;
use store::{NewProject, OpenOptions, Status, Store};

use crate::common::{d, new_gen, png, request};

const CHILD_ENV: &str = "PROOFSHEET_STORE_CRASH_CHILD";

/// The child half: runs only when re-invoked by the parent test, and stores images,
/// settling money, until it is killed.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::open_with(
        &dir,
        OpenOptions {
            sweep: false,
            ..Default::default()
        },
    )
    .unwrap();
    let project = match store.project_by_name("Crash") {
        Ok(p) => p,
        Err(_) => store
            .create_project(&NewProject {
                name: "Crash".into(),
                ..Default::default()
            })
            .unwrap(),
    };
    let salt: u32 = rand::rng().random();
    for i in 0u32.. {
        let g = store
            .create_generation(&new_gen(
                &project,
                request(&format!("crash {salt} {i}")),
                store::Tier::Draft,
            ))
            .unwrap();
        store.set_status(g, Status::Running, None).unwrap();
        store.reserve(project.id, g, d("0.05")).unwrap();
        for k in 0..2 {
            store
                .persist_image(g, k, &png(256, 256, salt ^ (i * 2 + k)), Some(i64::from(k)))
                .unwrap();
        }
        store.settle(g, d("0.02")).unwrap();
        store.set_status(g, Status::Succeeded, None).unwrap();
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn sigkill_while_storing_images_leaves_a_consistent_library() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rng();
    for round in 0..6 {
        let mut child = Command::new(&exe)
            .args([
                "crash::crash_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(150..900)));
        child.kill().unwrap(); // SIGKILL on unix
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the child must have been killed, not finished"
        );

        let store = Store::open_with(
            dir.path(),
            OpenOptions {
                sweep: true,
                sweep_grace: Duration::ZERO,
            },
        )
        .unwrap();
        store.integrity_check().unwrap();
        let report = store.open_sweep_report();
        assert!(report.missing_files.is_empty(), "round {round}: {report:?}");
        eprintln!(
            "round {round}: swept {} temp, {} orphan files",
            report.removed_temp.len(),
            report.removed_orphans.len()
        );

        let conn = rusqlite::Connection::open(store.db_path()).unwrap();
        let mut st = conn.prepare("SELECT path, thumb_path FROM files").unwrap();
        let rows: Vec<(String, Option<String>)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let referenced: HashSet<PathBuf> = rows
            .iter()
            .flat_map(|(p, t)| std::iter::once(p.clone()).chain(t.clone()))
            .map(|p| dir.path().join(p))
            .collect();
        for p in &referenced {
            assert!(
                p.exists(),
                "round {round}: committed row without its file: {}",
                p.display()
            );
        }
        for sub in ["images", "thumbs"] {
            for f in files_under(&dir.path().join(sub)) {
                let name = f.file_name().unwrap().to_string_lossy().to_string();
                assert!(
                    !name.starts_with(".tmp-"),
                    "round {round}: temp file left: {name}"
                );
                assert!(
                    referenced.contains(&f),
                    "round {round}: orphan left: {}",
                    f.display()
                );
            }
        }
        // Money invariant survives the crash: nothing charged beyond what was reserved.
        let sum = store.project_summary("Crash");
        if let Ok(sum) = sum {
            assert!(sum.spent >= d("0") && sum.reserved >= d("0"));
        }
    }
    let store = Store::open(dir.path()).unwrap();
    let stored = store
        .gallery_page(&store::GalleryQuery::default())
        .unwrap()
        .items
        .len();
    assert!(stored > 0, "the children stored images before being killed");
}
