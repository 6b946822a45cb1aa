//! [`TeamSwitch`]: the ledger an embedder installs when the library can join or leave
//! while it runs (the window). It forwards each call to the current [`Link`]; empty, it
//! holds nothing and refuses team work.

use std::path::Path;
use std::sync::Arc;

use parking_lot::RwLock;
use rust_decimal::Decimal;

use crate::error::Result;
use crate::team_hook::{
    ReserveTicket, Settled, SharedApprovals, SharedError, SharedErrorKind, SharedFuture, SharedHit,
    SharedImage, SharedLedger, SharedLedgerHook, SharedMeter,
};
use crate::team_link::{Link, load};

/// The ledger of a library that may join or leave while it runs: the current link, or
/// none (then team projects refuse paid work, and there is nothing to sync).
#[derive(Default)]
pub struct TeamSwitch {
    link: RwLock<Option<Arc<Link>>>,
}

impl TeamSwitch {
    /// With this library's saved link, when it joined a team.
    pub fn load(data_dir: &Path, service: &str) -> Result<Arc<TeamSwitch>> {
        let link = load(data_dir)?.map(|c| Arc::new(Link::new(c, service.to_owned())));
        Ok(Arc::new(TeamSwitch {
            link: RwLock::new(link),
        }))
    }

    pub fn hook(self: &Arc<Self>) -> SharedLedgerHook {
        SharedLedgerHook(Some(self.clone()))
    }

    pub fn current(&self) -> Option<Arc<Link>> {
        self.link.read().clone()
    }

    pub fn set(&self, link: Option<Arc<Link>>) {
        *self.link.write() = link;
    }

    pub(crate) fn not_joined() -> SharedError {
        SharedError {
            kind: SharedErrorKind::Other,
            message: "this library has not joined the team server; join in Settings → Team \
                      (or with `proofsheet-cli team join`)"
                .into(),
        }
    }
}

impl TeamSwitch {
    /// One call on the current link (read once, per call); `absent` answers when this
    /// library has not joined.
    pub(crate) fn on_link<'a, T: Send + 'a, F>(
        &self,
        absent: fn() -> std::result::Result<T, SharedError>,
        call: impl FnOnce(Arc<Link>) -> F + Send + 'a,
    ) -> SharedFuture<'a, T>
    where
        F: std::future::Future<Output = std::result::Result<T, SharedError>> + Send + 'a,
    {
        let link = self.current();
        Box::pin(async move {
            match link {
                Some(l) => call(l).await,
                None => absent(),
            }
        })
    }
}

pub(crate) fn not_joined<T>() -> std::result::Result<T, SharedError> {
    Err(TeamSwitch::not_joined())
}

fn nothing<T: Default>() -> std::result::Result<T, SharedError> {
    Ok(T::default())
}

// Each method forwards to the current link. Not joined: money moves and downloads are
// refused; syncs, publications and listings have nothing to do.
impl SharedLedger for TeamSwitch {
    fn reserve<'a>(
        &'a self,
        project: &'a str,
        generation: &'a str,
        request_hash: &'a str,
        amount: Decimal,
        ticket: &'a ReserveTicket,
    ) -> SharedFuture<'a, ()> {
        self.on_link(not_joined, move |l| async move {
            l.reserve(project, generation, request_hash, amount, ticket)
                .await
        })
    }

    fn sync<'a>(&'a self, generation: &'a str, s: Settled) -> SharedFuture<'a, ()> {
        self.on_link(nothing, move |l| async move { l.sync(generation, s).await })
    }

    fn open_generations(&self) -> SharedFuture<'_, Vec<String>> {
        self.on_link(nothing, |l| async move { l.open_generations().await })
    }

    /// Not joined: the team project's meter says so (its figures stay this library's).
    fn meter<'a>(&'a self, project: &'a str) -> SharedFuture<'a, Option<SharedMeter>> {
        self.on_link(not_joined, move |l| async move { l.meter(project).await })
    }

    fn lookup<'a>(&'a self, keys: &'a [String]) -> SharedFuture<'a, Option<SharedHit>> {
        self.on_link(nothing, move |l| async move { l.lookup(keys).await })
    }

    fn record_hit<'a>(
        &'a self,
        project: &'a str,
        generation: &'a str,
        source: &'a str,
        saved: Decimal,
    ) -> SharedFuture<'a, ()> {
        self.on_link(not_joined, move |l| async move {
            l.record_hit(project, generation, source, saved).await
        })
    }

    fn publish<'a>(
        &'a self,
        generation: &'a str,
        meta: serde_json::Value,
        images: Vec<SharedImage>,
    ) -> SharedFuture<'a, ()> {
        self.on_link(nothing, move |l| async move {
            l.publish(generation, meta, images).await
        })
    }

    fn unpublished(&self) -> SharedFuture<'_, Vec<String>> {
        self.on_link(nothing, |l| async move { l.unpublished().await })
    }

    fn download<'a>(&'a self, sha256s: &'a [String]) -> SharedFuture<'a, Vec<Vec<u8>>> {
        self.on_link(
            not_joined,
            move |l| async move { l.download(sha256s).await },
        )
    }

    fn download_thumbs<'a>(
        &'a self,
        shas: &'a [Option<String>],
    ) -> SharedFuture<'a, Vec<Option<Vec<u8>>>> {
        self.on_link(
            not_joined,
            move |l| async move { l.download_thumbs(shas).await },
        )
    }

    fn pull<'a>(
        &'a self,
        project: &'a str,
        after_us: i64,
        limit: i64,
    ) -> SharedFuture<'a, Vec<SharedHit>> {
        self.on_link(nothing, move |l| async move {
            l.pull(project, after_us, limit).await
        })
    }

    fn approvals(&self) -> Option<&dyn SharedApprovals> {
        Some(self)
    }
}
