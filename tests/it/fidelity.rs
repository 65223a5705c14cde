//! Answers as AWS answered them: fidelity to recorded AWS responses (issue 17).

use crate::common::*;
use serde_json::{Value, json};

async fn call(srv: &TestServer, op: &str, body: Value) -> (u16, Value) {
    raw_call(srv, OWNER, "us-east-1", op, body).await
}

fn client_error(out: &(u16, Value), message: &str) {
    assert_eq!(out.0, 400, "{}", out.1);
    assert_eq!(out.1["__type"], "DirectConnectClientException", "{}", out.1);
    assert_eq!(out.1["message"], message, "{}", out.1);
}

/// A private VIF (with its one BGP peer) on a new connection; the VIF's id.
async fn vif(srv: &TestServer) -> String {
    let dx = srv.owner();
    let conn = connection_at(&dx, "EqDC2", "host").await;
    let out = call(
        srv,
        "CreatePrivateVirtualInterface",
        json!({"connectionId": conn, "newPrivateVirtualInterface": {
            "virtualInterfaceName": "v", "vlan": 101, "asn": 65000,
            "virtualGatewayId": "vgw-aba37db6"}}),
    )
    .await;
    assert_eq!(out.0, 200, "{}", out.1);
    out.1["virtualInterfaceId"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn malformed_ids_have_an_invalid_format_and_well_formed_unknown_ids_are_not_found() {
    let srv = TestServer::start().await;
    let gw = "5f294f92-bafb-4011-916d-9b0bd0a1b2c3";
    let cases: Vec<(&str, Value, &str)> = vec![
        // Recorded from AWS (community.aws placebo recordings).
        (
            "DescribeConnections",
            json!({"connectionId": "fake-connection"}),
            "Connection ID fake-connection has an invalid format.",
        ),
        (
            "DescribeLags",
            json!({"lagId": "doesntexist"}),
            "Lag ID doesntexist has an invalid format.",
        ),
        (
            "DeleteConnection",
            json!({"connectionId": "dxlag-fabcdefg"}),
            "Connection ID dxlag-fabcdefg has an invalid format.",
        ),
        (
            "UpdateLag",
            json!({"lagId": "dxlag-short", "lagName": "x"}),
            "Lag ID dxlag-short has an invalid format.",
        ),
        (
            "DescribeInterconnects",
            json!({"interconnectId": "ic-1"}),
            "Interconnect ID ic-1 has an invalid format.",
        ),
        (
            "DeleteVirtualInterface",
            json!({"virtualInterfaceId": "my-vif"}),
            "Virtual interface ID my-vif has an invalid format.",
        ),
        (
            "DescribeDirectConnectGatewayAssociations",
            json!({"associationId": "ga-1"}),
            "Association ID has an invalid format.",
        ),
        (
            "DeleteDirectConnectGateway",
            json!({"directConnectGatewayId": "dxcon-myid"}),
            "DirectConnectGatewayID dxcon-myid has an invalid format.",
        ),
        (
            "DeleteDirectConnectGatewayAssociationProposal",
            json!({"proposalId": "proposal-1"}),
            "Proposal ID proposal-1 has an invalid format.",
        ),
        // Well-formed ids that name nothing keep the not-found texts.
        (
            "DescribeConnections",
            json!({"connectionId": "dxcon-fzzzzzzz"}),
            "Could not find Connection with ID dxcon-fzzzzzzz",
        ),
        (
            "DescribeLags",
            json!({"lagId": "dxlag-fzzzzzzz"}),
            "Could not find Lag with ID dxlag-fzzzzzzz",
        ),
        (
            "DescribeInterconnects",
            json!({"interconnectId": "dxcon-fzzzzzzz"}),
            "Could not find Interconnect with ID dxcon-fzzzzzzz",
        ),
        (
            "DeleteVirtualInterface",
            json!({"virtualInterfaceId": "dxvif-fzzzzzzz"}),
            "Virtual interface dxvif-fzzzzzzz does not exist",
        ),
        (
            "DeleteDirectConnectGateway",
            json!({"directConnectGatewayId": gw}),
            "Direct Connect Gateway 5f294f92-bafb-4011-916d-9b0bd0a1b2c3 does not exist",
        ),
        (
            "DeleteDirectConnectGatewayAssociationProposal",
            json!({"proposalId": gw}),
            "Direct Connect Gateway Association Proposal 5f294f92-bafb-4011-916d-9b0bd0a1b2c3 is not found",
        ),
        (
            "DisassociateConnectionFromLag",
            json!({"connectionId": "dxcon-fzzzzzzz", "lagId": "dxlag-fzzzzzzz"}),
            "Connection does not exist: dxcon-fzzzzzzz",
        ),
        (
            "DisassociateConnectionFromLag",
            json!({"connectionId": "bad", "lagId": "dxlag-fzzzzzzz"}),
            "Connection ID bad has an invalid format.",
        ),
    ];
    for (op, body, message) in cases {
        let out = call(&srv, op, body.clone()).await;
        assert_eq!(out.1["message"], message, "{op} {body}");
        client_error(&out, message);
    }

    // BGP peers: a malformed peer id, and a well-formed one that is not on the VIF.
    let v = vif(&srv).await;
    client_error(
        &call(
            &srv,
            "DeleteBGPPeer",
            json!({"virtualInterfaceId": v, "bgpPeerId": "peer-1"}),
        )
        .await,
        "BGP peer ID peer-1 has an invalid format.",
    );
    client_error(
        &call(
            &srv,
            "DeleteBGPPeer",
            json!({"virtualInterfaceId": v, "bgpPeerId": "dxpeer-fzzzzzzz"}),
        )
        .await,
        &format!("The BGP peer does not exist on virtual interface {v}."),
    );
    client_error(
        &call(
            &srv,
            "StartBgpFailoverTest",
            json!({"virtualInterfaceId": v, "bgpPeers": ["nope"]}),
        )
        .await,
        "BGP peer ID nope has an invalid format.",
    );
}
