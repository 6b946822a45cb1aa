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
    /// The team server is unreachable, refused the login, or is newer than this app.
    Team,
    Cancelled,
    Internal,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    pub kind: ErrorKind,
    pub message: String,
    /// The input field a validation error concerns, so a form marks it without
    /// reading the message.
    pub field: Option<vocab::ErrorField>,
    /// The lower-level error this one came from (an `io::Error` inside a store error),
    /// for logs and debugging; it never crosses IPC (the message already says it).
    #[source]
    pub source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl EngineError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            field: None,
            source: None,
        }
    }
    /// Keeps `cause` as this error's source (see `source`).
    pub fn caused_by(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(std::sync::Arc::new(cause));
        self
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }
    /// A validation error about one input field.
    pub fn invalid(field: vocab::ErrorField, message: impl Into<String>) -> Self {
        Self::validation(message).with_field(field)
    }
    pub fn with_field(mut self, field: vocab::ErrorField) -> Self {
        self.field = Some(field);
        self
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    pub fn budget(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Budget, message)
    }
    pub fn provider(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Provider, message)
    }
    pub fn cancelled() -> Self {
        Self::new(
            ErrorKind::Cancelled,
            "cancelled; nothing more will be charged",
        )
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl From<store::StoreError> for EngineError {
    fn from(e: store::StoreError) -> Self {
        use store::StoreError as S;
        let kind = match &e {
            S::BudgetExceeded { .. } | S::ChargeExceedsReservation { .. } => ErrorKind::Budget,
            S::NotFound { .. } => ErrorKind::NotFound,
            S::ProjectExists(_)
            | S::NotAFolder(_)
            | S::InvalidMoney { .. }
            | S::InvalidInput(_)
            | S::UnsupportedImage(_) => ErrorKind::Validation,
            _ => ErrorKind::Internal,
        };
        let field = matches!(e, S::ProjectExists(_)).then_some(vocab::ErrorField::Name);
        Self {
            field,
            ..Self::new(kind, e.to_string())
        }
        .caused_by(e)
    }
}

impl From<keys::KeyError> for EngineError {
    fn from(e: keys::KeyError) -> Self {
        let kind = match &e {
            keys::KeyError::UnknownProvider(_) | keys::KeyError::InvalidSecret { .. } => {
                ErrorKind::Validation
            }
            _ => ErrorKind::Keychain,
        };
        let field = match &e {
            keys::KeyError::UnknownProvider(_) => Some(vocab::ErrorField::Provider),
            keys::KeyError::InvalidSecret { .. } => Some(vocab::ErrorField::Key),
            _ => None,
        };
        Self {
            field,
            ..Self::new(kind, e.to_string())
        }
        .caused_by(e)
    }
}

impl From<pricing::CatalogError> for EngineError {
    fn from(e: pricing::CatalogError) -> Self {
        Self::invalid(vocab::ErrorField::Catalog, e.to_string()).caused_by(e)
    }
}

impl From<tokio::task::JoinError> for EngineError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::internal(format!("a background task failed: {e}")).caused_by(e)
    }
}

static HOPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many blocking store trips ([`blocking`]: store, keychain and file work that must
/// not stall the async workers) this process has made, so tests and benches can count
/// them per generation (issue 17); one relaxed add, nothing to measure.
#[doc(hidden)]
pub fn blocking_hops() -> u64 {
    HOPS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs blocking store/keychain work off the async runtime.
///
/// Not `block_in_place`, though it saves this round trip's two thread hand-offs (issue
/// 17 tried it): with it, the CLI panicked at exit in two of the faults suite's fal
/// scenarios ("a Tokio context was found, but it is being shutdown", from a worker): a
/// task still running while the runtime shut down. A `spawn_blocking` task is dropped.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    HOPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tokio::task::spawn_blocking(f).await?
}

/// Runs one store operation off the async threads.
pub(crate) async fn on_store<T, F>(store: &store::Store, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&store::Store) -> store::Result<T> + Send + 'static,
{
    let s = store.clone();
    blocking(move || f(&s).map_err(EngineError::from)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    /// A store trip does not stall the runtime: with ONE worker, a task that only another
    /// task can unblock still finishes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn a_worker_blocked_in_a_store_trip_leaves_the_runtime_serving_others() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = std::sync::mpsc::channel::<()>();
        let blocked = tokio::spawn(async move {
            blocking(move || {
                let _ = started_tx.send(());
                rx.recv_timeout(std::time::Duration::from_secs(30))
                    .map_err(|_| EngineError::internal("nobody else ran"))
            })
            .await
        });
        // The test's own thread is not the worker: waiting here blocks nothing it needs.
        started.recv().expect("the store trip started");
        let other = tokio::spawn(async move { tx.send(()) });
        other.await.expect("joined").expect("sent");
        blocked
            .await
            .expect("joined")
            .expect("unblocked by the other task");
    }

    /// A store trip never runs on the thread that awaits it (a current-thread runtime's
    /// only thread would stall every other task meanwhile).
    #[tokio::test(flavor = "current_thread")]
    async fn a_store_trip_on_a_current_thread_runtime_goes_to_the_pool() {
        let here = std::thread::current().id();
        let there = blocking(|| Ok(std::thread::current().id())).await;
        assert_ne!(there.expect("ran"), here);
    }

    #[test]
    fn the_cause_is_kept_as_the_source() {
        let e = EngineError::from(keys::KeyError::UnknownProvider("nope".into()));
        assert_eq!(e.kind, ErrorKind::Validation);
        let source = e.source().expect("the key error is kept");
        assert!(source.to_string().contains("unknown provider `nope`"));
        assert!(EngineError::validation("plain").source().is_none());
    }
}
