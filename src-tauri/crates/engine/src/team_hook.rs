//! The team server as the engine's budget path sees it (issue 18): a trait the
//! embedder implements (the CLI over the `team` crate), kept free of the engine's other
//! modules so `EngineOptions` can carry it. The logic that calls it is `shared`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::api::{TeamApprovalView, TeamApprovals};

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
    /// Approval of spend, when this connection supports it (none: never needed).
    fn approvals(&self) -> Option<&dyn SharedApprovals> {
        None
    }
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

/// A request for an admin's approval (issue 18 item 5), before anything is reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalAsk {
    pub project: String,
    pub prompt_summary: String,
    pub offer: String,
    /// The worst case the reservation would hold.
    pub estimate: Decimal,
}

/// Where an approval request stands on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalCheck {
    Pending,
    Approved,
    Refused {
        by: Option<String>,
        reason: String,
    },
    Cancelled,
    /// Already taken to run (by this library's other process, or before a crash).
    Claimed,
    Expired,
}

fn no_approvals<T>() -> std::result::Result<T, SharedError> {
    Err(SharedError {
        kind: SharedErrorKind::Other,
        message: "this team connection does not support approvals".into(),
    })
}

/// Approval of spend on the team server. The defaults say "no approval needed", so a
/// `SharedLedger` that does not implement it behaves as before.
pub trait SharedApprovals: Send + Sync {
    /// Records a pending approval when the project's threshold is exceeded: its id, or
    /// `None` when the request may run now.
    fn request_approval<'a>(&'a self, _ask: &'a ApprovalAsk) -> SharedFuture<'a, Option<String>> {
        Box::pin(async { Ok(None) })
    }
    fn approval_state<'a>(&'a self, _id: &'a str) -> SharedFuture<'a, ApprovalCheck> {
        Box::pin(async { no_approvals() })
    }
    /// Takes an approved request to run it: true for exactly one caller.
    fn claim_approval<'a>(&'a self, _id: &'a str) -> SharedFuture<'a, bool> {
        Box::pin(async { no_approvals() })
    }
    /// The requester withdraws it.
    fn cancel_approval<'a>(&'a self, _id: &'a str) -> SharedFuture<'a, ()> {
        Box::pin(async { no_approvals() })
    }
    /// The requests this member may see (admins: the team's), newest first.
    fn list_approvals(&self, _pending_only: bool) -> SharedFuture<'_, TeamApprovals> {
        Box::pin(async { no_approvals() })
    }
    /// Approves (`refusal` none) or refuses with a reason (admins only).
    fn decide<'a>(
        &'a self,
        _id: &'a str,
        _refusal: Option<&'a str>,
    ) -> SharedFuture<'a, TeamApprovalView> {
        Box::pin(async { no_approvals() })
    }
    /// Sets or removes a team project's approval threshold (admins only).
    fn set_threshold<'a>(
        &'a self,
        _project: &'a str,
        _threshold: Option<Decimal>,
    ) -> SharedFuture<'a, ()> {
        Box::pin(async { no_approvals() })
    }
}
