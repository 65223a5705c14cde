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
