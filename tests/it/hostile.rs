//! Hostile and random input over the request path: never a panic, never a 5xx,
//! always a modeled or generic AWS error type.

use crate::common::*;
use serde_json::{Value, json};

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=111111111111/20261129/us-east-1/directconnect/aws4_request, SignedHeaders=host, Signature=0";

async fn post(
    client: &reqwest::Client,
    srv: &TestServer,
    target: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let resp = client
        .post(format!("{}/", srv.endpoint))
        .header("x-amz-target", target)
        .header("content-type", "application/x-amz-json-1.1")
        .header("authorization", AUTH)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A random JSON value: any type, sometimes large, sometimes nested.
fn random_value(rng: &mut fastrand::Rng, depth: u32) -> Value {
    match rng.u8(..10) {
        0 => Value::Null,
        1 => json!(rng.bool()),
        2 => json!(rng.i64(..)),
        3 => json!(rng.f64() * 1e12),
        4 => json!("x".repeat(rng.usize(..3000))),
        5 => json!(format!("dxcon-{}", rng.u32(..))),
        6 => json!(["a\u{0000}b", "\u{202e}rtl", "<script>"]),
        7 if depth < 4 => Value::Array(
            (0..rng.usize(..4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        8 if depth < 4 => {
            let mut m = serde_json::Map::new();
            for key in ["key", "value", "cidr", "connectionId", "vlan", "asn"] {
                if rng.bool() {
                    m.insert(key.into(), random_value(rng, depth + 1));
                }
            }
            Value::Object(m)
        }
        _ => json!(rng.i32(-5..5000)),
    }
}

/// Member names of the model, so random bodies hit real fields.
const MEMBERS: &[&str] = &[
    "connectionId",
    "lagId",
    "interconnectId",
    "virtualInterfaceId",
    "directConnectGatewayId",
    "associationId",
    "proposalId",
    "location",
    "bandwidth",
    "connectionName",
    "lagName",
    "vlan",
    "asn",
    "asnLong",
    "mtu",
    "ownerAccount",
    "tags",
    "tagKeys",
    "resourceArn",
    "resourceArns",
    "maxResults",
    "nextToken",
    "numberOfConnections",
    "connectionsBandwidth",
    "minimumLinks",
    "newPrivateVirtualInterface",
    "newPublicVirtualInterface",
    "newTransitVirtualInterface",
    "newBGPPeer",
    "bgpPeerId",
    "secretARN",
    "ckn",
    "cak",
    "loaContentType",
    "amazonSideAsn",
    "gatewayId",
    "virtualGatewayId",
    "routerTypeIdentifier",
    "testDurationInMinutes",
    "bgpPeers",
    "addAllowedPrefixesToDirectConnectGateway",
    "encryptionMode",
    "requestMACSec",
];

#[tokio::test]
async fn random_bodies_on_every_operation_never_fault() {
    let srv = TestServer::start().await;
    let client = reqwest::Client::new();
    let mut rng = fastrand::Rng::with_seed(0x00d1_ec7c);
    let mut requests = 0;
    for op in dxemu::api::Operation::ALL {
        let target = format!("OvertureService.{}", op.name());
        for _ in 0..25 {
            let mut body = serde_json::Map::new();
            for _ in 0..rng.usize(..6) {
                let name = MEMBERS[rng.usize(..MEMBERS.len())];
                body.insert(name.into(), random_value(&mut rng, 0));
            }
            let (status, answer) = post(
                &client,
                &srv,
                &target,
                Value::Object(body.clone()).to_string().into_bytes(),
            )
            .await;
            requests += 1;
            assert!(
                status == 200 || status == 400,
                "{}: {status} {answer} for {}",
                op.name(),
                Value::Object(body)
            );
            if status == 400 {
                let code = answer["__type"].as_str().unwrap_or_default();
                assert!(
                    matches!(
                        code,
                        "DirectConnectClientException"
                            | "SerializationException"
                            | "DuplicateTagKeysException"
                            | "TooManyTagsException"
                            | "LimitExceededException"
                    ),
                    "{}: unexpected error type {answer}",
                    op.name()
                );
            }
        }
    }
    assert_eq!(requests, dxemu::api::generated::OPERATION_COUNT * 25);
}

#[tokio::test]
async fn malformed_bytes_and_shapes() {
    let srv = TestServer::start().await;
    let client = reqwest::Client::new();
    let target = "OvertureService.CreateConnection";
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, 0x00, 0x7b],
        b"{\"connectionName\": \"a\x00b\", \"location\": \"EqDC2\", \"bandwidth\": \"1Gbps\"}".to_vec(),
        deep.into_bytes(),
        format!(r#"{{"connectionId": {}}}"#, "1".repeat(400)).into_bytes(),
        b"{\"location\":\"EqDC2\",\"location\":\"CSVA1\",\"bandwidth\":\"1Gbps\",\"connectionName\":\"dup\"}".to_vec(),
        b"null".to_vec(),
        b"\"just a string\"".to_vec(),
        b"{\"tags\": [null]}".to_vec(),
    ];
    for body in cases {
        let shown = String::from_utf8_lossy(&body)
            .chars()
            .take(60)
            .collect::<String>();
        let (status, answer) = post(&client, &srv, target, body).await;
        assert!(status == 200 || status == 400, "{shown}: {status} {answer}");
        if status == 400 {
            assert!(
                answer["__type"].is_string() && answer["message"].is_string(),
                "{shown}: {answer}"
            );
        }
    }
    // A NUL inside a name is just a character; the duplicate key keeps the last value.
    let dx = srv.owner();
    let all = dx.describe_connections().send().await.unwrap();
    let dup = all
        .connections()
        .iter()
        .find(|c| c.connection_name() == Some("dup"))
        .expect("created");
    assert_eq!(dup.location(), Some("CSVA1"));
}
