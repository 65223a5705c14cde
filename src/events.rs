//! The state-change log the dashboard's history and `GET /_dxemu/events`
//! read: what the API, the lifecycle engine and the control actions did to
//! each resource's state, kept in memory and bounded.
//!
//! Writers only push under a short lock; a write that leaves a resource in
//! the state the log last saw it in is not logged.

use crate::store::{Kind, Record};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Events kept; older ones are dropped first.
pub const CAPACITY: usize = 10_000;
/// Resources whose last state is remembered; past it the memory restarts
/// (the next event of a forgotten resource then has no `from`).
const REMEMBERED: usize = 100_000;

/// Who moved a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cause {
    /// Created through the AWS API.
    Create,
    /// Changed through the AWS API.
    Api,
    /// A lifecycle step fell due.
    Lifecycle,
    /// Forced through the control API or the dashboard.
    Control,
}

/// One state change of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Increasing in the order the events were logged.
    pub seq: u64,
    /// When it happened on the emulator's clock (epoch ms).
    pub at_ms: i64,
    pub kind: &'static str,
    pub id: String,
    pub account: String,
    pub region: String,
    /// The state before, when the log knew it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub to: String,
    pub cause: Cause,
}

#[derive(Default)]
struct Inner {
    seq: u64,
    events: VecDeque<Event>,
    /// The last state logged of each resource, by id (ids are unique
    /// across the logged kinds).
    last: HashMap<String, String>,
}

/// The bounded log.
#[derive(Default)]
pub struct EventLog {
    inner: Mutex<Inner>,
}

/// Kinds whose states are worth a history.
fn logged(kind: Kind) -> bool {
    !matches!(
        kind,
        Kind::VirtualGateway | Kind::Agreement | Kind::MacSecSecret
    )
}

impl EventLog {
    /// Notes that `rec` is now in `to` (its own state when `None`).
    pub fn note(&self, rec: &Record, to: Option<&str>, at_ms: i64, cause: Cause) {
        if !logged(rec.kind) {
            return;
        }
        let to = to.unwrap_or(&rec.state);
        if to.is_empty() {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // Looked up by reference: a write that changes no state allocates nothing.
        if inner.last.get(rec.id.as_str()).is_some_and(|s| s == to) {
            return;
        }
        if inner.last.len() >= REMEMBERED {
            inner.last.clear();
        }
        let from = inner.last.insert(rec.id.clone(), to.to_string());
        inner.seq += 1;
        let event = Event {
            seq: inner.seq,
            at_ms,
            kind: rec.kind.as_str(),
            id: rec.id.clone(),
            account: rec.account.clone(),
            region: rec.region.clone(),
            from,
            to: to.to_string(),
            cause,
        };
        if inner.events.len() >= CAPACITY {
            inner.events.pop_front();
        }
        inner.events.push_back(event);
    }

    /// The kept events matching every filter given, oldest first.
    pub fn query(&self, id: Option<&str>, account: Option<&str>, kind: Option<&str>) -> Vec<Event> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .events
            .iter()
            .filter(|e| id.is_none_or(|v| e.id == v))
            .filter(|e| account.is_none_or(|v| e.account == v))
            .filter(|e| kind.is_none_or(|v| e.kind == v))
            .cloned()
            .collect()
    }

    /// Forgets everything (after a reset of every account).
    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.events.clear();
        inner.last.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, state: &str) -> Record {
        Record {
            kind: Kind::Connection,
            id: id.into(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            state: state.into(),
            parent: None,
            location: None,
            link: None,
            doc: String::new(),
            version: 0,
            seq: 0,
            due_at: None,
        }
    }

    #[test]
    fn logs_changes_only_and_stays_bounded() {
        let log = EventLog::default();
        log.note(&rec("a", "requested"), None, 1, Cause::Create);
        log.note(&rec("a", "requested"), None, 2, Cause::Api);
        log.note(&rec("a", "requested"), Some("pending"), 3, Cause::Lifecycle);
        let got = log.query(Some("a"), None, None);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].from, None);
        assert_eq!(got[1].from.as_deref(), Some("requested"));
        assert_eq!(got[1].to, "pending");
        assert_eq!(got[1].cause, Cause::Lifecycle);
        for i in 0..CAPACITY + 5 {
            log.note(&rec(&format!("x{i}"), "available"), None, 4, Cause::Create);
        }
        let all = log.query(None, None, None);
        assert_eq!(all.len(), CAPACITY);
        assert!(log.query(Some("a"), None, None).is_empty());
        assert_eq!(
            all.last().map(|e| e.id.as_str()),
            Some(&*format!("x{}", CAPACITY + 4))
        );
    }
}
