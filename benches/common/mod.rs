//! What the benchmarks share: starting a dxemu process and reading its memory.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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
