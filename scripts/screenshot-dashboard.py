#!/usr/bin/env python3
"""Takes the README's dashboard screenshot (docs/dashboard.png).

Starts target/debug/dxemu in manual lifecycle mode, builds a small estate in
two accounts through the AWS API (connections, a LAG, a gateway with an
association, VIFs, a hosted connection awaiting its owner, a deleted
connection) and the control API (states), and photographs /_dxemu/ui and
one VIF's detail view in headless Chromium. Needs `cargo build`, boto3, selenium,
chromium and chromium-driver.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "py"))

import boto3  # noqa: E402

import dashboard_browser  # noqa: E402

OUT = REPO / "docs" / "dashboard.png"
DETAIL_OUT = REPO / "docs" / "dashboard-detail.png"
VGW = "vgw-0a1b2c3d"


def client(endpoint: str, account: str, region: str):
    return boto3.client(
        "directconnect",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=account,
        aws_secret_access_key="secret",
    )


def force(endpoint: str, kind: str, rid: str, *states: str) -> None:
    for state in states:
        req = urllib.request.Request(
            f"{endpoint}/_dxemu/resources/{kind}/{rid}/state",
            data=json.dumps({"state": state}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(req) as r:
            assert r.status == 200


def build_estate(endpoint: str) -> str:
    """Builds the estate; the id of a VIF worth a detail view."""
    dx = client(endpoint, "111111111111", "us-east-1")
    conn = lambda name: dx.create_connection(  # noqa: E731
        location="EqDC2", bandwidth="10Gbps", connectionName=name
    )["connectionId"]
    primary, secondary, loa, new = conn("dc-primary"), conn("dc-secondary"), conn("dc-loa"), conn("dc-new")
    force(endpoint, "connection", primary, "pending", "available")
    force(endpoint, "connection", secondary, "pending", "available")
    force(endpoint, "connection", loa, "pending")
    lag = dx.create_lag(
        location="EqDC2", connectionsBandwidth="10Gbps", numberOfConnections=2, lagName="lag-core"
    )
    force(endpoint, "lag", lag["lagId"], "available")
    for member in lag.get("connections", []):
        force(endpoint, "connection", member["connectionId"], "pending", "available")
    gw = dx.create_direct_connect_gateway(directConnectGatewayName="dxgw-prod", amazonSideAsn=64512)[
        "directConnectGateway"
    ]["directConnectGatewayId"]
    force(endpoint, "gateway", gw, "available")
    assoc = dx.create_direct_connect_gateway_association(directConnectGatewayId=gw, gatewayId=VGW)[
        "directConnectGatewayAssociation"
    ]["associationId"]
    force(endpoint, "gateway-association", assoc, "associated")
    app = dx.create_private_virtual_interface(
        connectionId=primary,
        newPrivateVirtualInterface={
            "virtualInterfaceName": "vif-app",
            "vlan": 101,
            "asn": 65000,
            "directConnectGatewayId": gw,
        },
    )["virtualInterfaceId"]
    force(endpoint, "vif", app, "available")
    dx.create_private_virtual_interface(
        connectionId=lag["lagId"],
        newPrivateVirtualInterface={
            "virtualInterfaceName": "vif-lag",
            "vlan": 102,
            "asn": 65000,
            "directConnectGatewayId": gw,
        },
    )
    force(endpoint, "connection", secondary, "down")
    dx.tag_resource(
        resourceArn=f"arn:aws:directconnect:us-east-1:111111111111:dxcon/{primary}",
        tags=[{"key": "team", "value": "network"}, {"key": "env", "value": "prod"}],
    )
    # Deleted: hidden by default, not counted.
    dx.delete_connection(connectionId=new)
    # A partner's interconnect with a hosted connection awaiting its owner.
    ic = dx.create_interconnect(interconnectName="ix-partner", bandwidth="10Gbps", location="EqDC2")[
        "interconnectId"
    ]
    force(endpoint, "interconnect", ic, "pending", "available")
    dx.allocate_hosted_connection(
        connectionId=ic, ownerAccount="222222222222", bandwidth="500Mbps", connectionName="hosted-for-eu", vlan=300
    )

    eu = client(endpoint, "222222222222", "eu-west-1")
    edge = eu.create_connection(location="EIRCL", bandwidth="1Gbps", connectionName="eu-edge")["connectionId"]
    force(endpoint, "connection", edge, "pending", "available")
    vif = eu.create_private_virtual_interface(
        connectionId=edge,
        newPrivateVirtualInterface={
            "virtualInterfaceName": "vif-eu",
            "vlan": 200,
            "asn": 65010,
            "virtualGatewayId": VGW,
        },
    )["virtualInterfaceId"]
    force(endpoint, "vif", vif, "available")
    return app


def main() -> int:
    reason = dashboard_browser.missing()
    if reason:
        print(f"cannot take the screenshot: {reason}", file=sys.stderr)
        return 1
    binary = os.environ.get("DXEMU_BIN", str(REPO / "target" / "debug" / "dxemu"))
    proc = subprocess.Popen(
        [binary, "serve", "--in-memory", "--listen", "127.0.0.1:0", "--lifecycle", "manual"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        endpoint = line.removeprefix("dxemu listening on ")
        detail = build_estate(endpoint)
        driver = dashboard_browser.chromium(width=1400, height=900)
        try:
            driver.get(f"{endpoint}/_dxemu/ui")
            time.sleep(0.5)
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1400, height + 140)
            time.sleep(0.5)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            driver.find_element("tag name", "body").screenshot(str(OUT))
            driver.set_window_size(1400, 900)
            driver.get(f"{endpoint}/_dxemu/ui/resource/vif/{detail}")
            time.sleep(0.5)
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1400, min(height, 1800) + 140)
            time.sleep(0.5)
            driver.find_element("tag name", "body").screenshot(str(DETAIL_OUT))
        finally:
            dashboard_browser.close(driver)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"wrote {OUT.relative_to(REPO)} and {DETAIL_OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
