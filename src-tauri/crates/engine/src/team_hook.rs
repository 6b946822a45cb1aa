//! The team server as the engine's budget path sees it (issue 18): a trait the
//! embedder implements (the CLI over the `team` crate), kept free of the engine's other
//! modules so `EngineOptions` can carry it. The logic that calls it is `shared`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rust_decimal::Decimal;

/// What the embedder's server side answers.
pub type SharedFuture<'a, T> =
    Pin<Box<dyn Future<Output = std::result::Result<T, SharedError>> + Send + 'a>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedErrorKind {
    /// The team budget or the member's cap refused the amount.
    Budget,
    /// The server cannot be reached (or did not answer in time).
    Unreachable,
    /// Anything else (credentials, schema, a bug).
    Other,
}

#[derive(Debug, Clone)]
pub struct SharedError {
    pub kind: SharedErrorKind,
    /// Says what happened and what to do next; never holds a secret.
    pub message: String,
}

/// A generation's money as the library booked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// Everything charged, unconfirmed included.
    pub cost: Decimal,
    pub unconfirmed: Decimal,
    /// The generation has ended: the server releases what it still holds.
    pub closed: bool,
}

/// The team server, as the budget path sees it.
pub trait SharedLedger: Send + Sync {
    /// Holds `amount` for a generation of team project `project` (additive).
    fn reserve<'a>(
        &'a self,
        project: &'a str,
        generation: &'a str,
        request_hash: &'a str,
        amount: Decimal,
    ) -> SharedFuture<'a, ()>;
    /// Books what the library settled for a generation (idempotent).
    fn sync<'a>(&'a self, generation: &'a str, settled: Settled) -> SharedFuture<'a, ()>;
    /// Generations this machine still holds money for on the server.
    fn open_generations(&self) -> SharedFuture<'_, Vec<String>>;
    /// The team project's meter as every member sees it (`None`: this ledger has none).
    fn meter<'a>(&'a self, project: &'a str) -> SharedFuture<'a, Option<SharedMeter>> {
        let _ = project;
        Box::pin(async { Ok(None) })
    }
}

/// A team project's money on the server (the team's totals, and this member's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedMeter {
    pub budget: Option<Decimal>,
    pub monthly: bool,
    pub hard: bool,
    pub spent: Decimal,
    pub reserved: Decimal,
    pub unconfirmed: Decimal,
    pub saved: Decimal,
    pub remaining: Option<Decimal>,
    pub member: String,
    pub member_cap: Option<Decimal>,
    pub member_month_spent: Decimal,
    pub member_reserved: Decimal,
}

/// `EngineOptions::shared_ledger`: the team server, if this process joined one.
#[derive(Clone, Default)]
pub struct SharedLedgerHook(pub Option<Arc<dyn SharedLedger>>);

impl std::fmt::Debug for SharedLedgerHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "SharedLedger(connected)"
        } else {
            "SharedLedger(none)"
        })
    }
}
