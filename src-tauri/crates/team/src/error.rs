//! Team errors, classified so the engine and the CLI can say what to do next. No
//! message carries a password: connection errors are reported by kind, never echoing
//! the connection string.

use rust_decimal::Decimal;

pub type Result<T> = std::result::Result<T, TeamError>;

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// The server cannot be reached (down, refused, timed out, connection lost).
    #[error(
        "the team server cannot be reached ({reason}); team projects refuse paid work until it is \
         back — check the network or ask the studio's admin; solo projects keep working"
    )]
    Unreachable { reason: String },
    /// The server answered but refused the credentials.
    #[error(
        "the team server refused the login ({reason}); run `team join` again with the right password"
    )]
    AuthFailed { reason: String },
    /// The database was migrated by a newer Proofsheet.
    #[error(
        "the team database has schema version {database}, newer than this app's {app}; update \
         Proofsheet on this machine before using the team"
    )]
    SchemaNewer { database: u32, app: u32 },
    #[error(
        "not sent: this request needs up to ${needed} but only ${remaining} is left of the team \
         project's ${budget} budget (${spent} spent, ${reserved} held for jobs in flight across the \
         team); ask an admin to raise the budget, or pick a cheaper offer"
    )]
    BudgetExceeded {
        budget: Decimal,
        spent: Decimal,
        reserved: Decimal,
        remaining: Decimal,
        needed: Decimal,
    },
    #[error(
        "not sent: this request needs up to ${needed} but only ${remaining} is left of your \
         ${cap} monthly cap on this team project; ask an admin to raise your cap"
    )]
    MemberCapExceeded {
        cap: Decimal,
        remaining: Decimal,
        needed: Decimal,
    },
    /// The reservation's worst case exceeds the project's approval threshold and no
    /// approved request was presented: nothing was reserved.
    #[error(
        "this request's worst case ${estimate} is above the team project's approval threshold \
         ${threshold}: it needs a team admin's approval before anything is reserved or sent"
    )]
    NeedsApproval {
        threshold: Decimal,
        estimate: Decimal,
    },
    /// The approved request is claimed by another generation (another process of this
    /// library runs it), or is no longer approved.
    #[error(
        "request {id} was approved and is run by another process of this library (or is no \
         longer approved); nothing was sent from this one"
    )]
    ApprovalTaken { id: i64 },
    #[error("{what} {name:?} not found on the team server")]
    NotFound { what: &'static str, name: String },
    #[error("only a team admin can {action}")]
    Forbidden { action: &'static str },
    #[error("{0}")]
    Invalid(String),
    /// Any other database error (a bug or a damaged database).
    #[error("team database error: {0}")]
    Database(String),
}

/// The classes the engine and the CLI branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    Unreachable,
    Auth,
    Schema,
    Budget,
    /// Needs an admin's approval first (or the approval was taken).
    Approval,
    NotFound,
    Forbidden,
    Invalid,
    Internal,
}

impl TeamError {
    pub fn class(&self) -> ErrorClass {
        match self {
            TeamError::Unreachable { .. } => ErrorClass::Unreachable,
            TeamError::AuthFailed { .. } => ErrorClass::Auth,
            TeamError::SchemaNewer { .. } => ErrorClass::Schema,
            TeamError::BudgetExceeded { .. } | TeamError::MemberCapExceeded { .. } => {
                ErrorClass::Budget
            }
            TeamError::NeedsApproval { .. } | TeamError::ApprovalTaken { .. } => {
                ErrorClass::Approval
            }
            TeamError::NotFound { .. } => ErrorClass::NotFound,
            TeamError::Forbidden { .. } => ErrorClass::Forbidden,
            TeamError::Invalid(_) => ErrorClass::Invalid,
            TeamError::Database(_) => ErrorClass::Internal,
        }
    }
}

impl From<tokio_postgres::Error> for TeamError {
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            let code = db.code();
            use tokio_postgres::error::SqlState;
            if *code == SqlState::INVALID_PASSWORD
                || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            {
                return TeamError::AuthFailed {
                    reason: db.message().to_owned(),
                };
            }
            // The server is going away (admin shutdown, crash recovery, too many clients).
            if *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
                || *code == SqlState::CANNOT_CONNECT_NOW
                || *code == SqlState::TOO_MANY_CONNECTIONS
            {
                return TeamError::Unreachable {
                    reason: db.message().to_owned(),
                };
            }
            // A role check of the database itself (V4's triggers): an admin-only action.
            if *code == SqlState::INSUFFICIENT_PRIVILEGE {
                return TeamError::Forbidden {
                    action: "do this (the team database refused it for your role)",
                };
            }
            return TeamError::Database(format!("{} ({})", db.message(), code.code()));
        }
        // No server error: the connection itself failed or closed.
        if e.is_closed() || std::error::Error::source(&e).is_some() {
            return TeamError::Unreachable {
                reason: io_reason(&e),
            };
        }
        TeamError::Database(e.to_string())
    }
}

/// A short reason for a connection failure, without the connection string.
fn io_reason(e: &tokio_postgres::Error) -> String {
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io.kind().to_string();
        }
        src = s.source();
    }
    if e.is_closed() {
        "connection closed".to_owned()
    } else {
        "connection failed".to_owned()
    }
}
