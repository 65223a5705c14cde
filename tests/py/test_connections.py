"""Connections, LOA, locations, tags, MACsec and customer metadata through the
dxcheck strict client (every response is checked against the service model),
with two accounts (111111111111, 222222222222) and two regions (us-east-1,
eu-west-1)."""
from __future__ import annotations

import re
import time

import pytest
from botocore.exceptions import ClientError


from dxemu_harness import (  # noqa: F401  (fixtures are imported so pytest finds them)
    ACCOUNT_A,
    ACCOUNT_B,
    CONNECTION_ID_RE,
    REGION_A,
    REGION_B,
    connection_arn,
    dx,
    dx_b,
    dx_eu,
    dxserver,
    fresh_server,
    make_connection,
    raises_dx,
    strict,
    unique,
)

NOT_FOUND = "Could not find Connection with ID"
UNKNOWN_ID = "dxcon-zz9zz9zz"
CKN = "0123456789abcdef" * 4
CAK = "fedcba9876543210" * 4
REQUIRED_CONNECTION_FIELDS = (
    "ownerAccount",
    "connectionId",
    "connectionName",
    "connectionState",
    "region",
    "location",
    "bandwidth",
    "jumboFrameCapable",
    "hasLogicalRedundancy",
    "tags",
    "macSecCapable",
    "encryptionMode",
)


def assert_connection(conn, *, account=ACCOUNT_A, region=REGION_A, location="EqDC2", bandwidth=None, name=None):
    missing = [f for f in REQUIRED_CONNECTION_FIELDS if f not in conn]
    assert not missing, f"connection lacks {missing}: {conn}"
    assert re.match(CONNECTION_ID_RE, conn["connectionId"]), conn["connectionId"]
    assert conn["ownerAccount"] == account
    assert conn["region"] == region
    assert conn["location"] == location
    if bandwidth is not None:
        assert conn["bandwidth"] == bandwidth
    if name is not None:
        assert conn["connectionName"] == name
    assert isinstance(conn["jumboFrameCapable"], bool)
    assert isinstance(conn["macSecCapable"], bool)
    assert conn["hasLogicalRedundancy"] in ("unknown", "yes", "no")
    assert isinstance(conn["tags"], list)
    assert isinstance(conn["encryptionMode"], str)
    devices = ("awsDevice", "awsDeviceV2", "awsLogicalDeviceId")
    if conn["connectionState"] in ("requested", "ordering"):
        # No port yet: AWS sends no device members.
        assert not [d for d in devices if d in conn], conn
        return
    for dev in devices:
        assert conn[dev].startswith(location + "-") and len(conn[dev]) > len(location) + 1, (dev, conn[dev])
    # Physical device, V2 name and logical device: three names.
    assert len({conn[d] for d in devices}) == 3, conn


def describe_one(client, cid):
    conns = client.describe_connections(connectionId=cid)["connections"]
    assert len(conns) == 1, conns
    assert conns[0]["connectionId"] == cid
    return conns[0]


def list_ids(client):
    return [c["connectionId"] for c in client.describe_connections()["connections"]]


def tag_dict(tags):
    return {t["key"]: t.get("value", "") for t in tags}


def describe_tags_of(client, arn):
    out = client.describe_tags(resourceArns=[arn])["resourceTags"]
    assert len(out) == 1, out
    assert out[0]["resourceArn"] == arn
    return tag_dict(out[0].get("tags", []))


# ------------------------------------------------------------------ create / describe


def test_create_returns_requested_connection_with_full_shape(make_connection):
    name = unique("shape")
    conn = make_connection(connectionName=name, bandwidth="10Gbps", providerName="Equinix, Inc.")
    assert conn["connectionState"] == "requested"
    assert_connection(conn, bandwidth="10Gbps", name=name)
    assert conn["providerName"] == "Equinix, Inc."
    assert conn["tags"] == []
    assert conn["macSecCapable"] is False


def test_next_describe_shows_available(dx, make_connection):
    name = unique("avail")
    cid = make_connection(connectionName=name)["connectionId"]
    conn = describe_one(dx, cid)
    assert conn["connectionState"] == "available"
    assert_connection(conn, bandwidth="1Gbps", name=name)


def test_provider_name_round_trips(dx, make_connection):
    cid = make_connection(providerName="Equinix, Inc.")["connectionId"]
    assert describe_one(dx, cid)["providerName"] == "Equinix, Inc."


def test_connection_ids_are_unique(make_connection):
    ids = {make_connection()["connectionId"] for _ in range(4)}
    assert len(ids) == 4


@pytest.mark.parametrize("bandwidth", ["1Gbps", "10Gbps", "100Gbps", "400Gbps"])
def test_dedicated_bandwidths_at_eqdc2(dx, make_connection, bandwidth):
    conn = make_connection(bandwidth=bandwidth)
    assert conn["bandwidth"] == bandwidth
    assert describe_one(dx, conn["connectionId"])["bandwidth"] == bandwidth


def test_describe_all_lists_own_connections(dx, make_connection):
    a = make_connection()["connectionId"]
    b = make_connection(bandwidth="10Gbps")["connectionId"]
    listed = dx.describe_connections()["connections"]
    ids = [c["connectionId"] for c in listed]
    assert a in ids and b in ids
    assert len(ids) == len(set(ids))
    for c in listed:
        assert c["ownerAccount"] == ACCOUNT_A and c["region"] == REGION_A


def test_tags_given_at_create_are_echoed(dx, make_connection):
    tags = [{"key": "Env", "value": "prod"}, {"key": "Team", "value": "net"}]
    conn = make_connection(tags=tags)
    assert tag_dict(conn["tags"]) == {"Env": "prod", "Team": "net"}
    described = describe_one(dx, conn["connectionId"])
    assert tag_dict(described["tags"]) == {"Env": "prod", "Team": "net"}
    assert describe_tags_of(dx, connection_arn(described)) == {"Env": "prod", "Team": "net"}


# ------------------------------------------------------------------ not found


def test_describe_unknown_id_is_not_found(dx):
    with raises_dx("DirectConnectClientException", f"{NOT_FOUND} {UNKNOWN_ID}"):
        dx.describe_connections(connectionId=UNKNOWN_ID)


def test_delete_unknown_id_is_not_found(dx):
    with raises_dx("DirectConnectClientException", f"{NOT_FOUND} {UNKNOWN_ID}"):
        dx.delete_connection(connectionId=UNKNOWN_ID)


def test_update_unknown_id_is_not_found(dx):
    with raises_dx("DirectConnectClientException", f"{NOT_FOUND} {UNKNOWN_ID}"):
        dx.update_connection(connectionId=UNKNOWN_ID, connectionName="x")


def test_describe_loa_unknown_id_fails(dx):
    with raises_dx("DirectConnectClientException"):
        dx.describe_loa(connectionId=UNKNOWN_ID)


# ------------------------------------------------------------------ isolation


def test_other_account_cannot_see_connection(dx, dx_b, make_connection):
    cid = make_connection()["connectionId"]
    with raises_dx("DirectConnectClientException", f"{NOT_FOUND} {cid}"):
        dx_b.describe_connections(connectionId=cid)
    assert cid not in list_ids(dx_b)
    for c in dx_b.describe_connections()["connections"]:
        assert c["ownerAccount"] == ACCOUNT_B


def test_other_account_cannot_update_or_delete(dx, dx_b, make_connection):
    name = unique("mine")
    cid = make_connection(connectionName=name)["connectionId"]
    with raises_dx("DirectConnectClientException", f"{NOT_FOUND} {cid}"):
        dx_b.update_connection(connectionId=cid, connectionName="stolen")
    with raises_dx("DirectConnectClientException", f"{NOT_FOUND} {cid}"):
        dx_b.delete_connection(connectionId=cid)
    with raises_dx("DirectConnectClientException"):
        dx_b.describe_loa(connectionId=cid)
    conn = describe_one(dx, cid)
    assert conn["connectionName"] == name
    assert conn["connectionState"] == "available"


def test_accounts_keep_separate_connections(dx, dx_b, make_connection):
    a = make_connection()["connectionId"]
    b_conn = make_connection(client=dx_b)
    assert_connection(b_conn, account=ACCOUNT_B)
    b = b_conn["connectionId"]
    ids_a, ids_b = list_ids(dx), list_ids(dx_b)
    assert a in ids_a and b not in ids_a
    assert b in ids_b and a not in ids_b
    with raises_dx("DirectConnectClientException", f"{NOT_FOUND} {b}"):
        dx.describe_connections(connectionId=b)


def test_other_region_cannot_see_connection(dx, dx_eu, make_connection):
    cid = make_connection()["connectionId"]
    with raises_dx("DirectConnectClientException", f"{NOT_FOUND} {cid}"):
        dx_eu.describe_connections(connectionId=cid)
    assert cid not in list_ids(dx_eu)


def test_connection_in_second_region(dx, dx_eu, make_connection):
    name = unique("eu")
    conn = make_connection(client=dx_eu, location="EQLD5", bandwidth="10Gbps", connectionName=name)
    assert_connection(conn, region=REGION_B, location="EQLD5", bandwidth="10Gbps", name=name)
    cid = conn["connectionId"]
    assert describe_one(dx_eu, cid)["region"] == REGION_B
    assert cid in list_ids(dx_eu)
    assert cid not in list_ids(dx)
    with raises_dx("DirectConnectClientException", f"{NOT_FOUND} {cid}"):
        dx.describe_connections(connectionId=cid)


# ------------------------------------------------------------------ delete


def test_delete_returns_deleted_and_lingers_listed_as_deleted(dx, make_connection):
    cid = make_connection()["connectionId"]
    out = dx.delete_connection(connectionId=cid)
    assert out["connectionId"] == cid
    assert out["connectionState"] == "deleted"
    conn = describe_one(dx, cid)
    assert conn["connectionState"] == "deleted"
    # AWS keeps listing it, as deleted, for a while.
    assert [c["connectionState"] for c in dx.describe_connections()["connections"]
            if c["connectionId"] == cid] == ["deleted"]


def test_deleted_connection_stays_invisible_to_other_account(dx, dx_b, make_connection):
    cid = make_connection()["connectionId"]
    dx.delete_connection(connectionId=cid)
    with raises_dx("DirectConnectClientException", f"{NOT_FOUND} {cid}"):
        dx_b.describe_connections(connectionId=cid)


def test_deleted_name_does_not_duplicate_in_listing(dx, make_connection):
    # Terraform's aws_dx_connection data source filters the listing by name.
    name = unique("reuse")
    old = make_connection(connectionName=name)["connectionId"]
    dx.delete_connection(connectionId=old)
    new = make_connection(connectionName=name)["connectionId"]
    # The old one stays listed as deleted for a while, as AWS does.
    named = {c["connectionId"]: c["connectionState"]
             for c in dx.describe_connections()["connections"] if c["connectionName"] == name}
    assert named == {old: "deleted", new: named[new]} and named[new] != "deleted"


# ------------------------------------------------------------------ update


def test_update_connection_name(dx, make_connection):
    cid = make_connection()["connectionId"]
    new_name = unique("renamed")
    out = dx.update_connection(connectionId=cid, connectionName=new_name)
    assert out["connectionId"] == cid
    assert out["connectionName"] == new_name
    assert_connection(out, name=new_name)
    assert describe_one(dx, cid)["connectionName"] == new_name


@pytest.mark.parametrize("mode", ["must_encrypt", "should_encrypt", "no_encrypt"])
def test_update_encryption_mode(dx, make_connection, mode):
    cid = make_connection(bandwidth="10Gbps", requestMACSec=True)["connectionId"]
    out = dx.update_connection(connectionId=cid, encryptionMode=mode)
    assert out["encryptionMode"] == mode
    conn = describe_one(dx, cid)
    assert conn["encryptionMode"] == mode
    assert conn["connectionState"] == "available"


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize("bandwidth", ["2Gbps", "1gbps", "10G", "50Mbps", "1Tbps", ""])
def test_invalid_bandwidth_rejected(dx, bandwidth):
    with raises_dx("DirectConnectClientException"):
        dx.create_connection(location="EqDC2", bandwidth=bandwidth, connectionName=unique("bad"))


def test_bandwidth_must_be_offered_at_location(dx):
    # Equinix DA (EQDA2) offers 1G, 10G, 100G but not 400G.
    with raises_dx("DirectConnectClientException"):
        dx.create_connection(location="EQDA2", bandwidth="400Gbps", connectionName=unique("bad"))


def test_unknown_location_rejected(dx):
    with raises_dx("DirectConnectClientException"):
        dx.create_connection(location="NOPE9", bandwidth="1Gbps", connectionName=unique("bad"))


def test_location_of_other_region_rejected(dx, dx_eu):
    with raises_dx("DirectConnectClientException"):
        dx.create_connection(location="EQLD5", bandwidth="1Gbps", connectionName=unique("bad"))
    with raises_dx("DirectConnectClientException"):
        dx_eu.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=unique("bad"))


def test_macsec_at_1gbps_rejected(dx):
    with raises_dx("DirectConnectClientException"):
        dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=unique("bad"), requestMACSec=True)


def test_macsec_at_location_without_macsec_rejected(dx_eu):
    # ITXM1 (eu-west-1) offers 1G and 10G ports but no MACsec.
    with raises_dx("DirectConnectClientException"):
        dx_eu.create_connection(location="ITXM1", bandwidth="10Gbps", connectionName=unique("bad"), requestMACSec=True)


def test_failed_create_leaves_nothing_behind(dx):
    name = unique("ghost")
    with raises_dx("DirectConnectClientException"):
        dx.create_connection(location="EqDC2", bandwidth="3Gbps", connectionName=name)
    assert name not in [c["connectionName"] for c in dx.describe_connections()["connections"]]


# ------------------------------------------------------------------ pagination


def test_pagination_with_max_results(fresh_server):
    dx = fresh_server.client()
    other = fresh_server.client(ACCOUNT_B)
    created = [dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=f"page-{i}")["connectionId"]
               for i in range(7)]
    other_ids = [other.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="other")["connectionId"]
                 for _ in range(2)]
    seen, sizes, token, pages = [], [], None, 0
    while True:
        kwargs = {"maxResults": 3}
        if token:
            kwargs["nextToken"] = token
        out = dx.describe_connections(**kwargs)
        pages += 1
        assert pages <= 5, "pagination does not terminate"
        sizes.append(len(out["connections"]))
        seen += [c["connectionId"] for c in out["connections"]]
        token = out.get("nextToken")
        if not token:
            break
    assert len(seen) == len(set(seen)), f"duplicates across pages: {seen}"
    assert sorted(seen) == sorted(created)
    assert sizes == [3, 3, 1]
    assert not set(other_ids) & set(seen)
    # Without maxResults everything comes back on one page.
    out = dx.describe_connections()
    assert sorted(c["connectionId"] for c in out["connections"]) == sorted(created)
    assert "nextToken" not in out


def test_max_results_capped_at_100(fresh_server):
    dx = fresh_server.client()
    codes = [loc["locationCode"] for loc in dx.describe_locations()["locations"]
             if "1G" in loc.get("availablePortSpeeds", [])]
    assert len(codes) >= 11, codes
    created = []
    for i in range(101):  # at most 10 per location (AWS's per-location quota)
        created.append(dx.create_connection(location=codes[i // 10], bandwidth="1Gbps",
                                            connectionName=f"cap-{i}")["connectionId"])
    first = dx.describe_connections(maxResults=1000)
    assert len(first["connections"]) == 100
    assert first.get("nextToken")
    second = dx.describe_connections(maxResults=1000, nextToken=first["nextToken"])
    assert len(second["connections"]) == 1
    assert "nextToken" not in second
    ids = [c["connectionId"] for c in first["connections"] + second["connections"]]
    assert sorted(ids) == sorted(created)


# ------------------------------------------------------------------ LOA


def test_describe_loa_returns_pdf_and_sets_issue_time(dx, make_connection):
    cid = make_connection()["connectionId"]
    before = time.time()
    loa = dx.describe_loa(connectionId=cid)
    after = time.time()
    assert loa["loaContentType"] == "application/pdf"
    assert isinstance(loa["loaContent"], bytes)
    assert loa["loaContent"].startswith(b"%PDF-")
    issued = describe_one(dx, cid)["loaIssueTime"].timestamp()
    assert before - 2 <= issued <= after + 2, (before, issued, after)
    dx.describe_loa(connectionId=cid, loaContentType="application/pdf", providerName="Equinix, Inc.")
    issued2 = describe_one(dx, cid)["loaIssueTime"].timestamp()
    assert issued2 >= issued


def test_describe_connection_loa_is_wrapped(dx, make_connection):
    cid = make_connection()["connectionId"]
    out = dx.describe_connection_loa(connectionId=cid)
    assert "loaContent" not in out
    assert out["loa"]["loaContentType"] == "application/pdf"
    assert out["loa"]["loaContent"].startswith(b"%PDF-")


# ------------------------------------------------------------------ locations


def _locations(client):
    return {loc["locationCode"]: loc for loc in client.describe_locations()["locations"]}


def test_locations_us_east_1(dx):
    locs = _locations(dx)
    assert "EqDC2" in locs
    eq = locs["EqDC2"]
    assert eq["region"] == REGION_A
    assert eq["locationName"]
    assert {"1G", "10G", "100G", "400G"} <= set(eq["availablePortSpeeds"])
    assert {"10G", "100G", "400G"} <= set(eq["availableMacSecPortSpeeds"])
    assert "1G" not in eq["availableMacSecPortSpeeds"]
    assert all(loc["region"] == REGION_A for loc in locs.values())
    assert "EQLD5" not in locs


def test_locations_eu_west_1(dx_eu):
    locs = _locations(dx_eu)
    assert "EQLD5" in locs
    assert "EqDC2" not in locs
    assert all(loc["region"] == REGION_B for loc in locs.values())


def test_locations_same_for_every_account(dx, dx_b):
    assert _locations(dx) == _locations(dx_b)


def test_locations_unknown_region_empty(dxserver):
    assert strict(dxserver.endpoint, ACCOUNT_A, "mars-east-1").describe_locations()["locations"] == []


# ------------------------------------------------------------------ tags


def test_describe_tags_one_entry_per_arn_even_without_tags(dx, make_connection):
    c1 = make_connection()
    c2 = make_connection(tags=[{"key": "k", "value": "v"}])
    arns = [connection_arn(c1), connection_arn(c2)]
    out = dx.describe_tags(resourceArns=arns)["resourceTags"]
    assert [e["resourceArn"] for e in out] == arns
    assert out[0].get("tags", []) == []
    assert tag_dict(out[1]["tags"]) == {"k": "v"}


def test_arn_format_and_empty_account_arn_accepted(dx, make_connection):
    conn = make_connection(tags=[{"key": "a", "value": "1"}])
    assert connection_arn(conn) == f"arn:aws:directconnect:us-east-1:{ACCOUNT_A}:dxcon/{conn['connectionId']}"
    # Terraform with skip_requesting_account_id builds ARNs with an empty account.
    arn = f"arn:aws:directconnect:us-east-1::dxcon/{conn['connectionId']}"
    dx.tag_resource(resourceArn=arn, tags=[{"key": "b", "value": "2"}])
    assert describe_tags_of(dx, arn) == {"a": "1", "b": "2"}


def test_tag_overwrite_and_untag(dx, make_connection):
    conn = make_connection()
    arn = connection_arn(conn)
    assert dx.tag_resource(resourceArn=arn, tags=[{"key": "Env", "value": "dev"}, {"key": "Team", "value": "net"}])
    assert describe_tags_of(dx, arn) == {"Env": "dev", "Team": "net"}
    assert tag_dict(describe_one(dx, conn["connectionId"])["tags"]) == {"Env": "dev", "Team": "net"}
    dx.tag_resource(resourceArn=arn, tags=[{"key": "Env", "value": "prod"}])
    assert describe_tags_of(dx, arn) == {"Env": "prod", "Team": "net"}
    dx.untag_resource(resourceArn=arn, tagKeys=["Team"])
    assert describe_tags_of(dx, arn) == {"Env": "prod"}
    assert tag_dict(describe_one(dx, conn["connectionId"])["tags"]) == {"Env": "prod"}
    dx.untag_resource(resourceArn=arn, tagKeys=["Env", "NotThere"])
    assert describe_tags_of(dx, arn) == {}


def test_tag_without_value(dx, make_connection):
    arn = connection_arn(make_connection())
    dx.tag_resource(resourceArn=arn, tags=[{"key": "flag"}])
    assert describe_tags_of(dx, arn) == {"flag": ""}


def test_fifty_tags_allowed_fifty_one_rejected(dx, make_connection):
    arn = connection_arn(make_connection())
    dx.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])
    assert len(describe_tags_of(dx, arn)) == 50
    # Overwriting an existing key does not add a tag.
    dx.tag_resource(resourceArn=arn, tags=[{"key": "k0", "value": "changed"}])
    assert describe_tags_of(dx, arn)["k0"] == "changed"
    with raises_dx("TooManyTagsException"):
        dx.tag_resource(resourceArn=arn, tags=[{"key": "k50", "value": "v"}])
    tags = describe_tags_of(dx, arn)
    assert len(tags) == 50 and "k50" not in tags


def test_too_many_tags_in_one_request(dx, make_connection):
    arn = connection_arn(make_connection())
    with raises_dx("TooManyTagsException"):
        dx.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(51)])
    assert describe_tags_of(dx, arn) == {}


def test_too_many_tags_on_create(dx):
    name = unique("toomany")
    with raises_dx("TooManyTagsException"):
        dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=name,
                             tags=[{"key": f"k{i}", "value": "v"} for i in range(51)])
    assert name not in [c["connectionName"] for c in dx.describe_connections()["connections"]]


def test_duplicate_tag_keys(dx, make_connection):
    arn = connection_arn(make_connection())
    with raises_dx("DuplicateTagKeysException"):
        dx.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "a", "value": "2"}])
    assert describe_tags_of(dx, arn) == {}
    with raises_dx("DuplicateTagKeysException"):
        dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=unique("dup"),
                             tags=[{"key": "a", "value": "1"}, {"key": "a", "value": "2"}])


def test_aws_prefixed_keys_rejected(dx, make_connection):
    arn = connection_arn(make_connection())
    with raises_dx("DirectConnectClientException"):
        dx.tag_resource(resourceArn=arn, tags=[{"key": "aws:cloudformation:stack-name", "value": "x"}])
    assert describe_tags_of(dx, arn) == {}


def test_other_account_cannot_tag_or_read_tags(dx, dx_b, make_connection):
    conn = make_connection(tags=[{"key": "secret", "value": "s"}])
    arn = connection_arn(conn)
    with raises_dx("DirectConnectClientException"):
        dx_b.tag_resource(resourceArn=arn, tags=[{"key": "evil", "value": "1"}])
    with raises_dx("DirectConnectClientException"):
        dx_b.untag_resource(resourceArn=arn, tagKeys=["secret"])
    try:
        out = dx_b.describe_tags(resourceArns=[arn])["resourceTags"]
    except ClientError:
        out = []  # an error is an acceptable answer, leaking the tags is not
    leaked = [t for e in out for t in e.get("tags", [])]
    assert leaked == [], f"account B reads account A's tags: {leaked}"
    assert describe_tags_of(dx, arn) == {"secret": "s"}


# ------------------------------------------------------------------ MACsec


def test_macsec_capable_flag(dx, make_connection):
    mac = make_connection(bandwidth="10Gbps", requestMACSec=True)
    assert mac["macSecCapable"] is True
    assert describe_one(dx, mac["connectionId"])["macSecCapable"] is True
    plain = make_connection(bandwidth="10Gbps")
    assert describe_one(dx, plain["connectionId"])["macSecCapable"] is False


def test_associate_and_disassociate_ckn_cak(dx, make_connection):
    cid = make_connection(bandwidth="10Gbps", requestMACSec=True)["connectionId"]
    out = dx.associate_mac_sec_key(connectionId=cid, ckn=CKN, cak=CAK)
    assert out["connectionId"] == cid
    assert len(out["macSecKeys"]) >= 1
    key = out["macSecKeys"][-1]
    assert key["ckn"] == CKN
    assert key["secretARN"] and "_" not in key["secretARN"], key
    assert key["secretARN"].startswith("arn:")
    assert isinstance(key["state"], str) and key["state"]
    assert isinstance(key["startOn"], str) and key["startOn"]
    listed = describe_one(dx, cid).get("macSecKeys", [])
    assert [k["ckn"] for k in listed if k["secretARN"] == key["secretARN"]] == [CKN]

    gone = dx.disassociate_mac_sec_key(connectionId=cid, secretARN=key["secretARN"])
    assert gone["connectionId"] == cid
    assert [k["state"] for k in gone["macSecKeys"] if k["secretARN"] == key["secretARN"]] == ["disassociated"]
    listed = describe_one(dx, cid).get("macSecKeys", [])
    assert key["secretARN"] not in [k["secretARN"] for k in listed]


def test_associate_with_secret_arn(dx, make_connection):
    cid = make_connection(bandwidth="100Gbps", requestMACSec=True)["connectionId"]
    arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT_A}:secret:dx-key-abc123"
    out = dx.associate_mac_sec_key(connectionId=cid, secretARN=arn)
    assert out["connectionId"] == cid
    assert arn in [k["secretARN"] for k in out["macSecKeys"]]
    assert arn in [k["secretARN"] for k in describe_one(dx, cid).get("macSecKeys", [])]


def test_macsec_key_on_non_macsec_connection_rejected(dx, make_connection):
    cid = make_connection(bandwidth="10Gbps")["connectionId"]
    with raises_dx("DirectConnectClientException"):
        dx.associate_mac_sec_key(connectionId=cid, ckn=CKN, cak=CAK)
    assert describe_one(dx, cid).get("macSecKeys", []) == []


@pytest.mark.parametrize(
    "params",
    [
        {"ckn": CKN[:-1], "cak": CAK},  # 63 characters
        {"ckn": CKN, "cak": CAK + "0"},  # 65 characters
        {"ckn": "g" * 64, "cak": CAK},  # not hex
        {"ckn": CKN},  # cak missing
        {},  # neither a secret nor a key pair
    ],
    ids=["short-ckn", "long-cak", "non-hex", "ckn-only", "nothing"],
)
def test_invalid_macsec_key_rejected(dx, make_connection, params):
    cid = make_connection(bandwidth="10Gbps", requestMACSec=True)["connectionId"]
    with raises_dx("DirectConnectClientException"):
        dx.associate_mac_sec_key(connectionId=cid, **params)
    assert describe_one(dx, cid).get("macSecKeys", []) == []


def test_macsec_other_account_rejected(dx, dx_b, make_connection):
    cid = make_connection(bandwidth="10Gbps", requestMACSec=True)["connectionId"]
    with raises_dx("DirectConnectClientException"):
        dx_b.associate_mac_sec_key(connectionId=cid, ckn=CKN, cak=CAK)
    assert describe_one(dx, cid).get("macSecKeys", []) == []


# ------------------------------------------------------------------ customer metadata


def test_customer_agreement_and_metadata(dx, dx_b):
    meta = dx.describe_customer_metadata()
    assert isinstance(meta.get("agreements", []), list)
    assert meta.get("nniPartnerType", "nonPartner") in ("v1", "v2", "nonPartner")
    out = dx.confirm_customer_agreement(agreementName="dx-test-agreement")
    assert out["status"] == "signed"
    agreements = {a.get("agreementName"): a.get("status") for a in dx.describe_customer_metadata().get("agreements", [])}
    assert agreements.get("dx-test-agreement") == "signed", agreements
    other = {a.get("agreementName") for a in dx_b.describe_customer_metadata().get("agreements", [])}
    assert "dx-test-agreement" not in other


# ------------------------------------------------------------------ every catalog region
# Uses the `server` fixture of conftest.py.


def test_locations_of_every_catalog_region(server):
    us = server.client().describe_locations()["locations"]
    eqdc2 = next(l for l in us if l["locationCode"] == "EqDC2")
    assert set(eqdc2["availablePortSpeeds"]) >= {"1G", "10G", "100G", "400G"}
    assert eqdc2["availableMacSecPortSpeeds"] == ["10G", "100G", "400G"]
    for region in ("us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"):
        locs = server.client(region=region).describe_locations()["locations"]
        assert locs and all(l["region"] == region for l in locs)
