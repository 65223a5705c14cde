//! Inbound prefix pools: pool sizes on connections and LAGs, VIF
//! allocations, gateway totals, and every operation that moves them. The
//! SDK in use predates these members, so calls go over raw JSON 1.1.

use crate::common::*;
use dxemu::cli::ServeArgs;
use serde_json::{Value, json};

pub(crate) const VGW: &str = "vgw-aba37db6";

/// A raw JSON 1.1 call signed as `account` in us-east-1.
pub(crate) async fn call(srv: &TestServer, account: &str, op: &str, body: Value) -> (u16, Value) {
    raw_call(srv, account, "us-east-1", op, body).await
}

/// A call that must succeed; its answer.
pub(crate) async fn ok(srv: &TestServer, account: &str, op: &str, body: Value) -> Value {
    let (status, answer) = call(srv, account, op, body).await;
    assert_eq!(status, 200, "{op}: {answer}");
    answer
}

/// A call that must fail with a 400; its error type and message.
pub(crate) async fn fails(
    srv: &TestServer,
    account: &str,
    op: &str,
    body: Value,
) -> (String, String) {
    let (status, answer) = call(srv, account, op, body).await;
    assert_eq!(status, 400, "{op}: {answer}");
    (
        answer["__type"].as_str().unwrap_or_default().to_string(),
        answer["message"].as_str().unwrap_or_default().to_string(),
    )
}

pub(crate) fn client_error(message: &str) -> (String, String) {
    (
        "DirectConnectClientException".to_string(),
        message.to_string(),
    )
}

/// A new dedicated connection of `account` at EqDC2; its answer.
pub(crate) async fn connection(srv: &TestServer, account: &str, bandwidth: &str) -> Value {
    ok(
        srv,
        account,
        "CreateConnection",
        json!({"location": "EqDC2", "bandwidth": bandwidth, "connectionName": "pool"}),
    )
    .await
}

pub(crate) async fn describe_connection(srv: &TestServer, account: &str, id: &str) -> Value {
    let answer = ok(
        srv,
        account,
        "DescribeConnections",
        json!({"connectionId": id}),
    )
    .await;
    answer["connections"][0].clone()
}

pub(crate) async fn describe_lag(srv: &TestServer, account: &str, id: &str) -> Value {
    let answer = ok(srv, account, "DescribeLags", json!({"lagId": id})).await;
    answer["lags"][0].clone()
}

/// The body of a CreatePrivateVirtualInterface call on `conn` with `extra` members.
pub(crate) fn private_body(conn: &str, vlan: i32, extra: Value) -> Value {
    let mut vif = json!({
        "virtualInterfaceName": format!("vif-{vlan}"),
        "vlan": vlan,
        "asn": 65000,
        "virtualGatewayId": VGW,
    });
    if let (Some(v), Some(e)) = (vif.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            v.insert(k.clone(), x.clone());
        }
    }
    json!({"connectionId": conn, "newPrivateVirtualInterface": vif})
}

/// The pool figures of a connection or LAG: (size v4, size v6, unallocated v4, unallocated v6).
pub(crate) fn pool(resource: &Value) -> (i64, i64, i64, i64) {
    (
        resource["prefixPoolSizeIpv4"].as_i64().unwrap_or(-1),
        resource["prefixPoolSizeIpv6"].as_i64().unwrap_or(-1),
        resource["prefixPoolUnallocatedCountIpv4"]
            .as_i64()
            .unwrap_or(-1),
        resource["prefixPoolUnallocatedCountIpv6"]
            .as_i64()
            .unwrap_or(-1),
    )
}

const POOL_MEMBERS: [&str; 4] = [
    "prefixPoolSizeIpv4",
    "prefixPoolSizeIpv6",
    "prefixPoolUnallocatedCountIpv4",
    "prefixPoolUnallocatedCountIpv6",
];

fn id_of(v: &Value, member: &str) -> String {
    v[member].as_str().unwrap().to_string()
}

/// A new Direct Connect gateway of `account`: its id and its answer.
async fn gateway(srv: &TestServer, account: &str, name: &str) -> (String, Value) {
    let out = ok(
        srv,
        account,
        "CreateDirectConnectGateway",
        json!({"directConnectGatewayName": name}),
    )
    .await;
    let gw = out["directConnectGateway"].clone();
    let id = gw["directConnectGatewayId"].as_str().unwrap().to_string();
    (id, gw)
}

#[tokio::test]
async fn pools_follow_port_speed_and_are_whole_on_a_new_connection() {
    let srv = TestServer::start().await;
    for (bandwidth, size) in [
        ("1Gbps", 5_000),
        ("10Gbps", 5_000),
        ("100Gbps", 30_000),
        ("400Gbps", 50_000),
    ] {
        let created = connection(&srv, OWNER, bandwidth).await;
        assert_eq!(pool(&created), (size, size, size, size), "{bandwidth}");
        let id = id_of(&created, "connectionId");
        let described = describe_connection(&srv, OWNER, &id).await;
        assert_eq!(pool(&described), (size, size, size, size), "{bandwidth}");
        assert_eq!(
            described["rateLimiterStatus"],
            json!({"maxAllowed": 10, "inUse": 0, "remaining": 10})
        );
    }
    // Listed connections carry them too.
    let listed = ok(&srv, OWNER, "DescribeConnections", json!({})).await;
    let sizes: Vec<i64> = listed["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["prefixPoolSizeIpv4"].as_i64().unwrap())
        .collect();
    assert_eq!(sizes, vec![5_000, 5_000, 30_000, 50_000]);
}

#[tokio::test]
async fn vif_allocations_draw_from_the_pool_and_return_on_delete() {
    let srv = TestServer::start().await;
    let conn = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    let vif = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        private_body(&conn, 101, json!({})),
    )
    .await;
    assert_eq!(vif["prefixPoolAllocatedCountIpv4"], 100);
    assert_eq!(vif["prefixPoolAllocatedCountIpv6"], 100);
    assert!(vif.get("rateLimit").is_none(), "{vif}");
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &conn).await),
        (5_000, 5_000, 4_900, 4_900)
    );
    let edge = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        private_body(
            &conn,
            102,
            json!({"prefixPoolAllocatedCountIpv4": 1000, "prefixPoolAllocatedCountIpv6": 0}),
        ),
    )
    .await;
    assert_eq!(edge["prefixPoolAllocatedCountIpv4"], 1000);
    assert_eq!(edge["prefixPoolAllocatedCountIpv6"], 0);
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &conn).await),
        (5_000, 5_000, 3_900, 4_900)
    );
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            private_body(&conn, 103, json!({"prefixPoolAllocatedCountIpv6": 1001})),
        )
        .await,
        client_error(
            "prefixPoolAllocatedCountIpv6 1001 exceeds the maximum of 1000 prefixes per address family for a virtual interface."
        )
    );
    // A public VIF has no allocation and takes nothing from the pool.
    let public = ok(
        &srv,
        OWNER,
        "CreatePublicVirtualInterface",
        json!({"connectionId": conn, "newPublicVirtualInterface": {
            "virtualInterfaceName": "pub", "vlan": 104, "asn": 65000,
            "amazonAddress": "203.0.113.1/30", "customerAddress": "203.0.113.2/30",
            "routeFilterPrefixes": [{"cidr": "203.0.113.0/24"}]}}),
    )
    .await;
    assert!(
        public.get("prefixPoolAllocatedCountIpv4").is_none(),
        "{public}"
    );
    assert!(
        public.get("prefixPoolAllocatedCountIpv6").is_none(),
        "{public}"
    );
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &conn).await),
        (5_000, 5_000, 3_900, 4_900)
    );
    // Deleting gives the prefixes back.
    ok(
        &srv,
        OWNER,
        "DeleteVirtualInterface",
        json!({"virtualInterfaceId": edge["virtualInterfaceId"]}),
    )
    .await;
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &conn).await),
        (5_000, 5_000, 4_900, 4_900)
    );
    // The VIF keeps its figures when described.
    let described = ok(
        &srv,
        OWNER,
        "DescribeVirtualInterfaces",
        json!({"virtualInterfaceId": vif["virtualInterfaceId"]}),
    )
    .await;
    assert_eq!(
        described["virtualInterfaces"][0]["prefixPoolAllocatedCountIpv4"],
        100
    );
}

#[tokio::test]
async fn an_exhausted_pool_refuses_the_next_prefix_and_updates_check_it_too() {
    let mut args = ServeArgs::for_tests();
    args.max_prefix_allocation = 3_000;
    let srv = TestServer::start_with(args).await;
    let conn = id_of(&connection(&srv, OWNER, "1Gbps").await, "connectionId");
    let big = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        private_body(
            &conn,
            101,
            json!({"prefixPoolAllocatedCountIpv4": 3000, "prefixPoolAllocatedCountIpv6": 0}),
        ),
    )
    .await;
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            private_body(&conn, 102, json!({"prefixPoolAllocatedCountIpv4": 3001})),
        )
        .await,
        client_error(
            "prefixPoolAllocatedCountIpv4 3001 exceeds the maximum of 3000 prefixes per address family for a virtual interface."
        )
    );
    let second = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        private_body(
            &conn,
            102,
            json!({"prefixPoolAllocatedCountIpv4": 2000, "prefixPoolAllocatedCountIpv6": 0}),
        ),
    )
    .await;
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &conn).await),
        (5_000, 5_000, 0, 5_000)
    );
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            private_body(
                &conn,
                103,
                json!({"prefixPoolAllocatedCountIpv4": 1, "prefixPoolAllocatedCountIpv6": 0}),
            ),
        )
        .await,
        client_error(&format!("Insufficient unallocated IPv4 prefixes on {conn}"))
    );
    // Nothing of IPv4 fits, but IPv6 alone does, up to its edge.
    let v6 = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        private_body(
            &conn,
            103,
            json!({"prefixPoolAllocatedCountIpv4": 0, "prefixPoolAllocatedCountIpv6": 3000}),
        ),
    )
    .await;
    let v6_id = id_of(&v6, "virtualInterfaceId");
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "UpdateVirtualInterfaceAttributes",
            json!({"virtualInterfaceId": v6_id, "prefixPoolAllocatedCountIpv6": 3001}),
        )
        .await,
        client_error(
            "prefixPoolAllocatedCountIpv6 3001 exceeds the maximum of 3000 prefixes per address family for a virtual interface."
        )
    );
    // Updates: growth needs room, shrinking never does.
    let second_id = id_of(&second, "virtualInterfaceId");
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "UpdateVirtualInterfaceAttributes",
            json!({"virtualInterfaceId": second_id, "prefixPoolAllocatedCountIpv4": 2001}),
        )
        .await,
        client_error(&format!("Insufficient unallocated IPv4 prefixes on {conn}"))
    );
    let shrunk = ok(
        &srv,
        OWNER,
        "UpdateVirtualInterfaceAttributes",
        json!({"virtualInterfaceId": id_of(&big, "virtualInterfaceId"), "prefixPoolAllocatedCountIpv4": 2500}),
    )
    .await;
    assert_eq!(shrunk["prefixPoolAllocatedCountIpv4"], 2500);
    assert_eq!(shrunk["prefixPoolAllocatedCountIpv6"], 0);
    let grown = ok(
        &srv,
        OWNER,
        "UpdateVirtualInterfaceAttributes",
        json!({"virtualInterfaceId": second_id, "prefixPoolAllocatedCountIpv4": 2500,
               "prefixPoolAllocatedCountIpv6": 2000}),
    )
    .await;
    assert_eq!(grown["prefixPoolAllocatedCountIpv4"], 2500);
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &conn).await),
        (5_000, 5_000, 0, 0)
    );
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "UpdateVirtualInterfaceAttributes",
            json!({"virtualInterfaceId": v6_id, "prefixPoolAllocatedCountIpv6": 3001}),
        )
        .await
        .1,
        "prefixPoolAllocatedCountIpv6 3001 exceeds the maximum of 3000 prefixes per address family for a virtual interface."
    );
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "UpdateVirtualInterfaceAttributes",
            json!({"virtualInterfaceId": v6_id, "prefixPoolAllocatedCountIpv4": 1}),
        )
        .await,
        client_error(&format!("Insufficient unallocated IPv4 prefixes on {conn}"))
    );
}

#[tokio::test]
async fn public_vifs_take_no_allocation() {
    let srv = TestServer::start().await;
    let conn = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    let public = ok(
        &srv,
        OWNER,
        "CreatePublicVirtualInterface",
        json!({"connectionId": conn, "newPublicVirtualInterface": {
            "virtualInterfaceName": "pub", "vlan": 104, "asn": 65000,
            "amazonAddress": "203.0.113.1/30", "customerAddress": "203.0.113.2/30",
            "routeFilterPrefixes": [{"cidr": "203.0.113.0/24"}]}}),
    )
    .await;
    let id = id_of(&public, "virtualInterfaceId");
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "UpdateVirtualInterfaceAttributes",
            json!({"virtualInterfaceId": id, "prefixPoolAllocatedCountIpv4": 10}),
        )
        .await,
        client_error(&format!(
            "Prefix pool allocations cannot be set on public virtual interface {id}: public virtual interfaces keep their limit of 1,000 prefixes."
        ))
    );
}

#[tokio::test]
async fn hosted_vifs_draw_from_the_owners_pool_and_hosted_connections_have_none() {
    let srv = TestServer::start().await;
    let conn = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    let hosted_vif = ok(
        &srv,
        OWNER,
        "AllocatePrivateVirtualInterface",
        json!({"connectionId": conn, "ownerAccount": OTHER,
               "newPrivateVirtualInterfaceAllocation": {"virtualInterfaceName": "h", "vlan": 200, "asn": 65000}}),
    )
    .await;
    assert_eq!(hosted_vif["prefixPoolAllocatedCountIpv4"], 100);
    assert_eq!(hosted_vif["prefixPoolAllocatedCountIpv6"], 100);
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &conn).await),
        (5_000, 5_000, 4_900, 4_900)
    );
    // The other account confirms it; its allocation stays on the owner's pool.
    let id = id_of(&hosted_vif, "virtualInterfaceId");
    ok(
        &srv,
        OTHER,
        "ConfirmPrivateVirtualInterface",
        json!({"virtualInterfaceId": id, "virtualGatewayId": VGW}),
    )
    .await;
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &conn).await),
        (5_000, 5_000, 4_900, 4_900)
    );
    // The other account does not see the owner's connection.
    assert_eq!(
        fails(
            &srv,
            OTHER,
            "DescribeConnections",
            json!({"connectionId": conn})
        )
        .await,
        client_error(&format!("Could not find Connection with ID {conn}"))
    );
    // The VIF's owner rejecting... the owner deleting it frees the prefixes.
    ok(
        &srv,
        OTHER,
        "DeleteVirtualInterface",
        json!({"virtualInterfaceId": id}),
    )
    .await;
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &conn).await),
        (5_000, 5_000, 5_000, 5_000)
    );

    // A hosted connection has no pool and no rate limiters.
    let interconnect = ok(
        &srv,
        OWNER,
        "CreateInterconnect",
        json!({"interconnectName": "ic", "bandwidth": "10Gbps", "location": "EqDC2"}),
    )
    .await;
    for member in POOL_MEMBERS {
        assert!(interconnect.get(member).is_none(), "{interconnect}");
    }
    let hosted = ok(
        &srv,
        OWNER,
        "AllocateHostedConnection",
        json!({"connectionId": interconnect["interconnectId"], "ownerAccount": OTHER,
               "bandwidth": "500Mbps", "connectionName": "hosted", "vlan": 300}),
    )
    .await;
    let hosted_id = id_of(&hosted, "connectionId");
    for answer in [
        hosted.clone(),
        describe_connection(&srv, OTHER, &hosted_id).await,
    ] {
        for member in POOL_MEMBERS {
            assert!(answer.get(member).is_none(), "{answer}");
        }
        assert!(answer.get("rateLimiterStatus").is_none(), "{answer}");
    }
    // VIFs on it may still set an allocation, with no pool to check.
    ok(
        &srv,
        OTHER,
        "ConfirmConnection",
        json!({"connectionId": hosted_id}),
    )
    .await;
    let on_hosted = ok(
        &srv,
        OTHER,
        "CreatePrivateVirtualInterface",
        private_body(
            &hosted_id,
            300,
            json!({"prefixPoolAllocatedCountIpv4": 1000}),
        ),
    )
    .await;
    assert_eq!(on_hosted["prefixPoolAllocatedCountIpv4"], 1000);
}

#[tokio::test]
async fn gateway_totals_sum_attached_vifs_up_to_their_limit() {
    let srv = TestServer::start().await;
    let conn = id_of(&connection(&srv, OWNER, "100Gbps").await, "connectionId");
    let (gw_id, gw) = gateway(&srv, OWNER, "gw").await;
    assert_eq!(gw["totalPrefixPoolAllocations"], 0);
    let on_gateway = |vlan: i32, v4: i32, v6: i32| {
        json!({"connectionId": conn, "newPrivateVirtualInterface": {
            "virtualInterfaceName": format!("gw-{vlan}"), "vlan": vlan, "asn": 65000,
            "directConnectGatewayId": gw_id,
            "prefixPoolAllocatedCountIpv4": v4, "prefixPoolAllocatedCountIpv6": v6}})
    };
    let first = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        on_gateway(100, 1000, 1000),
    )
    .await;
    assert_eq!(gateway_total_of(&srv, OWNER, &gw_id).await, 2_000);
    for vlan in 101..=104 {
        ok(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            on_gateway(vlan, 1000, 1000),
        )
        .await;
    }
    assert_eq!(gateway_total_of(&srv, OWNER, &gw_id).await, 10_000);
    let limit = format!(
        "Direct Connect Gateway {gw_id} would hold 10001 prefix pool allocations; its limit is 10000."
    );
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            on_gateway(105, 1, 0)
        )
        .await,
        client_error(&limit)
    );
    // A VIF with nothing allocated still fits.
    ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        on_gateway(105, 0, 0),
    )
    .await;
    let first_id = id_of(&first, "virtualInterfaceId");
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "UpdateVirtualInterfaceAttributes",
            json!({"virtualInterfaceId": first_id, "prefixPoolAllocatedCountIpv6": 1001}),
        )
        .await
        .0,
        "DirectConnectClientException"
    );
    ok(
        &srv,
        OWNER,
        "UpdateVirtualInterfaceAttributes",
        json!({"virtualInterfaceId": first_id, "prefixPoolAllocatedCountIpv6": 400}),
    )
    .await;
    assert_eq!(gateway_total_of(&srv, OWNER, &gw_id).await, 9_400);
    ok(
        &srv,
        OWNER,
        "DeleteVirtualInterface",
        json!({"virtualInterfaceId": first_id}),
    )
    .await;
    assert_eq!(gateway_total_of(&srv, OWNER, &gw_id).await, 8_000);
}

/// A LAG of `members` 10G ports of OWNER at EqDC2; its id and member ids.
async fn lag(srv: &TestServer, members: i32) -> (String, Vec<String>) {
    let lag = ok(
        srv,
        OWNER,
        "CreateLag",
        json!({"numberOfConnections": members, "location": "EqDC2",
               "connectionsBandwidth": "10Gbps", "lagName": "pool-lag"}),
    )
    .await;
    let ids = lag["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| id_of(c, "connectionId"))
        .collect();
    (id_of(&lag, "lagId"), ids)
}

#[tokio::test]
async fn a_lag_pools_its_billable_members_and_guards_removals() {
    let srv = TestServer::start().await;
    let (lag_id, members) = lag(&srv, 2).await;
    let described = describe_lag(&srv, OWNER, &lag_id).await;
    assert_eq!(pool(&described), (10_000, 10_000, 10_000, 10_000));
    assert_eq!(
        described["rateLimiterStatus"],
        json!({"maxAllowed": 10, "inUse": 0, "remaining": 10})
    );
    // Members show their own per-port pool, untouched.
    for m in described["connections"].as_array().unwrap() {
        assert_eq!(pool(m), (5_000, 5_000, 5_000, 5_000));
    }
    for vlan in 101..=6 + 100 {
        ok(
            &srv,
            OWNER,
            "CreatePrivateVirtualInterface",
            private_body(
                &lag_id,
                vlan,
                json!({"prefixPoolAllocatedCountIpv4": 1000, "prefixPoolAllocatedCountIpv6": 10}),
            ),
        )
        .await;
    }
    assert_eq!(
        pool(&describe_lag(&srv, OWNER, &lag_id).await),
        (10_000, 10_000, 4_000, 9_940)
    );
    // Taking a member out would leave 5,000 for 6,000 allocated.
    let shrink = format!(
        "Connection {} cannot leave {lag_id}: its prefix pool would shrink to 5000 prefixes per address family, below the 6000 IPv4 and 60 IPv6 prefixes allocated to its virtual interfaces.",
        members[1]
    );
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "DisassociateConnectionFromLag",
            json!({"connectionId": members[1], "lagId": lag_id}),
        )
        .await,
        client_error(&shrink)
    );
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "DeleteConnection",
            json!({"connectionId": members[1]})
        )
        .await,
        client_error(&shrink)
    );
    // Free one VIF: 5,000 allocated now fits one port.
    let vifs = ok(
        &srv,
        OWNER,
        "DescribeVirtualInterfaces",
        json!({"connectionId": lag_id}),
    )
    .await;
    let first = vifs["virtualInterfaces"][0]["virtualInterfaceId"].clone();
    ok(
        &srv,
        OWNER,
        "DeleteVirtualInterface",
        json!({"virtualInterfaceId": first}),
    )
    .await;
    let left = ok(
        &srv,
        OWNER,
        "DisassociateConnectionFromLag",
        json!({"connectionId": members[1], "lagId": lag_id}),
    )
    .await;
    assert_eq!(pool(&left), (5_000, 5_000, 5_000, 5_000));
    assert_eq!(
        pool(&describe_lag(&srv, OWNER, &lag_id).await),
        (5_000, 5_000, 0, 4_950)
    );
    // A standalone connection with a VIF joins: its VIF and its port come along.
    let joining = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        private_body(&joining, 300, json!({})),
    )
    .await;
    let joined = ok(
        &srv,
        OWNER,
        "AssociateConnectionWithLag",
        json!({"connectionId": joining, "lagId": lag_id}),
    )
    .await;
    assert_eq!(pool(&joined), (5_000, 5_000, 5_000, 5_000));
    assert_eq!(
        pool(&describe_lag(&srv, OWNER, &lag_id).await),
        (10_000, 10_000, 4_900, 9_850)
    );
    // The member that left comes back: three ports.
    ok(
        &srv,
        OWNER,
        "AssociateConnectionWithLag",
        json!({"connectionId": members[1], "lagId": lag_id}),
    )
    .await;
    assert_eq!(
        pool(&describe_lag(&srv, OWNER, &lag_id).await),
        (15_000, 15_000, 9_900, 14_850)
    );
}

#[tokio::test]
async fn a_connection_folded_into_a_new_lag_brings_its_vifs() {
    let srv = TestServer::start().await;
    let conn = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    let vif = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        private_body(&conn, 101, json!({"prefixPoolAllocatedCountIpv4": 700})),
    )
    .await;
    let lag = ok(
        &srv,
        OWNER,
        "CreateLag",
        json!({"numberOfConnections": 1, "location": "EqDC2", "connectionsBandwidth": "10Gbps",
               "lagName": "fold", "connectionId": conn}),
    )
    .await;
    assert_eq!(pool(&lag), (5_000, 5_000, 4_300, 4_900));
    let lag_id = id_of(&lag, "lagId");
    let described = ok(
        &srv,
        OWNER,
        "DescribeVirtualInterfaces",
        json!({"virtualInterfaceId": vif["virtualInterfaceId"]}),
    )
    .await;
    assert_eq!(
        described["virtualInterfaces"][0]["connectionId"],
        json!(lag_id)
    );
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &conn).await),
        (5_000, 5_000, 5_000, 5_000)
    );
}

#[tokio::test]
async fn moving_a_vif_moves_its_allocation() {
    let mut args = ServeArgs::for_tests();
    args.max_prefix_allocation = 5_000;
    let srv = TestServer::start_with(args).await;
    let from = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    let to = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    let vif = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        private_body(&from, 101, json!({"prefixPoolAllocatedCountIpv4": 3000})),
    )
    .await;
    let filler = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        private_body(&to, 102, json!({"prefixPoolAllocatedCountIpv4": 2001})),
    )
    .await;
    let id = id_of(&vif, "virtualInterfaceId");
    assert_eq!(
        fails(
            &srv,
            OWNER,
            "AssociateVirtualInterface",
            json!({"virtualInterfaceId": id, "connectionId": to}),
        )
        .await,
        client_error(&format!("Insufficient unallocated IPv4 prefixes on {to}"))
    );
    ok(
        &srv,
        OWNER,
        "UpdateVirtualInterfaceAttributes",
        json!({"virtualInterfaceId": filler["virtualInterfaceId"], "prefixPoolAllocatedCountIpv4": 2000}),
    )
    .await;
    ok(
        &srv,
        OWNER,
        "AssociateVirtualInterface",
        json!({"virtualInterfaceId": id, "connectionId": to}),
    )
    .await;
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &to).await),
        (5_000, 5_000, 0, 4_800)
    );
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &from).await),
        (5_000, 5_000, 5_000, 5_000)
    );
}

#[tokio::test]
async fn the_dashboard_shows_pools_limits_and_gateway_totals() {
    let srv = TestServer::start().await;
    let conn = id_of(&connection(&srv, OWNER, "10Gbps").await, "connectionId");
    let (gw_id, _) = gateway(&srv, OWNER, "gw").await;
    let vif = ok(
        &srv,
        OWNER,
        "CreatePrivateVirtualInterface",
        json!({"connectionId": conn, "newPrivateVirtualInterface": {
            "virtualInterfaceName": "d", "vlan": 101, "asn": 65000, "directConnectGatewayId": gw_id,
            "prefixPoolAllocatedCountIpv4": 250, "rateLimit": "1.5Gbps"}}),
    )
    .await;
    let html = reqwest::get(format!("{}/_dxemu/ui/fragment", srv.endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = |id: &str| {
        let start = html.find(&format!("<tr id=\"r-{id}\"")).expect("row");
        let end = start + html[start..].find("</tr>").expect("row end");
        html[start..end].to_string()
    };
    assert!(
        row(&conn).contains(
            "<span class=\"capacity\">IPv4 4750/5000 · IPv6 4900/5000 · 1 rate-limited (1.5Gbps) · <span class=\"billing\">PayAsYouGo</span></span>"
        ),
        "{}",
        row(&conn)
    );
    assert!(
        row(vif["virtualInterfaceId"].as_str().unwrap())
            .contains("<span class=\"capacity\">IPv4 250 · IPv6 100 · 1.5Gbps</span>")
    );
    assert!(row(&gw_id).contains("<span class=\"capacity\">350 / 10000</span>"));
    // The control API's listing stays as it was.
    let (status, listed) = control(&srv, "GET", "/_dxemu/resources", None).await;
    assert_eq!(status, 200);
    assert!(!listed.to_string().contains("capacity"), "{listed}");
}

#[tokio::test]
async fn confirming_a_hosted_vif_checks_the_gateway_limit() {
    let srv = TestServer::start().await;
    let conn = id_of(&connection(&srv, OWNER, "100Gbps").await, "connectionId");
    let (gw_id, _) = gateway(&srv, OTHER, "theirs").await;
    let mut vifs = Vec::new();
    for vlan in 401..=406 {
        let vif = ok(
            &srv,
            OWNER,
            "AllocatePrivateVirtualInterface",
            json!({"connectionId": conn, "ownerAccount": OTHER,
                   "newPrivateVirtualInterfaceAllocation": {"virtualInterfaceName": "h", "vlan": vlan, "asn": 65000}}),
        )
        .await;
        vifs.push(id_of(&vif, "virtualInterfaceId"));
    }
    // The owner of the VIFs raises five of them before attaching them.
    for id in &vifs[..5] {
        ok(
            &srv,
            OTHER,
            "UpdateVirtualInterfaceAttributes",
            json!({"virtualInterfaceId": id, "prefixPoolAllocatedCountIpv4": 1000,
                   "prefixPoolAllocatedCountIpv6": 1000}),
        )
        .await;
        ok(
            &srv,
            OTHER,
            "ConfirmPrivateVirtualInterface",
            json!({"virtualInterfaceId": id, "directConnectGatewayId": gw_id}),
        )
        .await;
    }
    assert_eq!(gateway_total_of(&srv, OTHER, &gw_id).await, 10_000);
    assert_eq!(
        pool(&describe_connection(&srv, OWNER, &conn).await),
        (30_000, 30_000, 24_900, 24_900)
    );
    assert_eq!(
        fails(
            &srv,
            OTHER,
            "ConfirmPrivateVirtualInterface",
            json!({"virtualInterfaceId": vifs[5], "directConnectGatewayId": gw_id}),
        )
        .await,
        client_error(&format!(
            "Direct Connect Gateway {gw_id} would hold 10200 prefix pool allocations; its limit is 10000."
        ))
    );
    // It still fits a virtual private gateway.
    ok(
        &srv,
        OTHER,
        "ConfirmPrivateVirtualInterface",
        json!({"virtualInterfaceId": vifs[5], "virtualGatewayId": VGW}),
    )
    .await;
}

async fn gateway_total_of(srv: &TestServer, account: &str, gw_id: &str) -> i64 {
    let answer = ok(
        srv,
        account,
        "DescribeDirectConnectGateways",
        json!({"directConnectGatewayId": gw_id}),
    )
    .await;
    answer["directConnectGateways"][0]["totalPrefixPoolAllocations"]
        .as_i64()
        .unwrap()
}
