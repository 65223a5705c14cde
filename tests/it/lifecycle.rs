//! Lifecycle modes and the control API that moves resources on demand.

use crate::common::*;
use aws_sdk_directconnect::types::{
    BgpStatus, ConnectionState, NewPrivateVirtualInterface, VirtualInterfaceState,
};
use serde_json::json;

async fn server(mode: &str, scale: f64) -> TestServer {
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.lifecycle = mode.into();
    args.time_scale = scale;
    TestServer::start_with(args).await
}

#[tokio::test]
async fn manual_mode_moves_only_when_told() {
    let srv = server("manual", 1.0).await;
    let dx = srv.owner();
    let (_, clock) = control(&srv, "GET", "/_dxemu/clock", None).await;
    assert_eq!(clock["lifecycle"], "manual");
    let id = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("10Gbps")
        .connection_name("m")
        .send()
        .await
        .unwrap()
        .connection_id()
        .unwrap()
        .to_string();
    // Thirty days later nothing has happened on its own.
    let (status, advanced) = control(
        &srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": 30 * 86400})),
    )
    .await;
    assert_eq!(status, 200, "{advanced}");
    assert_eq!(connection_state(&dx, &id).await, ConnectionState::Requested);
    // The LOA is not issued yet.
    let (_, msg) = error_of(dx.describe_loa().connection_id(&id).send().await);
    assert!(msg.contains("not available"), "{msg}");
    // The control API issues the LOA, then brings the port up.
    let path = format!("/_dxemu/resources/connection/{id}/state");
    let (status, body) = control(&srv, "POST", &path, Some(json!({"state": "pending"}))).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("pending")));
    assert_eq!(connection_state(&dx, &id).await, ConnectionState::Pending);
    let (status, body) = control(&srv, "POST", &path, Some(json!({"state": "requested"}))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("InvalidTransition"))
    );
    control(&srv, "POST", &path, Some(json!({"state": "available"}))).await;
    assert_eq!(connection_state(&dx, &id).await, ConnectionState::Available);
    // A link going down, and coming back.
    let (status, _) = control(&srv, "POST", &path, Some(json!({"state": "down"}))).await;
    assert_eq!(status, 200);
    assert_eq!(connection_state(&dx, &id).await, ConnectionState::Down);
    control(&srv, "POST", &path, Some(json!({"state": "available"}))).await;

    // A VIF's BGP goes down with it.
    let vif = dx
        .create_private_virtual_interface()
        .connection_id(&id)
        .new_private_virtual_interface(
            NewPrivateVirtualInterface::builder()
                .virtual_interface_name("v")
                .vlan(9)
                .asn(65000)
                .virtual_gateway_id("vgw-aba37db6")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let vid = vif.virtual_interface_id().unwrap();
    let vpath = format!("/_dxemu/resources/vif/{vid}/state");
    control(&srv, "POST", &vpath, Some(json!({"state": "available"}))).await;
    let (status, _) = control(&srv, "POST", &vpath, Some(json!({"state": "down"}))).await;
    assert_eq!(status, 200);
    let v = dx
        .describe_virtual_interfaces()
        .virtual_interface_id(vid)
        .send()
        .await
        .unwrap();
    let v = &v.virtual_interfaces()[0];
    assert_eq!(
        v.virtual_interface_state(),
        Some(&VirtualInterfaceState::Down)
    );
    assert_eq!(v.bgp_peers()[0].bgp_status(), Some(&BgpStatus::Down));

    // Listing and unknown ids.
    let (_, listed) = control(
        &srv,
        "POST",
        "/_dxemu/resources?kind=connection&account=111111111111",
        None,
    )
    .await;
    assert_eq!(listed["resources"].as_array().unwrap().len(), 1);
    let (status, _) = control(
        &srv,
        "POST",
        "/_dxemu/resources/connection/dxcon-fzzzzzzz/state",
        Some(json!({"state": "pending"})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = control(&srv, "GET", "/_dxemu/resources?kind=nonsense", None).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn realistic_mode_keeps_aws_order_on_a_scaled_clock() {
    // 3600× faster: an hour of AWS time passes in a second of the emulator's clock.
    let srv = server("realistic", 3600.0).await;
    let dx = srv.owner();
    let id = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("r")
        .send()
        .await
        .unwrap()
        .connection_id()
        .unwrap()
        .to_string();
    assert_eq!(connection_state(&dx, &id).await, ConnectionState::Requested);
    // The LOA takes an hour (one scaled second), the cross-connect another.
    control(
        &srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": 1.0})),
    )
    .await;
    assert_eq!(connection_state(&dx, &id).await, ConnectionState::Pending);
    control(
        &srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": 1.0})),
    )
    .await;
    assert_eq!(connection_state(&dx, &id).await, ConnectionState::Available);
}

#[tokio::test]
async fn reset_forgets_everything() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    dx.create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("gone")
        .send()
        .await
        .unwrap();
    let (status, _) = control(&srv, "POST", "/_dxemu/reset", Some(json!({}))).await;
    assert_eq!(status, 200);
    assert!(
        dx.describe_connections()
            .send()
            .await
            .unwrap()
            .connections()
            .is_empty()
    );
    let (_, listed) = control(&srv, "GET", "/_dxemu/resources", None).await;
    assert_eq!(listed["resources"], json!([]));
}

#[tokio::test]
async fn transitions_happen_without_traffic() {
    // 72000× faster: the LOA and the cross-connect take 50 ms each.
    let srv = server("realistic", 72000.0).await;
    let dx = srv.owner();
    let id = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("quiet")
        .send()
        .await
        .unwrap()
        .connection_id()
        .unwrap()
        .to_string();
    // The control listing reads the store as it is (it applies nothing
    // itself), so only the lifecycle task can have moved the connection.
    let mut state = String::new();
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let (_, listed) = control(&srv, "GET", "/_dxemu/resources?kind=connection", None).await;
        state = listed["resources"][0]["state"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if state == "available" {
            break;
        }
    }
    assert_eq!(state, "available", "{id} did not come up on its own");
}

#[tokio::test]
async fn instant_mode_stores_a_new_connection_provisioned_and_counts_its_steps() {
    let srv = server("instant", 1.0).await;
    let dx = srv.owner();
    let mut ids = Vec::new();
    for i in 0..3 {
        let created = dx
            .create_connection()
            .location("EqDC2")
            .bandwidth("1Gbps")
            .connection_name(format!("i{i}"))
            .send()
            .await
            .unwrap();
        // Answered as AWS answers a create, stored as already provisioned.
        assert_eq!(
            created.connection_state(),
            Some(&ConnectionState::Requested)
        );
        ids.push(created.connection_id().unwrap().to_string());
    }
    for id in &ids {
        assert_eq!(connection_state(&dx, id).await, ConnectionState::Available);
    }
    let (_, listed) = control(&srv, "GET", "/_dxemu/resources?kind=connection", None).await;
    let stored: Vec<(&str, &str)> = listed["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["state"].as_str().unwrap()))
        .collect();
    assert_eq!(stored.len(), 3, "{listed}");
    assert!(
        stored
            .iter()
            .all(|(id, state)| ids.contains(&id.to_string()) && *state == "available"),
        "{listed}"
    );
    // requested → pending → available, for each.
    let (_, clock) = control(&srv, "GET", "/_dxemu/clock", None).await;
    assert_eq!(clock["lifecycleTransitionsApplied"], 6, "{clock}");
}
