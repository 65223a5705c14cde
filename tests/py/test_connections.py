"""Connections, locations, LOA, tags and MACsec through boto3's strict client."""
import base64
import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import CUSTOMER, PARTNER


def error(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def create(dx, name="c", location="EqDC2", bandwidth="1Gbps", **kw):
    return dx.create_connection(location=location, bandwidth=bandwidth, connectionName=name, **kw)


def test_describe_connections_returns_every_field(partner):
    c = create(partner, "seed", bandwidth="10Gbps", providerName="Equinix, Inc.", requestMACSec=True,
               tags=[{"key": "env", "value": "test"}])
    assert re.fullmatch(r"dxcon-[a-z0-9]{8}", c["connectionId"])
    assert c["connectionState"] == "requested"
    got = partner.describe_connections(connectionId=c["connectionId"])["connections"]
    assert len(got) == 1
    conn = got[0]
    assert conn["connectionState"] == "available"
    assert conn["ownerAccount"] == PARTNER
    assert conn["region"] == "us-east-1"
    assert conn["location"] == "EqDC2"
    assert conn["bandwidth"] == "10Gbps"
    assert conn["connectionName"] == "seed"
    assert conn["providerName"] == "Equinix, Inc."
    assert conn["jumboFrameCapable"] is True
    assert conn["hasLogicalRedundancy"] in ("unknown", "yes", "no")
    assert conn["macSecCapable"] is True
    assert conn["encryptionMode"] == "no_encrypt"
    assert conn["macSecKeys"] == []
    assert conn["portEncryptionStatus"] == "Encryption Down"
    for device in ("awsDevice", "awsDeviceV2", "awsLogicalDeviceId"):
        assert conn[device].startswith("EqDC2-")
    assert conn["tags"] == [{"key": "env", "value": "test"}]
    assert "vlan" not in conn and "partnerName" not in conn and "lagId" not in conn
    # loaIssueTime appears once a LOA is asked for, as a timestamp.
    loa = partner.describe_loa(connectionId=c["connectionId"], providerName="Acme")
    assert loa["loaContentType"] == "application/pdf"
    assert loa["loaContent"].startswith(b"%PDF-")
    conn = partner.describe_connections(connectionId=c["connectionId"])["connections"][0]
    assert abs(conn["loaIssueTime"].timestamp() - time.time()) < 60


def test_unknown_and_foreign_ids(server, partner, customer):
    c = create(partner, "private")
    with pytest.raises(ClientError) as e:
        partner.describe_connections(connectionId="dxcon-fzzzzzzz")
    assert error(e) == ("DirectConnectClientException", "Could not find Connection with ID dxcon-fzzzzzzz")
    with pytest.raises(ClientError) as e:
        customer.describe_connections(connectionId=c["connectionId"])
    assert "Could not find Connection with ID" in error(e)[1]
    assert all(x["ownerAccount"] == CUSTOMER for x in customer.describe_connections()["connections"])
    eu = server.client(PARTNER, "eu-west-1")
    with pytest.raises(ClientError):
        eu.delete_connection(connectionId=c["connectionId"])


@pytest.mark.parametrize("location,bandwidth,macsec,needle", [
    ("EqDC2", "3Gbps", False, "not a valid dedicated connection bandwidth"),
    ("NOPE1", "1Gbps", False, "not a valid Direct Connect location"),
    ("CS32A", "400Gbps", False, "not available at location CS32A"),
    ("EqDC2", "1Gbps", True, "MACsec"),
])
def test_create_validation(partner, location, bandwidth, macsec, needle):
    with pytest.raises(ClientError) as e:
        create(partner, location=location, bandwidth=bandwidth, requestMACSec=macsec)
    code, msg = error(e)
    assert code == "DirectConnectClientException"
    assert needle in msg


def test_pagination(server):
    dx = server.client("333333333333")
    ids = [create(dx, f"p{i}", location=loc)["connectionId"]
           for i, loc in enumerate(["EqDC2", "CSVA1", "165HS"] * 2 + ["EqDC2"])]
    seen, token, pages = [], None, 0
    while True:
        kw = {"maxResults": 3} | ({"nextToken": token} if token else {})
        page = dx.describe_connections(**kw)
        pages += 1
        seen += [c["connectionId"] for c in page["connections"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == ids and pages == 3


def test_update_delete_and_listing(server):
    dx = server.client("444444444444")
    c = create(dx, "a")
    assert dx.update_connection(connectionId=c["connectionId"], connectionName="b")["connectionName"] == "b"
    assert dx.delete_connection(connectionId=c["connectionId"])["connectionState"] == "deleted"
    assert dx.describe_connections(connectionId=c["connectionId"])["connections"][0]["connectionState"] == "deleted"
    assert dx.describe_connections()["connections"] == []


def test_locations(server):
    us = server.client().describe_locations()["locations"]
    eqdc2 = next(l for l in us if l["locationCode"] == "EqDC2")
    assert set(eqdc2["availablePortSpeeds"]) >= {"1G", "10G", "100G", "400G"}
    assert eqdc2["availableMacSecPortSpeeds"] == ["10G", "100G", "400G"]
    for region in ("us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"):
        locs = server.client(region=region).describe_locations()["locations"]
        assert locs and all(l["region"] == region for l in locs)


def test_tags(server):
    dx = server.client("555555555555")
    c = create(dx, "t")
    arn = f"arn:aws:directconnect:us-east-1:555555555555:dxcon/{c['connectionId']}"
    assert dx.describe_tags(resourceArns=[arn])["resourceTags"] == [{"resourceArn": arn, "tags": []}]
    dx.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    dx.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert dx.describe_tags(resourceArns=[arn])["resourceTags"][0]["tags"] == [{"key": "b", "value": "2"}]
    with pytest.raises(ClientError) as e:
        dx.tag_resource(resourceArn=arn, tags=[{"key": "x"}, {"key": "x"}])
    assert error(e)[0] == "DuplicateTagKeysException"
    with pytest.raises(ClientError) as e:
        dx.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}"} for i in range(50)])
    assert error(e)[0] == "TooManyTagsException"
    with pytest.raises(ClientError) as e:
        dx.tag_resource(resourceArn=arn, tags=[{"key": "aws:reserved"}])
    assert error(e)[0] == "DirectConnectClientException"


def test_macsec_keys(partner):
    c = create(partner, "m", bandwidth="10Gbps", requestMACSec=True)
    cid = c["connectionId"]
    out = partner.associate_mac_sec_key(connectionId=cid, ckn="a" * 64, cak="b" * 64)
    key = out["macSecKeys"][-1]
    assert key["ckn"] == "a" * 64 and key["state"] == "associated" and "_" not in key["secretARN"]
    conn = partner.describe_connections(connectionId=cid)["connections"][0]
    assert conn["portEncryptionStatus"] == "Encryption Up"
    gone = partner.disassociate_mac_sec_key(connectionId=cid, secretARN=key["secretARN"])
    assert gone["macSecKeys"][0]["state"] == "disassociated"
    assert partner.describe_connections(connectionId=cid)["connections"][0]["macSecKeys"] == []


def test_connection_loa_is_a_pdf(partner):
    c = create(partner, "loa")
    loa = partner.describe_connection_loa(connectionId=c["connectionId"])["loa"]
    assert loa["loaContent"].startswith(b"%PDF-") and c["connectionId"].encode() in loa["loaContent"]


def test_customer_metadata(server):
    dx = server.client("666666666666")
    assert dx.describe_customer_metadata()["agreements"] == []
    assert dx.confirm_customer_agreement(agreementName="terms")["status"] == "signed"
    meta = dx.describe_customer_metadata()
    assert meta["agreements"] == [{"agreementName": "terms", "status": "signed"}]
    assert meta["nniPartnerType"] in ("v1", "v2", "nonPartner")
