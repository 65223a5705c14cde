"""dxemu from Python: find the installed server binary and run it.

    from dxemu import Server
    with Server() as dx:                       # in memory, on a free port
        client = dx.client("111111111111")     # a boto3 Direct Connect client
        client.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")
        dx.advance(2 * 3600)                   # the emulated clock, in seconds

The pytest plugin (``dxemu.pytest_plugin``, loaded automatically once the
package is installed) gives the same as fixtures.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["Server", "ControlError", "binary"]


class ControlError(RuntimeError):
    """The control API refused a call; `status` and `body` say why."""

    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def _kind_of(resource_id: str) -> str:
    prefixes = {"dxcon": "connection", "dxlag": "lag", "dxvif": "vif", "dxrg": "resiliency-group"}
    prefix = resource_id.split("-", 1)[0].lower()
    if prefix not in prefixes:
        raise ValueError(f"cannot tell the kind of {resource_id!r}: pass kind=")
    return prefixes[prefix]


def binary() -> str:
    """The dxemu executable: $DXEMU_BIN, the one this package installed, or PATH."""
    env = os.environ.get("DXEMU_BIN")
    if env:
        return env
    name = "dxemu.exe" if sys.platform == "win32" else "dxemu"
    scripts = Path(sysconfig.get_path("scripts")) / name
    if scripts.exists():
        return str(scripts)
    found = shutil.which("dxemu")
    if found:
        return found
    raise FileNotFoundError("the dxemu binary is not installed (pip install dxemu) and not on PATH")


class Server:
    """One dxemu process on a free loopback port, in memory unless `args` say otherwise."""

    def __init__(self, *args: str, lifecycle: str = "instant", in_memory: bool = True):
        self.args = list(args)
        if in_memory and "--data-dir" not in self.args:
            self.args.append("--in-memory")
        self.args += ["--lifecycle", lifecycle]
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""

    def start(self) -> "Server":
        self.proc = subprocess.Popen(
            [binary(), "serve", "--listen", "127.0.0.1:0", *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
        )
        line = self.proc.stdout.readline().strip() if self.proc.stdout else ""
        prefix = "dxemu listening on "
        if not line.startswith(prefix):
            self.stop()
            raise RuntimeError(f"dxemu did not start (it printed {line!r})")
        self.endpoint = line[len(prefix):]
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def client(self, account: str = "123456789012", region: str = "us-east-1"):
        """A boto3 Direct Connect client acting as `account` in `region`
        (no retries: a fault injected for one call shows in that call)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "directconnect",
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=account,
            aws_secret_access_key="dxemu",
            config=Config(retries={"total_max_attempts": 1}),
        )

    # The control API (/_dxemu/*).

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.endpoint}/_dxemu/{path.lstrip('/')}", data=data, method=method,
            headers={"content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read().decode()
        except urllib.error.HTTPError as e:
            raise ControlError(e.code, e.read().decode()) from None
        return json.loads(text) if text.strip() else {}

    def clock(self) -> dict:
        """The emulated clock and lifecycle mode."""
        return self.control("GET", "clock")

    def advance(self, seconds: float) -> dict:
        """Moves the emulated clock forward; transitions due by then happen."""
        return self.control("POST", "clock/advance", {"seconds": seconds})

    def force_state(self, resource_id: str, state: str, kind: str | None = None) -> dict:
        """Moves a resource to `state` as AWS would on its own (LOA issued,
        port up, link down, ...). The kind (`connection`, `lag`, `vif`, ...)
        follows from the id's prefix unless given (an interconnect's id looks
        like a connection's: pass ``kind="interconnect"``)."""
        kind = kind or _kind_of(resource_id)
        return self.control("POST", f"resources/{kind}/{resource_id}/state", {"state": state})

    def register_partner(self, account: str, name: str | None = None) -> dict:
        """Lets `account` act as a Direct Connect partner."""
        body = {"account": account}
        if name:
            body["partnerName"] = name
        return self.control("POST", "partners", body)

    def inject_fault(self, **fault) -> dict:
        """Makes matching API calls fail (see the README's control API section)."""
        return self.control("POST", "faults", fault)

    def reset(self, account: str | None = None) -> dict:
        """Forgets everything, or one account's resources."""
        return self.control("POST", "reset", {"account": account} if account else {})
