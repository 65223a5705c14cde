//! A PostgreSQL store, so several dxemu processes can share one state.
//!
//! Uses the synchronous `postgres` client: each connection drives its own
//! small runtime with `block_on`. That works on plain threads and on tokio's
//! blocking pool (where the HTTP layer runs every store call) but panics on a
//! thread that drives async tasks. So the server opens the store inside
//! `spawn_blocking`, and dropping the store closes its connections on a
//! thread of its own.
//!
//! The schema is created by numbered migrations, applied at start inside a
//! transaction that holds an advisory lock, so processes starting together
//! do not race. Tables live in the first schema of the connection's
//! `search_path` (`public` unless the URL says otherwise).

use super::{Expect, Kind, Query, Record, Store, StoreError, StoreResult, Write, WriteGuard};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Row, Statement};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// The schema's history: each step runs once, in order, and is recorded in
/// `dxemu_migrations`. Never edit a released step; append a new one.
const MIGRATIONS: &[(i32, &str, &str)] = &[(
    1,
    "resources table",
    "
CREATE TABLE resources (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind     TEXT NOT NULL,
    id       TEXT NOT NULL,
    account  TEXT NOT NULL,
    region   TEXT NOT NULL,
    state    TEXT NOT NULL,
    parent   TEXT,
    location TEXT,
    link     TEXT,
    doc      TEXT NOT NULL,
    version  BIGINT NOT NULL,
    due_at   BIGINT,
    UNIQUE (kind, id)
);
CREATE INDEX resources_owner ON resources (kind, account, region, seq);
CREATE INDEX resources_parent ON resources (parent) WHERE parent IS NOT NULL;
CREATE INDEX resources_location ON resources (kind, account, region, location, state) WHERE location IS NOT NULL;
CREATE INDEX resources_link ON resources (link) WHERE link IS NOT NULL;
CREATE INDEX resources_due ON resources (due_at) WHERE due_at IS NOT NULL;
",
)];

/// First half of dxemu's advisory lock keys; the second is a hash of the schema,
/// so stores in different schemas of one database do not block each other.
const LOCK_MIGRATE: i32 = 0x6478_0001;
const LOCK_WRITES: i32 = 0x6478_0002;

const COLUMNS: &str =
    "seq, kind, id, account, region, state, parent, location, link, doc, version, due_at";

/// Connections kept per process. Requests beyond this wait for a free one.
const POOL_SIZE: usize = 8;

/// How long acquiring the cross-process write lock may wait.
const LOCK_WAIT: Duration = Duration::from_secs(30);

/// A connection with the statements it has prepared.
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Conn {
    fn open(config: &Config) -> Result<Self, postgres::Error> {
        Ok(Self {
            client: config.connect(NoTls)?,
            statements: HashMap::new(),
        })
    }

    /// The prepared statement for `sql`, preparing it on first use.
    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

struct Pool {
    idle: Vec<Conn>,
    /// Connections open, idle or lent out.
    open: usize,
}

/// PostgreSQL behind a small connection pool.
pub struct PostgresStore {
    config: Config,
    pool: Mutex<Pool>,
    freed: Condvar,
    /// The connection holding the cross-process write lock between requests.
    lock_conn: Mutex<Option<Client>>,
}

fn backend(e: postgres::Error) -> StoreError {
    let msg = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    StoreError::Backend(msg)
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Backend("store pool lock poisoned".into())
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`, or a
    /// key=value string) and brings its schema up to date.
    pub fn connect(url: &str) -> StoreResult<Self> {
        Self::from_config(parse(url)?)
    }

    /// Like `connect`, with the tables in `schema` (created if missing).
    pub fn connect_in_schema(url: &str, schema: &str) -> StoreResult<Self> {
        if schema.is_empty()
            || !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(StoreError::Backend(format!("bad schema name {schema:?}")));
        }
        let mut config = parse(url)?;
        let mut client = config.connect(NoTls).map_err(backend)?;
        // CREATE SCHEMA IF NOT EXISTS is not safe against a concurrent one
        // (both may try to insert it): processes starting together take turns.
        let mut tx = client.transaction().map_err(backend)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&LOCK_MIGRATE, &schema],
        )
        .map_err(backend)?;
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .map_err(backend)?;
        tx.commit().map_err(backend)?;
        drop(client);
        config.options(&format!("-c search_path={schema}"));
        Self::from_config(config)
    }

    fn from_config(mut config: Config) -> StoreResult<Self> {
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("dxemu");
        }
        let store = Self {
            config,
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
            lock_conn: Mutex::new(None),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Applies the migrations this database has not seen, holding the migration lock.
    fn migrate(&self) -> StoreResult<()> {
        let mut client = self.config.connect(NoTls).map_err(backend)?;
        let mut tx = client.transaction().map_err(backend)?;
        let schema: Option<String> = tx
            .query_one("SELECT current_schema()", &[])
            .map_err(backend)?
            .get(0);
        if schema.is_none() {
            return Err(StoreError::Backend(
                "no schema of the search_path exists in the database".into(),
            ));
        }
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
            &[&LOCK_MIGRATE],
        )
        .map_err(backend)?;
        // Quiet the notice CREATE TABLE IF NOT EXISTS gives when the table exists.
        tx.batch_execute("SET LOCAL client_min_messages = warning")
            .map_err(backend)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS dxemu_migrations (
                 version    INTEGER PRIMARY KEY,
                 name       TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .map_err(backend)?;
        let current: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM dxemu_migrations",
                &[],
            )
            .map_err(backend)?
            .get(0);
        let known = MIGRATIONS.last().map_or(0, |m| m.0);
        if current > known {
            return Err(StoreError::Backend(format!(
                "the database schema is at version {current}, newer than this dxemu knows ({known})"
            )));
        }
        for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            tracing::info!(version, name, "applying store migration");
            tx.batch_execute(sql).map_err(backend)?;
            tx.execute(
                "INSERT INTO dxemu_migrations (version, name) VALUES ($1, $2)",
                &[version, name],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)
    }

    /// Runs `f` on a pooled connection. A connection that broke is dropped.
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, postgres::Error>,
    ) -> StoreResult<T> {
        let mut conn = self.take()?;
        let result = f(&mut conn);
        self.give_back(conn);
        result.map_err(backend)
    }

    fn take(&self) -> StoreResult<Conn> {
        let mut pool = self.pool.lock().map_err(poisoned)?;
        loop {
            if let Some(conn) = pool.idle.pop() {
                if conn.client.is_closed() {
                    pool.open -= 1;
                    continue;
                }
                return Ok(conn);
            }
            if pool.open < POOL_SIZE {
                pool.open += 1;
                drop(pool);
                return Conn::open(&self.config).map_err(|e| {
                    if let Ok(mut pool) = self.pool.lock() {
                        pool.open -= 1;
                    }
                    self.freed.notify_one();
                    backend(e)
                });
            }
            pool = self.freed.wait(pool).map_err(poisoned)?;
        }
    }

    fn give_back(&self, conn: Conn) {
        if let Ok(mut pool) = self.pool.lock() {
            if conn.client.is_closed() {
                pool.open -= 1;
            } else {
                pool.idle.push(conn);
            }
        }
        self.freed.notify_one();
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Closing a client blocks on its own runtime, which panics on a thread
        // that drives async tasks (as when the server shuts down): close them
        // on a thread of their own.
        let idle = std::mem::take(&mut self.pool.get_mut().unwrap_or_else(|p| p.into_inner()).idle);
        let lock = self
            .lock_conn
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if idle.is_empty() && lock.is_none() {
            return;
        }
        let closed = std::thread::spawn(move || {
            drop(idle);
            drop(lock);
        })
        .join();
        if closed.is_err() {
            tracing::warn!("closing the store's connections failed");
        }
    }
}

fn parse(url: &str) -> StoreResult<Config> {
    url.parse()
        .map_err(|e: postgres::Error| StoreError::Backend(format!("bad store URL: {e}")))
}

/// PostgreSQL text cannot hold NUL, which client input can: envelope strings
/// are stored with `\` written `\\` and NUL written `\0`, a one-to-one
/// encoding, so lookups of such ids simply match nothing or themselves.
/// (Documents are JSON, where NUL is always escaped already.)
fn enc(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['\\', '\0']) {
        return s.into();
    }
    s.replace('\\', "\\\\").replace('\0', "\\0").into()
}

fn enc_opt(s: &Option<String>) -> Option<std::borrow::Cow<'_, str>> {
    s.as_deref().map(enc)
}

fn dec(s: String) -> String {
    if !s.contains('\\') {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn dec_opt(s: Option<String>) -> Option<String> {
    s.map(dec)
}

fn row_to_record(row: &Row) -> Result<Record, StoreError> {
    let kind: String = row.get(1);
    Ok(Record {
        seq: row.get(0),
        kind: Kind::parse(&kind)
            .ok_or_else(|| StoreError::Backend(format!("unknown kind {kind} in the store")))?,
        id: dec(row.get(2)),
        account: dec(row.get(3)),
        region: dec(row.get(4)),
        state: dec(row.get(5)),
        parent: dec_opt(row.get(6)),
        location: dec_opt(row.get(7)),
        link: dec_opt(row.get(8)),
        doc: row.get(9),
        version: row.get(10),
        due_at: row.get(11),
    })
}

fn rows_to_records(rows: Vec<Row>) -> StoreResult<Vec<Record>> {
    rows.iter().map(row_to_record).collect()
}

/// A query argument.
enum Arg {
    Text(String),
    Int(i64),
}

impl Arg {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Arg::Text(s) => s,
            Arg::Int(n) => n,
        }
    }
}

/// The WHERE clause and arguments of a query (without its limit).
fn where_clause(q: &Query<'_>) -> (String, Vec<Arg>) {
    let mut sql = String::from("kind = $1");
    let mut args = vec![Arg::Text(q.kind.as_str().to_string())];
    let mut push = |sql: &mut String, cond: &str, arg: Arg| {
        args.push(arg);
        sql.push_str(&format!(" AND {cond} ${}", args.len()));
    };
    for (column, value) in q.equalities() {
        if let Some(v) = value {
            push(
                &mut sql,
                &format!("{column} ="),
                Arg::Text(enc(v).into_owned()),
            );
        }
    }
    for s in q.exclude_states {
        push(&mut sql, "state <>", Arg::Text(enc(s).into_owned()));
    }
    if let Some(after) = q.after_seq {
        push(&mut sql, "seq >", Arg::Int(after));
    }
    if !q.parents.is_empty() {
        let mut any = Vec::with_capacity(q.parents.len());
        for p in q.parents {
            args.push(Arg::Text(enc(p).into_owned()));
            any.push(format!("parent = ${}", args.len()));
        }
        sql.push_str(&format!(" AND ({})", any.join(" OR ")));
    }
    (sql, args)
}

fn conflict(kind: Kind, id: &str) -> StoreError {
    StoreError::Conflict {
        kind: kind.as_str(),
        id: id.to_string(),
    }
}

/// The statements one batch uses, prepared before its transaction starts.
struct BatchStatements {
    insert: Statement,
    update: Statement,
    delete: Statement,
    exists: Statement,
}

const INSERT: &str = "INSERT INTO resources (kind, id, account, region, state, parent, location, link, doc, version, due_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (kind, id) DO NOTHING RETURNING seq";
const UPDATE: &str = "UPDATE resources SET account = $3, region = $4, state = $5, parent = $6, location = $7, link = $8, doc = $9, version = $10, due_at = $11
     WHERE kind = $1 AND id = $2 AND version = $12 RETURNING seq";
const DELETE: &str = "DELETE FROM resources WHERE kind = $1 AND id = $2 AND version = $3";
const EXISTS: &str = "SELECT 1 FROM resources WHERE kind = $1 AND id = $2";

/// Applies `batch` in one transaction; a failed precondition rolls it all back.
/// A record's envelope strings as stored.
struct Encoded<'a> {
    id: std::borrow::Cow<'a, str>,
    account: std::borrow::Cow<'a, str>,
    region: std::borrow::Cow<'a, str>,
    state: std::borrow::Cow<'a, str>,
    parent: Option<std::borrow::Cow<'a, str>>,
    location: Option<std::borrow::Cow<'a, str>>,
    link: Option<std::borrow::Cow<'a, str>>,
}

fn apply_batch(conn: &mut Conn, batch: Vec<Write>) -> StoreResult<Vec<Record>> {
    let st = BatchStatements {
        insert: conn.statement(INSERT).map_err(backend)?,
        update: conn.statement(UPDATE).map_err(backend)?,
        delete: conn.statement(DELETE).map_err(backend)?,
        exists: conn.statement(EXISTS).map_err(backend)?,
    };
    let mut tx = conn.client.transaction().map_err(backend)?;
    let mut written = Vec::new();
    for w in batch {
        match w {
            Write::Put(mut rec, expect) => {
                let kind = rec.kind.as_str();
                let e = Encoded {
                    id: enc(&rec.id),
                    account: enc(&rec.account),
                    region: enc(&rec.region),
                    state: enc(&rec.state),
                    parent: enc_opt(&rec.parent),
                    location: enc_opt(&rec.location),
                    link: enc_opt(&rec.link),
                };
                rec.version = match expect {
                    Expect::Absent => 1,
                    Expect::Version(v) => v + 1,
                };
                let row = match expect {
                    Expect::Absent => tx.query_opt(
                        &st.insert,
                        &[
                            &kind,
                            &e.id,
                            &e.account,
                            &e.region,
                            &e.state,
                            &e.parent,
                            &e.location,
                            &e.link,
                            &rec.doc,
                            &rec.version,
                            &rec.due_at,
                        ],
                    ),
                    Expect::Version(v) => tx.query_opt(
                        &st.update,
                        &[
                            &kind,
                            &e.id,
                            &e.account,
                            &e.region,
                            &e.state,
                            &e.parent,
                            &e.location,
                            &e.link,
                            &rec.doc,
                            &rec.version,
                            &rec.due_at,
                            &v,
                        ],
                    ),
                }
                .map_err(|e| match e.code() {
                    // Another transaction inserted the same id first.
                    Some(&SqlState::UNIQUE_VIOLATION) => conflict(rec.kind, &rec.id),
                    _ => backend(e),
                })?;
                let Some(row) = row else {
                    return Err(conflict(rec.kind, &rec.id));
                };
                rec.seq = row.get(0);
                written.push(rec);
            }
            Write::Delete { kind, id, expect } => {
                let ok = match expect {
                    Expect::Absent => tx
                        .query_opt(&st.exists, &[&kind.as_str(), &enc(&id)])
                        .map_err(backend)?
                        .is_none(),
                    Expect::Version(v) => {
                        tx.execute(&st.delete, &[&kind.as_str(), &enc(&id), &v])
                            .map_err(backend)?
                            == 1
                    }
                };
                if !ok {
                    return Err(conflict(kind, &id));
                }
            }
        }
    }
    tx.commit().map_err(backend)?;
    Ok(written)
}

/// Holds the cross-process write lock; releases it when dropped.
struct LockGuard<'a> {
    conn: MutexGuard<'a, Option<Client>>,
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        let released = self.conn.as_mut().map(|c| {
            c.execute(
                "SELECT pg_advisory_unlock($1, hashtext(current_schema()))",
                &[&LOCK_WRITES],
            )
        });
        if let Some(Err(e)) = released {
            // Closing the session releases its locks: drop the connection.
            tracing::warn!(error = %e, "cannot release the store write lock; reconnecting");
            *self.conn = None;
        }
    }
}

impl Store for PostgresStore {
    fn get(&self, kind: Kind, id: &str) -> StoreResult<Option<Record>> {
        let row = self.with_conn(|c| {
            let st = c.statement(&format!(
                "SELECT {COLUMNS} FROM resources WHERE kind = $1 AND id = $2"
            ))?;
            c.client.query_opt(&st, &[&kind.as_str(), &enc(id)])
        })?;
        row.as_ref().map(row_to_record).transpose()
    }

    fn list(&self, q: &Query<'_>) -> StoreResult<Vec<Record>> {
        let (filter, mut args) = where_clause(q);
        let mut sql = format!("SELECT {COLUMNS} FROM resources WHERE {filter} ORDER BY seq");
        if let Some(limit) = q.limit {
            args.push(Arg::Int(limit.min(i64::MAX as usize) as i64));
            sql.push_str(&format!(" LIMIT ${}", args.len()));
        }
        let rows = self.with_conn(|c| {
            let st = c.statement(&sql)?;
            let params: Vec<_> = args.iter().map(Arg::as_sql).collect();
            c.client.query(&st, &params)
        })?;
        rows_to_records(rows)
    }

    fn count(&self, q: &Query<'_>) -> StoreResult<usize> {
        let (filter, args) = where_clause(q);
        let sql = match q.limit {
            Some(n) => format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM resources WHERE {filter} LIMIT {n}) AS bounded"
            ),
            None => format!("SELECT COUNT(*) FROM resources WHERE {filter}"),
        };
        let n: i64 = self.with_conn(|c| {
            let st = c.statement(&sql)?;
            let params: Vec<_> = args.iter().map(Arg::as_sql).collect();
            Ok(c.client.query_one(&st, &params)?.get(0))
        })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn apply(&self, batch: Vec<Write>) -> StoreResult<Vec<Record>> {
        let mut conn = self.take()?;
        let result = apply_batch(&mut conn, batch);
        self.give_back(conn);
        result
    }

    fn due(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<Record>> {
        let limit = limit.min(i64::MAX as usize) as i64;
        let rows = self.with_conn(|c| {
            let st = c.statement(&format!(
                "SELECT {COLUMNS} FROM resources WHERE due_at IS NOT NULL AND due_at <= $1 ORDER BY due_at, seq LIMIT $2"
            ))?;
            c.client.query(&st, &[&now_ms, &limit])
        })?;
        rows_to_records(rows)
    }

    fn next_due(&self) -> StoreResult<Option<i64>> {
        self.with_conn(|c| {
            let st = c.statement("SELECT MIN(due_at) FROM resources WHERE due_at IS NOT NULL")?;
            Ok(c.client.query_one(&st, &[])?.get(0))
        })
    }

    fn reset(&self) -> StoreResult<()> {
        // DELETE, not TRUNCATE: the identity keeps counting, and readers are not blocked.
        self.with_conn(|c| c.client.execute("DELETE FROM resources", &[]))?;
        Ok(())
    }

    fn shared(&self) -> bool {
        true
    }

    fn lock_writes(&self) -> StoreResult<Option<WriteGuard<'_>>> {
        let mut conn = self.lock_conn.lock().map_err(poisoned)?;
        if conn.as_ref().is_none_or(Client::is_closed) {
            let mut client = self.config.connect(NoTls).map_err(backend)?;
            client
                .batch_execute(&format!(
                    "SET statement_timeout = {}",
                    LOCK_WAIT.as_millis()
                ))
                .map_err(backend)?;
            *conn = Some(client);
        }
        let locked = match conn.as_mut() {
            Some(client) => client.execute(
                "SELECT pg_advisory_lock($1, hashtext(current_schema()))",
                &[&LOCK_WRITES],
            ),
            None => return Err(StoreError::Backend("no lock connection".into())),
        };
        if let Err(e) = locked {
            *conn = None;
            return Err(backend(e));
        }
        Ok(Some(Box::new(LockGuard { conn })))
    }
}
