"""Fixtures: a dxemu server on a free port, and strict boto3 clients for it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dxcheck import strict_client  # noqa: E402
from dxemu_harness import dxemu_bin  # noqa: E402

PARTNER = "111111111111"
CUSTOMER = "222222222222"


def binary() -> str:
    path = dxemu_bin()
    if not path.exists():
        pytest.fail(f"{path} is missing: run `cargo build` first")
    return str(path)


class Server:
    """A dxemu process; the endpoint is read from its one stdout line."""

    def __init__(self, *args: str):
        self.args = args
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""

    def start(self) -> "Server":
        self.proc = subprocess.Popen(
            [binary(), "serve", "--listen", "127.0.0.1:0", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "RUST_LOG": "warn"},
        )
        line = self.proc.stdout.readline().strip()
        assert line.startswith("dxemu listening on "), line
        self.endpoint = line.removeprefix("dxemu listening on ")
        with urllib.request.urlopen(f"{self.endpoint}/_dxemu/health") as r:
            assert r.status == 200
        return self

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)

    def client(self, account: str = PARTNER, region: str = "us-east-1"):
        return strict_client(self.endpoint, access_key=account, region=region)


@pytest.fixture(scope="module")
def server():
    srv = Server("--in-memory").start()
    yield srv
    srv.kill(signal.SIGTERM)


@pytest.fixture
def partner(server):
    return server.client(PARTNER)


@pytest.fixture
def customer(server):
    return server.client(CUSTOMER)


# Fixtures of the connection/protocol suite (test_connections.py, test_protocol.py,
# test_cli.py, test_coverage.py, test_restart.py, test_terraform.py). They live in
# dxemu_harness.py so test modules can also import them explicitly; listed here
# so every module of tests/py sees them.
from dxemu_harness import (  # noqa: E402,F401
    dx,
    dx_b,
    dx_eu,
    dxserver,
    fresh_server,
    make_connection,
)
