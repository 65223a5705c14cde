//! Answers of read-only operations, kept while the stored state does not change.
//!
//! An entry is keyed by operation, protocol, account, region and the exact
//! request body, and belongs to one store generation: any committed write (including
//! a lifecycle step) starts a new generation and empties the cache, so an
//! answer is never older than the state it was read from. Stores shared with
//! other processes report no generation, and nothing is cached for them.

use super::Operation;
use axum::body::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;

/// The most answer bytes kept at once.
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// The largest single answer kept.
const MAX_ENTRY_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub op: Operation,
    /// Answers are kept in the protocol they were asked in.
    pub protocol: super::http::Protocol,
    pub account: String,
    pub region: String,
    pub body: Bytes,
}

#[derive(Debug, Default)]
struct Inner {
    generation: u64,
    bytes: usize,
    entries: HashMap<Key, Bytes>,
}

/// The cache of read answers.
#[derive(Debug, Default)]
pub struct ReadCache {
    inner: Mutex<Inner>,
}

/// Whether an operation's answer may be kept: the operation table says so
/// (codegen/operations.toml, generated into `Operation::cacheable`).
pub fn cacheable(op: Operation) -> bool {
    op.cacheable()
}

impl ReadCache {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The map is only ever replaced or extended whole; a poisoned lock is reusable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The answer kept for `key` at `generation`, if any.
    pub fn get(&self, generation: u64, key: &Key) -> Option<Bytes> {
        let inner = self.inner();
        if inner.generation != generation {
            return None;
        }
        inner.entries.get(key).cloned()
    }

    /// Keeps an answer computed at `generation` (read before the answer was).
    pub fn put(&self, generation: u64, key: Key, answer: Bytes) {
        if answer.len() > MAX_ENTRY_BYTES {
            return;
        }
        let mut inner = self.inner();
        if generation > inner.generation {
            inner.generation = generation;
            inner.entries.clear();
            inner.bytes = 0;
        } else if generation < inner.generation {
            return;
        }
        if inner.bytes + answer.len() > MAX_BYTES {
            inner.entries.clear();
            inner.bytes = 0;
        }
        inner.bytes += answer.len() + key.body.len();
        inner.entries.insert(key, answer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(body: &'static str) -> Key {
        Key {
            op: Operation::DescribeConnections,
            protocol: crate::api::http::Protocol::Json11,
            account: "111111111111".into(),
            region: "us-east-1".into(),
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn a_new_generation_forgets_old_answers() {
        let cache = ReadCache::default();
        cache.put(1, key("{}"), Bytes::from_static(b"a"));
        assert_eq!(cache.get(1, &key("{}")).as_deref(), Some(&b"a"[..]));
        assert_eq!(cache.get(1, &key(" {}")), None, "bodies must match exactly");
        assert_eq!(cache.get(2, &key("{}")), None);
        cache.put(2, key("{}"), Bytes::from_static(b"b"));
        // An answer computed at an older generation is not kept.
        cache.put(1, key("{}"), Bytes::from_static(b"a"));
        assert_eq!(cache.get(2, &key("{}")).as_deref(), Some(&b"b"[..]));
        assert!(!cacheable(Operation::DescribeLoa));
        assert!(!cacheable(Operation::CreateConnection));
    }
}
