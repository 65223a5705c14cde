"""Resiliency groups through boto3's strict client: every operation's happy path and main errors."""
import re
import signal

import pytest
from botocore.exceptions import ClientError

from conftest import CUSTOMER, PARTNER, Server

OWNER = PARTNER


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def connection(dx, name, bandwidth="10Gbps"):
    return dx.create_connection(location="EqDC2", bandwidth=bandwidth, connectionName=name)["connectionId"]


def arn(kind, ident, account=OWNER, region="us-east-1"):
    return f"arn:aws:directconnect:{region}:{account}:{kind}/{ident}"


def test_every_operation_happy_path(partner):
    dx = partner
    created = dx.create_resiliency_group(resiliencyGroupName="edge-pair", intendedResiliencyModel="maximum-resiliency",
                                         tags=[{"key": "env", "value": "test"}])["resiliencyGroup"]
    gid = created["resiliencyGroupId"]
    assert re.fullmatch(r"dxrg-[0-9a-z]{17}", gid)
    assert created == {
        "resiliencyGroupId": gid,
        "resiliencyGroupArn": f"arn:aws:directconnect::{OWNER}:dx-resiliency-group/{gid}",
        "resiliencyGroupName": "edge-pair",
        "resiliencyGroupType": "Managed",
        "ownerAccount": OWNER,
        "state": "pending",
        "tags": [{"key": "env", "value": "test"}],
    }
    # Instant lifecycle: available by the next call; ids match in any case.
    got = dx.get_resiliency_group(resiliencyGroupId=gid.upper())["resiliencyGroup"]
    assert got["state"] == "available"
    updated = dx.update_resiliency_group(resiliencyGroupId=gid, resiliencyGroupName="renamed")["resiliencyGroup"]
    assert updated["resiliencyGroupName"] == "renamed" and updated["state"] == "available"
    listed = dx.list_resiliency_groups()["items"]
    assert [(g["resiliencyGroupId"], g["resiliencyGroupName"], g["state"]) for g in listed] == [(gid, "renamed", "available")]
    assert "tags" not in listed[0]

    c1, c2 = connection(dx, "a"), connection(dx, "b")
    lag = dx.create_lag(numberOfConnections=1, location="EqDC2", connectionsBandwidth="10Gbps", lagName="bond")["lagId"]
    out = dx.associate_connections_to_resiliency_group(resiliencyGroupId=gid,
                                                       connectionIdentifiers=[c1, arn("dxcon", c2), lag])
    assert out["resiliencyGroupAssociations"] == [
        {"resiliencyGroupId": gid, "connectionArn": arn("dxcon", c1), "state": "associating"},
        {"resiliencyGroupId": gid, "connectionArn": arn("dxcon", c2), "state": "associating"},
        {"resiliencyGroupId": gid, "connectionArn": arn("dxlag", lag), "state": "associating"},
    ]
    items = dx.list_resiliency_group_associations(resiliencyGroupId=gid)["items"]
    assert [(a["connectionArn"], a["state"]) for a in items] == [
        (arn("dxcon", c1), "associated"), (arn("dxcon", c2), "associated"), (arn("dxlag", lag), "associated")]
    page = dx.list_resiliency_group_associations(resiliencyGroupId=gid, maxResults=2)
    assert len(page["items"]) == 2 and "nextToken" in page
    rest = dx.list_resiliency_group_associations(resiliencyGroupId=gid, maxResults=2, nextToken=page["nextToken"])
    assert [a["connectionArn"] for a in rest["items"]] == [arn("dxlag", lag)] and "nextToken" not in rest

    out = dx.disassociate_connections_from_resiliency_group(resiliencyGroupId=gid,
                                                            connectionIdentifiers=[c1, c2, arn("dxlag", lag)])
    assert [a["state"] for a in out["resiliencyGroupAssociations"]] == ["disassociating"] * 3
    assert {a["state"] for a in dx.list_resiliency_group_associations(resiliencyGroupId=gid)["items"]} == {"disassociated"}

    tags = dx.describe_tags(resourceArns=[created["resiliencyGroupArn"]])["resourceTags"][0]["tags"]
    assert tags == [{"key": "env", "value": "test"}]
    deleted = dx.delete_resiliency_group(resiliencyGroupId=gid)["resiliencyGroup"]
    assert deleted["state"] == "deleting"
    assert dx.get_resiliency_group(resiliencyGroupId=gid)["resiliencyGroup"]["state"] == "deleted"
    assert dx.list_resiliency_groups()["items"] == []


def test_main_errors(partner, customer):
    dx = partner
    gid = dx.create_resiliency_group(resiliencyGroupName="errs", intendedResiliencyModel="high-resiliency")[
        "resiliencyGroup"]["resiliencyGroupId"]
    with pytest.raises(ClientError) as e:
        dx.get_resiliency_group(resiliencyGroupId="dxrg-zzzzzzzzzzzzzzzzz")
    assert error(e) == ("DirectConnectClientException", "Resiliency group dxrg-zzzzzzzzzzzzzzzzz does not exist")
    # Other accounts see nothing.
    with pytest.raises(ClientError) as e:
        customer.get_resiliency_group(resiliencyGroupId=gid)
    assert error(e) == ("DirectConnectClientException", f"Resiliency group {gid} does not exist")
    assert customer.list_resiliency_groups()["items"] == []
    # Bad names and models are refused by the model's constraints.
    with pytest.raises(ClientError) as e:
        dx.create_resiliency_group(resiliencyGroupName="no spaces", intendedResiliencyModel="high-resiliency")
    assert error(e)[0] == "DirectConnectClientException" and "resiliencyGroupName" in error(e)[1]
    with pytest.raises(ClientError) as e:
        dx.create_resiliency_group(resiliencyGroupName="x", intendedResiliencyModel="extreme-resiliency")
    assert error(e)[0] == "DirectConnectClientException"
    # Unknown connection: atomic, nothing joins.
    c1 = connection(dx, "e1")
    with pytest.raises(ClientError) as e:
        dx.associate_connections_to_resiliency_group(resiliencyGroupId=gid, connectionIdentifiers=[c1, "dxcon-ffffffff"])
    assert error(e) == ("DirectConnectClientException", "Could not find Connection with ID dxcon-ffffffff")
    assert dx.list_resiliency_group_associations(resiliencyGroupId=gid)["items"] == []
    # One group per connection.
    dx.associate_connections_to_resiliency_group(resiliencyGroupId=gid, connectionIdentifiers=[c1])
    other = dx.create_resiliency_group(resiliencyGroupName="errs2", intendedResiliencyModel="basic-resiliency")[
        "resiliencyGroup"]["resiliencyGroupId"]
    with pytest.raises(ClientError) as e:
        dx.associate_connections_to_resiliency_group(resiliencyGroupId=other, connectionIdentifiers=[c1])
    assert error(e) == ("DirectConnectClientException", f"{c1} already belongs to resiliency group {gid}")
    with pytest.raises(ClientError) as e:
        dx.disassociate_connections_from_resiliency_group(resiliencyGroupId=other, connectionIdentifiers=[c1])
    assert error(e) == ("DirectConnectClientException", f"{c1} does not belong to resiliency group {other}")
    # A group with members cannot be deleted.
    with pytest.raises(ClientError) as e:
        dx.delete_resiliency_group(resiliencyGroupId=gid)
    assert error(e)[0] == "DirectConnectClientException" and "cannot be deleted" in error(e)[1]
    # Deleting the connection ends its membership.
    dx.delete_connection(connectionId=c1)
    assert [a["state"] for a in dx.list_resiliency_group_associations(resiliencyGroupId=gid)["items"]] == ["disassociated"]
    assert dx.delete_resiliency_group(resiliencyGroupId=gid)["resiliencyGroup"]["state"] == "deleting"
    # A client token reused with another request.
    dx.update_resiliency_group(resiliencyGroupId=other, resiliencyGroupName="n1", clientToken="t-1")
    assert dx.update_resiliency_group(resiliencyGroupId=other, resiliencyGroupName="n1", clientToken="t-1")[
        "resiliencyGroup"]["resiliencyGroupName"] == "n1"
    with pytest.raises(ClientError) as e:
        dx.update_resiliency_group(resiliencyGroupId=other, resiliencyGroupName="n2", clientToken="t-1")
    assert error(e) == ("DirectConnectClientException", "The clientToken t-1 was already used with a different request.")


def test_hosted_connections_are_refused(partner, customer):
    ic = partner.create_interconnect(interconnectName="ic", bandwidth="10Gbps", location="EqDC2")["interconnectId"]
    hosted = partner.allocate_hosted_connection(connectionId=ic, ownerAccount=CUSTOMER, bandwidth="500Mbps",
                                                connectionName="h", vlan=300)["connectionId"]
    gid = customer.create_resiliency_group(resiliencyGroupName="cust", intendedResiliencyModel="high-resiliency")[
        "resiliencyGroup"]["resiliencyGroupId"]
    with pytest.raises(ClientError) as e:
        customer.associate_connections_to_resiliency_group(resiliencyGroupId=gid, connectionIdentifiers=[hosted])
    assert error(e) == ("DirectConnectClientException",
                        f"Connection {hosted} is a hosted connection: only dedicated connections and LAGs can join a resiliency group.")


@pytest.fixture(scope="module")
def small():
    srv = Server("--in-memory", "--max-resiliency-groups", "1", "--max-resiliency-group-members", "1").start()
    yield srv
    srv.kill(signal.SIGTERM)


def test_quotas_answer_limit_exceeded(small):
    dx = small.client(OWNER)
    gid = dx.create_resiliency_group(resiliencyGroupName="only", intendedResiliencyModel="basic-resiliency")[
        "resiliencyGroup"]["resiliencyGroupId"]
    with pytest.raises(ClientError) as e:
        dx.create_resiliency_group(resiliencyGroupName="two", intendedResiliencyModel="basic-resiliency")
    assert error(e) == ("LimitExceededException",
                        f"Account {OWNER} has reached its limit of 1 resiliency groups in us-east-1.")
    c1, c2 = connection(dx, "q1"), connection(dx, "q2")
    with pytest.raises(ClientError) as e:
        dx.associate_connections_to_resiliency_group(resiliencyGroupId=gid, connectionIdentifiers=[c1, c2])
    assert error(e)[0] == "LimitExceededException"
    assert dx.list_resiliency_group_associations(resiliencyGroupId=gid)["items"] == []
    dx.associate_connections_to_resiliency_group(resiliencyGroupId=gid, connectionIdentifiers=[c1])
