//! A version of the library's configuration rows (projects, policies, settings), so the
//! engine can keep what it reads of a project at the start of every generation and skip
//! that read while nothing changed (issue 17).
//!
//! Two parts, both read on the writer connection: a counter bumped by TEMP triggers on
//! every insert, update and delete of those tables made through this connection (they
//! live only in this connection, never in the file; a rolled-back change rolls the
//! counter back with it), and `PRAGMA data_version`, which moves when any other
//! connection (the CLI, a second app) commits. Together they change whenever a committed
//! configuration row may have changed; a spurious change only costs a fresh read.

use rusqlite::Connection;

use crate::Store;
use crate::error::Result;

const TABLES: [&str; 3] = ["projects", "policies", "settings"];

/// The configuration's version as seen by one store; equal versions mean the rows read
/// under the first are still current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigVersion {
    own: i64,
    outside: i64,
}

/// Creates the counter and its triggers on the writer connection.
pub(crate) fn install(conn: &Connection) -> Result<()> {
    let mut sql = String::from(
        "PRAGMA temp_store = MEMORY;
         CREATE TEMP TABLE IF NOT EXISTS config_writes(n INTEGER NOT NULL);
         INSERT INTO temp.config_writes(n) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM temp.config_writes);",
    );
    for table in TABLES {
        for op in ["INSERT", "UPDATE", "DELETE"] {
            sql.push_str(&format!(
                "CREATE TEMP TRIGGER IF NOT EXISTS config_{table}_{op} AFTER {op} ON main.{table}
                 BEGIN UPDATE temp.config_writes SET n = n + 1; END;"
            ));
        }
    }
    conn.execute_batch(&sql)?;
    Ok(())
}

fn read(conn: &Connection) -> Result<ConfigVersion> {
    let own = conn
        .prepare_cached("SELECT n FROM temp.config_writes")?
        .query_row([], |r| r.get(0))?;
    let outside = conn
        .prepare_cached("PRAGMA data_version")?
        .query_row([], |r| r.get(0))?;
    Ok(ConfigVersion { own, outside })
}

impl Store {
    /// The configuration's version, without waiting: `None` when the writer is busy
    /// (a transaction is running) or the store is read-only; ask [`Store::config_version`]
    /// from a blocking context then. Cheap: two statements on the writer, no disk IO.
    pub fn config_version_now(&self) -> Option<ConfigVersion> {
        let conn = self.inner.writer.as_ref()?.try_lock()?;
        read(&conn).ok()
    }

    /// The configuration's version (blocks while a write transaction runs). Read it
    /// BEFORE the rows it versions: a change committed in between then shows as a new
    /// version, never as old rows under the new one. `None` on a read-only store.
    pub fn config_version(&self) -> Result<Option<ConfigVersion>> {
        match &self.inner.writer {
            Some(w) => read(&w.lock()).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{NewProject, Store};

    fn version(s: &Store) -> super::ConfigVersion {
        s.config_version().expect("read").expect("writable")
    }

    fn draft(project_id: crate::ProjectId, prompt: &str) -> crate::NewGeneration {
        crate::NewGeneration {
            project_id,
            request: crate::CanonicalRequest {
                prompt: prompt.into(),
                provider: "x".into(),
                model: "y".into(),
                n: 1,
                ..Default::default()
            },
            tier: crate::Tier::Draft,
            parent_id: None,
            offer_id: None,
            estimate: None,
            seed_honoured: true,
        }
    }

    #[test]
    fn own_and_outside_configuration_writes_change_the_version_and_others_do_not() {
        let dir = tempfile::tempdir().expect("tmp");
        let s = Store::open(dir.path()).expect("open");
        let v0 = version(&s);
        assert_eq!(s.config_version_now(), Some(v0), "the writer is free");
        let p = s
            .create_project(&NewProject {
                name: "a".into(),
                ..NewProject::default()
            })
            .expect("project")
            .id;
        let v1 = version(&s);
        assert_ne!(v0, v1, "a project written");
        s.set_setting("x", &serde_json::json!(true)).expect("set");
        let v2 = version(&s);
        assert_ne!(v1, v2, "a setting written");
        // A write to another table (a generation's row) leaves it alone.
        s.create_generation(&draft(p, "p")).expect("generation");
        assert_eq!(version(&s), v2, "not a configuration row");
        let g = uuid::Uuid::new_v4();
        let send = crate::SendNow {
            attempt: crate::NewAttempt {
                provider: vocab::OfferProvider::OpenAi,
                model: "m".into(),
                offer_id: "openai:m".into(),
                remote_job: None,
            },
            calibration_key: None,
            expected: rust_decimal::Decimal::ONE,
        };
        let b = s
            .begin_generation(
                g,
                &draft(p, "q"),
                "me",
                crate::Start::Claim,
                Some((p, rust_decimal::Decimal::ONE)),
                Some(&send),
            )
            .expect("begin");
        assert!(b.sent.is_some());
        assert_eq!(version(&s), v2, "not a configuration row either");
        s.write_then_sync(|_| Ok(())).expect("sent-like");
        s.wait_wal_synced();
        let _ = s.config_version_now();
        // Another connection (as the CLI beside the app) changing a policy.
        let other = Store::open(dir.path()).expect("second store");
        other
            .set_setting("x", &serde_json::json!(false))
            .expect("outside write");
        drop(other);
        let v3 = s.config_version_now();
        assert_ne!(v3, Some(v2), "an outside write");
        assert_eq!(v3, Some(version(&s)), "and it stays put");
    }
}
