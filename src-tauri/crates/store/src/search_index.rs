//! The gallery's search indexes, kept off the generation's path (issue 17).
//!
//! A new image's row only queues its id in `search_pending` (a trigger, one small
//! insert); its text enters `gallery_fts` and `gallery_tri` later, in a batch. Indexing
//! in line cost a generation 0.4–0.8 ms: two FTS5 inserts, each flushing a fresh index
//! segment at every commit. Batched, a hundred images share one segment per index.
//!
//! Search never misses a queued image: [`Store::search`] and [`Store::search_count`]
//! index the queue first. The rest is when, not whether: a background thread indexes a
//! burst once it has been quiet for [`QUIET`] (at most [`MAX_WAIT`] after its first
//! image), a store indexes what is left when it closes, and one opened writable indexes
//! what a killed process left queued.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use rusqlite::{Connection, TransactionBehavior};

use crate::Result;

/// A burst of generations is indexed once no image has arrived for this long.
pub(crate) const QUIET: Duration = Duration::from_millis(250);
/// ... or this long after its first image, whichever comes first.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(2);

/// Indexes every queued image and empties the queue, in one transaction on `conn` (the
/// writer). Returns how many were indexed. A queued id is removed from both indexes
/// first, so indexing twice can never fail on a duplicate rowid.
pub(crate) fn index_pending(conn: &mut Connection) -> Result<i64> {
    // Looked at first without the write lock: most calls find nothing to do.
    if !has_pending(conn)? {
        return Ok(0);
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let queued: i64 = tx.query_row("SELECT count(*) FROM search_pending", [], |r| r.get(0))?;
    if queued > 0 {
        tx.execute_batch(
            "DELETE FROM gallery_fts WHERE rowid IN (SELECT image_id FROM search_pending);
             DELETE FROM gallery_tri WHERE rowid IN (SELECT image_id FROM search_pending);
             INSERT INTO gallery_fts(rowid, prompt, negative_prompt, tags, provider, model)
             SELECT i.id, g.prompt, coalesce(g.negative_prompt, ''),
                    coalesce((SELECT group_concat(t.name, ' ') FROM image_tags it
                              JOIN tags t ON t.id = it.tag_id WHERE it.image_id = i.id), ''),
                    g.provider, g.model
             FROM search_pending p JOIN images i ON i.id = p.image_id
             JOIN generations g ON g.id = i.generation_id;
             INSERT INTO gallery_tri(rowid, body)
             SELECT t.id, t.body FROM search_pending p JOIN gallery_text t ON t.id = p.image_id;
             DELETE FROM search_pending;",
        )?;
    }
    tx.commit()?;
    Ok(queued)
}

/// True when images wait to be indexed (read on any connection).
pub(crate) fn has_pending(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM search_pending)")?
        .query_row([], |r| r.get(0))?)
}

#[derive(Default)]
struct State {
    /// When the first image of the burst not yet indexed was announced.
    first: Option<Instant>,
    /// When the latest one was.
    last: Option<Instant>,
    stop: bool,
    /// Batches indexed (tests count them).
    batches: u64,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// The background thread that indexes bursts. It shares the writer connection, not the
/// store (a thread holding the store would keep it open for ever).
pub(crate) struct Indexer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Indexer {
    pub(crate) fn spawn(writer: Arc<Mutex<Connection>>) -> std::io::Result<Indexer> {
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("proofsheet-search-index".into())
            .spawn(move || {
                while wait_for_quiet(&s) {
                    let indexed = index_pending(&mut writer.lock());
                    if let Err(e) = indexed {
                        // Nothing is lost: the queue stays, and a search indexes it first.
                        tracing::warn!("could not index new images for search: {e}");
                    }
                    s.state.lock().batches += 1;
                }
            })?;
        Ok(Indexer {
            shared,
            thread: Some(thread),
        })
    }

    /// Says that images were queued; returns at once. Only the first image of a burst
    /// wakes the thread: while a burst is open the thread is already waiting for its
    /// deadline, and reads the newer `last` when it wakes (issue 17: one thread wake-up
    /// per generation less).
    pub(crate) fn announce(&self) {
        let now = Instant::now();
        let mut st = self.shared.state.lock();
        let opens_a_burst = st.first.is_none();
        st.first.get_or_insert(now);
        st.last = Some(now);
        drop(st);
        if opens_a_burst {
            self.shared.wake.notify_one();
        }
    }

    pub(crate) fn batches(&self) -> u64 {
        self.shared.state.lock().batches
    }
}

/// Blocks until a burst is due (`true`) or the indexer stops (`false`).
fn wait_for_quiet(s: &Shared) -> bool {
    let mut st = s.state.lock();
    loop {
        if st.stop {
            return false;
        }
        match (st.first, st.last) {
            (Some(first), Some(last)) => {
                let due = (last + QUIET).min(first + MAX_WAIT);
                if Instant::now() >= due {
                    st.first = None;
                    st.last = None;
                    drop(st);
                    return true;
                }
                s.wake.wait_until(&mut st, due);
            }
            _ => s.wake.wait(&mut st),
        }
    }
}

impl Drop for Indexer {
    /// Stops the thread without indexing: the store indexes what is left as it closes.
    fn drop(&mut self) {
        self.shared.state.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("the search index thread panicked");
        }
    }
}
