//! The control API beyond lifecycle: fault injection, accounts and partners,
//! BGP status, LAGs taken down, per-account reset, state export and import,
//! and catching up on transitions after a restart.

use crate::common::*;
use aws_sdk_directconnect::types::{
    BgpStatus, ConnectionState, LagState, NewPrivateVirtualInterface,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn throttling_is_retried_by_the_sdk_and_counted_down() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let (status, fault) = control(
        &srv,
        "POST",
        "/_dxemu/faults",
        Some(json!({"effect": "throttle", "operations": ["DescribeConnections"], "accounts": [OWNER], "count": 2})),
    )
    .await;
    assert_eq!(status, 200, "{fault}");
    assert_eq!(fault["remaining"], 2);
    // Another account and another operation are not affected.
    let other = srv.client(OTHER, "us-east-1");
    assert_eq!(
        control(&srv, "GET", "/_dxemu/faults", None).await.1["faults"][0]["remaining"],
        2
    );
    other.describe_connections().send().await.unwrap();
    dx.describe_lags().send().await.unwrap();
    // The SDK's standard retry mode (3 attempts) gets through two throttles.
    dx.describe_connections().send().await.unwrap();
    let (_, listed) = control(&srv, "GET", "/_dxemu/faults", None).await;
    assert_eq!(listed["faults"], json!([]), "a spent fault goes away");

    // Raw: the wire answer is AWS's throttling error.
    control(
        &srv,
        "POST",
        "/_dxemu/faults",
        Some(json!({"effect": "throttle", "count": 1})),
    )
    .await;
    let resp = reqwest::Client::new()
        .post(&srv.endpoint)
        .header("x-amz-target", "OvertureService.DescribeLags")
        .header("content-type", "application/x-amz-json-1.1")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(resp.headers()["x-amzn-errortype"], "ThrottlingException");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["__type"], "ThrottlingException");
    assert_eq!(body["message"], "Rate exceeded");
}

#[tokio::test]
async fn server_errors_latency_and_clearing() {
    let srv = TestServer::start().await;
    let (status, _) = control(
        &srv,
        "POST",
        "/_dxemu/faults",
        Some(json!({"effect": "server-error", "operations": ["DescribeLocations"], "count": 1, "message": "boom"})),
    )
    .await;
    assert_eq!(status, 200);
    let resp = reqwest::Client::new()
        .post(&srv.endpoint)
        .header("x-amz-target", "OvertureService.DescribeLocations")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        (body["__type"].as_str(), body["message"].as_str()),
        (Some("DirectConnectServerException"), Some("boom"))
    );

    // A fault with probability 0 never fires; a latency fault delays the call.
    control(
        &srv,
        "POST",
        "/_dxemu/faults",
        Some(json!({"effect": "server-error", "probability": 0.0})),
    )
    .await;
    let (_, lat) = control(
        &srv,
        "POST",
        "/_dxemu/faults",
        Some(json!({"effect": "latency", "latencyMs": 300, "operations": ["DescribeLags"]})),
    )
    .await;
    let dx = srv.owner();
    let started = Instant::now();
    dx.describe_lags().send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    dx.describe_locations().send().await.unwrap();
    let (_, listed) = control(&srv, "GET", "/_dxemu/faults", None).await;
    let faults = listed["faults"].as_array().unwrap();
    assert_eq!(faults.len(), 2);
    assert_eq!(faults[0]["fired"], 0, "probability 0 never fires");
    assert_eq!(faults[1]["fired"], 1);

    // One fault is removed by id, the rest all at once.
    let path = format!("/_dxemu/faults/{}", lat["id"]);
    assert_eq!(control(&srv, "DELETE", &path, None).await.0, 200);
    assert_eq!(control(&srv, "DELETE", &path, None).await.0, 404);
    assert_eq!(control(&srv, "DELETE", "/_dxemu/faults", None).await.0, 200);
    assert_eq!(
        control(&srv, "GET", "/_dxemu/faults", None).await.1["faults"],
        json!([])
    );

    // Bad specs are refused with a reason.
    for bad in [
        json!({"effect": "explode"}),
        json!({"effect": "throttle", "operations": ["NoSuchOperation"]}),
        json!({"effect": "latency"}),
        json!({"effect": "throttle", "probability": 2}),
        json!({"effect": "throttle", "count": 0}),
    ] {
        let (status, body) = control(&srv, "POST", "/_dxemu/faults", Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad} → {body}");
        assert_eq!(body["error"], "BadRequest");
    }
}

#[tokio::test]
async fn access_keys_and_partners_are_registered_at_run_time() {
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.partners = vec![format!("{OWNER}=Owner Networks")];
    let srv = TestServer::start_with(args).await;

    // An access key mapped at run time acts as its account.
    let (status, _) = control(
        &srv,
        "POST",
        "/_dxemu/accounts/keys",
        Some(json!({"accessKey": "AKIARUNTIMEKEY", "account": "333333333333"})),
    )
    .await;
    assert_eq!(status, 200);
    let mapped = srv.client("AKIARUNTIMEKEY", "us-east-1");
    let id = connection_at(&mapped, "EqDC2", "mapped").await;
    let (_, listed) = control(
        &srv,
        "GET",
        "/_dxemu/resources?kind=connection&account=333333333333",
        None,
    )
    .await;
    assert_eq!(listed["resources"][0]["id"], id.as_str());
    let (status, _) = control(
        &srv,
        "POST",
        "/_dxemu/accounts/keys",
        Some(json!({"accessKey": "AKIA2", "account": "not-an-account"})),
    )
    .await;
    assert_eq!(status, 400);

    // OTHER is not a partner until it is registered, and not after removal.
    let other = srv.client(OTHER, "us-east-1");
    let try_interconnect = || {
        other
            .create_interconnect()
            .interconnect_name("ic")
            .bandwidth("10Gbps")
            .location("EqDC2")
            .send()
    };
    let (code, msg) = error_of(try_interconnect().await);
    assert_eq!(code, "DirectConnectClientException");
    assert!(
        msg.contains("is not an authorized Direct Connect partner"),
        "{msg}"
    );
    let (status, body) = control(
        &srv,
        "POST",
        "/_dxemu/partners",
        Some(json!({"account": OTHER, "partnerName": "Other Fibre"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    try_interconnect().await.unwrap();
    let (_, accounts) = control(&srv, "GET", "/_dxemu/accounts", None).await;
    assert_eq!(accounts["everyAccountIsPartner"], false);
    assert_eq!(accounts["accessKeys"]["AKIARUNTIMEKEY"], "333333333333");
    let names: Vec<&str> = accounts["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["partnerName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Owner Networks", "Other Fibre"]);
    let path = format!("/_dxemu/partners/{OTHER}");
    assert_eq!(control(&srv, "DELETE", &path, None).await.0, 200);
    assert_eq!(control(&srv, "DELETE", &path, None).await.0, 404);
    let (code, _) = error_of(try_interconnect().await);
    assert_eq!(code, "DirectConnectClientException");
}

#[tokio::test]
async fn bgp_status_is_set_per_peer_and_follows_the_vif() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let conn = connection_at(&dx, "EqDC2", "bgp").await;
    let vif = dx
        .create_private_virtual_interface()
        .connection_id(&conn)
        .new_private_virtual_interface(
            NewPrivateVirtualInterface::builder()
                .virtual_interface_name("v")
                .vlan(101)
                .asn(65000)
                .virtual_gateway_id("vgw-12345678")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .virtual_interface_id()
        .unwrap()
        .to_string();
    let peers = |vif: String| {
        let dx = dx.clone();
        async move {
            let out = dx
                .describe_virtual_interfaces()
                .virtual_interface_id(vif)
                .send()
                .await
                .unwrap();
            let v = &out.virtual_interfaces()[0];
            v.bgp_peers()
                .iter()
                .map(|p| {
                    (
                        p.bgp_peer_id().unwrap().to_string(),
                        p.bgp_status().cloned(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let before = peers(vif.clone()).await;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].1, Some(BgpStatus::Up));
    let peer_id = before[0].0.clone();

    let path = format!("/_dxemu/vifs/{vif}/bgp-peers/{peer_id}/status");
    let (status, body) = control(&srv, "POST", &path, Some(json!({"bgpStatus": "down"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(peers(vif.clone()).await[0].1, Some(BgpStatus::Down));
    let (status, _) = control(&srv, "POST", &path, Some(json!({"bgpStatus": "up"}))).await;
    assert_eq!(status, 200);
    assert_eq!(peers(vif.clone()).await[0].1, Some(BgpStatus::Up));

    // Unknown peers and statuses are refused; a session cannot be up on a VIF that is down.
    let wrong = format!("/_dxemu/vifs/{vif}/bgp-peers/dxpeer-nope/status");
    assert_eq!(
        control(&srv, "POST", &wrong, Some(json!({"bgpStatus": "down"})))
            .await
            .0,
        404
    );
    assert_eq!(
        control(&srv, "POST", &path, Some(json!({"bgpStatus": "flapping"})))
            .await
            .0,
        400
    );
    let force = format!("/_dxemu/resources/vif/{vif}/state");
    assert_eq!(
        control(&srv, "POST", &force, Some(json!({"state": "down"})))
            .await
            .0,
        200
    );
    assert_eq!(peers(vif.clone()).await[0].1, Some(BgpStatus::Down));
    let all = format!("/_dxemu/vifs/{vif}/bgp-status");
    let (status, body) = control(&srv, "POST", &all, Some(json!({"bgpStatus": "up"}))).await;
    assert_eq!(status, 409, "{body}");
}

#[tokio::test]
async fn a_lag_goes_down_with_its_members_and_comes_back() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let lag = dx
        .create_lag()
        .number_of_connections(2)
        .location("EqDC2")
        .connections_bandwidth("10Gbps")
        .lag_name("lag")
        .send()
        .await
        .unwrap()
        .lag_id()
        .unwrap()
        .to_string();
    let state = |lag: String| {
        let dx = dx.clone();
        async move {
            let out = dx.describe_lags().lag_id(lag).send().await.unwrap();
            let l = &out.lags()[0];
            let members: Vec<ConnectionState> = l
                .connections()
                .iter()
                .map(|c| c.connection_state().cloned().unwrap())
                .collect();
            (l.lag_state().cloned().unwrap(), members)
        }
    };
    assert_eq!(state(lag.clone()).await.0, LagState::Available);
    let path = format!("/_dxemu/resources/lag/{lag}/state");
    let (status, body) = control(&srv, "POST", &path, Some(json!({"state": "down"}))).await;
    assert_eq!(status, 200, "{body}");
    let (lag_state, members) = state(lag.clone()).await;
    assert_eq!(lag_state, LagState::Down);
    assert_eq!(members, [ConnectionState::Down, ConnectionState::Down]);
    // The control listing (and so the dashboard) reports what DescribeLags does.
    let (_, listed) = control(&srv, "GET", "/_dxemu/resources?kind=lag", None).await;
    assert_eq!(listed["resources"][0]["state"], "down");
    assert_eq!(
        control(&srv, "POST", &path, Some(json!({"state": "available"})))
            .await
            .0,
        200
    );
    assert_eq!(state(lag.clone()).await.0, LagState::Available);
    assert_eq!(
        control(&srv, "POST", &path, Some(json!({"state": "requested"})))
            .await
            .0,
        409
    );
}

#[tokio::test]
async fn reset_of_one_account_leaves_the_others() {
    let srv = TestServer::start().await;
    let (owner, other) = (srv.owner(), srv.client(OTHER, "us-east-1"));
    connection_at(&owner, "EqDC2", "mine").await;
    connection_at(&other, "EqDC2", "theirs").await;
    let (status, body) = control(
        &srv,
        "POST",
        "/_dxemu/reset",
        Some(json!({"account": OWNER})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["removed"], 1);
    assert!(connection_names(&owner).await.is_empty());
    assert_eq!(connection_names(&other).await, ["theirs"]);
}

#[tokio::test]
async fn state_exports_and_imports_into_another_server() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let conn = connection_at(&dx, "EqDC2", "exported").await;
    dx.tag_resource()
        .resource_arn(format!(
            "arn:aws:directconnect:us-east-1:{OWNER}:dxcon/{conn}"
        ))
        .tags(
            aws_sdk_directconnect::types::Tag::builder()
                .key("team")
                .value("net")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    dx.create_direct_connect_gateway()
        .direct_connect_gateway_name("gw")
        .amazon_side_asn(64512)
        .send()
        .await
        .unwrap();
    let (status, export) = control(&srv, "GET", "/_dxemu/state", None).await;
    assert_eq!(status, 200);
    assert_eq!(export["format"], "dxemu-state/1");
    let kinds: Vec<&str> = export["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"connection") && kinds.contains(&"gateway"),
        "{kinds:?}"
    );

    let before = format!(
        "{:?}",
        dx.describe_connections()
            .send()
            .await
            .unwrap()
            .connections()
    );
    let tags_before = format!(
        "{:?}",
        dx.describe_tags()
            .resource_arns(format!(
                "arn:aws:directconnect:us-east-1:{OWNER}:dxcon/{conn}"
            ))
            .send()
            .await
            .unwrap()
            .resource_tags()
    );

    let fresh = TestServer::start().await;
    let (status, body) = control(&fresh, "POST", "/_dxemu/state", Some(export.clone())).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], kinds.len());
    let dx2 = fresh.owner();
    let after = format!(
        "{:?}",
        dx2.describe_connections()
            .send()
            .await
            .unwrap()
            .connections()
    );
    assert_eq!(before, after);
    let tags_after = format!(
        "{:?}",
        dx2.describe_tags()
            .resource_arns(format!(
                "arn:aws:directconnect:us-east-1:{OWNER}:dxcon/{conn}"
            ))
            .send()
            .await
            .unwrap()
            .resource_tags()
    );
    assert_eq!(tags_before, tags_after);
    let gws = dx2.describe_direct_connect_gateways().send().await.unwrap();
    assert_eq!(gws.direct_connect_gateways().len(), 1);
    // The imported resources keep working: the connection can be deleted.
    dx2.delete_connection()
        .connection_id(&conn)
        .send()
        .await
        .unwrap();

    // Importing over the same ids replaces them in one step.
    let (status, body) = control(&srv, "POST", "/_dxemu/state", Some(export.clone())).await;
    assert_eq!(status, 200, "{body}");
    let again = format!(
        "{:?}",
        dx.describe_connections()
            .send()
            .await
            .unwrap()
            .connections()
    );
    assert_eq!(before, again);

    // Importing replaces, and a bad export changes nothing.
    let mut broken = export.clone();
    broken["resources"][0]["document"]["wire"]["bandwidth"] = json!(42);
    let (status, body) = control(&fresh, "POST", "/_dxemu/state", Some(broken)).await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("resources[0]"),
        "{body}"
    );
    let (status, _) = control(
        &fresh,
        "POST",
        "/_dxemu/state",
        Some(json!({"format": "other", "resources": []})),
    )
    .await;
    assert_eq!(status, 400);
    let states: Vec<_> = dx2
        .describe_connections()
        .connection_id(&conn)
        .send()
        .await
        .unwrap()
        .connections()
        .iter()
        .map(|c| c.connection_state().cloned())
        .collect();
    assert_eq!(states, [Some(ConnectionState::Deleted)]);
}

#[tokio::test]
async fn a_restart_catches_up_on_transitions_that_fell_due_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(dxemu::clock::ManualClock::new(1_800_000_000_000));
    let args = || {
        let mut a = dxemu::cli::ServeArgs::for_tests();
        a.in_memory = false;
        a.data_dir = dir.path().to_path_buf();
        a.lifecycle = "realistic".into();
        a
    };
    let id = {
        let srv = TestServer::start_on(args(), clock.clone()).await;
        let id = connection_at(&srv.owner(), "EqDC2", "while-down").await;
        let (_, listed) = control(&srv, "GET", "/_dxemu/resources?kind=connection", None).await;
        assert_eq!(listed["resources"][0]["state"], "requested");
        id
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Three hours pass while the server is down: the LOA and cross-connect steps fall due.
    dxemu::clock::Clock::advance(clock.as_ref(), 3 * 3600 * 1000);
    let srv = TestServer::start_on(args(), clock.clone()).await;
    // The control listing runs no catch-up of its own: the start did it.
    let (_, listed) = control(&srv, "GET", "/_dxemu/resources?kind=connection", None).await;
    assert_eq!(listed["resources"][0]["id"], id.as_str());
    assert_eq!(listed["resources"][0]["state"], "available");
}

#[tokio::test]
async fn a_proposal_can_be_expired_on_demand() {
    let srv = TestServer::start().await;
    let (owner, other) = (srv.owner(), srv.client(OTHER, "us-east-1"));
    let gw = owner
        .create_direct_connect_gateway()
        .direct_connect_gateway_name("expiring")
        .send()
        .await
        .unwrap()
        .direct_connect_gateway()
        .unwrap()
        .direct_connect_gateway_id()
        .unwrap()
        .to_string();
    let pid = other
        .create_direct_connect_gateway_association_proposal()
        .direct_connect_gateway_id(&gw)
        .direct_connect_gateway_owner_account(OWNER)
        .gateway_id("tgw-0123456789abcdef0")
        .send()
        .await
        .unwrap()
        .direct_connect_gateway_association_proposal()
        .unwrap()
        .proposal_id()
        .unwrap()
        .to_string();
    let path = format!("/_dxemu/resources/association-proposal/{pid}/state");
    let (status, body) = control(&srv, "POST", &path, Some(json!({"state": "deleted"}))).await;
    assert_eq!(status, 200, "{body}");
    let seen = owner
        .describe_direct_connect_gateway_association_proposals()
        .proposal_id(&pid)
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.direct_connect_gateway_association_proposals()[0]
            .proposal_state()
            .map(|s| s.as_str()),
        Some("deleted")
    );
    // An expired proposal cannot be accepted, and cannot come back.
    let accepted = owner
        .accept_direct_connect_gateway_association_proposal()
        .direct_connect_gateway_id(&gw)
        .proposal_id(&pid)
        .associated_gateway_owner_account(OTHER)
        .send()
        .await;
    assert!(accepted.is_err());
    let (status, _) = control(&srv, "POST", &path, Some(json!({"state": "requested"}))).await;
    assert_eq!(status, 409);
}

/// The clock moves at most 366 days per call, from the control API as from
/// the dashboard; anything else is a clear 400 and leaves the clock alone.
#[tokio::test]
async fn clock_advances_are_bounded_and_checked_once() {
    let srv = TestServer::start().await;
    let (_, before) = control(&srv, "GET", "/_dxemu/clock", None).await;
    for bad in [
        json!(1e300),
        json!(-1),
        json!(366 * 86400 + 1),
        json!("ten"),
    ] {
        let (status, body) = control(
            &srv,
            "POST",
            "/_dxemu/clock/advance",
            Some(json!({ "seconds": bad })),
        )
        .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"], "BadRequest");
    }
    let (status, body) = control(
        &srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": 1e300})),
    )
    .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (
            400,
            Some("seconds must be a number from 0 to 31622400 (366 days)")
        )
    );
    let (_, after) = control(&srv, "GET", "/_dxemu/clock", None).await;
    let moved = after["nowMs"].as_i64().unwrap() - before["nowMs"].as_i64().unwrap();
    assert!((0..60_000).contains(&moved), "the clock moved {moved} ms");
    let (status, body) = control(
        &srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": 366 * 86400})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
