//! Data-change notices (issue 13 §3): what the window shows that changed, whoever
//! changed it. This process's writes are announced where they happen; writes by another
//! process on the same library (the CLI, a second app) are noticed by polling SQLite's
//! `data_version` and announced as `Library` (anything may have changed).

use tokio::sync::broadcast;
pub use vocab::DataTopic;

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
