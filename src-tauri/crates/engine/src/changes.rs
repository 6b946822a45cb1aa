//! Data-change notices (issue 13 §3): what the window shows that changed, whoever
//! changed it. This process's writes are announced where they happen; writes by another
//! process on the same library (the CLI, a second app) are noticed by polling SQLite's
//! `data_version` and announced as `Library` (anything may have changed).

use std::sync::Weak;
use std::time::Duration;

use tokio::sync::broadcast;

/// What changed: the shared vocabulary's topic set.
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

/// Polls the library for writes by another process every `every` until the engine is
/// dropped. Announces `Library` once per change seen.
pub(crate) fn watch_outside_writes(core: Weak<crate::context::Core>, every: Duration) {
    tokio::spawn(async move {
        let mut seen: Option<i64> = None;
        loop {
            tokio::time::sleep(every).await;
            let Some(core) = core.upgrade() else { return };
            let store = core.store.clone();
            let now = crate::error::blocking(move || {
                store
                    .outside_write_version()
                    .map_err(crate::EngineError::from)
            })
            .await;
            match now {
                Ok(Some(v)) => {
                    if seen.is_some_and(|s| s != v) {
                        core.changes.emit(&[DataTopic::Library]);
                    }
                    seen = Some(v);
                }
                // A read-only library has no writer to ask; nothing to watch.
                Ok(None) => return,
                Err(e) => tracing::debug!("cannot read the library's data version: {e}"),
            }
            drop(core);
        }
    });
}
