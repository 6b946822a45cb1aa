//! Writes by another process on the same library (the CLI, a second app): noticed by
//! polling SQLite's `data_version` on the store's writer, announced as
//! `DataTopic::Library`.

use std::sync::Weak;
use std::time::Duration;

use crate::changes::DataTopic;

/// Polls the library for writes by another process every `every` until the engine is
/// dropped. Announces `Library` once per change seen.
pub(crate) fn watch_outside_writes(core: Weak<crate::context::Core>, every: Duration) {
    tokio::spawn(async move {
        let mut seen: Option<i64> = None;
        loop {
            tokio::time::sleep(every).await;
            let Some(core) = core.upgrade() else { return };
            let store = core.store().clone();
            let now = crate::error::blocking(move || {
                store
                    .outside_write_version()
                    .map_err(crate::EngineError::from)
            })
            .await;
            match now {
                Ok(Some(v)) => {
                    if seen.is_some_and(|s| s != v) {
                        core.changes().emit(&[DataTopic::Library]);
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
