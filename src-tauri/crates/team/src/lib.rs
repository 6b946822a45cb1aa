//! Team mode, the shared side: one PostgreSQL database is the only writer of a studio's
//! money. Team projects keep their budgets, per-member caps and one ledger there; each
//! member's local SQLite library stays the working copy of everything else.
//!
//! - [`schema`]: created and migrated with refinery, under an advisory lock; a database
//!   migrated by a newer app is refused ([`TeamError::SchemaNewer`]).
//! - [`Team`]: a connected member (who, on which machine). Identity is the PostgreSQL
//!   role: each designer logs in with their own role, and the first to join a database
//!   creates the team and is its admin.
//! - [`ledger`]: reserve / sync (charge, unconfirmed, confirm, refund, release) with the
//!   local ledger's semantics, each one transaction under `SELECT … FOR UPDATE` on the
//!   project's row, so members on different machines can never overrun a hard budget.
//! - [`approvals`]: approval of spend above a project's threshold (admins decide; the
//!   requester claims an approved request once).
//!
//! No tauri, no engine: the engine reaches this crate through its `SharedLedger` hook.

mod admin;
pub mod approvals;
mod db;
mod error;
pub mod gallery;
pub mod ledger;
pub mod reports;
pub mod schema;
pub mod storage;
#[cfg(feature = "test-support")]
pub mod testing;
#[cfg(feature = "test-support")]
pub mod testing_s3;
mod url;

use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use admin::{Member, ProjectBudget, Role};
pub use approvals::{Approval, ApprovalAsk, ApprovalState, Gate};
pub use error::{ErrorClass, Result, TeamError};
pub use gallery::{Published, PublishedImage};
pub use ledger::{Audit, Meter, Reservation, Ticket};
pub use reports::{Report, ReportLine, SpendRow};
pub use storage::{Storage, StorageConfig};
pub use url::{DbUrl, split_password};

/// A member connected to the team server.
pub struct Team {
    conn: db::Conn,
    team_id: i64,
    team_name: String,
    member: Member,
    machine: String,
}

/// What [`Team::status`] reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub team: String,
    pub member: String,
    pub role: Role,
    pub schema_version: u32,
    pub app_schema_version: u32,
    pub machine: String,
}

fn config(url: &str, password: Option<&str>) -> Result<tokio_postgres::Config> {
    let mut c = tokio_postgres::Config::from_str(url)
        .map_err(|e| TeamError::Invalid(format!("the team database URL is not valid: {e}")))?;
    if let Some(p) = password {
        c.password(p);
    }
    Ok(c)
}

impl Team {
    /// Connects as an existing member (migrating the schema if this app is newer).
    pub async fn connect(url: &str, password: Option<&str>, machine: &str) -> Result<Team> {
        Self::open(url, password, machine, None).await
    }

    /// Connects and joins: the first member of an empty database creates the team
    /// `team_name` and is its admin; later ones join the existing team as members.
    pub async fn join(
        url: &str,
        password: Option<&str>,
        machine: &str,
        team_name: &str,
    ) -> Result<Team> {
        Self::open(url, password, machine, Some(team_name)).await
    }

    async fn open(
        url: &str,
        password: Option<&str>,
        machine: &str,
        join: Option<&str>,
    ) -> Result<Team> {
        if machine.trim().is_empty() {
            return Err(TeamError::Invalid("a machine id is required".into()));
        }
        let conn = db::Conn::new(config(url, password)?);
        let (team_id, team_name, member) = conn
            .run(async |c| {
                schema::migrate(c).await?;
                admin::identify(c, join).await
            })
            .await?;
        Ok(Team {
            conn,
            team_id,
            team_name,
            member,
            machine: machine.to_owned(),
        })
    }

    pub fn member(&self) -> &Member {
        &self.member
    }

    pub fn machine(&self) -> &str {
        &self.machine
    }

    pub fn team_name(&self) -> &str {
        &self.team_name
    }

    /// Reachability, schema version and who this member is (one round trip).
    pub async fn status(&self) -> Result<Status> {
        let schema_version = self
            .conn
            .run(async |c| schema::check_version(c).await)
            .await?;
        Ok(Status {
            team: self.team_name.clone(),
            member: self.member.name.clone(),
            role: self.member.role,
            schema_version,
            app_schema_version: schema::app_version(),
            machine: self.machine.clone(),
        })
    }

    fn require_admin(&self, action: &'static str) -> Result<()> {
        if self.member.role == Role::Admin {
            Ok(())
        } else {
            Err(TeamError::Forbidden { action })
        }
    }

    /// Leaves the team: the member row is deactivated (its ledger rows stay).
    pub async fn leave(&self) -> Result<()> {
        let id = self.member.id;
        self.conn
            .run(async |c| {
                c.execute("UPDATE members SET active = false WHERE id = $1", &[&id])
                    .await?;
                Ok(())
            })
            .await
    }
}

/// The config the connection was opened with, for a one-off check without a member
/// (`team status` when the member row is gone).
pub async fn probe(url: &str, password: Option<&str>) -> Result<u32> {
    let conn = db::Conn::new(config(url, password)?);
    let _ = conn.config();
    conn.run(async |c| schema::check_version(c).await).await
}
