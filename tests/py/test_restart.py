"""Acknowledged writes survive SIGKILL: the server restarts on the same data directory."""
import signal

from conftest import Server


def test_state_survives_sigkill(tmp_path):
    srv = Server("--data-dir", str(tmp_path)).start()
    dx = srv.client("121212121212")
    ids = [dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=f"r{i}")["connectionId"]
           for i in range(5)]
    arn = f"arn:aws:directconnect:us-east-1:121212121212:dxcon/{ids[0]}"
    dx.tag_resource(resourceArn=arn, tags=[{"key": "kept", "value": "yes"}])
    lag = dx.create_lag(numberOfConnections=1, location="CSVA1", connectionsBandwidth="1Gbps", lagName="kept")
    dx.delete_connection(connectionId=ids[4])
    srv.kill(signal.SIGKILL)

    again = Server("--data-dir", str(tmp_path)).start()
    try:
        dx = again.client("121212121212")
        listed = {c["connectionId"]: c for c in dx.describe_connections()["connections"]}
        assert set(ids[:4]) <= set(listed)
        assert ids[4] not in listed
        assert dx.describe_connections(connectionId=ids[4])["connections"][0]["connectionState"] == "deleted"
        assert all(listed[i]["connectionState"] == "available" for i in ids[:4])
        assert dx.describe_tags(resourceArns=[arn])["resourceTags"][0]["tags"] == [{"key": "kept", "value": "yes"}]
        assert dx.describe_lags(lagId=lag["lagId"])["lags"][0]["lagName"] == "kept"
        # New ids never repeat old ones.
        new = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="new")["connectionId"]
        assert new not in ids
    finally:
        again.kill(signal.SIGTERM)
