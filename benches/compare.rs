//! dxemu side by side with moto's server mode, on this machine, in one run.
//!
//!     cargo build --release && cargo bench --bench compare
//!
//! Measures start to first answer, idle RSS, and requests per second of
//! DescribeConnections by id, DescribeConnections over 1,000 connections and
//! CreateConnection twice: each create in an account of its own (32 clients),
//! and every create in one account at one location (8 clients, the quota
//! raised), as a load test or a long-lived shared instance does: there a
//! cost that grows with the account's data would show. Both servers run at once and the load phases alternate
//! between them for DXEMU_BENCH_ROUNDS rounds (default 3); each figure is the
//! median of its rounds. Set DXEMU_BENCH_SECS (default 5) to change the
//! length of each load phase and DXEMU_BENCH_SKIP_MOTO=1 to measure dxemu
//! alone.
//!
//! DXEMU_BENCH_ARGS adds flags to every dxemu process (e.g. `--no-read-cache`).
//! DXEMU_BENCH_STORE=postgres://… runs dxemu on that PostgreSQL database
//! (reset first) instead of SQLite; DXEMU_BENCH_INSTANCES=N (default 1) runs
//! N dxemu processes on it, the load's workers spread across them.
//! DXEMU_BENCH_STEADY_SECS=60 ends the run with that many seconds of
//! one-account creates on dxemu alone, printing the rate of every second.

mod common;

use common::rss_kib;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=111111111111/20261129/us-east-1/directconnect/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0000";
const CONCURRENCY: usize = 32;
/// Clients of the one-account create phase.
const ONE_ACCOUNT_CONCURRENCY: usize = 8;
/// The account every one-account create is made in.
const ONE_ACCOUNT: &str = "444444444444";

struct Server {
    name: &'static str,
    /// One or more processes serving one state.
    children: Vec<Child>,
    endpoints: Vec<String>,
    start_ms: f64,
    /// The data directory, removed once the processes are gone.
    data_dir: Option<std::path::PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(45999)
}

async fn wait_ready(client: &reqwest::Client, endpoint: &str, started: Instant) -> f64 {
    loop {
        let ok = client
            .post(format!("{endpoint}/"))
            .header("x-amz-target", "OvertureService.DescribeConnections")
            .header("content-type", "application/x-amz-json-1.1")
            .header("authorization", AUTH)
            .body("{}")
            .send()
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false);
        if ok {
            return started.elapsed().as_secs_f64() * 1000.0;
        }
        if started.elapsed() > Duration::from_secs(60) {
            panic!("{endpoint} did not answer within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Starts `instances` dxemu processes on `store` (a PostgreSQL URL) or on a
/// fresh SQLite data directory.
async fn start_dxemu(client: &reqwest::Client, store: Option<&str>, instances: usize) -> Server {
    let dir = std::env::temp_dir().join(format!("dxemu-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut server = Server {
        name: "dxemu",
        children: Vec::new(),
        endpoints: Vec::new(),
        start_ms: 0.0,
        data_dir: store.is_none().then(|| dir.clone()),
    };
    for _ in 0..instances {
        let started = Instant::now();
        let mut cmd = common::serve_command();
        cmd.args(["--max-connections-per-location", "100000000"]);
        match store {
            Some(url) => cmd.args(["--store", url]),
            None => cmd.arg("--data-dir").arg(&dir),
        };
        // Extra flags, e.g. DXEMU_BENCH_ARGS=--no-read-cache.
        if let Ok(extra) = std::env::var("DXEMU_BENCH_ARGS") {
            cmd.args(extra.split_whitespace());
        }
        let (child, endpoint) = common::spawn_dxemu(cmd);
        server.children.push(child);
        let start_ms = wait_ready(client, &endpoint, started).await;
        if server.endpoints.is_empty() {
            server.start_ms = start_ms;
        }
        server.endpoints.push(endpoint);
    }
    if store.is_some() {
        // A database kept from an earlier run: start from nothing.
        let reset = client
            .post(format!("{}/_dxemu/reset", server.endpoints[0]))
            .send()
            .await
            .and_then(|r| r.error_for_status());
        if let Err(e) = reset {
            panic!("cannot reset the store: {e}");
        }
    }
    server
}

async fn start_moto(client: &reqwest::Client) -> Option<Server> {
    let port = free_port();
    let started = Instant::now();
    let child = Command::new("python3")
        .args(["-m", "moto.server", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let endpoint = format!("http://127.0.0.1:{port}");
    let start_ms = wait_ready(client, &endpoint, started).await;
    Some(Server {
        name: "moto",
        children: vec![child],
        endpoints: vec![endpoint],
        start_ms,
        data_dir: None,
    })
}

async fn call(
    client: &reqwest::Client,
    endpoint: &str,
    op: &str,
    body: String,
) -> serde_json::Value {
    let resp = client
        .post(format!("{endpoint}/"))
        .header("x-amz-target", format!("OvertureService.{op}"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("authorization", AUTH)
        .body(body)
        .send()
        .await
        .expect("request");
    resp.json().await.unwrap_or(serde_json::Value::Null)
}

/// A credential scope naming `account`.
fn auth(account: &str) -> String {
    AUTH.replace("111111111111", account)
}

fn create_body(i: u64) -> String {
    format!(r#"{{"location":"EqDC2","bandwidth":"1Gbps","connectionName":"bench-{i}"}}"#)
}

/// Runs `CONCURRENCY` workers for `secs` seconds, spread over `endpoints`;
/// returns requests per second (see `load_with`). Each worker keeps one connection and sends
/// its next request once the previous answer is read, through hyper's bare
/// HTTP/1.1 client: the load costs the shared CPUs as little as it can.
async fn load<F>(endpoints: &[String], op: &'static str, secs: u64, body: F) -> f64
where
    F: Fn(u64) -> (String, String) + Send + Sync + 'static,
{
    common::load_with(endpoints, op, secs, CONCURRENCY, None, body).await
}

/// One server's figures; the load phases have one value per round.
struct Figures {
    start_ms: f64,
    idle_rss_mib: f64,
    by_id: Vec<f64>,
    list_1000: Vec<f64>,
    create: Vec<f64>,
    create_one_account: Vec<f64>,
}

/// What the load phases need of a server once it is set up.
struct Prepared {
    figures: Figures,
    /// Ids of the 1,000 connections of the default account.
    ids: Arc<Vec<String>>,
}

/// Measures idle memory, then creates the 1,000 connections the read phases
/// use.
async fn prepare(client: &reqwest::Client, server: &Server) -> Prepared {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_rss_mib = rss_kib(server.children[0].id()) as f64 / 1024.0;
    let ep = &server.endpoints[0];
    let mut ids = Vec::new();
    for i in 0..1000 {
        let c = call(client, ep, "CreateConnection", create_body(i)).await;
        ids.push(c["connectionId"].as_str().unwrap_or_default().to_string());
    }
    let listed = call(client, ep, "DescribeConnections", "{}".into()).await;
    let count = listed["connections"].as_array().map_or(0, Vec::len);
    assert!(count >= 1000, "{} lists {count} connections", server.name);
    Prepared {
        figures: Figures {
            start_ms: server.start_ms,
            idle_rss_mib,
            by_id: Vec::new(),
            list_1000: Vec::new(),
            create: Vec::new(),
            create_one_account: Vec::new(),
        },
        ids: Arc::new(ids),
    }
}

/// A load phase.
#[derive(Clone, Copy)]
enum Phase {
    ById,
    List,
    Create,
    CreateOneAccount,
}

/// Runs one load phase (its `round`-th) against `server` and files the rate.
async fn run_phase(server: &Server, prepared: &mut Prepared, phase: Phase, secs: u64, round: u64) {
    let all = &server.endpoints;
    let f = &mut prepared.figures;
    match phase {
        Phase::ById => {
            let ids = prepared.ids.clone();
            let rate = load(all, "DescribeConnections", secs, move |n| {
                let id = &ids[(n as usize) % ids.len()];
                (AUTH.to_string(), format!(r#"{{"connectionId":"{id}"}}"#))
            })
            .await;
            f.by_id.push(rate);
        }
        Phase::List => {
            let rate = load(all, "DescribeConnections", secs, |_| {
                (AUTH.to_string(), "{}".to_string())
            })
            .await;
            f.list_1000.push(rate);
        }
        Phase::Create => {
            // Each create in an account of its own, as many teams' test
            // suites would do: AWS's quota of connections per account and
            // location then holds without being raised, and moto ignores
            // accounts anyway.
            let first = 300_000_000_000 + round * 10_000_000;
            let rate = load(all, "CreateConnection", secs, move |n| {
                (auth(&format!("{}", first + n)), create_body(10_000 + n))
            })
            .await;
            f.create.push(rate);
        }
        Phase::CreateOneAccount => {
            let first = 50_000_000 + round * 10_000_000;
            let rate = common::load_with(
                all,
                "CreateConnection",
                secs,
                ONE_ACCOUNT_CONCURRENCY,
                None,
                move |n| (auth(ONE_ACCOUNT), create_body(first + n)),
            )
            .await;
            f.create_one_account.push(rate);
        }
    }
}

/// One-account creates on `server` for `secs` seconds; prints each second's rate.
async fn steady(server: &Server, secs: u64) {
    let counts: Arc<Vec<AtomicU64>> = Arc::new((0..secs).map(|_| AtomicU64::new(0)).collect());
    let rate = common::load_with(
        &server.endpoints,
        "CreateConnection",
        secs,
        ONE_ACCOUNT_CONCURRENCY,
        Some(counts.clone()),
        |n| (auth(ONE_ACCOUNT), create_body(900_000_000 + n)),
    )
    .await;
    let each: Vec<u64> = counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    println!(
        "\n{} one-account creates for {secs} s: {rate:.0} req/s overall; per second:",
        server.name
    );
    println!("  {:?}", each);
    if let (Some(first), Some(last)) = (each.first(), each.last())
        && *first > 0
    {
        let min = each.iter().min().copied().unwrap_or(0);
        println!(
            "  first second {first}, last {last} ({:+.1}%), slowest {min} ({:+.1}%)",
            (*last as f64 / *first as f64 - 1.0) * 100.0,
            (min as f64 / *first as f64 - 1.0) * 100.0
        );
    }
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

// One thread drives every load worker: the load takes little of the two
// shared processors and adds no thread of its own to wake for each answer.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let secs = std::env::var("DXEMU_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let store = std::env::var("DXEMU_BENCH_STORE")
        .ok()
        .filter(|s| !s.is_empty() && s != "sqlite");
    let instances = std::env::var("DXEMU_BENCH_INSTANCES")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1);
    assert!(
        instances == 1 || store.is_some(),
        "several instances share a state only on PostgreSQL: set DXEMU_BENCH_STORE"
    );
    let rounds = std::env::var("DXEMU_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(3u64);
    // Both servers run from the start; each phase then alternates between
    // them, round after round, so that both meet the machine in the same
    // moods (this one's speed drifts by tens of percent within a minute).
    let dx = start_dxemu(&client, store.as_deref(), instances).await;
    let mut dxp = prepare(&client, &dx).await;
    let moto = if std::env::var("DXEMU_BENCH_SKIP_MOTO").is_ok() {
        None
    } else {
        start_moto(&client).await
    };
    let mut motop = match &moto {
        Some(m) => Some(prepare(&client, m).await),
        None => None,
    };
    // Reads first: moto keeps every account's connections in one list, so
    // after the creates it would list more than the 1,000.
    for phase in [
        Phase::ById,
        Phase::List,
        Phase::Create,
        Phase::CreateOneAccount,
    ] {
        for r in 0..rounds {
            run_phase(&dx, &mut dxp, phase, secs, r).await;
            if let (Some(m), Some(p)) = (&moto, motop.as_mut()) {
                run_phase(m, p, phase, secs, r).await;
            }
        }
    }
    if let Some(secs) = std::env::var("DXEMU_BENCH_STEADY_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
    {
        steady(&dx, secs).await;
    }
    drop(dx);
    drop(moto);
    let dxf = dxp.figures;
    let moto = motop.map(|p| p.figures);
    println!(
        "\ndxemu: {} store, {instances} process(es)",
        if store.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    );
    println!(
        "{:<40} {:>12} {:>12} {:>8}",
        "figure", "dxemu", "moto", "ratio"
    );
    let row = |name: &str, a: f64, b: Option<f64>, unit: &str| {
        let (bs, ratio) = match b {
            Some(b) if b > 0.0 => (format!("{b:.1}"), format!("{:.1}x", a / b)),
            _ => ("-".into(), "-".into()),
        };
        println!(
            "{:<40} {:>12} {:>12} {:>8}",
            format!("{name} ({unit})"),
            format!("{a:.1}"),
            bs,
            ratio
        );
    };
    row(
        "start to first answer",
        dxf.start_ms,
        moto.as_ref().map(|m| m.start_ms),
        "ms",
    );
    row(
        "idle RSS",
        dxf.idle_rss_mib,
        moto.as_ref().map(|m| m.idle_rss_mib),
        "MiB",
    );
    row(
        "DescribeConnections by id",
        median(&dxf.by_id),
        moto.as_ref().map(|m| median(&m.by_id)),
        "req/s",
    );
    row(
        "DescribeConnections, 1000 listed",
        median(&dxf.list_1000),
        moto.as_ref().map(|m| median(&m.list_1000)),
        "req/s",
    );
    row(
        "CreateConnection",
        median(&dxf.create),
        moto.as_ref().map(|m| median(&m.create)),
        "req/s",
    );
    row(
        "CreateConnection, one account, c=8",
        median(&dxf.create_one_account),
        moto.as_ref().map(|m| median(&m.create_one_account)),
        "req/s",
    );
    println!("\nload phases: medians of {rounds} rounds; each round, in turn:");
    let rounds_of = |name: &str, a: &[f64], b: Option<&Vec<f64>>| {
        let each: Vec<String> = a
            .iter()
            .enumerate()
            .map(|(i, x)| match b.and_then(|b| b.get(i)) {
                Some(y) if *y > 0.0 => format!("{x:.0}/{y:.0} = {:.1}x", x / y),
                _ => format!("{x:.0}"),
            })
            .collect();
        println!("  {name:<32} {}", each.join(", "));
    };
    rounds_of(
        "DescribeConnections by id",
        &dxf.by_id,
        moto.as_ref().map(|m| &m.by_id),
    );
    rounds_of(
        "DescribeConnections, 1000 listed",
        &dxf.list_1000,
        moto.as_ref().map(|m| &m.list_1000),
    );
    rounds_of(
        "CreateConnection",
        &dxf.create,
        moto.as_ref().map(|m| &m.create),
    );
    rounds_of(
        "CreateConnection, one account",
        &dxf.create_one_account,
        moto.as_ref().map(|m| &m.create_one_account),
    );
}
