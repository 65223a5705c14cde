"""An example test project that uses only what `pip install dxemu` gives: the
pytest plugin's fixtures and the `dxemu` package. scripts/test builds the
wheel, installs it into a fresh virtualenv and runs this file there, away
from the repository's own test suite."""
import botocore.exceptions
import pytest

import dxemu


def test_a_connection_round_trip(dxemu_client):
    dx = dxemu_client("111111111111")
    made = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="from-the-plugin")
    assert made["connectionState"] == "requested"
    got = dx.describe_connections(connectionId=made["connectionId"])["connections"][0]
    assert got["connectionName"] == "from-the-plugin"
    assert got["ownerAccount"] == "111111111111"


def test_accounts_are_apart(dxemu_client):
    mine = dxemu_client("222222222222").create_connection(
        location="EqDC2", bandwidth="1Gbps", connectionName="mine")["connectionId"]
    other = dxemu_client("333333333333")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other.describe_connections(connectionId=mine)
    assert e.value.response["Error"]["Code"] == "DirectConnectClientException"


def test_the_endpoint_fixture_names_the_server(dxemu_endpoint, dxemu_server):
    assert dxemu_endpoint == dxemu_server.endpoint
    assert dxemu_endpoint.startswith("http://127.0.0.1:")


def test_control_helpers_drive_the_physical_world():
    # A server of its own, in manual mode: AWS's steps happen when told.
    with dxemu.Server(lifecycle="manual") as srv:
        dx = srv.client("444444444444")
        cid = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="m")["connectionId"]
        state = lambda: dx.describe_connections(connectionId=cid)["connections"][0]["connectionState"]
        assert state() == "requested"
        srv.force_state(cid, "pending")
        srv.force_state(cid, "available")
        assert state() == "available"
        before = srv.clock()["nowMs"]
        srv.advance(3600)
        assert srv.clock()["nowMs"] >= before + 3600 * 1000
        with pytest.raises(dxemu.ControlError) as e:
            srv.force_state(cid, "requested")
        assert e.value.status == 409


def test_faults_and_partners(dxemu_server, dxemu_client):
    dxemu_server.register_partner("555555555555", "Example Fibre")
    dxemu_server.inject_fault(effect="server-error", operations=["DescribeLocations"], count=1)
    dx = dxemu_client("555555555555")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        dx.describe_locations()
    assert e.value.response["Error"]["Code"] == "DirectConnectServerException"
    assert dx.describe_locations()["locations"], "the fault fired once"
