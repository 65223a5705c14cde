//! The AWS JSON 1.1 protocol at the byte level.

use crate::common::*;
use serde_json::Value;

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=111111111111/20261129/us-east-1/directconnect/aws4_request, SignedHeaders=host, Signature=0";

async fn call(
    srv: &TestServer,
    target: Option<&str>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/", srv.endpoint))
        .header("content-type", "application/x-amz-json-1.1")
        .header("authorization", AUTH)
        .body(body.to_string());
    if let Some(t) = target {
        req = req.header("x-amz-target", t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn assert_error(status: u16, headers: &reqwest::header::HeaderMap, body: &Value, code: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["__type"], code, "{body}");
    assert!(body["message"].is_string());
    assert_eq!(headers["x-amzn-errortype"], code);
    assert_eq!(headers["content-type"], "application/x-amz-json-1.1");
    assert!(!headers["x-amzn-requestid"].is_empty());
}

fn has_null(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(has_null),
        Value::Object(o) => o.values().any(has_null),
        _ => false,
    }
}

#[tokio::test]
async fn success_headers_and_empty_body() {
    let srv = TestServer::start().await;
    let (status, headers, body) = call(&srv, Some("OvertureService.DescribeLocations"), "").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/x-amz-json-1.1");
    assert!(uuid_like(headers["x-amzn-requestid"].to_str().unwrap()));
    assert!(body["locations"].as_array().unwrap().len() > 5);
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[tokio::test]
async fn malformed_requests_get_modeled_errors() {
    let srv = TestServer::start().await;
    let (s, h, b) = call(
        &srv,
        Some("OvertureService.DescribeConnections"),
        "{not json",
    )
    .await;
    assert_error(s, &h, &b, "SerializationException");
    let (s, h, b) = call(&srv, Some("OvertureService.DescribeConnections"), "[1,2]").await;
    assert_error(s, &h, &b, "SerializationException");
    let (s, h, b) = call(
        &srv,
        Some("OvertureService.CreateConnection"),
        r#"{"location":"EqDC2","bandwidth":10,"connectionName":"x"}"#,
    )
    .await;
    assert_error(s, &h, &b, "SerializationException");
    assert!(b["message"].as_str().unwrap().contains("bandwidth"));
    let (s, h, b) = call(
        &srv,
        Some("OvertureService.CreateConnection"),
        r#"{"location":"EqDC2","bandwidth":"1Gbps"}"#,
    )
    .await;
    assert_error(s, &h, &b, "DirectConnectClientException");
    assert!(b["message"].as_str().unwrap().contains("'connectionName'"));
    let (s, h, b) = call(
        &srv,
        Some("OvertureService.DescribeLoa"),
        r#"{"connectionId":"dxcon-fzzzzzzz","loaContentType":"text/plain"}"#,
    )
    .await;
    assert_error(s, &h, &b, "DirectConnectClientException");
    assert!(b["message"].as_str().unwrap().contains("loaContentType"));
    let (s, h, b) = call(
        &srv,
        Some("OvertureService.DescribeConnections"),
        r#"{"maxResults":1.5}"#,
    )
    .await;
    assert_error(s, &h, &b, "SerializationException");
    let (s, h, b) = call(
        &srv,
        Some("OvertureService.DescribeConnections"),
        r#"{"maxResults":99999999999}"#,
    )
    .await;
    assert_error(s, &h, &b, "SerializationException");
    let (s, h, b) = call(&srv, Some("OvertureService.NoSuchOperation"), "{}").await;
    assert_error(s, &h, &b, "UnknownOperationException");
    let (s, h, b) = call(&srv, Some("SomethingElse.DescribeConnections"), "{}").await;
    assert_error(s, &h, &b, "UnknownOperationException");
    let huge = format!(r#"{{"connectionId":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let (s, h, b) = call(&srv, Some("OvertureService.DescribeConnections"), &huge).await;
    assert_error(s, &h, &b, "SerializationException");
    assert!(
        b["message"].as_str().unwrap().contains("1048576 bytes"),
        "{b}"
    );
    let (s, h, b) = call(&srv, None, "{}").await;
    assert_error(s, &h, &b, "UnknownOperationException");
}

#[tokio::test]
async fn every_operation_is_routed_and_implemented() {
    let srv = TestServer::start().await;
    for op in dxemu::api::Operation::ALL {
        let (s, h, b) = call(&srv, Some(&format!("OvertureService.{}", op.name())), "{}").await;
        // An empty input is either valid or a client error; never a server fault.
        assert!(s == 200 || s == 400, "{}: {s} {b}", op.name());
        if s == 400 {
            assert_error(s, &h, &b, b["__type"].as_str().unwrap_or_default());
            assert_ne!(b["__type"], "UnknownOperationException", "{}", op.name());
        }
    }
}

#[tokio::test]
async fn success_bodies_carry_no_nulls_and_numeric_timestamps() {
    let srv = TestServer::start().await;
    let (s, _, created) = call(
        &srv,
        Some("OvertureService.CreateConnection"),
        r#"{"location":"EqDC2","bandwidth":"1Gbps","connectionName":"n","unknownMember":{"x":1}}"#,
    )
    .await;
    assert_eq!(s, 200, "{created}");
    assert!(!has_null(&created));
    let id = created["connectionId"].as_str().unwrap();
    let (s, _, _) = call(
        &srv,
        Some("OvertureService.DescribeLoa"),
        &format!(r#"{{"connectionId":"{id}"}}"#),
    )
    .await;
    assert_eq!(s, 200);
    let (_, _, listed) = call(
        &srv,
        Some("OvertureService.DescribeConnections"),
        &format!(r#"{{"connectionId":"{id}"}}"#),
    )
    .await;
    assert!(!has_null(&listed));
    let c = &listed["connections"][0];
    assert!(c["loaIssueTime"].is_number(), "{c}");
    assert_eq!(c["hasLogicalRedundancy"], "unknown");
    assert!(c["jumboFrameCapable"].is_boolean());
    assert!(c.get("vlan").is_none(), "absent members are omitted");
}

#[tokio::test]
async fn health_and_unknown_paths() {
    let srv = TestServer::start().await;
    let resp = reqwest::get(format!("{}/_dxemu/health", srv.endpoint))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["operations"], 73);
    let resp = reqwest::get(format!("{}/nope", srv.endpoint))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    // The API answers POST / only (a query string does not matter); a GET
    // of / points a person to the dashboard and health, /_dxemu/ leads to
    // the dashboard, other methods on / are not allowed.
    let resp = reqwest::get(format!("{}/", srv.endpoint)).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["dashboard"], "/_dxemu/ui");
    assert_eq!(body["health"], "/_dxemu/health");
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/_dxemu", "/_dxemu/"] {
        let resp = no_redirects
            .get(format!("{}{path}", srv.endpoint))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 302, "{path}");
        assert_eq!(resp.headers()["location"], "/_dxemu/ui", "{path}");
    }
    let resp = reqwest::Client::new()
        .put(format!("{}/", srv.endpoint))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    let resp = reqwest::Client::new()
        .post(format!("{}/?probe=1", srv.endpoint))
        .header("x-amz-target", "OvertureService.DescribeLocations")
        .header("content-type", "application/x-amz-json-1.1")
        .header("authorization", AUTH)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers().contains_key("x-amzn-requestid"));
    // A POST elsewhere is not the API.
    let resp = reqwest::Client::new()
        .post(format!("{}/other", srv.endpoint))
        .header("x-amz-target", "OvertureService.DescribeLocations")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}
