//! Property test over the whole request path, bounded in time: random
//! headers, targets and bodies generated from every operation's input shape
//! (then mutated) never get a 5xx, and every error is a modeled or generic AWS
//! error type. `DXEMU_FUZZ_SECS` (default 10) bounds it; `DXEMU_FUZZ_SEED`
//! replays a run (the seed is printed).

use crate::common::*;
use dxemu::api::Operation;
use dxemu::api::generated::dispatch::input_shape;
use dxemu::api::validate::Shape;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Error types a client may see for bad input.
const ALLOWED: &[&str] = &[
    "DirectConnectClientException",
    "DuplicateTagKeysException",
    "TooManyTagsException",
    "SerializationException",
    "UnknownOperationException",
];

struct Gen {
    rng: fastrand::Rng,
    /// Real ids of both accounts, so generated calls reach the business rules.
    ids: Vec<String>,
}

impl Gen {
    fn string(&mut self, rule: &dxemu::api::validate::StrRule) -> String {
        let r = &mut self.rng;
        match r.u8(..12) {
            0 if !rule.values.is_empty() => rule.values[r.usize(..rule.values.len())].to_string(),
            1..=3 if !rule.values.is_empty() => {
                rule.values[r.usize(..rule.values.len())].to_string()
            }
            4 | 5 if !self.ids.is_empty() => self.ids[r.usize(..self.ids.len())].clone(),
            6 => "x".repeat(r.usize(..5000)),
            7 => String::from("a\u{0}b\u{202e}<b>&\"'\\"),
            8 => [
                "1Gbps",
                "10Gbps",
                "EqDC2",
                "us-east-1",
                "10.0.0.1/30",
                "65000",
            ][r.usize(..6)]
            .to_string(),
            9 => String::new(),
            10 => format!(
                "arn:aws:directconnect:us-east-1:{OWNER}:dxcon/dxcon-{}",
                r.u32(..)
            ),
            _ => (0..r.usize(1..20))
                .map(|_| r.alphanumeric())
                .collect::<String>(),
        }
    }

    /// A value for `shape`: mostly of the right type, sometimes not.
    fn value(&mut self, shape: &Shape, depth: u32) -> Value {
        if self.rng.u8(..20) == 0 {
            return self.wrong(depth);
        }
        match shape {
            Shape::Str(rule) => json!(self.string(rule)),
            Shape::Int | Shape::Long => match self.rng.u8(..6) {
                0 => json!(i64::MAX),
                1 => json!(-1),
                2 => json!(1e300),
                _ => json!(self.rng.i64(0..70000)),
            },
            Shape::Bool => json!(self.rng.bool()),
            Shape::Timestamp => json!(self.rng.f64() * 2e9),
            Shape::Blob => json!("aGVsbG8="),
            Shape::List { member, .. } => {
                let n = if depth > 3 { 0 } else { self.rng.usize(..5) };
                Value::Array((0..n).map(|_| self.value(member, depth + 1)).collect())
            }
            Shape::Struct(members) => {
                let mut m = serde_json::Map::new();
                for member in members.iter() {
                    let keep = if member.required {
                        self.rng.u8(..10) != 0
                    } else {
                        self.rng.bool()
                    };
                    if keep && depth < 5 {
                        m.insert(member.name.into(), self.value(member.shape, depth + 1));
                    }
                }
                if self.rng.u8(..8) == 0 {
                    m.insert("unexpectedMember".into(), self.wrong(depth));
                }
                Value::Object(m)
            }
        }
    }

    /// A value of any type.
    fn wrong(&mut self, depth: u32) -> Value {
        match self.rng.u8(..7) {
            0 => Value::Null,
            1 => json!(self.rng.bool()),
            2 => json!(self.rng.f64() * -1e15),
            3 if depth < 3 => json!([self.wrong(depth + 1)]),
            4 if depth < 3 => json!({"k": self.wrong(depth + 1)}),
            5 => json!("\u{fffd}".repeat(self.rng.usize(..50))),
            _ => json!(self.rng.i64(..)),
        }
    }

    fn target(&mut self, op: Operation) -> String {
        match self.rng.u8(..20) {
            0 => op.name().to_string(),
            1 => format!("overtureservice.{}", op.name()),
            2 => format!("OvertureService.{}x", op.name()),
            3 => "OvertureService.".into(),
            _ => format!("OvertureService.{}", op.name()),
        }
    }

    fn body(&mut self, op: Operation) -> Vec<u8> {
        let text = self.value(input_shape(op), 0).to_string().into_bytes();
        match self.rng.u8(..16) {
            0 => text[..self.rng.usize(..=text.len())].to_vec(),
            1 => (0..self.rng.usize(..64)).map(|_| self.rng.u8(..)).collect(),
            2 => Vec::new(),
            3 => b"[]".to_vec(),
            _ => text,
        }
    }
}

#[tokio::test]
async fn generated_requests_on_every_operation_never_fault() {
    let secs = std::env::var("DXEMU_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10u64);
    let seed = std::env::var("DXEMU_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    println!("fuzz seed {seed} (DXEMU_FUZZ_SEED={seed} replays), {secs} s");

    let srv = TestServer::start().await;
    // Real resources of two accounts, so ids in generated calls exist.
    let mut ids = Vec::new();
    for account in [OWNER, OTHER] {
        let dx = srv.client(account, "us-east-1");
        let conn = dx
            .create_connection()
            .location("EqDC2")
            .bandwidth("10Gbps")
            .connection_name("fuzz")
            .send()
            .await
            .unwrap();
        ids.push(conn.connection_id().unwrap().to_string());
        let lag = dx
            .create_lag()
            .number_of_connections(1)
            .location("EqDC2")
            .connections_bandwidth("10Gbps")
            .lag_name("fuzz")
            .send()
            .await
            .unwrap();
        ids.push(lag.lag_id().unwrap().to_string());
        let gw = dx
            .create_direct_connect_gateway()
            .direct_connect_gateway_name("fuzz")
            .send()
            .await
            .unwrap();
        ids.push(
            gw.direct_connect_gateway()
                .unwrap()
                .direct_connect_gateway_id()
                .unwrap()
                .to_string(),
        );
    }
    ids.push(OWNER.into());
    ids.push(OTHER.into());

    let mut g = Gen {
        rng: fastrand::Rng::with_seed(seed),
        ids,
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut sent, mut ok, mut errors) = (0u64, 0u64, 0u64);
    while Instant::now() < deadline {
        let op = Operation::ALL[g.rng.usize(..Operation::ALL.len())];
        let mut req = client
            .post(format!("{}/", srv.endpoint))
            .header("x-amz-target", g.target(op));
        req = match g.rng.u8(..6) {
            0 => req,
            1 => req.header("content-type", "application/x-amz-json-1.0"),
            2 => req.header("content-type", "text/plain; charset=unknown-8"),
            _ => req.header("content-type", "application/x-amz-json-1.1"),
        };
        let account = [OWNER, OTHER, "AKIDNOTMAPPED", "", "12345678901"][g.rng.usize(..5)];
        req = match g.rng.u8(..8) {
            0 => req,
            1 => req.header("authorization", "AWS4-HMAC-SHA256 Credential="),
            2 => req.header(
                "authorization",
                reqwest::header::HeaderValue::from_bytes(b"AWS4 Credential=\xff\xfe/x/y")
                    .unwrap(),
            ),
            _ => req.header(
                "authorization",
                format!("AWS4-HMAC-SHA256 Credential={account}/20261129/us-east-1/directconnect/aws4_request, SignedHeaders=host, Signature=0"),
            ),
        };
        if g.rng.u8(..10) == 0 {
            req = req.header("x-amz-date", "not-a-date");
        }
        let body = g.body(op);
        let resp = req.body(body.clone()).send().await.unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap();
        sent += 1;
        assert!(
            status == 200 || status == 400,
            "seed {seed}: {} answered {status}: {} to body {}",
            op.name(),
            String::from_utf8_lossy(&bytes),
            String::from_utf8_lossy(&body)
        );
        if status == 200 {
            ok += 1;
            serde_json::from_slice::<Value>(&bytes).expect("a success body is JSON");
        } else {
            errors += 1;
            let err: Value = serde_json::from_slice(&bytes).expect("an error body is JSON");
            let code = err["__type"].as_str().unwrap_or_default();
            assert!(
                ALLOWED.contains(&code),
                "seed {seed}: {} answered {code}: {err}",
                op.name()
            );
            assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
    }
    println!("fuzz: {sent} requests, {ok} accepted, {errors} refused, no fault");
    assert!(sent > 100, "too few requests in {secs} s: {sent}");
    // The server is still well.
    srv.owner().describe_connections().send().await.unwrap();
}
