//! Business rules: the emulator's implementation of every operation.
//!
//! One module per resource family, one function per operation. Functions take
//! typed inputs and a `RequestContext` and talk to storage only through the
//! `Store` trait.

mod addressing;
mod bgp;
mod billing;
pub(crate) mod capacity;
mod connections;
mod control;
mod customer;
mod gateways;
mod ids;
mod interconnects;
mod lags;
pub mod loa;
pub mod locations;
mod macsec;
mod paging;
mod ports;
mod resiliency;
mod router;
mod routes;
mod tags;
mod vifs;

use crate::api::generated::service::DirectConnect;
use crate::api::generated::types::*;
use crate::api::http::Backend;
use crate::api::{ApiError, RequestContext};
use crate::lifecycle::{self, Step, Timing};
use crate::store::{Expect, Kind, Record, Store, StoreError, Write, WriteGuard};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Tunables of the emulated service.
#[derive(Debug, Clone)]
pub struct Settings {
    pub timing: Timing,
    /// Active dedicated connections one account may hold at one location in one region.
    pub max_connections_per_location: usize,
    /// Accounts that are Direct Connect partners, with an optional partner
    /// name. Empty: every account may act as one.
    pub partners: Vec<(String, Option<String>)>,
    /// Resiliency groups one account may have per region.
    pub max_resiliency_groups: usize,
    /// Connections and LAGs one resiliency group may have.
    pub max_resiliency_group_members: usize,
    /// The largest prefix pool allocation per address family a VIF may have.
    pub max_prefix_allocation: i32,
    /// Rate-limited VIFs one connection or LAG may carry.
    pub max_rate_limited_vifs: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            timing: Timing::Instant,
            max_connections_per_location: 10,
            partners: Vec::new(),
            max_resiliency_groups: resiliency::DEFAULT_MAX_GROUPS,
            max_resiliency_group_members: resiliency::DEFAULT_MAX_MEMBERS,
            max_prefix_allocation: capacity::DEFAULT_MAX_ALLOCATION,
            max_rate_limited_vifs: capacity::DEFAULT_MAX_RATE_LIMITED,
        }
    }
}

/// The emulated Direct Connect service.
pub struct Emulator {
    store: Arc<dyn Store>,
    settings: Settings,
    /// Serialises read-modify-write sequences so rules hold under concurrency.
    /// Reentrant: a group of writes holds it throughout while each request
    /// in the group takes it again.
    write_lock: parking_lot::ReentrantMutex<()>,
    /// Earliest lifecycle due time known (epoch ms); `i64::MAX` when none.
    next_due: AtomicI64,
    /// Woken when a transition falls due earlier than the lifecycle task expects.
    wake: tokio::sync::Notify,
    /// Partner accounts and names: the configured ones plus those registered
    /// through the control API. Empty: every account may act as a partner.
    partners: std::sync::RwLock<Vec<(String, Option<String>)>>,
    /// Lifecycle transitions this process has applied (and committed).
    transitions: AtomicU64,
    // --- event log ---
    /// Recent state changes, for the dashboard's history.
    events: crate::events::EventLog,
}

/// Held while a read-check-write sequence runs: the process's own lock and,
/// for a store shared between processes, the store's. The store's is
/// released first (fields drop in order).
pub(crate) struct WriteLock<'a> {
    _store: Option<WriteGuard<'a>>,
    _local: parking_lot::ReentrantMutexGuard<'a, ()>,
}

/// A stored resource: its wire document plus what only the emulator knows.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub(crate) struct Doc<W, X = serde_json::Value> {
    pub wire: W,
    #[serde(default)]
    pub x: X,
}

/// A record and its decoded document.
pub(crate) type Loaded<W, X> = (Record, Doc<W, X>);

impl Emulator {
    /// An emulator over `store`; catches up on transitions that fell due while it was down.
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Result<Self, StoreError> {
        let next = store.next_due()?.unwrap_or(i64::MAX);
        Ok(Self {
            store,
            write_lock: parking_lot::ReentrantMutex::new(()),
            next_due: AtomicI64::new(next),
            wake: tokio::sync::Notify::new(),
            partners: std::sync::RwLock::new(settings.partners.clone()),
            settings,
            transitions: AtomicU64::new(0),
            events: crate::events::EventLog::default(),
        })
    }

    /// Serialises read-check-write sequences, across processes too when the
    /// store is shared. Fails only when the store's lock cannot be taken.
    pub(crate) fn lock(&self) -> Result<WriteLock<'_>, ApiError> {
        let local = self.write_lock.lock();
        let store = self.store.lock_writes().map_err(store_error)?;
        Ok(WriteLock {
            _store: store,
            _local: local,
        })
    }

    /// The state-change log.
    pub(crate) fn events(&self) -> &crate::events::EventLog {
        &self.events
    }

    /// How many lifecycle transitions this process has applied.
    pub(crate) fn transitions_applied(&self) -> u64 {
        self.transitions.load(Ordering::Relaxed)
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The partner accounts and their names, as they stand now.
    pub(crate) fn partners(&self) -> std::sync::RwLockReadGuard<'_, Vec<(String, Option<String>)>> {
        // Updates replace whole entries; a poisoned lock holds a usable list.
        self.partners.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a partner account (or renames one).
    pub(crate) fn add_partner(&self, account: &str, name: Option<String>) {
        let mut list = self.partners.write().unwrap_or_else(|p| p.into_inner());
        match list.iter_mut().find(|(a, _)| a == account) {
            Some(entry) => entry.1 = name,
            None => list.push((account.to_string(), name)),
        }
    }

    /// Unregisters a partner account; whether it was one.
    pub(crate) fn remove_partner(&self, account: &str) -> bool {
        let mut list = self.partners.write().unwrap_or_else(|p| p.into_inner());
        let before = list.len();
        list.retain(|(a, _)| a != account);
        list.len() != before
    }

    /// Whether `account` may act as a Direct Connect partner.
    pub(crate) fn is_partner(&self, account: &str) -> bool {
        let list = self.partners();
        list.is_empty() || list.iter().any(|(p, _)| p == account)
    }

    /// Whether `account` is explicitly configured as a partner.
    pub(crate) fn is_configured_partner(&self, account: &str) -> bool {
        self.partners().iter().any(|(p, _)| p == account)
    }

    /// The `partnerName` a partner's hosted connections carry.
    pub(crate) fn partner_name(&self, account: &str) -> String {
        self.partners()
            .iter()
            .find(|(p, _)| p == account)
            .and_then(|(_, name)| name.clone())
            .unwrap_or_else(|| format!("Partner {account}"))
    }

    /// Refuses partner-only operations to other accounts, with AWS's text.
    pub(crate) fn require_partner(&self, cx: &RequestContext) -> Result<(), ApiError> {
        if self.is_partner(&cx.account) {
            return Ok(());
        }
        Err(ApiError::client(format!(
            "Account {} is not an authorized Direct Connect partner in {}.",
            cx.account, cx.region
        )))
    }

    /// Reads and decodes a record.
    pub(crate) fn load<W: DeserializeOwned, X: DeserializeOwned + Default>(
        &self,
        kind: Kind,
        id: &str,
    ) -> Result<Option<Loaded<W, X>>, ApiError> {
        let Some(rec) = self.store.get(kind, id).map_err(store_error)? else {
            return Ok(None);
        };
        let doc = decode_doc(&rec)?;
        Ok(Some((rec, doc)))
    }

    /// Loads a record of `kind` the caller owns in its region, or fails with `missing`.
    pub(crate) fn load_owned<W: DeserializeOwned, X: DeserializeOwned + Default>(
        &self,
        cx: &RequestContext,
        kind: Kind,
        id: &str,
        missing: impl FnOnce(&str) -> ApiError,
    ) -> Result<Loaded<W, X>, ApiError> {
        match self.load::<W, X>(kind, id)? {
            Some((rec, doc)) if rec.account == cx.account && rec.region == cx.region => {
                Ok((rec, doc))
            }
            _ => Err(missing(id)),
        }
    }

    /// Builds the record for a document, with its state and lifecycle due time.
    pub(crate) fn record<W: Serialize, X: Serialize>(
        &self,
        base: &Record,
        state: &str,
        doc: &Doc<W, X>,
        entered_at_ms: Option<i64>,
    ) -> Result<Record, ApiError> {
        let mut rec = base.clone();
        let due = match entered_at_ms {
            Some(at) => lifecycle::due_after(rec.kind, state, at, self.settings.timing),
            None => rec.due_at,
        };
        rec.state = state.to_string();
        rec.due_at = due;
        let encoded = crate::api::validate::to_json(doc)
            .map_err(|e| e.to_string())
            .and_then(|text| String::from_utf8(text).map_err(|e| e.to_string()));
        rec.doc = encoded.map_err(|e| {
            tracing::error!(error = %e, "failed to encode a stored document");
            ApiError::server("Internal error while storing the resource")
        })?;
        Ok(rec)
    }

    /// Where a new resource of `kind` entering `state` at `at_ms` stands
    /// once the lifecycle steps already due then are taken (instant timing):
    /// its caller can store that state at once, and `commit` has nothing
    /// left to open and change. Only for kinds whose steps change nothing
    /// but the state member; others stay where they are, for `commit`.
    pub(crate) fn settle(&self, kind: Kind, state: &'static str, at_ms: i64) -> Settled {
        let timing = self.settings.timing;
        let mut settled = Settled {
            state,
            due_at: lifecycle::due_after(kind, state, at_ms, timing),
            steps: 0,
        };
        if lifecycle::edits_on_enter(kind) {
            return settled;
        }
        while let Some(at) = settled.due_at.filter(|due| *due <= at_ms) {
            let Some((Step::To(next), _)) = lifecycle::rule(kind, settled.state, timing) else {
                // A purge (or no rule): `commit` sees to it.
                break;
            };
            settled.steps += 1;
            settled.state = next;
            settled.due_at = lifecycle::due_after(kind, next, at, timing);
        }
        settled
    }

    /// Counts lifecycle steps a caller took itself (see [`Emulator::settle`])
    /// once its batch is committed.
    pub(crate) fn took_steps(&self, steps: u64) {
        self.transitions.fetch_add(steps, Ordering::Relaxed);
    }

    /// Applies a batch and tells the lifecycle engine about new due times.
    ///
    /// Steps already due at the request's time (instant timing) are applied
    /// to the stored records in the same batch, so they are written once; the
    /// caller still answers with the state it set, as AWS does.
    pub(crate) fn commit(
        &self,
        cx: &RequestContext,
        batch: Vec<Write>,
    ) -> Result<Vec<Record>, ApiError> {
        let mut ready = Vec::with_capacity(batch.len());
        let mut steps = 0;
        for write in batch {
            // --- event log ---
            if let Write::Put(rec, expect) = &write {
                let cause = match expect {
                    Expect::Absent if !cx.request_id.is_empty() => crate::events::Cause::Create,
                    _ if cx.request_id.is_empty() => crate::events::Cause::Control,
                    _ => crate::events::Cause::Api,
                };
                self.events.note(rec, None, cx.now_ms, cause);
            }
            ready.push(match write {
                Write::Put(rec, expect) if rec.due_at.is_some_and(|due| due <= cx.now_ms) => {
                    let (kind, id) = (rec.kind, rec.id.clone());
                    match self.advance_record(rec, cx.now_ms, &mut steps)? {
                        Some(rec) => Write::Put(rec, expect),
                        None => match expect {
                            // Purged before it was ever stored: nothing to write.
                            Expect::Absent => continue,
                            Expect::Version(_) => Write::Delete { kind, id, expect },
                        },
                    }
                }
                other => other,
            });
        }
        let written = self.store.apply(ready).map_err(store_error)?;
        self.transitions.fetch_add(steps, Ordering::Relaxed);
        for rec in &written {
            if let Some(due) = rec.due_at
                && due < self.next_due.fetch_min(due, Ordering::SeqCst)
            {
                self.wake.notify_one();
            }
        }
        Ok(written)
    }

    /// When the next transition falls due, if any.
    pub(crate) fn next_due(&self) -> Option<i64> {
        Some(self.next_due.load(Ordering::SeqCst)).filter(|d| *d != i64::MAX)
    }

    pub(crate) fn wake_handle(&self) -> &tokio::sync::Notify {
        &self.wake
    }

    /// Re-reads the earliest due time from the store and wakes the lifecycle task.
    pub(crate) fn reload_due(&self) -> Result<(), ApiError> {
        let next = self
            .store
            .next_due()
            .map_err(store_error)?
            .unwrap_or(i64::MAX);
        self.next_due.store(next, Ordering::SeqCst);
        self.wake.notify_one();
        Ok(())
    }

    /// Forgets the known next due time (after a reset).
    pub(crate) fn forget_due(&self) {
        self.next_due.store(i64::MAX, Ordering::SeqCst);
    }

    /// A read's catch-up: applies what is due only when no writer holds
    /// the write lock; otherwise it leaves that to the lifecycle task (woken
    /// now) or the writer's next call, and the read answers from what is
    /// committed, without waiting for the writer.
    pub fn catch_up_for_read(&self, now_ms: i64) -> Result<usize, ApiError> {
        if self.store.shared() {
            return self.catch_up(now_ms);
        }
        if now_ms < self.next_due.load(Ordering::SeqCst) {
            return Ok(0);
        }
        match self.write_lock.try_lock() {
            // Taken again (reentrant) by `catch_up`: held here only so that
            // the writer cannot start in between.
            Some(_held) => self.catch_up(now_ms),
            None => {
                self.wake.notify_one();
                Ok(0)
            }
        }
    }

    /// Applies every lifecycle transition due at `now_ms`, in one atomic batch
    /// per round; returns how many records moved.
    pub fn catch_up(&self, now_ms: i64) -> Result<usize, ApiError> {
        if self.store.shared() {
            // Other processes schedule transitions too: only the store knows
            // the next one.
            let next = self.store.next_due().map_err(store_error)?;
            self.next_due
                .store(next.unwrap_or(i64::MAX), Ordering::SeqCst);
        }
        if now_ms < self.next_due.load(Ordering::SeqCst) {
            return Ok(0);
        }
        let _guard = self.lock()?;
        let mut applied = 0;
        let mut conflicts = 0;
        loop {
            let due = self.store.due(now_ms, 256).map_err(store_error)?;
            if due.is_empty() {
                break;
            }
            let moved = due.len();
            let mut steps = 0;
            let mut batch = Vec::with_capacity(due.len());
            for rec in due {
                batch.push(self.advance(rec, now_ms, &mut steps)?);
            }
            match self.store.apply(batch) {
                Ok(_) => {
                    applied += moved;
                    self.transitions.fetch_add(steps, Ordering::Relaxed);
                }
                // Someone else moved a record first (a writer that does not
                // take the write lock): nothing of this round was applied.
                // Read again what is still due; after a few tries leave it
                // to the next catch-up rather than fail the request.
                Err(StoreError::Conflict { kind, id }) => {
                    conflicts += 1;
                    if conflicts > 3 {
                        tracing::warn!(kind, id = %id, "lifecycle catch-up keeps losing races; deferred");
                        break;
                    }
                    tracing::debug!(kind, id = %id, "lifecycle round lost a race; retrying");
                }
                Err(e) => return Err(store_error(e)),
            }
        }
        let next = self
            .store
            .next_due()
            .map_err(store_error)?
            .unwrap_or(i64::MAX);
        self.next_due.store(next, Ordering::SeqCst);
        Ok(applied)
    }

    /// Runs a record through every rule due by `now_ms` and returns the one write that results.
    fn advance(&self, rec: Record, now_ms: i64, steps: &mut u64) -> Result<Write, ApiError> {
        let expect = Expect::Version(rec.version);
        let (kind, id) = (rec.kind, rec.id.clone());
        Ok(match self.advance_record(rec, now_ms, steps)? {
            Some(rec) => Write::Put(rec, expect),
            None => Write::Delete { kind, id, expect },
        })
    }

    /// The record after every rule due by `now_ms`; `None` when it is purged.
    /// Adds the number of steps taken to `steps`.
    fn advance_record(
        &self,
        mut rec: Record,
        now_ms: i64,
        steps: &mut u64,
    ) -> Result<Option<Record>, ApiError> {
        let mut doc: Option<Opened> = None;
        let member = lifecycle::state_member(rec.kind);
        while let Some(at) = rec.due_at.filter(|at| *at <= now_ms) {
            match lifecycle::rule(rec.kind, &rec.state, self.settings.timing) {
                Some((Step::To(next), _)) => {
                    *steps += 1;
                    // --- event log ---
                    self.events
                        .note(&rec, Some(next), at, crate::events::Cause::Lifecycle);
                    if let Some(member) = member {
                        if doc.is_none() {
                            doc = Some(
                                Opened::open(rec.kind, &rec.doc, member)
                                    .map_err(|e| corrupt(&rec, &e))?,
                            );
                        }
                        if let Some(doc) = &mut doc {
                            doc.enter(rec.kind, member, next, at)
                                .map_err(|e| corrupt(&rec, &e))?;
                        }
                    }
                    rec.state = next.to_string();
                    rec.due_at = lifecycle::due_after(rec.kind, next, at, self.settings.timing);
                }
                Some((Step::Purge, _)) => {
                    *steps += 1;
                    return Ok(None);
                }
                // A step the service scheduled that keeps the state (new BGP peers come up).
                None if lifecycle::renews(rec.kind, &rec.state) => {
                    *steps += 1;
                    if let Some(member) = member
                        && doc.is_none()
                    {
                        doc = Some(
                            Opened::open(rec.kind, &rec.doc, member)
                                .map_err(|e| corrupt(&rec, &e))?,
                        );
                    }
                    if let Some(doc) = &mut doc {
                        doc.renew(rec.kind);
                    }
                    rec.due_at = None;
                }
                None => rec.due_at = None,
            }
        }
        if let Some(doc) = doc {
            rec.doc = doc.encode(&rec.doc).map_err(|e| {
                tracing::error!(kind = rec.kind.as_str(), id = %rec.id, error = %e, "stored document cannot be changed");
                ApiError::server("Internal error while reading the resource")
            })?;
        }
        Ok(Some(rec))
    }
}

/// A new resource's lifecycle after the steps due at its creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settled {
    /// The state it is stored in.
    pub state: &'static str,
    /// When its next step falls due, if one does.
    pub due_at: Option<i64>,
    /// The steps taken to get there.
    pub steps: u64,
}

/// A stored document opened for the lifecycle to change its state: whole
/// when entering a state changes more than the state member, else only as
/// far as needed to find where the state member's value lies in the text,
/// which is then replaced there (the rest is copied, not decoded and encoded
/// again).
enum Opened {
    Full(serde_json::Value),
    /// The state member's value spans `span` of the stored text; `value` is
    /// the JSON text to put there.
    Splice {
        span: std::ops::Range<usize>,
        value: String,
    },
}

impl Opened {
    fn open(kind: Kind, doc: &str, member: &str) -> serde_json::Result<Self> {
        if !lifecycle::edits_on_enter(kind)
            && let Some(span) = state_span(doc, member)
        {
            let value = doc.get(span.clone()).unwrap_or_default().to_string();
            return Ok(Opened::Splice { span, value });
        }
        serde_json::from_str(doc).map(Opened::Full)
    }

    /// Sets the state `member` to `state`, entered at `at_ms`.
    fn enter(
        &mut self,
        kind: Kind,
        member: &str,
        state: &str,
        at_ms: i64,
    ) -> serde_json::Result<()> {
        match self {
            Opened::Full(doc) => {
                if let Some(obj) = doc.get_mut("wire").and_then(|w| w.as_object_mut()) {
                    obj.insert(member.to_string(), state.into());
                    lifecycle::on_enter(kind, state, at_ms, obj);
                }
            }
            Opened::Splice { value, .. } => *value = serde_json::to_string(state)?,
        }
        Ok(())
    }

    /// Applies the step [`lifecycle::renews`] names (the state stays).
    fn renew(&mut self, kind: Kind) {
        if let Opened::Full(doc) = self
            && let Some(obj) = doc.get_mut("wire").and_then(|w| w.as_object_mut())
        {
            lifecycle::on_renew(kind, obj);
        }
    }

    /// The changed document; `doc` is the text it was opened from.
    fn encode(self, doc: &str) -> Result<String, String> {
        match self {
            Opened::Full(whole) => Ok(whole.to_string()),
            Opened::Splice { span, value } => {
                let (Some(before), Some(after)) = (doc.get(..span.start), doc.get(span.end..))
                else {
                    return Err("the state member lies outside the document".into());
                };
                let mut out = String::with_capacity(doc.len() + value.len());
                out.push_str(before);
                out.push_str(&value);
                out.push_str(after);
                Ok(out)
            }
        }
    }
}

/// Where the value of the wire part's state `member` lies in the stored
/// text `doc`, found without decoding anything else: `None` when the
/// document does not have it (it is then opened in full).
fn state_span(doc: &str, member: &str) -> Option<std::ops::Range<usize>> {
    use serde_json::value::RawValue;
    #[derive(serde::Deserialize)]
    struct Top<'a> {
        #[serde(borrow)]
        wire: Option<&'a RawValue>,
    }
    let top: Top<'_> = serde_json::from_str(doc).ok()?;
    let wire: std::collections::BTreeMap<&str, &RawValue> =
        serde_json::from_str(top.wire?.get()).ok()?;
    let value = wire.get(member)?.get();
    // The value borrows from `doc`: its offset there is the pointers' distance.
    let start = (value.as_ptr() as usize).checked_sub(doc.as_ptr() as usize)?;
    let span = start..start + value.len();
    (doc.get(span.clone()) == Some(value)).then_some(span)
}

pub(crate) fn decode_doc<W: DeserializeOwned, X: DeserializeOwned + Default>(
    rec: &Record,
) -> Result<Doc<W, X>, ApiError> {
    serde_json::from_str(&rec.doc).map_err(|e| corrupt(rec, &e))
}

fn corrupt(rec: &Record, e: &serde_json::Error) -> ApiError {
    tracing::error!(kind = rec.kind.as_str(), id = %rec.id, error = %e, "stored document does not decode");
    ApiError::server("Internal error while reading the resource")
}

/// Storage faults are internal: log the cause, tell the caller nothing of it.
pub(crate) fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict { kind, id } => {
            tracing::warn!(kind, id = %id, "write conflict");
            ApiError::server("The resource was changed concurrently; retry the request")
        }
        StoreError::Backend(msg) => {
            tracing::error!(error = %msg, "storage error");
            ApiError::server("Internal storage error")
        }
    }
}

/// A fresh record envelope for a new resource of the caller.
pub(crate) fn new_record(kind: Kind, id: &str, cx: &RequestContext) -> Record {
    Record {
        kind,
        id: id.to_string(),
        account: cx.account.clone(),
        region: cx.region.clone(),
        state: String::new(),
        parent: None,
        location: None,
        link: None,
        doc: String::new(),
        version: 0,
        seq: 0,
        due_at: None,
    }
}

impl Backend for Emulator {
    fn prepare(&self, cx: &RequestContext) -> Result<(), ApiError> {
        self.catch_up(cx.now_ms).map(|_| ())
    }

    fn prepare_read(&self, cx: &RequestContext) -> Result<(), ApiError> {
        self.catch_up_for_read(cx.now_ms).map(|_| ())
    }

    fn groups_writes(&self) -> bool {
        self.store.groups_writes()
    }

    fn horizon(&self) -> u64 {
        self.store.horizon()
    }

    fn durability(&self) -> Option<tokio::sync::watch::Receiver<crate::store::Durable>> {
        self.store.durability()
    }

    fn after_durable(&self, n: u64, then: crate::store::OnDurable) {
        self.store.after_durable(n, then);
    }

    fn group(&self, body: &mut dyn FnMut()) -> Result<(), ApiError> {
        // The process's write lock first, as every writer takes it, then
        // the store's group: the lifecycle task and control calls wait for
        // the group to commit.
        let _local = self.write_lock.lock();
        self.store.group(body).map_err(store_error)
    }

    fn maintain(&self) {
        self.store.maintain();
    }

    fn generation(&self) -> Option<u64> {
        self.store.generation()
    }
}

impl DirectConnect for Emulator {
    fn create_connection(
        &self,
        cx: &RequestContext,
        input: CreateConnectionRequest,
    ) -> Result<Connection, ApiError> {
        connections::create_connection(self, cx, input)
    }

    fn describe_connections(
        &self,
        cx: &RequestContext,
        input: DescribeConnectionsRequest,
    ) -> Result<Connections, ApiError> {
        connections::describe_connections(self, cx, input)
    }

    fn update_connection(
        &self,
        cx: &RequestContext,
        input: UpdateConnectionRequest,
    ) -> Result<Connection, ApiError> {
        connections::update_connection(self, cx, input)
    }

    fn delete_connection(
        &self,
        cx: &RequestContext,
        input: DeleteConnectionRequest,
    ) -> Result<Connection, ApiError> {
        connections::delete_connection(self, cx, input)
    }

    fn describe_loa(
        &self,
        cx: &RequestContext,
        input: DescribeLoaRequest,
    ) -> Result<Loa, ApiError> {
        connections::describe_loa(self, cx, input)
    }

    fn describe_connection_loa(
        &self,
        cx: &RequestContext,
        input: DescribeConnectionLoaRequest,
    ) -> Result<DescribeConnectionLoaResponse, ApiError> {
        connections::describe_connection_loa(self, cx, input)
    }

    fn describe_locations(&self, cx: &RequestContext) -> Result<Locations, ApiError> {
        connections::describe_locations(cx)
    }

    fn tag_resource(
        &self,
        cx: &RequestContext,
        input: TagResourceRequest,
    ) -> Result<TagResourceResponse, ApiError> {
        tags::tag_resource(self, cx, input)
    }

    fn untag_resource(
        &self,
        cx: &RequestContext,
        input: UntagResourceRequest,
    ) -> Result<UntagResourceResponse, ApiError> {
        tags::untag_resource(self, cx, input)
    }

    fn describe_tags(
        &self,
        cx: &RequestContext,
        input: DescribeTagsRequest,
    ) -> Result<DescribeTagsResponse, ApiError> {
        tags::describe_tags(self, cx, input)
    }

    fn associate_mac_sec_key(
        &self,
        cx: &RequestContext,
        input: AssociateMacSecKeyRequest,
    ) -> Result<AssociateMacSecKeyResponse, ApiError> {
        macsec::associate_mac_sec_key(self, cx, input)
    }

    fn disassociate_mac_sec_key(
        &self,
        cx: &RequestContext,
        input: DisassociateMacSecKeyRequest,
    ) -> Result<DisassociateMacSecKeyResponse, ApiError> {
        macsec::disassociate_mac_sec_key(self, cx, input)
    }

    fn confirm_customer_agreement(
        &self,
        cx: &RequestContext,
        input: ConfirmCustomerAgreementRequest,
    ) -> Result<ConfirmCustomerAgreementResponse, ApiError> {
        customer::confirm_customer_agreement(self, cx, input)
    }

    fn describe_customer_metadata(
        &self,
        cx: &RequestContext,
    ) -> Result<DescribeCustomerMetadataResponse, ApiError> {
        customer::describe_customer_metadata(self, cx)
    }
    fn create_lag(&self, cx: &RequestContext, input: CreateLagRequest) -> Result<Lag, ApiError> {
        lags::create_lag(self, cx, input)
    }

    fn describe_lags(
        &self,
        cx: &RequestContext,
        input: DescribeLagsRequest,
    ) -> Result<Lags, ApiError> {
        lags::describe_lags(self, cx, input)
    }

    fn update_lag(&self, cx: &RequestContext, input: UpdateLagRequest) -> Result<Lag, ApiError> {
        lags::update_lag(self, cx, input)
    }

    fn delete_lag(&self, cx: &RequestContext, input: DeleteLagRequest) -> Result<Lag, ApiError> {
        lags::delete_lag(self, cx, input)
    }

    fn associate_connection_with_lag(
        &self,
        cx: &RequestContext,
        input: AssociateConnectionWithLagRequest,
    ) -> Result<Connection, ApiError> {
        lags::associate_connection_with_lag(self, cx, input)
    }

    fn disassociate_connection_from_lag(
        &self,
        cx: &RequestContext,
        input: DisassociateConnectionFromLagRequest,
    ) -> Result<Connection, ApiError> {
        lags::disassociate_connection_from_lag(self, cx, input)
    }

    fn create_interconnect(
        &self,
        cx: &RequestContext,
        input: CreateInterconnectRequest,
    ) -> Result<Interconnect, ApiError> {
        interconnects::create_interconnect(self, cx, input)
    }

    fn describe_interconnects(
        &self,
        cx: &RequestContext,
        input: DescribeInterconnectsRequest,
    ) -> Result<Interconnects, ApiError> {
        interconnects::describe_interconnects(self, cx, input)
    }

    fn delete_interconnect(
        &self,
        cx: &RequestContext,
        input: DeleteInterconnectRequest,
    ) -> Result<DeleteInterconnectResponse, ApiError> {
        interconnects::delete_interconnect(self, cx, input)
    }

    fn describe_interconnect_loa(
        &self,
        cx: &RequestContext,
        input: DescribeInterconnectLoaRequest,
    ) -> Result<DescribeInterconnectLoaResponse, ApiError> {
        interconnects::describe_interconnect_loa(self, cx, input)
    }

    fn allocate_hosted_connection(
        &self,
        cx: &RequestContext,
        input: AllocateHostedConnectionRequest,
    ) -> Result<Connection, ApiError> {
        interconnects::allocate_hosted_connection(self, cx, input)
    }

    fn allocate_connection_on_interconnect(
        &self,
        cx: &RequestContext,
        input: AllocateConnectionOnInterconnectRequest,
    ) -> Result<Connection, ApiError> {
        interconnects::allocate_connection_on_interconnect(self, cx, input)
    }

    fn associate_hosted_connection(
        &self,
        cx: &RequestContext,
        input: AssociateHostedConnectionRequest,
    ) -> Result<Connection, ApiError> {
        interconnects::associate_hosted_connection(self, cx, input)
    }

    fn describe_hosted_connections(
        &self,
        cx: &RequestContext,
        input: DescribeHostedConnectionsRequest,
    ) -> Result<Connections, ApiError> {
        interconnects::describe_hosted_connections(self, cx, input)
    }

    fn describe_connections_on_interconnect(
        &self,
        cx: &RequestContext,
        input: DescribeConnectionsOnInterconnectRequest,
    ) -> Result<Connections, ApiError> {
        interconnects::describe_connections_on_interconnect(self, cx, input)
    }

    fn confirm_connection(
        &self,
        cx: &RequestContext,
        input: ConfirmConnectionRequest,
    ) -> Result<ConfirmConnectionResponse, ApiError> {
        interconnects::confirm_connection(self, cx, input)
    }
    fn create_direct_connect_gateway(
        &self,
        cx: &RequestContext,
        input: CreateDirectConnectGatewayRequest,
    ) -> Result<CreateDirectConnectGatewayResult, ApiError> {
        gateways::create_direct_connect_gateway(self, cx, input)
    }

    fn describe_direct_connect_gateways(
        &self,
        cx: &RequestContext,
        input: DescribeDirectConnectGatewaysRequest,
    ) -> Result<DescribeDirectConnectGatewaysResult, ApiError> {
        gateways::describe_direct_connect_gateways(self, cx, input)
    }

    fn update_direct_connect_gateway(
        &self,
        cx: &RequestContext,
        input: UpdateDirectConnectGatewayRequest,
    ) -> Result<UpdateDirectConnectGatewayResponse, ApiError> {
        gateways::update_direct_connect_gateway(self, cx, input)
    }

    fn delete_direct_connect_gateway(
        &self,
        cx: &RequestContext,
        input: DeleteDirectConnectGatewayRequest,
    ) -> Result<DeleteDirectConnectGatewayResult, ApiError> {
        gateways::delete_direct_connect_gateway(self, cx, input)
    }

    fn create_direct_connect_gateway_association(
        &self,
        cx: &RequestContext,
        input: CreateDirectConnectGatewayAssociationRequest,
    ) -> Result<CreateDirectConnectGatewayAssociationResult, ApiError> {
        gateways::create_direct_connect_gateway_association(self, cx, input)
    }

    fn describe_direct_connect_gateway_associations(
        &self,
        cx: &RequestContext,
        input: DescribeDirectConnectGatewayAssociationsRequest,
    ) -> Result<DescribeDirectConnectGatewayAssociationsResult, ApiError> {
        gateways::describe_direct_connect_gateway_associations(self, cx, input)
    }

    fn update_direct_connect_gateway_association(
        &self,
        cx: &RequestContext,
        input: UpdateDirectConnectGatewayAssociationRequest,
    ) -> Result<UpdateDirectConnectGatewayAssociationResult, ApiError> {
        gateways::update_direct_connect_gateway_association(self, cx, input)
    }

    fn delete_direct_connect_gateway_association(
        &self,
        cx: &RequestContext,
        input: DeleteDirectConnectGatewayAssociationRequest,
    ) -> Result<DeleteDirectConnectGatewayAssociationResult, ApiError> {
        gateways::delete_direct_connect_gateway_association(self, cx, input)
    }

    fn create_direct_connect_gateway_association_proposal(
        &self,
        cx: &RequestContext,
        input: CreateDirectConnectGatewayAssociationProposalRequest,
    ) -> Result<CreateDirectConnectGatewayAssociationProposalResult, ApiError> {
        gateways::create_direct_connect_gateway_association_proposal(self, cx, input)
    }

    fn describe_direct_connect_gateway_association_proposals(
        &self,
        cx: &RequestContext,
        input: DescribeDirectConnectGatewayAssociationProposalsRequest,
    ) -> Result<DescribeDirectConnectGatewayAssociationProposalsResult, ApiError> {
        gateways::describe_direct_connect_gateway_association_proposals(self, cx, input)
    }

    fn accept_direct_connect_gateway_association_proposal(
        &self,
        cx: &RequestContext,
        input: AcceptDirectConnectGatewayAssociationProposalRequest,
    ) -> Result<AcceptDirectConnectGatewayAssociationProposalResult, ApiError> {
        gateways::accept_direct_connect_gateway_association_proposal(self, cx, input)
    }

    fn delete_direct_connect_gateway_association_proposal(
        &self,
        cx: &RequestContext,
        input: DeleteDirectConnectGatewayAssociationProposalRequest,
    ) -> Result<DeleteDirectConnectGatewayAssociationProposalResult, ApiError> {
        gateways::delete_direct_connect_gateway_association_proposal(self, cx, input)
    }

    fn describe_direct_connect_gateway_attachments(
        &self,
        cx: &RequestContext,
        input: DescribeDirectConnectGatewayAttachmentsRequest,
    ) -> Result<DescribeDirectConnectGatewayAttachmentsResult, ApiError> {
        gateways::describe_direct_connect_gateway_attachments(self, cx, input)
    }

    fn create_private_virtual_interface(
        &self,
        cx: &RequestContext,
        input: CreatePrivateVirtualInterfaceRequest,
    ) -> Result<VirtualInterface, ApiError> {
        vifs::create_private_virtual_interface(self, cx, input)
    }

    fn create_public_virtual_interface(
        &self,
        cx: &RequestContext,
        input: CreatePublicVirtualInterfaceRequest,
    ) -> Result<VirtualInterface, ApiError> {
        vifs::create_public_virtual_interface(self, cx, input)
    }

    fn create_transit_virtual_interface(
        &self,
        cx: &RequestContext,
        input: CreateTransitVirtualInterfaceRequest,
    ) -> Result<CreateTransitVirtualInterfaceResult, ApiError> {
        vifs::create_transit_virtual_interface(self, cx, input)
    }

    fn allocate_private_virtual_interface(
        &self,
        cx: &RequestContext,
        input: AllocatePrivateVirtualInterfaceRequest,
    ) -> Result<VirtualInterface, ApiError> {
        vifs::allocate_private_virtual_interface(self, cx, input)
    }

    fn allocate_public_virtual_interface(
        &self,
        cx: &RequestContext,
        input: AllocatePublicVirtualInterfaceRequest,
    ) -> Result<VirtualInterface, ApiError> {
        vifs::allocate_public_virtual_interface(self, cx, input)
    }

    fn allocate_transit_virtual_interface(
        &self,
        cx: &RequestContext,
        input: AllocateTransitVirtualInterfaceRequest,
    ) -> Result<AllocateTransitVirtualInterfaceResult, ApiError> {
        vifs::allocate_transit_virtual_interface(self, cx, input)
    }

    fn confirm_private_virtual_interface(
        &self,
        cx: &RequestContext,
        input: ConfirmPrivateVirtualInterfaceRequest,
    ) -> Result<ConfirmPrivateVirtualInterfaceResponse, ApiError> {
        vifs::confirm_private_virtual_interface(self, cx, input)
    }

    fn confirm_public_virtual_interface(
        &self,
        cx: &RequestContext,
        input: ConfirmPublicVirtualInterfaceRequest,
    ) -> Result<ConfirmPublicVirtualInterfaceResponse, ApiError> {
        vifs::confirm_public_virtual_interface(self, cx, input)
    }

    fn confirm_transit_virtual_interface(
        &self,
        cx: &RequestContext,
        input: ConfirmTransitVirtualInterfaceRequest,
    ) -> Result<ConfirmTransitVirtualInterfaceResponse, ApiError> {
        vifs::confirm_transit_virtual_interface(self, cx, input)
    }

    fn delete_virtual_interface(
        &self,
        cx: &RequestContext,
        input: DeleteVirtualInterfaceRequest,
    ) -> Result<DeleteVirtualInterfaceResponse, ApiError> {
        vifs::delete_virtual_interface(self, cx, input)
    }

    fn describe_virtual_interfaces(
        &self,
        cx: &RequestContext,
        input: DescribeVirtualInterfacesRequest,
    ) -> Result<VirtualInterfaces, ApiError> {
        vifs::describe_virtual_interfaces(self, cx, input)
    }

    fn associate_virtual_interface(
        &self,
        cx: &RequestContext,
        input: AssociateVirtualInterfaceRequest,
    ) -> Result<VirtualInterface, ApiError> {
        vifs::associate_virtual_interface(self, cx, input)
    }

    fn update_virtual_interface_attributes(
        &self,
        cx: &RequestContext,
        input: UpdateVirtualInterfaceAttributesRequest,
    ) -> Result<VirtualInterface, ApiError> {
        vifs::update_virtual_interface_attributes(self, cx, input)
    }

    fn create_bgp_peer(
        &self,
        cx: &RequestContext,
        input: CreateBGPPeerRequest,
    ) -> Result<CreateBGPPeerResponse, ApiError> {
        bgp::create_bgp_peer(self, cx, input)
    }

    fn delete_bgp_peer(
        &self,
        cx: &RequestContext,
        input: DeleteBGPPeerRequest,
    ) -> Result<DeleteBGPPeerResponse, ApiError> {
        bgp::delete_bgp_peer(self, cx, input)
    }

    fn describe_router_configuration(
        &self,
        cx: &RequestContext,
        input: DescribeRouterConfigurationRequest,
    ) -> Result<DescribeRouterConfigurationResponse, ApiError> {
        router::describe_router_configuration(self, cx, input)
    }

    fn start_bgp_failover_test(
        &self,
        cx: &RequestContext,
        input: StartBgpFailoverTestRequest,
    ) -> Result<StartBgpFailoverTestResponse, ApiError> {
        bgp::start_bgp_failover_test(self, cx, input)
    }

    fn stop_bgp_failover_test(
        &self,
        cx: &RequestContext,
        input: StopBgpFailoverTestRequest,
    ) -> Result<StopBgpFailoverTestResponse, ApiError> {
        bgp::stop_bgp_failover_test(self, cx, input)
    }

    fn list_virtual_interface_test_history(
        &self,
        cx: &RequestContext,
        input: ListVirtualInterfaceTestHistoryRequest,
    ) -> Result<ListVirtualInterfaceTestHistoryResponse, ApiError> {
        bgp::list_virtual_interface_test_history(self, cx, input)
    }

    fn describe_virtual_gateways(&self, cx: &RequestContext) -> Result<VirtualGateways, ApiError> {
        vifs::describe_virtual_gateways(self, cx)
    }

    // --- resiliency groups ---

    fn create_resiliency_group(
        &self,
        cx: &RequestContext,
        input: CreateResiliencyGroupRequest,
    ) -> Result<CreateResiliencyGroupResult, ApiError> {
        resiliency::create_resiliency_group(self, cx, input)
    }

    fn get_resiliency_group(
        &self,
        cx: &RequestContext,
        input: GetResiliencyGroupRequest,
    ) -> Result<GetResiliencyGroupResult, ApiError> {
        resiliency::get_resiliency_group(self, cx, input)
    }

    fn update_resiliency_group(
        &self,
        cx: &RequestContext,
        input: UpdateResiliencyGroupRequest,
    ) -> Result<UpdateResiliencyGroupResult, ApiError> {
        resiliency::update_resiliency_group(self, cx, input)
    }

    fn delete_resiliency_group(
        &self,
        cx: &RequestContext,
        input: DeleteResiliencyGroupRequest,
    ) -> Result<DeleteResiliencyGroupResult, ApiError> {
        resiliency::delete_resiliency_group(self, cx, input)
    }

    fn list_resiliency_groups(
        &self,
        cx: &RequestContext,
        input: ListResiliencyGroupsRequest,
    ) -> Result<ListResiliencyGroupsResult, ApiError> {
        resiliency::list_resiliency_groups(self, cx, input)
    }

    fn list_resiliency_group_associations(
        &self,
        cx: &RequestContext,
        input: ListResiliencyGroupAssociationsRequest,
    ) -> Result<ListResiliencyGroupAssociationsResult, ApiError> {
        resiliency::list_resiliency_group_associations(self, cx, input)
    }

    fn associate_connections_to_resiliency_group(
        &self,
        cx: &RequestContext,
        input: AssociateConnectionsToResiliencyGroupRequest,
    ) -> Result<AssociateConnectionsToResiliencyGroupResult, ApiError> {
        resiliency::associate_connections_to_resiliency_group(self, cx, input)
    }

    fn disassociate_connections_from_resiliency_group(
        &self,
        cx: &RequestContext,
        input: DisassociateConnectionsFromResiliencyGroupRequest,
    ) -> Result<DisassociateConnectionsFromResiliencyGroupResult, ApiError> {
        resiliency::disassociate_connections_from_resiliency_group(self, cx, input)
    }

    // --- billing modes and VIF routes ---

    fn update_connections_billing_mode(
        &self,
        cx: &RequestContext,
        input: UpdateConnectionsBillingModeRequest,
    ) -> Result<UpdateConnectionsBillingModeResponse, ApiError> {
        billing::update_connections_billing_mode(self, cx, input)
    }

    fn list_virtual_interface_routes(
        &self,
        cx: &RequestContext,
        input: ListVirtualInterfaceRoutesRequest,
    ) -> Result<ListVirtualInterfaceRoutesResponse, ApiError> {
        routes::list_virtual_interface_routes(self, cx, input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emulator(timing: Timing) -> Emulator {
        let store = Arc::new(crate::store::SqliteStore::in_memory().unwrap());
        let settings = Settings {
            timing,
            ..Settings::default()
        };
        Emulator::new(store, settings).unwrap()
    }

    /// A read does not wait for a writer to catch up on the lifecycle: while
    /// the write lock is held elsewhere it answers at once (and wakes the
    /// lifecycle task); with the lock free it applies what is due itself.
    #[test]
    fn a_read_never_waits_for_the_writer_to_catch_up() {
        let svc = Arc::new(emulator(Timing::Realistic { scale: 1.0 }));
        let mut rec = Record {
            kind: Kind::Connection,
            id: "dxcon-r".into(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            state: "requested".into(),
            parent: None,
            location: None,
            link: None,
            doc: r#"{"wire":{"connectionState":"requested"},"x":{}}"#.into(),
            version: 0,
            seq: 0,
            due_at: Some(10),
        };
        rec.version = 0;
        svc.store()
            .apply(vec![Write::Put(rec, Expect::Absent)])
            .unwrap();
        svc.reload_due().unwrap();
        let (held, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let writer = {
            let svc = svc.clone();
            std::thread::spawn(move || {
                let _guard = svc.lock().unwrap();
                held.0.send(()).unwrap();
                release.1.recv().unwrap();
            })
        };
        held.1.recv().unwrap();
        let started = std::time::Instant::now();
        assert_eq!(svc.catch_up_for_read(1_000).unwrap(), 0);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let state = |svc: &Emulator| {
            svc.store()
                .get(Kind::Connection, "dxcon-r")
                .unwrap()
                .unwrap()
                .state
        };
        assert_eq!(
            state(&svc),
            "requested",
            "nothing applied while the writer holds the lock"
        );
        release.0.send(()).unwrap();
        writer.join().unwrap();
        assert_eq!(svc.catch_up_for_read(1_000).unwrap(), 1);
        assert_eq!(state(&svc), "pending");
    }

    /// A new resource settles where the lifecycle's due steps lead, only as
    /// far as they are due, and only for kinds whose steps change nothing
    /// but their state.
    #[test]
    fn a_new_resource_settles_as_far_as_its_steps_are_due() {
        let at = 1_000_000;
        let instant = emulator(Timing::Instant).settle(Kind::Connection, "requested", at);
        assert_eq!(
            instant,
            Settled {
                state: "available",
                due_at: None,
                steps: 2
            }
        );
        let realistic = Timing::Realistic { scale: 3600.0 };
        let slow = emulator(realistic).settle(Kind::Connection, "requested", at);
        assert_eq!(slow.state, "requested");
        assert_eq!(slow.steps, 0);
        assert_eq!(
            slow.due_at,
            lifecycle::due_after(Kind::Connection, "requested", at, realistic)
        );
        assert!(slow.due_at.is_some_and(|due| due > at));
        let manual = emulator(Timing::Manual).settle(Kind::Connection, "requested", at);
        assert_eq!(
            (manual.state, manual.due_at, manual.steps),
            ("requested", None, 0)
        );
        // A VIF's steps change its BGP peers too: left to the commit.
        let vif = emulator(Timing::Instant).settle(Kind::VirtualInterface, "pending", at);
        assert_eq!((vif.state, vif.steps), ("pending", 0));
        assert!(vif.due_at.is_some_and(|due| due <= at));
    }

    /// Both ways of opening a document make the same change to it.
    #[test]
    fn a_spliced_edit_matches_a_full_one() {
        let doc = r#"{"wire":{"connectionId":"dxcon-f1234567","connectionName":"\"connectionState\":\"x\"","connectionState":"requested","tags":[{"key":"connectionState","value":"b"}],"macSecKeys":[]},"x":{"connectionState":"kept"}}"#;
        let member = "connectionState";
        let mut spliced = Opened::open(Kind::Connection, doc, member).unwrap();
        assert!(matches!(spliced, Opened::Splice { .. }));
        spliced
            .enter(Kind::Connection, member, "pending", 0)
            .unwrap();
        spliced
            .enter(Kind::Connection, member, "available", 0)
            .unwrap();
        let mut full = Opened::Full(serde_json::from_str(doc).unwrap());
        full.enter(Kind::Connection, member, "available", 0)
            .unwrap();
        let spliced: serde_json::Value =
            serde_json::from_str(&spliced.encode(doc).unwrap()).unwrap();
        let full: serde_json::Value = serde_json::from_str(&full.encode(doc).unwrap()).unwrap();
        assert_eq!(spliced, full);
        assert_eq!(spliced["wire"]["connectionState"], "available");
        // Only the wire part's member changed, not look-alikes elsewhere.
        assert_eq!(spliced["x"]["connectionState"], "kept");
        assert_eq!(spliced["wire"]["tags"][0]["key"], "connectionState");
        assert_eq!(
            spliced["wire"]["connectionName"],
            "\"connectionState\":\"x\""
        );
        // Kinds whose documents change beyond the state open in full, and so
        // do documents without the member.
        assert!(matches!(
            Opened::open(Kind::VirtualInterface, doc, "virtualInterfaceState").unwrap(),
            Opened::Full(_)
        ));
        assert!(matches!(
            Opened::open(Kind::Connection, r#"{"wire":{},"x":{}}"#, member).unwrap(),
            Opened::Full(_)
        ));
    }
}
