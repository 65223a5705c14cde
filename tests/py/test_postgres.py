"""Two dxemu processes on one PostgreSQL database behave as one service.

The server is the one at DXEMU_TEST_POSTGRES (scripts/test starts one); each
test gets a database of its own. Without the variable the tests are skipped,
except under CI, where they fail.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import PARTNER, Server

PG_URL = os.environ.get("DXEMU_TEST_POSTGRES", "")


def psql() -> str:
    found = shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[::-1]), None)
    if not found:
        pytest.fail("psql is missing (apt-get install postgresql-client)")
    return found


@pytest.fixture
def database():
    """The URL of a new, empty database, dropped afterwards."""
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI is set but DXEMU_TEST_POSTGRES is not: scripts/test starts a server")
        pytest.skip("set DXEMU_TEST_POSTGRES=postgres://… to run the PostgreSQL tests")
    name = f"dxemu_py_{uuid.uuid4().hex[:12]}"
    subprocess.run([psql(), PG_URL, "-qc", f"CREATE DATABASE {name}"], check=True)
    parts = urllib.parse.urlsplit(PG_URL)
    yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    subprocess.run([psql(), PG_URL, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)


@pytest.fixture
def pair(request, database):
    """Two servers on the database, started together; extra flags by indirect param."""
    flags = getattr(request, "param", ())
    servers = [Server("--store", database, *flags) for _ in range(2)]
    # Start both at once: their migrations must not race.
    threads = [threading.Thread(target=s.start) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert all(s.endpoint for s in servers), "a server did not start"
        yield servers
    finally:
        for s in servers:
            s.kill(signal.SIGTERM)


def control(server: Server, path: str) -> dict:
    with urllib.request.urlopen(f"{server.endpoint}/_dxemu/{path}") as r:
        return json.load(r)


def test_one_state_through_two_processes(pair):
    a, b = (s.client(PARTNER) for s in pair)
    made = a.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="via-a")
    cid = made["connectionId"]
    arn = f"arn:aws:directconnect:us-east-1:{PARTNER}:dxcon/{cid}"

    seen = b.describe_connections(connectionId=cid)["connections"]
    assert [(c["connectionId"], c["connectionName"]) for c in seen] == [(cid, "via-a")]
    assert b.update_connection(connectionId=cid, connectionName="renamed-by-b")["connectionName"] == "renamed-by-b"
    b.tag_resource(resourceArn=arn, tags=[{"key": "owner", "value": "b"}])

    got = a.describe_connections(connectionId=cid)["connections"][0]
    assert got["connectionName"] == "renamed-by-b"
    assert got["tags"] == [{"key": "owner", "value": "b"}]
    assert a.describe_tags(resourceArns=[arn])["resourceTags"][0]["tags"] == [{"key": "owner", "value": "b"}]

    assert b.delete_connection(connectionId=cid)["connectionState"] == "deleted"
    assert a.describe_connections(connectionId=cid)["connections"][0]["connectionState"] == "deleted"
    # A second delete, through the other process, finds it already deleted.
    assert a.delete_connection(connectionId=cid)["connectionState"] == "deleted"
    # Listings show the deleted connection as deleted, in both processes.
    other = b.create_connection(location="CSVA1", bandwidth="10Gbps", connectionName="via-b")["connectionId"]
    for dx in (a, b):
        listed = {c["connectionId"]: c["connectionState"] for c in dx.describe_connections()["connections"]}
        assert set(listed) == {cid, other} and listed[cid] == "deleted"


@pytest.mark.parametrize("pair", [("--max-connections-per-location", "3")], indirect=True)
def test_quota_holds_across_processes(pair):
    """Creates racing through both processes cannot exceed the per-location quota."""
    clients = [s.client(PARTNER) for s in pair]
    results: list[str] = []
    barrier = threading.Barrier(20)

    def create(i: int) -> None:
        dx = clients[i % 2]
        barrier.wait()
        try:
            dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=f"q{i}")
            results.append("ok")
        except ClientError as e:
            results.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 3, results
    assert len(clients[0].describe_connections()["connections"]) == 3
    assert len(clients[1].describe_connections()["connections"]) == 3


# LOA and cross-connect take an hour each on AWS in this model: 100 ms here.
# Deleted connections stay listed 15 minutes: 25 ms here.
REALISTIC = ("--lifecycle", "realistic", "--time-scale", "36000")


@pytest.mark.parametrize("pair", [REALISTIC], indirect=True)
def test_lifecycle_transitions_run_exactly_once(pair):
    clients = [s.client(PARTNER) for s in pair]
    ids = [
        clients[i % 2].create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=f"lc{i}")[
            "connectionId"]
        for i in range(6)
    ]
    # Keep both processes busy while transitions fall due, so request-driven
    # catch-ups and both lifecycle tasks compete for every transition.
    stop = threading.Event()
    errors: list[Exception] = []

    def hammer(dx) -> None:
        while not stop.is_set():
            try:
                dx.describe_connections()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

    threads = [threading.Thread(target=hammer, args=(dx,)) for dx in clients for _ in range(2)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 20
        while True:
            states = {c["connectionId"]: c["connectionState"] for c in clients[0].describe_connections()["connections"]}
            if all(states.get(i) == "available" for i in ids):
                break
            assert time.monotonic() < deadline, states
            time.sleep(0.02)
        # Each sees the other's transitions.
        assert {c["connectionState"] for c in clients[1].describe_connections()["connections"]} == {"available"}

        # Delete three; each is purged once it has been deleted long enough.
        for i, cid in enumerate(ids[:3]):
            assert clients[(i + 1) % 2].delete_connection(connectionId=cid)["connectionState"] == "deleted"
        deadline = time.monotonic() + 20
        while True:
            left = {r["id"] for r in control(pair[1], "resources?kind=connection")["resources"]}
            if left == set(ids[3:]):
                break
            assert time.monotonic() < deadline, left
            time.sleep(0.02)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:3]

    # requested → pending → available for six, and a purge for three.
    expected = 6 * 2 + 3
    applied = [control(s, "clock")["lifecycleTransitionsApplied"] for s in pair]
    assert sum(applied) == expected, applied
    final = {r["id"]: r["state"] for r in control(pair[0], "resources?kind=connection")["resources"]}
    assert final == {cid: "available" for cid in ids[3:]}
