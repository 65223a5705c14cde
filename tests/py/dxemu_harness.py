"""Helpers shared by the Python suite: start/stop the dxemu binary, strict clients,
error assertions and raw HTTP calls.

Environment overrides:
  DXEMU_BIN     path of the dxemu binary (default: debug/dxemu in cargo's
                target directory, which honours CARGO_TARGET_DIR)

The strict checker is the repository's own (tests/py/dxcheck.py): it checks
answers against the vendored model and needs nothing outside the repository.
"""
from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
REGION_A = "us-east-1"
REGION_B = "eu-west-1"
CONNECTION_ID_RE = r"^dxcon-[a-z0-9]{8}$"
START_TIMEOUT = 30.0


def target_dir() -> Path:
    """Cargo's target directory: CARGO_TARGET_DIR (relative to the repository)
    or, failing that, what `cargo metadata` reports (a config file may move it)."""
    env = os.environ.get("CARGO_TARGET_DIR")
    if env:
        return REPO_ROOT / env
    try:
        out = subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True,
        ).stdout
        return Path(json.loads(out)["target_directory"])
    except (OSError, subprocess.SubprocessError, ValueError, KeyError):
        return REPO_ROOT / "target"


def dxemu_bin() -> Path:
    env = os.environ.get("DXEMU_BIN")
    return Path(env) if env else target_dir() / "debug" / "dxemu"


import dxcheck  # noqa: E402  (tests/py/dxcheck.py, beside this file)

ConformanceError = dxcheck.ConformanceError


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class DxServer:
    """One dxemu process. The endpoint is read from the single stdout line it
    prints when ready; logs (stderr) go to a file so the pipe never fills."""

    def __init__(self, *args: str):
        self.args = list(args)
        self.proc: subprocess.Popen | None = None
        self.endpoint: str | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="dxemu-", suffix=".log", delete=False)
        self.log_path = Path(self._log.name)
        self._stdout_rest: list[str] = []

    def start(self) -> "DxServer":
        binary = dxemu_bin()
        if not binary.exists():
            pytest.fail(
                f"dxemu binary not found at {binary}: run `cargo build --bin dxemu` "
                "in the repository or set DXEMU_BIN",
                pytrace=False,
            )
        cmd = [str(binary), "serve", "--listen", "127.0.0.1:0", *self.args]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        deadline = time.monotonic() + START_TIMEOUT
        line = ""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                line = self.proc.stdout.readline()
                break
            if self.proc.poll() is not None:
                break
        prefix = "dxemu listening on "
        if not line.startswith(prefix):
            self.stop()
            pytest.fail(
                f"dxemu did not announce its endpoint (got {line!r}); command {cmd}; "
                f"log tail:\n{self.log_tail()}",
                pytrace=False,
            )
        self.endpoint = line[len(prefix):].strip()
        # Keep draining stdout so a later write can never block or hit EPIPE.
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self):
        try:
            for rest in self.proc.stdout:
                self._stdout_rest.append(rest)
        except (ValueError, OSError):
            pass

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)

    def close(self):
        self.stop()
        self._log.close()
        with contextlib.suppress(OSError):
            self.log_path.unlink()

    def client(self, account: str = ACCOUNT_A, region: str = REGION_A):
        return strict(self.endpoint, account, region)


def strict(endpoint: str, account: str = ACCOUNT_A, region: str = REGION_A):
    return dxcheck.strict_client(endpoint, access_key=account, secret_key="test", region=region)


@contextlib.contextmanager
def raises_dx(code: str, *fragments: str):
    """Expect a botocore ClientError with this exact error code whose message
    contains every fragment."""
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ClientError) as ei:
        yield ei
    err = ei.value.response.get("Error", {})
    assert err.get("Code") == code, f"expected {code}, got {err}"
    status = ei.value.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    assert status == 400, f"expected HTTP 400 for {code}, got {status}"
    for frag in fragments:
        assert frag in err.get("Message", ""), f"{frag!r} not in message {err.get('Message')!r}"


def connection_arn(conn: dict) -> str:
    return (
        f"arn:aws:directconnect:{conn['region']}:{conn['ownerAccount']}:dxcon/{conn['connectionId']}"
    )


# ---------------------------------------------------------------- raw HTTP

def auth_header(account: str = ACCOUNT_A, region: str = REGION_A) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential={account}/20261129/{region}/directconnect/aws4_request, "
        "SignedHeaders=host, Signature=x"
    )


class RawResponse:
    def __init__(self, status: int, headers, body: bytes):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def error_type(self) -> str:
        return str(self.json().get("__type", "")).rsplit("#", 1)[-1].split(":", 1)[0]

    def __repr__(self):
        return f"<RawResponse {self.status} {self.headers} {self.body[:300]!r}>"


def raw_call(
    endpoint: str,
    target: str | None,
    body: bytes | str | dict | None = b"{}",
    account: str = ACCOUNT_A,
    region: str = REGION_A,
    content_type: str = "application/x-amz-json-1.1",
    extra_headers: dict | None = None,
    method: str = "POST",
    path: str = "/",
) -> RawResponse:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    headers = {"Content-Type": content_type, "Authorization": auth_header(account, region)}
    if target is not None:
        headers["X-Amz-Target"] = target
    headers.update(extra_headers or {})
    req = urllib.request.Request(endpoint.rstrip("/") + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return RawResponse(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as e:
        return RawResponse(e.code, e.headers, e.read())


def op(endpoint: str, operation: str, body=None, **kw) -> RawResponse:
    return raw_call(endpoint, f"OvertureService.{operation}", body if body is not None else {}, **kw)


# ---------------------------------------------------------------- fixtures
# Defined here (not only in conftest.py) so test modules can import them
# explicitly: `from dxemu_harness import dx, dx_b, ...`.


@pytest.fixture(scope="module")
def dxserver():
    """One in-memory dxemu per test module."""
    srv = DxServer("--in-memory").start()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture
def fresh_server():
    """A new in-memory dxemu for one test (empty store)."""
    srv = DxServer("--in-memory").start()
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture(scope="module")
def dx(dxserver):
    """Account 111111111111 in us-east-1."""
    return dxserver.client(ACCOUNT_A, REGION_A)


@pytest.fixture(scope="module")
def dx_b(dxserver):
    """Account 222222222222 in us-east-1."""
    return dxserver.client(ACCOUNT_B, REGION_A)


@pytest.fixture(scope="module")
def dx_eu(dxserver):
    """Account 111111111111 in eu-west-1."""
    return dxserver.client(ACCOUNT_A, REGION_B)


@pytest.fixture
def make_connection(dx):
    """Create connections (account A in us-east-1 unless another client is
    passed) and delete them after the test, so AWS's quota of 10 active
    connections per location is never reached by the shared module server."""
    import botocore.exceptions

    created = []

    def make(client=None, **kwargs):
        client = client or dx
        params = {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": unique("conn")}
        params.update(kwargs)
        conn = client.create_connection(**params)
        created.append((client, conn["connectionId"]))
        return conn

    yield make
    for client, cid in created:
        try:
            client.delete_connection(connectionId=cid)
        except botocore.exceptions.ClientError:
            pass
