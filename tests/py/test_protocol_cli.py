"""The AWS CLI, and the dxcheck coverage report, against a running server."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import SHARED

ISSUE_OPERATIONS = [
    # connections, tags, MACsec, customer (foundation)
    "CreateConnection", "DescribeConnections", "UpdateConnection", "DeleteConnection", "DescribeLoa",
    "DescribeConnectionLoa", "DescribeLocations", "TagResource", "UntagResource", "DescribeTags",
    "AssociateMacSecKey", "DisassociateMacSecKey", "ConfirmCustomerAgreement", "DescribeCustomerMetadata",
    # LAGs, interconnects, hosted connections
    "CreateLag", "DescribeLags", "UpdateLag", "DeleteLag", "AssociateConnectionWithLag",
    "DisassociateConnectionFromLag", "CreateInterconnect", "DescribeInterconnects", "DeleteInterconnect",
    "DescribeInterconnectLoa", "AllocateHostedConnection", "AllocateConnectionOnInterconnect",
    "AssociateHostedConnection", "DescribeHostedConnections", "DescribeConnectionsOnInterconnect",
    "ConfirmConnection",
]


def test_dxcheck_coverage(server):
    out = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "dxcheck.py"), "coverage", "--endpoint", server.endpoint,
         "--access-key", "888888888888"],
        capture_output=True, text=True, timeout=120,
    ).stdout
    verdicts = {line.split(" ", 2)[1].rstrip(":"): line.split(" ", 1)[0] for line in out.splitlines()
                if line.startswith(("PASS", "FAIL"))}
    assert len(verdicts) == 63, out
    failing = [op for op in ISSUE_OPERATIONS if verdicts.get(op) != "PASS"]
    assert not failing, out


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_aws_cli(server, tmp_path):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "999999999999", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}

    def aws(*args):
        out = subprocess.run(["aws", "directconnect", *args, "--endpoint-url", server.endpoint, "--output", "json"],
                             env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else {}

    created = aws("create-connection", "--location", "EqDC2", "--bandwidth", "1Gbps", "--connection-name", "cli")
    assert created["connectionState"] == "requested"
    listed = aws("describe-connections")["connections"]
    assert [c["connectionId"] for c in listed] == [created["connectionId"]]
    assert isinstance(listed[0]["jumboFrameCapable"], bool)
    assert any(l["locationCode"] == "EqDC2" for l in aws("describe-locations")["locations"])
    loa = aws("describe-loa", "--connection-id", created["connectionId"])
    import base64
    assert base64.b64decode(loa["loaContent"]).startswith(b"%PDF-")
