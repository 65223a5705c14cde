"""Smithy RPC v2 CBOR beside AWS JSON 1.1, driven by botocore's own CBOR
serializer and parser.

botocore 1.44.8 picks AWS JSON for Direct Connect (its protocol priority puts
`json` before `smithy-rpc-v2-cbor`), so the CBOR client loads the vendored model
from a temporary data path with `metadata.protocols` narrowed to
`smithy-rpc-v2-cbor`. Every raw CBOR answer is checked strictly against the
model (decoded with cbor2: only modeled members, tag-1 timestamps, byte-string
blobs, no nulls, the protocol's headers, a namespaced `__type` on errors), and
every operation of the model is called once through each protocol with the
same input on two accounts whose histories are the same, so that both answers
(success or error) must be equal once generated ids are masked.
"""
from __future__ import annotations

import datetime
import json
import re
import http.client
import urllib.parse
from pathlib import Path

import boto3
import botocore.exceptions
import botocore.session
import cbor2
import pytest
from botocore.config import Config

from conftest import Server
from dxcheck import GENERIC_ERRORS, ConformanceError, strict_client

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "model" / "directconnect" / "2012-10-25" / "service-2.json"
JSON_ACCOUNT = "333333333333"
CBOR_ACCOUNT = "444444444444"
NAMESPACE = "com.amazonaws.directconnect#"
GENERIC_NAMESPACE = "com.amazon.coral.service#"


class Epoch:
    """A CBOR tag-1 value as it came off the wire."""

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"Epoch({self.value!r})"


class OtherTag:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value

    def __repr__(self):
        return f"Tag{self.tag}({self.value!r})"


def decode_raw(body: bytes):
    """The CBOR body with tag 1 (and tag 0) kept visible instead of turned into
    datetimes, duplicate keys refused."""
    return cbor2.loads(
        body,
        semantic_decoders={1: lambda v, _imm: Epoch(v), 0: lambda v, _imm: OtherTag(0, v)},
        tag_hook=lambda _dec, tag: OtherTag(tag.tag, tag.value),
        allow_duplicate_keys=False,
    )


def _check(value, shape, path, problems):
    t = shape.type_name
    if value is None:
        problems.append(f"{path}: CBOR null (absent members must be omitted)")
        return
    if t == "structure":
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a map for {shape.name}, got {value!r}")
            return
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(f"{path}: non-text key {key!r}")
            elif key not in shape.members:
                problems.append(f"{path}.{key}: not a member of {shape.name}")
            else:
                _check(item, shape.members[key], f"{path}.{key}", problems)
    elif t == "list":
        if not isinstance(value, list):
            problems.append(f"{path}: expected an array for {shape.name}, got {value!r}")
            return
        for i, item in enumerate(value):
            _check(item, shape.member, f"{path}[{i}]", problems)
    elif t == "string":
        if not isinstance(value, str):
            problems.append(f"{path}: expected a text string for {shape.name}, got {value!r}")
        elif shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} is not one of {shape.name}")
    elif t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{path}: expected an integer for {shape.name}, got {value!r}")
    elif t == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean for {shape.name}, got {value!r}")
    elif t == "timestamp":
        ok = isinstance(value, Epoch) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool)
        if not ok:
            problems.append(f"{path}: expected a tag-1 epoch timestamp for {shape.name}, got {value!r}")
    elif t == "blob":
        if not isinstance(value, bytes):
            problems.append(f"{path}: expected a byte string for blob {shape.name}, got {type(value).__name__}")
    else:
        problems.append(f"{path}: unchecked shape type {t}")


def check_cbor_response(operation_model, status, headers, body):
    """Problems with one raw CBOR answer (empty when it conforms)."""
    problems = []
    headers = {k.lower(): v for k, v in headers.items()}
    if not headers.get("x-amzn-requestid"):
        problems.append("header x-amzn-RequestId missing")
    if headers.get("smithy-protocol") != "rpc-v2-cbor":
        problems.append(f"smithy-protocol {headers.get('smithy-protocol')!r}")
    if headers.get("content-type") != "application/cbor":
        problems.append(f"content-type {headers.get('content-type')!r}")
    if "x-amzn-errortype" in headers:
        problems.append("x-amzn-errortype must not be sent in rpcv2Cbor")
    try:
        doc = decode_raw(body)
    except Exception as e:  # noqa: BLE001 - any decoding failure is the finding
        return problems + [f"body is not one CBOR data item: {e}"]
    if status >= 400:
        if not isinstance(doc, dict) or set(doc) != {"__type", "message"}:
            return problems + [f"error body is not a map of __type and message: {doc!r}"]
        full = doc["__type"]
        namespace, _, code = str(full).rpartition("#")
        modeled = {s.name for s in operation_model.error_shapes}
        if code in modeled and namespace + "#" != NAMESPACE:
            problems.append(f"modeled error __type {full!r} is not in {NAMESPACE}")
        elif code not in modeled and not (code in GENERIC_ERRORS and namespace + "#" == GENERIC_NAMESPACE):
            problems.append(f"error __type {full!r} is neither modeled for {operation_model.name} nor generic")
        if not isinstance(doc["message"], str):
            problems.append("error message is not a text string")
        if status >= 500 and code != "DirectConnectServerException":
            problems.append(f"HTTP {status} with error type {code!r}")
        return problems
    if status != 200:
        problems.append(f"HTTP status {status} for a success")
    _check(doc, operation_model.output_shape, operation_model.name, problems)
    return problems


@pytest.fixture(scope="module")
def cbor_data_path(tmp_path_factory):
    """A botocore data path whose Direct Connect model speaks only CBOR."""
    root = tmp_path_factory.mktemp("cbor-model")
    model = json.loads(MODEL.read_text())
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    model["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    target = root / "directconnect" / "2012-10-25"
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(model))
    return str(root)


def cbor_client(data_path, endpoint, access_key, secret_key="x", region="us-east-1", config=None):
    """A boto3 client speaking Smithy RPC v2 CBOR that raises ConformanceError
    on any non-conforming answer; `client.raw` holds the last raw answer."""
    session = botocore.session.get_session()
    session.set_config_variable("data_path", data_path)
    client = boto3.Session(botocore_session=session).client(
        "directconnect",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=config or Config(retries={"max_attempts": 1}),
    )
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    client.raw = {}
    client.sent = {}

    def before_send(request, **_):
        client.sent = {"url": request.url, "headers": dict(request.headers)}

    def before_parse(operation_model, response_dict, **_):
        client.raw = response_dict
        problems = check_cbor_response(
            operation_model, response_dict["status_code"], response_dict["headers"], response_dict["body"]
        )
        if problems:
            raise ConformanceError(f"{operation_model.name}: " + "; ".join(problems))

    client.meta.events.register("before-send.direct-connect", before_send)
    client.meta.events.register("before-parse.direct-connect", before_parse)
    return client


@pytest.fixture(scope="module")
def srv():
    server = Server("--in-memory").start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def dx_cbor(srv, cbor_data_path):
    return cbor_client(cbor_data_path, srv.endpoint, CBOR_ACCOUNT)


@pytest.fixture(scope="module")
def dx_json(srv):
    return strict_client(srv.endpoint, access_key=JSON_ACCOUNT)


# --- comparing the two protocols -------------------------------------------

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SUFFIX_RE = re.compile(r"-[A-Za-z0-9]{8,}\b")
# Members the emulator draws at random (BGP keys, peer addresses and the
# router configuration quoting them).
RANDOM_KEY_RE = re.compile(r"(?i)(authkey|address$|routerconfig)")


def normalize(value, account):
    """An outcome with what differs between two accounts' identical histories
    masked: generated ids, the caller's account, times."""
    if isinstance(value, dict):
        return {
            k: ("<random>" if RANDOM_KEY_RE.search(k) else normalize(v, account))
            for k, v in value.items()
            if k != "ResponseMetadata"
        }
    if isinstance(value, tuple):
        return tuple(normalize(v, account) for v in value)
    if isinstance(value, list):
        items = [normalize(v, account) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, default=str))
    if isinstance(value, datetime.datetime):
        return "<time>"
    if isinstance(value, bytes):
        return "<%d bytes>" % len(value)
    if isinstance(value, str):
        value = value.replace(account, "<caller>")
        value = UUID_RE.sub("<uuid>", value)
        return SUFFIX_RE.sub("-<id>", value)
    return value


def outcome(call):
    """('ok', output) or ('error', status, code, message) of one call."""
    try:
        return ("ok", call())
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        return ("error", status, err["Code"], err["Message"])


def both(dx_json, dx_cbor, op_name, params_json, params_cbor=None):
    """Calls one operation through each protocol; asserts the answers are the
    same once masked; returns the CBOR outcome."""
    method = botocore.xform_name(op_name)
    params_cbor = params_json if params_cbor is None else params_cbor
    j = outcome(lambda: getattr(dx_json, method)(**params_json))
    c = outcome(lambda: getattr(dx_cbor, method)(**params_cbor))
    assert normalize(c, CBOR_ACCOUNT) == normalize(j, JSON_ACCOUNT), op_name
    return c


# --- every operation --------------------------------------------------------

SAMPLES = {
    "bandwidth": "1Gbps",
    "location": "EqDC2",
    "owneraccount": "555555555555",
    "secretarn": "arn:aws:secretsmanager:us-east-1:555555555555:secret:dx-key-abc123",
    "ckn": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "cak": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "amazonsideasn": 64512,
    "asn": 65000,
    "vlan": 101,
    "numberofconnections": 1,
    "virtualgatewayid": "vgw-12345678",
    "gatewayid": "vgw-12345678",
    "directconnectgatewayname": "gw",
    "addressfamily": "ipv4",
    "connectionsbandwidth": "1Gbps",
}

# Inputs beyond the minimal one, so that more operations succeed.
OVERRIDES = {
    "CreateBGPPeer": lambda ids: {
        "virtualInterfaceId": ids["virtualinterfaceid"],
        "newBGPPeer": {"asn": 65001, "addressFamily": "ipv6"},
    },
    "DeleteBGPPeer": lambda ids: {
        "virtualInterfaceId": ids["virtualinterfaceid"],
        "asn": 65001,
        "customerAddress": ids.get("peer-address", "::1"),
    },
    "DescribeDirectConnectGatewayAttachments": lambda ids: {
        "directConnectGatewayId": ids["directconnectgatewayid"],
    },
    "DescribeHostedConnections": lambda ids: {"connectionId": ids["interconnectid"]},
    "DescribeTags": lambda ids: {"resourceArns": [ids["resourcearn"]]},
}
# Deletions run last, in an order that lets each find its resource free.
DELETE_ORDER = ["DeleteBGPPeer", "DeleteVirtualInterface", "DeleteDirectConnectGateway"]


def minimal(shape, name, ids):
    """A minimal valid value for an input member, using the account's own
    resource ids where the member names one."""
    t = shape.type_name
    lowered = name.lower()
    if t == "structure":
        return {m: minimal(shape.members[m], m, ids) for m in shape.required_members}
    if t == "list":
        return [minimal(shape.member, name, ids)]
    if lowered in ids:
        return ids[lowered]
    if lowered in SAMPLES:
        return SAMPLES[lowered]
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        meta = shape.metadata
        value = "probe"
        if "min" in meta and len(value) < meta["min"]:
            value = value.ljust(meta["min"], "x")
        return value
    if t in ("integer", "long"):
        return max(1, shape.metadata.get("min", 1))
    if t == "boolean":
        return False
    if t == "timestamp":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    if t == "blob":
        return b"probe"
    raise AssertionError(f"no sample for {t}")


def setup_world(dx, client_ids):
    """Resources every operation can refer to, made through `dx` (each protocol
    makes its own, so creates are exercised in both)."""
    conn = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="cbor-conn")
    lag = dx.create_lag(location="EqDC2", connectionsBandwidth="1Gbps", numberOfConnections=1, lagName="cbor-lag")
    interconnect = dx.create_interconnect(interconnectName="cbor-ic", bandwidth="1Gbps", location="EqDC2")
    gw = dx.create_direct_connect_gateway(directConnectGatewayName="cbor-gw", amazonSideAsn=64512)
    vif = dx.create_private_virtual_interface(
        connectionId=conn["connectionId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "cbor-vif",
            "vlan": 101,
            "asn": 65000,
            "directConnectGatewayId": gw["directConnectGateway"]["directConnectGatewayId"],
        },
    )
    client_ids.update(
        {
            "connectionid": conn["connectionId"],
            "lagid": lag["lagId"],
            "interconnectid": interconnect["interconnectId"],
            "directconnectgatewayid": gw["directConnectGateway"]["directConnectGatewayId"],
            "virtualinterfaceid": vif["virtualInterfaceId"],
            "resourcearn": f"arn:aws:directconnect:us-east-1:{client_ids['account']}:dxcon/{conn['connectionId']}",
        }
    )
    client_ids.pop("account")


def test_every_operation_answers_the_same_in_cbor_and_json(dx_json, dx_cbor):
    json_ids, cbor_ids = {"account": JSON_ACCOUNT}, {"account": CBOR_ACCOUNT}
    setup_world(dx_json, json_ids)
    setup_world(dx_cbor, cbor_ids)
    model = dx_cbor.meta.service_model
    names = sorted(model.operation_names)
    # Deletions last, so that every other operation finds the resources.
    deletes = [n for n in names if n.startswith("Delete")]
    deletes = DELETE_ORDER + [n for n in deletes if n not in DELETE_ORDER]
    names = [n for n in names if not n.startswith("Delete")] + deletes
    assert len(names) == len(json.loads(MODEL.read_text())["operations"]) == 73
    succeeded, modeled_errors, seen = [], [], set()
    for name in names:
        op = model.operation_model(name)
        if name in OVERRIDES:
            pj, pc = OVERRIDES[name](json_ids), OVERRIDES[name](cbor_ids)
        else:
            pj = minimal(op.input_shape, name, json_ids) if op.input_shape else {}
            pc = minimal(op.input_shape, name, cbor_ids) if op.input_shape else {}
        result = both(dx_json, dx_cbor, name, pj, pc)
        sent, raw_body = dx_cbor.sent, dx_cbor.raw["body"]
        if name == "CreateBGPPeer" and result[0] == "ok":
            # The peer's address is drawn at random: each side deletes its own.
            for ids, dx in ((json_ids, dx_json), (cbor_ids, dx_cbor)):
                vif = dx.describe_virtual_interfaces(virtualInterfaceId=ids["virtualinterfaceid"])
                peers = vif["virtualInterfaces"][0]["bgpPeers"]
                ids["peer-address"] = next(p["customerAddress"] for p in peers if p["asn"] == 65001)
        assert sent["url"].endswith(f"/service/OvertureService/operation/{name}"), sent
        assert sent["headers"]["smithy-protocol"] == b"rpc-v2-cbor"
        assert "X-Amz-Target" not in sent["headers"]
        seen.add(name)
        if result[0] == "ok":
            succeeded.append(name)
        else:
            _, status, code, message = result
            modeled = {s.name for s in op.error_shapes}
            assert code in modeled, (name, result)
            assert status == (500 if code == "DirectConnectServerException" else 400), (name, result)
            modeled_errors.append((name, message))
            raw = decode_raw(raw_body)
            assert raw == {"__type": NAMESPACE + code, "message": message}, (name, raw)
    assert seen == set(model.operation_names)
    # Most operations succeed on the world's real ids; the rest give their
    # modeled error (partner-only calls, new operations another branch adds).
    assert len(succeeded) >= 40, (succeeded, modeled_errors)
    for expected in (
        "DescribeConnections",
        "DescribeLocations",
        "DescribeLoa",
        "DescribeTags",
        "TagResource",
        "DescribeVirtualInterfaces",
        "DescribeDirectConnectGateways",
        "DescribeLags",
        "UpdateConnection",
        "CreateLag",
        "CreateBGPPeer",
        "DeleteBGPPeer",
        "DeleteVirtualInterface",
        "DeleteDirectConnectGateway",
    ):
        assert expected in succeeded, (expected, modeled_errors)


# --- wire details -----------------------------------------------------------


def test_create_describe_round_trip_wire_types(dx_cbor):
    conn = dx_cbor.create_connection(
        location="EqDC2",
        bandwidth="10Gbps",
        connectionName="wire",
        tags=[{"key": "team", "value": "net"}],
    )
    assert conn["connectionState"] == "requested"
    assert re.fullmatch(r"dxcon-[a-z0-9]{8}", conn["connectionId"])
    raw = decode_raw(dx_cbor.raw["body"])
    assert raw["connectionName"] == "wire"
    assert raw["tags"] == [{"key": "team", "value": "net"}]
    assert raw["jumboFrameCapable"] is True
    listed = dx_cbor.describe_connections(connectionId=conn["connectionId"])["connections"]
    assert [c["connectionName"] for c in listed] == ["wire"]
    assert listed[0]["bandwidth"] == "10Gbps"
    loa = dx_cbor.describe_loa(connectionId=conn["connectionId"])
    raw = decode_raw(dx_cbor.raw["body"])
    assert isinstance(raw["loaContent"], bytes) and raw["loaContent"].startswith(b"%PDF")
    assert loa["loaContent"] == raw["loaContent"]
    assert raw["loaContentType"] == "application/pdf"


def test_timestamps_are_tag_1_epoch_seconds(dx_cbor):
    # A connection carries loaIssueTime once its LOA has been issued.
    conn = dx_cbor.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="times")
    dx_cbor.describe_loa(connectionId=conn["connectionId"])
    parsed = dx_cbor.describe_connections(connectionId=conn["connectionId"])["connections"][0]
    raw = decode_raw(dx_cbor.raw["body"])["connections"][0]
    assert isinstance(raw["loaIssueTime"], Epoch), raw
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    assert abs(raw["loaIssueTime"].value - now) < 120, raw
    # Whole seconds go as an integer, others as a double (never half precision).
    assert (b"\xc1\xfb" in dx_cbor.raw["body"]) or (b"\xc1\x1a" in dx_cbor.raw["body"])
    assert parsed["loaIssueTime"].timestamp() == pytest.approx(raw["loaIssueTime"].value)
    # A tag-1 value in a request is taken as epoch seconds (the JSON path's
    # number): a timestamp member accepts it, anything else is refused.
    status, doc, _ = post_raw(
        dx_cbor.meta.endpoint_url,
        "DescribeConnections",
        cbor2.dumps({"connectionId": cbor2.CBORTag(1, 5)}),
    )
    assert status == 400
    assert doc == {
        "__type": GENERIC_NAMESPACE + "SerializationException",
        "message": "Unexpected value at 'connectionId': expected no CBOR tag 1 here",
    }


def test_modeled_error_is_namespaced_with_status(dx_cbor):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        dx_cbor.describe_connections(connectionId="dxcon-ffffffff")
    assert e.value.response["Error"]["Code"] == "DirectConnectClientException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert decode_raw(dx_cbor.raw["body"])["__type"] == NAMESPACE + "DirectConnectClientException"


def test_validation_errors_match_json(srv, cbor_data_path):
    # botocore validates parameters before sending: switched off, the clients
    # send what a careless one would, and both protocols get the same error.
    loose = Config(retries={"max_attempts": 1}, parameter_validation=False)
    dj = strict_client(srv.endpoint, access_key=JSON_ACCOUNT, config=loose)
    dc = cbor_client(cbor_data_path, srv.endpoint, CBOR_ACCOUNT, config=loose)
    for params in (
        {"location": "EqDC2", "bandwidth": "1Gbps"},
        {"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "n", "tags": [{"key": ""}]},
    ):
        j = outcome(lambda: dj.create_connection(**params))
        c = outcome(lambda: dc.create_connection(**params))
        assert j[0] == "error" and c == j, (params, j, c)


def post_raw(endpoint, op_name, body, headers=None, path=None):
    """A raw unsigned POST on the CBOR route; (status, decoded body, headers)."""
    hdrs = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
    hdrs.update(headers or {})
    hdrs = {k: v for k, v in hdrs.items() if v is not None}
    target = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    try:
        # http.client adds no Content-Type of its own (urllib would).
        conn.request("POST", path or f"/service/OvertureService/operation/{op_name}", body=body, headers=hdrs)
        resp = conn.getresponse()
        status, data, rh = resp.status, resp.read(), resp.getheaders()
    finally:
        conn.close()
    return status, (decode_raw(data) if data else None), {k.lower(): v for k, v in rh}


def test_protocol_errors(srv):
    ep = srv.endpoint
    # No input: an empty body without Content-Type, or an empty map.
    for body, ctype in ((b"", None), (b"\xbf\xff", "application/cbor"), (b"\xa0", "application/cbor")):
        status, doc, h = post_raw(ep, "DescribeLocations", body, {"Content-Type": ctype})
        assert status == 200, (body, doc)
        assert h["smithy-protocol"] == "rpc-v2-cbor" and h["content-type"] == "application/cbor"
        assert len(doc["locations"]) > 0
    cases = [
        # (operation, body, extra headers, path, status, __type)
        ("Nope", b"\xa0", {}, None, 404, GENERIC_NAMESPACE + "UnknownOperationException"),
        ("DescribeConnections", b"\xa0", {}, "/service/Other/operation/DescribeConnections", 404,
         GENERIC_NAMESPACE + "UnknownOperationException"),
        ("DescribeConnections", b"\xa0", {"smithy-protocol": None}, None, 404,
         GENERIC_NAMESPACE + "UnknownOperationException"),
        ("DescribeConnections", b"\xa0", {"smithy-protocol": "rpc-v2-json"}, None, 404,
         GENERIC_NAMESPACE + "UnknownOperationException"),
        ("DescribeConnections", b"\xa0", {"X-Amz-Target": "OvertureService.DescribeConnections"}, None, 404,
         GENERIC_NAMESPACE + "UnknownOperationException"),
        ("DescribeConnections", b"{}", {"Content-Type": "application/x-amz-json-1.1"}, None, 415,
         GENERIC_NAMESPACE + "UnsupportedMediaTypeException"),
        ("DescribeConnections", b"\xa0", {"Content-Type": None}, None, 415,
         GENERIC_NAMESPACE + "UnsupportedMediaTypeException"),
        ("DescribeConnections", b"\xff\xff", {}, None, 400, GENERIC_NAMESPACE + "SerializationException"),
        ("DescribeConnections", b"\xa0\xa0", {}, None, 400, GENERIC_NAMESPACE + "SerializationException"),
        ("DescribeConnections", b"\x83\x01\x02\x03", {}, None, 400, GENERIC_NAMESPACE + "SerializationException"),
        ("CreateConnection", cbor2.dumps({"location": "EqDC2", "bandwidth": 1, "connectionName": "x"}), {}, None,
         400, GENERIC_NAMESPACE + "SerializationException"),
        ("CreateConnection", cbor2.dumps({"location": "EqDC2", "bandwidth": "1Gbps"}), {}, None,
         400, NAMESPACE + "DirectConnectClientException"),
    ]
    for op_name, body, extra, path, status, type_ in cases:
        got, doc, h = post_raw(ep, op_name, body, extra, path)
        assert (got, doc["__type"]) == (status, type_), (op_name, body, extra, doc)
        assert isinstance(doc["message"], str) and doc["message"], doc
        assert h["content-type"] == "application/cbor" and h.get("x-amzn-requestid")
        assert "x-amzn-errortype" not in h
        # The answer names the protocol only to a request that did.
        speaks = extra.get("smithy-protocol", "rpc-v2-cbor") == "rpc-v2-cbor"
        assert (h.get("smithy-protocol") == "rpc-v2-cbor") == speaks, h
    _, doc, _ = post_raw(ep, "CreateConnection", cbor2.dumps({"location": "EqDC2", "bandwidth": "1Gbps"}))
    assert doc["message"] == (
        "1 validation error detected: Value null at 'connectionName' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_signed_cbor_requests_under_auth_verify(cbor_data_path):
    server = Server(
        "--in-memory", "--auth", "verify", "--credential", "AKIDCBOR:cbor/Secret+Key:111111111111"
    ).start()
    try:
        good = cbor_client(cbor_data_path, server.endpoint, "AKIDCBOR", "cbor/Secret+Key")
        conn = good.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="signed")
        assert conn["ownerAccount"] == "111111111111"
        assert [c["connectionId"] for c in good.describe_connections()["connections"]] == [conn["connectionId"]]
        bad = cbor_client(cbor_data_path, server.endpoint, "AKIDCBOR", "wrong-secret")
        with pytest.raises(botocore.exceptions.ClientError) as e:
            bad.describe_connections()
        assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert decode_raw(bad.raw["body"])["__type"] == GENERIC_NAMESPACE + "InvalidSignatureException"
        status, doc, _ = post_raw(server.endpoint, "DescribeConnections", b"\xa0")
        assert (status, doc["__type"]) == (403, GENERIC_NAMESPACE + "MissingAuthenticationTokenException")
    finally:
        server.kill()


def test_read_cache_keeps_protocols_apart(srv, cbor_data_path):
    account = "666666666666"
    dj = strict_client(srv.endpoint, access_key=account)
    dc = cbor_client(cbor_data_path, srv.endpoint, account)
    dj.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="cache")
    # The same operation with the same (empty) body, one after the other: each
    # protocol gets its own answer, not the other's cached bytes.
    for _ in range(2):
        assert [c["connectionName"] for c in dj.describe_connections()["connections"]] == ["cache"]
        assert [c["connectionName"] for c in dc.describe_connections()["connections"]] == ["cache"]
        assert dc.raw["headers"]["content-type"] == "application/cbor"
