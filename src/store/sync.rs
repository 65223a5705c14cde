//! Durability off the writer's path: a thread that fsyncs the SQLite WAL for
//! every commit made since its last fsync.
//!
//! The store commits with `synchronous=NORMAL` (the WAL is written but not
//! fsynced) and numbers its commits. This thread then makes them durable in
//! batches, so the writer goes on with the next group while the disk
//! catches up. Nothing that depends on a commit may be acknowledged before
//! [`Durable::through`] reaches its number: the HTTP layer waits for that
//! before answering, and writes made outside a group wait in the store.

use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use tokio::sync::watch;

/// How far commits are durable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Durable {
    /// Every commit numbered up to this one is on disk.
    pub through: u64,
    /// An fsync failed: later commits may never become durable.
    pub failed: bool,
}

/// Work to run once a commit is durable (`true`) or can never be (`false`).
pub type OnDurable = Box<dyn FnOnce(bool) + Send>;

#[derive(Default)]
struct State {
    /// Commits whose WAL frames are written (in the OS), awaiting an fsync.
    written: u64,
    durable: Durable,
    closing: bool,
    /// Work waiting for a commit to be durable, by commit number.
    waiting: Vec<(u64, OnDurable)>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("written", &self.written)
            .field("durable", &self.durable)
            .field("closing", &self.closing)
            .field("waiting", &self.waiting.len())
            .finish()
    }
}

#[derive(Debug)]
struct Shared {
    wal: File,
    state: Mutex<State>,
    changed: Condvar,
    watch: watch::Sender<Durable>,
}

/// Numbers commits and makes them durable in the background.
#[derive(Debug)]
pub(super) struct Syncer {
    /// Commits started; bumped before a commit can become visible.
    started: AtomicU64,
    shared: Arc<Shared>,
}

impl Syncer {
    /// Starts the fsync thread for the WAL file `wal`.
    pub(super) fn start(wal: File) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            wal,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            watch: watch::Sender::new(Durable::default()),
        });
        let thread = shared.clone();
        std::thread::Builder::new()
            .name("dxemu-fsync".into())
            .spawn(move || run(&thread))?;
        Ok(Self {
            started: AtomicU64::new(0),
            shared,
        })
    }

    /// Numbers a commit about to run; call before it runs.
    pub(super) fn begin(&self) -> u64 {
        self.started.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Reports that commit `n` has run (or failed: then nothing needs
    /// syncing, and syncing anyway does no harm).
    pub(super) fn written(&self, n: u64) {
        let mut st = lock(&self.shared.state);
        st.written = st.written.max(n);
        self.shared.changed.notify_all();
    }

    /// The number of the latest commit a reader may have seen.
    pub(super) fn horizon(&self) -> u64 {
        self.started.load(Ordering::SeqCst)
    }

    /// Blocks until commit `n` is durable; fails when an fsync failed.
    pub(super) fn wait(&self, n: u64) -> Result<(), String> {
        let mut st = lock(&self.shared.state);
        while st.durable.through < n && !st.durable.failed {
            st = self
                .shared
                .changed
                .wait(st)
                .unwrap_or_else(|p| p.into_inner());
        }
        if st.durable.through >= n {
            Ok(())
        } else {
            Err("the change could not be written to disk (fsync failed)".into())
        }
    }

    /// Runs `then` once commit `n` is durable, on the fsync thread (at once
    /// when it already is).
    pub(super) fn after(&self, n: u64, then: OnDurable) {
        let mut st = lock(&self.shared.state);
        if st.durable.through >= n || st.durable.failed {
            let ok = st.durable.through >= n;
            drop(st);
            then(ok);
            return;
        }
        st.waiting.push((n, then));
    }

    /// Follows durability from async code.
    pub(super) fn subscribe(&self) -> watch::Receiver<Durable> {
        self.shared.watch.subscribe()
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        lock(&self.shared.state).closing = true;
        self.shared.changed.notify_all();
    }
}

// The state holds plain numbers, always consistent: a poisoned lock is usable.
fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn run(shared: &Shared) {
    // Only this thread changes how far commits are durable.
    let mut durable = Durable::default();
    loop {
        let target = {
            let mut st = lock(&shared.state);
            while st.written <= durable.through && !st.closing {
                st = shared.changed.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            if st.written <= durable.through {
                return;
            }
            st.written
        };
        match shared.wal.sync_data() {
            // After a failed fsync, a later one that succeeds does not prove
            // the earlier writes reached the disk.
            Ok(()) if !durable.failed => durable.through = durable.through.max(target),
            Ok(()) => {}
            Err(e) => {
                if !durable.failed {
                    tracing::error!(error = %e, "fsync of the SQLite WAL failed; changes from now on are refused");
                }
                durable.failed = true;
            }
        }
        // Watchers first, then blocking waiters and waiting work: whoever
        // returns from `wait` finds the watch already there. Waking watchers
        // and running the work outside the lock keeps the writer from
        // waiting on them. After a failure, all waiting work learns of it.
        shared.watch.send_replace(durable);
        let ready: Vec<(u64, OnDurable)> = {
            let mut st = lock(&shared.state);
            st.durable = durable;
            let (ready, waiting) = std::mem::take(&mut st.waiting)
                .into_iter()
                .partition(|(n, _)| durable.failed || *n <= durable.through);
            st.waiting = waiting;
            ready
        };
        shared.changed.notify_all();
        for (n, then) in ready {
            then(n <= durable.through);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A syncer on a small file of its own (kept while the directory is).
    fn on_a_file() -> (tempfile::TempDir, Syncer) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal");
        std::fs::write(&path, b"frames").unwrap();
        let sync = Syncer::start(File::open(&path).unwrap()).unwrap();
        (dir, sync)
    }

    #[test]
    fn commits_become_durable_in_order() {
        let (_dir, sync) = on_a_file();
        let watch = sync.subscribe();
        assert_eq!(sync.horizon(), 0);
        let (a, b) = (sync.begin(), sync.begin());
        assert_eq!((a, b, sync.horizon()), (1, 2, 2));
        sync.written(a);
        sync.wait(a).unwrap();
        assert!(watch.borrow().through >= a);
        sync.written(b);
        sync.wait(b).unwrap();
        assert_eq!(
            *watch.borrow(),
            Durable {
                through: 2,
                failed: false
            }
        );
    }

    #[test]
    fn a_failed_fsync_refuses_what_it_should_have_covered() {
        // fsync on a character device fails (EINVAL), as a failing disk would.
        let Ok(null) = File::open("/dev/null") else {
            return;
        };
        let sync = Syncer::start(null).unwrap();
        let n = sync.begin();
        sync.written(n);
        assert!(sync.wait(n).is_err());
        assert!(sync.subscribe().borrow().failed);
        // Nothing later is acknowledged either.
        let m = sync.begin();
        sync.written(m);
        assert!(sync.wait(m).is_err());
        assert_eq!(sync.subscribe().borrow().through, 0);
    }

    #[test]
    fn work_after_a_commit_runs_once_it_is_durable() {
        let (_dir, sync) = on_a_file();
        let (tx, rx) = std::sync::mpsc::channel();
        let a = sync.begin();
        let b = sync.begin();
        let (ta, tb) = (tx.clone(), tx.clone());
        sync.after(b, Box::new(move |ok| ta.send(("b", ok)).unwrap()));
        sync.after(a, Box::new(move |ok| tb.send(("a", ok)).unwrap()));
        // Nothing is written yet: nothing may run.
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(50))
                .is_err()
        );
        sync.written(a);
        assert_eq!(rx.recv().unwrap(), ("a", true));
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(50))
                .is_err()
        );
        sync.written(b);
        assert_eq!(rx.recv().unwrap(), ("b", true));
        // Already durable: runs at once, on the caller's thread.
        sync.after(a, Box::new(move |ok| tx.send(("again", ok)).unwrap()));
        assert_eq!(rx.try_recv().unwrap(), ("again", true));
    }

    #[test]
    fn work_after_a_failed_fsync_is_told_so() {
        let Ok(null) = File::open("/dev/null") else {
            return;
        };
        let sync = Syncer::start(null).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let n = sync.begin();
        sync.after(n, Box::new(move |ok| tx.send(ok).unwrap()));
        sync.written(n);
        assert!(!rx.recv().unwrap());
    }
}
