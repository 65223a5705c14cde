"""LAGs, interconnects and hosted connections across two accounts, through boto3's strict client."""
import pytest
from botocore.exceptions import ClientError

from conftest import CUSTOMER, PARTNER


def test_lag_lifecycle(server):
    dx = server.client("777777777777")
    lag = dx.create_lag(numberOfConnections=2, location="EqDC2", connectionsBandwidth="10Gbps", lagName="l",
                        childConnectionTags=[{"key": "member", "value": "yes"}])
    lag_id = lag["lagId"]
    assert lag["lagState"] == "pending" and len(lag["connections"]) == 2
    assert lag["connections"][0]["connectionName"] == f"Requested Connection 1 for Lag {lag_id}"
    described = dx.describe_lags(lagId=lag_id)["lags"][0]
    assert described["lagState"] == "available"
    assert described["numberOfConnections"] == 2
    member = described["connections"][0]["connectionId"]
    out = dx.disassociate_connection_from_lag(connectionId=member, lagId=lag_id)
    assert "lagId" not in out
    assert dx.associate_connection_with_lag(connectionId=member, lagId=lag_id)["lagId"] == lag_id
    assert dx.update_lag(lagId=lag_id, minimumLinks=1)["minimumLinks"] == 1
    deleted = dx.delete_lag(lagId=lag_id)
    assert deleted["lagState"] == "deleted" and deleted["connections"] == []
    with pytest.raises(ClientError) as e:
        dx.delete_lag(lagId="dxlag-fzzzzzzz")
    assert "Could not find Lag with ID" in e.value.response["Error"]["Message"]


def test_hosted_connection_between_partner_and_customer(partner, customer):
    ic = partner.create_interconnect(interconnectName="ix", bandwidth="10Gbps", location="EqDC2")
    assert ic["interconnectState"] == "requested"
    ic_id = ic["interconnectId"]
    assert partner.describe_interconnects(interconnectId=ic_id)["interconnects"][0]["interconnectState"] == "available"
    hc = partner.allocate_hosted_connection(connectionId=ic_id, ownerAccount=CUSTOMER, bandwidth="500Mbps",
                                            connectionName="hc", vlan=300)
    assert hc["connectionState"] == "ordering" and hc["ownerAccount"] == CUSTOMER and hc["vlan"] == 300
    seen = customer.describe_connections(connectionId=hc["connectionId"])["connections"][0]
    assert seen["partnerName"] and seen["connectionState"] == "ordering"
    on_ic = partner.describe_hosted_connections(connectionId=ic_id)["connections"]
    assert [c["connectionId"] for c in on_ic] == [hc["connectionId"]]
    assert customer.confirm_connection(connectionId=hc["connectionId"])["connectionState"] == "pending"
    state = customer.describe_connections(connectionId=hc["connectionId"])["connections"][0]["connectionState"]
    assert state == "available"
    with pytest.raises(ClientError) as e:
        customer.confirm_connection(connectionId=hc["connectionId"])
    assert e.value.response["Error"]["Message"] == f"ConfirmConnection failed. {hc['connectionId']} is in state available"
    with pytest.raises(ClientError) as e:
        customer.describe_hosted_connections(connectionId=ic_id)
    assert "DescribeHostedConnections failed" in e.value.response["Error"]["Message"]
    assert partner.delete_connection(connectionId=hc["connectionId"])["connectionState"] == "deleted"
    assert partner.delete_interconnect(interconnectId=ic_id)["interconnectState"] == "deleted"
