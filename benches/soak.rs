//! Soak: a long mixed load against one dxemu process, sampling its memory.
//!
//!     cargo build --release && cargo bench --bench soak
//!
//! Eight clients in four accounts create connections (with tags), describe
//! them by id and as lists, tag, rename and delete them, for DXEMU_SOAK_SECS
//! (default 60). The server's RSS is printed every tenth of the run; the
//! figure to watch is that it grows only with the records kept (deleted
//! connections stay visible, and the store's id map holds about 80 bytes for
//! each), not with the number of requests served. Not part of CI.

mod common;

use common::rss_kib;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: u64 = 8;

async fn call(
    client: &reqwest::Client,
    endpoint: &str,
    account: &str,
    op: &str,
    body: String,
) -> serde_json::Value {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={account}/20261129/us-east-1/directconnect/aws4_request, SignedHeaders=host, Signature=0"
    );
    match client
        .post(format!("{endpoint}/"))
        .header("x-amz-target", format!("OvertureService.{op}"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("authorization", auth)
        .body(body)
        .send()
        .await
    {
        Ok(r) => r.json().await.unwrap_or(serde_json::Value::Null),
        Err(_) => serde_json::Value::Null,
    }
}

/// One client's loop: a connection's whole life, over and over.
async fn client_loop(
    client: reqwest::Client,
    endpoint: String,
    n: u64,
    deadline: Instant,
    done: Arc<AtomicU64>,
) {
    let account = format!("7000000000{:02}", n % 4);
    let mut i = 0u64;
    while Instant::now() < deadline {
        i += 1;
        let created = call(
            &client,
            &endpoint,
            &account,
            "CreateConnection",
            format!(
                r#"{{"location":"EqDC2","bandwidth":"1Gbps","connectionName":"soak-{n}-{i}","tags":[{{"key":"k","value":"{i}"}}]}}"#
            ),
        )
        .await;
        let Some(id) = created["connectionId"].as_str().map(str::to_string) else {
            continue;
        };
        let arn = format!("arn:aws:directconnect:us-east-1:{account}:dxcon/{id}");
        let steps = [
            (
                "DescribeConnections",
                format!(r#"{{"connectionId":"{id}"}}"#),
            ),
            ("DescribeConnections", "{}".to_string()),
            (
                "TagResource",
                format!(r#"{{"resourceArn":"{arn}","tags":[{{"key":"t","value":"v"}}]}}"#),
            ),
            ("DescribeTags", format!(r#"{{"resourceArns":["{arn}"]}}"#)),
            (
                "UpdateConnection",
                format!(r#"{{"connectionId":"{id}","connectionName":"renamed-{i}"}}"#),
            ),
            ("DeleteConnection", format!(r#"{{"connectionId":"{id}"}}"#)),
        ];
        for (op, body) in steps {
            call(&client, &endpoint, &account, op, body).await;
        }
        done.fetch_add(7, Ordering::Relaxed);
    }
}

#[tokio::main]
async fn main() {
    let secs: u64 = std::env::var("DXEMU_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let dir = std::env::temp_dir().join(format!("dxemu-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cmd = common::serve_command();
    cmd.args(["--max-connections-per-location", "1000000"])
        .arg("--data-dir")
        .arg(&dir);
    let (mut child, endpoint) = common::spawn_dxemu(cmd);
    let pid = child.id();
    let client = reqwest::Client::new();
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|n| {
            tokio::spawn(client_loop(
                client.clone(),
                endpoint.clone(),
                n,
                deadline,
                done.clone(),
            ))
        })
        .collect();
    println!("{:>8} {:>12} {:>10}", "seconds", "requests", "RSS MiB");
    let step = Duration::from_secs(secs.max(10) / 10);
    let mut samples = Vec::new();
    while Instant::now() < deadline {
        tokio::time::sleep(step).await;
        let rss = rss_kib(pid) as f64 / 1024.0;
        samples.push(rss);
        println!(
            "{:>8.0} {:>12} {:>10.1}",
            started.elapsed().as_secs_f64(),
            done.load(Ordering::Relaxed),
            rss
        );
    }
    for t in tasks {
        let _ = t.await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if let (Some(first_half), Some(last)) = (
        samples.get(samples.len() / 2).copied(),
        samples.last().copied(),
    ) {
        println!(
            "RSS at half time {first_half:.1} MiB, at the end {last:.1} MiB, {} requests",
            done.load(Ordering::Relaxed)
        );
    }
}
