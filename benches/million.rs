//! The same figures on a nearly empty store and on one holding a million
//! connections.
//!
//!     cargo build --release && cargo bench --bench million
//!
//! 1. dxemu starts on a new data directory; 1,000 connections are created in
//!    one account through the API, and three figures are measured: describe
//!    by id (random ids of that account), a page of the account's listing
//!    (`maxResults` 100), and one-account creates (8 clients, another
//!    account). The server is stopped.
//! 2. DXEMU_MILLION_N (default 1,000,000) more connections, spread over
//!    10,000 accounts, are written into the same database file through the
//!    store's own batch path (`SqliteStore::apply`), from the stored document
//!    of a connection the API made, with ids and owners replaced.
//! 3. dxemu starts again on it; start-up time, RSS, the file's size per
//!    record and the same three figures are measured.
//!
//! The read cache is off (`--no-read-cache`), so that every call does its
//! store work. DXEMU_BENCH_SECS (default 5) sets each load phase's length.

mod common;

use common::rss_kib;
use dxemu::store::{Durability, Expect, Kind, SqliteStore, Store, Write};
use std::time::{Duration, Instant};

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=111111111111/20261204/us-east-1/directconnect/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0000";
const LISTED: &str = "111111111111";
const CREATOR: &str = "444444444444";
const TEMPLATE_ACCOUNT: &str = "999999999999";
const ACCOUNTS: u64 = 10_000;

fn auth(account: &str) -> String {
    AUTH.replace("111111111111", account)
}

fn create_body(i: u64) -> String {
    format!(r#"{{"location":"EqDC2","bandwidth":"1Gbps","connectionName":"m-{i}"}}"#)
}

struct Running {
    child: std::process::Child,
    endpoint: String,
    start_ms: f64,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(dir: &std::path::Path) -> Running {
    let started = Instant::now();
    let mut cmd = common::serve_command();
    // Without the read cache every call does its store work: what is
    // measured is the cost of the data, not of a cached answer.
    cmd.args([
        "--max-connections-per-location",
        "100000000",
        "--no-read-cache",
    ])
    .arg("--data-dir")
    .arg(dir);
    let (child, endpoint) = common::spawn_dxemu(cmd);
    let client = reqwest::Client::new();
    loop {
        let ok = client
            .get(format!("{endpoint}/_dxemu/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "dxemu did not start"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Running {
        child,
        endpoint,
        start_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

async fn call(endpoint: &str, account: &str, op: &str, body: String) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{endpoint}/"))
        .header("x-amz-target", format!("OvertureService.{op}"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("authorization", auth(account))
        .body(body)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json answer")
}

/// The three load figures, in requests per second.
#[derive(Debug, Clone, Copy)]
struct Figures {
    by_id: f64,
    page: f64,
    create: f64,
}

async fn measure(
    endpoint: &str,
    ids: &std::sync::Arc<Vec<String>>,
    secs: u64,
    round: u64,
) -> Figures {
    let endpoints = vec![endpoint.to_string()];
    let list = ids.clone();
    let by_id = common::load_with(
        &endpoints,
        "DescribeConnections",
        secs,
        32,
        None,
        move |n| {
            let id = &list[(n as usize * 7919) % list.len()];
            (AUTH.to_string(), format!(r#"{{"connectionId":"{id}"}}"#))
        },
    )
    .await;
    // The first page of the account's listing, as a paginator asks for it.
    let page = common::load_with(&endpoints, "DescribeConnections", secs, 32, None, |_| {
        (AUTH.to_string(), r#"{"maxResults":100}"#.to_string())
    })
    .await;
    let first = round * 100_000_000;
    let create = common::load_with(&endpoints, "CreateConnection", secs, 8, None, move |n| {
        (auth(CREATOR), create_body(first + n))
    })
    .await;
    Figures {
        by_id,
        page,
        create,
    }
}

/// Writes `n` connections spread over `ACCOUNTS` accounts into the database
/// at `path`, copies of `template` (a stored connection) with new ids and owners.
fn bulk_load(path: &std::path::Path, template_id: &str, n: u64) -> f64 {
    let store = SqliteStore::open_with(path, Durability::Process).expect("open store");
    let template = store
        .get(Kind::Connection, template_id)
        .expect("read template")
        .expect("template stored");
    let started = Instant::now();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..n {
        let id = format!("dxcon-m{:07x}", i);
        let account = format!("{:012}", 500_000_000_000 + i % ACCOUNTS);
        let mut rec = template.clone();
        rec.doc = template
            .doc
            .replace(template_id, &id)
            .replace(TEMPLATE_ACCOUNT, &account);
        rec.id = id;
        rec.account = account;
        rec.version = 0;
        rec.seq = 0;
        batch.push(Write::Put(rec, Expect::Absent));
        if batch.len() == 10_000 {
            store.apply(std::mem::take(&mut batch)).expect("bulk apply");
        }
    }
    if !batch.is_empty() {
        store.apply(batch).expect("bulk apply");
    }
    started.elapsed().as_secs_f64()
}

fn file_bytes(dir: &std::path::Path) -> u64 {
    ["dxemu.db", "dxemu.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let secs = std::env::var("DXEMU_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let n: u64 = std::env::var("DXEMU_MILLION_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("dxemu-million-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    // 1. A nearly empty store.
    let server = start(&dir).await;
    let template = call(
        &server.endpoint,
        TEMPLATE_ACCOUNT,
        "CreateConnection",
        create_body(0),
    )
    .await;
    let template_id = template["connectionId"]
        .as_str()
        .expect("a connection id")
        .to_string();
    let mut ids = Vec::with_capacity(1000);
    for i in 0..1000 {
        let out = call(&server.endpoint, LISTED, "CreateConnection", create_body(i)).await;
        ids.push(out["connectionId"].as_str().expect("id").to_string());
    }
    let ids = std::sync::Arc::new(ids);
    let empty = measure(&server.endpoint, &ids, secs, 1).await;
    let empty_rss = rss_kib(server.child.id());
    let empty_start = server.start_ms;
    drop(server);
    let records_before = 1001 + (empty.create * secs as f64) as u64;

    // 2. A million more, through the store's batch path.
    let load_secs = bulk_load(&dir.join("dxemu.db"), &template_id, n);
    println!(
        "bulk load: {n} connections in {load_secs:.1} s ({:.0}/s)",
        n as f64 / load_secs
    );

    // 3. The same figures again.
    let server = start(&dir).await;
    let idle_rss = rss_kib(server.child.id());
    let full = measure(&server.endpoint, &ids, secs, 2).await;
    let full_rss = rss_kib(server.child.id());
    let bytes = file_bytes(&dir);
    let records = records_before + n;
    println!(
        "\n{:<36} {:>14} {:>14} {:>8}",
        "figure",
        "1,000 stored",
        format!("+{n}"),
        "change"
    );
    let row = |name: &str, a: f64, b: f64| {
        println!(
            "{:<36} {:>14.1} {:>14.1} {:>+7.1}%",
            name,
            a,
            b,
            (b / a - 1.0) * 100.0
        );
    };
    row("start to first answer (ms)", empty_start, server.start_ms);
    row("DescribeConnections by id (req/s)", empty.by_id, full.by_id);
    row("a page of 100 of 1,000 (req/s)", empty.page, full.page);
    row(
        "CreateConnection, one account (req/s)",
        empty.create,
        full.create,
    );
    row(
        "RSS after the load phases (MiB)",
        empty_rss as f64 / 1024.0,
        full_rss as f64 / 1024.0,
    );
    println!(
        "\nidle RSS with {records} records: {:.1} MiB; data file {:.0} MiB, {:.0} bytes per record",
        idle_rss as f64 / 1024.0,
        bytes as f64 / (1024.0 * 1024.0),
        bytes as f64 / records as f64
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
