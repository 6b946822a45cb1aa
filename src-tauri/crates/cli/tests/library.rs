//! The data dir and the library file: concurrent first use (F11), atomic project create
//! (F12, F17), a damaged database (F15), a newer one (F18), and a file, a read-only copy
//! or a damaged row in place of a healthy library (F19).
mod common;

use std::path::{Path, PathBuf};

use common::*;

const KEY: &str = "sk-test-library-4242";
const DB: &str = "proofsheet.sqlite3";

/// The CLI on an explicit `--data-dir` (not the env's own).
fn command_in(env: &Env, dir: &Path, args: &[&str]) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(BIN);
    c.env_clear();
    c.env("PROOFSHEET_CATALOG_DATE", "2026-11-29");
    for (k, v) in &env.vars {
        c.env(k, v);
    }
    c.arg("--data-dir").arg(dir).args(args);
    c.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    c.kill_on_drop(true);
    c
}

async fn run_in(env: &Env, dir: &Path, args: &[&str]) -> Out {
    let out = command_in(env, dir, args)
        .output()
        .await
        .expect("run proofsheet-cli");
    env.record(out)
}

/// The sixty processes must all finish within this; a CI run once sat in this test until
/// its 90-minute limit, so a hang fails here, saying where each live process waits.
const SIXTY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(180);

#[tokio::test]
async fn sixty_processes_on_a_fresh_dir_all_succeed() {
    let env = Env::new().await;
    let dir = env.tmp.path().join("fresh");
    let mut pids = Vec::new();
    let mut running = tokio::task::JoinSet::new();
    for _ in 0..60 {
        let child = command_in(&env, &dir, &["-q", "project", "list"])
            .spawn()
            .expect("spawn");
        pids.push(child.id().expect("pid"));
        // Every child's pipes are read at once: one waiting to write its stderr must
        // never wait on the test reading another's.
        running.spawn(child.wait_with_output());
    }
    let finished = tokio::time::timeout(SIXTY_DEADLINE, async {
        let mut failures = Vec::new();
        while let Some(out) = running.join_next().await {
            let out = out.expect("join").expect("wait");
            if !out.status.success() {
                failures.push(String::from_utf8_lossy(&out.stderr).into_owned());
            }
        }
        failures
    })
    .await;
    let failures = match finished {
        Ok(failures) => failures,
        Err(_) => panic!(
            "not all of the sixty processes ended within {SIXTY_DEADLINE:?}:\n{}",
            where_they_wait(&pids)
        ),
    };
    assert!(
        failures.is_empty(),
        "{} failed: {failures:#?}",
        failures.len()
    );
}

/// For each process not yet reaped: its state (Z: it ended and the test missed it), its
/// threads' names and kernel wait channels, and a backtrace from gdb where installed.
fn where_they_wait(pids: &[u32]) -> String {
    let mut report = String::new();
    for pid in pids {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let state = status
            .lines()
            .find(|l| l.starts_with("State:"))
            .unwrap_or("");
        report.push_str(&format!("process {pid}: {state}\n"));
        for task in tasks.flatten() {
            let path = task.path();
            let read = |f: &str| std::fs::read_to_string(path.join(f)).unwrap_or_default();
            report.push_str(&format!(
                "  thread {} ({}) waits in {}\n",
                task.file_name().to_string_lossy(),
                read("comm").trim(),
                read("wchan").trim()
            ));
        }
        if let Ok(out) = std::process::Command::new("gdb")
            .args([
                "-batch",
                "-p",
                &pid.to_string(),
                "-ex",
                "thread apply all bt 30",
            ])
            .output()
        {
            report.push_str(&String::from_utf8_lossy(&out.stdout));
        }
    }
    report
}

#[tokio::test]
async fn a_file_or_dev_null_is_not_a_folder() {
    let env = Env::new().await;
    let file = env.tmp.path().join("plain-file");
    std::fs::write(&file, b"x").expect("write");
    for dir in [file.as_path(), Path::new("/dev/null")] {
        let out = run_in(&env, dir, &["project", "list"]).await.code(2);
        assert!(
            out.stderr.contains("is not a folder") && out.stderr.contains("--data-dir"),
            "{}",
            out.stderr
        );
    }
}

#[tokio::test]
async fn a_refused_budget_creates_nothing() {
    let env = Env::new().await;
    let out = env
        .run(&["project", "create", "big", "--budget", "9300000000"])
        .await
        .code(2);
    assert!(out.stderr.contains("9300000000"), "{}", out.stderr);
    let list = env.json(&["project", "list"]).await;
    assert_eq!(
        list["projects"],
        serde_json::json!([]),
        "nothing left behind"
    );
    let p = env
        .json(&["project", "create", "big", "--budget", "10"])
        .await;
    assert_eq!(p["budget_usd"], "10");
}

#[tokio::test]
async fn concurrent_creates_of_one_name_have_one_winner() {
    let env = Env::new().await;
    // The library exists already: this is about the create, not the first open.
    env.run(&["project", "list"]).await.ok();
    let budgets = [
        "1", "1000", "5", "7", "9", "11", "13", "17", "19", "23", "29", "31",
    ];
    // A race is won or lost by timing: a few rounds make a lost update likely to show.
    for round in 0..6 {
        let name = format!("race{round}");
        let children: Vec<_> = budgets
            .iter()
            .map(|b| {
                env.command(&["-q", "--json", "project", "create", &name, "--budget", b])
                    .spawn()
                    .expect("spawn")
            })
            .collect();
        let mut winners = Vec::new();
        for (child, b) in children.into_iter().zip(budgets) {
            let out = env.record(child.wait_with_output().await.expect("wait"));
            match out.code {
                0 => winners.push(b),
                2 => assert!(out.stderr.contains("already exists"), "{}", out.stderr),
                _ => panic!("unexpected exit {}: {}", out.code, out.stderr),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one create wins: {winners:?}");
        let p = env.json(&["project", "show", &name]).await;
        assert_eq!(p["budget_usd"], winners[0], "the winner's budget is kept");
    }
}

/// A data dir with one project and one generated image.
async fn library_with_a_generation(env: &mut Env) -> String {
    env.set("PROOFSHEET_OPENAI_API_KEY", KEY);
    mount_openai_ok(&env.server, 10).await;
    env.project("p", "10", "openai:gpt-image-1-mini", "openai:gpt-image-1")
        .await;
    let g = env
        .json(&[
            "generate",
            "--project",
            "p",
            "--prompt",
            "a red fox",
            "--draft",
        ])
        .await;
    assert_eq!(g["status"], "succeeded", "{g}");
    g["generation_id"].as_str().expect("id").to_owned()
}

fn sql(dir: &Path, statement: &str) {
    let c = rusqlite::Connection::open(dir.join(DB)).expect("open db");
    c.execute_batch(statement).expect("sql");
}

#[tokio::test]
async fn a_damaged_request_row_does_not_break_the_gallery() {
    let mut env = Env::new().await;
    let id = library_with_a_generation(&mut env).await;
    sql(
        &env.data_dir(),
        &format!("UPDATE generations SET request_json = '{{1:' WHERE id = '{id}'"),
    );
    let list = env.json(&["gallery", "list"]).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    env.run(&["show", &id]).await.ok();
    let shown = env.json(&["show", &id]).await;
    assert_eq!(shown["generation_id"], id.as_str());
}

#[tokio::test]
async fn a_damaged_database_spends_nothing() {
    let mut env = Env::new().await;
    library_with_a_generation(&mut env).await;
    let dir = env.data_dir();
    let (page_size, root): (i64, i64) = {
        let c = rusqlite::Connection::open(dir.join(DB)).expect("open");
        c.pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .expect("checkpoint");
        (
            c.pragma_query_value(None, "page_size", |r| r.get(0))
                .expect("page size"),
            c.query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'images_page'",
                [],
                |r| r.get(0),
            )
            .expect("root page"),
        )
    };
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join(DB))
            .expect("open file");
        f.seek(SeekFrom::Start(
            u64::try_from((root - 1) * page_size).expect("offset"),
        ))
        .expect("seek");
        f.write_all(&[0xA5; 64]).expect("smash");
    }
    let before = env.requests_to("POST", "/v1/images/generations").await;
    let out = env
        .run(&[
            "generate",
            "--project",
            "p",
            "--prompt",
            "a blue fox",
            "--draft",
        ])
        .await;
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("damaged") && out.stderr.contains("backup"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(DB), "names the file: {}", out.stderr);
    assert_eq!(
        env.requests_to("POST", "/v1/images/generations").await,
        before,
        "no provider call on a damaged library"
    );
}

#[tokio::test]
async fn a_newer_library_is_refused_untouched() {
    let env = Env::new().await;
    env.run(&["project", "list"]).await.ok();
    let dir = env.data_dir();
    sql(&dir, "PRAGMA journal_mode=DELETE; PRAGMA user_version=99;");
    let before = std::fs::read(dir.join(DB)).expect("read");
    let out = env.run(&["project", "list"]).await;
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("newer Proofsheet"), "{}", out.stderr);
    for side in ["-wal", "-shm"] {
        assert!(!dir.join(format!("{DB}{side}")).exists(), "{side} created");
    }
    // Not switched to WAL (the header records it), nor changed in any other byte.
    assert!(
        std::fs::read(dir.join(DB)).expect("read") == before,
        "the file was changed"
    );
}

/// Makes a folder read-only until dropped: a read-only bind mount as root (root ignores
/// permission bits), else `chmod a-w`. `None` when neither works here (test skipped).
struct ReadOnly {
    dir: PathBuf,
    mounted: bool,
}

fn sh(cmd: &str, args: &[&str]) -> bool {
    std::process::Command::new(cmd)
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn chmod_tree(dir: &Path, writable: bool) {
    let mode = if writable { "u+w" } else { "a-w" };
    sh("chmod", &["-R", mode, &dir.to_string_lossy()]);
}

impl ReadOnly {
    fn new(dir: &Path) -> Option<ReadOnly> {
        let is_root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        let d = dir.to_str()?;
        let mounted = if is_root {
            if !sh("mount", &["--bind", d, d]) {
                return None;
            }
            if !sh("mount", &["-o", "remount,bind,ro", d, d]) {
                sh("umount", &[d]);
                return None;
            }
            true
        } else {
            chmod_tree(dir, false);
            false
        };
        let ro = ReadOnly {
            dir: dir.to_path_buf(),
            mounted,
        };
        std::fs::write(dir.join("probe"), b"x")
            .is_err()
            .then_some(ro)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.mounted {
            sh("umount", &[&self.dir.to_string_lossy()]);
        } else {
            chmod_tree(&self.dir, true);
        }
    }
}

#[tokio::test]
async fn a_read_only_library_can_be_browsed_but_not_changed() {
    let mut env = Env::new().await;
    let id = library_with_a_generation(&mut env).await;
    let Some(_ro) = ReadOnly::new(&env.data_dir()) else {
        eprintln!("skipped: cannot make a read-only folder here");
        return;
    };
    let list = env.json(&["project", "list"]).await;
    assert_eq!(list["projects"][0]["name"], "p", "{list}");
    env.json(&["project", "show", "p"]).await;
    let g = env.json(&["gallery", "list"]).await;
    assert_eq!(g["items"].as_array().map(Vec::len), Some(1), "{g}");
    env.json(&["show", &id]).await;
    env.json(&["estimate", "--prompt", "a red fox", "--tier", "draft"])
        .await;
    let out = env.run(&["project", "create", "q", "--budget", "5"]).await;
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("read-only"), "{}", out.stderr);
    let out = env
        .run(&[
            "generate",
            "--project",
            "p",
            "--prompt",
            "a green fox",
            "--draft",
        ])
        .await;
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("read-only"), "{}", out.stderr);
}
