//! Billing modes: UpdateConnectionsBillingMode, billingMode on created
//! connections and LAGs, availableBillingModes on DescribeLocations.

use crate::common::{OTHER, OWNER, TestServer, control, raw_call};
use serde_json::{Value, json};

const CCE: &str = "DirectConnectClientException";

async fn call(srv: &TestServer, op: &str, body: Value) -> (u16, Value) {
    raw_call(srv, OWNER, "us-east-1", op, body).await
}

/// Creates a dedicated connection at `location`; its answer.
async fn connection(
    srv: &TestServer,
    location: &str,
    bandwidth: &str,
    mode: Option<&str>,
) -> Value {
    let mut body = json!({"location": location, "bandwidth": bandwidth, "connectionName": "c"});
    if let Some(m) = mode {
        body["billingMode"] = json!(m);
    }
    let (status, out) = call(srv, "CreateConnection", body).await;
    assert_eq!(status, 200, "{out}");
    out
}

fn id(v: &Value) -> String {
    v["connectionId"].as_str().unwrap().to_string()
}

async fn update(srv: &TestServer, ids: &[String], mode: &str) -> (u16, Value) {
    call(
        srv,
        "UpdateConnectionsBillingMode",
        json!({"connectionIds": ids, "billingMode": mode}),
    )
    .await
}

fn client_error(out: &(u16, Value), message: &str) {
    assert_eq!(out.0, 400, "{}", out.1);
    assert_eq!(out.1["__type"], CCE, "{}", out.1);
    assert_eq!(out.1["message"], message);
}

async fn mode_of(srv: &TestServer, id: &str) -> Value {
    let (_, out) = call(srv, "DescribeConnections", json!({"connectionId": id})).await;
    out["connections"][0]["billingMode"].clone()
}

#[tokio::test]
async fn dedicated_ports_default_to_pay_as_you_go_and_others_have_none() {
    let srv = TestServer::start().await;
    let c = connection(&srv, "EqDC2", "1Gbps", None).await;
    assert_eq!(c["billingMode"], "PayAsYouGo");
    assert_eq!(mode_of(&srv, &id(&c)).await, "PayAsYouGo");
    let (status, lag) = call(
        &srv,
        "CreateLag",
        json!({"numberOfConnections": 2, "location": "CSVA1", "connectionsBandwidth": "10Gbps", "lagName": "l", "billingMode": "FlatRateTier2"}),
    )
    .await;
    assert_eq!(status, 200, "{lag}");
    assert_eq!(lag["billingMode"], "FlatRateTier2");
    let members = lag["connections"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert!(members.iter().all(|m| m["billingMode"] == "FlatRateTier2"));
    // An interconnect has none.
    let (status, ic) = call(
        &srv,
        "CreateInterconnect",
        json!({"interconnectName": "i", "bandwidth": "10Gbps", "location": "EqDC2"}),
    )
    .await;
    assert_eq!(status, 200, "{ic}");
    assert!(ic.get("billingMode").is_none(), "{ic}");
    // A flat tier at 1 Gbps is refused at creation.
    let (status, out) = call(
        &srv,
        "CreateConnection",
        json!({"location": "165HS", "bandwidth": "1Gbps", "connectionName": "x", "billingMode": "FlatRateTier1"}),
    )
    .await;
    client_error(
        &(status, out),
        "Billing mode FlatRateTier1 is not available for a new connection (1Gbps): flat-rate tiers are offered for 10Gbps and 100Gbps dedicated connections only.",
    );
}

#[tokio::test]
async fn changes_are_all_or_nothing_and_follow_the_location_rule() {
    let srv = TestServer::start().await;
    let a = id(&connection(&srv, "EqDC2", "10Gbps", None).await);
    let b = id(&connection(&srv, "EqDC2", "100Gbps", None).await);
    let slow = id(&connection(&srv, "CSVA1", "1Gbps", None).await);

    // Only one of the location's connections: the other would stay PAYG.
    let out = update(&srv, std::slice::from_ref(&a), "FlatRateTier3").await;
    client_error(
        &out,
        &format!(
            "Connections of account {OWNER} at location EqDC2 must all be pay-as-you-go or all be flat-rate: {b} is billed PayAsYouGo."
        ),
    );
    assert_eq!(mode_of(&srv, &a).await, "PayAsYouGo");

    // One bad id spoils the batch.
    let out = update(&srv, &[a.clone(), b.clone(), slow.clone()], "FlatRateTier3").await;
    client_error(
        &out,
        &format!(
            "Billing mode FlatRateTier3 is not available for {slow} (1Gbps): flat-rate tiers are offered for 10Gbps and 100Gbps dedicated connections only."
        ),
    );
    assert_eq!(mode_of(&srv, &a).await, "PayAsYouGo");
    let out = update(&srv, &[a.clone(), "dxcon-ffffffff".into()], "PayAsYouGo").await;
    client_error(&out, "Could not find Connection with ID dxcon-ffffffff");

    let (status, out) = update(&srv, &[a.clone(), b.clone()], "FlatRateTier3").await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["billingMode"], "FlatRateTier3");
    let shown: Vec<_> = out["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["connectionId"].as_str().unwrap().to_string(),
                c["billingMode"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            (a.clone(), json!("FlatRateTier3")),
            (b.clone(), json!("FlatRateTier3"))
        ]
    );
    assert_eq!(mode_of(&srv, &b).await, "FlatRateTier3");
    // Tiers may differ at a location; PAYG may not join flat ones.
    let (status, _) = update(&srv, std::slice::from_ref(&a), "FlatRateTier1").await;
    assert_eq!(status, 200);
    let (status, out) = call(
        &srv,
        "CreateConnection",
        json!({"location": "EqDC2", "bandwidth": "10Gbps", "connectionName": "n"}),
    )
    .await;
    client_error(
        &(status, out),
        &format!(
            "Connections of account {OWNER} at location EqDC2 must all be pay-as-you-go or all be flat-rate: {a} is billed FlatRateTier1."
        ),
    );

    // Another account sees none of them.
    let out = raw_call(
        &srv,
        OTHER,
        "us-east-1",
        "UpdateConnectionsBillingMode",
        json!({"connectionIds": [a], "billingMode": "PayAsYouGo"}),
    )
    .await;
    client_error(&out, &format!("Could not find Connection with ID {a}"));
}

#[tokio::test]
async fn at_most_three_changes_in_six_months() {
    let srv = TestServer::start().await;
    let a = vec![id(&connection(&srv, "EqDC2", "10Gbps", None).await)];
    for mode in [
        "FlatRateTier1",
        "FlatRateTier2",
        "FlatRateTier2",
        "FlatRateTier5",
    ] {
        // The repeated mode is a no-op and is not counted.
        let (status, out) = update(&srv, &a, mode).await;
        assert_eq!(status, 200, "{mode}: {out}");
    }
    let out = update(&srv, &a, "PayAsYouGo").await;
    client_error(
        &out,
        &format!(
            "Billing mode of {} can change at most 3 times in 6 months",
            a[0]
        ),
    );
    // The same mode is still accepted.
    assert_eq!(update(&srv, &a, "FlatRateTier5").await.0, 200);
    // 182 days later the first change is still inside the window...
    let (status, _) = control(
        &srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": 182 * 86_400})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(update(&srv, &a, "PayAsYouGo").await.0, 400);
    // ...and one more day moves all three out.
    control(
        &srv,
        "POST",
        "/_dxemu/clock/advance",
        Some(json!({"seconds": 86_400})),
    )
    .await;
    let (status, out) = update(&srv, &a, "PayAsYouGo").await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(mode_of(&srv, &a[0]).await, "PayAsYouGo");
}

#[tokio::test]
async fn lag_members_share_a_mode() {
    let srv = TestServer::start().await;
    let (_, lag) = call(
        &srv,
        "CreateLag",
        json!({"numberOfConnections": 2, "location": "EqDC2", "connectionsBandwidth": "10Gbps", "lagName": "l"}),
    )
    .await;
    assert_eq!(lag["billingMode"], "PayAsYouGo");
    let lag_id = lag["lagId"].as_str().unwrap().to_string();
    let members: Vec<String> = lag["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    let out = update(&srv, &members[..1], "FlatRateTier4").await;
    client_error(
        &out,
        &format!(
            "Connections of Lag {lag_id} must share one billing mode: {} is billed PayAsYouGo.",
            members[1]
        ),
    );
    // Naming the LAG changes it and every member.
    let (status, out) = update(&srv, std::slice::from_ref(&lag_id), "FlatRateTier4").await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["connections"].as_array().unwrap().len(), 2);
    let (_, lags) = call(&srv, "DescribeLags", json!({"lagId": lag_id})).await;
    assert_eq!(lags["lags"][0]["billingMode"], "FlatRateTier4");
    assert!(
        lags["lags"][0]["connections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["billingMode"] == "FlatRateTier4")
    );
    // A pay-as-you-go joiner takes the LAG's mode.
    let (_, joined) = call(
        &srv,
        "CreateConnection",
        json!({"location": "EqDC2", "bandwidth": "10Gbps", "connectionName": "j", "lagId": lag_id, "billingMode": "PayAsYouGo"}),
    )
    .await;
    assert_eq!(joined["billingMode"], "FlatRateTier4", "{joined}");
    // A flat-rate port of another tier may not join.
    let other = id(&connection(&srv, "EqDC2", "10Gbps", Some("FlatRateTier1")).await);
    let out = call(
        &srv,
        "AssociateConnectionWithLag",
        json!({"connectionId": other, "lagId": lag_id}),
    )
    .await;
    client_error(
        &out,
        &format!(
            "Connections of Lag {lag_id} must share one billing mode: {other} is billed FlatRateTier1."
        ),
    );
    let (status, _) = update(&srv, std::slice::from_ref(&other), "FlatRateTier4").await;
    assert_eq!(status, 200);
    let (status, out) = call(
        &srv,
        "AssociateConnectionWithLag",
        json!({"connectionId": other, "lagId": lag_id}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["billingMode"], "FlatRateTier4");
}

#[tokio::test]
async fn hosted_connections_and_list_bounds() {
    let srv = TestServer::start().await;
    let (_, ic) = call(
        &srv,
        "CreateInterconnect",
        json!({"interconnectName": "i", "bandwidth": "10Gbps", "location": "EqDC2"}),
    )
    .await;
    let ic_id = ic["interconnectId"].as_str().unwrap().to_string();
    let (status, hosted) = call(
        &srv,
        "AllocateHostedConnection",
        json!({"connectionId": ic_id, "ownerAccount": OWNER, "bandwidth": "500Mbps", "connectionName": "h", "vlan": 101}),
    )
    .await;
    assert_eq!(status, 200, "{hosted}");
    assert!(hosted.get("billingMode").is_none(), "{hosted}");
    let h = id(&hosted);
    client_error(
        &update(&srv, std::slice::from_ref(&h), "PayAsYouGo").await,
        &format!(
            "Connection {h} is a hosted connection; billing modes apply to dedicated connections only."
        ),
    );
    client_error(
        &update(&srv, std::slice::from_ref(&ic_id), "PayAsYouGo").await,
        &format!(
            "Connection {ic_id} is an interconnect; billing modes apply to dedicated connections only."
        ),
    );
    // Deleted connections keep their mode.
    let gone = id(&connection(&srv, "CSVA1", "10Gbps", None).await);
    call(&srv, "DeleteConnection", json!({"connectionId": gone})).await;
    client_error(
        &update(&srv, std::slice::from_ref(&gone), "FlatRateTier1").await,
        &format!("Connection {gone} is in state deleted and its billing mode cannot be changed."),
    );
    // 200 ids (one repeated) are accepted, 201 are not, nor none.
    let a = id(&connection(&srv, "CSVA1", "10Gbps", None).await);
    let (status, out) = update(&srv, &vec![a.clone(); 200], "FlatRateTier1").await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["connections"].as_array().unwrap().len(), 1);
    client_error(
        &update(&srv, &vec![a.clone(); 201], "FlatRateTier1").await,
        "1 validation error detected: Value at 'connectionIds' failed to satisfy constraint: Member must have length less than or equal to 200",
    );
    client_error(
        &update(&srv, &[], "FlatRateTier1").await,
        "1 validation error detected: Value at 'connectionIds' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
}

#[tokio::test]
async fn locations_list_billing_modes() {
    let srv = TestServer::start().await;
    let (_, out) = call(&srv, "DescribeLocations", json!({})).await;
    let locs = out["locations"].as_array().unwrap();
    let eqdc2 = locs.iter().find(|l| l["locationCode"] == "EqDC2").unwrap();
    let modes = eqdc2["availableBillingModes"].as_array().unwrap();
    let names: Vec<_> = modes
        .iter()
        .map(|m| m["billingMode"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "PayAsYouGo",
            "FlatRateTier1",
            "FlatRateTier2",
            "FlatRateTier3",
            "FlatRateTier4",
            "FlatRateTier5"
        ]
    );
    assert_eq!(
        modes[0]["availablePortSpeeds"],
        json!(["1G", "10G", "100G", "400G"])
    );
    assert!(modes[0].get("includedRegions").is_none());
    assert_eq!(modes[1]["availablePortSpeeds"], json!(["10G", "100G"]));
    assert_eq!(modes[1]["includedRegions"], json!(["us-east-1"]));
    assert_eq!(
        modes[2]["includedRegions"],
        json!(["us-east-1", "us-east-2"])
    );
    let all = modes[5]["includedRegions"].as_array().unwrap();
    assert!(all.contains(&json!("ap-southeast-2")) && all.contains(&json!("eu-west-1")));
}
