//! Smithy RPC v2 CBOR with raw requests: `POST
//! /service/OvertureService/operation/<Name>`, CBOR bodies built and read with
//! ciborium, beside the AWS JSON 1.1 SDK client on the same server.

use crate::common::{OWNER, TestServer};
use ciborium::Value;
use dxemu::cli::ServeArgs;

const CLIENT_EXCEPTION: &str = "com.amazonaws.directconnect#DirectConnectClientException";
const UNKNOWN_OPERATION: &str = "com.amazon.coral.service#UnknownOperationException";
const SERIALIZATION: &str = "com.amazon.coral.service#SerializationException";

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The member `name` of the answer's top-level map.
    fn get(&self, name: &str) -> &Value {
        member(&self.body, name)
    }
}

fn member<'a>(map: &'a Value, name: &str) -> &'a Value {
    let Value::Map(entries) = map else {
        panic!("not a map: {map:?}")
    };
    entries
        .iter()
        .find(|(k, _)| k.as_text() == Some(name))
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no member {name} in {map:?}"))
}

fn has(map: &Value, name: &str) -> bool {
    matches!(map, Value::Map(entries) if entries.iter().any(|(k, _)| k.as_text() == Some(name)))
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn map(entries: &[(&str, Value)]) -> Vec<u8> {
    let value = Value::Map(entries.iter().map(|(k, v)| (text(k), v.clone())).collect());
    let mut out = Vec::new();
    ciborium::ser::into_writer(&value, &mut out).unwrap();
    out
}

/// An (unsigned) Authorization header naming the account, as `--auth none`
/// reads it.
fn credential(account: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/directconnect/aws4_request, SignedHeaders=host, Signature=00"
    )
}

async fn post(srv: &TestServer, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Answer {
    let client = reqwest::Client::new();
    let mut req = client.post(format!("{}{path}", srv.endpoint)).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        ciborium::de::from_reader(&bytes[..]).expect("the answer is CBOR")
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// A well-formed CBOR call of `op` as `account`.
async fn call(srv: &TestServer, account: &str, op: &str, body: Vec<u8>) -> Answer {
    let auth = credential(account);
    post(
        srv,
        &format!("/service/OvertureService/operation/{op}"),
        &[
            ("smithy-protocol", "rpc-v2-cbor"),
            ("content-type", "application/cbor"),
            ("authorization", &auth),
        ],
        body,
    )
    .await
}

fn assert_cbor_headers(a: &Answer) {
    assert_eq!(a.header("content-type"), Some("application/cbor"));
    assert_eq!(a.header("smithy-protocol"), Some("rpc-v2-cbor"));
    assert!(a.header("x-amzn-requestid").is_some_and(|v| v.len() == 36));
    assert!(a.header("x-amzn-errortype").is_none());
}

fn assert_error(a: &Answer, status: u16, type_: &str, message: &str) {
    assert_eq!(a.status, status, "{:?}", a.body);
    assert_eq!(a.get("__type").as_text(), Some(type_), "{:?}", a.body);
    assert_eq!(a.get("message").as_text(), Some(message), "{:?}", a.body);
    let Value::Map(entries) = &a.body else {
        unreachable!()
    };
    assert_eq!(entries.len(), 2, "only __type and message: {:?}", a.body);
}

#[tokio::test]
async fn create_describe_round_trip_beside_json() {
    let srv = TestServer::start().await;
    let created = call(
        &srv,
        OWNER,
        "CreateConnection",
        map(&[
            ("location", text("EqDC2")),
            ("bandwidth", text("1Gbps")),
            ("connectionName", text("cbor-primary")),
            (
                "tags",
                Value::Array(vec![Value::Map(vec![
                    (text("key"), text("team")),
                    (text("value"), text("net")),
                ])]),
            ),
        ]),
    )
    .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    assert_cbor_headers(&created);
    let id = created.get("connectionId").as_text().unwrap().to_string();
    assert!(id.starts_with("dxcon-") && id.len() == 14, "{id}");
    assert_eq!(created.get("connectionState").as_text(), Some("requested"));
    assert_eq!(created.get("ownerAccount").as_text(), Some(OWNER));
    assert_eq!(created.get("jumboFrameCapable"), &Value::Bool(true));
    assert!(
        !has(&created.body, "loaIssueTime"),
        "absent members are omitted"
    );

    // The JSON SDK sees the connection the CBOR call made.
    let listed = srv.owner().describe_connections().send().await.unwrap();
    assert_eq!(listed.connections()[0].connection_id(), Some(id.as_str()));

    // The LOA is a byte string; once issued, loaIssueTime is a tag-1 time.
    let loa = call(
        &srv,
        OWNER,
        "DescribeLoa",
        map(&[("connectionId", text(&id))]),
    )
    .await;
    assert_eq!(loa.status, 200, "{:?}", loa.body);
    let Value::Bytes(pdf) = loa.get("loaContent") else {
        panic!(
            "loaContent is not a byte string: {:?}",
            loa.get("loaContent")
        )
    };
    assert!(pdf.starts_with(b"%PDF"));
    let described = call(
        &srv,
        OWNER,
        "DescribeConnections",
        map(&[("connectionId", text(&id))]),
    )
    .await;
    assert_eq!(described.status, 200);
    assert_cbor_headers(&described);
    let Value::Array(connections) = described.get("connections") else {
        panic!()
    };
    assert_eq!(connections.len(), 1);
    let c = &connections[0];
    assert_eq!(member(c, "connectionName").as_text(), Some("cbor-primary"));
    let Value::Tag(1, at) = member(c, "loaIssueTime") else {
        panic!("loaIssueTime is not tag 1: {:?}", member(c, "loaIssueTime"))
    };
    let secs = match **at {
        Value::Float(f) => f,
        Value::Integer(i) => i128::from(i) as f64,
        ref other => panic!("{other:?}"),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((secs - now).abs() < 120.0, "{secs} vs {now}");
    assert_eq!(
        member(c, "tags"),
        &Value::Array(vec![Value::Map(vec![
            (text("key"), text("team")),
            (text("value"), text("net")),
        ])])
    );

    // An operation without input: an empty body and no Content-Type.
    let auth = credential(OWNER);
    let locations = post(
        &srv,
        "/service/OvertureService/operation/DescribeLocations",
        &[("smithy-protocol", "rpc-v2-cbor"), ("authorization", &auth)],
        Vec::new(),
    )
    .await;
    assert_eq!(locations.status, 200, "{:?}", locations.body);
    assert!(matches!(locations.get("locations"), Value::Array(l) if !l.is_empty()));

    // Another account sees nothing of it, in either protocol.
    let other = call(&srv, "222222222222", "DescribeConnections", map(&[])).await;
    assert_eq!(other.get("connections"), &Value::Array(vec![]));
}

#[tokio::test]
async fn errors_are_cbor_maps_with_the_shape_id() {
    let srv = TestServer::start().await;
    let missing = call(
        &srv,
        OWNER,
        "DescribeConnections",
        map(&[("connectionId", text("dxcon-ffffffff"))]),
    )
    .await;
    assert_cbor_headers(&missing);
    assert_error(
        &missing,
        400,
        CLIENT_EXCEPTION,
        "Could not find Connection with ID dxcon-ffffffff",
    );
    let invalid = call(
        &srv,
        OWNER,
        "CreateConnection",
        map(&[("location", text("EqDC2")), ("bandwidth", text("1Gbps"))]),
    )
    .await;
    assert_error(
        &invalid,
        400,
        CLIENT_EXCEPTION,
        "1 validation error detected: Value null at 'connectionName' failed to satisfy constraint: Member must not be null",
    );
    let wrong_type = call(
        &srv,
        OWNER,
        "CreateConnection",
        map(&[
            ("location", text("EqDC2")),
            ("bandwidth", Value::Integer(1.into())),
            ("connectionName", text("x")),
        ]),
    )
    .await;
    assert_error(
        &wrong_type,
        400,
        SERIALIZATION,
        "Unexpected value at 'bandwidth': expected a string",
    );
}

#[tokio::test]
async fn routing_and_header_rules() {
    let srv = TestServer::start().await;
    let auth = credential(OWNER);
    let empty_map = map(&[]);
    let path = "/service/OvertureService/operation/DescribeConnections";

    // No smithy-protocol header: the route is not served; the answer does
    // not claim the protocol either.
    let a = post(
        &srv,
        path,
        &[
            ("content-type", "application/cbor"),
            ("authorization", &auth),
        ],
        empty_map.clone(),
    )
    .await;
    assert_eq!(a.status, 404);
    assert_eq!(a.get("__type").as_text(), Some(UNKNOWN_OPERATION));
    assert_eq!(a.header("smithy-protocol"), None);
    assert_eq!(a.header("content-type"), Some("application/cbor"));

    // X-Amz-Target is forbidden on this protocol.
    let a = post(
        &srv,
        path,
        &[
            ("smithy-protocol", "rpc-v2-cbor"),
            ("content-type", "application/cbor"),
            ("x-amz-target", "OvertureService.DescribeConnections"),
        ],
        empty_map.clone(),
    )
    .await;
    assert_error(
        &a,
        404,
        UNKNOWN_OPERATION,
        "A Smithy RPC v2 CBOR request must not carry an X-Amz-Target header",
    );

    // Unknown operation, unknown service; an absolute service id and a
    // path prefix are accepted.
    let a = call(&srv, OWNER, "NoSuchOperation", empty_map.clone()).await;
    assert_cbor_headers(&a);
    assert_error(
        &a,
        404,
        UNKNOWN_OPERATION,
        "Operation NoSuchOperation is not recognized: dxemu serves OvertureService on POST /service/OvertureService/operation/<OperationName>",
    );
    let cbor_headers = [
        ("smithy-protocol", "rpc-v2-cbor"),
        ("content-type", "application/cbor"),
    ];
    let a = post(
        &srv,
        "/service/Ec2Service/operation/DescribeConnections",
        &cbor_headers,
        empty_map.clone(),
    )
    .await;
    assert_eq!(
        (a.status, a.get("__type").as_text()),
        (404, Some(UNKNOWN_OPERATION))
    );
    for ok in [
        "/service/com.amazonaws.directconnect.OvertureService/operation/DescribeConnections",
        "/v1/service/OvertureService/operation/DescribeConnections",
    ] {
        let a = post(&srv, ok, &cbor_headers, empty_map.clone()).await;
        assert_eq!(a.status, 200, "{ok}: {:?}", a.body);
    }

    // A body of another media type.
    let a = post(
        &srv,
        path,
        &[
            ("smithy-protocol", "rpc-v2-cbor"),
            ("content-type", "application/x-amz-json-1.1"),
        ],
        b"{}".to_vec(),
    )
    .await;
    assert_error(
        &a,
        415,
        "com.amazon.coral.service#UnsupportedMediaTypeException",
        "The request body must be of type application/cbor, not application/x-amz-json-1.1",
    );

    // Routing comes before the media type: an unknown operation is a 404
    // whatever its body.
    let a = post(
        &srv,
        "/service/OvertureService/operation/NoSuchOperation",
        &[
            ("smithy-protocol", "rpc-v2-cbor"),
            ("content-type", "text/plain"),
        ],
        b"x".to_vec(),
    )
    .await;
    assert_eq!(
        (a.status, a.get("__type").as_text()),
        (404, Some(UNKNOWN_OPERATION))
    );

    // GET on the route is not an API call.
    let resp = reqwest::get(format!("{}{path}", srv.endpoint))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);

    // The JSON protocol still answers on POST / beside it.
    assert!(srv.owner().describe_locations().send().await.is_ok());
}

#[tokio::test]
async fn malformed_bodies_are_serialization_errors_never_faults() {
    let srv = TestServer::start().await;
    let deep = {
        let mut v = vec![0x81u8; 2000];
        v.push(0x01);
        v
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", vec![0xa1, 0x6c]),
        ("break alone", vec![0xff]),
        ("two items", vec![0xa0, 0xa0]),
        ("not a map", vec![0x83, 0x01, 0x02, 0x03]),
        ("integer key", vec![0xa1, 0x01, 0x02]),
        (
            "huge declared length",
            vec![0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
        ("deep nesting", deep),
        ("json", b"{\"connectionId\":\"x\"}".to_vec()),
        (
            "byte string for a string",
            map(&[("connectionId", Value::Bytes(b"dxcon".to_vec()))]),
        ),
        (
            "tag for a string",
            map(&[(
                "connectionId",
                Value::Tag(1, Box::new(Value::Integer(5.into()))),
            )]),
        ),
        (
            "NaN for a string",
            map(&[("connectionId", Value::Float(f64::NAN))]),
        ),
        (
            "integer beyond 64 bits",
            map(&[("connectionId", Value::Integer(u64::MAX.into()))]),
        ),
    ];
    for (what, body) in cases {
        let a = call(&srv, OWNER, "DescribeConnections", body).await;
        assert_eq!(a.status, 400, "{what}: {:?}", a.body);
        assert_eq!(
            a.get("__type").as_text(),
            Some(SERIALIZATION),
            "{what}: {:?}",
            a.body
        );
        assert_cbor_headers(&a);
    }
    // Every operation refuses garbage the same way.
    for op in dxemu::api::Operation::ALL {
        let a = call(&srv, OWNER, op.name(), vec![0xa1, 0x61]).await;
        assert_eq!(a.status, 400, "{}", op.name());
        assert_eq!(
            a.get("__type").as_text(),
            Some(SERIALIZATION),
            "{}",
            op.name()
        );
    }
}

/// SigV4 the textbook way, for a raw request: the signature covers the
/// method, the path, the signed headers and the body.
fn sign(secret: &str, key: &str, path: &str, host: &str, body: &[u8]) -> Vec<(String, String)> {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};
    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
    fn mac(key: &[u8], data: &str) -> Vec<u8> {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
        m.update(data.as_bytes());
        m.finalize().into_bytes().to_vec()
    }
    let now = time::OffsetDateTime::now_utc();
    let date = format!(
        "{:04}{:02}{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let amz_date = format!(
        "{date}T{:02}{:02}{:02}Z",
        now.hour(),
        now.minute(),
        now.second()
    );
    let signed = "content-type;host;smithy-protocol;x-amz-date";
    let canonical = format!(
        "POST\n{path}\n\ncontent-type:application/cbor\nhost:{host}\nsmithy-protocol:rpc-v2-cbor\nx-amz-date:{amz_date}\n\n{signed}\n{}",
        hex(&Sha256::digest(body))
    );
    let scope = format!("{date}/us-east-1/directconnect/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut k = mac(format!("AWS4{secret}").as_bytes(), &date);
    for part in ["us-east-1", "directconnect", "aws4_request"] {
        k = mac(&k, part);
    }
    let signature = hex(&mac(&k, &to_sign));
    vec![
        ("x-amz-date".into(), amz_date),
        (
            "authorization".into(),
            format!(
                "AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={signature}"
            ),
        ),
    ]
}

#[tokio::test]
async fn signed_requests_under_auth_verify() {
    let mut args = ServeArgs::for_tests();
    args.auth = "verify".into();
    args.credentials = vec![format!("AKIDCBOR:cbor-secret:{OWNER}")];
    let srv = TestServer::start_with(args).await;
    let host = srv.endpoint.trim_start_matches("http://").to_string();
    let path = "/service/OvertureService/operation/CreateConnection";
    let body = map(&[
        ("location", text("EqDC2")),
        ("bandwidth", text("1Gbps")),
        ("connectionName", text("signed")),
    ]);
    let send = |secret: &'static str, body: Vec<u8>, signed_body: Vec<u8>| {
        let signature = sign(secret, "AKIDCBOR", path, &host, &signed_body);
        let srv = &srv;
        async move {
            let mut headers = vec![
                ("smithy-protocol", "rpc-v2-cbor".to_string()),
                ("content-type", "application/cbor".to_string()),
            ];
            for (k, v) in &signature {
                headers.push((
                    if k == "authorization" {
                        "authorization"
                    } else {
                        "x-amz-date"
                    },
                    v.clone(),
                ));
            }
            let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(srv, path, &pairs, body).await
        }
    };
    let ok = send("cbor-secret", body.clone(), body.clone()).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(ok.get("ownerAccount").as_text(), Some(OWNER));
    // A wrong secret, and a body other than the signed one.
    let wrong = send("other-secret", body.clone(), body.clone()).await;
    assert_eq!(wrong.status, 400);
    assert_eq!(
        wrong.get("__type").as_text(),
        Some("com.amazon.coral.service#InvalidSignatureException")
    );
    let mut tampered = body.clone();
    let last = tampered.len() - 1;
    tampered[last] = b'X';
    let altered = send("cbor-secret", tampered, body.clone()).await;
    assert_eq!(altered.status, 400);
    assert_eq!(
        altered.get("__type").as_text(),
        Some("com.amazon.coral.service#InvalidSignatureException")
    );
    // Unsigned.
    let unsigned = post(
        &srv,
        path,
        &[
            ("smithy-protocol", "rpc-v2-cbor"),
            ("content-type", "application/cbor"),
        ],
        body,
    )
    .await;
    assert_eq!(unsigned.status, 403);
    assert_eq!(
        unsigned.get("__type").as_text(),
        Some("com.amazon.coral.service#MissingAuthenticationTokenException")
    );
}

#[tokio::test]
async fn read_cache_keeps_each_protocol_its_own_answer() {
    let srv = TestServer::start().await;
    srv.owner()
        .create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("cached")
        .send()
        .await
        .unwrap();
    // DescribeConnections (cacheable) with the same, empty, body in both
    // protocols, each twice: neither is served the other's kept bytes.
    let auth = credential(OWNER);
    let client = reqwest::Client::new();
    for _ in 0..2 {
        let json = client
            .post(format!("{}/", srv.endpoint))
            .header("x-amz-target", "OvertureService.DescribeConnections")
            .header("content-type", "application/x-amz-json-1.1")
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(json.status().as_u16(), 200);
        let doc: serde_json::Value = json.json().await.unwrap();
        assert_eq!(doc["connections"][0]["connectionName"], "cached");
        let cbor = post(
            &srv,
            "/service/OvertureService/operation/DescribeConnections",
            &[("smithy-protocol", "rpc-v2-cbor"), ("authorization", &auth)],
            Vec::new(),
        )
        .await;
        assert_eq!(cbor.status, 200);
        assert_eq!(cbor.header("content-type"), Some("application/cbor"));
        let Value::Array(l) = cbor.get("connections") else {
            panic!("{:?}", cbor.body)
        };
        assert_eq!(member(&l[0], "connectionName").as_text(), Some("cached"));
    }
}
