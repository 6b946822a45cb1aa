//! Exit codes and the CLI's error type. Scripts branch on these numbers, so they are
//! part of the contract (listed in `--help`).

use engine::{EngineError, ErrorKind};

pub const OK: u8 = 0;
/// Anything not covered below (internal errors, IO).
pub const GENERAL: u8 = 1;
/// Bad usage or input (clap uses 2 for its own parse errors too).
pub const USAGE: u8 = 2;
/// A hard budget refused the request; nothing was sent.
pub const BUDGET: u8 = 3;
/// The OS keychain is unavailable or refused access.
pub const KEYCHAIN: u8 = 4;
/// A provider failed, blocked the request, or refused the key or account.
pub const PROVIDER: u8 = 5;
/// Unknown project, offer or generation.
pub const NOT_FOUND: u8 = 6;
/// The team server is unreachable, refused the login or is newer than this app.
pub const TEAM: u8 = 7;
/// Cancelled (Ctrl-C); the reservation was released first.
pub const CANCELLED: u8 = 130;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Usage,
    Budget,
    Keychain,
    Provider,
    NotFound,
    Team,
    Cancelled,
    General,
}

impl Kind {
    pub fn code(self) -> u8 {
        match self {
            Kind::Usage => USAGE,
            Kind::Budget => BUDGET,
            Kind::Keychain => KEYCHAIN,
            Kind::Provider => PROVIDER,
            Kind::NotFound => NOT_FOUND,
            Kind::Team => TEAM,
            Kind::Cancelled => CANCELLED,
            Kind::General => GENERAL,
        }
    }
}

impl From<ErrorKind> for Kind {
    fn from(k: ErrorKind) -> Self {
        match k {
            ErrorKind::Validation => Kind::Usage,
            ErrorKind::NotFound => Kind::NotFound,
            ErrorKind::Budget => Kind::Budget,
            ErrorKind::Keychain => Kind::Keychain,
            ErrorKind::Auth | ErrorKind::Provider => Kind::Provider,
            ErrorKind::Team => Kind::Team,
            ErrorKind::Cancelled => Kind::Cancelled,
            ErrorKind::Internal => Kind::General,
        }
    }
}

/// What went wrong, in words that say what to do next.
#[derive(Debug, Clone)]
pub struct CliError {
    pub kind: Kind,
    /// May hold user or provider text; printed through `output::clean`.
    pub message: String,
    /// Lines the CLI adds (what to do next), each printed on its own line.
    pub hints: Vec<String>,
}

impl CliError {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            hints: Vec::new(),
        }
    }
    pub fn hint(mut self, line: impl Into<String>) -> Self {
        self.hints.push(line.into());
        self
    }
    /// The message and its hints as one text (for `--json`), raw.
    pub fn full_message(&self) -> String {
        let mut s = self.message.clone();
        for h in &self.hints {
            s.push('\n');
            s.push_str(h);
        }
        s
    }
    /// The message for a terminal: user and provider text escaped, one line per hint.
    pub fn display(&self) -> String {
        use crate::output::{clean, normalize_amounts};
        let mut s = clean(&normalize_amounts(&self.message)).into_owned();
        for h in &self.hints {
            s.push('\n');
            s.push_str(&clean(&normalize_amounts(h)));
        }
        s
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }
    pub fn general(message: impl Into<String>) -> Self {
        Self::new(Kind::General, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, message)
    }
}

impl From<EngineError> for CliError {
    fn from(e: EngineError) -> Self {
        Self::new(e.kind.into(), e.message)
    }
}

pub type CliResult<T> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_print_escaped_with_one_line_per_hint() {
        let e = CliError::usage("no project \"a\nb\u{1b}[2J\" for $1.500")
            .hint("make it: `proofsheet-cli project create NAME`");
        assert_eq!(
            e.display(),
            "no project \"a\\nb\\u{1b}[2J\" for $1.5\nmake it: `proofsheet-cli project create NAME`"
        );
        assert!(e.full_message().contains("a\nb\u{1b}[2J"));
    }

    #[test]
    fn every_engine_kind_has_a_documented_code() {
        let cases = [
            (ErrorKind::Validation, 2),
            (ErrorKind::NotFound, 6),
            (ErrorKind::Budget, 3),
            (ErrorKind::Keychain, 4),
            (ErrorKind::Auth, 5),
            (ErrorKind::Provider, 5),
            (ErrorKind::Team, 7),
            (ErrorKind::Cancelled, 130),
            (ErrorKind::Internal, 1),
        ];
        for (kind, code) in cases {
            assert_eq!(Kind::from(kind).code(), code, "{kind:?}");
        }
    }
}
