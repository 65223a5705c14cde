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

#[derive(Debug, Default)]
struct State {
    /// Commits whose WAL frames are written (in the OS), awaiting an fsync.
    written: u64,
    durable: Durable,
    closing: bool,
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
        // Watchers first, then blocking waiters: whoever returns from `wait`
        // finds the watch already there. Waking watchers outside the lock
        // keeps the writer from waiting on it.
        shared.watch.send_replace(durable);
        lock(&shared.state).durable = durable;
        shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_become_durable_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal");
        std::fs::write(&path, b"frames").unwrap();
        let sync = Syncer::start(File::open(&path).unwrap()).unwrap();
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
}
