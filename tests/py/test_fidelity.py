"""Answers as AWS answered them (issue 17), through boto3's strict client: AWS's
error texts, the members AWS leaves out, device members, CreateBGPPeer."""
import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import PARTNER

CCE = "DirectConnectClientException"


def error(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def force(server, kind, rid, state):
    req = urllib.request.Request(
        f"{server.endpoint}/_dxemu/resources/{kind}/{rid}/state",
        data=json.dumps({"state": state}).encode(), method="POST")
    with urllib.request.urlopen(req) as r:
        assert r.status == 200


@pytest.mark.parametrize("call, kwargs, message", [
    ("describe_connections", {"connectionId": "fake-connection"},
     "Connection ID fake-connection has an invalid format."),
    ("describe_lags", {"lagId": "doesntexist"}, "Lag ID doesntexist has an invalid format."),
    ("delete_lag", {"lagId": "dxlag-1"}, "Lag ID dxlag-1 has an invalid format."),
    ("describe_interconnects", {"interconnectId": "ic"}, "Interconnect ID ic has an invalid format."),
    ("delete_virtual_interface", {"virtualInterfaceId": "vif-1"},
     "Virtual interface ID vif-1 has an invalid format."),
    ("describe_direct_connect_gateway_associations", {"associationId": "ga-1"},
     "Association ID has an invalid format."),
    ("delete_direct_connect_gateway", {"directConnectGatewayId": "dxcon-myid"},
     "DirectConnectGatewayID dxcon-myid has an invalid format."),
    ("delete_direct_connect_gateway_association_proposal", {"proposalId": "p-1"},
     "Proposal ID p-1 has an invalid format."),
    # Well-formed ids that name nothing keep the not-found texts.
    ("describe_connections", {"connectionId": "dxcon-fzzzzzzz"},
     "Could not find Connection with ID dxcon-fzzzzzzz"),
    ("describe_lags", {"lagId": "dxlag-fzzzzzzz"}, "Could not find Lag with ID dxlag-fzzzzzzz"),
    ("delete_virtual_interface", {"virtualInterfaceId": "dxvif-fzzzzzzz"},
     "Virtual interface dxvif-fzzzzzzz does not exist"),
])
def test_malformed_and_unknown_ids(partner, call, kwargs, message):
    with pytest.raises(ClientError) as e:
        getattr(partner, call)(**kwargs)
    assert error(e) == (CCE, message)


def test_lag_texts_the_ansible_module_matches_and_omitted_members(server):
    dx = server.client("333333333333")
    lag = dx.create_lag(numberOfConnections=2, location="EqDC2", connectionsBandwidth="10Gbps", lagName="l")
    lag_id = lag["lagId"]
    assert "allowsHostedConnections" not in lag
    for m in lag["connections"]:
        assert m["connectionState"] == "requested"
        assert not {"awsDevice", "awsDeviceV2", "awsLogicalDeviceId"} & set(m), m
    described = dx.describe_lags(lagId=lag_id)["lags"][0]
    assert "allowsHostedConnections" not in described
    with pytest.raises(ClientError) as e:
        dx.update_lag(lagId=lag_id, minimumLinks=3)
    assert error(e) == (CCE, f"MinimumLinks cannot be set higher than the number of connections in Lag {lag_id} (2).")
    dx.create_private_virtual_interface(connectionId=lag_id, newPrivateVirtualInterface={
        "virtualInterfaceName": "v", "vlan": 101, "asn": 65000, "virtualGatewayId": "vgw-aba37db6"})
    with pytest.raises(ClientError) as e:
        dx.delete_lag(lagId=lag_id)
    assert error(e) == (CCE, f"Lag {lag_id} cannot be deleted until its Virtual Interfaces are deleted.")


def test_proposal_for_a_new_association_has_no_existing_prefixes(partner, customer):
    gw = partner.create_direct_connect_gateway(directConnectGatewayName="g")["directConnectGateway"]
    p = customer.create_direct_connect_gateway_association_proposal(
        directConnectGatewayId=gw["directConnectGatewayId"], directConnectGatewayOwnerAccount=PARTNER,
        gatewayId="tgw-0000000000000beef",
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.1.0.0/16"}])["directConnectGatewayAssociationProposal"]
    assert "existingAllowedPrefixesToDirectConnectGateway" not in p
    assert p["requestedAllowedPrefixesToDirectConnectGateway"] == [{"cidr": "10.1.0.0/16"}]


def test_eqse2_is_accepted_in_us_west_2(server):
    dx = server.client("444444444444", "us-west-2")
    conn = dx.create_connection(location="EqSe2", bandwidth="1Gbps", connectionName="sea")
    assert conn["location"] == "EqSe2" and conn["connectionState"] == "requested"
    assert not {"awsDevice", "awsDeviceV2", "awsLogicalDeviceId"} & set(conn), conn
    seen = dx.describe_connections(connectionId=conn["connectionId"])["connections"][0]
    devices = [seen["awsDevice"], seen["awsDeviceV2"], seen["awsLogicalDeviceId"]]
    assert all(d.startswith("EqSe2-") for d in devices) and len(set(devices)) == 3, seen


def test_create_bgp_peer_keeps_the_vif_available(server):
    dx = server.client("555555555555")
    conn = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")["connectionId"]
    vif = dx.create_private_virtual_interface(connectionId=conn, newPrivateVirtualInterface={
        "virtualInterfaceName": "v", "vlan": 101, "asn": 65000,
        "virtualGatewayId": "vgw-aba37db6"})["virtualInterfaceId"]
    out = dx.create_bgp_peer(virtualInterfaceId=vif, newBGPPeer={"asn": 65001, "addressFamily": "ipv6"})
    answered = out["virtualInterface"]
    assert answered["virtualInterfaceState"] == "available"
    assert [(p["addressFamily"], p["bgpPeerState"]) for p in answered["bgpPeers"]] == [
        ("ipv4", "available"), ("ipv6", "pending")]
    read = dx.describe_virtual_interfaces(virtualInterfaceId=vif)["virtualInterfaces"][0]
    assert read["virtualInterfaceState"] == "available"
    # Instant mode: the new peer is already up on the next read.
    assert [(p["bgpPeerState"], p["bgpStatus"]) for p in read["bgpPeers"]] == [
        ("available", "up"), ("available", "up")]


def test_a_connection_forced_down_takes_its_vif_down(server):
    dx = server.client("666666666666")
    conn = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")["connectionId"]
    vif = dx.create_private_virtual_interface(connectionId=conn, newPrivateVirtualInterface={
        "virtualInterfaceName": "v", "vlan": 101, "asn": 65000,
        "virtualGatewayId": "vgw-aba37db6"})["virtualInterfaceId"]

    def seen():
        v = dx.describe_virtual_interfaces(virtualInterfaceId=vif)["virtualInterfaces"][0]
        return v["virtualInterfaceState"], v["bgpPeers"][0]["bgpStatus"]

    assert seen() == ("available", "up")
    force(server, "connection", conn, "down")
    assert seen() == ("down", "down")
    force(server, "connection", conn, "available")
    assert seen() == ("available", "up")


def test_allocating_a_vif_to_the_port_owner_is_refused(partner):
    conn = partner.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")["connectionId"]
    with pytest.raises(ClientError) as e:
        partner.allocate_private_virtual_interface(connectionId=conn, ownerAccount=PARTNER,
                                                   newPrivateVirtualInterfaceAllocation={
                                                       "virtualInterfaceName": "x", "vlan": 20, "asn": 65000})
    assert error(e) == (CCE, "Cannot allocate VirtualInterface for the connection owner.")
