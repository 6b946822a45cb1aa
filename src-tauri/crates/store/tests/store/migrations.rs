#![allow(clippy::unwrap_used)]

use rusqlite::Connection;
use store::{SCHEMA_VERSION, Store, StoreError};

use crate::common::png;

fn user_version(path: &std::path::Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

#[test]
fn fresh_database_is_at_latest_version_with_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(user_version(store.db_path()), SCHEMA_VERSION);
    let c = Connection::open(store.db_path()).unwrap();
    let mode: String = c
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    store.integrity_check().unwrap();
}

#[test]
fn migrates_a_first_schema_database_with_data_and_backfills_search() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("proofsheet.sqlite3");
    {
        let mut c = Connection::open(&db).unwrap();
        store::migrations().to_version(&mut c, 1).unwrap();
        c.execute_batch(
            "INSERT INTO projects(id, name, created_at) VALUES (1, 'Old', 0);
             INSERT INTO generations(id, project_id, request_json, dedup_key, tier, status, provider,
                model, prompt, created_at)
             VALUES ('00000000-0000-4000-8000-000000000001', 1, '{}', 'k', 'draft', 'succeeded',
                'openai', 'gpt-image-1', 'a lighthouse at dusk', 1);
             INSERT INTO files(id, hash, path, mime, bytes, width, height)
             VALUES (1, 'ab', 'images/x.png', 'image/png', 1, 1, 1);
             INSERT INTO images(generation_id, project_id, file_id, idx, created_at)
             VALUES ('00000000-0000-4000-8000-000000000001', 1, 1, 0, 1);",
        )
        .unwrap();
    }
    assert_eq!(user_version(&db), 1);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(user_version(&db), SCHEMA_VERSION);
    let hits = store
        .search(&store::SearchQuery {
            text: "lighthouse".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        hits.items.len(),
        1,
        "existing rows are indexed by the FTS migration"
    );
    // The row's file is missing on disk: the sweep reports it.
    assert_eq!(
        store.open_sweep_report().missing_files,
        vec!["images/x.png".to_string()]
    );
    let _ = png(1, 1, 0);
}

#[test]
fn refuses_a_database_from_a_newer_binary() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let db = dir.path().join("proofsheet.sqlite3");
    Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    match &err {
        StoreError::DatabaseTooNew {
            found, supported, ..
        } => {
            assert_eq!(*found, SCHEMA_VERSION + 1);
            assert_eq!(*supported, SCHEMA_VERSION);
        }
        other => panic!("expected DatabaseTooNew, got {other:?}"),
    }
    assert!(err.to_string().contains("update Proofsheet"));
    // Untouched: still the newer version.
    assert_eq!(user_version(&db), SCHEMA_VERSION + 1);
}

#[test]
fn reopening_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(user_version(store.db_path()), SCHEMA_VERSION);
}

/// A database at schema 2 (before leases) with a generation left running: it opens,
/// the row has no owner (so recovery treats it as abandoned), and a new owner can claim it.
#[test]
fn migrates_a_schema_2_database_and_running_rows_have_no_owner() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("proofsheet.sqlite3");
    let gid = "00000000-0000-4000-8000-000000000002";
    let json = serde_json::to_string(&crate::common::request("p")).unwrap();
    {
        let mut c = Connection::open(&db).unwrap();
        store::migrations().to_version(&mut c, 2).unwrap();
        c.execute_batch("INSERT INTO projects(id, name, created_at) VALUES (1, 'Old', 0);")
            .unwrap();
        c.execute(
            "INSERT INTO generations(id, project_id, request_json, dedup_key, tier, status,
                provider, model, prompt, created_at)
             VALUES (?1, 1, ?2, 'k', 'draft', 'running', 'bfl', 'flux-dev', 'p', 1)",
            [gid, json.as_str()],
        )
        .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(user_version(&db), SCHEMA_VERSION);
    let running = store.running_generations().unwrap();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].owner, None);
    let id = running[0].generation.id;
    assert!(store.claim_running(id, None, "me").unwrap());
    assert!(
        !store.claim_running(id, None, "other").unwrap(),
        "compare-and-set: a second claimant loses"
    );
    assert_eq!(
        store.running_generations().unwrap()[0].owner.as_deref(),
        Some("me")
    );
}

/// A schema-3 database with ledger history: migration 4 backfills the running totals
/// from it, so budgets keep their spent, reserved and saved money.
#[test]
fn migrating_backfills_running_totals_from_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("proofsheet.sqlite3");
    let json = serde_json::to_string(&crate::common::request("p")).unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    {
        let mut c = Connection::open(&db).unwrap();
        store::migrations().to_version(&mut c, 3).unwrap();
        c.execute_batch(
            "INSERT INTO projects(id, name, created_at) VALUES (1, 'Old', 0), (2, 'Empty', 0);
             INSERT INTO budgets(project_id, amount_nanos, period, hard) VALUES (1, 1000000000, 'total', 1);",
        )
        .unwrap();
        c.execute(
            "INSERT INTO generations(id, project_id, request_json, dedup_key, tier, status,
                provider, model, prompt, created_at)
             VALUES ('00000000-0000-4000-8000-000000000003', 1, ?1, 'k', 'draft', 'running',
                'bfl', 'flux-dev', 'p', 1)",
            [json.as_str()],
        )
        .unwrap();
        c.execute(
            "INSERT INTO ledger(project_id, generation_id, kind, amount_nanos, created_at) VALUES
               (1, '00000000-0000-4000-8000-000000000003', 'reserve', 500000000, ?1),
               (1, '00000000-0000-4000-8000-000000000003', 'charge', 200000000, ?1),
               (1, '00000000-0000-4000-8000-000000000003', 'saving', 30000000, ?1)",
            [now],
        )
        .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(user_version(&db), SCHEMA_VERSION);
    let sum = store.project_summary("Old").unwrap();
    let d = crate::common::d;
    assert_eq!(
        (sum.spent, sum.reserved, sum.saved, sum.remaining),
        (d("0.2"), d("0.3"), d("0.03"), Some(d("0.5")))
    );
    let empty = store.project_summary("Empty").unwrap();
    assert_eq!((empty.spent, empty.reserved), (d("0"), d("0")));
}

/// A schema-4 database with a finished, billed attempt: migration 5 adds the calibration
/// key as NULL for old rows (they teach the estimator nothing), and keyed attempts
/// recorded afterwards are samples.
#[test]
fn migrating_a_schema_4_database_adds_calibration_keys_without_samples() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("proofsheet.sqlite3");
    let gid = "00000000-0000-4000-8000-000000000004";
    let json = serde_json::to_string(&crate::common::request("p")).unwrap();
    {
        let mut c = Connection::open(&db).unwrap();
        store::migrations().to_version(&mut c, 4).unwrap();
        c.execute_batch("INSERT INTO projects(id, name, created_at) VALUES (1, 'Old', 0);")
            .unwrap();
        c.execute(
            "INSERT INTO generations(id, project_id, request_json, dedup_key, tier, status,
                offer_id, provider, model, prompt, created_at)
             VALUES (?1, 1, ?2, 'k', 'draft', 'succeeded', 'openai:gpt-image-1', 'openai',
                'gpt-image-1', 'p', 1)",
            [gid, json.as_str()],
        )
        .unwrap();
        c.execute(
            "INSERT INTO attempts(generation_id, n, provider, model, offer_id, started_at,
                finished_at, outcome, billed, cost_nanos)
             VALUES (?1, 1, 'openai', 'gpt-image-1', 'openai:gpt-image-1', 1, 2, 'succeeded',
                1, 11000000)",
            [gid],
        )
        .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(user_version(&db), SCHEMA_VERSION);
    let id = uuid::Uuid::parse_str(gid).unwrap();
    let old = store.attempts(id).unwrap();
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].cost, crate::common::d("0.011"));
    assert!(
        store.calibration_samples(20).unwrap().is_empty(),
        "attempts from before the migration have no key"
    );

    let p = store.project_by_name("Old").unwrap();
    let g = crate::common::generation(&store, &p, "q");
    let a = store
        .start_attempt_calibrated(
            g,
            &store::NewAttempt {
                provider: vocab::OfferProvider::OpenAi,
                model: "gpt-image-1".into(),
                offer_id: "openai:gpt-image-1".into(),
                remote_job: None,
            },
            Some("1024x1024|q=low|n=1|steps=-|refs=0|standard"),
        )
        .unwrap();
    store
        .finish_attempt(
            a.id,
            &store::AttemptFinish {
                outcome: "succeeded".into(),
                billed: true,
                cost: crate::common::d("0.0812"),
                usage: None,
                error: None,
            },
        )
        .unwrap();
    let samples = store.calibration_samples(20).unwrap();
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].offer_id, "openai:gpt-image-1");
    assert_eq!(samples[0].actual, crate::common::d("0.0812"));
}
