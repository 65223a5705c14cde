//! The behaviour every `Store` must have, run against each backend.
//!
//! Every contract test runs on SQLite and on PostgreSQL. The PostgreSQL runs
//! use the server at `DXEMU_TEST_POSTGRES` (a URL), each test in a schema of
//! its own; without it they are skipped, except under CI, where they fail.

use super::*;
use std::sync::Barrier;

fn rec(id: &str, account: &str, state: &str) -> Record {
    Record {
        kind: Kind::Connection,
        id: id.into(),
        account: account.into(),
        region: "us-east-1".into(),
        state: state.into(),
        parent: None,
        location: Some("EqDC2".into()),
        link: None,
        doc: "{}".into(),
        version: 0,
        seq: 0,
        due_at: None,
    }
}

fn put_new(store: &dyn Store, r: Record) -> Record {
    store
        .apply(vec![Write::Put(r, Expect::Absent)])
        .unwrap()
        .remove(0)
}

fn basics(store: &dyn Store) {
    // Insert, read back, version starts at 1.
    let a = store
        .apply(vec![Write::Put(
            rec("dxcon-a", "111111111111", "requested"),
            Expect::Absent,
        )])
        .unwrap();
    assert_eq!(a[0].version, 1);
    let got = store.get(Kind::Connection, "dxcon-a").unwrap().unwrap();
    assert_eq!((got.state.as_str(), got.version), ("requested", 1));
    assert!(store.get(Kind::Lag, "dxcon-a").unwrap().is_none());

    // Absent precondition rejects a duplicate id; nothing of the batch lands.
    let dup = store.apply(vec![
        Write::Put(rec("dxcon-b", "111111111111", "requested"), Expect::Absent),
        Write::Put(rec("dxcon-a", "111111111111", "requested"), Expect::Absent),
    ]);
    assert!(matches!(dup, Err(StoreError::Conflict { .. })));
    assert!(store.get(Kind::Connection, "dxcon-b").unwrap().is_none());

    // Version precondition: a stale update fails, a current one bumps the version.
    let mut upd = got.clone();
    upd.state = "available".into();
    assert!(
        store
            .apply(vec![Write::Put(upd.clone(), Expect::Version(7))])
            .is_err()
    );
    let after = store
        .apply(vec![Write::Put(upd, Expect::Version(1))])
        .unwrap();
    assert_eq!((after[0].version, after[0].seq), (2, got.seq));

    // Listing by owner, in insertion order, with paging and state exclusion.
    store
        .apply(vec![
            Write::Put(rec("dxcon-c", "111111111111", "deleted"), Expect::Absent),
            Write::Put(rec("dxcon-d", "111111111111", "available"), Expect::Absent),
            Write::Put(rec("dxcon-e", "222222222222", "available"), Expect::Absent),
        ])
        .unwrap();
    let mut q = Query::kind(Kind::Connection);
    q.account = Some("111111111111");
    let ids: Vec<_> = store.list(&q).unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["dxcon-a", "dxcon-c", "dxcon-d"]);
    assert_eq!(store.count(&q).unwrap(), 3);
    // A limit bounds the count (quota checks count no further than they need).
    let mut bounded = q.clone();
    bounded.limit = Some(2);
    assert_eq!(store.count(&bounded).unwrap(), 2);
    bounded.limit = Some(5);
    assert_eq!(store.count(&bounded).unwrap(), 3);
    q.location = Some("CSVA1");
    assert_eq!(store.count(&q).unwrap(), 0);
    q.location = Some("EqDC2");
    q.exclude_states = &["deleted"];
    q.limit = Some(1);
    let first = store.list(&q).unwrap();
    assert_eq!(first.len(), 1);
    q.after_seq = Some(first[0].seq);
    let ids: Vec<_> = store.list(&q).unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["dxcon-d"]);

    // Due records, earliest first.
    let mut d = store.get(Kind::Connection, "dxcon-d").unwrap().unwrap();
    d.due_at = Some(50);
    let mut e = store.get(Kind::Connection, "dxcon-e").unwrap().unwrap();
    e.due_at = Some(10);
    store
        .apply(vec![
            Write::Put(d.clone(), Expect::Version(1)),
            Write::Put(e, Expect::Version(1)),
        ])
        .unwrap();
    assert_eq!(store.next_due().unwrap(), Some(10));
    let due: Vec<_> = store
        .due(60, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(due, ["dxcon-e", "dxcon-d"]);
    assert!(store.due(5, 10).unwrap().is_empty());

    // Delete with a precondition.
    store
        .apply(vec![Write::Delete {
            kind: Kind::Connection,
            id: "dxcon-c".into(),
            expect: Expect::Version(1),
        }])
        .unwrap();
    assert!(store.get(Kind::Connection, "dxcon-c").unwrap().is_none());

    // Seq is never reused after a delete.
    let f = store
        .apply(vec![Write::Put(
            rec("dxcon-f", "111111111111", "requested"),
            Expect::Absent,
        )])
        .unwrap();
    assert!(f[0].seq > d.seq);
}

/// After a reset nothing is left, and sequence numbers keep counting up.
fn reset_keeps_counting(store: &dyn Store) {
    let a = put_new(store, rec("dxcon-a", "111111111111", "available"));
    let mut due = rec("dxcon-b", "111111111111", "requested");
    due.due_at = Some(5);
    put_new(store, due);
    store.reset().unwrap();
    assert!(store.get(Kind::Connection, "dxcon-a").unwrap().is_none());
    assert_eq!(store.count(&Query::kind(Kind::Connection)).unwrap(), 0);
    assert_eq!(store.next_due().unwrap(), None);
    let again = put_new(store, rec("dxcon-a", "111111111111", "requested"));
    assert!(again.seq > a.seq);
    assert_eq!(again.version, 1);
}

/// A failed precondition anywhere in a batch leaves every record as it was.
fn batches_are_atomic(store: &dyn Store) {
    let a = put_new(store, rec("dxcon-a", "111111111111", "available"));
    let mut changed = a.clone();
    changed.state = "down".into();
    let failed = store.apply(vec![
        Write::Put(changed.clone(), Expect::Version(a.version)),
        Write::Put(
            rec("dxcon-new", "111111111111", "requested"),
            Expect::Absent,
        ),
        Write::Delete {
            kind: Kind::Connection,
            id: "dxcon-missing".into(),
            expect: Expect::Version(1),
        },
    ]);
    assert!(matches!(failed, Err(StoreError::Conflict { .. })));
    assert_eq!(store.get(Kind::Connection, "dxcon-a").unwrap().unwrap(), a);
    assert!(store.get(Kind::Connection, "dxcon-new").unwrap().is_none());

    // Deleting with Absent expects the record not to be there.
    let absent_delete = store.apply(vec![Write::Delete {
        kind: Kind::Connection,
        id: "dxcon-a".into(),
        expect: Expect::Absent,
    }]);
    assert!(matches!(absent_delete, Err(StoreError::Conflict { .. })));
    // A stale delete fails too; a current one removes the record.
    let stale = store.apply(vec![Write::Delete {
        kind: Kind::Connection,
        id: "dxcon-a".into(),
        expect: Expect::Version(a.version + 1),
    }]);
    assert!(matches!(stale, Err(StoreError::Conflict { .. })));
    store
        .apply(vec![
            Write::Put(changed, Expect::Version(a.version)),
            Write::Delete {
                kind: Kind::Connection,
                id: "dxcon-a".into(),
                expect: Expect::Version(a.version + 1),
            },
        ])
        .unwrap();
    assert!(store.get(Kind::Connection, "dxcon-a").unwrap().is_none());
}

/// Every field survives a round trip, including absent ones and non-ASCII text.
fn fields_round_trip(store: &dyn Store) {
    let mut r = rec("dxvif-a", "111111111111", "pending");
    r.kind = Kind::VirtualInterface;
    r.parent = Some("dxcon-p".into());
    r.location = None;
    r.link = Some("dxgw-1".into());
    r.doc = "{\"wire\":{\"name\":\"caf\u{e9} \u{2014} \u{1f680} \\\" '\"},\"x\":null}".into();
    r.due_at = Some(i64::MAX - 1);
    let stored = put_new(store, r.clone());
    let got = store
        .get(Kind::VirtualInterface, "dxvif-a")
        .unwrap()
        .unwrap();
    assert_eq!(got, stored);
    assert_eq!(
        (got.parent, got.location, got.link, got.doc, got.due_at),
        (r.parent, None, r.link, r.doc, r.due_at)
    );
    // The same id under another kind is another record.
    assert!(store.get(Kind::Connection, "dxvif-a").unwrap().is_none());
}

/// Parent, link and region filters, and the due listing's limit.
fn filters_and_limits(store: &dyn Store) {
    let mut batch = Vec::new();
    for i in 0..6 {
        let mut r = rec(&format!("dxvif-{i}"), "111111111111", "available");
        r.kind = Kind::VirtualInterface;
        r.parent = Some(
            if i % 2 == 0 {
                "dxcon-even"
            } else {
                "dxcon-odd"
            }
            .into(),
        );
        r.link = (i < 2).then(|| "dxgw-1".to_string());
        r.region = if i == 5 { "eu-west-1" } else { "us-east-1" }.into();
        r.due_at = Some(100 - i);
        batch.push(Write::Put(r, Expect::Absent));
    }
    store.apply(batch).unwrap();
    let ids = |q: &Query<'_>| -> Vec<String> {
        store.list(q).unwrap().into_iter().map(|r| r.id).collect()
    };
    let mut q = Query::kind(Kind::VirtualInterface);
    q.parent = Some("dxcon-even");
    assert_eq!(ids(&q), ["dxvif-0", "dxvif-2", "dxvif-4"]);
    let mut q = Query::kind(Kind::VirtualInterface);
    q.link = Some("dxgw-1");
    assert_eq!(ids(&q), ["dxvif-0", "dxvif-1"]);
    let mut q = Query::kind(Kind::VirtualInterface);
    q.region = Some("eu-west-1");
    assert_eq!(ids(&q), ["dxvif-5"]);
    q.region = Some("us-east-1");
    q.exclude_states = &["available", "deleted"];
    assert!(ids(&q).is_empty());
    assert_eq!(
        store.count(&Query::kind(Kind::VirtualInterface)).unwrap(),
        6
    );
    assert_eq!(store.count(&Query::kind(Kind::Connection)).unwrap(), 0);
    let due: Vec<_> = store
        .due(97, 2)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(due, ["dxvif-5", "dxvif-4"]);
    assert_eq!(store.next_due().unwrap(), Some(95));
}

/// Counts the writers that won; any error but a conflict fails the test.
fn winners(results: Vec<StoreResult<Vec<Record>>>) -> usize {
    results
        .into_iter()
        .filter(|r| match r {
            Ok(_) => true,
            Err(StoreError::Conflict { .. }) => false,
            Err(e) => panic!("unexpected error {e}"),
        })
        .count()
}

/// Of many writers racing on one precondition, exactly one wins.
fn racing_writers_one_wins(store: &dyn Store) {
    const N: usize = 8;
    let barrier = Barrier::new(N);
    let race = |make: &(dyn Fn(usize) -> Write + Sync)| {
        std::thread::scope(|s| {
            let tasks: Vec<_> = (0..N)
                .map(|i| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        let w = make(i);
                        barrier.wait();
                        store.apply(vec![w])
                    })
                })
                .collect();
            winners(tasks.into_iter().map(|t| t.join().unwrap()).collect())
        })
    };
    let created = race(&|i| {
        let mut r = rec("dxcon-race", "111111111111", "requested");
        r.doc = format!("{{\"writer\":{i}}}");
        Write::Put(r, Expect::Absent)
    });
    assert_eq!(created, 1);

    let base = store.get(Kind::Connection, "dxcon-race").unwrap().unwrap();
    let updated = race(&|i| {
        let mut r = base.clone();
        r.state = format!("state-{i}");
        Write::Put(r, Expect::Version(base.version))
    });
    assert_eq!(updated, 1);
    let after = store.get(Kind::Connection, "dxcon-race").unwrap().unwrap();
    assert_eq!(after.version, base.version + 1);

    let deleted = race(&|_| Write::Delete {
        kind: Kind::Connection,
        id: "dxcon-race".into(),
        expect: Expect::Version(after.version),
    });
    assert_eq!(deleted, 1);
    assert!(store.get(Kind::Connection, "dxcon-race").unwrap().is_none());
}

/// Strings clients can send (NUL, backslashes, escapes, non-ASCII) are kept
/// exactly and never match one another.
fn awkward_strings_round_trip(store: &dyn Store) {
    let ids = [
        "vgw-a\0b",
        "vgw-a\\0b",
        "vgw-a\\b",
        "vgw-\\",
        "vgw-\u{202e}é",
    ];
    for id in ids {
        let mut r = rec(id, "111111111111", "available");
        r.link = Some(format!("{id}-link"));
        r.parent = Some(id.to_string());
        put_new(store, r);
    }
    for id in ids {
        let got = store.get(Kind::Connection, id).unwrap().unwrap();
        assert_eq!(got.id, id);
        assert_eq!(got.link.as_deref(), Some(format!("{id}-link").as_str()));
        let mut q = Query::kind(Kind::Connection);
        q.parent = Some(id);
        let listed = store.list(&q).unwrap();
        assert_eq!(listed.len(), 1, "{id:?}");
        assert_eq!(listed[0].id, id);
    }
    assert!(store.get(Kind::Connection, "vgw-a").unwrap().is_none());
    assert!(store.get(Kind::Connection, "vgw-a\0").unwrap().is_none());
    let gone = store.get(Kind::Connection, ids[0]).unwrap().unwrap();
    store
        .apply(vec![Write::Delete {
            kind: Kind::Connection,
            id: ids[0].into(),
            expect: Expect::Version(gone.version),
        }])
        .unwrap();
    assert!(store.get(Kind::Connection, ids[0]).unwrap().is_none());
    assert!(store.get(Kind::Connection, ids[1]).unwrap().is_some());
}

/// A group's writes: each `apply` atomic on its own, a failed one undoing
/// only itself, all visible to the group's own reads and kept afterwards.
fn groups(store: &dyn Store) {
    put_new(store, rec("dxcon-x", "111111111111", "available"));
    let before = store.generation();
    let mut failed = None;
    let mut seen_inside = None;
    let (mut twice_ok, mut twice_refused) = (None, None);
    store
        .group(&mut || {
            put_new(store, rec("dxcon-g1", "111111111111", "requested"));
            // Conflicts with dxcon-x: refused, and only this batch is undone.
            failed = Some(store.apply(vec![
                Write::Put(rec("dxcon-g2", "111111111111", "requested"), Expect::Absent),
                Write::Put(rec("dxcon-x", "111111111111", "requested"), Expect::Absent),
            ]));
            // A nested group joins this one.
            store
                .group(&mut || {
                    put_new(store, rec("dxcon-g3", "111111111111", "requested"));
                })
                .unwrap();
            let mut q = Query::kind(Kind::Connection);
            q.exclude_states = &["available"];
            seen_inside = Some(store.count(&q).unwrap());
            // A batch naming a record twice: its second write sees its first.
            let twice = |id: &str, second: Expect| {
                store.apply(vec![
                    Write::Put(rec(id, "111111111111", "requested"), Expect::Absent),
                    Write::Put(rec(id, "111111111111", "pending"), second),
                ])
            };
            twice_ok = Some(twice("dxcon-g4", Expect::Version(1)));
            twice_refused = Some(twice("dxcon-g5", Expect::Version(7)));
        })
        .unwrap();
    assert!(matches!(failed, Some(Err(StoreError::Conflict { .. }))));
    assert!(matches!(twice_ok, Some(Ok(_))), "{twice_ok:?}");
    assert!(matches!(
        twice_refused,
        Some(Err(StoreError::Conflict { .. }))
    ));
    let g4 = store.get(Kind::Connection, "dxcon-g4").unwrap().unwrap();
    assert_eq!((g4.version, g4.state.as_str()), (2, "pending"));
    assert!(store.get(Kind::Connection, "dxcon-g5").unwrap().is_none());
    assert_eq!(seen_inside, Some(2), "the group reads its own writes");
    for (id, present) in [("dxcon-g1", true), ("dxcon-g2", false), ("dxcon-g3", true)] {
        assert_eq!(
            store.get(Kind::Connection, id).unwrap().is_some(),
            present,
            "{id}"
        );
    }
    assert_eq!(
        store
            .get(Kind::Connection, "dxcon-x")
            .unwrap()
            .unwrap()
            .version,
        1
    );
    if let (Some(a), Some(b)) = (before, store.generation()) {
        assert!(b > a, "a committed group starts a new generation");
    }
}

/// Runs each named contract test on every backend.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(&super::SqliteStore::in_memory().unwrap());
                }
            )*
        }
        /// A file-backed store reads through its separate reader connections.
        mod on_sqlite_file {
            $(
                #[test]
                fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    super::$name(&super::SqliteStore::open(&dir.path().join("c.db")).unwrap());
                }
            )*
        }
        mod on_postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(pg) = super::pg::fresh() {
                        super::$name(&pg.store);
                    }
                }
            )*
        }
    };
}

contract!(
    basics,
    reset_keeps_counting,
    batches_are_atomic,
    fields_round_trip,
    filters_and_limits,
    racing_writers_one_wins,
    awkward_strings_round_trip,
    groups,
);

/// Readers on other threads see a group's writes only once it has committed.
#[test]
fn sqlite_group_is_invisible_until_committed() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("g.db")).unwrap();
    assert!(store.groups_writes());
    let mut outside = None;
    store
        .group(&mut || {
            put_new(&store, rec("dxcon-g", "111111111111", "requested"));
            assert!(store.get(Kind::Connection, "dxcon-g").unwrap().is_some());
            outside = Some(std::thread::scope(|s| {
                s.spawn(|| store.get(Kind::Connection, "dxcon-g").unwrap().is_some())
                    .join()
                    .unwrap()
            }));
        })
        .unwrap();
    assert_eq!(
        outside,
        Some(false),
        "another thread saw an uncommitted write"
    );
    let seen = std::thread::scope(|s| {
        s.spawn(|| store.get(Kind::Connection, "dxcon-g").unwrap().is_some())
            .join()
            .unwrap()
    });
    assert!(seen);
}

/// A statement that fails once a batch's checks have passed leaves the
/// group unable to commit: the group fails, keeps none of its writes, and
/// the store goes on working.
#[test]
fn sqlite_failed_write_breaks_its_group() {
    let store = SqliteStore::in_memory().unwrap();
    store.with_writer(|c| {
        c.execute_batch(
            "CREATE TEMP TRIGGER refuse AFTER INSERT ON main.resources WHEN NEW.id = 'dxcon-bad'
             BEGIN SELECT RAISE(ABORT, 'injected'); END;",
        )
        .unwrap()
    });
    let mut results = Vec::new();
    let outcome = store.group(&mut || {
        for id in ["dxcon-g1", "dxcon-bad", "dxcon-g2"] {
            results.push(store.apply(vec![Write::Put(
                rec(id, "111111111111", "requested"),
                Expect::Absent,
            )]));
        }
    });
    assert!(outcome.is_err(), "a broken group must not commit");
    assert!(results[0].is_ok());
    assert!(matches!(results[1], Err(StoreError::Backend(_))));
    assert!(matches!(results[2], Err(StoreError::Backend(_))));
    for id in ["dxcon-g1", "dxcon-bad", "dxcon-g2"] {
        assert!(store.get(Kind::Connection, id).unwrap().is_none(), "{id}");
    }
    put_new(&store, rec("dxcon-g3", "111111111111", "requested"));
    store
        .group(&mut || {
            put_new(&store, rec("dxcon-g4", "111111111111", "requested"));
        })
        .unwrap();
    assert!(store.get(Kind::Connection, "dxcon-g4").unwrap().is_some());
}

/// SQLite's automatic checkpoint is replaced: the WAL grows past its
/// threshold during groups and is copied into the database by `maintain`,
/// after which the next commit starts the log over.
#[test]
fn sqlite_file_checkpoints_in_maintain() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("c.db")).unwrap();
    // A document a page long: each record fills at least a page.
    let page = "x".repeat(super::sqlite::PAGE_SIZE as usize);
    store
        .group(&mut || {
            for i in 0..1200 {
                let mut r = rec(&format!("dxcon-{i}"), "111111111111", "requested");
                r.doc = format!("{{\"pad\":\"{page}\"}}");
                put_new(&store, r);
            }
        })
        .unwrap();
    assert!(store.wal_pages() >= 1000, "{}", store.wal_pages());
    store.maintain();
    put_new(&store, rec("dxcon-after", "111111111111", "requested"));
    assert!(
        store.wal_pages() < 100,
        "the WAL did not start over: {} pages",
        store.wal_pages()
    );
    assert_eq!(store.count(&Query::kind(Kind::Connection)).unwrap(), 1201);
}

/// A database made before the id map (a unique index on kind and id) is
/// rebuilt without that index: every record is kept and found by id, rows
/// keep their numbers, and numbering goes on past the highest ever given.
#[test]
fn sqlite_old_database_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE resources (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, id TEXT NOT NULL,
                account TEXT NOT NULL, region TEXT NOT NULL, state TEXT NOT NULL, parent TEXT,
                location TEXT, link TEXT, doc TEXT NOT NULL, version INTEGER NOT NULL,
                due_at INTEGER, UNIQUE (kind, id));
             CREATE INDEX resources_owner ON resources (kind, account, region, seq);
             INSERT INTO resources (kind, id, account, region, state, doc, version)
               VALUES ('connection', 'dxcon-old1', '111111111111', 'us-east-1', 'available', '{}', 3),
                      ('lag', 'dxlag-old2', '111111111111', 'us-east-1', 'pending', '{}', 1),
                      ('connection', 'dxcon-old3', '111111111111', 'us-east-1', 'available', '{}', 1);
             DELETE FROM resources WHERE id = 'dxcon-old3';",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let old1 = store.get(Kind::Connection, "dxcon-old1").unwrap().unwrap();
    assert_eq!((old1.seq, old1.version), (1, 3));
    assert_eq!(store.get(Kind::Lag, "dxlag-old2").unwrap().unwrap().seq, 2);
    assert!(store.get(Kind::Connection, "dxcon-old3").unwrap().is_none());
    let new = put_new(&store, rec("dxcon-new", "111111111111", "requested"));
    assert_eq!(new.seq, 4, "a row number was given twice");
    // The same id cannot be created twice, without the index as with it.
    let again = store.apply(vec![Write::Put(
        rec("dxcon-old1", "111111111111", "requested"),
        Expect::Absent,
    )]);
    assert!(matches!(again, Err(StoreError::Conflict { .. })));
    drop(store);
    // Opened again: nothing left to migrate, the same records.
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.count(&Query::kind(Kind::Connection)).unwrap(), 2);
    drop(store);
    // The old owner, id and live indexes made way for one owner index that
    // loads the id map (not from the documents) and serves listings.
    let c = rusqlite::Connection::open(&path).unwrap();
    let indexes: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'resources_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        indexes.contains(&"resources_owned".to_string()),
        "{indexes:?}"
    );
    for gone in [
        "resources_owner",
        "resources_ids",
        "resources_by_owner",
        "resources_live",
    ] {
        assert!(!indexes.iter().any(|i| i == gone), "{indexes:?}");
    }
    let plan: String = c
        .query_row(
            "EXPLAIN QUERY PLAN SELECT kind, id, seq FROM resources",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("COVERING INDEX resources_owned"), "{plan}");
    // A listing of an owner's live resources walks that index in row order,
    // with no sort.
    let mut sql = format!("SELECT {} FROM resources WHERE ", super::sqlite::COLUMNS);
    let mut q = Query::kind(Kind::Connection);
    q.account = Some("111111111111");
    q.region = Some("us-east-1");
    q.exclude_states = &["deleted", "rejected"];
    let _ = super::sqlite::where_clause(&q, &mut sql);
    sql.push_str(" ORDER BY seq LIMIT 10");
    let plan: Vec<String> = c
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap()
        .query_map(
            ["connection", "111111111111", "us-east-1"].map(|v| v.to_string()),
            |r| r.get(3),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(plan.len(), 1, "{plan:?}");
    assert!(plan[0].contains("USING INDEX resources_owned"), "{plan:?}");
}

/// A new database file gets the larger page size; one made with SQLite's
/// default keeps it (and its records).
#[test]
fn sqlite_new_files_use_larger_pages() {
    let dir = tempfile::tempdir().unwrap();
    let page_size = |path: &std::path::Path| -> i64 {
        rusqlite::Connection::open(path)
            .unwrap()
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap()
    };
    let new = dir.path().join("new.db");
    drop(SqliteStore::open(&new).unwrap());
    assert_eq!(page_size(&new), super::sqlite::PAGE_SIZE);
    let old = dir.path().join("old.db");
    {
        let store = SqliteStore::open(&old).unwrap();
        put_new(&store, rec("dxcon-kept", "111111111111", "available"));
    }
    // Made with 4096-byte pages: rebuild it so, then reopen it.
    {
        let c = rusqlite::Connection::open(&old).unwrap();
        c.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM;")
            .unwrap();
    }
    assert_eq!(page_size(&old), 4096);
    let store = SqliteStore::open(&old).unwrap();
    assert!(store.get(Kind::Connection, "dxcon-kept").unwrap().is_some());
    drop(store);
    assert_eq!(page_size(&old), 4096);
}

/// One process per database file: a second store on it is refused while
/// the first is open.
#[test]
fn sqlite_file_is_locked_to_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.db");
    let first = SqliteStore::open(&path).unwrap();
    let second = SqliteStore::open(&path);
    assert!(
        matches!(&second, Err(StoreError::Backend(m)) if m.contains("in use by another dxemu process")),
        "{:?}",
        second.err()
    );
    drop(first);
    assert!(SqliteStore::open(&path).is_ok());
}

#[test]
fn sqlite_file_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dxemu.db");
    {
        let s = SqliteStore::open(&path).unwrap();
        basics(&s);
    }
    let s = SqliteStore::open(&path).unwrap();
    let got = s.get(Kind::Connection, "dxcon-a").unwrap().unwrap();
    assert_eq!(got.state, "available");
    assert!(!s.shared());
    assert!(s.lock_writes().unwrap().is_none());
}

/// Throwaway PostgreSQL schemas for the tests.
pub(crate) mod pg {
    use super::super::PostgresStore;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A store in a schema of its own, dropped with it.
    pub struct Fresh {
        pub store: PostgresStore,
        pub url: String,
        pub schema: String,
    }

    impl Fresh {
        /// Another store (as another process would open it) on the same schema.
        pub fn reopen(&self) -> PostgresStore {
            PostgresStore::connect_in_schema(&self.url, &self.schema).unwrap()
        }
    }

    impl Drop for Fresh {
        fn drop(&mut self) {
            if let Ok(mut c) = ::postgres::Client::connect(&self.url, ::postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
            }
        }
    }

    /// The test server's URL; `None` (after saying so) when there is none
    /// outside CI. Under CI a missing server fails the test.
    pub fn url() -> Option<String> {
        match std::env::var("DXEMU_TEST_POSTGRES") {
            Ok(url) if !url.is_empty() => Some(url),
            _ if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) => {
                panic!(
                    "CI is set but DXEMU_TEST_POSTGRES is not: the PostgreSQL store tests \
                     must run in CI (scripts/test starts a server)"
                )
            }
            _ => {
                eprintln!(
                    "skipped: set DXEMU_TEST_POSTGRES=postgres://… to run the PostgreSQL store tests"
                );
                None
            }
        }
    }

    /// A store in a new, empty schema.
    pub fn fresh() -> Option<Fresh> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let url = url()?;
        let schema = format!(
            "dxemu_test_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            fastrand::u32(..)
        );
        let store = PostgresStore::connect_in_schema(&url, &schema).unwrap();
        Some(Fresh { store, url, schema })
    }
}

/// Two stores on one schema, as two processes would have: each sees the
/// other's writes, and sequence numbers are shared.
#[test]
fn postgres_stores_share_state() {
    let Some(pg) = pg::fresh() else { return };
    let other = pg.reopen();
    assert!(pg.store.shared());
    let a = put_new(&pg.store, rec("dxcon-a", "111111111111", "requested"));
    let seen = other.get(Kind::Connection, "dxcon-a").unwrap().unwrap();
    assert_eq!(seen, a);
    let mut upd = seen.clone();
    upd.state = "available".into();
    other
        .apply(vec![Write::Put(upd, Expect::Version(1))])
        .unwrap();
    // The first store's stale view fails its precondition.
    let mut stale = a.clone();
    stale.state = "down".into();
    assert!(matches!(
        pg.store.apply(vec![Write::Put(stale, Expect::Version(1))]),
        Err(StoreError::Conflict { .. })
    ));
    let b = put_new(&other, rec("dxcon-b", "111111111111", "requested"));
    assert!(b.seq > a.seq);
    assert_eq!(pg.store.count(&Query::kind(Kind::Connection)).unwrap(), 2);
}

/// The write lock excludes holders of other stores on the same schema.
#[test]
fn postgres_write_lock_spans_stores() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let Some(pg) = pg::fresh() else { return };
    let other = pg.reopen();
    let guard = pg
        .store
        .lock_writes()
        .unwrap()
        .expect("postgres has a write lock");
    let acquired = AtomicBool::new(false);
    std::thread::scope(|s| {
        let t = s.spawn(|| {
            let g = other.lock_writes().unwrap();
            acquired.store(true, Ordering::SeqCst);
            drop(g);
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(!acquired.load(Ordering::SeqCst), "lock taken twice");
        drop(guard);
        t.join().unwrap();
    });
    assert!(acquired.load(Ordering::SeqCst));
    // And it can be taken again afterwards.
    drop(pg.store.lock_writes().unwrap());
}

/// Processes starting together on an empty schema migrate it exactly once.
#[test]
fn postgres_migrations_run_once() {
    let Some(pg) = pg::fresh() else { return };
    let url = pg.url.clone();
    let schema = format!("{}_m", pg.schema);
    let stores: Vec<_> = std::thread::scope(|s| {
        let tasks: Vec<_> = (0..4)
            .map(|_| s.spawn(|| PostgresStore::connect_in_schema(&url, &schema)))
            .collect();
        tasks.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for s in &stores {
        assert!(s.is_ok(), "{:?}", s.as_ref().err());
    }
    let mut c = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    let rows = c
        .query(
            &format!("SELECT version FROM {schema}.dxemu_migrations ORDER BY version"),
            &[],
        )
        .unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, [1]);
    drop(stores);
    c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

/// A file store fsyncs in the background: a write outside a group returns
/// once durable; a group's commit is numbered, and becomes durable after.
#[test]
fn sqlite_file_commits_are_numbered_and_made_durable() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("d.db")).unwrap();
    let durable = store
        .durability()
        .expect("a file store syncs in the background");
    put_new(&store, rec("dxcon-1", "111111111111", "requested"));
    let first = store.horizon();
    assert!(first >= 1);
    assert!(
        durable.borrow().through >= first,
        "apply returned before its fsync"
    );
    store
        .group(&mut || {
            put_new(&store, rec("dxcon-2", "111111111111", "requested"));
        })
        .unwrap();
    let second = store.horizon();
    assert!(second > first);
    let mut rx = durable.clone();
    let reached = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(async {
            tokio::time::timeout(
                std::time::Duration::from_secs(10),
                rx.wait_for(|d| d.through >= second),
            )
            .await
            .map(|r| r.is_ok())
        });
    assert_eq!(reached, Ok(true));
    // A group that writes nothing commits nothing to make durable.
    store.group(&mut || {}).unwrap();
    assert_eq!(store.horizon(), second);
    // An in-memory store has nothing to sync.
    assert!(SqliteStore::in_memory().unwrap().durability().is_none());
}

/// The process contract: nothing waits for an fsync (no horizon, no
/// durability to follow), and a commit is in the file as soon as it returns:
/// a second opening, as after a killed process, reads it.
#[test]
fn sqlite_process_durability_answers_without_waiting_for_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let store = SqliteStore::open_with(&path, super::Durability::Process).unwrap();
    assert!(store.durability().is_none());
    put_new(&store, rec("dxcon-1", "111111111111", "requested"));
    assert_eq!(store.horizon(), 0, "nothing to wait for");
    // Not dropped (no clean close, no checkpoint): read through another connection.
    let other = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = other
        .query_row(
            "SELECT count(*) FROM resources WHERE id = 'dxcon-1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(store);
}

/// The tallies behind quota counts follow inserts, state changes, moves and
/// deletes, within a group as after it, and a refused batch or a rolled back
/// group takes its changes to them along; an old database gets them built.
#[test]
fn sqlite_tallies_count_what_a_scan_would() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = SqliteStore::open(&path).unwrap();
    let live = |store: &SqliteStore, account: &'static str| {
        let mut q = Query::kind(Kind::Connection);
        q.account = Some(account);
        q.region = Some("us-east-1");
        q.location = Some("EqDC2");
        q.exclude_states = &["deleted"];
        let tallied = store.count(&q).unwrap();
        // The same query answered from the rows themselves.
        let rows = store
            .list(&q)
            .unwrap()
            .into_iter()
            .filter(|r| r.link.is_none())
            .count();
        assert_eq!(tallied, rows, "tally and rows disagree");
        tallied
    };
    let a = put_new(&store, rec("dxcon-a", "111111111111", "available"));
    put_new(&store, rec("dxcon-b", "111111111111", "available"));
    put_new(&store, rec("dxcon-c", "222222222222", "available"));
    assert_eq!(live(&store, "111111111111"), 2);
    // A state change out of the counted ones, and a move to another owner.
    let mut gone = a.clone();
    gone.state = "deleted".into();
    let gone = store
        .apply(vec![Write::Put(gone, Expect::Version(a.version))])
        .unwrap()
        .remove(0);
    assert_eq!(live(&store, "111111111111"), 1);
    let mut moved = store.get(Kind::Connection, "dxcon-b").unwrap().unwrap();
    moved.account = "222222222222".into();
    let v = moved.version;
    store
        .apply(vec![Write::Put(moved, Expect::Version(v))])
        .unwrap();
    assert_eq!(live(&store, "111111111111"), 0);
    assert_eq!(live(&store, "222222222222"), 2);
    // Within a group the group's own writes count; a refused batch does not.
    store
        .group(&mut || {
            put_new(&store, rec("dxcon-d", "111111111111", "available"));
            assert_eq!(live(&store, "111111111111"), 1);
            let refused = store.apply(vec![
                Write::Put(rec("dxcon-e", "111111111111", "available"), Expect::Absent),
                Write::Put(rec("dxcon-d", "111111111111", "available"), Expect::Absent),
            ]);
            assert!(refused.is_err());
            assert_eq!(live(&store, "111111111111"), 1);
        })
        .unwrap();
    assert_eq!(live(&store, "111111111111"), 1);
    store
        .apply(vec![Write::Delete {
            kind: Kind::Connection,
            id: "dxcon-a".into(),
            expect: Expect::Version(gone.version),
        }])
        .unwrap();
    assert_eq!(live(&store, "111111111111"), 1);
    drop(store);
    // A database from before the tallies: they are counted on opening.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TRIGGER tally_insert; DROP TRIGGER tally_delete; DROP TRIGGER tally_update; DROP TABLE tallies;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(live(&store, "111111111111"), 1);
    assert_eq!(live(&store, "222222222222"), 2);
    store.reset().unwrap();
    assert_eq!(live(&store, "222222222222"), 0);
}
