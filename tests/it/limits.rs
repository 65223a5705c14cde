//! Bounded resources: client connections served at once, and request time.

use crate::common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn describe(endpoint: &str, timeout: Duration) -> Result<u16, reqwest::Error> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let resp = client
        .post(endpoint)
        .header("x-amz-target", "OvertureService.DescribeLocations")
        .body("{}")
        .send()
        .await?;
    Ok(resp.status().as_u16())
}

#[tokio::test]
async fn connections_beyond_the_limit_wait_for_a_free_place() {
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.max_client_connections = 2;
    let srv = TestServer::start_with(args).await;
    let addr = srv.endpoint.trim_start_matches("http://").to_string();
    // Two idle clients hold both places.
    let a = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let b = tokio::net::TcpStream::connect(&addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        describe(&srv.endpoint, Duration::from_millis(500))
            .await
            .is_err(),
        "a third connection must wait"
    );
    drop(a);
    // With one place free the next request is served.
    assert_eq!(
        describe(&srv.endpoint, Duration::from_secs(5))
            .await
            .unwrap(),
        200
    );
    drop(b);
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_answered_with_a_server_error() {
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.request_timeout = 0.3;
    let srv = TestServer::start_with(args).await;
    let client = reqwest::Client::new();
    let fault = client
        .post(format!("{}/_dxemu/faults", srv.endpoint))
        .body(json!({"effect": "latency", "latencyMs": 5000, "count": 1}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(fault.status().as_u16(), 200);
    let started = Instant::now();
    let resp = client
        .post(&srv.endpoint)
        .header("x-amz-target", "OvertureService.DescribeLocations")
        .body("{}")
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(resp.status().as_u16(), 500);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["__type"], "DirectConnectServerException");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("did not complete"),
        "{body}"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    // The server goes on answering.
    srv.owner().describe_locations().send().await.unwrap();
}

#[tokio::test]
async fn a_silent_connection_is_closed_and_frees_its_place() {
    use tokio::io::AsyncReadExt;
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.max_client_connections = 1;
    args.idle_timeout = 0.5;
    let srv = TestServer::start_with(args).await;
    let addr = srv.endpoint.trim_start_matches("http://").to_string();
    // A client that connects and says nothing holds the only place...
    let mut silent = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let started = Instant::now();
    // ...until the server closes it: the read sees the end of the stream.
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut buf))
        .await
        .expect("closed within the timeout")
        .unwrap_or(0);
    assert_eq!(n, 0);
    assert!(started.elapsed() >= Duration::from_millis(400));
    // Then another client is served.
    assert_eq!(
        describe(&srv.endpoint, Duration::from_secs(5))
            .await
            .unwrap(),
        200
    );
}
