//! Team mode's shapes (issue 18): Settings → Team and the team numbers of a meter.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What joining needs: the server, and optionally the team's image bucket with its key.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TeamJoinInput {
    /// postgres://USER@HOST:PORT/DB (a password inside is moved to the keychain).
    pub db_url: String,
    /// The database password; stored in the OS keychain, never echoed back.
    #[serde(default)]
    pub password: Option<String>,
    /// The team's name, used only when this member creates the team.
    #[serde(default)]
    pub team_name: Option<String>,
    /// The team's image bucket, s3://BUCKET.
    #[serde(default)]
    pub storage: Option<String>,
    /// The bucket's S3-compatible endpoint.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The bucket's access key id (with `storage`).
    #[serde(default)]
    pub storage_key_id: Option<String>,
    /// The bucket's secret access key; stored in the OS keychain, never echoed back.
    #[serde(default)]
    pub storage_secret: Option<String>,
}

impl std::fmt::Debug for TeamJoinInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamJoinInput")
            .field("db_url", &"<redacted>")
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("team_name", &self.team_name)
            .field("storage", &self.storage)
            .field("endpoint", &self.endpoint)
            .field("storage_key_id", &self.storage_key_id)
            .field(
                "storage_secret",
                &self.storage_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

ipc_type! {
    /// This library's team, as Settings → Team shows it. Never holds the password.
    pub struct TeamStatusView {
        pub joined: bool,
        /// The server answered and accepted this member's login just now.
        pub reachable: bool,
        pub team: Option<String>,
        pub member: Option<String>,
        /// "admin" or "member" (known only when reachable).
        pub role: Option<String>,
        pub machine: Option<String>,
        /// postgres://USER@HOST:PORT/DB, without the password.
        pub db: Option<String>,
        pub storage: Option<String>,
        pub endpoint: Option<String>,
        pub schema_version: Option<u32>,
        pub app_schema_version: u32,
        /// Why the server is not usable now (unreachable, wrong password, newer schema),
        /// with what to do next.
        pub error: Option<String>,
    }

    /// A team project's meter: the budget figures of its `ProjectView` are the team's
    /// (server totals); this adds the member's own and whether the server answered.
    pub struct TeamMeterView {
        pub reachable: bool,
        pub member: Option<String>,
        pub member_cap_usd: Option<Decimal>,
        pub member_month_spent_usd: Decimal,
        pub member_reserved_usd: Decimal,
        /// Why the team's numbers are missing (the figures are then this library's own).
        pub error: Option<String>,
    }
}

impl TeamStatusView {
    pub fn not_joined() -> TeamStatusView {
        TeamStatusView {
            joined: false,
            reachable: false,
            team: None,
            member: None,
            role: None,
            machine: None,
            db: None,
            storage: None,
            endpoint: None,
            schema_version: None,
            app_schema_version: team::schema::app_version(),
            error: None,
        }
    }
}

ipc_type! {
    /// The team's spend in a billing period (issue 18 §6): by member, client and project.
    pub struct TeamReportView {
        /// YYYY-MM-DD, UTC days, both included.
        pub from: String,
        pub to: String,
        pub client: Option<String>,
        pub total_usd: Decimal,
        pub by_member: Vec<TeamSpendRow>,
        pub by_client: Vec<TeamSpendRow>,
        pub by_project: Vec<TeamSpendRow>,
        /// One line per generation that spent in the period (what the CSV holds).
        pub lines: Vec<TeamReportLine>,
    }

    pub struct TeamSpendRow {
        /// The member, client ("" for projects without one) or project.
        pub name: String,
        pub spent_usd: Decimal,
        pub generations: u32,
    }

    pub struct TeamReportLine {
        pub date: String,
        pub generation_id: String,
        pub project: String,
        pub client: Option<String>,
        pub member: String,
        pub machine: String,
        pub spent_usd: Decimal,
    }
}

ipc_type! {
    /// Where the window's background catch-up with the team is.
    #[serde(rename_all = "snake_case")]
    pub enum TeamCatchUpPhase {
        /// Not in a team, or in one without an image bucket: nothing to receive.
        Off,
        /// Pushing this machine's outbox and receiving teammates' generations.
        Receiving,
        /// The last pass ended; `received` says what it brought.
        Idle,
        /// The team server (or its bucket) did not answer; retried quietly, nothing lost.
        Unreachable,
    }

    /// The background catch-up's progress, as the status area shows it.
    pub struct TeamCatchUpView {
        pub phase: TeamCatchUpPhase,
        /// The team project being received (while receiving).
        pub project: Option<String>,
        /// Teammates' generations received on this pass so far.
        pub received: u32,
        /// Their images.
        pub images: u32,
        /// Already here (skipped).
        pub skipped: u32,
        /// Items that could not be received on this pass (retried on the next one).
        pub failed: u32,
        /// Why the last pass stopped, with what happens next.
        pub message: Option<String>,
    }
}

impl TeamCatchUpView {
    pub fn off() -> TeamCatchUpView {
        TeamCatchUpView {
            phase: TeamCatchUpPhase::Off,
            project: None,
            received: 0,
            images: 0,
            skipped: 0,
            failed: 0,
            message: None,
        }
    }
}
