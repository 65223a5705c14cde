"""Acknowledged writes survive SIGKILL: the server restarts on the same data directory."""
import signal
import subprocess

from conftest import Server, binary


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
        assert listed[ids[4]]["connectionState"] == "deleted"
        assert dx.describe_connections(connectionId=ids[4])["connections"][0]["connectionState"] == "deleted"
        assert all(listed[i]["connectionState"] == "available" for i in ids[:4])
        assert dx.describe_tags(resourceArns=[arn])["resourceTags"][0]["tags"] == [{"key": "kept", "value": "yes"}]
        assert dx.describe_lags(lagId=lag["lagId"])["lags"][0]["lagName"] == "kept"
        # New ids never repeat old ones.
        new = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName="new")["connectionId"]
        assert new not in ids
    finally:
        again.kill(signal.SIGTERM)


def test_a_second_server_on_the_same_data_dir_is_refused(tmp_path):
    srv = Server("--data-dir", str(tmp_path)).start()
    try:
        second = subprocess.run([binary(), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path)],
                                capture_output=True, text=True, timeout=30)
        assert second.returncode != 0
        assert "in use by another dxemu process" in second.stderr + second.stdout
        # The first one is unharmed.
        dx = srv.client("121212121212")
        assert dx.describe_connections()["connections"] == []
    finally:
        srv.kill(signal.SIGTERM)


# ---------------------------------------------------------------- connection suite


def test_connections_and_tags_survive_sigkill(tmp_path):
    from dxemu_harness import ACCOUNT_A, ACCOUNT_B, DxServer, unique

    data = tmp_path / "data"
    data.mkdir()
    first = DxServer("--data-dir", str(data)).start()
    try:
        dx = first.client(ACCOUNT_A)
        created = {}
        for i, bw in enumerate(["1Gbps", "10Gbps", "100Gbps", "1Gbps", "400Gbps"]):
            c = dx.create_connection(location="EqDC2", bandwidth=bw, connectionName=unique(f"persist{i}"))
            created[c["connectionId"]] = c
        ids = list(created)
        arn = f"arn:aws:directconnect:us-east-1:{ACCOUNT_A}:dxcon/{ids[0]}"
        dx.tag_resource(resourceArn=arn, tags=[{"key": "Env", "value": "prod"}, {"key": "Owner", "value": "net"}])
        renamed = unique("renamed")
        dx.update_connection(connectionId=ids[1], connectionName=renamed)
        issued = dx.describe_loa(connectionId=ids[2]) and dx.describe_connections(connectionId=ids[2])[
            "connections"][0]["loaIssueTime"]
        other = first.client(ACCOUNT_B).create_connection(location="EqDC2", bandwidth="1Gbps",
                                                          connectionName="b-conn")["connectionId"]
        first.kill()  # SIGKILL: no graceful shutdown
        assert first.proc.returncode == -9
    finally:
        first.close()

    second = DxServer("--data-dir", str(data)).start()
    try:
        dx = second.client(ACCOUNT_A)
        listed = {c["connectionId"]: c for c in dx.describe_connections()["connections"]}
        assert set(listed) == set(ids), (sorted(listed), sorted(ids))
        for cid, before in created.items():
            after = listed[cid]
            assert after["connectionState"] == "available"
            assert after["bandwidth"] == before["bandwidth"]
            assert after["location"] == "EqDC2"
            assert after["ownerAccount"] == ACCOUNT_A
            expected_name = renamed if cid == ids[1] else before["connectionName"]
            assert after["connectionName"] == expected_name
        tags = dx.describe_tags(resourceArns=[arn])["resourceTags"]
        assert len(tags) == 1
        assert {t["key"]: t.get("value") for t in tags[0]["tags"]} == {"Env": "prod", "Owner": "net"}
        assert {t["key"]: t.get("value") for t in listed[ids[0]]["tags"]} == {"Env": "prod", "Owner": "net"}
        assert listed[ids[2]]["loaIssueTime"] == issued
        # The other account's connection survived and is still only theirs.
        b_ids = [c["connectionId"] for c in second.client(ACCOUNT_B).describe_connections()["connections"]]
        assert b_ids == [other]
        # The restarted server keeps working and never reuses an id.
        new = dx.create_connection(location="EqDC2", bandwidth="1Gbps", connectionName=unique("new"))["connectionId"]
        assert new not in ids and new != other
    finally:
        second.close()
