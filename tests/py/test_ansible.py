"""Ansible's community.aws Direct Connect modules against dxemu: a playbook
with directconnect_connection, directconnect_link_aggregation_group,
directconnect_virtual_interface and directconnect_gateway creates what it
names, and running it again changes nothing (idempotent, changed=0)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PLAYBOOK = Path(__file__).resolve().parents[1] / "ansible" / "directconnect.yml"


def playbook_command() -> str | None:
    beside = Path(sys.executable).parent / "ansible-playbook"
    return str(beside) if beside.exists() else shutil.which("ansible-playbook")


def run(cmd: str, endpoint: str, tmp_path: Path) -> dict:
    env = {
        **os.environ,
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "true",
    }
    out = subprocess.run([cmd, str(PLAYBOOK), "-e", f"endpoint={endpoint}"],
                         capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out.stdout)
    assert recap, out.stdout[-2000:]
    ok, changed, unreachable, failed = map(int, recap.groups())
    return {"ok": ok, "changed": changed, "unreachable": unreachable, "failed": failed}


def test_playbook_creates_then_changes_nothing(server, tmp_path):
    cmd = playbook_command()
    if cmd is None:
        if os.environ.get("CI"):
            pytest.fail("ansible-playbook is missing (pip install -r tests/py/requirements.txt)")
        pytest.skip("ansible-playbook is missing (pip install -r tests/py/requirements.txt)")
    first = run(cmd, server.endpoint, tmp_path)
    assert first == {"ok": 4, "changed": 4, "unreachable": 0, "failed": 0}, first
    again = run(cmd, server.endpoint, tmp_path)
    assert again == {"ok": 4, "changed": 0, "unreachable": 0, "failed": 0}, again
    # What the modules made is what any client sees, once.
    dx = server.client()
    names = [c["connectionName"] for c in dx.describe_connections()["connections"]]
    assert names.count("ans-conn") == 1, names
    assert [l["lagName"] for l in dx.describe_lags()["lags"]].count("ans-lag") == 1
    vifs = [v for v in dx.describe_virtual_interfaces()["virtualInterfaces"] if v["virtualInterfaceName"] == "ans-vif"]
    assert len(vifs) == 1 and vifs[0]["vlan"] == 101
    gws = [g for g in dx.describe_direct_connect_gateways()["directConnectGateways"]
           if g["directConnectGatewayName"] == "ans-gw"]
    assert len(gws) == 1 and gws[0]["amazonSideAsn"] == 64512
