//! The coalescing WAL syncer (issue 17): one background thread per writable store that
//! `fdatasync`s the `-wal` file when asked, off the caller's path.
//!
//! Every commit runs with `synchronous = NORMAL`: durable against a killed process at
//! commit (the WAL pages are in the OS page cache), synced to disk only at checkpoints.
//! A `sent` attempt also wants to survive a power cut, but a sync before the request
//! leaves costs 1–20 ms of disk latency on the critical path. So the commit *requests* a
//! sync and goes on: the sync runs while the HTTP request is in flight, and the window
//! in which a power cut can lose a `sent` row is the ~1 ms between the request leaving
//! and that sync returning.
//!
//! Coalescing: callers bump a counter and wake the thread; each pass serves every
//! request made before it started, so N requests cost at most N syncs, a request made
//! while a sync runs gets a sync of its own afterwards, and there is always at least
//! one sync started after the last request. `fsync` is per inode on Linux, so the
//! syncer's own descriptor on the `-wal` file flushes what the writer connection wrote.

use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};

/// What the thread does on each pass; real stores sync the `-wal` file, tests inject one.
pub(crate) type SyncFn = Box<dyn FnMut() -> std::io::Result<()> + Send>;

#[derive(Default)]
struct State {
    /// Requests made so far (a request's ticket is the count after it).
    requested: u64,
    /// Every request with a ticket up to this one is covered by a finished sync.
    served: u64,
    /// Sync passes run.
    syncs: u64,
    stop: bool,
    /// Set by the thread as it leaves.
    exited: bool,
}

#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Wakes the thread (a request, or stop).
    wake: Condvar,
    /// Wakes callers waiting for a sync to cover their ticket.
    done: Condvar,
}

impl Shared {
    pub(crate) fn syncs(&self) -> u64 {
        self.state.lock().syncs
    }

    #[cfg(test)]
    pub(crate) fn exited(&self) -> bool {
        self.state.lock().exited
    }
}

pub(crate) struct WalSyncer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl WalSyncer {
    /// A syncer for the WAL of the database at `db_path` (`<db_path>-wal`).
    pub(crate) fn for_wal(db_path: &std::path::Path) -> std::io::Result<WalSyncer> {
        let mut file = WalFile::of(db_path);
        WalSyncer::spawn(Box::new(move || file.sync()))
    }

    /// Starts the thread; `sync` runs once per pass.
    pub(crate) fn spawn(mut sync: SyncFn) -> std::io::Result<WalSyncer> {
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("proofsheet-wal-sync".into())
            .spawn(move || {
                loop {
                    let target = {
                        let mut st = s.state.lock();
                        while st.requested == st.served && !st.stop {
                            s.wake.wait(&mut st);
                        }
                        // Stopping with requests pending still syncs them first.
                        if st.requested == st.served {
                            break;
                        }
                        st.requested
                    };
                    if let Err(e) = sync() {
                        // Nothing to retry into: the commit stands (kill-safe), only its
                        // power-cut safety is in doubt until the next checkpoint syncs.
                        tracing::warn!("could not sync the library's WAL: {e}");
                    }
                    {
                        let mut st = s.state.lock();
                        st.syncs += 1;
                        st.served = target;
                    }
                    s.done.notify_all();
                }
                // The closure (and its descriptor) is dropped here, before `exited`.
                drop(sync);
                s.state.lock().exited = true;
                s.done.notify_all();
            })?;
        Ok(WalSyncer {
            shared,
            thread: Some(thread),
        })
    }

    /// Asks for a sync of everything committed so far and returns at once, with the
    /// request's ticket for [`WalSyncer::wait`].
    pub(crate) fn request(&self) -> u64 {
        let ticket = {
            let mut st = self.shared.state.lock();
            st.requested += 1;
            st.requested
        };
        self.shared.wake.notify_one();
        ticket
    }

    /// The ticket of the latest request (0: none yet).
    pub(crate) fn last_ticket(&self) -> u64 {
        self.shared.state.lock().requested
    }

    /// Blocks until a sync started after request `ticket` has finished (or the thread is
    /// gone).
    pub(crate) fn wait(&self, ticket: u64) {
        let mut st = self.shared.state.lock();
        while st.served < ticket && !st.exited {
            self.shared.done.wait(&mut st);
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl Drop for WalSyncer {
    /// Stops the thread cleanly: pending requests are synced, then it is joined.
    fn drop(&mut self) {
        self.shared.state.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("the WAL sync thread panicked");
        }
    }
}

/// The `-wal` file, opened on first use. It exists while the writer connection is open
/// (SQLite resets it in place after a checkpoint, same inode), so one descriptor lasts.
struct WalFile {
    path: PathBuf,
    fd: Option<File>,
}

/// Syncs the WAL of `db_path` now, in the caller's thread (when no syncer runs).
pub(crate) fn sync_in_line(db_path: &std::path::Path) -> std::io::Result<()> {
    WalFile::of(db_path).sync()
}

impl WalFile {
    fn of(db_path: &std::path::Path) -> WalFile {
        let mut wal = db_path.as_os_str().to_owned();
        wal.push("-wal");
        WalFile {
            path: PathBuf::from(wal),
            fd: None,
        }
    }

    fn sync(&mut self) -> std::io::Result<()> {
        if self.fd.is_none() {
            // Write access: Windows' FlushFileBuffers needs it; never created here.
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&self.path)
            {
                Ok(f) => self.fd = Some(f),
                // No WAL yet: nothing was committed since it was last removed.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            }
        }
        match &self.fd {
            Some(f) => f.sync_data(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// A sync the test holds open: it reports that it started, then waits for `go`.
    fn gated() -> (SyncFn, mpsc::Receiver<()>, mpsc::Sender<()>) {
        let (started_tx, started) = mpsc::channel();
        let (go, go_rx) = mpsc::channel::<()>();
        let f: SyncFn = Box::new(move || {
            let _ = started_tx.send(());
            let _ = go_rx.recv();
            Ok(())
        });
        (f, started, go)
    }

    #[test]
    fn requests_made_while_a_sync_runs_share_the_next_one() {
        let (f, started, go) = gated();
        let s = WalSyncer::spawn(f).expect("spawn");
        let first = s.request();
        started.recv().expect("first sync started");
        // Five requests while the first sync is still running: none is covered by it.
        let mut last = first;
        for _ in 0..5 {
            last = s.request();
        }
        go.send(()).expect("finish the first");
        started
            .recv()
            .expect("a second sync for the requests made meanwhile");
        go.send(()).expect("finish the second");
        s.wait(last);
        assert_eq!(s.shared().syncs(), 2, "6 requests, 2 syncs");
        drop(go);
    }

    #[test]
    fn every_request_is_covered_by_a_sync_and_n_requests_cost_at_most_n() {
        let count = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let c = count.clone();
        let s = WalSyncer::spawn(Box::new(move || {
            c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        }))
        .expect("spawn");
        let mut last = 0;
        for _ in 0..50 {
            last = s.request();
        }
        s.wait(last);
        let syncs = s.shared().syncs();
        assert!((1..=50).contains(&syncs), "{syncs} syncs for 50 requests");
        assert_eq!(syncs, count.load(std::sync::atomic::Ordering::SeqCst));
        // Nothing requested: nothing synced.
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(s.shared().syncs(), syncs, "no sync without a request");
        let after = s.request();
        s.wait(after);
        assert_eq!(s.shared().syncs(), syncs + 1, "a new request, a new sync");
    }

    #[test]
    fn dropping_the_syncer_syncs_what_is_pending_and_joins_the_thread() {
        let (f, started, go) = gated();
        let s = WalSyncer::spawn(f).expect("spawn");
        let shared = s.shared().clone();
        s.request();
        started.recv().expect("sync started");
        s.request(); // pending while the first runs
        let closer = std::thread::spawn(move || drop(s));
        go.send(()).expect("finish the first");
        started
            .recv()
            .expect("the pending request is synced before the thread ends");
        go.send(()).expect("finish the second");
        closer.join().expect("drop returned");
        assert!(shared.exited(), "the thread has ended");
        assert_eq!(shared.syncs(), 2);
    }

    #[test]
    fn a_missing_wal_is_not_an_error_and_a_real_one_is_synced() {
        let dir = tempfile::tempdir().expect("tmp");
        let db = dir.path().join("x.sqlite3");
        let s = WalSyncer::for_wal(&db).expect("spawn");
        let t = s.request();
        s.wait(t);
        std::fs::write(dir.path().join("x.sqlite3-wal"), b"frames").expect("wal");
        let t = s.request();
        s.wait(t);
        assert_eq!(s.shared().syncs(), 2);
    }
}
