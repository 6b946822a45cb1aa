//! Engine errors: classified, with messages that say what happened and what to do next.

/// What the caller (UI, CLI) branches on. Keep this list short (DESIGN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Bad input from the user or a file: fix the input.
    Validation,
    NotFound,
    /// A hard budget would be exceeded: nothing was sent.
    Budget,
    /// The OS keychain is unavailable or refused access.
    Keychain,
    /// A provider refused the key or the account (auth, quota, billing).
    Auth,
    /// The provider failed, blocked the request, or answered nonsense.
    Provider,
    Cancelled,
    Internal,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    pub kind: ErrorKind,
    pub message: String,
}

impl EngineError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
