//! The behaviour every `Store` must have, run against each backend.

use super::*;

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

pub fn suite(store: &dyn Store) {
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

#[test]
fn sqlite_in_memory() {
    suite(&SqliteStore::in_memory().unwrap());
}

#[test]
fn sqlite_file_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dxemu.db");
    {
        let s = SqliteStore::open(&path).unwrap();
        suite(&s);
    }
    let s = SqliteStore::open(&path).unwrap();
    let got = s.get(Kind::Connection, "dxcon-a").unwrap().unwrap();
    assert_eq!(got.state, "available");
}
