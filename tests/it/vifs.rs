use crate::common::*;
use aws_sdk_directconnect::types::{
    AddressFamily, BgpPeerState, BgpStatus, NewBgpPeer, NewPrivateVirtualInterface,
    NewPrivateVirtualInterfaceAllocation, NewPublicVirtualInterface, RouteFilterPrefix,
    VirtualInterfaceState,
};
use dxemu::clock::Clock as _;
use std::sync::Arc;

const VGW: &str = "vgw-aba37db6";

async fn connection(dx: &aws_sdk_directconnect::Client) -> String {
    let c = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("10Gbps")
        .connection_name("vif-host")
        .send()
        .await
        .unwrap();
    c.connection_id().unwrap().to_string()
}

fn private(vlan: i32) -> aws_sdk_directconnect::types::builders::NewPrivateVirtualInterfaceBuilder {
    NewPrivateVirtualInterface::builder()
        .virtual_interface_name(format!("vif-{vlan}"))
        .vlan(vlan)
        .asn(65000)
}

#[tokio::test]
async fn private_vif_on_a_vgw() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let conn = connection(&dx).await;
    let vif = dx
        .create_private_virtual_interface()
        .connection_id(&conn)
        .new_private_virtual_interface(private(101).virtual_gateway_id(VGW).build().unwrap())
        .send()
        .await
        .unwrap();
    let id = vif.virtual_interface_id().unwrap().to_string();
    assert!(
        regex::Regex::new(r"^dxvif-[a-z0-9]{8}$")
            .unwrap()
            .is_match(&id)
    );
    assert_eq!(
        vif.virtual_interface_state(),
        Some(&VirtualInterfaceState::Pending)
    );
    assert_eq!(vif.virtual_interface_type(), Some("private"));
    assert_eq!(vif.vlan(), 101);
    assert_eq!(vif.asn(), 65000);
    assert_eq!(vif.asn_long(), Some(65000));
    assert_eq!(vif.amazon_side_asn(), Some(64512));
    assert_eq!(vif.mtu(), Some(1500));
    assert_eq!(vif.virtual_gateway_id(), Some(VGW));
    assert_eq!(vif.direct_connect_gateway_id(), Some(""));
    assert!(vif.auth_key().unwrap().starts_with("0x"));
    assert!(
        vif.amazon_address().unwrap().starts_with("169.254.")
            && vif.amazon_address().unwrap().ends_with("/30")
    );
    let peer = &vif.bgp_peers()[0];
    assert!(
        regex::Regex::new(r"^dxpeer-[a-z0-9]{8}$")
            .unwrap()
            .is_match(peer.bgp_peer_id().unwrap())
    );
    assert_eq!(peer.bgp_peer_state(), Some(&BgpPeerState::Pending));
    assert_eq!(peer.bgp_status(), Some(&BgpStatus::Down));
    let xml = vif.customer_router_config().unwrap();
    assert!(
        xml.contains("<vlan>101</vlan>")
            && xml.contains("<connection_type>private</connection_type>"),
        "{xml}"
    );

    let now = dx
        .describe_virtual_interfaces()
        .virtual_interface_id(&id)
        .send()
        .await
        .unwrap();
    let v = &now.virtual_interfaces()[0];
    assert_eq!(
        v.virtual_interface_state(),
        Some(&VirtualInterfaceState::Available)
    );
    assert_eq!(v.bgp_peers()[0].bgp_status(), Some(&BgpStatus::Up));
    assert_eq!(
        v.bgp_peers()[0].bgp_peer_state(),
        Some(&BgpPeerState::Available)
    );
    let gws = dx.describe_virtual_gateways().send().await.unwrap();
    assert_eq!(gws.virtual_gateways()[0].virtual_gateway_id(), Some(VGW));
    // Unknown ids and other accounts: an empty list, as Terraform expects.
    assert!(
        dx.describe_virtual_interfaces()
            .virtual_interface_id("dxvif-fzzzzzzz")
            .send()
            .await
            .unwrap()
            .virtual_interfaces()
            .is_empty()
    );
    let other = srv.client(OTHER, "us-east-1");
    assert!(
        other
            .describe_virtual_interfaces()
            .virtual_interface_id(&id)
            .send()
            .await
            .unwrap()
            .virtual_interfaces()
            .is_empty()
    );
    assert!(
        other
            .describe_virtual_gateways()
            .send()
            .await
            .unwrap()
            .virtual_gateways()
            .is_empty()
    );
    let (_, msg) = error_of(
        other
            .delete_virtual_interface()
            .virtual_interface_id(&id)
            .send()
            .await,
    );
    assert!(msg.contains("does not exist"), "{msg}");

    // A connection with a VIF cannot be deleted; the VIF goes deleting → deleted.
    let (_, msg) = error_of(dx.delete_connection().connection_id(&conn).send().await);
    assert!(msg.contains("virtual interfaces"), "{msg}");
    let del = dx
        .delete_virtual_interface()
        .virtual_interface_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        del.virtual_interface_state(),
        Some(&VirtualInterfaceState::Deleting)
    );
    let gone = dx
        .describe_virtual_interfaces()
        .virtual_interface_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        gone.virtual_interfaces()[0].virtual_interface_state(),
        Some(&VirtualInterfaceState::Deleted)
    );
    dx.delete_connection()
        .connection_id(&conn)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn vif_validation() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let conn = connection(&dx).await;
    let create = |b: aws_sdk_directconnect::types::builders::NewPrivateVirtualInterfaceBuilder| {
        dx.create_private_virtual_interface()
            .connection_id(&conn)
            .new_private_virtual_interface(b.build().unwrap())
            .send()
    };
    create(private(10).virtual_gateway_id(VGW)).await.unwrap();
    let cases = [
        (
            private(10).virtual_gateway_id(VGW),
            "VLAN 10 is already in use",
        ),
        (private(0).virtual_gateway_id(VGW), "VLAN 0"),
        (private(4095).virtual_gateway_id(VGW), "VLAN 4095"),
        (
            private(11),
            "exactly one of virtualGatewayId and directConnectGatewayId",
        ),
        (
            private(12).virtual_gateway_id("vgw-nothex!"),
            "invalid format",
        ),
        (private(13).virtual_gateway_id(VGW).mtu(8500), "mtu 8500"),
        (
            private(14).virtual_gateway_id(VGW).auth_key("short"),
            "authKey",
        ),
        (private(15).virtual_gateway_id(VGW).asn(0), "asn"),
        (
            private(16)
                .virtual_gateway_id(VGW)
                .amazon_address("10.0.0.1/30"),
            "both amazonAddress and customerAddress",
        ),
        (
            private(17)
                .virtual_gateway_id(VGW)
                .direct_connect_gateway_id("5f294f92-bafb-4011-916d-9b0bd0000000"),
            "exactly one",
        ),
    ];
    for (builder, needle) in cases {
        let (code, msg) = error_of(create(builder).await);
        assert_eq!(code, "DirectConnectClientException");
        assert!(msg.contains(needle), "{needle}: {msg}");
    }
    // asnLong wins over asn; jumbo MTU works on a jumbo-capable port.
    let v = create(
        private(20)
            .virtual_gateway_id(VGW)
            .asn_long(4_200_000_000)
            .mtu(9001),
    )
    .await
    .unwrap();
    assert_eq!(
        (v.asn(), v.asn_long(), v.mtu()),
        (0, Some(4_200_000_000), Some(9001))
    );
    let renamed = dx
        .update_virtual_interface_attributes()
        .virtual_interface_id(v.virtual_interface_id().unwrap())
        .mtu(1500)
        .virtual_interface_name("renamed")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (renamed.mtu(), renamed.virtual_interface_name()),
        (Some(1500), Some("renamed"))
    );
    // A VIF cannot go on a connection that is gone.
    let dead = connection(&dx).await;
    dx.delete_connection()
        .connection_id(&dead)
        .send()
        .await
        .unwrap();
    let (_, msg) = error_of(
        dx.create_private_virtual_interface()
            .connection_id(&dead)
            .new_private_virtual_interface(private(30).virtual_gateway_id(VGW).build().unwrap())
            .send()
            .await,
    );
    assert!(
        msg.contains("The specified Connection ID is not available"),
        "{msg}"
    );
}

#[tokio::test]
async fn public_vif_address_rules() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let conn = connection(&dx).await;
    let public = |amazon: &str, customer: &str| {
        NewPublicVirtualInterface::builder()
            .virtual_interface_name("pub")
            .vlan(200)
            .asn(65010)
            .amazon_address(amazon)
            .customer_address(customer)
            .route_filter_prefixes(RouteFilterPrefix::builder().cidr("198.51.100.0/24").build())
            .build()
            .unwrap()
    };
    for (a, c, text) in [
        (
            "10.0.0.1/30",
            "10.0.0.2/30",
            "Amazon Address is not allowed to contain a private IP",
        ),
        (
            "203.0.113.1/30",
            "203.0.113.9/30",
            "Amazon Address and Customer Address must be in the same CIDR",
        ),
        (
            "203.0.113.0/30",
            "203.0.113.2/30",
            "Amazon Address is address 0 on its subnet.",
        ),
        (
            "203.0.113.3/30",
            "203.0.113.2/30",
            "Amazon Address is the broadcast address on its subnet.",
        ),
    ] {
        let (_, msg) = error_of(
            dx.create_public_virtual_interface()
                .connection_id(&conn)
                .new_public_virtual_interface(public(a, c))
                .send()
                .await,
        );
        assert_eq!(msg, text);
    }
    let v = dx
        .create_public_virtual_interface()
        .connection_id(&conn)
        .new_public_virtual_interface(public("203.0.113.1/30", "203.0.113.2/30"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        v.virtual_interface_state(),
        Some(&VirtualInterfaceState::Verifying)
    );
    assert_eq!(v.route_filter_prefixes()[0].cidr(), Some("198.51.100.0/24"));
    assert_eq!(
        v.bgp_peers()[0].bgp_peer_state(),
        Some(&BgpPeerState::Verifying)
    );
    let later = dx
        .describe_virtual_interfaces()
        .virtual_interface_id(v.virtual_interface_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        later.virtual_interfaces()[0].virtual_interface_state(),
        Some(&VirtualInterfaceState::Available)
    );
}

#[tokio::test]
async fn hosted_vif_allocate_confirm_reject() {
    let srv = TestServer::start().await;
    let partner = srv.owner();
    let customer = srv.client(OTHER, "us-east-1");
    let conn = connection(&partner).await;
    let alloc = |vlan: i32| {
        partner
            .allocate_private_virtual_interface()
            .connection_id(&conn)
            .owner_account(OTHER)
            .new_private_virtual_interface_allocation(
                NewPrivateVirtualInterfaceAllocation::builder()
                    .virtual_interface_name("hosted")
                    .vlan(vlan)
                    .asn(65020)
                    .build()
                    .unwrap(),
            )
            .send()
    };
    let v = alloc(300).await.unwrap();
    let id = v.virtual_interface_id().unwrap().to_string();
    assert_eq!(
        v.virtual_interface_state(),
        Some(&VirtualInterfaceState::Confirming)
    );
    assert_eq!(v.owner_account(), Some(OTHER));
    let seen = customer.describe_virtual_interfaces().send().await.unwrap();
    assert_eq!(seen.virtual_interfaces().len(), 1);
    assert_eq!(
        seen.virtual_interfaces()[0].virtual_interface_state(),
        Some(&VirtualInterfaceState::Confirming)
    );
    // The partner sees it on its connection too.
    let on_conn = partner
        .describe_virtual_interfaces()
        .connection_id(&conn)
        .send()
        .await
        .unwrap();
    assert_eq!(on_conn.virtual_interfaces().len(), 1);
    let (_, msg) = error_of(
        partner
            .confirm_private_virtual_interface()
            .virtual_interface_id(&id)
            .virtual_gateway_id(VGW)
            .send()
            .await,
    );
    assert!(
        msg.contains("does not exist"),
        "only the owner confirms: {msg}"
    );
    let confirmed = customer
        .confirm_private_virtual_interface()
        .virtual_interface_id(&id)
        .virtual_gateway_id(VGW)
        .send()
        .await
        .unwrap();
    assert_eq!(
        confirmed.virtual_interface_state(),
        Some(&VirtualInterfaceState::Pending)
    );
    let now = customer
        .describe_virtual_interfaces()
        .virtual_interface_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        now.virtual_interfaces()[0].virtual_interface_state(),
        Some(&VirtualInterfaceState::Available)
    );
    assert_eq!(now.virtual_interfaces()[0].virtual_gateway_id(), Some(VGW));
    let (_, msg) = error_of(
        customer
            .confirm_private_virtual_interface()
            .virtual_interface_id(&id)
            .virtual_gateway_id(VGW)
            .send()
            .await,
    );
    assert!(msg.contains("cannot be confirmed"), "{msg}");
    // A second one is declined by its owner.
    let second = alloc(301).await.unwrap();
    let rejected = customer
        .delete_virtual_interface()
        .virtual_interface_id(second.virtual_interface_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        rejected.virtual_interface_state(),
        Some(&VirtualInterfaceState::Rejected)
    );
    // The partner deletes the confirmed one.
    let del = partner
        .delete_virtual_interface()
        .virtual_interface_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        del.virtual_interface_state(),
        Some(&VirtualInterfaceState::Deleting)
    );
}

#[tokio::test]
async fn bgp_peers() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let conn = connection(&dx).await;
    let v = dx
        .create_private_virtual_interface()
        .connection_id(&conn)
        .new_private_virtual_interface(private(400).virtual_gateway_id(VGW).build().unwrap())
        .send()
        .await
        .unwrap();
    let id = v.virtual_interface_id().unwrap();
    let first = v.bgp_peers()[0].bgp_peer_id().unwrap().to_string();
    let (code, msg) = error_of(
        dx.delete_bgp_peer()
            .virtual_interface_id(id)
            .bgp_peer_id(&first)
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    assert_eq!(
        msg,
        "The last BGP Peer on a Virtual Interface cannot be deleted"
    );
    let out = dx
        .create_bgp_peer()
        .virtual_interface_id(id)
        .new_bgp_peer(
            NewBgpPeer::builder()
                .address_family(AddressFamily::IPv6)
                .asn(65001)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let peers = out.virtual_interface().unwrap().bgp_peers();
    assert_eq!(peers.len(), 2);
    let v6 = peers
        .iter()
        .find(|p| p.address_family() == Some(&AddressFamily::IPv6))
        .unwrap();
    assert!(v6.amazon_address().unwrap().ends_with("/125"));
    assert_eq!(v6.bgp_peer_state(), Some(&BgpPeerState::Pending));
    let (_, msg) = error_of(
        dx.create_bgp_peer()
            .virtual_interface_id(id)
            .new_bgp_peer(
                NewBgpPeer::builder()
                    .address_family(AddressFamily::IPv4)
                    .asn(65002)
                    .build(),
            )
            .send()
            .await,
    );
    assert!(msg.contains("already has a BGP peer"), "{msg}");
    let later = dx
        .describe_virtual_interfaces()
        .virtual_interface_id(id)
        .send()
        .await
        .unwrap();
    assert!(
        later.virtual_interfaces()[0]
            .bgp_peers()
            .iter()
            .all(|p| p.bgp_peer_state() == Some(&BgpPeerState::Available))
    );
    let del = dx
        .delete_bgp_peer()
        .virtual_interface_id(id)
        .bgp_peer_id(&first)
        .send()
        .await
        .unwrap();
    let state = del
        .virtual_interface()
        .unwrap()
        .bgp_peers()
        .iter()
        .find(|p| p.bgp_peer_id() == Some(first.as_str()))
        .unwrap()
        .bgp_peer_state()
        .cloned();
    assert_eq!(state, Some(BgpPeerState::Deleting));
    let after = dx
        .describe_virtual_interfaces()
        .virtual_interface_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(after.virtual_interfaces()[0].bgp_peers().len(), 1);
}

#[tokio::test]
async fn router_configuration() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let conn = connection(&dx).await;
    let v = dx
        .create_private_virtual_interface()
        .connection_id(&conn)
        .new_private_virtual_interface(
            private(500)
                .virtual_gateway_id(VGW)
                .auth_key("s3cret-key")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let id = v.virtual_interface_id().unwrap();
    let customer_ip = v
        .customer_address()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let out = dx
        .describe_router_configuration()
        .virtual_interface_id(id)
        .router_type_identifier("CiscoSystemsInc-2900SeriesRouters-IOS124")
        .send()
        .await
        .unwrap();
    let text = out.customer_router_config().unwrap();
    for needle in [
        "encapsulation dot1Q 500",
        &customer_ip,
        "router bgp 65000",
        "remote-as 64512",
        "password s3cret-key",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let router = out.router().unwrap();
    assert_eq!(router.vendor(), Some("Cisco Systems, Inc."));
    assert_eq!(
        router.router_type_identifier(),
        Some("CiscoSystemsInc-2900SeriesRouters-IOS124")
    );
    assert_eq!(out.virtual_interface_name(), Some("vif-500"));
    let junos = dx
        .describe_router_configuration()
        .virtual_interface_id(id)
        .router_type_identifier("JuniperNetworksInc-MMXSeriesRouters-JunOS95")
        .send()
        .await
        .unwrap();
    assert!(
        junos
            .customer_router_config()
            .unwrap()
            .contains("vlan-id 500")
    );
    assert!(
        junos
            .router()
            .unwrap()
            .xslt_template_name_for_mac_sec()
            .is_some()
    );
    let (_, msg) = error_of(
        dx.describe_router_configuration()
            .virtual_interface_id(id)
            .router_type_identifier("Acme-Toaster")
            .send()
            .await,
    );
    assert!(msg.contains("not supported"), "{msg}");
    let plain = dx
        .describe_router_configuration()
        .virtual_interface_id(id)
        .send()
        .await
        .unwrap();
    assert!(plain.customer_router_config().unwrap().starts_with("<?xml"));
}

#[tokio::test]
async fn failover_tests_run_out_or_stop() {
    let clock = Arc::new(dxemu::clock::ManualClock::new(1_800_000_000_000));
    let srv = TestServer::start_on(dxemu::cli::ServeArgs::for_tests(), clock.clone()).await;
    let dx = srv.owner();
    let conn = connection(&dx).await;
    let v = dx
        .create_private_virtual_interface()
        .connection_id(&conn)
        .new_private_virtual_interface(private(600).virtual_gateway_id(VGW).build().unwrap())
        .send()
        .await
        .unwrap();
    let id = v.virtual_interface_id().unwrap();
    dx.describe_virtual_interfaces()
        .virtual_interface_id(id)
        .send()
        .await
        .unwrap();
    let started = dx
        .start_bgp_failover_test()
        .virtual_interface_id(id)
        .test_duration_in_minutes(5)
        .send()
        .await
        .unwrap();
    let test = started.virtual_interface_test().unwrap();
    assert_eq!(test.status(), Some("in_progress"));
    assert_eq!(test.test_duration_in_minutes(), Some(5));
    let during = dx
        .describe_virtual_interfaces()
        .virtual_interface_id(id)
        .send()
        .await
        .unwrap();
    let vif = &during.virtual_interfaces()[0];
    assert_eq!(
        vif.virtual_interface_state(),
        Some(&VirtualInterfaceState::Testing)
    );
    assert_eq!(vif.bgp_peers()[0].bgp_status(), Some(&BgpStatus::Down));
    let (_, msg) = error_of(
        dx.start_bgp_failover_test()
            .virtual_interface_id(id)
            .send()
            .await,
    );
    assert!(msg.contains("already running"), "{msg}");
    // Five minutes later the test is over and BGP is back.
    clock.advance(5 * 60_000);
    let after = dx
        .describe_virtual_interfaces()
        .virtual_interface_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.virtual_interfaces()[0].virtual_interface_state(),
        Some(&VirtualInterfaceState::Available)
    );
    assert_eq!(
        after.virtual_interfaces()[0].bgp_peers()[0].bgp_status(),
        Some(&BgpStatus::Up)
    );
    let history = dx
        .list_virtual_interface_test_history()
        .virtual_interface_id(id)
        .send()
        .await
        .unwrap();
    let done = &history.virtual_interface_test_history()[0];
    assert_eq!(done.status(), Some("completed"));
    let (start, end) = (
        done.start_time().unwrap().secs(),
        done.end_time().unwrap().secs(),
    );
    assert_eq!(
        end - start,
        5 * 60,
        "the test ends when its duration runs out"
    );
    // A second test stopped by hand.
    dx.start_bgp_failover_test()
        .virtual_interface_id(id)
        .send()
        .await
        .unwrap();
    let stopped = dx
        .stop_bgp_failover_test()
        .virtual_interface_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stopped.virtual_interface_test().unwrap().status(),
        Some("cancelled")
    );
    assert!(
        stopped
            .virtual_interface_test()
            .unwrap()
            .end_time()
            .is_some()
    );
    let history = dx
        .list_virtual_interface_test_history()
        .virtual_interface_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(history.virtual_interface_test_history().len(), 2);
    let (_, msg) = error_of(
        dx.stop_bgp_failover_test()
            .virtual_interface_id(id)
            .send()
            .await,
    );
    assert!(msg.contains("No BGP failover test"), "{msg}");
    let (_, msg) = error_of(
        dx.start_bgp_failover_test()
            .virtual_interface_id(id)
            .test_duration_in_minutes(5000)
            .send()
            .await,
    );
    assert!(msg.contains("testDurationInMinutes"), "{msg}");
}
