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
    let conn = connection_at(&srv.owner(), "EqDC2", "host").await;
    vif_on(srv, &conn).await
}

/// A private VIF (with its one BGP peer) on `conn`; the VIF's id.
async fn vif_on(srv: &TestServer, conn: &str) -> String {
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

async fn server(mode: &str) -> TestServer {
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.lifecycle = mode.into();
    TestServer::start_with(args).await
}

const DEVICE_MEMBERS: [&str; 3] = ["awsDevice", "awsDeviceV2", "awsLogicalDeviceId"];

fn no_devices(what: &str, c: &Value) {
    for m in DEVICE_MEMBERS {
        assert!(c.get(m).is_none(), "{what}: {m} in {c}");
    }
}

/// The three device names of an allocated port: all at `location`, all different.
fn devices(what: &str, c: &Value, location: &str) -> [String; 3] {
    let names = DEVICE_MEMBERS.map(|m| {
        let v = c[m]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no {m} in {c}"));
        assert!(v.starts_with(&format!("{location}-")), "{what}: {m}={v}");
        v.to_string()
    });
    assert_ne!(names[0], names[1], "{what}: {c}");
    assert_ne!(names[1], names[2], "{what}: {c}");
    assert_ne!(names[0], names[2], "{what}: {c}");
    names
}

async fn force(srv: &TestServer, kind: &str, id: &str, state: &str) {
    let (status, body) = control(
        srv,
        "POST",
        &format!("/_dxemu/resources/{kind}/{id}/state"),
        Some(json!({"state": state})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn describe_connection(srv: &TestServer, account: &str, id: &str) -> Value {
    let out = raw_call(
        srv,
        account,
        "us-east-1",
        "DescribeConnections",
        json!({"connectionId": id}),
    )
    .await;
    assert_eq!(out.0, 200, "{}", out.1);
    out.1["connections"][0].clone()
}

#[tokio::test]
async fn device_members_appear_when_the_port_is_allocated_and_differ() {
    let srv = server("manual").await;
    // A dedicated connection: none while requested, in the answer or the next read.
    let out = call(
        &srv,
        "CreateConnection",
        json!({"location": "EqDC2", "bandwidth": "10Gbps", "connectionName": "c"}),
    )
    .await;
    assert_eq!(out.1["connectionState"], "requested", "{}", out.1);
    no_devices("CreateConnection", &out.1);
    let id = out.1["connectionId"].as_str().unwrap().to_string();
    no_devices("requested", &describe_connection(&srv, OWNER, &id).await);
    force(&srv, "connection", &id, "pending").await;
    let pending = describe_connection(&srv, OWNER, &id).await;
    let names = devices("pending", &pending, "EqDC2");
    force(&srv, "connection", &id, "available").await;
    let available = describe_connection(&srv, OWNER, &id).await;
    assert_eq!(devices("available", &available, "EqDC2"), names);
    // A VIF and its BGP peer are on the port's V2 and logical devices.
    let v = vif_on(&srv, &id).await;
    let out = call(
        &srv,
        "DescribeVirtualInterfaces",
        json!({"virtualInterfaceId": v}),
    )
    .await;
    let vif = &out.1["virtualInterfaces"][0];
    assert_eq!(vif["awsDeviceV2"], names[1].as_str());
    assert_eq!(vif["awsLogicalDeviceId"], names[2].as_str());
    assert_eq!(vif["bgpPeers"][0]["awsDeviceV2"], names[1].as_str());
    assert_eq!(vif["bgpPeers"][0]["awsLogicalDeviceId"], names[2].as_str());

    // A new LAG's member connections have none while requested; the LAG has its own.
    let out = call(
        &srv,
        "CreateLag",
        json!({"numberOfConnections": 2, "location": "EqDC2",
               "connectionsBandwidth": "10Gbps", "lagName": "l"}),
    )
    .await;
    assert_eq!(out.0, 200, "{}", out.1);
    assert_eq!(out.1["connections"].as_array().unwrap().len(), 2);
    for m in out.1["connections"].as_array().unwrap() {
        assert_eq!(m["connectionState"], "requested");
        no_devices("LAG member", m);
    }
    let lag_devices = devices("LAG", &out.1, "EqDC2");
    let member = out.1["connections"][0]["connectionId"]
        .as_str()
        .unwrap()
        .to_string();
    no_devices("member", &describe_connection(&srv, OWNER, &member).await);
    force(&srv, "connection", &member, "pending").await;
    // Once allocated, a member is on its LAG's device.
    let m = describe_connection(&srv, OWNER, &member).await;
    assert_eq!(devices("member", &m, "EqDC2"), lag_devices);

    // A hosted connection: none while ordering, there once confirmed.
    let ic = call(
        &srv,
        "CreateInterconnect",
        json!({"interconnectName": "ix", "bandwidth": "10Gbps", "location": "EqDC2"}),
    )
    .await;
    assert_eq!(ic.1["interconnectState"], "requested", "{}", ic.1);
    no_devices("CreateInterconnect", &ic.1);
    let ic = ic.1["interconnectId"].as_str().unwrap().to_string();
    force(&srv, "interconnect", &ic, "pending").await;
    force(&srv, "interconnect", &ic, "available").await;
    let out = call(&srv, "DescribeInterconnects", json!({"interconnectId": ic})).await;
    let ic_devices = devices("interconnect", &out.1["interconnects"][0], "EqDC2");
    let out = call(
        &srv,
        "AllocateHostedConnection",
        json!({"connectionId": ic, "ownerAccount": OTHER, "bandwidth": "500Mbps",
               "connectionName": "h", "vlan": 101}),
    )
    .await;
    assert_eq!(out.1["connectionState"], "ordering", "{}", out.1);
    no_devices("AllocateHostedConnection", &out.1);
    let hosted = out.1["connectionId"].as_str().unwrap().to_string();
    no_devices("ordering", &describe_connection(&srv, OTHER, &hosted).await);
    let out = raw_call(
        &srv,
        OTHER,
        "us-east-1",
        "ConfirmConnection",
        json!({"connectionId": hosted}),
    )
    .await;
    assert_eq!(out.0, 200, "{}", out.1);
    let confirmed = describe_connection(&srv, OTHER, &hosted).await;
    assert_ne!(confirmed["connectionState"], "ordering");
    assert_eq!(devices("hosted", &confirmed, "EqDC2"), ic_devices);
}

#[tokio::test]
async fn members_aws_leaves_out_are_left_out() {
    let srv = TestServer::start().await;
    // allowsHostedConnections: absent on an ordinary customer's LAG, in every answer.
    let out = call(
        &srv,
        "CreateLag",
        json!({"numberOfConnections": 1, "location": "EqDC2",
               "connectionsBandwidth": "1Gbps", "lagName": "l"}),
    )
    .await;
    assert_eq!(out.0, 200, "{}", out.1);
    assert!(out.1.get("allowsHostedConnections").is_none(), "{}", out.1);
    let lag = out.1["lagId"].as_str().unwrap().to_string();
    let described = call(&srv, "DescribeLags", json!({"lagId": lag})).await;
    assert!(
        described.1["lags"][0]
            .get("allowsHostedConnections")
            .is_none(),
        "{}",
        described.1
    );
    let updated = call(&srv, "UpdateLag", json!({"lagId": lag, "lagName": "m"})).await;
    assert_eq!(updated.0, 200, "{}", updated.1);
    assert!(
        updated.1.get("allowsHostedConnections").is_none(),
        "{}",
        updated.1
    );

    // existingAllowedPrefixesToDirectConnectGateway: absent on a proposal for a
    // gateway the TGW is not associated with yet.
    let gw = call(
        &srv,
        "CreateDirectConnectGateway",
        json!({"directConnectGatewayName": "g"}),
    )
    .await;
    let gw = gw.1["directConnectGateway"]["directConnectGatewayId"]
        .as_str()
        .unwrap()
        .to_string();
    let out = raw_call(
        &srv,
        OTHER,
        "us-east-1",
        "CreateDirectConnectGatewayAssociationProposal",
        json!({"directConnectGatewayId": gw, "directConnectGatewayOwnerAccount": OWNER,
               "gatewayId": "tgw-0000000000000abcd",
               "addAllowedPrefixesToDirectConnectGateway": [{"cidr": "10.0.0.0/16"}]}),
    )
    .await;
    assert_eq!(out.0, 200, "{}", out.1);
    let p = &out.1["directConnectGatewayAssociationProposal"];
    assert!(
        p.get("existingAllowedPrefixesToDirectConnectGateway")
            .is_none(),
        "{p}"
    );
    assert_eq!(
        p["requestedAllowedPrefixesToDirectConnectGateway"],
        json!([{"cidr": "10.0.0.0/16"}])
    );
    let listed = call(
        &srv,
        "DescribeDirectConnectGatewayAssociationProposals",
        json!({"directConnectGatewayId": gw}),
    )
    .await;
    let p = &listed.1["directConnectGatewayAssociationProposals"][0];
    assert!(
        p.get("existingAllowedPrefixesToDirectConnectGateway")
            .is_none(),
        "{p}"
    );
}

#[tokio::test]
async fn error_texts_client_tools_match() {
    let srv = TestServer::start().await;
    let out = call(
        &srv,
        "CreateLag",
        json!({"numberOfConnections": 2, "location": "EqDC2",
               "connectionsBandwidth": "10Gbps", "lagName": "l"}),
    )
    .await;
    let lag = out.1["lagId"].as_str().unwrap().to_string();
    // The Ansible LAG module looks for "MinimumLinks cannot be set higher than
    // the number of connections" ...
    client_error(
        &call(&srv, "UpdateLag", json!({"lagId": lag, "minimumLinks": 3})).await,
        &format!(
            "MinimumLinks cannot be set higher than the number of connections in Lag {lag} (2)."
        ),
    );
    client_error(
        &call(&srv, "UpdateLag", json!({"lagId": lag, "minimumLinks": -1})).await,
        "MinimumLinks cannot be negative, got -1.",
    );
    // ... and for "until its Virtual Interfaces are deleted".
    let vif = call(
        &srv,
        "CreatePrivateVirtualInterface",
        json!({"connectionId": lag, "newPrivateVirtualInterface": {
            "virtualInterfaceName": "v", "vlan": 101, "asn": 65000,
            "virtualGatewayId": "vgw-aba37db6"}}),
    )
    .await;
    assert_eq!(vif.0, 200, "{}", vif.1);
    client_error(
        &call(&srv, "DeleteLag", json!({"lagId": lag})).await,
        &format!("Lag {lag} cannot be deleted until its Virtual Interfaces are deleted."),
    );
    // terraform-provider-aws#5726: allocating a VIF to the port's own account.
    let conn = connection_at(&srv.owner(), "EqDC2", "c").await;
    client_error(
        &call(
            &srv,
            "AllocatePrivateVirtualInterface",
            json!({"connectionId": conn, "ownerAccount": OWNER,
                   "newPrivateVirtualInterfaceAllocation": {
                       "virtualInterfaceName": "x", "vlan": 20, "asn": 65000}}),
        )
        .await,
        "Cannot allocate VirtualInterface for the connection owner.",
    );
}

async fn describe_vif(srv: &TestServer, id: &str) -> Value {
    let out = call(
        srv,
        "DescribeVirtualInterfaces",
        json!({"virtualInterfaceId": id}),
    )
    .await;
    assert_eq!(out.0, 200, "{}", out.1);
    out.1["virtualInterfaces"][0].clone()
}

fn peer_states(vif: &Value) -> Vec<(String, String, String)> {
    vif["bgpPeers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["addressFamily"].as_str().unwrap().to_string(),
                p["bgpPeerState"].as_str().unwrap().to_string(),
                p["bgpStatus"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(f: &str, s: &str, b: &str) -> (String, String, String) {
    (f.to_string(), s.to_string(), b.to_string())
}

async fn advance(srv: &TestServer, seconds: f64) {
    let (status, body) = control(
        srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": seconds})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn create_bgp_peer_leaves_the_vif_as_it_was_and_the_new_peer_comes_up() {
    // Realistic: 3600 AWS seconds to a scaled second; BGP takes 60 AWS seconds.
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.lifecycle = "realistic".into();
    args.time_scale = 3600.0;
    let srv = TestServer::start_with(args).await;
    let dx = srv.owner();
    let conn = connection_at(&dx, "EqDC2", "c").await;
    advance(&srv, 2.0).await;
    let v = vif_on(&srv, &conn).await;
    advance(&srv, 1.0).await;
    assert_eq!(
        describe_vif(&srv, &v).await["virtualInterfaceState"],
        "available"
    );
    let out = call(
        &srv,
        "CreateBGPPeer",
        json!({"virtualInterfaceId": v, "newBGPPeer": {"asn": 65001, "addressFamily": "ipv6"}}),
    )
    .await;
    assert_eq!(out.0, 200, "{}", out.1);
    let answered = &out.1["virtualInterface"];
    assert_eq!(answered["virtualInterfaceState"], "available");
    let expected = vec![
        pair("ipv4", "available", "up"),
        pair("ipv6", "pending", "down"),
    ];
    assert_eq!(peer_states(answered), expected);
    // The next read agrees with the answer.
    let read = describe_vif(&srv, &v).await;
    assert_eq!(read["virtualInterfaceState"], "available");
    assert_eq!(peer_states(&read), expected);
    // So a failover test can start at once.
    let test = call(
        &srv,
        "StartBgpFailoverTest",
        json!({"virtualInterfaceId": v, "testDurationInMinutes": 1}),
    )
    .await;
    assert_eq!(test.0, 200, "{}", test.1);
    let stop = call(
        &srv,
        "StopBgpFailoverTest",
        json!({"virtualInterfaceId": v}),
    )
    .await;
    assert_eq!(stop.0, 200, "{}", stop.1);
    // The new peer comes up by the lifecycle.
    advance(&srv, 1.0).await;
    let read = describe_vif(&srv, &v).await;
    assert_eq!(read["virtualInterfaceState"], "available");
    assert_eq!(
        peer_states(&read),
        vec![
            pair("ipv4", "available", "up"),
            pair("ipv6", "available", "up")
        ]
    );
}

#[tokio::test]
async fn in_manual_mode_forcing_the_vif_available_brings_new_peers_up() {
    let srv = server("manual").await;
    let dx = srv.owner();
    let conn = connection_at(&dx, "EqDC2", "c").await;
    force(&srv, "connection", &conn, "pending").await;
    force(&srv, "connection", &conn, "available").await;
    let out = call(
        &srv,
        "CreatePrivateVirtualInterface",
        json!({"connectionId": conn, "newPrivateVirtualInterface": {
            "virtualInterfaceName": "v", "vlan": 101, "asn": 65000,
            "virtualGatewayId": "vgw-aba37db6"}}),
    )
    .await;
    let v = out.1["virtualInterfaceId"].as_str().unwrap().to_string();
    force(&srv, "vif", &v, "available").await;
    let out = call(
        &srv,
        "CreateBGPPeer",
        json!({"virtualInterfaceId": v, "newBGPPeer": {"asn": 65001, "addressFamily": "ipv6"}}),
    )
    .await;
    assert_eq!(
        out.1["virtualInterface"]["virtualInterfaceState"],
        "available"
    );
    advance(&srv, 3600.0).await;
    assert_eq!(
        peer_states(&describe_vif(&srv, &v).await)[1],
        pair("ipv6", "pending", "down")
    );
    force(&srv, "vif", &v, "available").await;
    assert_eq!(
        peer_states(&describe_vif(&srv, &v).await),
        vec![
            pair("ipv4", "available", "up"),
            pair("ipv6", "available", "up")
        ]
    );
}

#[tokio::test]
async fn location_codes_are_aws_s_and_match_as_aws_accepted_them() {
    let srv = TestServer::start().await;
    // Recorded: AWS accepted CreateConnection(location="EqSe2") in us-west-2.
    let out = raw_call(
        &srv,
        OWNER,
        "us-west-2",
        "CreateConnection",
        json!({"location": "EqSe2", "bandwidth": "1Gbps", "connectionName": "sea"}),
    )
    .await;
    assert_eq!(out.0, 200, "{}", out.1);
    assert_eq!(out.1["location"], "EqSe2");
    let listed = raw_call(&srv, OWNER, "us-west-2", "DescribeLocations", json!({})).await;
    let codes: Vec<&str> = listed.1["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["locationCode"].as_str())
        .collect();
    assert!(codes.contains(&"EqSe2"), "{codes:?}");
    assert!(!codes.contains(&"EQSE2"), "{codes:?}");
    // The catalogue's case is not necessarily AWS's: any case matches, and
    // the answer carries the catalogue's code.
    for spelling in ["EQDC2", "eqdc2"] {
        let out = call(
            &srv,
            "CreateConnection",
            json!({"location": spelling, "bandwidth": "1Gbps", "connectionName": "dc"}),
        )
        .await;
        assert_eq!(out.0, 200, "{}", out.1);
        assert_eq!(out.1["location"], "EqDC2");
    }
    client_error(
        &call(
            &srv,
            "CreateConnection",
            json!({"location": "EqSe2", "bandwidth": "1Gbps", "connectionName": "x"}),
        )
        .await,
        "Location EqSe2 is not a valid Direct Connect location in us-east-1. DescribeLocations lists the locations of a Region.",
    );
}

async fn vif_and_peer(srv: &TestServer, account: &str, id: &str) -> (String, String) {
    let out = raw_call(
        srv,
        account,
        "us-east-1",
        "DescribeVirtualInterfaces",
        json!({"virtualInterfaceId": id}),
    )
    .await;
    let v = &out.1["virtualInterfaces"][0];
    (
        v["virtualInterfaceState"].as_str().unwrap().to_string(),
        v["bgpPeers"][0]["bgpStatus"].as_str().unwrap().to_string(),
    )
}

fn both(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[tokio::test]
async fn a_port_going_down_takes_its_vifs_and_bgp_sessions_with_it() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    // A connection and its VIF.
    let conn = connection_at(&dx, "EqDC2", "c").await;
    let v = vif_on(&srv, &conn).await;
    // Another VIF on it that was taken down on its own stays down.
    let own = call(
        &srv,
        "CreatePrivateVirtualInterface",
        json!({"connectionId": conn, "newPrivateVirtualInterface": {
            "virtualInterfaceName": "w", "vlan": 102, "asn": 65000,
            "virtualGatewayId": "vgw-aba37db6"}}),
    )
    .await;
    let own = own.1["virtualInterfaceId"].as_str().unwrap().to_string();
    force(&srv, "vif", &own, "down").await;
    assert_eq!(vif_and_peer(&srv, OWNER, &v).await, both("available", "up"));
    force(&srv, "connection", &conn, "down").await;
    assert_eq!(vif_and_peer(&srv, OWNER, &v).await, both("down", "down"));
    assert_eq!(vif_and_peer(&srv, OWNER, &own).await, both("down", "down"));
    force(&srv, "connection", &conn, "available").await;
    assert_eq!(vif_and_peer(&srv, OWNER, &v).await, both("available", "up"));
    assert_eq!(vif_and_peer(&srv, OWNER, &own).await, both("down", "down"));

    // A LAG that falls below its minimum links takes its VIFs down.
    let out = call(
        &srv,
        "CreateLag",
        json!({"numberOfConnections": 2, "location": "EqDC2",
               "connectionsBandwidth": "10Gbps", "lagName": "l"}),
    )
    .await;
    let lag = out.1["lagId"].as_str().unwrap().to_string();
    let m1 = out.1["connections"][0]["connectionId"]
        .as_str()
        .unwrap()
        .to_string();
    let lv = vif_on(&srv, &lag).await;
    let upd = call(&srv, "UpdateLag", json!({"lagId": lag, "minimumLinks": 2})).await;
    assert_eq!(upd.0, 200, "{}", upd.1);
    force(&srv, "connection", &m1, "down").await;
    let l = call(&srv, "DescribeLags", json!({"lagId": lag})).await;
    assert_eq!(l.1["lags"][0]["lagState"], "down");
    assert_eq!(vif_and_peer(&srv, OWNER, &lv).await, both("down", "down"));
    force(&srv, "connection", &m1, "available").await;
    assert_eq!(
        vif_and_peer(&srv, OWNER, &lv).await,
        both("available", "up")
    );
    // Forcing the LAG itself down and up does the same.
    force(&srv, "lag", &lag, "down").await;
    assert_eq!(vif_and_peer(&srv, OWNER, &lv).await, both("down", "down"));
    force(&srv, "lag", &lag, "available").await;
    assert_eq!(
        vif_and_peer(&srv, OWNER, &lv).await,
        both("available", "up")
    );

    // An interconnect takes its hosted connections and their VIFs down.
    let ic = call(
        &srv,
        "CreateInterconnect",
        json!({"interconnectName": "ix", "bandwidth": "10Gbps", "location": "EqDC2"}),
    )
    .await;
    let ic = ic.1["interconnectId"].as_str().unwrap().to_string();
    let hc = call(
        &srv,
        "AllocateHostedConnection",
        json!({"connectionId": ic, "ownerAccount": OTHER, "bandwidth": "500Mbps",
               "connectionName": "h", "vlan": 101}),
    )
    .await;
    let hc = hc.1["connectionId"].as_str().unwrap().to_string();
    let ok = raw_call(
        &srv,
        OTHER,
        "us-east-1",
        "ConfirmConnection",
        json!({"connectionId": hc}),
    )
    .await;
    assert_eq!(ok.0, 200, "{}", ok.1);
    let hv = raw_call(
        &srv,
        OTHER,
        "us-east-1",
        "CreatePrivateVirtualInterface",
        json!({"connectionId": hc, "newPrivateVirtualInterface": {
            "virtualInterfaceName": "hv", "vlan": 101, "asn": 65000,
            "virtualGatewayId": "vgw-aba37db6"}}),
    )
    .await;
    assert_eq!(hv.0, 200, "{}", hv.1);
    let hv = hv.1["virtualInterfaceId"].as_str().unwrap().to_string();
    assert_eq!(
        vif_and_peer(&srv, OTHER, &hv).await,
        both("available", "up")
    );
    force(&srv, "interconnect", &ic, "down").await;
    assert_eq!(
        describe_connection(&srv, OTHER, &hc).await["connectionState"],
        "down"
    );
    assert_eq!(vif_and_peer(&srv, OTHER, &hv).await, both("down", "down"));
    force(&srv, "interconnect", &ic, "available").await;
    assert_eq!(
        describe_connection(&srv, OTHER, &hc).await["connectionState"],
        "available"
    );
    assert_eq!(
        vif_and_peer(&srv, OTHER, &hv).await,
        both("available", "up")
    );
}

#[tokio::test]
async fn deleted_connections_and_lags_stay_listed_as_deleted_for_fifteen_minutes() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let conn = connection_at(&dx, "EqDC2", "gone").await;
    let out = call(&srv, "DeleteConnection", json!({"connectionId": conn})).await;
    assert_eq!(out.1["connectionState"], "deleted", "{}", out.1);
    let lag = call(
        &srv,
        "CreateLag",
        json!({"numberOfConnections": 1, "location": "EqDC2",
               "connectionsBandwidth": "1Gbps", "lagName": "l"}),
    )
    .await;
    let lag = lag.1["lagId"].as_str().unwrap().to_string();
    let out = call(&srv, "DeleteLag", json!({"lagId": lag})).await;
    assert_eq!(out.1["lagState"], "deleted", "{}", out.1);

    let listed = call(&srv, "DescribeConnections", json!({})).await;
    let deleted: Vec<&Value> = listed.1["connections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["connectionId"] == conn.as_str())
        .collect();
    assert_eq!(deleted.len(), 1, "{}", listed.1);
    assert_eq!(deleted[0]["connectionState"], "deleted");
    let lags = call(&srv, "DescribeLags", json!({})).await;
    assert_eq!(lags.1["lags"][0]["lagId"], lag.as_str(), "{}", lags.1);
    assert_eq!(lags.1["lags"][0]["lagState"], "deleted");

    // After the window they are gone, by id too.
    advance(&srv, 15.0 * 60.0 + 1.0).await;
    let listed = call(&srv, "DescribeConnections", json!({})).await;
    assert!(
        listed.1["connections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["connectionId"] != conn.as_str()),
        "{}",
        listed.1
    );
    assert_eq!(
        call(&srv, "DescribeLags", json!({})).await.1["lags"],
        json!([])
    );
    client_error(
        &call(&srv, "DescribeConnections", json!({"connectionId": conn})).await,
        &format!("Could not find Connection with ID {conn}"),
    );
    client_error(
        &call(&srv, "DescribeLags", json!({"lagId": lag})).await,
        &format!("Could not find Lag with ID {lag}"),
    );
}

#[tokio::test]
async fn removing_a_member_that_is_not_up_does_not_drop_a_lag_below_its_minimum() {
    let srv = server("manual").await;
    let out = call(
        &srv,
        "CreateLag",
        json!({"numberOfConnections": 2, "location": "EqDC2",
               "connectionsBandwidth": "10Gbps", "lagName": "l"}),
    )
    .await;
    let lag = out.1["lagId"].as_str().unwrap().to_string();
    let members: Vec<String> = out.1["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["connectionId"].as_str().unwrap().to_string())
        .collect();
    force(&srv, "lag", &lag, "available").await;
    let upd = call(&srv, "UpdateLag", json!({"lagId": lag, "minimumLinks": 1})).await;
    assert_eq!(upd.0, 200, "{}", upd.1);
    // No member is available yet: the LAG is already below its minimum, and
    // taking a requested member out does not make it fall below.
    let out = call(
        &srv,
        "DisassociateConnectionFromLag",
        json!({"connectionId": members[0], "lagId": lag}),
    )
    .await;
    assert_eq!(out.0, 200, "{}", out.1);
    // An available member that is the last one up cannot leave.
    for state in ["pending", "available"] {
        force(&srv, "connection", &members[1], state).await;
    }
    let again = call(
        &srv,
        "AssociateConnectionWithLag",
        json!({"connectionId": members[0], "lagId": lag}),
    )
    .await;
    assert_eq!(again.0, 200, "{}", again.1);
    client_error(
        &call(
            &srv,
            "DisassociateConnectionFromLag",
            json!({"connectionId": members[1], "lagId": lag}),
        )
        .await,
        &format!(
            "Removing connection {} would drop Lag {lag} below its minimum of 1 available connections.",
            members[1]
        ),
    );
}
