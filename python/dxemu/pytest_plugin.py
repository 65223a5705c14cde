"""pytest fixtures for dxemu, loaded automatically once `dxemu` is installed.

    def test_connection(dxemu_client):
        dx = dxemu_client("111111111111")
        c = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")
        assert c["connectionState"] == "requested"

Fixtures:
- ``dxemu_server``: a running :class:`dxemu.Server` (in memory, on a free
  port) with ``endpoint`` and the control API helpers (``advance``,
  ``force_state``, ``register_partner``, ``inject_fault``, ``reset``). One
  server per test session by default; ``--dxemu-scope=function`` (or the ini
  option ``dxemu_scope``) gives each test its own.
- ``dxemu_endpoint``: its URL.
- ``dxemu_client``: a factory, ``dxemu_client(account="123456789012",
  region="us-east-1")`` → a boto3 Direct Connect client.

Options: ``--dxemu-lifecycle instant|realistic|manual`` (ini ``dxemu_lifecycle``)
and ``--dxemu-arg=FLAG`` (repeatable: extra ``dxemu serve`` flags).
"""
from __future__ import annotations

import pytest

from . import Server


def pytest_addoption(parser):
    group = parser.getgroup("dxemu")
    group.addoption("--dxemu-scope", choices=["session", "function"], default=None,
                    help="one dxemu per test session (default) or per test")
    group.addoption("--dxemu-lifecycle", choices=["instant", "realistic", "manual"], default=None,
                    help="dxemu's lifecycle mode (default instant)")
    group.addoption("--dxemu-arg", action="append", default=[],
                    help="an extra `dxemu serve` flag (repeatable)")
    parser.addini("dxemu_scope", "session or function", default="session")
    parser.addini("dxemu_lifecycle", "instant, realistic or manual", default="instant")


def _scope(fixture_name, config):
    return config.getoption("--dxemu-scope") or config.getini("dxemu_scope")


def _start(config) -> Server:
    lifecycle = config.getoption("--dxemu-lifecycle") or config.getini("dxemu_lifecycle")
    return Server(*config.getoption("--dxemu-arg"), lifecycle=lifecycle).start()


@pytest.fixture(scope=_scope)
def dxemu_server(request):
    server = _start(request.config)
    yield server
    server.stop()


@pytest.fixture
def dxemu_endpoint(dxemu_server) -> str:
    return dxemu_server.endpoint


@pytest.fixture
def dxemu_client(dxemu_server):
    def make(account: str = "123456789012", region: str = "us-east-1"):
        return dxemu_server.client(account, region)

    return make
