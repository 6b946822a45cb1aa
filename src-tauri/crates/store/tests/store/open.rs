//! Opening a library: concurrent first use, newer or odd versions, read-only copies,
//! damaged files (F11, F15, F18, F19).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use store::{SCHEMA_VERSION, Store, StoreError};

use crate::common::{d, generation, project};

fn db(dir: &Path) -> PathBuf {
    dir.join("proofsheet.sqlite3")
}

fn sidecars(dir: &Path) -> Vec<String> {
    ["-wal", "-shm", "-journal"]
        .iter()
        .map(|s| format!("proofsheet.sqlite3{s}"))
        .filter(|n| dir.join(n).exists())
        .collect()
}

/// A rollback-journal database at `version` with M1's tables, as another program left it.
fn foreign_db(dir: &Path, version: i64) {
    let mut c = Connection::open(db(dir)).unwrap();
    store::migrations().to_version(&mut c, 1).unwrap();
    c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    c.pragma_update(None, "user_version", version).unwrap();
}

#[test]
fn many_threads_opening_a_fresh_dir_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh");
    let handles: Vec<_> = (0..24)
        .map(|_| {
            let p = path.clone();
            std::thread::spawn(move || Store::open(&p).map(|_| ()).map_err(|e| e.to_string()))
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let c = Connection::open(db(&path)).unwrap();
    let v: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
}

#[test]
fn a_newer_database_is_refused_before_anything_writes_to_it() {
    let dir = tempfile::tempdir().unwrap();
    foreign_db(dir.path(), 99);
    let before = std::fs::read(db(dir.path())).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::DatabaseTooNew { found: 99, .. }),
        "{err:?}"
    );
    assert_eq!(sidecars(dir.path()), Vec::<String>::new(), "no -wal/-shm");
    assert_eq!(
        std::fs::read(db(dir.path())).unwrap(),
        before,
        "not a byte changed"
    );
    let mode: String = Connection::open(db(dir.path()))
        .unwrap()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
}

#[test]
fn a_negative_version_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    foreign_db(dir.path(), -1);
    let err = Store::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("schema version -1"), "{err}");
    assert!(err.contains("proofsheet.sqlite3"), "names the file: {err}");
    assert!(err.contains("backup"), "says what to do: {err}");
    assert!(!err.contains("invalid user version"), "{err}");
    assert_eq!(sidecars(dir.path()), Vec::<String>::new());
}

#[test]
fn a_version_that_lies_about_its_tables_gives_a_short_message() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut c = Connection::open(db(dir.path())).unwrap();
        store::migrations().to_version(&mut c, 4).unwrap();
        c.pragma_update(None, "user_version", 3).unwrap();
    }
    let err = Store::open(dir.path()).unwrap_err().to_string();
    assert!(!err.contains("CREATE"), "no SQL: {err}");
    assert!(err.len() < 600, "short: {err}");
    assert!(err.contains("schema version 3"), "{err}");
    assert!(err.contains("project_totals"), "names the clash: {err}");
    assert!(err.contains("backup"), "says what to do: {err}");
}

#[test]
fn a_file_as_data_dir_is_not_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, b"x").unwrap();
    for p in [file.as_path(), Path::new("/dev/null")] {
        let err = Store::open(p).unwrap_err();
        assert!(matches!(err, StoreError::NotAFolder(_)), "{err:?}");
        assert!(err.to_string().contains("is not a folder"), "{err}");
    }
}

/// A corrupted page under a money table: nothing is reserved, and the error names the
/// file and the way out.
#[test]
fn a_damaged_database_refuses_to_reserve() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib");
    let gid = {
        let store = Store::open(&path).unwrap();
        let p = project(&store, "P", None);
        for i in 0..200 {
            generation(
                &store,
                &p,
                &format!("filler prompt number {i} {}", "x".repeat(200)),
            );
        }
        generation(&store, &p, "the one")
    };
    let (page_size, root): (i64, i64) = {
        let c = Connection::open(db(&path)).unwrap();
        c.pragma_update(None, "wal_checkpoint", "TRUNCATE").unwrap();
        (
            c.pragma_query_value(None, "page_size", |r| r.get(0))
                .unwrap(),
            c.query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'generations_project'",
                [],
                |r| r.get(0),
            )
            .unwrap(),
        )
    };
    // Smash the index's root page (not page 1: the file still opens).
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(db(&path))
            .unwrap();
        f.seek(SeekFrom::Start(
            u64::try_from((root - 1) * page_size).unwrap(),
        ))
        .unwrap();
        f.write_all(&[0xA5; 64]).unwrap();
    }
    let store = Store::open(&path).unwrap();
    let p = store.project_by_name("P").unwrap();
    let err = store.reserve(p.id, gid, d("1")).unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("proofsheet.sqlite3"), "{msg}");
    assert!(msg.contains("backup"), "{msg}");
    // Refused every time, not just once.
    assert!(matches!(
        store.reserve(p.id, gid, d("1")).unwrap_err(),
        StoreError::Damaged { .. }
    ));
}

#[test]
fn a_sound_database_reserves_after_the_check() {
    let fx = crate::common::open();
    let p = project(&fx.store, "P", None);
    let g = generation(&fx.store, &p, "x");
    fx.store.reserve(p.id, g, d("1")).unwrap();
    let g2 = generation(&fx.store, &p, "y");
    fx.store.reserve(p.id, g2, d("1")).unwrap();
}

/// One damaged `request_json` does not take the gallery or the detail down with it.
#[test]
fn a_damaged_request_row_is_shown_as_damaged() {
    let fx = crate::common::open();
    let p = project(&fx.store, "P", None);
    let good = generation(&fx.store, &p, "good");
    let bad = generation(&fx.store, &p, "bad one");
    fx.store
        .set_status(bad, store::Status::Running, None)
        .unwrap();
    fx.store
        .persist_image(bad, 0, &crate::common::png(8, 8, 1), None)
        .unwrap();
    Connection::open(fx.store.db_path())
        .unwrap()
        .execute(
            "UPDATE generations SET request_json = '{1:' WHERE id = ?1",
            [bad.to_string()],
        )
        .unwrap();
    let page = fx
        .store
        .gallery_page(&store::GalleryQuery::default())
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let rec = fx.store.generation(bad).unwrap();
    assert_eq!(rec.prompt, "bad one");
    assert_eq!(
        rec.request.prompt, "bad one",
        "rebuilt from the row's columns"
    );
    assert!(
        rec.error.as_deref().unwrap_or_default().contains("damaged"),
        "{:?}",
        rec.error
    );
    let detail = fx.store.generation_detail(bad).unwrap();
    assert_eq!(detail.images.len(), 1);
    assert_eq!(fx.store.generation(good).unwrap().error, None);
}

/// Makes a folder read-only for this process until dropped: a read-only bind mount when
/// running as root (root ignores permission bits), else `chmod a-w`. `None` when neither
/// is possible here (the caller skips).
pub struct ReadOnly {
    dir: PathBuf,
    mounted: bool,
}

fn run(cmd: &str, args: &[&str]) -> bool {
    std::process::Command::new(cmd)
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn set_writable(dir: &Path, writable: bool) {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            set_writable(&p, writable);
        } else {
            let mode = if writable { 0o644 } else { 0o444 };
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    let mode = if writable { 0o755 } else { 0o555 };
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
}

impl ReadOnly {
    pub fn new(dir: &Path) -> Option<ReadOnly> {
        let is_root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        let d = dir.to_str()?;
        let mounted = if is_root {
            if !run("mount", &["--bind", d, d]) {
                return None;
            }
            if !run("mount", &["-o", "remount,bind,ro", d, d]) {
                run("umount", &[d]);
                return None;
            }
            true
        } else {
            set_writable(dir, false);
            false
        };
        let ro = ReadOnly {
            dir: dir.to_path_buf(),
            mounted,
        };
        // Really read-only, or the test would prove nothing.
        std::fs::write(dir.join("probe"), b"x")
            .is_err()
            .then_some(ro)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.mounted {
            run("umount", &[&self.dir.to_string_lossy()]);
        } else {
            set_writable(&self.dir, true);
        }
    }
}

#[test]
fn a_read_only_library_can_be_browsed_but_not_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib");
    let gid = {
        let store = Store::open(&path).unwrap();
        let p = project(&store, "P", None);
        let g = generation(&store, &p, "lighthouse");
        store.set_status(g, store::Status::Running, None).unwrap();
        store
            .persist_image(g, 0, &crate::common::png(8, 8, 1), None)
            .unwrap();
        store.set_status(g, store::Status::Succeeded, None).unwrap();
        g
    };
    // Closed cleanly: no -shm, so a WAL file on a read-only medium needs `immutable`.
    assert_eq!(sidecars(&path), Vec::<String>::new());
    let Some(_ro) = ReadOnly::new(&path) else {
        eprintln!("skipped: cannot make a read-only folder here");
        return;
    };
    let store = Store::open(&path).unwrap();
    assert!(store.is_read_only());
    assert_eq!(store.list_projects().unwrap().len(), 1);
    let page = store.gallery_page(&store::GalleryQuery::default()).unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(store.generation_detail(gid).unwrap().images.len(), 1);
    let err = store
        .create_project(&store::NewProject {
            name: "Q".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly(_)), "{err:?}");
    assert!(err.to_string().contains("read-only"), "{err}");
}
