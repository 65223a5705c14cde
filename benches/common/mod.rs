//! What the benchmarks share: starting a dxemu process and reading its memory.

#![allow(dead_code)] // each benchmark uses part of it

use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper_util::rt::TokioIo;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The dxemu binary the benchmarks run (a release build unless DXEMU_BIN says otherwise).
pub fn dxemu_bin() -> String {
    std::env::var("DXEMU_BIN").unwrap_or_else(|_| "target/release/dxemu".into())
}

/// Starts `dxemu serve --listen 127.0.0.1:0 ARGS…` and returns it with the
/// endpoint it prints.
pub fn spawn_dxemu(mut cmd: Command) -> (Child, String) {
    let bin = dxemu_bin();
    let mut child = cmd
        // Its default: a line per request, as moto logs each request too
        // (both go to /dev/null).
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e} (run cargo build --release first)"));
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out)
            .read_line(&mut line)
            .expect("read endpoint");
    }
    let endpoint = line
        .trim()
        .trim_start_matches("dxemu listening on ")
        .to_string();
    (child, endpoint)
}

/// A `dxemu serve` command on a free loopback port.
pub fn serve_command() -> Command {
    let mut cmd = Command::new(dxemu_bin());
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    cmd
}

/// The resident memory of a process, in KiB (0 when unknown).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// One keep-alive HTTP/1.1 connection of a load worker, opened again when
/// the server closes it (moto answers each request on a new connection).
pub struct Conn {
    addr: String,
    sender: Option<http1::SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub fn new(endpoint: &str) -> Self {
        Self {
            addr: endpoint.trim_start_matches("http://").to_string(),
            sender: None,
        }
    }

    /// Sends one request and reads its answer whole, as a real client does;
    /// whether it succeeded (2xx).
    pub async fn call(
        &mut self,
        target: &HeaderValue,
        authorization: String,
        body: String,
    ) -> bool {
        if let Some(s) = self.sender.as_mut()
            && s.ready().await.is_err()
        {
            self.sender = None;
        }
        let sender = match self.sender.take() {
            Some(s) => self.sender.insert(s),
            None => {
                let Some(s) = connect(&self.addr).await else {
                    return false;
                };
                self.sender.insert(s)
            }
        };
        let request = Request::post("/")
            .header(HOST, self.addr.as_str())
            .header("x-amz-target", target)
            .header(CONTENT_TYPE, "application/x-amz-json-1.1")
            .header(AUTHORIZATION, authorization)
            .body(Full::new(Bytes::from(body)));
        let Ok(request) = request else { return false };
        match sender.send_request(request).await {
            Ok(resp) => {
                let ok = resp.status().is_success();
                ok & resp.into_body().collect().await.is_ok()
            }
            Err(_) => {
                self.sender = None;
                false
            }
        }
    }
}

pub async fn connect(addr: &str) -> Option<http1::SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.ok()?;
    tokio::spawn(conn);
    Some(sender)
}

/// Runs `concurrency` workers for `secs` seconds; returns requests per
/// second. With `per_second`, also files how many answers came in each second.
pub async fn load_with<F>(
    endpoints: &[String],
    op: &'static str,
    secs: u64,
    concurrency: usize,
    per_second: Option<Arc<Vec<AtomicU64>>>,
    body: F,
) -> f64
where
    F: Fn(u64) -> (String, String) + Send + Sync + 'static,
{
    let body = Arc::new(body);
    let target = HeaderValue::from_str(&format!("OvertureService.{op}")).expect("target");
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (endpoint, body, done, errors, target, per_second) = (
            endpoints[worker % endpoints.len()].clone(),
            body.clone(),
            done.clone(),
            errors.clone(),
            target.clone(),
            per_second.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(&endpoint);
            while Instant::now() < deadline {
                let n = done.fetch_add(1, Ordering::Relaxed);
                let (authorization, payload) = body(n);
                if !conn.call(&target, authorization, payload).await {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(counts) = &per_second
                    && let Some(c) = counts.get(started.elapsed().as_secs() as usize)
                {
                    c.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let errs = errors.load(Ordering::Relaxed);
    if errs > 0 {
        eprintln!("  ({errs} failed requests in {op})");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}
