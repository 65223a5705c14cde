"""AWS JSON 1.1 wire behaviour checked with raw HTTP (urllib, nothing signed:
the Authorization header only carries the credential scope the server reads
the account and region from)."""
from __future__ import annotations

import base64
import re

import pytest

from dxemu_harness import (  # noqa: F401  (fixtures are imported so pytest finds them)
    ACCOUNT_A,
    ACCOUNT_B,
    CONNECTION_ID_RE,
    REGION_B,
    dxserver,
    op,
    raw_call,
    unique,
)

JSON_11 = "application/x-amz-json-1.1"


@pytest.fixture(scope="module")
def ep(dxserver):
    return dxserver.endpoint


def assert_common_headers(resp):
    assert resp.headers.get("x-amzn-requestid"), resp
    assert resp.headers.get("content-type", "").startswith(JSON_11), resp


def assert_error(resp, code, status=400, *fragments):
    assert resp.status == status, resp
    assert_common_headers(resp)
    doc = resp.json()
    assert resp.error_type == code, doc
    assert isinstance(doc.get("message", doc.get("Message")), str), doc
    assert resp.headers.get("x-amzn-errortype", "").split(":")[0] == code, resp.headers
    msg = doc.get("message", doc.get("Message"))
    for frag in fragments:
        assert frag in msg, (frag, msg)
    return doc


def assert_ok(resp):
    assert resp.status == 200, resp
    assert_common_headers(resp)
    return resp.json()


def find_nulls(value, path="$"):
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in find_nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in find_nulls(v, f"{path}[{i}]")]
    return []


def create(ep, **extra):
    body = {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": unique("raw")}
    body.update(extra)
    doc = assert_ok(op(ep, "CreateConnection", body))
    assert re.match(CONNECTION_ID_RE, doc["connectionId"])
    return doc


# ------------------------------------------------------------------ framing


def test_health(ep):
    resp = raw_call(ep, None, None, method="GET", path="/_dxemu/health")
    assert resp.status == 200
    assert isinstance(resp.json(), dict)


@pytest.mark.parametrize("body", [b"", b"{}"], ids=["empty", "braces"])
def test_empty_body_counts_as_empty_object(ep, body):
    doc = assert_ok(raw_call(ep, "OvertureService.DescribeLocations", body))
    assert any(loc["locationCode"] == "EqDC2" for loc in doc["locations"])


def test_empty_body_for_describe_connections(ep):
    doc = assert_ok(raw_call(ep, "OvertureService.DescribeConnections", b""))
    assert isinstance(doc["connections"], list)


@pytest.mark.parametrize("body", [b"{", b"not json", b'{"connectionId": }', b"\xff\xfe"], ids=["open-brace", "text", "bad-value", "binary"])
def test_invalid_json_is_serialization_exception(ep, body):
    assert_error(raw_call(ep, "OvertureService.DescribeConnections", body), "SerializationException")


@pytest.mark.parametrize("body", [b"[]", b'"x"', b"42"], ids=["array", "string", "number"])
def test_non_object_body_is_serialization_exception(ep, body):
    assert_error(raw_call(ep, "OvertureService.DescribeConnections", body), "SerializationException")


@pytest.mark.parametrize(
    "operation,body",
    [
        ("CreateConnection", {"location": "EqDC2", "bandwidth": 10, "connectionName": "x"}),
        ("CreateConnection", {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": ["x"]}),
        ("CreateConnection", {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "x", "requestMACSec": "yes"}),
        ("CreateConnection", {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "x", "tags": {"a": "b"}}),
        ("DescribeConnections", {"maxResults": "3"}),
        ("DescribeConnections", {"connectionId": 12345}),
        ("DescribeTags", {"resourceArns": "arn:aws:directconnect:us-east-1:111111111111:dxcon/dxcon-ffffffff"}),
    ],
    ids=["string-as-int", "string-as-list", "bool-as-string", "list-as-map", "int-as-string", "id-as-int", "list-as-string"],
)
def test_wrong_member_type_is_serialization_exception(ep, operation, body):
    assert_error(op(ep, operation, body), "SerializationException")


@pytest.mark.parametrize(
    "operation,body,member",
    [
        ("CreateConnection", {"location": "EqDC2", "bandwidth": "1Gbps"}, "connectionName"),
        ("CreateConnection", {"bandwidth": "1Gbps", "connectionName": "x"}, "location"),
        ("CreateConnection", {"location": "EqDC2", "connectionName": "x"}, "bandwidth"),
        ("DeleteConnection", {}, "connectionId"),
        ("DescribeLoa", {}, "connectionId"),
        ("TagResource", {"tags": [{"key": "a"}]}, "resourceArn"),
        ("DescribeTags", {}, "resourceArns"),
    ],
)
def test_missing_required_member(ep, operation, body, member):
    assert_error(op(ep, operation, body), "DirectConnectClientException", 400, member)


def test_failed_create_creates_nothing(ep):
    before = assert_ok(op(ep, "DescribeConnections"))["connections"]
    assert_error(op(ep, "CreateConnection", {"location": "EqDC2", "bandwidth": 1, "connectionName": "x"}),
                 "SerializationException")
    assert_error(op(ep, "CreateConnection", {"location": "EqDC2", "bandwidth": "1Gbps"}),
                 "DirectConnectClientException")
    assert assert_ok(op(ep, "DescribeConnections"))["connections"] == before


@pytest.mark.parametrize("target", ["OvertureService.NoSuchOperation", "OvertureService.describeconnections",
                                    "DirectConnect.DescribeConnections", "OvertureService."])
def test_unknown_target(ep, target):
    assert_error(raw_call(ep, target, b"{}"), "UnknownOperationException")


def test_missing_target(ep):
    resp = raw_call(ep, None, b"{}")
    assert 400 <= resp.status < 500, resp
    assert_common_headers(resp)
    assert resp.error_type, resp.body
    assert resp.headers.get("x-amzn-errortype"), resp.headers


def test_request_ids_are_unique(ep):
    ids = {op(ep, "DescribeLocations").headers["x-amzn-requestid"] for _ in range(5)}
    ids.add(raw_call(ep, "OvertureService.Nope", b"{}").headers["x-amzn-requestid"])
    assert len(ids) == 6


def test_not_found_error_envelope(ep):
    doc = assert_error(op(ep, "DescribeConnections", {"connectionId": "dxcon-zz9zz9zz"}),
                       "DirectConnectClientException", 400, "Could not find Connection with ID dxcon-zz9zz9zz")
    assert set(doc) <= {"__type", "message", "Message"}


def test_unknown_members_are_ignored(ep):
    doc = assert_ok(op(ep, "DescribeLocations", {"somethingNew": 1}))
    assert doc["locations"]


# ------------------------------------------------------------------ accounts and regions from the credential


def test_account_and_region_come_from_credential_scope(ep):
    conn = create(ep)
    cid = conn["connectionId"]
    assert conn["ownerAccount"] == ACCOUNT_A and conn["region"] == "us-east-1"
    assert_error(op(ep, "DescribeConnections", {"connectionId": cid}, account=ACCOUNT_B),
                 "DirectConnectClientException", 400, f"Could not find Connection with ID {cid}")
    assert_error(op(ep, "DescribeConnections", {"connectionId": cid}, region=REGION_B),
                 "DirectConnectClientException", 400, f"Could not find Connection with ID {cid}")
    eu = assert_ok(op(ep, "DescribeLocations", region=REGION_B))["locations"]
    assert "EQLD5" in [loc["locationCode"] for loc in eu]
    conn_b = assert_ok(op(ep, "CreateConnection", {
        "location": "EqDC2", "bandwidth": "1Gbps", "connectionName": unique("b")}, account=ACCOUNT_B))
    assert conn_b["ownerAccount"] == ACCOUNT_B


# ------------------------------------------------------------------ body hygiene


def test_no_nulls_and_numeric_timestamps(ep):
    bodies = []
    conn = create(ep, tags=[{"key": "k", "value": "v"}], providerName="Equinix, Inc.")
    bodies.append(conn)
    cid = conn["connectionId"]
    mac = create(ep, bandwidth="10Gbps", requestMACSec=True)
    arn = f"arn:aws:directconnect:us-east-1:{ACCOUNT_A}:dxcon/{cid}"
    loa = assert_ok(op(ep, "DescribeLoa", {"connectionId": cid}))
    bodies.append(loa)
    assert loa["loaContentType"] == "application/pdf"
    assert base64.b64decode(loa["loaContent"], validate=True).startswith(b"%PDF-")
    wrapped = assert_ok(op(ep, "DescribeConnectionLoa", {"connectionId": cid}))
    bodies.append(wrapped)
    assert base64.b64decode(wrapped["loa"]["loaContent"]).startswith(b"%PDF-")
    for operation, body in [
        ("DescribeConnections", {"connectionId": cid}),
        ("DescribeConnections", {}),
        ("DescribeConnections", {"maxResults": 1}),
        ("DescribeLocations", {}),
        ("UpdateConnection", {"connectionId": cid, "connectionName": unique("upd")}),
        ("TagResource", {"resourceArn": arn, "tags": [{"key": "x", "value": "y"}]}),
        ("DescribeTags", {"resourceArns": [arn]}),
        ("UntagResource", {"resourceArn": arn, "tagKeys": ["x"]}),
        ("AssociateMacSecKey", {"connectionId": mac["connectionId"], "ckn": "ab" * 32, "cak": "cd" * 32}),
        ("DescribeConnections", {"connectionId": mac["connectionId"]}),
        ("ConfirmCustomerAgreement", {"agreementName": "terms"}),
        ("DescribeCustomerMetadata", {}),
        ("DeleteConnection", {"connectionId": cid}),
        ("DescribeConnections", {"connectionId": cid}),
    ]:
        bodies.append(assert_ok(op(ep, operation, body)))
    for doc in bodies:
        assert find_nulls(doc) == [], doc

    described = assert_ok(op(ep, "DescribeConnections", {"connectionId": cid}))["connections"][0]
    t = described["loaIssueTime"]
    assert isinstance(t, (int, float)) and not isinstance(t, bool), described
    assert t > 1_600_000_000
    for c in bodies[-1]["connections"] + [described]:
        assert isinstance(c["jumboFrameCapable"], bool)
        assert isinstance(c["macSecCapable"], bool)
        assert c["hasLogicalRedundancy"] in ("unknown", "yes", "no")
    keys = assert_ok(op(ep, "DescribeConnections", {"connectionId": mac["connectionId"]}))["connections"][0]["macSecKeys"]
    assert keys and all(isinstance(k["startOn"], str) for k in keys)


def test_tagresource_and_untag_return_empty_object(ep):
    cid = create(ep)["connectionId"]
    arn = f"arn:aws:directconnect:us-east-1:{ACCOUNT_A}:dxcon/{cid}"
    assert assert_ok(op(ep, "TagResource", {"resourceArn": arn, "tags": [{"key": "a", "value": "b"}]})) == {}
    assert assert_ok(op(ep, "UntagResource", {"resourceArn": arn, "tagKeys": ["a"]})) == {}



def test_refused_calls_are_logged_with_their_error(fresh_server):
    """A 4xx log line names the error type and message, so a log says why."""
    import time

    dx = fresh_server.client("111111111111", "us-east-1")
    with pytest.raises(Exception):
        dx.describe_connections(connectionId="dxcon-ffffffff")
    deadline = time.monotonic() + 5
    line = ""
    while time.monotonic() < deadline:
        lines = [l for l in fresh_server.log_path.read_text(errors="replace").splitlines()
                 if "DescribeConnections" in l and "status=400" in l]
        if lines:
            line = lines[-1]
            break
        time.sleep(0.05)
    assert "error=DirectConnectClientException" in line, line
    assert "dxcon-ffffffff" in line, line


def test_control_actions_are_logged(fresh_server):
    import json
    import time
    import urllib.request

    req = urllib.request.Request(f"{fresh_server.endpoint}/_dxemu/clock/advance", method="POST",
                                 data=json.dumps({"seconds": 60}).encode())
    with urllib.request.urlopen(req) as r:
        assert r.status == 200
    deadline = time.monotonic() + 5
    lines = []
    while time.monotonic() < deadline and not lines:
        lines = [l for l in fresh_server.log_path.read_text(errors="replace").splitlines()
                 if "control" in l and "/_dxemu/clock/advance" in l]
        time.sleep(0.05)
    assert lines and "method=POST" in lines[-1] and "status=200" in lines[-1], lines


def test_json_log_format_writes_one_object_a_line():
    import json
    import time

    from dxemu_harness import DxServer

    srv = DxServer("--in-memory", "--log-format", "json").start()
    try:
        srv.client("111111111111", "us-east-1").describe_locations()
        deadline = time.monotonic() + 5
        records = []
        while time.monotonic() < deadline and not records:
            lines = srv.log_path.read_text(errors="replace").splitlines()
            records = [json.loads(l) for l in lines if l.strip()]
            records = [r for r in records if r.get("fields", {}).get("operation") == "DescribeLocations"]
            time.sleep(0.05)
        assert records, srv.log_tail()
        fields = records[-1]["fields"]
        assert fields["status"] == 200 and fields["account"] == "111111111111"
    finally:
        srv.close()
