"""Crash durability under load: concurrent writers, SIGKILL at a random moment,
restart, and every acknowledged write is there.

Eight writer threads in two accounts create connections (each with a creation
tag), tag them, rename them and delete some, recording only what the server
acknowledged. The server is killed with SIGKILL mid-load, three times over the
same data directory, once for each durability contract (`--sync process`,
the default, and `--sync full`). After each restart: every acknowledged connection, name,
tag and delete is there; every connection that exists (acknowledged or not)
carries its creation tag, so no half-written resource is visible; and ids never
repeat across the crashes.
"""
from __future__ import annotations

import random
import signal
import threading
import time

import pytest

from conftest import Server

ACCOUNTS = ["515151515151", "525252525252"]
WRITERS = 8


def arn(account: str, cid: str) -> str:
    return f"arn:aws:directconnect:us-east-1:{account}:dxcon/{cid}"


class Ledger:
    """What the server acknowledged, per connection id."""

    def __init__(self):
        self.lock = threading.Lock()
        self.conns: dict[str, dict] = {}

    def record(self, cid: str, **facts):
        with self.lock:
            self.conns.setdefault(cid, {"tags": {}}).update(
                {k: v for k, v in facts.items() if k != "tags"})
            self.conns[cid]["tags"].update(facts.get("tags", {}))


def writer(srv: Server, account: str, ledger: Ledger, stop: threading.Event, seed: int):
    rng = random.Random(seed)
    dx = srv.client(account)
    n = 0
    while not stop.is_set():
        n += 1
        name = f"w{seed}-{n}"
        try:
            out = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=name,
                                       tags=[{"key": "origin", "value": name}])
            cid = out["connectionId"]
            ledger.record(cid, account=account, name=name, deleted=False, tags={"origin": name})
            # A change in flight when the server dies may or may not have
            # been applied: the ledger notes it first, and the check accepts both.
            if rng.random() < 0.5:
                ledger.record(cid, inflight="tag")
                dx.tag_resource(resourceArn=arn(account, cid), tags=[{"key": "extra", "value": str(n)}])
                ledger.record(cid, tags={"extra": str(n)}, inflight=None)
            if rng.random() < 0.3:
                ledger.record(cid, inflight="rename")
                dx.update_connection(connectionId=cid, connectionName=name + "-renamed")
                ledger.record(cid, name=name + "-renamed", inflight=None)
            if rng.random() < 0.2:
                ledger.record(cid, inflight="delete")
                dx.delete_connection(connectionId=cid)
                ledger.record(cid, deleted=True, inflight=None)
        except Exception:  # the server was killed under us
            return


def check(srv: Server, ledger: Ledger, seen_ids: set[str]) -> int:
    checked = 0
    for account in ACCOUNTS:
        dx = srv.client(account)
        listed = {c["connectionId"]: c for c in dx.describe_connections()["connections"]}
        mine = {cid: f for cid, f in ledger.conns.items() if f["account"] == account}
        for cid, facts in mine.items():
            got = dx.describe_connections(connectionId=cid)["connections"][0]
            inflight = facts.get("inflight")
            if facts["deleted"]:
                assert got["connectionState"] == "deleted", cid
                continue
            if inflight == "delete" and got["connectionState"] == "deleted":
                facts["deleted"] = True
                continue
            assert cid in listed, f"acknowledged {cid} is missing"
            names = {facts["name"]} | ({facts["name"] + "-renamed"} if inflight == "rename" else set())
            assert got["connectionName"] in names, (cid, got["connectionName"], facts)
            tags = dx.describe_tags(resourceArns=[arn(account, cid)])["resourceTags"][0]["tags"]
            stored = {t["key"]: t["value"] for t in tags}
            assert facts["tags"].items() <= stored.items(), (cid, stored, facts)
            if inflight != "tag":
                assert stored == facts["tags"], (cid, stored, facts)
            facts["name"] = got["connectionName"]
            facts["tags"] = stored
            facts["inflight"] = None
            checked += 1
        # Whatever exists, acknowledged or not, was written whole.
        if listed:
            tagged = dx.describe_tags(resourceArns=[arn(account, c) for c in list(listed)[:20]])
            for rt in tagged["resourceTags"]:
                assert any(t["key"] == "origin" for t in rt["tags"]), rt
        for cid in listed:
            seen_ids.add(cid)
    return checked


@pytest.mark.parametrize("sync", ["process", "full"])
def test_acknowledged_writes_survive_sigkill_under_load(tmp_path, sync):
    ledger = Ledger()
    seen_ids: set[str] = set()
    rng = random.Random()
    for rnd in range(3):
        srv = Server("--data-dir", str(tmp_path), "--sync", sync, "--max-connections-per-location", "100000").start()
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(srv, ACCOUNTS[i % 2], ledger, stop, rnd * 100 + i))
                   for i in range(WRITERS)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.8, 2.0))
        srv.kill(signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join(timeout=30)

        again = Server("--data-dir", str(tmp_path), "--sync", sync, "--max-connections-per-location", "100000").start()
        try:
            before = set(seen_ids) | set(ledger.conns)
            checked = check(again, ledger, seen_ids)
            assert checked > 0, "the writers acknowledged nothing"
            # New ids never repeat any id seen before the crash.
            dx = again.client(ACCOUNTS[0])
            fresh = [dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="after")["connectionId"]
                     for _ in range(20)]
            assert not set(fresh) & before
            for cid in fresh:
                dx.delete_connection(connectionId=cid)
        finally:
            again.kill(signal.SIGTERM)
    print(f"{len(ledger.conns)} acknowledged connections over 3 crashes, all intact")
