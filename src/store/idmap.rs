//! Where each SQLite record lives: an in-memory map from kind and id to the
//! record's row number (`seq`), kept in step with the writer's transactions.
//!
//! Ids are random, so an index on them in the database would cost every
//! insert a write of a page of its own, and a checkpoint of that page later:
//! most of the disk traffic of a create. Rows are numbered in insertion
//! order instead, so new rows (and the indexes ordered by `seq`) share
//! pages, and the map finds a row by id. It holds every committed record
//! (and, while a transaction is open, that transaction's new ones: a row a
//! reader cannot see yet reads as absent), so lookups check the row they
//! find against the kind and id they asked for.

use super::Kind;
use parking_lot::RwLock;
use std::collections::HashMap;

/// The map, one table per kind.
pub(super) struct IdMap {
    kinds: RwLock<Vec<HashMap<Box<str>, i64>>>,
}

/// What the open transaction did to the map, to keep or undo at its end.
#[derive(Default)]
pub(super) struct Pending {
    /// Entries set (at once), with the row each replaced.
    set: Vec<(Kind, Box<str>, i64, Option<i64>)>,
    /// Entries to remove once the deletion of their row has committed.
    removed: Vec<(Kind, Box<str>, i64)>,
    /// Every record was deleted; entries set after that (from this index of
    /// `set` on) stay.
    cleared_at: Option<usize>,
}

/// How far a savepoint's changes reach, to undo just them.
#[derive(Clone, Copy)]
pub(super) struct Mark {
    set: usize,
    removed: usize,
    cleared: bool,
}

impl IdMap {
    pub(super) fn new() -> Self {
        Self {
            kinds: RwLock::new(vec![HashMap::new(); Kind::ALL.len()]),
        }
    }

    /// The row of a record, if the map knows one.
    pub(super) fn seq(&self, kind: Kind, id: &str) -> Option<i64> {
        self.kinds.read()[kind as usize].get(id).copied()
    }

    /// Adds a committed record (when loading).
    pub(super) fn load(&self, kind: Kind, id: &str, seq: i64) {
        self.kinds.write()[kind as usize].insert(id.into(), seq);
    }

    /// Points `id` at a new row now, remembering what to undo.
    pub(super) fn set(&self, pending: &mut Pending, kind: Kind, id: &str, seq: i64) {
        let before = self.kinds.write()[kind as usize].insert(id.into(), seq);
        pending.set.push((kind, id.into(), seq, before));
    }

    /// Removes the entry of a deleted row once the deletion commits.
    pub(super) fn remove(&self, pending: &mut Pending, kind: Kind, id: &str, seq: i64) {
        pending.removed.push((kind, id.into(), seq));
    }

    /// Empties the map once the deletion of every record commits.
    pub(super) fn clear(&self, pending: &mut Pending) {
        pending.cleared_at = Some(pending.set.len());
    }

    /// Keeps (`committed`) or undoes what a transaction did.
    pub(super) fn finish(&self, pending: &mut Pending, committed: bool) {
        let pending = std::mem::take(pending);
        let mut kinds = self.kinds.write();
        if !committed {
            undo(&mut kinds, pending.set);
            return;
        }
        if let Some(from) = pending.cleared_at {
            for map in kinds.iter_mut() {
                map.clear();
            }
            for (kind, id, seq, _) in pending.set.into_iter().skip(from) {
                kinds[kind as usize].insert(id, seq);
            }
        }
        for (kind, id, seq) in pending.removed {
            let map = &mut kinds[kind as usize];
            if map.get(&id) == Some(&seq) {
                map.remove(&id);
            }
        }
    }

    /// Where a savepoint starts.
    pub(super) fn mark(pending: &Pending) -> Mark {
        Mark {
            set: pending.set.len(),
            removed: pending.removed.len(),
            cleared: pending.cleared_at.is_some(),
        }
    }

    /// Undoes what was done since `mark` (the savepoint rolled back).
    pub(super) fn undo_to(&self, pending: &mut Pending, mark: Mark) {
        let later = pending.set.split_off(mark.set.min(pending.set.len()));
        undo(&mut self.kinds.write(), later);
        pending.removed.truncate(mark.removed);
        if !mark.cleared {
            pending.cleared_at = None;
        }
    }

    /// Records in the map (tests).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.kinds.read().iter().map(HashMap::len).sum()
    }
}

/// Restores what `set` entries replaced, latest first.
fn undo(kinds: &mut [HashMap<Box<str>, i64>], set: Vec<(Kind, Box<str>, i64, Option<i64>)>) {
    for (kind, id, _, before) in set.into_iter().rev() {
        let map = &mut kinds[kind as usize];
        match before {
            Some(seq) => map.insert(id, seq),
            None => map.remove(&id),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rolled_back_transaction_leaves_the_map_as_it_was() {
        let map = IdMap::new();
        map.load(Kind::Connection, "dxcon-a", 1);
        let mut p = Pending::default();
        // Deleted and created again under the same id, then rolled back.
        map.remove(&mut p, Kind::Connection, "dxcon-a", 1);
        map.set(&mut p, Kind::Connection, "dxcon-a", 7);
        map.set(&mut p, Kind::Connection, "dxcon-b", 8);
        assert_eq!(map.seq(Kind::Connection, "dxcon-a"), Some(7));
        map.finish(&mut p, false);
        assert_eq!(map.seq(Kind::Connection, "dxcon-a"), Some(1));
        assert_eq!(map.seq(Kind::Connection, "dxcon-b"), None);
    }

    #[test]
    fn a_commit_keeps_new_rows_and_drops_deleted_ones() {
        let map = IdMap::new();
        map.load(Kind::Connection, "dxcon-a", 1);
        map.load(Kind::Lag, "dxcon-a", 2);
        let mut p = Pending::default();
        map.remove(&mut p, Kind::Connection, "dxcon-a", 1);
        // Still found until the deletion commits.
        assert_eq!(map.seq(Kind::Connection, "dxcon-a"), Some(1));
        map.set(&mut p, Kind::Connection, "dxcon-c", 9);
        map.finish(&mut p, true);
        assert_eq!(map.seq(Kind::Connection, "dxcon-a"), None);
        assert_eq!(map.seq(Kind::Lag, "dxcon-a"), Some(2), "kinds are apart");
        assert_eq!(map.seq(Kind::Connection, "dxcon-c"), Some(9));
    }

    #[test]
    fn savepoints_undo_only_their_own_changes() {
        let map = IdMap::new();
        let mut p = Pending::default();
        map.set(&mut p, Kind::Connection, "dxcon-a", 1);
        let mark = IdMap::mark(&p);
        map.set(&mut p, Kind::Connection, "dxcon-b", 2);
        map.remove(&mut p, Kind::Connection, "dxcon-a", 1);
        map.clear(&mut p);
        map.undo_to(&mut p, mark);
        map.finish(&mut p, true);
        assert_eq!(map.seq(Kind::Connection, "dxcon-a"), Some(1));
        assert_eq!(map.seq(Kind::Connection, "dxcon-b"), None);
    }

    #[test]
    fn a_committed_clear_keeps_only_what_came_after_it() {
        let map = IdMap::new();
        map.load(Kind::Connection, "dxcon-a", 1);
        let mut p = Pending::default();
        map.clear(&mut p);
        map.set(&mut p, Kind::Connection, "dxcon-b", 2);
        assert_eq!(map.seq(Kind::Connection, "dxcon-a"), Some(1));
        map.finish(&mut p, true);
        assert_eq!(map.len(), 1);
        assert_eq!(map.seq(Kind::Connection, "dxcon-b"), Some(2));
    }
}
