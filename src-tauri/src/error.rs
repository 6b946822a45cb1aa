//! The one error that crosses IPC: `{kind, message}` with only the kinds the UI
//! branches on (DESIGN.md §4). Messages are written for designers.

use engine::{EngineError, ErrorKind};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AppErrorKind {
    Validation,
    NotFound,
    Budget,
    Keychain,
    Auth,
    Provider,
    Team,
    Cancelled,
    Internal,
}

#[derive(Debug, Clone, Serialize, specta::Type, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: AppErrorKind,
    pub message: String,
    /// The input field a validation error concerns; the form marks it (never parsed
    /// out of `message`).
    pub field: Option<engine::api::ErrorField>,
}

impl AppError {
    pub fn new(kind: AppErrorKind, message: impl Into<String>) -> Self {
        AppError {
            kind,
            message: message.into(),
            field: None,
        }
    }
}

impl From<EngineError> for AppError {
    fn from(e: EngineError) -> Self {
        let kind = match e.kind {
            ErrorKind::Validation => AppErrorKind::Validation,
            ErrorKind::NotFound => AppErrorKind::NotFound,
            ErrorKind::Budget => AppErrorKind::Budget,
            ErrorKind::Keychain => AppErrorKind::Keychain,
            ErrorKind::Auth => AppErrorKind::Auth,
            ErrorKind::Provider => AppErrorKind::Provider,
            ErrorKind::Team => AppErrorKind::Team,
            ErrorKind::Cancelled => AppErrorKind::Cancelled,
            ErrorKind::Internal => AppErrorKind::Internal,
        };
        AppError {
            kind,
            message: e.message,
            field: e.field,
        }
    }
}

pub type CmdResult<T> = Result<T, AppError>;
