//! `proofsheet-cli team …` (issue 18). Names here are a public contract.

use clap::{Args, Subcommand};
use rust_decimal::Decimal;

use crate::parse::parse_budget;

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Join the studio's team database (the first member creates the team and is its
    /// admin). The password goes to the OS keychain, never to a file.
    #[command(after_help = "\
Examples:
  echo \"$PASSWORD\" | proofsheet-cli team join --db postgres://ana@db.studio:5432/proofsheet --password-stdin
  proofsheet-cli team join --db postgres://ana@db.studio/proofsheet --storage s3://studio-images \\
      --endpoint https://s3.studio.example --password-stdin < password.txt

A password inside the URL is accepted, moved to the keychain and removed from the URL,
but it may stay in your shell history: prefer --password-stdin.")]
    Join(TeamJoinArgs),
    /// Is the team server reachable? Schema version, team, member, role, this machine
    Status,
    /// Leave the team on this library: settles what this machine still holds on the
    /// server, then removes the keychain password and the team config
    Leave,
    /// Catch up: push this machine's unpublished generations to the team's storage, then
    /// receive teammates' generations of every team project into this library
    Sync(TeamSyncArgs),
    /// Team projects: budgets and caps on the server (admins), use them here (members)
    #[command(subcommand)]
    Project(TeamProjectCommand),
    /// Requests waiting for an admin's approval: the team's (admins) or your own
    Approvals(crate::team_approval_args::ApprovalsArgs),
    /// Approve a request (admins): the requester's job then runs, once
    Approve(crate::team_approval_args::ApprovalIdArgs),
    /// Refuse a request with a reason the requester is shown (admins); nothing is charged
    Refuse(crate::team_approval_args::RefuseArgs),
    /// Withdraw a request of yours that is still waiting
    Withdraw(crate::team_approval_args::ApprovalIdArgs),
    /// Wait again for a request this library asked before a restart, and run it once
    /// approved (without ID: list this library's waiting requests)
    Resume(crate::team_approval_args::ResumeArgs),
    /// The team's spend in a billing period by member, client and project (--csv: the
    /// period's lines, one per generation, for an invoice)
    #[command(after_help = "\
Examples:
  proofsheet-cli team report --from 2026-11-01 --to 2026-11-30
  proofsheet-cli team report --from 2026-11-01 --to 2026-11-30 --client \"Halde & Co.\" --csv > halde-2026-11.csv")]
    Report(TeamReportArgs),
}

#[derive(Debug, Args)]
pub struct TeamReportArgs {
    /// First day of the period, YYYY-MM-DD (UTC)
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Last day of the period, YYYY-MM-DD (UTC), included
    #[arg(long, value_name = "DATE")]
    pub to: String,
    /// Only this client's projects
    #[arg(long, value_name = "NAME")]
    pub client: Option<String>,
    /// Print the period's lines as CSV instead of the summary
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Args)]
pub struct TeamJoinArgs {
    /// The team database: postgres://USER@HOST:PORT/DBNAME
    #[arg(long, value_name = "URL")]
    pub db: String,
    /// Read the database password from stdin (one line)
    #[arg(long)]
    pub password_stdin: bool,
    /// The team's name, used only when this member creates the team
    #[arg(long, default_value = "Studio")]
    pub team: String,
    /// The team's image bucket, s3://BUCKET: images are shared there (team-wide dedup,
    /// catch-up). Needs --storage-key-id and --storage-secret-stdin
    #[arg(long, value_name = "s3://BUCKET", requires_all = ["storage_key_id", "storage_secret_stdin"])]
    pub storage: Option<String>,
    /// The S3-compatible endpoint of the bucket
    #[arg(long, value_name = "URL", requires = "storage")]
    pub endpoint: Option<String>,
    /// The bucket's access key id (kept in the keychain with its secret)
    #[arg(long, value_name = "ID", requires = "storage")]
    pub storage_key_id: Option<String>,
    /// Read the bucket's secret key from stdin (the line after the password when
    /// --password-stdin is given too)
    #[arg(long, requires = "storage")]
    pub storage_secret_stdin: bool,
}

#[derive(Debug, Args)]
pub struct TeamSyncArgs {
    /// Keep polling, one pass every SECONDS, until interrupted
    #[arg(long, value_name = "SECONDS")]
    pub watch: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum TeamProjectCommand {
    /// Create a team project or set its budget (admins), and use it in this library
    Create(TeamProjectArgs),
    /// Use an existing team project in this library (its money goes through the server)
    Use { name: String },
    /// The project's meter as the whole team sees it, and the ledger's audit
    Show { name: String },
    /// List the team's projects
    List,
    /// Require an admin's approval for requests whose worst case exceeds USD (admins)
    Approval(crate::team_approval_args::ThresholdArgs),
}

#[derive(Debug, Args)]
pub struct TeamProjectArgs {
    pub name: String,
    /// Budget in USD for the whole team
    #[arg(long, value_parser = parse_budget)]
    pub budget: Option<Decimal>,
    /// The budget is per calendar month (UTC) instead of in total
    #[arg(long)]
    pub monthly: bool,
    /// Warn instead of refusing past the budget (the default is hard)
    #[arg(long)]
    pub soft: bool,
    /// Each member's monthly cap in USD on this project
    #[arg(long, value_parser = parse_budget, value_name = "USD")]
    pub member_cap: Option<Decimal>,
    #[arg(long)]
    pub client: Option<String>,
}
