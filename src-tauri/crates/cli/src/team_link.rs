//! This library's link to a team (issue 18): the engine's `team_link` (shared with the
//! window), with errors in the CLI's classes. The password lives in the keychain.

use std::path::Path;

use team::{ErrorClass, Team, TeamError};

use crate::exit::{CliError, CliResult, Kind};

pub use engine::team_link::{Link, TeamConfig};

pub fn load(data_dir: &Path) -> CliResult<Option<TeamConfig>> {
    Ok(engine::team_link::load(data_dir)?)
}

pub fn cli_error(e: TeamError) -> CliError {
    let kind = match e.class() {
        ErrorClass::Budget | ErrorClass::Approval => Kind::Budget,
        ErrorClass::NotFound => Kind::NotFound,
        ErrorClass::Forbidden | ErrorClass::Invalid => Kind::Usage,
        ErrorClass::Unreachable | ErrorClass::Auth | ErrorClass::Schema => Kind::Team,
        ErrorClass::Internal => Kind::General,
    };
    CliError::new(kind, e.to_string())
}

/// Connects as the member this library joined as.
pub async fn connect(c: &TeamConfig, service: &str) -> CliResult<Team> {
    Ok(engine::team_link::connect(c, service).await?)
}

/// The team bucket's settings with the keychain's access key (`None`: no storage).
pub async fn storage_config(
    c: &TeamConfig,
    service: &str,
) -> CliResult<Option<team::StorageConfig>> {
    Ok(engine::team_link::storage_config(c, service).await?)
}
