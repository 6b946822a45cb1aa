//! Data-change notices (issue 13 §3): what the window shows that changed, whoever
//! changed it. This process's writes are announced where they happen; writes by another
//! process on the same library (the CLI, a second app) are noticed by polling SQLite's
//! `data_version` and announced as `Library` (anything may have changed).

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// What changed, so the window refetches only that. Unified with the shared vocabulary
/// crate's topic set at merge (issue 13 §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum DataTopic {
    /// Generations and images: a job finished, recovery or a deferred poll landed one,
    /// images were rated, deleted or put on a board.
    Gallery,
    /// Deferred ("later") jobs waiting for their provider.
    Jobs,
    /// Projects and their settings.
    Projects,
    /// Budgets and spend (the meter and the dashboard).
    Budgets,
    /// Which providers have a key.
    Keys,
    /// Endpoints, gateways in settings, job concurrency.
    Settings,
    /// The catalog, its overrides and imported offers (the cost table).
    Catalog,
    /// Named gateways.
    Gateways,
    /// Another process wrote to this library: anything may have changed.
    Library,
}

/// How many notices a slow listener may fall behind before it is told `Lagged` (and
/// should refetch everything).
const BACKLOG: usize = 64;

/// The engine's notice board: every write announces its topics here.
pub(crate) struct Changes {
    tx: broadcast::Sender<DataTopic>,
}

impl Changes {
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(BACKLOG).0,
        }
    }

    pub fn emit(&self, topics: &[DataTopic]) {
        for t in topics {
            // No listener is not an error: the CLI never subscribes.
            let _ = self.tx.send(*t);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DataTopic> {
        self.tx.subscribe()
    }
}
