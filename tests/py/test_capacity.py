"""Inbound prefix pools and VIF rate limiters through boto3's strict client:
every answer must carry exactly the modeled members, every error a modeled type."""
import signal

import pytest
from botocore.exceptions import ClientError

from conftest import CUSTOMER, PARTNER, Server

VGW = "vgw-aba37db6"
POOL_MEMBERS = ("prefixPoolSizeIpv4", "prefixPoolSizeIpv6",
                "prefixPoolUnallocatedCountIpv4", "prefixPoolUnallocatedCountIpv6")


@pytest.fixture(scope="module")
def srv():
    server = Server("--in-memory", "--max-connections-per-location", "200").start()
    yield server
    server.kill(signal.SIGTERM)


@pytest.fixture
def dx(srv):
    return srv.client(PARTNER)


@pytest.fixture
def other(srv):
    return srv.client(CUSTOMER)


def error(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def pool(resource):
    return tuple(resource.get(m) for m in POOL_MEMBERS)


def connection(dx, bandwidth="10Gbps"):
    return dx.create_connection(location="EqDC2", bandwidth=bandwidth, connectionName="cap")


def described(dx, conn_id):
    return dx.describe_connections(connectionId=conn_id)["connections"][0]


def private(dx, conn_id, vlan, **extra):
    return dx.create_private_virtual_interface(connectionId=conn_id, newPrivateVirtualInterface={
        "virtualInterfaceName": f"v{vlan}", "vlan": vlan, "asn": 65000, "virtualGatewayId": VGW, **extra})


@pytest.mark.parametrize("bandwidth,size", [("1Gbps", 5000), ("10Gbps", 5000), ("100Gbps", 30000), ("400Gbps", 50000)])
def test_pool_size_by_port_speed(dx, bandwidth, size):
    created = connection(dx, bandwidth)
    assert pool(created) == (size, size, size, size)
    assert created["rateLimiterStatus"] == {"maxAllowed": 10, "inUse": 0, "remaining": 10}
    assert pool(described(dx, created["connectionId"])) == (size, size, size, size)


def test_allocations_at_and_past_their_edges(dx):
    conn = connection(dx, "1Gbps")["connectionId"]
    vif = private(dx, conn, 10)
    assert (vif["prefixPoolAllocatedCountIpv4"], vif["prefixPoolAllocatedCountIpv6"]) == (100, 100)
    at_edge = private(dx, conn, 11, prefixPoolAllocatedCountIpv4=1000, prefixPoolAllocatedCountIpv6=0)
    assert (at_edge["prefixPoolAllocatedCountIpv4"], at_edge["prefixPoolAllocatedCountIpv6"]) == (1000, 0)
    with pytest.raises(ClientError) as e:
        private(dx, conn, 12, prefixPoolAllocatedCountIpv4=1001)
    assert error(e) == ("DirectConnectClientException",
                        "prefixPoolAllocatedCountIpv4 1001 exceeds the maximum of 1000 prefixes per address family "
                        "for a virtual interface.")
    for vlan in (12, 13, 14):
        private(dx, conn, vlan, prefixPoolAllocatedCountIpv4=1000, prefixPoolAllocatedCountIpv6=0)
    # 100 + 4 x 1000 = 4100 of 5000 IPv4 taken.
    assert pool(described(dx, conn)) == (5000, 5000, 900, 4900)
    private(dx, conn, 15, prefixPoolAllocatedCountIpv4=900, prefixPoolAllocatedCountIpv6=0)
    assert pool(described(dx, conn)) == (5000, 5000, 0, 4900)
    with pytest.raises(ClientError) as e:
        private(dx, conn, 16, prefixPoolAllocatedCountIpv4=1, prefixPoolAllocatedCountIpv6=0)
    assert error(e) == ("DirectConnectClientException", f"Insufficient unallocated IPv4 prefixes on {conn}")
    # Updates: shrinking frees, growing past the pool fails.
    dx.update_virtual_interface_attributes(virtualInterfaceId=vif["virtualInterfaceId"], prefixPoolAllocatedCountIpv4=0)
    assert pool(described(dx, conn)) == (5000, 5000, 100, 4900)
    with pytest.raises(ClientError) as e:
        dx.update_virtual_interface_attributes(virtualInterfaceId=vif["virtualInterfaceId"],
                                               prefixPoolAllocatedCountIpv4=101)
    assert error(e) == ("DirectConnectClientException", f"Insufficient unallocated IPv4 prefixes on {conn}")
    updated = dx.update_virtual_interface_attributes(virtualInterfaceId=vif["virtualInterfaceId"],
                                                     prefixPoolAllocatedCountIpv4=100, prefixPoolAllocatedCountIpv6=1000)
    assert (updated["prefixPoolAllocatedCountIpv4"], updated["prefixPoolAllocatedCountIpv6"]) == (100, 1000)
    assert pool(described(dx, conn)) == (5000, 5000, 0, 4000)
    # Deleting returns the VIF's prefixes.
    dx.delete_virtual_interface(virtualInterfaceId=at_edge["virtualInterfaceId"])
    assert pool(described(dx, conn)) == (5000, 5000, 1000, 4000)


def test_public_vifs_have_no_allocation(dx):
    conn = connection(dx)["connectionId"]
    public = dx.create_public_virtual_interface(connectionId=conn, newPublicVirtualInterface={
        "virtualInterfaceName": "pub", "vlan": 20, "asn": 65000, "amazonAddress": "203.0.113.1/30",
        "customerAddress": "203.0.113.2/30", "routeFilterPrefixes": [{"cidr": "203.0.113.0/24"}]})
    assert "prefixPoolAllocatedCountIpv4" not in public and "prefixPoolAllocatedCountIpv6" not in public
    assert pool(described(dx, conn)) == (5000, 5000, 5000, 5000)
    with pytest.raises(ClientError) as e:
        dx.update_virtual_interface_attributes(virtualInterfaceId=public["virtualInterfaceId"],
                                               prefixPoolAllocatedCountIpv6=5)
    assert error(e) == ("DirectConnectClientException",
                        f"Prefix pool allocations cannot be set on public virtual interface {public['virtualInterfaceId']}: "
                        "public virtual interfaces keep their limit of 1,000 prefixes.")


def test_hosted_vifs_and_hosted_connections_another_account(dx, other):
    conn = connection(dx)["connectionId"]
    hosted_vif = dx.allocate_transit_virtual_interface(connectionId=conn, ownerAccount=CUSTOMER,
                                                       newTransitVirtualInterfaceAllocation={
                                                           "virtualInterfaceName": "h", "vlan": 30, "asn": 65100,
                                                           "rateLimit": "2.4Gbps"})["virtualInterface"]
    assert (hosted_vif["prefixPoolAllocatedCountIpv4"], hosted_vif["prefixPoolAllocatedCountIpv6"]) == (100, 100)
    assert hosted_vif["rateLimit"] == "2.4Gbps"
    seen = described(dx, conn)
    assert pool(seen) == (5000, 5000, 4900, 4900)
    assert seen["rateLimiterStatus"] == {"maxAllowed": 10, "inUse": 1, "remaining": 9, "totalBandwidth": "2.4Gbps"}
    # The other account sees the VIF with its figures but not the connection.
    mine = other.describe_virtual_interfaces(virtualInterfaceId=hosted_vif["virtualInterfaceId"])["virtualInterfaces"][0]
    assert (mine["prefixPoolAllocatedCountIpv4"], mine["rateLimit"]) == (100, "2.4Gbps")
    with pytest.raises(ClientError) as e:
        other.describe_connections(connectionId=conn)
    assert error(e) == ("DirectConnectClientException", f"Could not find Connection with ID {conn}")
    # The other account owns the VIF: it changes the allocation, from the owner's pool.
    other.update_virtual_interface_attributes(virtualInterfaceId=hosted_vif["virtualInterfaceId"],
                                              prefixPoolAllocatedCountIpv4=1000)
    assert pool(described(dx, conn)) == (5000, 5000, 4000, 4900)
    other.delete_virtual_interface(virtualInterfaceId=hosted_vif["virtualInterfaceId"])
    seen = described(dx, conn)
    assert pool(seen) == (5000, 5000, 5000, 5000)
    assert seen["rateLimiterStatus"] == {"maxAllowed": 10, "inUse": 0, "remaining": 10}

    # Hosted connections and interconnects carry neither pools nor rate limiters.
    ic = dx.create_interconnect(interconnectName="ic", bandwidth="10Gbps", location="EqDC2")
    hosted = dx.allocate_hosted_connection(connectionId=ic["interconnectId"], ownerAccount=CUSTOMER,
                                           bandwidth="500Mbps", connectionName="hc", vlan=31)
    for answer in (hosted, described(other, hosted["connectionId"])):
        assert all(m not in answer for m in POOL_MEMBERS) and "rateLimiterStatus" not in answer
    other.confirm_connection(connectionId=hosted["connectionId"])
    with pytest.raises(ClientError) as e:
        private(other, hosted["connectionId"], 31, rateLimit="100Mbps")
    assert error(e) == ("DirectConnectClientException",
                        "Rate limiters are available only on dedicated connections and LAGs: "
                        f"{hosted['connectionId']} is a hosted connection.")
    # Moving the hosted connection to another interconnect changes nothing of it.
    ic2 = dx.create_interconnect(interconnectName="ic2", bandwidth="10Gbps", location="EqDC2")
    moved = dx.associate_hosted_connection(connectionId=hosted["connectionId"],
                                           parentConnectionId=ic2["interconnectId"])
    assert all(m not in moved for m in POOL_MEMBERS) and "rateLimiterStatus" not in moved


def test_gateway_total_and_its_limit(dx):
    conn = connection(dx, "100Gbps")["connectionId"]
    gw = dx.create_direct_connect_gateway(directConnectGatewayName="cap-gw")["directConnectGateway"]
    assert gw["totalPrefixPoolAllocations"] == 0
    gw_id = gw["directConnectGatewayId"]

    def total():
        return dx.describe_direct_connect_gateways(directConnectGatewayId=gw_id)["directConnectGateways"][0][
            "totalPrefixPoolAllocations"]

    def on_gw(vlan, v4, v6):
        return dx.create_transit_virtual_interface(connectionId=conn, newTransitVirtualInterface={
            "virtualInterfaceName": f"t{vlan}", "vlan": vlan, "asn": 65000, "directConnectGatewayId": gw_id,
            "prefixPoolAllocatedCountIpv4": v4, "prefixPoolAllocatedCountIpv6": v6})["virtualInterface"]

    first = on_gw(40, 1000, 1000)
    assert total() == 2000
    for vlan in (41, 42, 43):
        on_gw(vlan, 1000, 1000)
    # Private VIFs on the same gateway count too.
    dx.create_private_virtual_interface(connectionId=conn, newPrivateVirtualInterface={
        "virtualInterfaceName": "p44", "vlan": 44, "asn": 65000, "directConnectGatewayId": gw_id,
        "prefixPoolAllocatedCountIpv4": 1000, "prefixPoolAllocatedCountIpv6": 1000})
    assert total() == 10000
    with pytest.raises(ClientError) as e:
        dx.create_private_virtual_interface(connectionId=conn, newPrivateVirtualInterface={
            "virtualInterfaceName": "p45", "vlan": 45, "asn": 65000, "directConnectGatewayId": gw_id,
            "prefixPoolAllocatedCountIpv4": 0, "prefixPoolAllocatedCountIpv6": 1})
    assert error(e) == ("DirectConnectClientException",
                        f"Direct Connect Gateway {gw_id} would hold 10001 prefix pool allocations; its limit is 10000.")
    dx.delete_virtual_interface(virtualInterfaceId=first["virtualInterfaceId"])
    assert total() == 8000
    assert dx.update_direct_connect_gateway(directConnectGatewayId=gw_id, newDirectConnectGatewayName="renamed")[
        "directConnectGateway"]["totalPrefixPoolAllocations"] == 8000


def test_lag_pool_members_moves_and_deletes(dx):
    lag = dx.create_lag(numberOfConnections=2, location="EqDC2", connectionsBandwidth="10Gbps", lagName="cap-lag")
    lag_id = lag["lagId"]
    members = [c["connectionId"] for c in lag["connections"]]
    seen = dx.describe_lags(lagId=lag_id)["lags"][0]
    assert pool(seen) == (10000, 10000, 10000, 10000)
    assert [pool(c) for c in seen["connections"]] == [(5000, 5000, 5000, 5000)] * 2
    for vlan in range(50, 56):
        private(dx, lag_id, vlan, prefixPoolAllocatedCountIpv4=1000, prefixPoolAllocatedCountIpv6=0)
    assert pool(dx.describe_lags(lagId=lag_id)["lags"][0]) == (10000, 10000, 4000, 10000)
    shrink = (f"Connection {members[0]} cannot leave {lag_id}: its prefix pool would shrink to 5000 prefixes per "
              "address family, below the 6000 IPv4 and 0 IPv6 prefixes allocated to its virtual interfaces.")
    with pytest.raises(ClientError) as e:
        dx.disassociate_connection_from_lag(connectionId=members[0], lagId=lag_id)
    assert error(e) == ("DirectConnectClientException", shrink)
    with pytest.raises(ClientError) as e:
        dx.delete_connection(connectionId=members[0])
    assert error(e) == ("DirectConnectClientException", shrink)
    # A third port joins (its VIF along): the pool grows by one port.
    third = connection(dx)["connectionId"]
    private(dx, third, 60)
    joined = dx.associate_connection_with_lag(connectionId=third, lagId=lag_id)
    assert pool(joined) == (5000, 5000, 5000, 5000)
    assert pool(dx.describe_lags(lagId=lag_id)["lags"][0]) == (15000, 15000, 8900, 14900)
    # Now a member may leave (10,000 >= 6,100), and be deleted.
    left = dx.disassociate_connection_from_lag(connectionId=members[0], lagId=lag_id)
    assert pool(left) == (5000, 5000, 5000, 5000)
    assert pool(dx.describe_lags(lagId=lag_id)["lags"][0]) == (10000, 10000, 3900, 9900)
    deleted = dx.delete_connection(connectionId=members[0])
    assert deleted["connectionState"] == "deleted" and pool(deleted) == (5000, 5000, 5000, 5000)
    # The rate limit of a LAG VIF reaches the LAG's bandwidth (2 x 10G), no further.
    private(dx, lag_id, 70, rateLimit="20Gbps", prefixPoolAllocatedCountIpv4=0, prefixPoolAllocatedCountIpv6=0)
    with pytest.raises(ClientError) as e:
        private(dx, lag_id, 71, rateLimit="21Gbps", prefixPoolAllocatedCountIpv4=0, prefixPoolAllocatedCountIpv6=0)
    assert error(e) == ("DirectConnectClientException", f"rateLimit 21Gbps exceeds the bandwidth 20Gbps of {lag_id}.")
    status = dx.describe_lags(lagId=lag_id)["lags"][0]["rateLimiterStatus"]
    assert status == {"maxAllowed": 10, "inUse": 1, "remaining": 9, "totalBandwidth": "20Gbps"}


def test_rate_limit_values_and_the_eleventh(dx):
    conn = connection(dx, "1Gbps")["connectionId"]
    for bad in ("1000Mbps", "1.0Gbps", "1gbps", "0Mbps"):
        with pytest.raises(ClientError) as e:
            private(dx, conn, 80, rateLimit=bad)
        code, msg = error(e)
        assert code == "DirectConnectClientException"
        assert msg.startswith(f"rateLimit {bad} is not valid. Valid values: 50Mbps, 100Mbps, 200Mbps,")
    with pytest.raises(ClientError) as e:
        private(dx, conn, 80, rateLimit="1.2Gbps")
    assert error(e) == ("DirectConnectClientException", f"rateLimit 1.2Gbps exceeds the bandwidth 1Gbps of {conn}.")
    vifs = [private(dx, conn, 80 + n, rateLimit="1Gbps" if n == 0 else "50Mbps",
                    prefixPoolAllocatedCountIpv4=0, prefixPoolAllocatedCountIpv6=0) for n in range(10)]
    assert described(dx, conn)["rateLimiterStatus"] == {
        "maxAllowed": 10, "inUse": 10, "remaining": 0, "totalBandwidth": "1.45Gbps"}
    with pytest.raises(ClientError) as e:
        private(dx, conn, 95, rateLimit="50Mbps")
    assert error(e) == ("LimitExceededException", f"The rate limiter limit has been exceeded for {conn}")
    with pytest.raises(ClientError) as e:
        dx.create_public_virtual_interface(connectionId=conn, newPublicVirtualInterface={
            "virtualInterfaceName": "pub", "vlan": 96, "asn": 65000, "amazonAddress": "203.0.113.5/30",
            "customerAddress": "203.0.113.6/30", "routeFilterPrefixes": [{"cidr": "203.0.113.0/24"}],
            "rateLimit": "100Mbps"})
    assert error(e) == ("LimitExceededException", f"The rate limiter limit has been exceeded for {conn}")
    with pytest.raises(ClientError) as e:
        dx.allocate_private_virtual_interface(connectionId=conn, ownerAccount=CUSTOMER,
                                              newPrivateVirtualInterfaceAllocation={
                                                  "virtualInterfaceName": "h", "vlan": 97, "asn": 65000,
                                                  "rateLimit": "100Mbps"})
    assert error(e) == ("LimitExceededException", f"The rate limiter limit has been exceeded for {conn}")
    # Update: an unlimited VIF cannot take an 11th limiter (a client error there).
    free = private(dx, conn, 98, prefixPoolAllocatedCountIpv4=0, prefixPoolAllocatedCountIpv6=0)
    with pytest.raises(ClientError) as e:
        dx.update_virtual_interface_attributes(virtualInterfaceId=free["virtualInterfaceId"], rateLimit="50Mbps")
    assert error(e) == ("DirectConnectClientException", f"The rate limiter limit has been exceeded for {conn}")
    # Clearing with "Unlimited" frees one; then it fits.
    cleared = dx.update_virtual_interface_attributes(virtualInterfaceId=vifs[0]["virtualInterfaceId"],
                                                     rateLimit="Unlimited")
    assert "rateLimit" not in cleared
    assert described(dx, conn)["rateLimiterStatus"] == {
        "maxAllowed": 10, "inUse": 9, "remaining": 1, "totalBandwidth": "450Mbps"}
    limited = dx.update_virtual_interface_attributes(virtualInterfaceId=free["virtualInterfaceId"], rateLimit="1Gbps")
    assert limited["rateLimit"] == "1Gbps"
    assert described(dx, conn)["rateLimiterStatus"] == {
        "maxAllowed": 10, "inUse": 10, "remaining": 0, "totalBandwidth": "1.45Gbps"}


def test_associate_connection_with_lag_refuses_the_eleventh_limiter(dx):
    lag = dx.create_lag(numberOfConnections=1, location="EqDC2", connectionsBandwidth="1Gbps", lagName="rl-lag")
    lag_id = lag["lagId"]
    for vlan in range(100, 109):
        private(dx, lag_id, vlan, rateLimit="100Mbps", prefixPoolAllocatedCountIpv4=0, prefixPoolAllocatedCountIpv6=0)
    joining = connection(dx, "1Gbps")["connectionId"]
    for vlan in (200, 201):
        private(dx, joining, vlan, rateLimit="50Mbps", prefixPoolAllocatedCountIpv4=0, prefixPoolAllocatedCountIpv6=0)
    with pytest.raises(ClientError) as e:
        dx.associate_connection_with_lag(connectionId=joining, lagId=lag_id)
    assert error(e) == ("LimitExceededException", f"The rate limiter limit has been exceeded for {lag_id}")
    # The failed join changed nothing.
    assert dx.describe_lags(lagId=lag_id)["lags"][0]["numberOfConnections"] == 1
    assert described(dx, joining)["rateLimiterStatus"]["inUse"] == 2
    one = dx.describe_virtual_interfaces(connectionId=joining)["virtualInterfaces"][0]
    dx.delete_virtual_interface(virtualInterfaceId=one["virtualInterfaceId"])
    dx.associate_connection_with_lag(connectionId=joining, lagId=lag_id)
    assert dx.describe_lags(lagId=lag_id)["lags"][0]["rateLimiterStatus"] == {
        "maxAllowed": 10, "inUse": 10, "remaining": 0, "totalBandwidth": "950Mbps"}


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DXEMU_MAX_RATE_LIMITED_VIFS", "1")
    monkeypatch.setenv("DXEMU_MAX_PREFIX_ALLOCATION", "4000")
    server = Server("--in-memory").start()
    try:
        dx = server.client(PARTNER)
        conn = connection(dx, "1Gbps")
        assert conn["rateLimiterStatus"] == {"maxAllowed": 1, "inUse": 0, "remaining": 1}
        vif = private(dx, conn["connectionId"], 10, prefixPoolAllocatedCountIpv4=4000, rateLimit="50Mbps")
        assert vif["prefixPoolAllocatedCountIpv4"] == 4000
        with pytest.raises(ClientError) as e:
            private(dx, conn["connectionId"], 11, prefixPoolAllocatedCountIpv4=4001)
        assert error(e) == ("DirectConnectClientException",
                            "prefixPoolAllocatedCountIpv4 4001 exceeds the maximum of 4000 prefixes per address family "
                            "for a virtual interface.")
        with pytest.raises(ClientError) as e:
            private(dx, conn["connectionId"], 11, rateLimit="50Mbps")
        assert error(e) == ("LimitExceededException",
                            f"The rate limiter limit has been exceeded for {conn['connectionId']}")
    finally:
        server.kill(signal.SIGTERM)
