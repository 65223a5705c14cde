"""Billing modes and ListVirtualInterfaceRoutes through boto3's strict client."""
import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError, ParamValidationError

CCE = "DirectConnectClientException"
VGW = "vgw-aba37db6"


def control(server, method, path, body=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(f"{server.endpoint}{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def error(call, **kwargs):
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    err = e.value.response["Error"]
    return err["Code"], err["Message"]


def test_billing_defaults_and_locations(server):
    dx = server.client("300000000001")
    c = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="c")
    assert c["billingMode"] == "PayAsYouGo"
    lag = dx.create_lag(numberOfConnections=1, location="CSVA1", connectionsBandwidth="100Gbps",
                        lagName="l", billingMode="FlatRateTier5")
    assert lag["billingMode"] == "FlatRateTier5"
    assert [m["billingMode"] for m in lag["connections"]] == ["FlatRateTier5"]
    assert dx.describe_lags(lagId=lag["lagId"])["lags"][0]["billingMode"] == "FlatRateTier5"
    ic = dx.create_interconnect(interconnectName="i", bandwidth="10Gbps", location="EqDC2")
    assert "billingMode" not in ic
    loc = next(l for l in dx.describe_locations()["locations"] if l["locationCode"] == "EqDC2")
    modes = {m["billingMode"]: m for m in loc["availableBillingModes"]}
    assert list(modes) == ["PayAsYouGo"] + [f"FlatRateTier{n}" for n in range(1, 6)]
    assert modes["PayAsYouGo"]["availablePortSpeeds"] == ["1G", "10G", "100G", "400G"]
    assert "includedRegions" not in modes["PayAsYouGo"]
    assert modes["FlatRateTier1"] == {"billingMode": "FlatRateTier1", "availablePortSpeeds": ["10G", "100G"],
                                      "includedRegions": ["us-east-1"]}
    assert "eu-central-1" in modes["FlatRateTier5"]["includedRegions"]
    assert not any(r.startswith("cn-") for r in modes["FlatRateTier5"]["includedRegions"])


def test_update_billing_mode_rules(server):
    acct = "300000000002"
    dx = server.client(acct)
    a = dx.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="a")["connectionId"]
    b = dx.create_connection(location="EqDC2", bandwidth="100Gbps", connectionName="b")["connectionId"]
    slow = dx.create_connection(location="CSVA1", bandwidth="1Gbps", connectionName="s")["connectionId"]

    assert error(dx.update_connections_billing_mode, connectionIds=[a], billingMode="FlatRateTier1") == (
        CCE, f"Connections of account {acct} at location EqDC2 must all be pay-as-you-go or all be flat-rate: "
             f"{b} is billed PayAsYouGo.")
    assert error(dx.update_connections_billing_mode, connectionIds=[slow], billingMode="FlatRateTier1") == (
        CCE, f"Billing mode FlatRateTier1 is not available for {slow} (1Gbps): flat-rate tiers are offered "
             "for 10Gbps and 100Gbps dedicated connections only.")
    out = dx.update_connections_billing_mode(connectionIds=[a, b], billingMode="FlatRateTier2")
    assert out["billingMode"] == "FlatRateTier2"
    assert [(c["connectionId"], c["billingMode"]) for c in out["connections"]] == [
        (a, "FlatRateTier2"), (b, "FlatRateTier2")]

    # 200 ids pass the model's bound (one id, repeated), 201 do not.
    assert len(dx.update_connections_billing_mode(connectionIds=[a] * 200, billingMode="FlatRateTier2")
               ["connections"]) == 1
    assert error(dx.update_connections_billing_mode, connectionIds=[a] * 201, billingMode="FlatRateTier2") == (
        CCE, "1 validation error detected: Value at 'connectionIds' failed to satisfy constraint: "
             "Member must have length less than or equal to 200")
    # botocore itself refuses an empty list.
    with pytest.raises(ParamValidationError):
        dx.update_connections_billing_mode(connectionIds=[], billingMode="FlatRateTier2")

    # Another account sees nothing.
    other = server.client("300000000003")
    assert error(other.update_connections_billing_mode, connectionIds=[a], billingMode="PayAsYouGo") == (
        CCE, f"Could not find Connection with ID {a}")


def test_fourth_change_in_six_months_and_the_clock(server):
    dx = server.client("300000000004")
    a = dx.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="a")["connectionId"]
    for mode in ["FlatRateTier1", "FlatRateTier1", "PayAsYouGo", "FlatRateTier3"]:
        assert dx.update_connections_billing_mode(connectionIds=[a], billingMode=mode)["billingMode"] == mode
    assert error(dx.update_connections_billing_mode, connectionIds=[a], billingMode="FlatRateTier4") == (
        CCE, f"Billing mode of {a} can change at most 3 times in 6 months")
    assert dx.describe_connections(connectionId=a)["connections"][0]["billingMode"] == "FlatRateTier3"
    status, _ = control(server, "POST", "/_dxemu/clock/advance", {"seconds": 183 * 86400})
    assert status == 200
    out = dx.update_connections_billing_mode(connectionIds=[a], billingMode="FlatRateTier4")
    assert out["connections"][0]["billingMode"] == "FlatRateTier4"


def make_vif(dx, vlan=101):
    conn = dx.create_connection(location="EqDC2", bandwidth="10Gbps", connectionName="c")["connectionId"]
    vif = dx.create_private_virtual_interface(connectionId=conn, newPrivateVirtualInterface={
        "virtualInterfaceName": "p", "vlan": vlan, "asn": 65000, "virtualGatewayId": VGW})
    return vif["virtualInterfaceId"]


def test_routes_filters_paging_and_errors(server):
    dx = server.client("300000000005")
    vif = make_vif(dx)
    status, out = control(server, "POST", f"/_dxemu/vifs/{vif}/routes", {"routes": [
        {"cidr": "192.168.0.0/16", "asPath": [65000, 65001], "communities": ["7224:7200", "1:1"]},
        {"cidr": "10.200.0.0/16"}]})
    assert status == 200, out
    full = dx.list_virtual_interface_routes(virtualInterfaceId=vif)
    assert full["virtualInterfaceId"] == vif and "nextToken" not in full
    routes = full["routes"]
    assert [(r["routeDirection"], r["cidr"]) for r in routes][:2] == [
        ("accepted", "10.200.0.0/16"), ("accepted", "192.168.0.0/16")]
    assert len(routes) == 4
    assert routes[1]["asPath"] == [{"pathType": "seq", "path": [65000, 65001]}]
    assert routes[1]["communities"] == ["7224:7200"]
    assert all(r["routeDirection"] == "advertised" and r["asPath"][0]["path"] == [64512] for r in routes[2:])

    def listed(**filters):
        return [r["cidr"] for r in dx.list_virtual_interface_routes(virtualInterfaceId=vif, filters=filters)["routes"]]
    assert listed(routeDirection="accepted", cidrs=["192.168.0.0/16", "10.200.0.0/16"]) == [
        "10.200.0.0/16", "192.168.0.0/16"]
    assert listed(asPath=[65001]) == ["192.168.0.0/16"]
    assert listed(communities=["7224:7200"]) == ["192.168.0.0/16"]
    assert listed(addressFamily="ipv6") == []
    assert listed(routeDirection="advertised", cidrs=["10.200.0.0/16"]) == []

    pages, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        out = dx.list_virtual_interface_routes(virtualInterfaceId=vif, maxResults=3, **kw)
        pages.append(out["routes"])
        token = out.get("nextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [3, 1]
    assert [r for p in pages for r in p] == routes
    assert dx.list_virtual_interface_routes(virtualInterfaceId=vif, maxResults=1000)["routes"] == routes

    assert error(dx.list_virtual_interface_routes) == (CCE, "virtualInterfaceId must be specified.")
    assert error(dx.list_virtual_interface_routes, virtualInterfaceId="dxvif-ffffffff") == (
        CCE, "Virtual interface dxvif-ffffffff does not exist")
    other = server.client("300000000006")
    assert error(other.list_virtual_interface_routes, virtualInterfaceId=vif) == (
        CCE, f"Virtual interface {vif} does not exist")

    # The control call refuses bad input with a 400 and stores nothing.
    for body, text in [
        (b"{oops", None),
        ({"routes": [{"cidr": "10.0.0.0/33"}]}, 'routes[0]: "10.0.0.0/33" is not a CIDR block like 10.0.0.0/16 or 2001:db8::/32'),
        ({"routes": [{"cidr": "10.0.0.0/8"}, {"cidr": "10.0.0.0/8"}]}, "routes[1]: cidr 10.0.0.0/8 is given twice"),
    ]:
        status, out = control(server, "POST", f"/_dxemu/vifs/{vif}/routes", body)
        assert status == 400 and out["error"] == "BadRequest", out
        if text:
            assert out["message"] == text
    status, out = control(server, "POST", "/_dxemu/vifs/dxvif-ffffffff/routes", {"routes": []})
    assert (status, out["message"]) == (400, "Virtual interface dxvif-ffffffff does not exist")
    assert len(dx.list_virtual_interface_routes(virtualInterfaceId=vif)["routes"]) == 4

    # BGP down: no routes.
    control(server, "POST", f"/_dxemu/vifs/{vif}/bgp-status", {"bgpStatus": "down"})
    assert dx.list_virtual_interface_routes(virtualInterfaceId=vif)["routes"] == []


def test_routes_and_change_counts_survive_a_restart(tmp_path):
    import signal

    from conftest import Server

    srv = Server("--data-dir", str(tmp_path)).start()
    dx = srv.client("300000000007")
    vif = make_vif(dx)
    conn = dx.describe_virtual_interfaces(virtualInterfaceId=vif)["virtualInterfaces"][0]["connectionId"]
    status, _ = control(srv, "POST", f"/_dxemu/vifs/{vif}/routes",
                        {"routes": [{"cidr": "10.77.0.0/16", "communities": ["7224:9300"]}]})
    assert status == 200
    before = dx.list_virtual_interface_routes(virtualInterfaceId=vif)["routes"]
    for mode in ["FlatRateTier1", "FlatRateTier2", "FlatRateTier3"]:
        dx.update_connections_billing_mode(connectionIds=[conn], billingMode=mode)
    srv.kill(signal.SIGKILL)

    again = Server("--data-dir", str(tmp_path)).start()
    try:
        dx = again.client("300000000007")
        after = dx.list_virtual_interface_routes(virtualInterfaceId=vif)["routes"]
        assert after == before
        assert after[0]["cidr"] == "10.77.0.0/16" and after[0]["communities"] == ["7224:9300"]
        assert error(dx.update_connections_billing_mode, connectionIds=[conn], billingMode="PayAsYouGo") == (
            CCE, f"Billing mode of {conn} can change at most 3 times in 6 months")
    finally:
        again.kill(signal.SIGTERM)
