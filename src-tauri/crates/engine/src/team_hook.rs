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
    /// The reservation's worst case is above the project's approval threshold and no
    /// approval was presented: nothing was reserved.
    NeedsApproval,
    /// The approval presented is claimed by another generation, or no longer approved.
    ApprovalTaken,
    /// Anything else (credentials, schema, a bug).
    Other,
}

/// How a team reservation treats the project's approval threshold (checked by the
/// server in the reservation's own transaction: no round trip of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReserveTicket {
    /// A generation's first hold: refused with [`SharedErrorKind::NeedsApproval`] above
    /// the threshold.
    Check,
    /// A fallback's top-up of a request already let through.
    TopUp,
    /// An approved request, claimed by this reservation (one process wins);
    /// `replaces`: the generation a crashed process claimed it for.
    Approved {
        id: String,
        replaces: Option<String>,
    },
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

/// One image of a teammate's generation, downloaded from the team's bucket and
/// verified against its sha256 (or one of this library's, to publish).
#[derive(Debug, Clone)]
pub struct SharedImage {
    pub idx: u32,
    pub bytes: Vec<u8>,
    pub mime: String,
    /// Its thumbnail (JPEG) as this library rendered it, published beside it.
    pub thumb: Option<Vec<u8>>,
}

/// A teammate's published generation: a team-wide dedup hit or a catch-up item.
#[derive(Debug, Clone)]
pub struct SharedHit {
    /// Its generation id (the teammate's library's).
    pub source: String,
    /// What it cost its owner.
    pub cost: Decimal,
    /// `store::SharedMeta` as JSON.
    pub meta: serde_json::Value,
    /// Downloaded for a dedup hit; empty in a catch-up page (see `download`).
    pub images: Vec<SharedImage>,
    /// Its images' sha256 in the bucket, by index.
    pub sha256s: Vec<String>,
    /// Their thumbnails' objects, by index, where the owner published one.
    pub thumb_sha256s: Vec<Option<String>>,
    /// The catch-up cursor of its publication.
    pub published_us: i64,
}

fn none<'a, T: Send + 'a>(v: T) -> SharedFuture<'a, T> {
    Box::pin(async move { Ok(v) })
}

/// The team server, as the budget path sees it. The storage methods (team-wide dedup,
/// publication, catch-up) default to "no team storage".
pub trait SharedLedger: Send + Sync {
    /// Holds `amount` for a generation of team project `project` (additive).
    fn reserve<'a>(
        &'a self,
        project: &'a str,
        generation: &'a str,
        request_hash: &'a str,
        amount: Decimal,
        ticket: &'a ReserveTicket,
    ) -> SharedFuture<'a, ()>;
    /// Books what the library settled for a generation (idempotent).
    fn sync<'a>(&'a self, generation: &'a str, settled: Settled) -> SharedFuture<'a, ()>;
    /// Generations this machine still holds money for on the server.
    fn open_generations(&self) -> SharedFuture<'_, Vec<String>>;

    /// The newest published teammate result for one of `keys` (in order), its images
    /// downloaded and verified; `None` without team storage.
    fn lookup<'a>(&'a self, _keys: &'a [String]) -> SharedFuture<'a, Option<SharedHit>> {
        none(None)
    }
    /// Records that `generation` of `project` was served from `source` ($0, a saving).
    fn record_hit<'a>(
        &'a self,
        _project: &'a str,
        _generation: &'a str,
        _source: &'a str,
        _saved: Decimal,
    ) -> SharedFuture<'a, ()> {
        none(())
    }
    /// Uploads the images (skipping those already in the bucket), then publishes the
    /// generation. Idempotent. No images: marks it as having nothing to publish.
    fn publish<'a>(
        &'a self,
        _generation: &'a str,
        _meta: serde_json::Value,
        _images: Vec<SharedImage>,
    ) -> SharedFuture<'a, ()> {
        none(())
    }
    /// This machine's closed generations not published yet (the outbox).
    fn unpublished(&self) -> SharedFuture<'_, Vec<String>> {
        none(Vec::new())
    }
    /// Downloads objects from the team's bucket, each verified against its sha256.
    fn download<'a>(&'a self, _sha256s: &'a [String]) -> SharedFuture<'a, Vec<Vec<u8>>> {
        none(Vec::new())
    }
    /// Teammates' published generations of `project` after the cursor (images not
    /// downloaded: `download` those this library lacks).
    /// Thumbnails by their objects (`None` in, or a failed download: `None` out; the
    /// library then renders its own).
    fn download_thumbs<'a>(
        &'a self,
        shas: &'a [Option<String>],
    ) -> SharedFuture<'a, Vec<Option<Vec<u8>>>> {
        none(vec![None; shas.len()])
    }
    fn pull<'a>(
        &'a self,
        _project: &'a str,
        _after_us: i64,
        _limit: i64,
    ) -> SharedFuture<'a, Vec<SharedHit>> {
        none(Vec::new())
    }

    /// Approval of spend, when this connection supports it (none: never needed).
    fn approvals(&self) -> Option<&dyn SharedApprovals> {
        None
    }

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
