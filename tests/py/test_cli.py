"""The AWS CLI (`aws directconnect ... --endpoint-url`) against dxemu."""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess

import pytest

from dxemu_harness import ACCOUNT_A, CONNECTION_ID_RE, dxserver, unique  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(
    shutil.which("aws") is None, reason="the AWS CLI (`aws`) is not on PATH; install awscli to run these tests"
)


@pytest.fixture(scope="module")
def aws(dxserver, tmp_path_factory):
    home = tmp_path_factory.mktemp("awscli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=ACCOUNT_A,
        AWS_SECRET_ACCESS_KEY="x",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        AWS_MAX_ATTEMPTS="1",
        AWS_PAGER="",
    )

    def run(*args: str):
        cmd = ["aws", "directconnect", *args, "--endpoint-url", dxserver.endpoint, "--output", "json"]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}"
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    return run


def test_cli_connection_flow(aws):
    name = unique("cli")
    created = aws("create-connection", "--location", "EqDC2", "--bandwidth", "1Gbps", "--connection-name", name)
    cid = created["connectionId"]
    assert re.match(CONNECTION_ID_RE, cid)
    assert created["connectionState"] == "requested"
    assert created["ownerAccount"] == ACCOUNT_A
    assert created["connectionName"] == name

    by_id = aws("describe-connections", "--connection-id", cid)["connections"]
    assert len(by_id) == 1 and by_id[0]["connectionState"] == "available"
    assert by_id[0]["bandwidth"] == "1Gbps" and by_id[0]["location"] == "EqDC2"
    assert isinstance(by_id[0]["jumboFrameCapable"], bool)
    listed = [c["connectionId"] for c in aws("describe-connections")["connections"]]
    assert cid in listed

    loa = aws("describe-loa", "--connection-id", cid)
    assert loa["loaContentType"] == "application/pdf"
    assert base64.b64decode(loa["loaContent"]).startswith(b"%PDF-")
    after = aws("describe-connections", "--connection-id", cid)["connections"][0]
    assert "loaIssueTime" in after

    deleted = aws("delete-connection", "--connection-id", cid)
    assert deleted["connectionState"] == "deleted"
    # Listed as deleted for a while, as AWS does.
    assert [c["connectionState"] for c in aws("describe-connections")["connections"]
            if c["connectionId"] == cid] == ["deleted"]


def test_cli_describe_locations(aws):
    locs = {loc["locationCode"]: loc for loc in aws("describe-locations")["locations"]}
    assert "EqDC2" in locs
    assert "400G" in locs["EqDC2"]["availablePortSpeeds"]
    assert all(loc["region"] == "us-east-1" for loc in locs.values())
