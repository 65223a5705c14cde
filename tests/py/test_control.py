"""The control API driven the way a user's test suite would: with boto3.

boto3 must retry a throttled call and succeed; injected server errors reach
the caller once retries are spent; state exported from one server seeds another.
"""
from __future__ import annotations

import json
import signal
import urllib.request

import botocore.config
import pytest
from botocore.exceptions import ClientError

from conftest import PARTNER, Server
from dxcheck import strict_client


def control(server: Server, method: str, path: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{server.endpoint}{path}", data=data, method=method)
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


@pytest.fixture
def srv():
    s = Server("--in-memory").start()
    yield s
    s.kill(signal.SIGTERM)


def default_retries(server: Server):
    """A strict client with boto3's own retry settings (the fixtures' clients never retry)."""
    return strict_client(server.endpoint, access_key=PARTNER, config=botocore.config.Config())


def test_boto3_retries_throttling_and_succeeds(srv):
    dx = default_retries(srv)
    control(srv, "POST", "/_dxemu/faults", {
        "effect": "throttle", "operations": ["DescribeConnections"], "count": 2,
    })
    out = dx.describe_connections()
    assert out["connections"] == []
    # Two throttled attempts, then the answer.
    assert out["ResponseMetadata"]["RetryAttempts"] == 2
    assert control(srv, "GET", "/_dxemu/faults")["faults"] == []


def test_server_errors_surface_once_retries_are_spent(srv):
    dx = strict_client(srv.endpoint, access_key=PARTNER,
                       config=botocore.config.Config(retries={"max_attempts": 2}))
    control(srv, "POST", "/_dxemu/faults", {
        "effect": "server-error", "operations": ["DescribeLags"], "accounts": [PARTNER],
    })
    with pytest.raises(ClientError) as err:
        dx.describe_lags()
    assert err.value.response["Error"]["Code"] == "DirectConnectServerException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    fired = control(srv, "GET", "/_dxemu/faults")["faults"][0]["fired"]
    assert fired == 1 + err.value.response["ResponseMetadata"]["RetryAttempts"]
    assert err.value.response["ResponseMetadata"]["RetryAttempts"] > 0, "boto3 retries a 500"
    # Other operations are untouched.
    dx.describe_connections()


def test_export_seeds_another_server(srv):
    dx = srv.client(PARTNER)
    conn = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="seed")
    exported = control(srv, "GET", "/_dxemu/state")
    other = Server("--in-memory").start()
    try:
        assert control(other, "POST", "/_dxemu/state", exported)["imported"] >= 1
        seen = other.client(PARTNER).describe_connections(connectionId=conn["connectionId"])
        assert seen["connections"][0]["connectionName"] == "seed"
        assert seen["connections"][0] == dx.describe_connections(
            connectionId=conn["connectionId"])["connections"][0]
    finally:
        other.kill(signal.SIGTERM)
