"""VIFs, BGP peers and Direct Connect gateways across two accounts, through boto3's strict client."""
import pytest
from botocore.exceptions import ClientError

from conftest import CUSTOMER, PARTNER


def message(excinfo):
    return excinfo.value.response["Error"]["Message"]


@pytest.fixture
def host(partner):
    return partner.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="vif-host")["connectionId"]


def test_private_and_transit_vifs_attach_to_gateways(partner, host):
    gw = partner.create_direct_connect_gateway(directConnectGatewayName="gw", amazonSideAsn=64600)["directConnectGateway"]
    assert gw["directConnectGatewayState"] == "pending" and gw["amazonSideAsn"] == 64600
    gw_id = gw["directConnectGatewayId"]
    vif = partner.create_private_virtual_interface(connectionId=host, newPrivateVirtualInterface={
        "virtualInterfaceName": "p", "vlan": 11, "asn": 65000, "directConnectGatewayId": gw_id})
    assert vif["virtualInterfaceState"] == "pending" and vif["amazonSideAsn"] == 64600
    assert vif["virtualGatewayId"] == "" and vif["directConnectGatewayId"] == gw_id
    att = partner.describe_direct_connect_gateway_attachments(directConnectGatewayId=gw_id)
    assert [(a["virtualInterfaceId"], a["attachmentState"], a["attachmentType"])
            for a in att["directConnectGatewayAttachments"]] == [(vif["virtualInterfaceId"], "attached", "PrivateVirtualInterface")]
    with pytest.raises(ClientError) as e:
        partner.delete_direct_connect_gateway(directConnectGatewayId=gw_id)
    assert "virtual interfaces" in message(e)
    transit_gw = partner.create_direct_connect_gateway(directConnectGatewayName="tgw", amazonSideAsn=4200000001)
    t = partner.create_transit_virtual_interface(connectionId=host, newTransitVirtualInterface={
        "virtualInterfaceName": "t", "vlan": 12, "asn": 65000, "mtu": 8500,
        "directConnectGatewayId": transit_gw["directConnectGateway"]["directConnectGatewayId"]})["virtualInterface"]
    assert t["virtualInterfaceType"] == "transit" and t["mtu"] == 8500
    with pytest.raises(ClientError) as e:
        partner.create_transit_virtual_interface(connectionId=host, newTransitVirtualInterface={
            "virtualInterfaceName": "t2", "vlan": 13, "asn": 65000, "mtu": 9001,
            "directConnectGatewayId": transit_gw["directConnectGateway"]["directConnectGatewayId"]})
    assert "mtu 9001" in message(e)
    assert partner.delete_virtual_interface(virtualInterfaceId=vif["virtualInterfaceId"])["virtualInterfaceState"] == "deleting"
    assert partner.describe_direct_connect_gateway_attachments(directConnectGatewayId=gw_id)["directConnectGatewayAttachments"] == []
    assert partner.delete_direct_connect_gateway(directConnectGatewayId=gw_id)["directConnectGateway"][
        "directConnectGatewayState"] == "deleting"
    assert partner.describe_direct_connect_gateways(directConnectGatewayId=gw_id)["directConnectGateways"] == []


def test_hosted_transit_vif_and_cross_account_proposal(server, partner, customer, host):
    alloc = partner.allocate_transit_virtual_interface(connectionId=host, ownerAccount=CUSTOMER,
                                                       newTransitVirtualInterfaceAllocation={
                                                           "virtualInterfaceName": "h", "vlan": 21, "asn": 65100})
    vif = alloc["virtualInterface"]
    assert vif["virtualInterfaceState"] == "confirming" and vif["ownerAccount"] == CUSTOMER
    cgw = customer.create_direct_connect_gateway(directConnectGatewayName="customer-gw")["directConnectGateway"]
    assert cgw["amazonSideAsn"] == 64512
    confirmed = customer.confirm_transit_virtual_interface(virtualInterfaceId=vif["virtualInterfaceId"],
                                                           directConnectGatewayId=cgw["directConnectGatewayId"])
    assert confirmed["virtualInterfaceState"] == "pending"
    seen = customer.describe_virtual_interfaces(virtualInterfaceId=vif["virtualInterfaceId"])["virtualInterfaces"][0]
    assert seen["virtualInterfaceState"] == "available" and seen["directConnectGatewayId"] == cgw["directConnectGatewayId"]
    # The partner can see it too; a third account cannot.
    assert partner.describe_virtual_interfaces(virtualInterfaceId=vif["virtualInterfaceId"])["virtualInterfaces"]
    assert server.client("999999999999").describe_virtual_interfaces(
        virtualInterfaceId=vif["virtualInterfaceId"])["virtualInterfaces"] == []

    # The partner proposes its TGW to the customer's gateway; the customer accepts once.
    proposal = partner.create_direct_connect_gateway_association_proposal(
        directConnectGatewayId=cgw["directConnectGatewayId"], directConnectGatewayOwnerAccount=CUSTOMER,
        gatewayId="tgw-0123456789abcdef1",
        addAllowedPrefixesToDirectConnectGateway=[{"cidr": "10.1.0.0/16"}])["directConnectGatewayAssociationProposal"]
    assert proposal["proposalState"] == "requested"
    listed = customer.describe_direct_connect_gateway_association_proposals(
        directConnectGatewayId=cgw["directConnectGatewayId"])["directConnectGatewayAssociationProposals"]
    assert [p["proposalId"] for p in listed] == [proposal["proposalId"]]
    accepted = customer.accept_direct_connect_gateway_association_proposal(
        directConnectGatewayId=cgw["directConnectGatewayId"], proposalId=proposal["proposalId"],
        associatedGatewayOwnerAccount=PARTNER)["directConnectGatewayAssociation"]
    assert accepted["associationState"] == "associating"
    with pytest.raises(ClientError) as e:
        customer.accept_direct_connect_gateway_association_proposal(
            directConnectGatewayId=cgw["directConnectGatewayId"], proposalId=proposal["proposalId"],
            associatedGatewayOwnerAccount=PARTNER)
    assert message(e) == "Direct Connect Gateway Association Proposal  has been accepted!"
    for who in (partner, customer):
        assoc = who.describe_direct_connect_gateway_associations(associationId=accepted["associationId"])
        assert assoc["directConnectGatewayAssociations"][0]["associationState"] == "associated"


def test_bgp_failover_and_router_configuration(partner, host):
    vif = partner.create_private_virtual_interface(connectionId=host, newPrivateVirtualInterface={
        "virtualInterfaceName": "f", "vlan": 31, "asn": 65000, "virtualGatewayId": "vgw-0a0b0c0d"})
    vif_id = vif["virtualInterfaceId"]
    partner.describe_virtual_interfaces(virtualInterfaceId=vif_id)
    peer = partner.create_bgp_peer(virtualInterfaceId=vif_id, newBGPPeer={"asn": 65001, "addressFamily": "ipv6"})
    assert len(peer["virtualInterface"]["bgpPeers"]) == 2
    test = partner.start_bgp_failover_test(virtualInterfaceId=vif_id, testDurationInMinutes=10)["virtualInterfaceTest"]
    assert test["status"] == "in_progress" and test["ownerAccount"] == PARTNER
    during = partner.describe_virtual_interfaces(virtualInterfaceId=vif_id)["virtualInterfaces"][0]
    assert during["virtualInterfaceState"] == "testing"
    assert {p["bgpStatus"] for p in during["bgpPeers"]} == {"down"}
    stopped = partner.stop_bgp_failover_test(virtualInterfaceId=vif_id)["virtualInterfaceTest"]
    assert stopped["status"] == "cancelled" and "endTime" in stopped
    history = partner.list_virtual_interface_test_history(virtualInterfaceId=vif_id)["virtualInterfaceTestHistory"]
    assert [h["testId"] for h in history] == [test["testId"]]
    cfg = partner.describe_router_configuration(virtualInterfaceId=vif_id,
                                                routerTypeIdentifier="JuniperNetworksInc-MMXSeriesRouters-JunOS95")
    assert "vlan-id 31" in cfg["customerRouterConfig"] and cfg["router"]["vendor"] == "Juniper Networks, Inc."
    assert any(g["virtualGatewayId"] == "vgw-0a0b0c0d" for g in partner.describe_virtual_gateways()["virtualGateways"])
