//! Persistence: records keyed by kind and id. Knows nothing of HTTP or wire types.
//!
//! A record is an envelope of indexed columns (owner, region, state, parent, the
//! time of its next lifecycle transition) around an opaque JSON document that
//! the service layer owns. Every write is a batch applied atomically, each item
//! with a precondition, so multi-record operations stay consistent.

mod idmap;
mod postgres;
mod sqlite;
mod sync;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use sync::{Durable, OnDurable};

/// What an acknowledged write survives (the file store's contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// The dxemu process dying (SIGKILL, OOM, a crash): a commit is written
    /// to the WAL before it is answered, not fsynced.
    #[default]
    Process,
    /// The machine losing power too: every answer waits until what it may
    /// reflect is fsynced (commits share one fsync in the background).
    Full,
}

/// Resource families the store keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Connection,
    Interconnect,
    Lag,
    VirtualInterface,
    Gateway,
    Agreement,
    MacSecSecret,
    VirtualGateway,
    GatewayAssociation,
    AssociationProposal,
    FailoverTest,
    ResiliencyGroup,
    ResiliencyGroupAssociation,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Connection => "connection",
            Kind::Interconnect => "interconnect",
            Kind::Lag => "lag",
            Kind::VirtualInterface => "vif",
            Kind::Gateway => "gateway",
            Kind::Agreement => "agreement",
            Kind::MacSecSecret => "macsec-secret",
            Kind::VirtualGateway => "virtual-gateway",
            Kind::GatewayAssociation => "gateway-association",
            Kind::AssociationProposal => "association-proposal",
            Kind::FailoverTest => "failover-test",
            Kind::ResiliencyGroup => "resiliency-group",
            Kind::ResiliencyGroupAssociation => "resiliency-group-association",
        }
    }

    /// Every kind, in the order a full export lists them.
    pub const ALL: [Kind; 13] = [
        Kind::Connection,
        Kind::Interconnect,
        Kind::Lag,
        Kind::VirtualInterface,
        Kind::Gateway,
        Kind::Agreement,
        Kind::MacSecSecret,
        Kind::VirtualGateway,
        Kind::GatewayAssociation,
        Kind::AssociationProposal,
        Kind::FailoverTest,
        Kind::ResiliencyGroup,
        Kind::ResiliencyGroupAssociation,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One stored resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: Kind,
    pub id: String,
    pub account: String,
    pub region: String,
    pub state: String,
    pub parent: Option<String>,
    /// The Direct Connect location the resource is at, if any.
    pub location: Option<String>,
    /// A second reference, indexed: the gateway a VIF attaches to, or the
    /// VGW/TGW of a gateway association or proposal.
    pub link: Option<String>,
    /// The service's JSON document for this resource.
    pub doc: String,
    /// Bumped by every write; 0 before the first.
    pub version: i64,
    /// Insertion order, assigned by the store; never reused.
    pub seq: i64,
    /// When the lifecycle engine should next look at this record (epoch ms).
    pub due_at: Option<i64>,
}

/// What a put expects to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No record with this kind and id exists.
    Absent,
    /// The record exists at exactly this version.
    Version(i64),
}

/// One item of an atomic write batch.
// Batches are short-lived and small; boxing every put would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Write {
    Put(Record, Expect),
    Delete {
        kind: Kind,
        id: String,
        expect: Expect,
    },
}

impl Write {
    /// The record a write is about, and what it expects to find.
    pub fn target(&self) -> (Kind, &str, Expect) {
        match self {
            Write::Put(rec, expect) => (rec.kind, &rec.id, *expect),
            Write::Delete { kind, id, expect } => (*kind, id, *expect),
        }
    }
}

/// A listing of one kind, in insertion order.
#[derive(Debug, Clone)]
pub struct Query<'a> {
    pub kind: Kind,
    pub account: Option<&'a str>,
    pub region: Option<&'a str>,
    pub parent: Option<&'a str>,
    /// Records whose parent is any of these (none: no such condition).
    pub parents: &'a [&'a str],
    pub location: Option<&'a str>,
    pub link: Option<&'a str>,
    /// States to leave out.
    pub exclude_states: &'a [&'a str],
    /// Only records with `seq` greater than this.
    pub after_seq: Option<i64>,
    pub limit: Option<usize>,
}

impl<'a> Query<'a> {
    /// The columns a query matches by equality, with the value of each it
    /// sets: every backend builds its WHERE clause from these.
    pub fn equalities(&self) -> [(&'static str, Option<&'a str>); 5] {
        [
            ("account", self.account),
            ("region", self.region),
            ("parent", self.parent),
            ("location", self.location),
            ("link", self.link),
        ]
    }

    pub fn kind(kind: Kind) -> Self {
        Self {
            kind,
            account: None,
            region: None,
            parent: None,
            parents: &[],
            location: None,
            link: None,
            exclude_states: &[],
            after_seq: None,
            limit: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("precondition failed for {kind} {id}")]
    Conflict { kind: &'static str, id: String },
    #[error("storage backend error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Anything held for its effect when dropped.
pub trait Held {}
impl<T> Held for T {}

/// A store's cross-process write lock, released when dropped.
pub type WriteGuard<'a> = Box<dyn Held + 'a>;

/// The storage contract every backend implements. Calls are synchronous and
/// short; the HTTP layer runs them on blocking threads.
pub trait Store: Send + Sync {
    fn get(&self, kind: Kind, id: &str) -> StoreResult<Option<Record>>;
    /// Whether a record of `kind` with `id` exists (in any state).
    fn exists(&self, kind: Kind, id: &str) -> StoreResult<bool> {
        Ok(self.get(kind, id)?.is_some())
    }
    fn list(&self, query: &Query<'_>) -> StoreResult<Vec<Record>>;
    /// How many records `query` would list, counting no further than its
    /// limit when it has one: a quota check asks for at most the quota plus
    /// one, so its cost does not grow with the data.
    fn count(&self, query: &Query<'_>) -> StoreResult<usize>;
    /// Applies every write or none. On success, returns the stored records of the puts (with their new version and seq).
    fn apply(&self, batch: Vec<Write>) -> StoreResult<Vec<Record>>;
    /// Records whose `due_at` is at or before `now`, earliest first.
    fn due(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<Record>>;
    /// The earliest `due_at` of any record.
    fn next_due(&self) -> StoreResult<Option<i64>>;
    /// Removes every record (sequence numbers keep counting up).
    fn reset(&self) -> StoreResult<()>;
    /// A number that changes after every committed change, read after the
    /// change is visible; `None` when the store cannot tell (another process
    /// may write to it), which turns off caching of answers.
    fn generation(&self) -> Option<u64> {
        None
    }
    /// Whether other processes write to this store too, so nothing read
    /// earlier (such as the next due time) can be assumed still current.
    fn shared(&self) -> bool {
        false
    }
    /// Runs `body` with every write it makes (on this thread) joining one
    /// transaction, committed once when `body` returns: one durable commit
    /// for many writes. Each `apply` inside stays atomic on its own: one
    /// refused for a precondition changes nothing. A fault of the store
    /// itself may fail the whole group. Reads made by `body` see its writes;
    /// everyone else sees them once the group has committed. Fails when the
    /// commit fails, and then none of the group's writes happened. A store
    /// that cannot group runs `body` with each write committed on its own.
    fn group(&self, body: &mut dyn FnMut()) -> StoreResult<()> {
        body();
        Ok(())
    }
    /// Whether `group` commits its writes together.
    fn groups_writes(&self) -> bool {
        false
    }
    /// Housekeeping deferred from commits (such as copying a write-ahead
    /// log into the database), run by the writer once the callers of its
    /// last group are answered.
    fn maintain(&self) {}
    /// The number of the latest commit anyone may have read so far.
    /// Meaningful with `durability`: an answer must wait until the horizon
    /// read after it was made is durable.
    fn horizon(&self) -> u64 {
        0
    }
    /// For a store whose commits are visible before they are durable (the
    /// fsync runs in the background): follows how far they are durable.
    /// `None`: every commit is durable once visible.
    fn durability(&self) -> Option<tokio::sync::watch::Receiver<Durable>> {
        None
    }
    /// Runs `then` once commit `n` is durable (`true`), or can never be
    /// (`false`); at once for a store whose commits are durable when visible.
    fn after_durable(&self, n: u64, then: OnDurable) {
        let _ = n;
        then(true);
    }
    /// Takes the lock that serialises read-check-write sequences across
    /// processes; `None` when the store has one process only.
    fn lock_writes(&self) -> StoreResult<Option<WriteGuard<'_>>> {
        Ok(None)
    }
}

#[cfg(test)]
mod contract;
