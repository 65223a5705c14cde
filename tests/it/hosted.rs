use crate::common::*;
use aws_sdk_directconnect::types::{ConnectionState, InterconnectState};

const PARTNER: &str = OWNER;
const CUSTOMER: &str = OTHER;

async fn interconnect(dx: &aws_sdk_directconnect::Client) -> String {
    let ic = dx
        .create_interconnect()
        .interconnect_name("ix")
        .bandwidth("10Gbps")
        .location("EqDC2")
        .send()
        .await
        .unwrap();
    assert_eq!(ic.interconnect_state(), Some(&InterconnectState::Requested));
    ic.interconnect_id().unwrap().to_string()
}

#[tokio::test]
#[allow(deprecated)] // DescribeInterconnectLoa is deprecated in the model but still served
async fn partner_allocates_customer_confirms() {
    let srv = TestServer::start().await;
    let partner = srv.client(PARTNER, "us-east-1");
    let customer = srv.client(CUSTOMER, "us-east-1");
    let ic = interconnect(&partner).await;
    let described = partner
        .describe_interconnects()
        .interconnect_id(&ic)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.interconnects()[0].interconnect_state(),
        Some(&InterconnectState::Available)
    );
    assert!(
        partner
            .describe_interconnect_loa()
            .interconnect_id(&ic)
            .send()
            .await
            .unwrap()
            .loa()
            .is_some()
    );

    let hc = partner
        .allocate_hosted_connection()
        .connection_id(&ic)
        .owner_account(CUSTOMER)
        .bandwidth("500Mbps")
        .connection_name("customer-link")
        .vlan(101)
        .send()
        .await
        .unwrap();
    let hid = hc.connection_id().unwrap().to_string();
    assert_eq!(hc.connection_state(), Some(&ConnectionState::Ordering));
    assert_eq!(hc.owner_account(), Some(CUSTOMER));
    assert_eq!(hc.vlan(), 101);
    assert!(hc.partner_name().is_some());
    assert_eq!(hc.location(), Some("EqDC2"));

    // The customer sees it among its connections; the partner does not.
    let mine = customer.describe_connections().send().await.unwrap();
    assert_eq!(mine.connections().len(), 1);
    assert_eq!(
        mine.connections()[0].connection_state(),
        Some(&ConnectionState::Ordering)
    );
    assert!(
        partner
            .describe_connections()
            .send()
            .await
            .unwrap()
            .connections()
            .is_empty()
    );
    // The partner sees it on its interconnect.
    let on_ic = partner
        .describe_hosted_connections()
        .connection_id(&ic)
        .send()
        .await
        .unwrap();
    assert_eq!(on_ic.connections().len(), 1);
    assert_eq!(on_ic.connections()[0].connection_id(), Some(hid.as_str()));
    // The customer cannot look at the partner's interconnect.
    let (_, msg) = error_of(
        customer
            .describe_hosted_connections()
            .connection_id(&ic)
            .send()
            .await,
    );
    assert_eq!(
        msg,
        format!("{CUSTOMER} DescribeHostedConnections failed for connection {ic} doesn't exist.")
    );

    let (_, msg) = error_of(
        partner
            .confirm_connection()
            .connection_id(&hid)
            .send()
            .await,
    );
    assert!(msg.contains("Could not find Connection with ID"), "{msg}");
    let confirmed = customer
        .confirm_connection()
        .connection_id(&hid)
        .send()
        .await
        .unwrap();
    assert_eq!(
        confirmed.connection_state(),
        Some(&ConnectionState::Pending)
    );
    let now = customer
        .describe_connections()
        .connection_id(&hid)
        .send()
        .await
        .unwrap();
    assert_eq!(
        now.connections()[0].connection_state(),
        Some(&ConnectionState::Available)
    );
    let (_, msg) = error_of(
        customer
            .confirm_connection()
            .connection_id(&hid)
            .send()
            .await,
    );
    assert_eq!(
        msg,
        format!("ConfirmConnection failed. {hid} is in state available")
    );

    // An interconnect with hosted connections cannot be deleted; the partner deletes them first.
    let (_, msg) = error_of(
        partner
            .delete_interconnect()
            .interconnect_id(&ic)
            .send()
            .await,
    );
    assert!(msg.contains("hosted connections"), "{msg}");
    let gone = partner
        .delete_connection()
        .connection_id(&hid)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.connection_state(), Some(&ConnectionState::Deleted));
    let del = partner
        .delete_interconnect()
        .interconnect_id(&ic)
        .send()
        .await
        .unwrap();
    assert_eq!(del.interconnect_state(), Some(&InterconnectState::Deleted));
}

#[tokio::test]
async fn customer_declining_rejects_and_vlans_are_unique() {
    let srv = TestServer::start().await;
    let partner = srv.client(PARTNER, "us-east-1");
    let customer = srv.client(CUSTOMER, "us-east-1");
    let ic = interconnect(&partner).await;
    let alloc = |vlan: i32, bw: &str| {
        partner
            .allocate_hosted_connection()
            .connection_id(&ic)
            .owner_account(CUSTOMER)
            .bandwidth(bw)
            .connection_name("h")
            .vlan(vlan)
            .send()
    };
    let hc = alloc(200, "1Gbps").await.unwrap();
    let (_, msg) = error_of(alloc(200, "1Gbps").await);
    assert!(msg.contains("VLAN 200"), "{msg}");
    let (_, msg) = error_of(alloc(0, "1Gbps").await);
    assert!(msg.contains("VLAN"), "{msg}");
    let (_, msg) = error_of(alloc(4095, "1Gbps").await);
    assert!(msg.contains("VLAN"), "{msg}");
    let (_, msg) = error_of(alloc(300, "3Gbps").await);
    assert!(msg.contains("hosted connection bandwidth"), "{msg}");
    let (_, msg) = error_of(alloc(300, "25Gbps").await);
    assert!(msg.contains("exceeds"), "{msg}");
    let rejected = customer
        .delete_connection()
        .connection_id(hc.connection_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        rejected.connection_state(),
        Some(&ConnectionState::Rejected)
    );
    // The VLAN is free again.
    alloc(200, "1Gbps").await.unwrap();
}

#[tokio::test]
async fn only_configured_partners_may_sell() {
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.partners = vec![format!("{PARTNER}=Acme Connect")];
    let srv = TestServer::start_with(args).await;
    let partner = srv.client(PARTNER, "us-east-1");
    let customer = srv.client(CUSTOMER, "us-east-1");
    let (_, msg) = error_of(
        customer
            .create_interconnect()
            .interconnect_name("x")
            .bandwidth("1Gbps")
            .location("EqDC2")
            .send()
            .await,
    );
    assert_eq!(
        msg,
        format!("Account {CUSTOMER} is not an authorized Direct Connect partner in us-east-1.")
    );
    let ic = interconnect(&partner).await;
    let (_, msg) = error_of(
        customer
            .allocate_hosted_connection()
            .connection_id(&ic)
            .owner_account(PARTNER)
            .bandwidth("1Gbps")
            .connection_name("x")
            .vlan(5)
            .send()
            .await,
    );
    assert!(
        msg.contains("not an authorized Direct Connect partner"),
        "{msg}"
    );
    let hc = partner
        .allocate_hosted_connection()
        .connection_id(&ic)
        .owner_account(CUSTOMER)
        .bandwidth("1Gbps")
        .connection_name("x")
        .vlan(5)
        .send()
        .await
        .unwrap();
    assert_eq!(hc.partner_name(), Some("Acme Connect"));
    // A LAG created by a partner allows hosted connections; one by a customer does not.
    let plag = partner
        .create_lag()
        .number_of_connections(1)
        .location("EqDC2")
        .connections_bandwidth("10Gbps")
        .lag_name("p")
        .send()
        .await
        .unwrap();
    assert!(plag.allows_hosted_connections());
    let clag = customer
        .create_lag()
        .number_of_connections(1)
        .location("EqDC2")
        .connections_bandwidth("10Gbps")
        .lag_name("c")
        .send()
        .await
        .unwrap();
    assert!(!clag.allows_hosted_connections());
}

#[tokio::test]
async fn hosted_connections_move_between_parents() {
    let srv = TestServer::start().await;
    let partner = srv.client(PARTNER, "us-east-1");
    let ic = interconnect(&partner).await;
    let lag = partner
        .create_lag()
        .number_of_connections(1)
        .location("EqDC2")
        .connections_bandwidth("10Gbps")
        .lag_name("p")
        .send()
        .await
        .unwrap();
    let lag_id = lag.lag_id().unwrap();
    let hc = partner
        .allocate_hosted_connection()
        .connection_id(&ic)
        .owner_account(CUSTOMER)
        .bandwidth("1Gbps")
        .connection_name("m")
        .vlan(7)
        .send()
        .await
        .unwrap();
    let hid = hc.connection_id().unwrap();
    let moved = partner
        .associate_hosted_connection()
        .connection_id(hid)
        .parent_connection_id(lag_id)
        .send()
        .await
        .unwrap();
    assert_eq!(moved.lag_id(), Some(lag_id));
    assert_eq!(moved.connection_state(), Some(&ConnectionState::Ordering));
    assert_eq!(
        partner
            .describe_hosted_connections()
            .connection_id(lag_id)
            .send()
            .await
            .unwrap()
            .connections()
            .len(),
        1
    );
    assert!(
        partner
            .describe_hosted_connections()
            .connection_id(&ic)
            .send()
            .await
            .unwrap()
            .connections()
            .is_empty()
    );
    let (_, msg) = error_of(partner.delete_lag().lag_id(lag_id).send().await);
    assert!(msg.contains("hosted connections"), "{msg}");
    // The interconnect joins the LAG (its hosted connections would follow it).
    let joined = partner
        .associate_connection_with_lag()
        .connection_id(&ic)
        .lag_id(lag_id)
        .send()
        .await
        .unwrap();
    assert_eq!(joined.lag_id(), Some(lag_id));
    let l = partner.describe_lags().lag_id(lag_id).send().await.unwrap();
    assert_eq!(l.lags()[0].connections().len(), 2);
    #[allow(deprecated)]
    let on = partner
        .describe_connections_on_interconnect()
        .interconnect_id(&ic)
        .send()
        .await
        .unwrap();
    assert!(on.connections().is_empty());
}
