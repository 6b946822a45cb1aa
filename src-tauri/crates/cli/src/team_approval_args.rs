//! `proofsheet-cli team approvals|approve|refuse|withdraw|resume` and
//! `team project approval` (issue 18 item 5). Names here are a public contract.

use clap::Args;
use rust_decimal::Decimal;

use crate::parse::parse_budget;

#[derive(Debug, Args)]
pub struct ApprovalsArgs {
    /// Also list decided, withdrawn and expired requests
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ApprovalIdArgs {
    /// The request's id (from `team approvals`)
    pub id: i64,
}

#[derive(Debug, Args)]
pub struct RefuseArgs {
    pub id: i64,
    /// Why: the requester is shown it
    #[arg(long, value_name = "TEXT")]
    pub why: String,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    pub id: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("threshold").required(true).args(["over", "off"])))]
pub struct ThresholdArgs {
    /// The team project
    pub name: String,
    /// Requests whose worst case exceeds this many USD wait for an admin
    #[arg(long, value_parser = parse_budget, value_name = "USD")]
    pub over: Option<Decimal>,
    /// No approval needed on this project
    #[arg(long)]
    pub off: bool,
}
