use crate::common::*;
use aws_sdk_directconnect::types::{ConnectionState, LagState, Tag};

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

#[tokio::test]
async fn create_lag_with_new_members() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let lag = dx
        .create_lag()
        .number_of_connections(2)
        .location("EqDC2")
        .connections_bandwidth("10Gbps")
        .lag_name("bond")
        .tags(tag("role", "lag"))
        .child_connection_tags(tag("role", "member"))
        .send()
        .await
        .unwrap();
    let lag_id = lag.lag_id().unwrap().to_string();
    assert!(
        regex::Regex::new(r"^dxlag-[a-z0-9]{8}$")
            .unwrap()
            .is_match(&lag_id)
    );
    assert_eq!(lag.lag_state(), Some(&LagState::Pending));
    assert_eq!(lag.number_of_connections(), 2);
    assert_eq!(lag.minimum_links(), 0);
    assert_eq!(lag.connections().len(), 2);
    for (i, c) in lag.connections().iter().enumerate() {
        assert_eq!(
            c.connection_name(),
            Some(format!("Requested Connection {} for Lag {lag_id}", i + 1).as_str())
        );
        assert_eq!(c.connection_state(), Some(&ConnectionState::Requested));
        assert_eq!(c.lag_id(), Some(lag_id.as_str()));
        assert_eq!(c.tags()[0].value(), Some("member"));
        // No port yet, so no device (AWS's create-lag example shows none).
        assert_eq!(c.aws_device_v2(), None);
        assert_eq!(c.aws_device(), None);
    }
    // The members come up, and with them the LAG.
    let described = dx.describe_lags().lag_id(&lag_id).send().await.unwrap();
    let l = &described.lags()[0];
    assert_eq!(l.lag_state(), Some(&LagState::Available));
    // Allocated, the members are on the LAG's device.
    assert!(l.aws_device_v2().is_some());
    assert!(
        l.connections()
            .iter()
            .all(|c| c.aws_device_v2() == l.aws_device_v2()
                && c.aws_logical_device_id() == l.aws_logical_device_id())
    );
    assert!(
        l.connections()
            .iter()
            .all(|c| c.connection_state() == Some(&ConnectionState::Available))
    );
    assert_eq!(l.tags()[0].value(), Some("lag"));
    // Members are connections of the account too.
    let all = dx.describe_connections().send().await.unwrap();
    assert_eq!(
        all.connections()
            .iter()
            .filter(|c| c.lag_id() == Some(lag_id.as_str()))
            .count(),
        2
    );

    let (_, msg) = error_of(dx.describe_lags().lag_id("dxlag-fzzzzzzz").send().await);
    assert_eq!(msg, "Could not find Lag with ID dxlag-fzzzzzzz");
    let (_, msg) = error_of(
        srv.client(OTHER, "us-east-1")
            .describe_lags()
            .lag_id(&lag_id)
            .send()
            .await,
    );
    assert!(msg.contains("Could not find Lag with ID"), "{msg}");
}

#[tokio::test]
async fn lag_size_rules() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    for (bw, n) in [("10Gbps", 5), ("100Gbps", 3), ("10Gbps", 0)] {
        let (code, msg) = error_of(
            dx.create_lag()
                .number_of_connections(n)
                .location("EqDC2")
                .connections_bandwidth(bw)
                .lag_name("x")
                .send()
                .await,
        );
        assert_eq!(code, "DirectConnectClientException");
        assert!(msg.contains("numberOfConnections"), "{msg}");
    }
    let lag = dx
        .create_lag()
        .number_of_connections(2)
        .location("EqDC2")
        .connections_bandwidth("100Gbps")
        .lag_name("big")
        .send()
        .await
        .unwrap();
    let lag_id = lag.lag_id().unwrap();
    let extra = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("100Gbps")
        .connection_name("third")
        .send()
        .await
        .unwrap();
    let (_, msg) = error_of(
        dx.associate_connection_with_lag()
            .connection_id(extra.connection_id().unwrap())
            .lag_id(lag_id)
            .send()
            .await,
    );
    assert!(msg.contains("at most 2"), "{msg}");
    let (_, msg) = error_of(
        dx.create_connection()
            .location("EqDC2")
            .bandwidth("100Gbps")
            .connection_name("x")
            .lag_id(lag_id)
            .send()
            .await,
    );
    assert!(msg.contains("at most 2"), "{msg}");
    let wrong_bw = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("10Gbps")
        .connection_name("slow")
        .send()
        .await
        .unwrap();
    let (_, msg) = error_of(
        dx.associate_connection_with_lag()
            .connection_id(wrong_bw.connection_id().unwrap())
            .lag_id(lag_id)
            .send()
            .await,
    );
    assert!(msg.contains("bandwidth"), "{msg}");
    let (_, msg) = error_of(dx.update_lag().lag_id(lag_id).minimum_links(3).send().await);
    assert!(
        msg.starts_with("MinimumLinks cannot be set higher than the number of connections"),
        "{msg}"
    );
}

#[tokio::test]
async fn terraform_style_lag_survives_its_only_member_being_deleted() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let lag = dx
        .create_lag()
        .number_of_connections(1)
        .location("EqDC2")
        .connections_bandwidth("1Gbps")
        .lag_name("tf")
        .send()
        .await
        .unwrap();
    let lag_id = lag.lag_id().unwrap();
    let member = lag.connections()[0].connection_id().unwrap();
    dx.delete_connection()
        .connection_id(member)
        .send()
        .await
        .unwrap();
    let l = dx.describe_lags().lag_id(lag_id).send().await.unwrap();
    let l = &l.lags()[0];
    assert_eq!(l.number_of_connections(), 0);
    assert!(l.connections().is_empty());
    // A connection joins, and leaves again.
    let c = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("joiner")
        .send()
        .await
        .unwrap();
    let cid = c.connection_id().unwrap();
    let joined = dx
        .associate_connection_with_lag()
        .connection_id(cid)
        .lag_id(lag_id)
        .send()
        .await
        .unwrap();
    assert_eq!(joined.lag_id(), Some(lag_id));
    let listed = dx.describe_lags().lag_id(lag_id).send().await.unwrap();
    assert_eq!(listed.lags()[0].connections().len(), 1);
    assert_eq!(listed.lags()[0].lag_state(), Some(&LagState::Available));
    let left = dx
        .disassociate_connection_from_lag()
        .connection_id(cid)
        .lag_id(lag_id)
        .send()
        .await
        .unwrap();
    assert!(left.lag_id().is_none());
    let (_, msg) = error_of(
        dx.disassociate_connection_from_lag()
            .connection_id("dxcon-fzzzzzzz")
            .lag_id(lag_id)
            .send()
            .await,
    );
    assert!(msg.contains("Connection does not exist"), "{msg}");
    let (_, msg) = error_of(
        dx.disassociate_connection_from_lag()
            .connection_id(cid)
            .lag_id("dxlag-fzzzzzzz")
            .send()
            .await,
    );
    assert!(msg.contains("Lag does not exist"), "{msg}");

    let renamed = dx
        .update_lag()
        .lag_id(lag_id)
        .lag_name("renamed")
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.lag_name(), Some("renamed"));
    let deleted = dx.delete_lag().lag_id(lag_id).send().await.unwrap();
    assert_eq!(deleted.lag_state(), Some(&LagState::Deleted));
    assert_eq!(deleted.number_of_connections(), 0);
    // Listed as deleted for a while, as AWS does.
    let listed = dx.describe_lags().send().await.unwrap();
    assert_eq!(listed.lags().len(), 1);
    assert_eq!(listed.lags()[0].lag_state(), Some(&LagState::Deleted));
}

#[tokio::test]
async fn create_lag_folds_in_an_existing_connection_and_minimum_links_hold() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let c = dx
        .create_connection()
        .location("CSVA1")
        .bandwidth("10Gbps")
        .connection_name("existing")
        .send()
        .await
        .unwrap();
    let cid = c.connection_id().unwrap();
    let lag = dx
        .create_lag()
        .number_of_connections(2)
        .location("CSVA1")
        .connections_bandwidth("10Gbps")
        .lag_name("l")
        .connection_id(cid)
        .send()
        .await
        .unwrap();
    let lag_id = lag.lag_id().unwrap();
    assert_eq!(lag.connections().len(), 2);
    assert_eq!(lag.connections()[0].connection_id(), Some(cid));
    assert_eq!(lag.connections()[0].connection_name(), Some("existing"));
    assert_eq!(
        lag.connections()[1].connection_name(),
        Some(format!("Requested Connection 1 for Lag {lag_id}").as_str())
    );
    dx.update_lag()
        .lag_id(lag_id)
        .minimum_links(2)
        .send()
        .await
        .unwrap();
    let (_, msg) = error_of(
        dx.disassociate_connection_from_lag()
            .connection_id(cid)
            .lag_id(lag_id)
            .send()
            .await,
    );
    assert!(msg.contains("minimum"), "{msg}");
    let (_, msg) = error_of(dx.delete_connection().connection_id(cid).send().await);
    assert!(msg.contains("minimum"), "{msg}");
    // MACsec must be requested on both or neither.
    let m = dx
        .create_connection()
        .location("CSVA1")
        .bandwidth("10Gbps")
        .connection_name("sec")
        .request_mac_sec(true)
        .send()
        .await
        .unwrap();
    let (_, msg) = error_of(
        dx.create_lag()
            .number_of_connections(1)
            .location("CSVA1")
            .connections_bandwidth("10Gbps")
            .lag_name("l2")
            .connection_id(m.connection_id().unwrap())
            .send()
            .await,
    );
    assert!(
        msg.contains("should be requested MacSec at the same time"),
        "{msg}"
    );
}

#[tokio::test]
async fn lag_loa_and_macsec_keys() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let lag = dx
        .create_lag()
        .number_of_connections(1)
        .location("EqDC2")
        .connections_bandwidth("10Gbps")
        .lag_name("sec")
        .request_mac_sec(true)
        .send()
        .await
        .unwrap();
    let lag_id = lag.lag_id().unwrap();
    let loa = dx
        .describe_loa()
        .connection_id(lag_id)
        .send()
        .await
        .unwrap();
    assert!(loa.loa_content().unwrap().as_ref().starts_with(b"%PDF-"));
    let ckn = "2".repeat(64);
    let out = dx
        .associate_mac_sec_key()
        .connection_id(lag_id)
        .ckn(&ckn)
        .cak("3".repeat(64))
        .send()
        .await
        .unwrap();
    let arn = out.mac_sec_keys()[0].secret_arn().unwrap().to_string();
    let l = dx.describe_lags().lag_id(lag_id).send().await.unwrap();
    assert_eq!(l.lags()[0].mac_sec_keys().len(), 1);
    // The key reaches the members.
    assert_eq!(
        l.lags()[0].connections()[0].mac_sec_keys()[0].secret_arn(),
        Some(arn.as_str())
    );
    dx.disassociate_mac_sec_key()
        .connection_id(lag_id)
        .secret_arn(&arn)
        .send()
        .await
        .unwrap();
    let l = dx.describe_lags().lag_id(lag_id).send().await.unwrap();
    assert!(l.lags()[0].mac_sec_keys().is_empty());
    assert!(l.lags()[0].connections()[0].mac_sec_keys().is_empty());
}
