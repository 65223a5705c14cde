//! The embedded default store: one SQLite file in WAL mode.

use super::idmap::{IdMap, Pending};
use super::sync::{Durable, Syncer};
use super::{Durability, Expect, Kind, Query, Record, Store, StoreError, StoreResult, Write};
use parking_lot::{ReentrantMutex, ReentrantMutexGuard};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use std::cell::{Cell, RefCell};
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};

/// The resources table. Records are found by id through the in-memory
/// [`IdMap`], which also keeps ids unique; the table has no index on them.
const TABLE: &str = "
CREATE TABLE IF NOT EXISTS resources (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    account TEXT NOT NULL,
    region  TEXT NOT NULL,
    state   TEXT NOT NULL,
    parent  TEXT,
    location TEXT,
    link    TEXT,
    doc     TEXT NOT NULL,
    version INTEGER NOT NULL,
    due_at  INTEGER
)";

const SCHEMA: &str = "
-- Each owner's rows in row order. With the id, it also loads the id map
-- without reading the documents; with the state, listings leave deleted
-- resources (kept visible by id for a while) out without reading their rows.
-- Older databases had an index of its own for each of those three uses;
-- each index costs every insert a page write.
DROP INDEX IF EXISTS resources_ids;
DROP INDEX IF EXISTS resources_owner;
DROP INDEX IF EXISTS resources_by_owner;
DROP INDEX IF EXISTS resources_live;
CREATE INDEX IF NOT EXISTS resources_owned ON resources (kind, account, region, seq, id, state);
CREATE INDEX IF NOT EXISTS resources_parent ON resources (parent) WHERE parent IS NOT NULL;
-- Every query by location leaves deleted resources out, so the partial index
-- below serves them all; each index costs every insert a page write.
DROP INDEX IF EXISTS resources_location;
CREATE INDEX IF NOT EXISTS resources_link ON resources (link) WHERE link IS NOT NULL;
CREATE INDEX IF NOT EXISTS resources_due ON resources (due_at) WHERE due_at IS NOT NULL;
-- Quota counts come from the tallies below, not from an index.
DROP INDEX IF EXISTS resources_live_location;
";

/// How many records each owner has, by kind, region, location and state,
/// kept by triggers in the same transaction as every write (so a rolled back
/// write or savepoint takes its change to the tally with it). A quota check
/// reads a few rows of it instead of counting records: its cost does not
/// grow with the data. A location of '' stands for none.
const TALLIES: &str = "
CREATE TABLE tallies (
    kind     TEXT NOT NULL,
    account  TEXT NOT NULL,
    region   TEXT NOT NULL,
    location TEXT NOT NULL,
    state    TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (kind, account, region, location, state)
) WITHOUT ROWID;
INSERT INTO tallies
    SELECT kind, account, region, coalesce(location, ''), state, count(*)
    FROM resources GROUP BY 1, 2, 3, 4, 5;
";

const TALLY_TRIGGERS: &str = "
CREATE TRIGGER IF NOT EXISTS tally_insert AFTER INSERT ON resources BEGIN
    INSERT INTO tallies VALUES (NEW.kind, NEW.account, NEW.region, coalesce(NEW.location, ''), NEW.state, 1)
        ON CONFLICT (kind, account, region, location, state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS tally_delete AFTER DELETE ON resources BEGIN
    UPDATE tallies SET n = n - 1
        WHERE kind = OLD.kind AND account = OLD.account AND region = OLD.region
          AND location = coalesce(OLD.location, '') AND state = OLD.state;
END;
CREATE TRIGGER IF NOT EXISTS tally_update AFTER UPDATE ON resources
    WHEN OLD.account IS NOT NEW.account OR OLD.region IS NOT NEW.region
      OR OLD.location IS NOT NEW.location OR OLD.state IS NOT NEW.state
BEGIN
    UPDATE tallies SET n = n - 1
        WHERE kind = OLD.kind AND account = OLD.account AND region = OLD.region
          AND location = coalesce(OLD.location, '') AND state = OLD.state;
    INSERT INTO tallies VALUES (NEW.kind, NEW.account, NEW.region, coalesce(NEW.location, ''), NEW.state, 1)
        ON CONFLICT (kind, account, region, location, state) DO UPDATE SET n = n + 1;
END;
";

/// The columns of a record, in the order `row_to_record` reads them.
macro_rules! columns {
    () => {
        "seq, kind, id, account, region, state, parent, location, link, doc, version, due_at"
    };
}
pub(super) const COLUMNS: &str = columns!();

/// Prepared statements kept per connection: every write statement plus the
/// distinct listings the service runs.
const STATEMENT_CACHE: usize = 128;

/// Read connections of a file-backed store (WAL lets them read while one writes).
const READERS: usize = 4;

/// Page size of a new database file. Twice SQLite's default: a group of
/// creates then writes fewer, larger WAL frames (each frame is two writes,
/// its header and its page, so fewer system calls), a record and its index
/// entries share pages more often. An existing file keeps its own size.
pub(super) const PAGE_SIZE: i64 = 8192;

/// WAL pages after which the log is copied into the database (SQLite's own
/// default for its automatic checkpoints).
const CHECKPOINT_PAGES: i32 = 1000;

/// SQLite: one writer connection, as SQLite wants, plus a few read-only
/// connections so reads run in parallel on a file-backed store (an in-memory
/// store has one connection for everything).
///
/// The writer's lock is reentrant so that a group (see [`Store::group`]) can
/// hold it from its first write to its commit while the code it runs still
/// reads and writes through the ordinary calls.
pub struct SqliteStore {
    writer: ReentrantMutex<Writer>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Bumped after every committed change.
    generation: AtomicU64,
    /// Makes commits durable in the background (file stores); without it,
    /// each commit fsyncs before it returns.
    sync: Option<Syncer>,
    /// WAL checkpoints (file stores).
    checkpoints: Option<Checkpoints>,
    /// Finds records by kind and id.
    ids: IdMap,
    /// Held while the store is open: one process per database file.
    _lock: Option<std::fs::File>,
}

/// Copying the WAL into the database. SQLite would do it inside the commit
/// that fills the WAL, while the group's callers wait; here the writer does
/// it once they are answered (they still wait for their fsync then, and a
/// checkpoint on a thread of its own measured slower: its I/O delays that
/// fsync).
struct Checkpoints {
    /// Pages in the WAL after the last commit.
    pages: Arc<AtomicI32>,
}

/// The writer connection and the state of the group it may be in.
struct Writer {
    conn: Connection,
    /// What the open transaction did to the id map.
    pending: RefCell<Pending>,
    /// A group's transaction is open: writes join it (see `apply_in_group`).
    in_group: Cell<bool>,
    /// The open group has written something.
    dirty: Cell<bool>,
    /// A write of the open group failed after it had begun to change the
    /// database: the group can only roll back.
    broken: Cell<bool>,
}

/// What a read goes through.
enum ReadConn<'a> {
    Reader(std::sync::MutexGuard<'a, Connection>),
    Writer(ReentrantMutexGuard<'a, Writer>),
}

impl std::ops::Deref for ReadConn<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            ReadConn::Reader(c) => c,
            ReadConn::Writer(w) => &w.conn,
        }
    }
}

/// Ends a group's transaction if the group's body unwinds.
struct GroupGuard<'a>(&'a SqliteStore, &'a Writer);

impl Drop for GroupGuard<'_> {
    fn drop(&mut self) {
        if self.1.in_group.replace(false) {
            let _ = self.1.conn.execute_batch("ROLLBACK");
            self.0.ids.finish(&mut self.1.pending.borrow_mut(), false);
        }
    }
}

/// Runs a statement without parameters through the statement cache.
fn cached(conn: &Connection, sql: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute([])
}

fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, with the
    /// power-loss durability contract (`Durability::Full`).
    pub fn open(path: &Path) -> StoreResult<Self> {
        Self::open_with(path, Durability::Full)
    }

    /// Opens (creating if needed) the database file at `path`; `durability`
    /// says what an acknowledged write survives.
    pub fn open_with(path: &Path, durability: Durability) -> StoreResult<Self> {
        // The id map and the answer cache hold what this process wrote: a
        // second process writing the same file would go unseen.
        let mut lock_path = path.as_os_str().to_owned();
        lock_path.push("-lock");
        let lock_path = std::path::PathBuf::from(lock_path);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .and_then(|f| f.try_lock().map(|()| f).map_err(std::io::Error::from))
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::WouldBlock => StoreError::Backend(format!(
                    "{} is in use by another dxemu process",
                    path.display()
                )),
                _ => StoreError::Backend(format!("cannot lock {}: {e}", lock_path.display())),
            })?;
        let mut conn = Connection::open(path).map_err(backend)?;
        // Only takes effect on a file with no pages yet: set before WAL mode,
        // which writes the first one.
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        // The hook replaces SQLite's automatic checkpoints (see `Checkpoints`).
        let pages = Arc::new(AtomicI32::new(0));
        let seen = pages.clone();
        conn.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, n: i32| {
            seen.store(n, Ordering::Relaxed);
            Ok(())
        }))
        .map_err(backend)?;
        // synchronous=FULL until the fsync thread runs: a commit is on disk
        // (WAL fsynced) before it returns.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend)?;
        let mut store = Self::init(conn)?;
        store.checkpoints = Some(Checkpoints { pages });
        store._lock = Some(lock);
        // Then NORMAL (the WAL is written, not fsynced, at commit; SQLite
        // still orders checkpoints safely). For the power-loss contract the
        // fsync thread makes each commit durable before anything depending
        // on it is answered; for the process contract a commit's WAL frames
        // are in the operating system's hands once it returns, which a
        // killed process cannot take back.
        let normal = |store: &Self| {
            store
                .writer
                .lock()
                .conn
                .pragma_update(None, "synchronous", "NORMAL")
                .map_err(backend)
        };
        if durability == Durability::Process {
            normal(&store)?;
        } else {
            let mut wal_path = path.as_os_str().to_owned();
            wal_path.push("-wal");
            match std::fs::OpenOptions::new().read(true).open(&wal_path) {
                Ok(wal) => {
                    store.sync = Some(Syncer::start(wal).map_err(|e| {
                        StoreError::Backend(format!("cannot start the fsync thread: {e}"))
                    })?);
                    normal(&store)?;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot open the SQLite WAL; every commit fsyncs on its own");
                }
            }
        }
        for _ in 0..READERS {
            let reader = Connection::open(path).map_err(backend)?;
            reader
                .busy_timeout(std::time::Duration::from_secs(5))
                .map_err(backend)?;
            reader
                .pragma_update(None, "query_only", "ON")
                .map_err(backend)?;
            reader.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
            store.readers.push(Mutex::new(reader));
        }
        Ok(store)
    }

    /// An in-memory database: nothing is kept after the process ends.
    pub fn in_memory() -> StoreResult<Self> {
        Self::init(Connection::open_in_memory().map_err(backend)?)
    }

    fn init(conn: Connection) -> StoreResult<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        migrate(&conn)?;
        conn.execute_batch(TABLE).map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        let tallied = conn
            .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tallies'")
            .and_then(|mut s| s.exists([]))
            .map_err(backend)?;
        if !tallied {
            // A database made before the tallies: count once, in one go.
            conn.execute_batch(&format!("BEGIN; {TALLIES} {TALLY_TRIGGERS} COMMIT;"))
                .map_err(backend)?;
        }
        conn.execute_batch(TALLY_TRIGGERS).map_err(backend)?;
        let ids = IdMap::new();
        {
            let mut stmt = conn
                .prepare("SELECT kind, id, seq FROM resources")
                .map_err(backend)?;
            let mut rows = stmt.query([]).map_err(backend)?;
            while let Some(row) = rows.next().map_err(backend)? {
                let kind: String = row.get(0).map_err(backend)?;
                let kind = Kind::parse(&kind).ok_or_else(|| {
                    StoreError::Backend(format!("unknown kind {kind} in the store"))
                })?;
                let id: String = row.get(1).map_err(backend)?;
                ids.load(kind, &id, row.get(2).map_err(backend)?);
            }
        }
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Savepoints (for the rare batch in a group that names a record
        // twice) keep their undo records in memory, not in a temporary file.
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(backend)?;

        Ok(Self {
            writer: ReentrantMutex::new(Writer {
                conn,
                pending: RefCell::new(Pending::default()),
                in_group: Cell::new(false),
                dirty: Cell::new(false),
                broken: Cell::new(false),
            }),
            readers: Vec::new(),
            next_reader: AtomicUsize::new(0),
            generation: AtomicU64::new(0),
            sync: None,
            checkpoints: None,
            ids,
            _lock: None,
        })
    }

    /// A connection to read with: a free reader if there is one, else the next
    /// in turn. A reader sees every change committed before its statement
    /// starts. The writer serves the reads of a store without readers, and
    /// those of the thread running a group, which must see the group's own
    /// uncommitted writes.
    fn read(&self) -> StoreResult<ReadConn<'_>> {
        if self.readers.is_empty() || self.writer.is_owned_by_current_thread() {
            return Ok(ReadConn::Writer(self.writer.lock()));
        }
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.readers.len() {
            if let Ok(guard) = self.readers[(start + i) % self.readers.len()].try_lock() {
                return Ok(ReadConn::Reader(guard));
            }
        }
        self.readers[start % self.readers.len()]
            .lock()
            .map(ReadConn::Reader)
            .map_err(|_| StoreError::Backend("store lock poisoned".into()))
    }

    /// Runs `write` atomically on the writer: as a savepoint of the open
    /// group (undone alone if it fails), else as a transaction of its own
    /// that returns once durable.
    fn write<T>(&self, write: impl FnOnce(&Writer) -> StoreResult<T>) -> StoreResult<T> {
        let w = self.writer.lock();
        if w.in_group.get() {
            cached(&w.conn, "SAVEPOINT batch").map_err(backend)?;
            let mark = IdMap::mark(&w.pending.borrow());
            return match write(&w) {
                Ok(out) => {
                    if let Err(e) = cached(&w.conn, "RELEASE batch") {
                        w.broken.set(true);
                        return Err(backend(e));
                    }
                    w.dirty.set(true);
                    Ok(out)
                }
                Err(e) => {
                    if let Err(undo) = w.conn.execute_batch("ROLLBACK TO batch; RELEASE batch") {
                        w.broken.set(true);
                        return Err(backend(undo));
                    }
                    self.ids.undo_to(&mut w.pending.borrow_mut(), mark);
                    Err(e)
                }
            };
        }
        let tx = w.conn.unchecked_transaction().map_err(backend)?;
        let out = match write(&w) {
            Ok(out) => out,
            Err(e) => {
                drop(tx);
                self.ids.finish(&mut w.pending.borrow_mut(), false);
                return Err(e);
            }
        };
        let committed = self.commit(true, || tx.commit());
        self.ids
            .finish(&mut w.pending.borrow_mut(), committed.is_ok());
        let n = committed?;
        self.checkpoint_if_due(&w.conn);
        drop(w);
        if let (Some(sync), Some(n)) = (&self.sync, n) {
            sync.wait(n).map_err(StoreError::Backend)?;
        }
        Ok(out)
    }

    /// Applies `batch` in the open group without a savepoint: every
    /// precondition is checked before anything is written, so a refused
    /// batch changed nothing, and a failure after that breaks the group.
    /// Gives the batch back when it names a record twice (its later checks
    /// depend on its earlier writes): it then needs a savepoint.
    fn apply_in_group(
        &self,
        w: &Writer,
        batch: Vec<Write>,
    ) -> Result<StoreResult<Vec<Record>>, Vec<Write>> {
        if w.broken.get() {
            return Ok(Err(StoreError::Backend(
                "an earlier write of this group failed".into(),
            )));
        }
        let keys: std::collections::HashSet<_> = batch
            .iter()
            .map(|write| {
                let (kind, id, _) = write.target();
                (kind, id)
            })
            .collect();
        if keys.len() != batch.len() {
            return Err(batch);
        }
        let rows = batch
            .iter()
            .map(|write| {
                let (kind, id, expect) = write.target();
                self.check(&w.conn, kind, id, expect)
            })
            .collect::<StoreResult<Vec<_>>>();
        let rows = match rows {
            Ok(rows) => rows,
            Err(e) => return Ok(Err(e)),
        };
        let out = batch
            .into_iter()
            .zip(rows)
            .map(|(write, row)| self.write_one(w, write, row))
            .collect::<StoreResult<Vec<_>>>()
            .map(|written| written.into_iter().flatten().collect());
        match &out {
            Ok(_) => w.dirty.set(true),
            Err(_) => w.broken.set(true),
        }
        Ok(out)
    }

    /// Copies the WAL into the database once it has grown past
    /// [`CHECKPOINT_PAGES`]. Passive: it never waits for readers, and a
    /// failure only leaves the log longer (the next one tries again). The
    /// writer's next transaction then starts the WAL over.
    fn checkpoint_if_due(&self, conn: &Connection) {
        let Some(ck) = &self.checkpoints else { return };
        if ck.pages.load(Ordering::Relaxed) < CHECKPOINT_PAGES {
            return;
        }
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            Ok(()) => ck.pages.store(0, Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }

    /// Runs `commit`; when it commits changes (`changes`), numbers it for
    /// the fsync thread (returning the number) and starts a new generation.
    fn commit(
        &self,
        changes: bool,
        commit: impl FnOnce() -> rusqlite::Result<()>,
    ) -> StoreResult<Option<u64>> {
        let n = self.sync.as_ref().filter(|_| changes).map(Syncer::begin);
        let committed = commit();
        if let (Some(sync), Some(n)) = (&self.sync, n) {
            // Also after a failed commit: the number is spent either way.
            sync.written(n);
        }
        committed.map_err(backend)?;
        if changes {
            self.changed();
        }
        Ok(n)
    }

    /// Runs `f` on the writer connection (tests set up faults with it).
    #[cfg(test)]
    pub(super) fn with_writer<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.writer.lock().conn)
    }

    /// Pages in the WAL after the last commit.
    #[cfg(test)]
    pub(super) fn wal_pages(&self) -> i32 {
        self.checkpoints
            .as_ref()
            .map_or(0, |c| c.pages.load(Ordering::Relaxed))
    }

    /// Marks that committed state changed.
    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

fn row_to_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    let kind: String = row.get(1)?;
    Ok(Record {
        seq: row.get(0)?,
        kind: Kind::parse(&kind).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                format!("unknown kind {kind}").into(),
            )
        })?,
        id: row.get(2)?,
        account: row.get(3)?,
        region: row.get(4)?,
        state: row.get(5)?,
        parent: row.get(6)?,
        location: row.get(7)?,
        link: row.get(8)?,
        doc: row.get(9)?,
        version: row.get(10)?,
        due_at: row.get(11)?,
    })
}

impl SqliteStore {
    /// The row and version of a record, as `conn` sees it.
    fn current(&self, conn: &Connection, kind: Kind, id: &str) -> StoreResult<Option<(i64, i64)>> {
        let Some(seq) = self.ids.seq(kind, id) else {
            return Ok(None);
        };
        conn.prepare_cached(
            "SELECT version FROM resources WHERE seq = ?1 AND kind = ?2 AND id = ?3",
        )
        .map_err(backend)?
        .query_row(params![seq, kind.as_str(), id], |r| r.get(0))
        .optional()
        .map(|v| v.map(|v| (seq, v)))
        .map_err(backend)
    }

    /// Checks a precondition; the record's row when it exists.
    fn check(
        &self,
        conn: &Connection,
        kind: Kind,
        id: &str,
        expect: Expect,
    ) -> StoreResult<Option<i64>> {
        let found = self.current(conn, kind, id)?;
        let ok = match expect {
            Expect::Absent => found.is_none(),
            Expect::Version(v) => found.map(|(_, have)| have) == Some(v),
        };
        if ok {
            Ok(found.map(|(seq, _)| seq))
        } else {
            Err(StoreError::Conflict {
                kind: kind.as_str(),
                id: id.to_string(),
            })
        }
    }

    /// Checks and applies a batch's writes one after the other on the
    /// writer, inside a transaction or savepoint the caller opened; returns
    /// the stored records of the puts.
    fn write_all(&self, w: &Writer, batch: Vec<Write>) -> StoreResult<Vec<Record>> {
        let mut written = Vec::new();
        for write in batch {
            let (kind, id, expect) = write.target();
            let row = self.check(&w.conn, kind, id, expect)?;
            written.extend(self.write_one(w, write, row)?);
        }
        Ok(written)
    }

    /// Applies one write whose precondition holds, `row` being the record's
    /// row if it exists; the stored record of a put.
    fn write_one(&self, w: &Writer, write: Write, row: Option<i64>) -> StoreResult<Option<Record>> {
        let conn = &w.conn;
        match write {
            Write::Put(mut rec, expect) => {
                rec.version = match expect {
                    Expect::Absent => 1,
                    Expect::Version(v) => v + 1,
                };
                match (expect, row) {
                    (Expect::Absent, _) => {
                        conn.prepare_cached(
                                "INSERT INTO resources (kind, id, account, region, state, parent, location, link, doc, version, due_at)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                            )
                            .map_err(backend)?
                            .execute(params![rec.kind.as_str(), rec.id, rec.account, rec.region, rec.state, rec.parent, rec.location, rec.link, rec.doc, rec.version, rec.due_at])
                            .map_err(backend)?;
                        rec.seq = conn.last_insert_rowid();
                        self.ids
                            .set(&mut w.pending.borrow_mut(), rec.kind, &rec.id, rec.seq);
                    }
                    (Expect::Version(_), Some(seq)) => {
                        conn.prepare_cached(
                                "UPDATE resources SET account = ?2, region = ?3, state = ?4, parent = ?5, location = ?6, link = ?7, doc = ?8, version = ?9, due_at = ?10
                                 WHERE seq = ?1",
                            )
                            .map_err(backend)?
                            .execute(params![seq, rec.account, rec.region, rec.state, rec.parent, rec.location, rec.link, rec.doc, rec.version, rec.due_at])
                            .map_err(backend)?;
                        rec.seq = seq;
                    }
                    (Expect::Version(_), None) => {
                        return Err(StoreError::Conflict {
                            kind: rec.kind.as_str(),
                            id: rec.id,
                        });
                    }
                }
                Ok(Some(rec))
            }
            Write::Delete { kind, id, .. } => {
                if let Some(seq) = row {
                    conn.prepare_cached("DELETE FROM resources WHERE seq = ?1")
                        .map_err(backend)?
                        .execute(params![seq])
                        .map_err(backend)?;
                    self.ids.remove(&mut w.pending.borrow_mut(), kind, &id, seq);
                }
                Ok(None)
            }
        }
    }
}

/// Rebuilds a resources table made before the id map (with a unique index on
/// kind and id) without that index, keeping every row, its number and the
/// sequence that numbers new rows.
fn migrate(conn: &Connection) -> StoreResult<()> {
    let old = conn
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'sqlite_autoindex_resources_1'")
        .and_then(|mut s| s.exists([]))
        .map_err(backend)?;
    if !old {
        return Ok(());
    }
    tracing::info!("rebuilding the resources table without its id index");
    let tx = conn.unchecked_transaction().map_err(backend)?;
    tx.execute_batch(&format!(
        "{};
         INSERT INTO resources_v2 ({COLUMNS}) SELECT {COLUMNS} FROM resources;
         DELETE FROM sqlite_sequence WHERE name = 'resources_v2';
         INSERT INTO sqlite_sequence (name, seq) SELECT 'resources_v2', seq FROM sqlite_sequence WHERE name = 'resources';
         DROP TABLE resources;
         ALTER TABLE resources_v2 RENAME TO resources;",
        TABLE.replace("IF NOT EXISTS resources", "resources_v2")
    ))
    .map_err(backend)?;
    tx.commit().map_err(backend)
}

/// Appends a query's WHERE clause (without its limit) to `sql`; returns
/// its arguments, borrowed from the query.
pub(super) fn where_clause<'q>(q: &'q Query<'_>, sql: &mut String) -> Vec<ToSqlOutput<'q>> {
    let text = |v: &'q str| ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes()));
    sql.push_str("kind = ?");
    let mut args = vec![text(q.kind.as_str())];
    for (column, value) in q.equalities() {
        if let Some(v) = value {
            sql.push_str(" AND ");
            sql.push_str(column);
            sql.push_str(" = ?");
            args.push(text(v));
        }
    }
    if !q.parents.is_empty() {
        sql.push_str(" AND parent IN (");
        for (i, p) in q.parents.iter().enumerate() {
            sql.push_str(if i == 0 { "?" } else { ", ?" });
            args.push(text(p));
        }
        sql.push(')');
    }
    for s in q.exclude_states {
        // State names are the service's own constants; written as literals
        // so SQLite can match them to the partial indexes on live resources.
        if s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            sql.push_str(" AND state <> '");
            sql.push_str(s);
            sql.push('\'');
        } else {
            sql.push_str(" AND state <> ?");
            args.push(text(s));
        }
    }
    if let Some(after) = q.after_seq {
        sql.push_str(" AND seq > ?");
        args.push(ToSqlOutput::from(after));
    }
    args
}

impl SqliteStore {
    /// A count read from the tallies, for a query by owner (and optionally
    /// region and location) and states: `None` for any other query.
    fn tally(&self, q: &Query<'_>) -> StoreResult<Option<usize>> {
        let Some(account) = q.account else {
            return Ok(None);
        };
        if q.parent.is_some() || !q.parents.is_empty() || q.link.is_some() || q.after_seq.is_some()
        {
            return Ok(None);
        }
        let mut sql = String::from(
            "SELECT coalesce(sum(n), 0) FROM tallies WHERE kind = ?1 AND account = ?2",
        );
        let mut args: Vec<&str> = vec![q.kind.as_str(), account];
        for (column, value) in [("region", q.region), ("location", q.location)] {
            if let Some(v) = value {
                args.push(v);
                sql.push_str(&format!(" AND {column} = ?{}", args.len()));
            }
        }
        for state in q.exclude_states {
            args.push(state);
            sql.push_str(&format!(" AND state <> ?{}", args.len()));
        }
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
        let n: i64 = stmt
            .query_row(params_from_iter(args), |r| r.get(0))
            .map_err(backend)?;
        Ok(Some(usize::try_from(n).unwrap_or(0)))
    }
}

impl Store for SqliteStore {
    fn get(&self, kind: Kind, id: &str) -> StoreResult<Option<Record>> {
        let Some(seq) = self.ids.seq(kind, id) else {
            return Ok(None);
        };
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(concat!(
                "SELECT ",
                columns!(),
                " FROM resources WHERE seq = ?1 AND kind = ?2 AND id = ?3"
            ))
            .map_err(backend)?;
        stmt.query_row(params![seq, kind.as_str(), id], row_to_record)
            .optional()
            .map_err(backend)
    }

    fn list(&self, q: &Query<'_>) -> StoreResult<Vec<Record>> {
        let mut sql = String::with_capacity(256);
        sql.push_str("SELECT ");
        sql.push_str(COLUMNS);
        sql.push_str(" FROM resources WHERE ");
        let mut args = where_clause(q, &mut sql);
        sql.push_str(" ORDER BY seq");
        if let Some(limit) = q.limit {
            sql.push_str(" LIMIT ?");
            args.push(ToSqlOutput::from(limit.min(i64::MAX as usize) as i64));
        }
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
        let rows = stmt
            .query_map(params_from_iter(args), row_to_record)
            .map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn count(&self, q: &Query<'_>) -> StoreResult<usize> {
        if let Some(n) = self.tally(q)? {
            return Ok(q.limit.map_or(n, |limit| n.min(limit)));
        }
        let mut sql = String::with_capacity(224);
        sql.push_str("SELECT COUNT(*) FROM (SELECT 1 FROM resources WHERE ");
        let args = where_clause(q, &mut sql);
        match q.limit {
            Some(n) => sql.push_str(&format!(" LIMIT {n})")),
            None => sql.push(')'),
        }
        let conn = self.read()?;
        let mut stmt = conn.prepare_cached(&sql).map_err(backend)?;
        let n: i64 = stmt
            .query_row(params_from_iter(args), |r| r.get(0))
            .map_err(backend)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn exists(&self, kind: Kind, id: &str) -> StoreResult<bool> {
        let Some(seq) = self.ids.seq(kind, id) else {
            return Ok(false);
        };
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached("SELECT 1 FROM resources WHERE seq = ?1 AND kind = ?2 AND id = ?3")
            .map_err(backend)?;
        stmt.exists(params![seq, kind.as_str(), id])
            .map_err(backend)
    }

    fn apply(&self, batch: Vec<Write>) -> StoreResult<Vec<Record>> {
        let w = self.writer.lock();
        let batch = if w.in_group.get() {
            match self.apply_in_group(&w, batch) {
                Ok(done) => return done,
                Err(batch) => batch,
            }
        } else {
            batch
        };
        drop(w);
        self.write(|w| self.write_all(w, batch))
    }

    fn group(&self, body: &mut dyn FnMut()) -> StoreResult<()> {
        let w = self.writer.lock();
        if w.in_group.get() {
            // Nested: the writes join the group already open.
            body();
            return Ok(());
        }
        cached(&w.conn, "BEGIN IMMEDIATE").map_err(backend)?;
        w.in_group.set(true);
        w.dirty.set(false);
        w.broken.set(false);
        let guard = GroupGuard(self, &w);
        body();
        w.in_group.set(false);
        drop(guard);
        if w.broken.get() {
            let _ = w.conn.execute_batch("ROLLBACK");
            self.ids.finish(&mut w.pending.borrow_mut(), false);
            return Err(StoreError::Backend(
                "a write of the group failed; the group was rolled back".into(),
            ));
        }
        // The group's callers are answered once it is durable (through
        // `horizon` and `after_durable`), so the writer can go on meanwhile.
        if let Err(e) = self.commit(w.dirty.get(), || cached(&w.conn, "COMMIT").map(|_| ())) {
            let _ = w.conn.execute_batch("ROLLBACK");
            self.ids.finish(&mut w.pending.borrow_mut(), false);
            return Err(e);
        }
        self.ids.finish(&mut w.pending.borrow_mut(), true);
        Ok(())
    }

    fn groups_writes(&self) -> bool {
        true
    }

    fn maintain(&self) {
        let w = self.writer.lock();
        if !w.in_group.get() {
            self.checkpoint_if_due(&w.conn);
        }
    }

    fn due(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<Record>> {
        let conn = self.read()?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM resources WHERE due_at IS NOT NULL AND due_at <= ?1 ORDER BY due_at, seq LIMIT ?2"
            ))
            .map_err(backend)?;
        let rows = stmt
            .query_map(params![now_ms, limit as i64], row_to_record)
            .map_err(backend)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(backend)
    }

    fn next_due(&self) -> StoreResult<Option<i64>> {
        let conn = self.read()?;
        conn.query_row(
            "SELECT MIN(due_at) FROM resources WHERE due_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .map_err(backend)
    }

    fn reset(&self) -> StoreResult<()> {
        self.write(|w| {
            w.conn
                .execute("DELETE FROM resources", [])
                .map_err(backend)?;
            self.ids.clear(&mut w.pending.borrow_mut());
            Ok(())
        })
    }

    fn generation(&self) -> Option<u64> {
        Some(self.generation.load(Ordering::SeqCst))
    }

    fn horizon(&self) -> u64 {
        self.sync.as_ref().map_or(0, Syncer::horizon)
    }

    fn durability(&self) -> Option<tokio::sync::watch::Receiver<Durable>> {
        self.sync.as_ref().map(Syncer::subscribe)
    }

    fn after_durable(&self, n: u64, then: super::OnDurable) {
        match &self.sync {
            Some(sync) => sync.after(n, then),
            None => then(true),
        }
    }
}
