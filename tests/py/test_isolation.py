"""Account isolation across every operation that names a resource.

Account A (a partner) builds one of everything: connections, a LAG, an
interconnect with a hosted connection, private and transit VIFs with an extra
BGP peer and a failover test, a gateway with an association, a proposal made
to it, tags. Account B then calls every operation of the model that takes a
resource id with A's ids. Each call must either be refused with a modeled
client error or answer without any of A's ids in it, and A's whole state (the
control API's export) must be byte-for-byte unchanged afterwards. The same
holds for A itself in another region, for the region-scoped families. The
test also checks that its table covers every such operation of the model.
"""
from __future__ import annotations

import json
import signal
import urllib.request

import botocore.session
import pytest
from botocore.exceptions import ClientError

from conftest import Server

A, B, C = "616161616161", "626262626262", "636363636363"
ID_MEMBERS = {"connectionId", "lagId", "interconnectId", "virtualInterfaceId", "directConnectGatewayId",
              "associationId", "proposalId", "resourceArn", "resourceArns", "bgpPeerId", "secretARN",
              "parentConnectionId", "testId"}
# Operations that reach into another account by design: a proposal is made to
# another account's gateway (checked in test_sharing_only_where_aws_shares).
CROSS_ACCOUNT_BY_DESIGN = {"CreateDirectConnectGatewayAssociationProposal"}
MODELED = {"DirectConnectClientException", "DuplicateTagKeysException", "TooManyTagsException"}


def export(srv: Server) -> list:
    with urllib.request.urlopen(f"{srv.endpoint}/_dxemu/state") as r:
        return json.loads(r.read())["resources"]


@pytest.fixture(scope="module")
def world():
    srv = Server("--in-memory", "--partner", f"{A}=A Fibre").start()
    a = srv.client(A)
    ids = {}
    ids["conn"] = a.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="a1",
                                      tags=[{"key": "secret", "value": "a"}])["connectionId"]
    ids["conn2"] = a.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="a2")["connectionId"]
    ids["lag"] = a.create_lag(numberOfConnections=1, location="EqDC2", connectionsBandwidth="1Gbps",
                              lagName="alag")["lagId"]
    ids["ic"] = a.create_interconnect(interconnectName="aic", bandwidth="10Gbps", location="EqDC2")["interconnectId"]
    ids["hosted"] = a.allocate_hosted_connection(connectionId=ids["ic"], ownerAccount=C, bandwidth="500Mbps",
                                                 connectionName="h", vlan=300)["connectionId"]
    vif = a.create_private_virtual_interface(connectionId=ids["conn"], newPrivateVirtualInterface={
        "virtualInterfaceName": "avif", "vlan": 10, "asn": 65000, "virtualGatewayId": "vgw-0a1b2c3d"})
    ids["vif"] = vif["virtualInterfaceId"]
    peer = a.create_bgp_peer(virtualInterfaceId=ids["vif"], newBGPPeer={"asn": 65001, "addressFamily": "ipv6"})
    ids["peer"] = [p["bgpPeerId"] for p in peer["virtualInterface"]["bgpPeers"]][-1]
    ids["test"] = a.start_bgp_failover_test(virtualInterfaceId=ids["vif"])["virtualInterfaceTest"]["testId"]
    ids["gw"] = a.create_direct_connect_gateway(directConnectGatewayName="agw")["directConnectGateway"][
        "directConnectGatewayId"]
    ids["tvif"] = a.create_transit_virtual_interface(connectionId=ids["conn2"], newTransitVirtualInterface={
        "virtualInterfaceName": "atvif", "vlan": 11, "asn": 65002, "directConnectGatewayId": ids["gw"]})[
        "virtualInterface"]["virtualInterfaceId"]
    ids["gw2"] = a.create_direct_connect_gateway(directConnectGatewayName="agw2")["directConnectGateway"][
        "directConnectGatewayId"]
    ids["assoc"] = a.create_direct_connect_gateway_association(
        directConnectGatewayId=ids["gw2"], virtualGatewayId="vgw-0a1b2c3d")["directConnectGatewayAssociation"][
        "associationId"]
    ids["proposal"] = srv.client(C).create_direct_connect_gateway_association_proposal(
        directConnectGatewayId=ids["gw2"], directConnectGatewayOwnerAccount=A, gatewayId="vgw-0c0c0c0c")[
        "directConnectGatewayAssociationProposal"]["proposalId"]
    ids["arn"] = f"arn:aws:directconnect:us-east-1:{A}:dxcon/{ids['conn']}"
    yield srv, ids
    srv.kill(signal.SIGTERM)


def calls(i: dict) -> list[tuple[str, dict]]:
    """Every operation that names a resource, aimed at A's resources."""
    secret = "arn:aws:secretsmanager:us-east-1:616161616161:secret:dx-abc"
    return [
        ("AcceptDirectConnectGatewayAssociationProposal", dict(directConnectGatewayId=i["gw2"], proposalId=i["proposal"], associatedGatewayOwnerAccount=C)),
        ("AllocateConnectionOnInterconnect", dict(bandwidth="500Mbps", connectionName="x", ownerAccount=B, interconnectId=i["ic"], vlan=301)),
        ("AllocateHostedConnection", dict(connectionId=i["ic"], ownerAccount=B, bandwidth="500Mbps", connectionName="x", vlan=302)),
        ("AllocatePrivateVirtualInterface", dict(connectionId=i["conn"], ownerAccount=B, newPrivateVirtualInterfaceAllocation={"virtualInterfaceName": "x", "vlan": 20, "asn": 65000})),
        ("AllocatePublicVirtualInterface", dict(connectionId=i["conn"], ownerAccount=B, newPublicVirtualInterfaceAllocation={"virtualInterfaceName": "x", "vlan": 21, "asn": 65000, "addressFamily": "ipv6"})),
        ("AllocateTransitVirtualInterface", dict(connectionId=i["conn"], ownerAccount=B, newTransitVirtualInterfaceAllocation={"virtualInterfaceName": "x", "vlan": 22, "asn": 65000})),
        ("AssociateConnectionWithLag", dict(connectionId=i["conn2"], lagId=i["lag"])),
        ("AssociateHostedConnection", dict(connectionId=i["hosted"], parentConnectionId=i["conn"])),
        ("AssociateMacSecKey", dict(connectionId=i["conn"], secretARN=secret)),
        ("AssociateVirtualInterface", dict(virtualInterfaceId=i["vif"], connectionId=i["conn2"])),
        ("ConfirmConnection", dict(connectionId=i["hosted"])),
        ("ConfirmPrivateVirtualInterface", dict(virtualInterfaceId=i["vif"], virtualGatewayId="vgw-0a1b2c3d")),
        ("ConfirmPublicVirtualInterface", dict(virtualInterfaceId=i["vif"])),
        ("ConfirmTransitVirtualInterface", dict(virtualInterfaceId=i["tvif"], directConnectGatewayId=i["gw"])),
        ("CreateBGPPeer", dict(virtualInterfaceId=i["vif"], newBGPPeer={"asn": 65009, "addressFamily": "ipv4"})),
        ("CreateConnection", dict(location="EqDC2", bandwidth="1Gbps", connectionName="x", lagId=i["lag"])),
        ("CreateDirectConnectGatewayAssociation", dict(directConnectGatewayId=i["gw"], virtualGatewayId="vgw-0f0f0f0f")),
        ("CreateInterconnect", dict(interconnectName="x", bandwidth="10Gbps", location="EqDC2", lagId=i["lag"])),
        ("CreateLag", dict(numberOfConnections=1, location="EqDC2", connectionsBandwidth="1Gbps", lagName="x", connectionId=i["conn"])),
        ("CreatePrivateVirtualInterface", dict(connectionId=i["conn"], newPrivateVirtualInterface={"virtualInterfaceName": "x", "vlan": 23, "asn": 65000, "virtualGatewayId": "vgw-0a1b2c3d"})),
        ("CreatePublicVirtualInterface", dict(connectionId=i["conn"], newPublicVirtualInterface={"virtualInterfaceName": "x", "vlan": 24, "asn": 65000, "addressFamily": "ipv6"})),
        ("CreateTransitVirtualInterface", dict(connectionId=i["conn"], newTransitVirtualInterface={"virtualInterfaceName": "x", "vlan": 25, "asn": 65000, "directConnectGatewayId": i["gw"]})),
        ("DeleteBGPPeer", dict(virtualInterfaceId=i["vif"], bgpPeerId=i["peer"])),
        ("DeleteConnection", dict(connectionId=i["conn"])),
        ("DeleteDirectConnectGateway", dict(directConnectGatewayId=i["gw"])),
        ("DeleteDirectConnectGatewayAssociation", dict(associationId=i["assoc"])),
        ("DeleteDirectConnectGatewayAssociationProposal", dict(proposalId=i["proposal"])),
        ("DeleteInterconnect", dict(interconnectId=i["ic"])),
        ("DeleteLag", dict(lagId=i["lag"])),
        ("DeleteVirtualInterface", dict(virtualInterfaceId=i["vif"])),
        ("DescribeConnectionLoa", dict(connectionId=i["conn"])),
        ("DescribeConnections", dict(connectionId=i["conn"])),
        ("DescribeConnections", dict()),
        ("DescribeConnectionsOnInterconnect", dict(interconnectId=i["ic"])),
        ("DescribeDirectConnectGatewayAssociationProposals", dict(directConnectGatewayId=i["gw2"])),
        ("DescribeDirectConnectGatewayAssociationProposals", dict(proposalId=i["proposal"])),
        ("DescribeDirectConnectGatewayAssociations", dict(associationId=i["assoc"])),
        ("DescribeDirectConnectGatewayAssociations", dict(directConnectGatewayId=i["gw2"])),
        ("DescribeDirectConnectGatewayAttachments", dict(directConnectGatewayId=i["gw"])),
        ("DescribeDirectConnectGatewayAttachments", dict(virtualInterfaceId=i["tvif"])),
        ("DescribeDirectConnectGateways", dict(directConnectGatewayId=i["gw"])),
        ("DescribeDirectConnectGateways", dict()),
        ("DescribeHostedConnections", dict(connectionId=i["ic"])),
        ("DescribeInterconnectLoa", dict(interconnectId=i["ic"])),
        ("DescribeInterconnects", dict(interconnectId=i["ic"])),
        ("DescribeInterconnects", dict()),
        ("DescribeLags", dict(lagId=i["lag"])),
        ("DescribeLags", dict()),
        ("DescribeLoa", dict(connectionId=i["conn"])),
        ("DescribeRouterConfiguration", dict(virtualInterfaceId=i["vif"])),
        ("DescribeTags", dict(resourceArns=[i["arn"]])),
        ("DescribeVirtualInterfaces", dict(virtualInterfaceId=i["vif"])),
        ("DescribeVirtualInterfaces", dict(connectionId=i["conn"])),
        ("DescribeVirtualInterfaces", dict()),
        ("DescribeVirtualGateways", dict()),
        ("DisassociateConnectionFromLag", dict(connectionId=i["conn2"], lagId=i["lag"])),
        ("DisassociateMacSecKey", dict(connectionId=i["conn"], secretARN=secret)),
        ("ListVirtualInterfaceTestHistory", dict(virtualInterfaceId=i["vif"])),
        ("ListVirtualInterfaceTestHistory", dict(testId=i["test"])),
        ("ListVirtualInterfaceRoutes", dict(virtualInterfaceId=i["vif"])),
        ("UpdateConnectionsBillingMode", dict(connectionIds=[i["conn"], i["lag"]], billingMode="PayAsYouGo")),
        ("StartBgpFailoverTest", dict(virtualInterfaceId=i["vif"])),
        ("StopBgpFailoverTest", dict(virtualInterfaceId=i["vif"])),
        ("TagResource", dict(resourceArn=i["arn"], tags=[{"key": "pwned", "value": "1"}])),
        ("UntagResource", dict(resourceArn=i["arn"], tagKeys=["secret"])),
        ("UpdateConnection", dict(connectionId=i["conn"], connectionName="pwned")),
        ("UpdateDirectConnectGateway", dict(directConnectGatewayId=i["gw"], newDirectConnectGatewayName="pwned")),
        ("UpdateDirectConnectGatewayAssociation", dict(associationId=i["assoc"], addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.9.0.0/16"}])),
        ("UpdateLag", dict(lagId=i["lag"], lagName="pwned")),
        ("UpdateVirtualInterfaceAttributes", dict(virtualInterfaceId=i["vif"], virtualInterfaceName="pwned")),
    ]


def secrets(i: dict) -> set[str]:
    return {v for k, v in i.items() if k != "arn"}


def attack(client, table, hidden: set[str]) -> list[str]:
    """Runs every call; returns what leaked or succeeded where it must not."""
    problems = []
    for op, params in table:
        method = getattr(client, botocore.xform_name(op))
        try:
            out = method(**params)
        except ClientError as e:
            code = e.response["Error"]["Code"]
            status = e.response["ResponseMetadata"]["HTTPStatusCode"]
            if code not in MODELED or status != 400:
                problems.append(f"{op}: {code} {status}")
            continue
        out.pop("ResponseMetadata", None)
        leaked = [s for s in hidden if s in json.dumps(out, default=str)]
        if leaked:
            problems.append(f"{op}({params}) answered with {leaked}")
    return problems


def test_the_table_covers_every_operation_that_names_a_resource(world):
    _, ids = world
    model = botocore.session.get_session().get_service_model("directconnect")
    naming = {op for op in model.operation_names
              if (shape := model.operation_model(op).input_shape) is not None
              and ID_MEMBERS & set(shape.members)}
    assert naming - {op for op, _ in calls(ids)} == CROSS_ACCOUNT_BY_DESIGN


def test_another_account_can_neither_see_nor_change(world):
    srv, ids = world
    before = export(srv)
    problems = attack(srv.client(B), calls(ids), secrets(ids))
    assert problems == []
    assert export(srv) == before, "B's calls changed A's state"


def test_the_same_account_in_another_region_sees_nothing_regional(world):
    srv, ids = world
    before = export(srv)
    regional = {k: v for k, v in ids.items() if k not in ("gw", "gw2", "assoc", "proposal")}
    table = [(op, p) for op, p in calls(ids)
             if "Gateway" not in op and "directConnectGatewayId" not in json.dumps(p)]
    problems = attack(srv.client(A, region="eu-west-1"), table, secrets(regional))
    assert problems == []
    assert export(srv) == before


def test_sharing_only_where_aws_shares(world):
    srv, ids = world
    c = srv.client(C)
    # The customer sees the hosted connection the partner allocated to it, and its own proposal.
    hosted = c.describe_connections(connectionId=ids["hosted"])["connections"][0]
    assert hosted["ownerAccount"] == C and hosted["connectionState"] == "ordering"
    proposals = c.describe_direct_connect_gateway_association_proposals(proposalId=ids["proposal"])
    assert [p["proposalId"] for p in proposals["directConnectGatewayAssociationProposals"]] == [ids["proposal"]]
    # The gateway owner sees the proposal made to it; the partner sees its hosted connection.
    a = srv.client(A)
    assert a.describe_direct_connect_gateway_association_proposals(directConnectGatewayId=ids["gw2"])[
        "directConnectGatewayAssociationProposals"]
    assert [h["connectionId"] for h in a.describe_hosted_connections(connectionId=ids["ic"])["connections"]] == [
        ids["hosted"]]
    # The customer still cannot touch the partner's interconnect or the gateway.
    with pytest.raises(ClientError):
        c.describe_interconnects(interconnectId=ids["ic"])["interconnects"][0]
    assert c.describe_direct_connect_gateways(directConnectGatewayId=ids["gw2"])["directConnectGateways"] == []
