//! Resiliency groups: lifecycle, membership rules, quotas, port pairs, tags
//! and isolation. The SDK predates these operations: they go as raw JSON 1.1.

use crate::common::*;
use serde_json::{Value, json};

const REGION: &str = "us-east-1";

async fn server_with(mode: &str, groups: usize, members: usize) -> TestServer {
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.lifecycle = mode.into();
    args.max_resiliency_groups = groups;
    args.max_resiliency_group_members = members;
    TestServer::start_with(args).await
}

/// A raw call signed as `account` in `region`.
async fn api_in(
    srv: &TestServer,
    account: &str,
    region: &str,
    op: &str,
    body: Value,
) -> (u16, Value) {
    raw_call(srv, account, region, op, body).await
}

async fn api(srv: &TestServer, op: &str, body: Value) -> (u16, Value) {
    api_in(srv, OWNER, REGION, op, body).await
}

/// A call that must succeed; its answer.
async fn ok(srv: &TestServer, op: &str, body: Value) -> Value {
    let (status, out) = api(srv, op, body).await;
    assert_eq!(status, 200, "{op}: {out}");
    out
}

/// A call that must fail: its error type and message.
async fn fails(srv: &TestServer, op: &str, body: Value) -> (String, String) {
    let (status, out) = api(srv, op, body).await;
    assert_eq!(status, 400, "{op}: {out}");
    (
        out["__type"].as_str().unwrap_or_default().to_string(),
        out["message"]
            .as_str()
            .or(out["Message"].as_str())
            .unwrap_or_default()
            .to_string(),
    )
}

const CCE: &str = "DirectConnectClientException";
const LEE: &str = "LimitExceededException";

async fn create_group(srv: &TestServer, name: &str) -> Value {
    ok(
        srv,
        "CreateResiliencyGroup",
        json!({"resiliencyGroupName": name, "intendedResiliencyModel": "high-resiliency"}),
    )
    .await["resiliencyGroup"]
        .clone()
}

fn id_of(group: &Value) -> String {
    group["resiliencyGroupId"].as_str().unwrap().to_string()
}

async fn get_group(srv: &TestServer, id: &str) -> Value {
    ok(srv, "GetResiliencyGroup", json!({"resiliencyGroupId": id})).await["resiliencyGroup"].clone()
}

async fn associate(srv: &TestServer, group: &str, members: &[&str]) -> (u16, Value) {
    api(
        srv,
        "AssociateConnectionsToResiliencyGroup",
        json!({"resiliencyGroupId": group, "connectionIdentifiers": members}),
    )
    .await
}

async fn disassociate(srv: &TestServer, group: &str, members: &[&str]) -> (u16, Value) {
    api(
        srv,
        "DisassociateConnectionsFromResiliencyGroup",
        json!({"resiliencyGroupId": group, "connectionIdentifiers": members}),
    )
    .await
}

/// (member ARN, state) of every association a group lists.
async fn associations(srv: &TestServer, group: &str) -> Vec<(String, String)> {
    let out = ok(
        srv,
        "ListResiliencyGroupAssociations",
        json!({"resiliencyGroupId": group}),
    )
    .await;
    out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["resiliencyGroupId"].as_str(), Some(group));
            (
                a["connectionArn"].as_str().unwrap().to_string(),
                a["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn con_arn(id: &str) -> String {
    format!("arn:aws:directconnect:{REGION}:{OWNER}:dxcon/{id}")
}

fn lag_arn(id: &str) -> String {
    format!("arn:aws:directconnect:{REGION}:{OWNER}:dxlag/{id}")
}

async fn force(srv: &TestServer, kind: &str, id: &str, state: &str) -> (u16, Value) {
    control(
        srv,
        "POST",
        &format!("/_dxemu/resources/{kind}/{id}/state"),
        Some(json!({ "state": state })),
    )
    .await
}

async fn group_ids_listed(srv: &TestServer) -> Vec<String> {
    let out = ok(srv, "ListResiliencyGroups", json!({})).await;
    out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["resiliencyGroupId"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn manual_mode_steps_groups_and_memberships_one_by_one() {
    let srv = server_with("manual", 100, 50).await;
    let dx = srv.owner();
    let created = create_group(&srv, "core-dc_1").await;
    let id = id_of(&created);
    let re = regex::Regex::new(r"^dxrg-[0-9a-z]{17}$").unwrap();
    assert!(re.is_match(&id), "{id}");
    assert_eq!(
        created,
        json!({
            "resiliencyGroupId": id,
            "resiliencyGroupArn": format!("arn:aws:directconnect::{OWNER}:dx-resiliency-group/{id}"),
            "resiliencyGroupName": "core-dc_1",
            "resiliencyGroupType": "Managed",
            "ownerAccount": OWNER,
            "state": "pending",
        })
    );
    // Nothing moves on its own in manual mode.
    control(
        &srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": 86400})),
    )
    .await;
    assert_eq!(get_group(&srv, &id).await["state"], "pending");
    let (status, body) = force(&srv, "resiliency-group", &id, "deleted").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (409, Some("InvalidTransition"))
    );
    let (status, body) = force(&srv, "resiliency-group", &id, "available").await;
    assert_eq!((status, body["state"].as_str()), (200, Some("available")));
    // The control API lists it with its name and model.
    let (_, listed) = control(
        &srv,
        "GET",
        &format!("/_dxemu/resources?kind=resiliency-group&account={OWNER}"),
        None,
    )
    .await;
    assert_eq!(listed["resources"][0]["name"], "core-dc_1");
    assert_eq!(listed["resources"][0]["model"], "high-resiliency");
    assert_eq!(listed["resources"][0]["state"], "available");
    // Ids match in any case.
    let upper = id.to_ascii_uppercase();
    assert_eq!(get_group(&srv, &upper).await["state"], "available");

    // A connection still `requested` may join (by ARN).
    let c1 = connection_at(&dx, "EqDC2", "one").await;
    let (status, out) = associate(&srv, &id, &[&con_arn(&c1)]).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out,
        json!({"resiliencyGroupAssociations": [
            {"resiliencyGroupId": id, "connectionArn": con_arn(&c1), "state": "associating"}
        ]})
    );
    let assoc = format!("{id}:{c1}");
    assert_eq!(
        associations(&srv, &id).await,
        vec![(con_arn(&c1), "associating".to_string())]
    );
    let (status, _) = force(&srv, "resiliency-group-association", &assoc, "associated").await;
    assert_eq!(status, 200);
    assert_eq!(
        associations(&srv, &id).await,
        vec![(con_arn(&c1), "associated".to_string())]
    );
    // A group with members cannot be deleted.
    let (ty, msg) = fails(
        &srv,
        "DeleteResiliencyGroup",
        json!({"resiliencyGroupId": id}),
    )
    .await;
    assert_eq!(ty, CCE);
    assert_eq!(
        msg,
        format!(
            "Resiliency group {id} cannot be deleted while it has connections (1): disassociate them first."
        )
    );
    let (status, out) = disassociate(&srv, &id, &[&c1]).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out["resiliencyGroupAssociations"][0]["state"],
        "disassociating"
    );
    // Leaving already: a repeat changes nothing.
    let (_, again) = disassociate(&srv, &id, &[&c1]).await;
    assert_eq!(
        again["resiliencyGroupAssociations"][0]["state"],
        "disassociating"
    );
    force(
        &srv,
        "resiliency-group-association",
        &assoc,
        "disassociated",
    )
    .await;
    assert_eq!(
        associations(&srv, &id).await,
        vec![(con_arn(&c1), "disassociated".to_string())]
    );
    let (ty, msg) = fails(
        &srv,
        "DisassociateConnectionsFromResiliencyGroup",
        json!({"resiliencyGroupId": id, "connectionIdentifiers": [c1]}),
    )
    .await;
    assert_eq!(
        (ty.as_str(), msg),
        (
            CCE,
            format!("{c1} does not belong to resiliency group {id}")
        )
    );

    let deleted = ok(
        &srv,
        "DeleteResiliencyGroup",
        json!({"resiliencyGroupId": id}),
    )
    .await;
    assert_eq!(deleted["resiliencyGroup"]["state"], "deleting");
    assert_eq!(get_group(&srv, &id).await["state"], "deleting");
    // Listed while deleting, no longer once deleted.
    assert_eq!(group_ids_listed(&srv).await, vec![id.clone()]);
    let (ty, msg) = fails(
        &srv,
        "UpdateResiliencyGroup",
        json!({"resiliencyGroupId": id, "resiliencyGroupName": "x"}),
    )
    .await;
    assert_eq!(
        (ty.as_str(), msg),
        (CCE, format!("Resiliency group {id} is in state deleting."))
    );
    force(&srv, "resiliency-group", &id, "deleted").await;
    assert_eq!(get_group(&srv, &id).await["state"], "deleted");
    assert!(group_ids_listed(&srv).await.is_empty());
    // Deleted groups stay visible for 15 minutes, then are gone.
    control(
        &srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": 901})),
    )
    .await;
    let (ty, msg) = fails(&srv, "GetResiliencyGroup", json!({"resiliencyGroupId": id})).await;
    assert_eq!(
        (ty.as_str(), msg),
        (CCE, format!("Resiliency group {id} does not exist"))
    );
}

#[tokio::test]
async fn instant_and_realistic_modes_move_groups_on() {
    let srv = server_with("instant", 100, 50).await;
    let g = create_group(&srv, "fast").await;
    assert_eq!(g["state"], "pending");
    assert_eq!(get_group(&srv, &id_of(&g)).await["state"], "available");

    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.lifecycle = "realistic".into();
    args.time_scale = 1.0;
    let slow = TestServer::start_with(args).await;
    let g = create_group(&slow, "slow").await;
    assert_eq!(get_group(&slow, &id_of(&g)).await["state"], "pending");
    control(
        &slow,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": 61})),
    )
    .await;
    assert_eq!(get_group(&slow, &id_of(&g)).await["state"], "available");
}

#[tokio::test]
async fn membership_changes_are_atomic_and_one_group_per_connection() {
    let srv = server_with("instant", 100, 50).await;
    let dx = srv.owner();
    let g1 = id_of(&create_group(&srv, "g1").await);
    let g2 = id_of(&create_group(&srv, "g2").await);
    let c1 = connection_at(&dx, "EqDC2", "c1").await;
    let c2 = connection_at(&dx, "EqDC2", "c2").await;
    // One unknown identifier: nothing changes.
    let (status, out) = associate(&srv, &g1, &[&c1, "dxcon-ffffffff"]).await;
    assert_eq!(status, 400);
    assert_eq!(out["__type"], CCE);
    assert_eq!(
        out["message"],
        "Could not find Connection with ID dxcon-ffffffff"
    );
    assert!(associations(&srv, &g1).await.is_empty());
    let (status, out) = associate(&srv, &g1, &["dxvif-fabc1234"]).await;
    assert_eq!((status, out["__type"].as_str()), (400, Some(CCE)));
    assert_eq!(
        out["message"],
        "connectionIdentifiers: dxvif-fabc1234 is not the ID or ARN of a connection or LAG."
    );
    // The same connection twice, by id and ARN, joins once.
    let (status, out) = associate(&srv, &g1, &[&c1, &con_arn(&c1)]).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out["resiliencyGroupAssociations"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        associations(&srv, &g1).await,
        vec![(con_arn(&c1), "associated".to_string())]
    );
    // Joining the same group again changes nothing.
    let (status, out) = associate(&srv, &g1, &[&c1]).await;
    assert_eq!(status, 200);
    assert_eq!(out["resiliencyGroupAssociations"][0]["state"], "associated");
    // A connection belongs to one group at most; c2 does not join g2 either.
    let (status, out) = associate(&srv, &g2, &[&c2, &c1]).await;
    assert_eq!(status, 400);
    assert_eq!(
        out["message"],
        format!("{c1} already belongs to resiliency group {g1}")
    );
    assert!(associations(&srv, &g2).await.is_empty());
    // Disassociation is atomic too: c2 is no member of g1, so c1 stays.
    let (status, out) = disassociate(&srv, &g1, &[&c1, &c2]).await;
    assert_eq!(status, 400);
    assert_eq!(
        out["message"],
        format!("{c2} does not belong to resiliency group {g1}")
    );
    assert_eq!(
        associations(&srv, &g1).await,
        vec![(con_arn(&c1), "associated".to_string())]
    );
    // Unknown groups, in the caller's own words.
    let (ty, msg) = fails(
        &srv,
        "ListResiliencyGroupAssociations",
        json!({"resiliencyGroupId": "dxrg-00000000000000000"}),
    )
    .await;
    assert_eq!(
        (ty.as_str(), msg.as_str()),
        (
            CCE,
            "Resiliency group dxrg-00000000000000000 does not exist"
        )
    );
    // A malformed id is refused by the model's pattern.
    let (ty, msg) = fails(
        &srv,
        "GetResiliencyGroup",
        json!({"resiliencyGroupId": "dxrg-short"}),
    )
    .await;
    assert_eq!(ty, CCE);
    assert!(msg.contains("resiliencyGroupId"), "{msg}");
    // Names follow the model's pattern.
    let (ty, msg) = fails(
        &srv,
        "CreateResiliencyGroup",
        json!({"resiliencyGroupName": "bad name", "intendedResiliencyModel": "basic-resiliency"}),
    )
    .await;
    assert_eq!(ty, CCE);
    assert!(msg.contains("resiliencyGroupName"), "{msg}");
    // Update renames only.
    let renamed = ok(
        &srv,
        "UpdateResiliencyGroup",
        json!({"resiliencyGroupId": g1, "resiliencyGroupName": "renamed"}),
    )
    .await;
    assert_eq!(renamed["resiliencyGroup"]["resiliencyGroupName"], "renamed");
    assert_eq!(renamed["resiliencyGroup"]["state"], "available");
    assert_eq!(get_group(&srv, &g1).await["resiliencyGroupName"], "renamed");
}

#[tokio::test]
async fn quotas_hold_at_and_past_the_edge() {
    let srv = server_with("instant", 2, 2).await;
    let dx = srv.owner();
    let g1 = id_of(&create_group(&srv, "a").await);
    let g2 = id_of(&create_group(&srv, "b").await);
    let (ty, msg) = fails(
        &srv,
        "CreateResiliencyGroup",
        json!({"resiliencyGroupName": "c", "intendedResiliencyModel": "maximum-resiliency"}),
    )
    .await;
    assert_eq!(
        (ty.as_str(), msg),
        (
            LEE,
            format!("Account {OWNER} has reached its limit of 2 resiliency groups in {REGION}.")
        )
    );
    // Another Region has its own quota.
    let (status, _) = api_in(
        &srv,
        OWNER,
        "us-west-2",
        "CreateResiliencyGroup",
        json!({"resiliencyGroupName": "w", "intendedResiliencyModel": "basic-resiliency"}),
    )
    .await;
    assert_eq!(status, 200);
    // A deleted group frees its place.
    ok(
        &srv,
        "DeleteResiliencyGroup",
        json!({"resiliencyGroupId": g2}),
    )
    .await;
    let fresh = id_of(&create_group(&srv, "c").await);

    let c: Vec<String> = futures_join(&dx, 3).await;
    let (status, _) = associate(&srv, &g1, &[&c[0], &c[1]]).await;
    assert_eq!(status, 200);
    let (status, out) = associate(&srv, &g1, &[&c[2]]).await;
    assert_eq!(status, 400);
    assert_eq!(out["__type"], LEE);
    assert_eq!(
        out["message"],
        format!(
            "Resiliency group {g1} can have at most 2 connections; this request would give it 3."
        )
    );
    // Past the edge in one call: nothing joins.
    ok(
        &srv,
        "DisassociateConnectionsFromResiliencyGroup",
        json!({"resiliencyGroupId": g1, "connectionIdentifiers": [c[0], c[1]]}),
    )
    .await;
    let (status, out) = associate(&srv, &fresh, &[&c[0], &c[1], &c[2]]).await;
    assert_eq!((status, out["__type"].as_str()), (400, Some(LEE)));
    assert!(associations(&srv, &fresh).await.is_empty());
    // Leaving members free their places at once.
    let (status, _) = associate(&srv, &g1, &[&c[2]]).await;
    assert_eq!(status, 200);
}

/// `n` new 10 Gbps connections of the owner at EqDC2.
async fn futures_join(dx: &aws_sdk_directconnect::Client, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            dx.create_connection()
                .location("EqDC2")
                .bandwidth("10Gbps")
                .connection_name(format!("p{i}"))
                .send()
                .await
                .unwrap()
                .connection_id()
                .unwrap()
                .to_string(),
        );
    }
    out
}

#[tokio::test]
async fn lags_join_as_one_member_and_others_are_refused() {
    let srv = server_with("instant", 100, 50).await;
    let owner = srv.owner();
    let g = id_of(&create_group(&srv, "lags").await);
    let lag = owner
        .create_lag()
        .number_of_connections(2)
        .location("EqDC2")
        .connections_bandwidth("10Gbps")
        .lag_name("bond")
        .send()
        .await
        .unwrap();
    let lag_id = lag.lag_id().unwrap().to_string();
    let member = lag.connections()[0].connection_id().unwrap().to_string();
    let (status, out) = associate(&srv, &g, &[&lag_arn(&lag_id)]).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out["resiliencyGroupAssociations"][0]["connectionArn"],
        lag_arn(&lag_id)
    );
    // A LAG's member joins through its LAG.
    let (status, out) = associate(&srv, &g, &[&member]).await;
    assert_eq!(status, 400);
    assert_eq!(
        out["message"],
        format!(
            "Connection {member} is a member of Lag {lag_id}: add the LAG to the resiliency group instead."
        )
    );
    // An interconnect and a hosted connection are not dedicated connections.
    let ic = owner
        .create_interconnect()
        .interconnect_name("ic")
        .bandwidth("10Gbps")
        .location("EqDC2")
        .send()
        .await
        .unwrap()
        .interconnect_id()
        .unwrap()
        .to_string();
    let (_, out) = associate(&srv, &g, &[&ic]).await;
    assert_eq!(out["__type"], CCE);
    assert_eq!(
        out["message"],
        format!(
            "{ic} is an interconnect: only dedicated connections and LAGs can join a resiliency group."
        )
    );
    let hosted = owner
        .allocate_hosted_connection()
        .connection_id(&ic)
        .owner_account(OTHER)
        .bandwidth("500Mbps")
        .connection_name("h")
        .vlan(101)
        .send()
        .await
        .unwrap()
        .connection_id()
        .unwrap()
        .to_string();
    let other_group = api_in(
        &srv,
        OTHER,
        REGION,
        "CreateResiliencyGroup",
        json!({"resiliencyGroupName": "cust", "intendedResiliencyModel": "high-resiliency"}),
    )
    .await
    .1["resiliencyGroup"]["resiliencyGroupId"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, out) = api_in(
        &srv,
        OTHER,
        REGION,
        "AssociateConnectionsToResiliencyGroup",
        json!({"resiliencyGroupId": other_group, "connectionIdentifiers": [hosted]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        out["message"],
        format!(
            "Connection {hosted} is a hosted connection: only dedicated connections and LAGs can join a resiliency group."
        )
    );
    // Deleting the LAG ends its membership; the group can then go.
    owner.delete_lag().lag_id(&lag_id).send().await.unwrap();
    assert_eq!(
        associations(&srv, &g).await,
        vec![(lag_arn(&lag_id), "disassociated".to_string())]
    );
    let (status, out) = associate(&srv, &g, &[&lag_id]).await;
    assert_eq!(status, 400);
    assert_eq!(out["message"], format!("Lag {lag_id} is in state deleted."));
    ok(
        &srv,
        "DeleteResiliencyGroup",
        json!({"resiliencyGroupId": g}),
    )
    .await;
}

#[tokio::test]
async fn deleting_a_connection_ends_its_membership() {
    let srv = server_with("manual", 100, 50).await;
    let dx = srv.owner();
    let g = id_of(&create_group(&srv, "del").await);
    let c1 = connection_at(&dx, "EqDC2", "gone").await;
    let c2 = connection_at(&dx, "EqDC2", "stays").await;
    let (status, _) = associate(&srv, &g, &[&c1, &c2]).await;
    assert_eq!(status, 200);
    dx.delete_connection()
        .connection_id(&c1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        associations(&srv, &g).await,
        vec![
            (con_arn(&c1), "disassociated".to_string()),
            (con_arn(&c2), "associating".to_string())
        ]
    );
    // A deleted connection cannot join again.
    let (_, out) = associate(&srv, &g, &[&c1]).await;
    assert_eq!(
        out["message"],
        format!("Connection {c1} is in state deleted.")
    );
    // It left: it is no member to disassociate.
    let (status, out) = disassociate(&srv, &g, &[&c1]).await;
    assert_eq!(status, 400, "{out}");
    assert_eq!(
        out["message"],
        format!("{c1} does not belong to resiliency group {g}")
    );
}

#[tokio::test]
async fn other_accounts_and_regions_see_nothing() {
    let srv = server_with("instant", 100, 50).await;
    let dx = srv.owner();
    let g = id_of(&create_group(&srv, "mine").await);
    let c = connection_at(&dx, "EqDC2", "mine").await;
    assert_eq!(associate(&srv, &g, &[&c]).await.0, 200);
    for (account, region) in [(OTHER, REGION), (OWNER, "us-west-2")] {
        let (status, out) = api_in(
            &srv,
            account,
            region,
            "GetResiliencyGroup",
            json!({"resiliencyGroupId": g}),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(
            out["message"],
            format!("Resiliency group {g} does not exist")
        );
        let (_, listed) = api_in(&srv, account, region, "ListResiliencyGroups", json!({})).await;
        assert_eq!(listed, json!({"items": []}));
        for op in ["DeleteResiliencyGroup", "ListResiliencyGroupAssociations"] {
            let (status, _) =
                api_in(&srv, account, region, op, json!({"resiliencyGroupId": g})).await;
            assert_eq!(status, 400, "{op}");
        }
    }
    // Another account's connection, by id or by ARN, is not found.
    let theirs = connection_at(&srv.client(OTHER, REGION), "EqDC2", "theirs").await;
    let (_, out) = associate(&srv, &g, &[&theirs]).await;
    assert_eq!(
        out["message"],
        format!("Could not find Connection with ID {theirs}")
    );
    let foreign = format!("arn:aws:directconnect:{REGION}:{OTHER}:dxcon/{theirs}");
    let (_, out) = associate(&srv, &g, &[&foreign]).await;
    assert_eq!(
        out["message"],
        format!("Could not find Connection with ID {theirs}")
    );
    // Nor may another account put the owner's connection in its group.
    let (_, other_group) = api_in(
        &srv,
        OTHER,
        REGION,
        "CreateResiliencyGroup",
        json!({"resiliencyGroupName": "x", "intendedResiliencyModel": "high-resiliency"}),
    )
    .await;
    let (status, out) = api_in(
        &srv,
        OTHER,
        REGION,
        "AssociateConnectionsToResiliencyGroup",
        json!({"resiliencyGroupId": other_group["resiliencyGroup"]["resiliencyGroupId"], "connectionIdentifiers": [c]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        out["message"],
        format!("Could not find Connection with ID {c}")
    );
}

#[tokio::test]
async fn tags_go_on_the_group_arn() {
    let srv = server_with("instant", 100, 50).await;
    let dx = srv.owner();
    let created = ok(
        &srv,
        "CreateResiliencyGroup",
        json!({"resiliencyGroupName": "tagged", "intendedResiliencyModel": "maximum-resiliency",
               "tags": [{"key": "env", "value": "prod"}]}),
    )
    .await["resiliencyGroup"]
        .clone();
    assert_eq!(created["tags"], json!([{"key": "env", "value": "prod"}]));
    let arn = created["resiliencyGroupArn"].as_str().unwrap().to_string();
    dx.tag_resource()
        .resource_arn(&arn)
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
    dx.untag_resource()
        .resource_arn(&arn)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let described = dx.describe_tags().resource_arns(&arn).send().await.unwrap();
    let tags: Vec<(String, Option<String>)> = described.resource_tags()[0]
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().map(str::to_string)))
        .collect();
    assert_eq!(tags, vec![("team".to_string(), Some("net".to_string()))]);
    assert_eq!(
        get_group(&srv, &id_of(&created)).await["tags"],
        json!([{"key": "team", "value": "net"}])
    );
    // Not another account's.
    let (code, _) = error_of(
        srv.client(OTHER, REGION)
            .describe_tags()
            .resource_arns(&arn)
            .send()
            .await,
    );
    assert_eq!(code, CCE);
    // Duplicate keys at creation.
    let (ty, _) = fails(
        &srv,
        "CreateResiliencyGroup",
        json!({"resiliencyGroupName": "dup", "intendedResiliencyModel": "high-resiliency",
               "tags": [{"key": "a"}, {"key": "a"}]}),
    )
    .await;
    assert_eq!(ty, "DuplicateTagKeysException");
}

#[tokio::test]
async fn client_tokens_make_calls_idempotent() {
    let srv = server_with("instant", 100, 50).await;
    let dx = srv.owner();
    let body = json!({"resiliencyGroupName": "idem", "intendedResiliencyModel": "high-resiliency", "clientToken": "tok-1"});
    let first = ok(&srv, "CreateResiliencyGroup", body.clone()).await;
    let again = ok(&srv, "CreateResiliencyGroup", body).await;
    let g = first["resiliencyGroup"]["resiliencyGroupId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        again["resiliencyGroup"]["resiliencyGroupId"].as_str(),
        Some(g.as_str())
    );
    assert_eq!(group_ids_listed(&srv).await, vec![g.clone()]);
    let (ty, msg) = fails(
        &srv,
        "CreateResiliencyGroup",
        json!({"resiliencyGroupName": "other", "intendedResiliencyModel": "high-resiliency", "clientToken": "tok-1"}),
    )
    .await;
    assert_eq!(
        (ty.as_str(), msg.as_str()),
        (
            CCE,
            "The clientToken tok-1 was already used with a different request."
        )
    );
    let c1 = connection_at(&dx, "EqDC2", "a").await;
    let c2 = connection_at(&dx, "EqDC2", "b").await;
    let req =
        json!({"resiliencyGroupId": g, "connectionIdentifiers": [c1], "clientToken": "assoc-1"});
    let first = ok(&srv, "AssociateConnectionsToResiliencyGroup", req.clone()).await;
    assert_eq!(
        first["resiliencyGroupAssociations"][0]["state"],
        "associating"
    );
    // The repeat answers what the first call answered.
    let again = ok(&srv, "AssociateConnectionsToResiliencyGroup", req).await;
    assert_eq!(again, first);
    let (ty, _) = fails(
        &srv,
        "AssociateConnectionsToResiliencyGroup",
        json!({"resiliencyGroupId": g, "connectionIdentifiers": [c2], "clientToken": "assoc-1"}),
    )
    .await;
    assert_eq!(ty, CCE);
    assert_eq!(associations(&srv, &g).await.len(), 1);
    let upd = json!({"resiliencyGroupId": g, "resiliencyGroupName": "n2", "clientToken": "u"});
    ok(&srv, "UpdateResiliencyGroup", upd.clone()).await;
    ok(&srv, "UpdateResiliencyGroup", upd).await;
    let (ty, _) = fails(
        &srv,
        "UpdateResiliencyGroup",
        json!({"resiliencyGroupId": g, "resiliencyGroupName": "n3", "clientToken": "u"}),
    )
    .await;
    assert_eq!(ty, CCE);
}

#[tokio::test]
async fn listings_page_with_max_results_and_next_token() {
    let srv = server_with("instant", 100, 50).await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(id_of(&create_group(&srv, &format!("g{i}")).await));
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut body = json!({"maxResults": 2});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let out = ok(&srv, "ListResiliencyGroups", body).await;
        pages += 1;
        for g in out["items"].as_array().unwrap() {
            assert!(g.get("tags").is_none(), "{g}");
            assert_eq!(g["resiliencyGroupType"], "Managed");
            seen.push(g["resiliencyGroupId"].as_str().unwrap().to_string());
        }
        match out["nextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!((pages, &seen), (3, &made));
    // More than 100 acts as 100.
    let out = ok(&srv, "ListResiliencyGroups", json!({"maxResults": 1000})).await;
    assert_eq!(out["items"].as_array().unwrap().len(), 5);
    assert!(out.get("nextToken").is_none());
    let (ty, _) = fails(
        &srv,
        "ListResiliencyGroups",
        json!({"nextToken": "garbage"}),
    )
    .await;
    assert_eq!(ty, CCE);
}

/// Gives connections a billing mode through the state export and import
/// (the billing-mode operations live elsewhere).
async fn set_billing_modes(srv: &TestServer, modes: &[(&str, &str)]) {
    let (_, mut state) = control(srv, "GET", "/_dxemu/state", None).await;
    for r in state["resources"].as_array_mut().unwrap() {
        if let Some((_, mode)) = modes.iter().find(|(id, _)| r["id"] == *id) {
            r["document"]["wire"]["billingMode"] = json!(mode);
        }
    }
    let (status, out) = control(srv, "POST", "/_dxemu/state", Some(state)).await;
    assert_eq!(status, 200, "{out}");
}

async fn billing_mode(srv: &TestServer, id: &str) -> Value {
    let out = ok(srv, "DescribeConnections", json!({"connectionId": id})).await;
    out["connections"][0]["billingMode"].clone()
}

#[tokio::test]
async fn port_pairs_form_and_end_with_membership() {
    let srv = server_with("instant", 100, 50).await;
    let dx = srv.owner();
    let g = id_of(&create_group(&srv, "pairs").await);
    let c = futures_join(&dx, 4).await;
    set_billing_modes(
        &srv,
        &[
            (&c[0], "FlatRateTier2"),
            (&c[1], "PayAsYouGo"),
            (&c[2], "FlatRateTier2"),
            (&c[3], "FlatRateTier3"),
        ],
    )
    .await;
    let (status, out) = associate(&srv, &g, &[&c[0], &c[1], &c[2], &c[3]]).await;
    assert_eq!(status, 200, "{out}");
    // Equal tier and speed on different devices pair; the rest stay single.
    assert_eq!(billing_mode(&srv, &c[0]).await, "PortPairFlatRateTier2");
    assert_eq!(billing_mode(&srv, &c[1]).await, "PayAsYouGo");
    assert_eq!(billing_mode(&srv, &c[2]).await, "PortPairFlatRateTier2");
    assert_eq!(billing_mode(&srv, &c[3]).await, "FlatRateTier3");
    // Leaving reverts both.
    assert_eq!(disassociate(&srv, &g, &[&c[2]]).await.0, 200);
    assert_eq!(billing_mode(&srv, &c[0]).await, "FlatRateTier2");
    assert_eq!(billing_mode(&srv, &c[2]).await, "FlatRateTier2");
    // Back again, then its partner is deleted: it reverts.
    assert_eq!(associate(&srv, &g, &[&c[2]]).await.0, 200);
    assert_eq!(billing_mode(&srv, &c[2]).await, "PortPairFlatRateTier2");
    dx.delete_connection()
        .connection_id(&c[0])
        .send()
        .await
        .unwrap();
    assert_eq!(billing_mode(&srv, &c[2]).await, "FlatRateTier2");
    assert_eq!(billing_mode(&srv, &c[0]).await, "FlatRateTier2");
}

#[tokio::test]
async fn the_dashboard_shows_groups_with_model_and_members() {
    let srv = server_with("instant", 100, 50).await;
    let dx = srv.owner();
    let g = id_of(&create_group(&srv, "shown-group").await);
    let c = connection_at(&dx, "EqDC2", "member").await;
    assert_eq!(associate(&srv, &g, &[&c]).await.0, 200);
    let html = reqwest::get(format!("{}/_dxemu/ui", srv.endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Resiliency groups"), "{html}");
    let row_start = html.find(&format!("<tr id=\"r-{g}\"")).expect("group row");
    let row = &html[row_start..row_start + html[row_start..].find("</tr>").unwrap()];
    assert!(row.contains("shown-group"), "{row}");
    assert!(row.contains("high-resiliency"), "{row}");
    assert!(row.contains(&format!("href=\"#r-{c}\"")), "{row}");
    assert!(row.contains(">available<"), "{row}");
}

#[tokio::test]
async fn the_control_api_exports_imports_and_resets_groups() {
    let srv = server_with("instant", 100, 50).await;
    let dx = srv.owner();
    let g = id_of(&create_group(&srv, "kept").await);
    let c = connection_at(&dx, "EqDC2", "m").await;
    assert_eq!(associate(&srv, &g, &[&c]).await.0, 200);
    let (_, state) = control(&srv, "GET", "/_dxemu/state", None).await;
    let kinds: Vec<&str> = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "resiliency-group",
            "connection",
            "resiliency-group-association"
        ]
    );
    // Into a fresh server: the group, its member and the model come along.
    let copy = server_with("instant", 100, 50).await;
    let (status, out) = control(&copy, "POST", "/_dxemu/state", Some(state.clone())).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(get_group(&copy, &g).await["resiliencyGroupName"], "kept");
    assert_eq!(
        associations(&copy, &g).await,
        vec![(con_arn(&c), "associated".to_string())]
    );
    let (_, listed) = control(
        &copy,
        "GET",
        "/_dxemu/resources?kind=resiliency-group",
        None,
    )
    .await;
    assert_eq!(listed["resources"][0]["model"], "high-resiliency");
    // A document that is no resiliency group is refused, and changes nothing.
    let mut bad = state;
    bad["resources"][0]["document"]["wire"]["state"] = json!("exploded");
    let (status, _) = control(&copy, "POST", "/_dxemu/state", Some(bad)).await;
    assert_eq!(status, 400);
    assert_eq!(get_group(&copy, &g).await["state"], "available");
    // Resetting the account forgets its groups and memberships.
    let (status, _) = control(
        &copy,
        "POST",
        "/_dxemu/reset",
        Some(json!({"account": OWNER})),
    )
    .await;
    assert_eq!(status, 200);
    let (ty, _) = fails(&copy, "GetResiliencyGroup", json!({"resiliencyGroupId": g})).await;
    assert_eq!(ty, CCE);
    let (_, listed) = control(&copy, "GET", "/_dxemu/resources", None).await;
    assert_eq!(listed["resources"], json!([]));
}

/// UpdateConnectionsBillingMode pairs group members whose modes come to
/// match, and parts them when one moves on; a pair's shown mode is not a
/// change of the customer's own (setting the same tier again is a no-op).
#[tokio::test]
async fn billing_changes_pair_and_part_group_members() {
    let srv = server_with("instant", 10, 50).await;
    let port = |name: &'static str| {
        let srv = &srv;
        async move {
            ok(
                srv,
                "CreateConnection",
                json!({"location": "EqDC2", "bandwidth": "10Gbps", "connectionName": name}),
            )
            .await["connectionId"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let (a, b) = (port("a").await, port("b").await);
    let group = id_of(&create_group(&srv, "paired").await);
    assert_eq!(associate(&srv, &group, &[&a, &b]).await.0, 200);
    let mode = |id: String| {
        let srv = &srv;
        async move {
            ok(srv, "DescribeConnections", json!({"connectionId": id})).await["connections"][0]
                ["billingMode"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let both = ok(
        &srv,
        "UpdateConnectionsBillingMode",
        json!({"connectionIds": [a, b], "billingMode": "FlatRateTier1"}),
    )
    .await;
    let shown: Vec<&str> = both["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["billingMode"].as_str().unwrap())
        .collect();
    assert_eq!(shown, ["PortPairFlatRateTier1", "PortPairFlatRateTier1"]);
    // Answered like any connection: with its pool and rate limiter figures.
    assert_eq!(both["connections"][0]["prefixPoolSizeIpv4"], 5000);
    assert_eq!(
        both["connections"][0]["rateLimiterStatus"]["maxAllowed"],
        10
    );
    assert_eq!(mode(a.clone()).await, "PortPairFlatRateTier1");
    // b moves to tier 2: the pair ends, a is single again.
    let moved = ok(
        &srv,
        "UpdateConnectionsBillingMode",
        json!({"connectionIds": [b], "billingMode": "FlatRateTier2"}),
    )
    .await;
    assert_eq!(moved["connections"][0]["billingMode"], "FlatRateTier2");
    assert_eq!(mode(a.clone()).await, "FlatRateTier1");
    assert_eq!(mode(b.clone()).await, "FlatRateTier2");
    // Back to tier 1: paired again; a's own tier never changed, so asking
    // for it again is an uncounted no-op however often it is asked.
    ok(
        &srv,
        "UpdateConnectionsBillingMode",
        json!({"connectionIds": [b], "billingMode": "FlatRateTier1"}),
    )
    .await;
    assert_eq!(mode(a.clone()).await, "PortPairFlatRateTier1");
    for _ in 0..4 {
        let same = ok(
            &srv,
            "UpdateConnectionsBillingMode",
            json!({"connectionIds": [a], "billingMode": "FlatRateTier1"}),
        )
        .await;
        assert_eq!(
            same["connections"][0]["billingMode"],
            "PortPairFlatRateTier1"
        );
    }
}

/// A connection in a resiliency group cannot join a LAG (the LAG would be
/// the member), until it leaves the group.
#[tokio::test]
async fn a_group_member_cannot_join_a_lag() {
    let srv = server_with("instant", 10, 50).await;
    let conn = ok(
        &srv,
        "CreateConnection",
        json!({"location": "EqDC2", "bandwidth": "10Gbps", "connectionName": "m"}),
    )
    .await["connectionId"]
        .as_str()
        .unwrap()
        .to_string();
    let lag = ok(
        &srv,
        "CreateLag",
        json!({"location": "EqDC2", "connectionsBandwidth": "10Gbps", "numberOfConnections": 1, "lagName": "l"}),
    )
    .await["lagId"]
        .as_str()
        .unwrap()
        .to_string();
    let group = id_of(&create_group(&srv, "g").await);
    assert_eq!(associate(&srv, &group, &[&conn]).await.0, 200);
    let (code, message) = fails(
        &srv,
        "AssociateConnectionWithLag",
        json!({"connectionId": conn, "lagId": lag}),
    )
    .await;
    assert_eq!(code, CCE);
    assert_eq!(
        message,
        format!(
            "Connection {conn} belongs to resiliency group {group}: disassociate it from the group before adding it to a LAG."
        )
    );
    assert_eq!(disassociate(&srv, &group, &[&conn]).await.0, 200);
    let joined = ok(
        &srv,
        "AssociateConnectionWithLag",
        json!({"connectionId": conn, "lagId": lag}),
    )
    .await;
    assert_eq!(joined["lagId"], lag.as_str());
}
