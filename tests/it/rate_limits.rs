//! VIF rate limiters: the allowed values, the parent's bandwidth, the
//! limiters per connection or LAG and the status connections and LAGs show.
//! Raw JSON 1.1 calls: the SDK in use predates these members.

use crate::common::*;
use crate::prefix_pools::{
    call, client_error, connection, describe_connection, describe_lag, fails, ok, private_body,
};
use dxemu::cli::ServeArgs;
use serde_json::{Value, json};

fn id_of(v: &Value, member: &str) -> String {
    v[member].as_str().unwrap().to_string()
}

fn limited(conn: &str, vlan: i32, limit: &str) -> Value {
    private_body(conn, vlan, json!({"rateLimit": limit}))
}

fn lee(id: &str) -> (String, String) {
    (
        "LimitExceededException".to_string(),
        format!("The rate limiter limit has been exceeded for {id}"),
    )
}

#[tokio::test]
async fn limits_are_shown_and_summed_on_the_connection() {
    let srv = TestServer::start().await;
    let conn = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    let a = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        limited(&conn, 101, "1Gbps"),
    )
    .await;
    assert_eq!(a["rateLimit"], "1Gbps");
    let public = ok(
        &srv,
        OWNER,
        "CreatePublicVirtualInterface",
        json!({"connectionId": conn, "newPublicVirtualInterface": {
            "virtualInterfaceName": "pub", "vlan": 102, "asn": 65000, "rateLimit": "500Mbps",
            "amazonAddress": "203.0.113.1/30", "customerAddress": "203.0.113.2/30",
            "routeFilterPrefixes": [{"cidr": "203.0.113.0/24"}]}}),
    )
    .await;
    assert_eq!(public["rateLimit"], "500Mbps");
    let gw = ok(
        &srv,
        OWNER,
        "CreateDirectConnectGateway",
        json!({"directConnectGatewayName": "gw"}),
    )
    .await;
    let transit = ok(
        &srv,
        OWNER,
        "CreateTransitVirtualInterface",
        json!({"connectionId": conn, "newTransitVirtualInterface": {
            "virtualInterfaceName": "t", "vlan": 103, "asn": 65000, "rateLimit": "9Gbps",
            "directConnectGatewayId": gw["directConnectGateway"]["directConnectGatewayId"]}}),
    )
    .await;
    assert_eq!(transit["virtualInterface"]["rateLimit"], "9Gbps");
    assert_eq!(
        describe_connection(&srv, OWNER, &conn).await["rateLimiterStatus"],
        json!({"maxAllowed": 10, "inUse": 3, "remaining": 7, "totalBandwidth": "10.5Gbps"})
    );
    // Clearing one, with either form, frees its limiter.
    for (vif, clear) in [(&a, "Unlimited"), (&public, "")] {
        let updated = ok(
            &srv,
            OWNER,
            "UpdateVirtualInterfaceAttributes",
            json!({"virtualInterfaceId": vif["virtualInterfaceId"], "rateLimit": clear}),
        )
        .await;
        assert!(updated.get("rateLimit").is_none(), "{updated}");
    }
    assert_eq!(
        describe_connection(&srv, OWNER, &conn).await["rateLimiterStatus"],
        json!({"maxAllowed": 10, "inUse": 1, "remaining": 9, "totalBandwidth": "9Gbps"})
    );
    // Setting one again, and deleting a limited VIF.
    ok(
        &srv,
        OWNER,
        "UpdateVirtualInterfaceAttributes",
        json!({"virtualInterfaceId": a["virtualInterfaceId"], "rateLimit": "50Mbps"}),
    )
    .await;
    ok(
        &srv,
        OWNER,
        "DeleteVirtualInterface",
        json!({"virtualInterfaceId": transit["virtualInterface"]["virtualInterfaceId"]}),
    )
    .await;
    assert_eq!(
        describe_connection(&srv, OWNER, &conn).await["rateLimiterStatus"],
        json!({"maxAllowed": 10, "inUse": 1, "remaining": 9, "totalBandwidth": "50Mbps"})
    );
}

#[tokio::test]
async fn only_the_listed_values_up_to_the_bandwidth_are_accepted() {
    let srv = TestServer::start().await;
    let conn = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    for bad in ["1000Mbps", "1.0Gbps", "10gbps", "25Mbps", "Fast"] {
        let (code, message) = fails(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            limited(&conn, 101, bad),
        )
        .await;
        assert_eq!(code, "DirectConnectClientException", "{bad}");
        assert!(
            message.starts_with(&format!(
                "rateLimit {bad} is not valid. Valid values: 50Mbps, 100Mbps,"
            )),
            "{message}"
        );
        assert!(message.ends_with(", 1.5Tbps, 1.6Tbps."), "{message}");
    }
    // The connection's bandwidth is the edge.
    ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        limited(&conn, 101, "10Gbps"),
    )
    .await;
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            limited(&conn, 102, "12Gbps"),
        )
        .await,
        client_error(&format!(
            "rateLimit 12Gbps exceeds the bandwidth 10Gbps of {conn}."
        ))
    );
    let big = id_of(&connection(&srv, OWNER, "400Gbps").await, "connectionId");
    ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        limited(&big, 101, "400Gbps"),
    )
    .await;
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            limited(&big, 102, "450Gbps"),
        )
        .await
        .1,
        format!("rateLimit 450Gbps exceeds the bandwidth 400Gbps of {big}.")
    );
}

#[tokio::test]
async fn the_eleventh_limited_vif_exceeds_the_limit() {
    let srv = TestServer::start().await;
    let conn = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    for vlan in 101..=110 {
        ok(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            limited(&conn, vlan, "100Mbps"),
        )
        .await;
    }
    assert_eq!(
        describe_connection(&srv, OWNER, &conn).await["rateLimiterStatus"],
        json!({"maxAllowed": 10, "inUse": 10, "remaining": 0, "totalBandwidth": "1Gbps"})
    );
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            limited(&conn, 111, "100Mbps"),
        )
        .await,
        lee(&conn)
    );
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "AllocatePrivateVirtualInterface",
            json!({"connectionId": conn, "ownerAccount": OTHER,
                   "newPrivateVirtualInterfaceAllocation": {"virtualInterfaceName": "h", "vlan": 111,
                   "asn": 65000, "rateLimit": "1Gbps"}}),
        )
        .await,
        lee(&conn)
    );
    // An unlimited VIF still fits, and Update refuses to limit it (a client
    // error: the operation models no LimitExceededException).
    let free = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        private_body(&conn, 111, json!({})),
    )
    .await;
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "UpdateVirtualInterfaceAttributes",
            json!({"virtualInterfaceId": free["virtualInterfaceId"], "rateLimit": "1Gbps"}),
        )
        .await,
        client_error(&lee(&conn).1)
    );
    // Changing the limit of a VIF that has one takes no new limiter.
    let vifs = ok(
        &srv,
        OWNER,
        "DescribeVirtualInterfaces",
        json!({"connectionId": conn}),
    )
    .await;
    let first = vifs["virtualInterfaces"][0]["virtualInterfaceId"].clone();
    let changed = ok(
        &srv,
        OWNER,
        "UpdateVirtualInterfaceAttributes",
        json!({"virtualInterfaceId": first, "rateLimit": "2Gbps"}),
    )
    .await;
    assert_eq!(changed["rateLimit"], "2Gbps");
    assert_eq!(
        describe_connection(&srv, OWNER, &conn).await["rateLimiterStatus"]["totalBandwidth"],
        "2.9Gbps"
    );
}

#[tokio::test]
async fn the_limit_is_a_setting() {
    let mut args = ServeArgs::for_tests();
    args.max_rate_limited_vifs = 2;
    let srv = TestServer::start_with(args).await;
    let conn = id_of(&connection(&srv, OWNER, "1Gbps").await, "connectionId");
    for vlan in [101, 102] {
        ok(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            limited(&conn, vlan, "1Gbps"),
        )
        .await;
    }
    assert_eq!(
        describe_connection(&srv, OWNER, &conn).await["rateLimiterStatus"],
        json!({"maxAllowed": 2, "inUse": 2, "remaining": 0, "totalBandwidth": "2Gbps"})
    );
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            limited(&conn, 103, "50Mbps"),
        )
        .await,
        lee(&conn)
    );
}

#[tokio::test]
async fn hosted_connections_take_no_rate_limits() {
    let srv = TestServer::start().await;
    let interconnect = ok(
        &srv,
        OWNER,
        "CreateInterconnect",
        json!({"interconnectName": "ic", "bandwidth": "10Gbps", "location": "EqDC2"}),
    )
    .await;
    let hosted = ok(
        &srv,
        OWNER,
        "AllocateHostedConnection",
        json!({"connectionId": interconnect["interconnectId"], "ownerAccount": OTHER,
               "bandwidth": "500Mbps", "connectionName": "hosted", "vlan": 300}),
    )
    .await;
    let hosted_id = id_of(&hosted, "connectionId");
    ok(
        &srv,
        OTHER,
        "ConfirmConnection",
        json!({"connectionId": hosted_id}),
    )
    .await;
    assert_eq!(
        fails(
            &srv,
            OTHER,
            "CreatePrivateVirtualInterface",
            limited(&hosted_id, 300, "100Mbps"),
        )
        .await,
        client_error(&format!(
            "Rate limiters are available only on dedicated connections and LAGs: {hosted_id} is a hosted connection."
        ))
    );
    let vif = ok(
        &srv,
        OTHER,
        "CreatePrivateVirtualInterface",
        private_body(&hosted_id, 300, json!({})),
    )
    .await;
    assert_eq!(
        fails(
            &srv,
            OTHER,
            "UpdateVirtualInterfaceAttributes",
            json!({"virtualInterfaceId": vif["virtualInterfaceId"], "rateLimit": "100Mbps"}),
        )
        .await
        .1,
        format!(
            "Rate limiters are available only on dedicated connections and LAGs: {hosted_id} is a hosted connection."
        )
    );
    // Another account cannot touch the VIF at all.
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "UpdateVirtualInterfaceAttributes",
            json!({"virtualInterfaceId": vif["virtualInterfaceId"], "rateLimit": "100Mbps"}),
        )
        .await
        .1,
        format!(
            "Virtual interface {} does not exist",
            vif["virtualInterfaceId"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn a_lag_limits_up_to_its_members_and_a_joining_port_brings_its_limiters() {
    let srv = TestServer::start().await;
    let lag = ok(
        &srv,
        OWNER,
        "CreateLag",
        json!({"numberOfConnections": 2, "location": "EqDC2",
               "connectionsBandwidth": "10Gbps", "lagName": "rl"}),
    )
    .await;
    let lag_id = id_of(&lag, "lagId");
    assert_eq!(
        lag["rateLimiterStatus"],
        json!({"maxAllowed": 10, "inUse": 0, "remaining": 10})
    );
    ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        limited(&lag_id, 101, "20Gbps"),
    )
    .await;
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            limited(&lag_id, 102, "21Gbps"),
        )
        .await,
        client_error(&format!(
            "rateLimit 21Gbps exceeds the bandwidth 20Gbps of {lag_id}."
        ))
    );
    for vlan in 102..=108 {
        ok(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            limited(&lag_id, vlan, "1Gbps"),
        )
        .await;
    }
    assert_eq!(
        describe_lag(&srv, OWNER, &lag_id).await["rateLimiterStatus"],
        json!({"maxAllowed": 10, "inUse": 8, "remaining": 2, "totalBandwidth": "27Gbps"})
    );
    // A port with three limited VIFs would make 11.
    let joining = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    for vlan in 201..=203 {
        ok(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            limited(&joining, vlan, "100Mbps"),
        )
        .await;
    }
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "AssociateConnectionWithLag",
            json!({"connectionId": joining, "lagId": lag_id}),
        )
        .await,
        lee(&lag_id)
    );
    // With one cleared, it fits exactly.
    let vifs = ok(
        &srv,
        OWNER,
        "DescribeVirtualInterfaces",
        json!({"connectionId": joining}),
    )
    .await;
    ok(
        &srv,
        OWNER,
        "UpdateVirtualInterfaceAttributes",
        json!({"virtualInterfaceId": vifs["virtualInterfaces"][0]["virtualInterfaceId"], "rateLimit": "Unlimited"}),
    )
    .await;
    let joined = ok(
        &srv,
        OWNER,
        "AssociateConnectionWithLag",
        json!({"connectionId": joining, "lagId": lag_id}),
    )
    .await;
    assert_eq!(
        joined["rateLimiterStatus"],
        json!({"maxAllowed": 10, "inUse": 0, "remaining": 10})
    );
    assert_eq!(
        describe_lag(&srv, OWNER, &lag_id).await["rateLimiterStatus"],
        json!({"maxAllowed": 10, "inUse": 10, "remaining": 0, "totalBandwidth": "27.2Gbps"})
    );
    // The VIF that moves with AssociateVirtualInterface takes its limiter along.
    let other = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    let moving = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        limited(&other, 301, "50Mbps"),
    )
    .await;
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "AssociateVirtualInterface",
            json!({"virtualInterfaceId": moving["virtualInterfaceId"], "connectionId": lag_id}),
        )
        .await,
        client_error(&lee(&lag_id).1)
    );
    let (status, _) = call(&srv, OWNER, "DescribeLags", json!({"lagId": lag_id})).await;
    assert_eq!(status, 200);
}
