//! Limits hold when many clients race for them at once.

use crate::common::*;
use aws_sdk_directconnect::types::{NewPrivateVirtualInterface, Tag};
use std::collections::HashSet;

const CLIENTS: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quotas_vlans_and_tag_limits_hold_under_races() {
    let srv = TestServer::start().await;
    let dx = srv.owner();

    // 64 creates at one location: the quota of 10 admits exactly 10, with distinct ids.
    let creates = (0..CLIENTS).map(|i| {
        let dx = dx.clone();
        tokio::spawn(async move {
            dx.create_connection()
                .location("TLLPJ")
                .bandwidth("1Gbps")
                .connection_name(format!("race-{i}"))
                .send()
                .await
        })
    });
    let results: Vec<_> = futures_join(creates).await;
    let ok: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter_map(|c| c.connection_id().map(str::to_string))
        .collect();
    assert_eq!(ok.len(), 10, "exactly the quota succeeds");
    assert_eq!(
        ok.iter().collect::<HashSet<_>>().len(),
        10,
        "ids never repeat"
    );
    assert_eq!(
        dx.describe_connections()
            .send()
            .await
            .unwrap()
            .connections()
            .len(),
        10
    );

    // 64 VIFs racing for one VLAN on one connection: exactly one wins.
    let conn = ok[0].clone();
    let vifs = (0..CLIENTS).map(|i| {
        let (dx, conn) = (dx.clone(), conn.clone());
        tokio::spawn(async move {
            dx.create_private_virtual_interface()
                .connection_id(conn)
                .new_private_virtual_interface(
                    NewPrivateVirtualInterface::builder()
                        .virtual_interface_name(format!("v{i}"))
                        .vlan(777)
                        .asn(65000)
                        .virtual_gateway_id("vgw-aba37db6")
                        .build()
                        .unwrap(),
                )
                .send()
                .await
        })
    });
    let won = futures_join(vifs)
        .await
        .iter()
        .filter(|r| r.is_ok())
        .count();
    assert_eq!(won, 1);

    // 64 clients each add their own tag: the 50-tag limit admits exactly 50, none lost.
    let arn = format!("arn:aws:directconnect:us-east-1:{OWNER}:dxcon/{}", ok[1]);
    let tags = (0..CLIENTS).map(|i| {
        let (dx, arn) = (dx.clone(), arn.clone());
        tokio::spawn(async move {
            dx.tag_resource()
                .resource_arn(arn)
                .tags(
                    Tag::builder()
                        .key(format!("k{i}"))
                        .value("v")
                        .build()
                        .unwrap(),
                )
                .send()
                .await
        })
    });
    let tagged = futures_join(tags)
        .await
        .iter()
        .filter(|r| r.is_ok())
        .count();
    assert_eq!(tagged, 50);
    let stored = dx.describe_tags().resource_arns(&arn).send().await.unwrap();
    assert_eq!(stored.resource_tags()[0].tags().len(), 50, "no lost update");
}

/// Awaits every task, in order.
async fn futures_join<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks.collect::<Vec<_>>() {
        out.push(t.await.expect("task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lag_members_and_mixed_traffic_across_accounts_hold_under_races() {
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.max_connections_per_location = 1000;
    let srv = TestServer::start_with(args).await;
    let dx = srv.owner();

    // A 10 Gbps LAG holds at most 4 members; it has 1, so 64 racing joins admit exactly 3.
    let lag = dx
        .create_lag()
        .number_of_connections(1)
        .location("EqDC2")
        .connections_bandwidth("10Gbps")
        .lag_name("race")
        .send()
        .await
        .unwrap()
        .lag_id()
        .unwrap()
        .to_string();
    let mut loose = Vec::new();
    for i in 0..CLIENTS {
        loose.push(
            dx.create_connection()
                .location("EqDC2")
                .bandwidth("10Gbps")
                .connection_name(format!("loose-{i}"))
                .send()
                .await
                .unwrap()
                .connection_id()
                .unwrap()
                .to_string(),
        );
    }
    let joins = loose.iter().map(|c| {
        let (dx, c, lag) = (dx.clone(), c.clone(), lag.clone());
        tokio::spawn(async move {
            dx.associate_connection_with_lag()
                .connection_id(c)
                .lag_id(lag)
                .send()
                .await
        })
    });
    let joined = futures_join(joins)
        .await
        .iter()
        .filter(|r| r.is_ok())
        .count();
    assert_eq!(joined, 3);
    let lags = dx.describe_lags().lag_id(&lag).send().await.unwrap();
    assert_eq!(lags.lags()[0].connections().len(), 4);

    // 64 clients in 4 accounts each create, rename, tag and delete their own
    // connection: every step of every client lands, and no id repeats.
    let lives = (0..CLIENTS).map(|i| {
        let dx = srv.client(&format!("90000000000{}", i % 4), "us-east-1");
        tokio::spawn(async move {
            let id = dx
                .create_connection()
                .location("EqDC2")
                .bandwidth("1Gbps")
                .connection_name(format!("life-{i}"))
                .send()
                .await
                .unwrap()
                .connection_id()
                .unwrap()
                .to_string();
            dx.update_connection()
                .connection_id(&id)
                .connection_name(format!("renamed-{i}"))
                .send()
                .await
                .unwrap();
            let account = format!("90000000000{}", i % 4);
            dx.tag_resource()
                .resource_arn(format!(
                    "arn:aws:directconnect:us-east-1:{account}:dxcon/{id}"
                ))
                .tags(
                    Tag::builder()
                        .key("i")
                        .value(i.to_string())
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
            let seen = dx
                .describe_connections()
                .connection_id(&id)
                .send()
                .await
                .unwrap();
            assert_eq!(
                seen.connections()[0].connection_name(),
                Some(format!("renamed-{i}").as_str())
            );
            if (i / 4) % 2 == 0 {
                dx.delete_connection()
                    .connection_id(&id)
                    .send()
                    .await
                    .unwrap();
            }
            id
        })
    });
    let ids = futures_join(lives).await;
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), CLIENTS);
    for a in 0..4 {
        let dx = srv.client(&format!("90000000000{a}"), "us-east-1");
        let listed = dx.describe_connections().send().await.unwrap();
        // Each account keeps the 8 of its 16 it did not delete, renamed, and sees no other's.
        // (Deleted connections stay listed, as `deleted`, for a while.)
        let mut names: Vec<_> = listed
            .connections()
            .iter()
            .filter(|c| {
                c.connection_state()
                    != Some(&aws_sdk_directconnect::types::ConnectionState::Deleted)
            })
            .map(|c| c.connection_name().unwrap().to_string())
            .collect();
        names.sort();
        let mut want: Vec<_> = (0..CLIENTS)
            .filter(|i| i % 4 == a && (i / 4) % 2 == 1)
            .map(|i| format!("renamed-{i}"))
            .collect();
        want.sort();
        assert_eq!(names, want);
    }
}
