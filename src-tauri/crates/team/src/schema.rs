//! The team schema, created and migrated with refinery (`migrations/V<n>__*.sql`,
//! append-only). Several members may start at once: migration runs under a PostgreSQL
//! advisory lock. A database migrated by a newer app is refused before anything runs.

use tokio_postgres::Client;

use crate::error::{Result, TeamError};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// The advisory lock key the migration holds ("PSTEAM" in ASCII).
const MIGRATION_LOCK: i64 = 0x5053_5445_414d;
/// refinery's history table.
const HISTORY: &str = "refinery_schema_history";

/// The newest schema version this app knows.
pub fn app_version() -> u32 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| m.version())
        .max()
        .unwrap_or(0)
}

/// The version the database is at (0: never migrated).
pub async fn database_version(client: &Client) -> Result<u32> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL",
            &[&format!("public.{HISTORY}")],
        )
        .await?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i32> = client
        .query_one(&format!("SELECT max(version) FROM {HISTORY}"), &[])
        .await?
        .get(0);
    Ok(v.and_then(|v| u32::try_from(v).ok()).unwrap_or(0))
}

/// Refuses a database newer than the app.
pub async fn check_version(client: &Client) -> Result<u32> {
    let (database, app) = (database_version(client).await?, app_version());
    if database > app {
        return Err(TeamError::SchemaNewer { database, app });
    }
    Ok(database)
}

/// Brings the schema up to this app's version; returns the version now in force.
pub async fn migrate(client: &mut Client) -> Result<u32> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let outcome = migrate_locked(client).await;
    // The lock also goes with the session; an explicit unlock keeps a pooled one clean.
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    outcome
}

async fn migrate_locked(client: &mut Client) -> Result<u32> {
    // Up to date: nothing to run (a member without CREATE rights never reaches refinery).
    if check_version(client).await? == app_version() {
        return Ok(app_version());
    }
    embedded::migrations::runner()
        .set_abort_divergent(true)
        .set_abort_missing(true)
        .run_async(client)
        .await
        .map_err(|e| TeamError::Database(format!("migrating the team schema failed: {e}")))?;
    check_version(client).await
}
