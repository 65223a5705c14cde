//! The read cache never answers with state older than the last write.

use crate::common::*;
use aws_sdk_directconnect::types::ConnectionState;

#[tokio::test]
async fn writes_forced_transitions_and_imports_show_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = dxemu::cli::ServeArgs::for_tests();
    args.in_memory = false;
    args.data_dir = dir.path().to_path_buf();
    args.lifecycle = "manual".into();
    let srv = TestServer::start_with(args).await;
    let dx = srv.owner();
    assert!(connection_names(&dx).await.is_empty());
    assert!(
        connection_names(&dx).await.is_empty(),
        "second read, from the cache"
    );
    let id = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("one")
        .send()
        .await
        .unwrap()
        .connection_id()
        .unwrap()
        .to_string();
    assert_eq!(connection_names(&dx).await, ["one"]);
    dx.update_connection()
        .connection_id(&id)
        .connection_name("two")
        .send()
        .await
        .unwrap();
    assert_eq!(connection_names(&dx).await, ["two"]);
    // Another account's identical request is answered for that account.
    assert!(
        connection_names(&srv.client(OTHER, "us-east-1"))
            .await
            .is_empty()
    );

    // A transition forced through the control API shows on the next read.
    let state = |dx: aws_sdk_directconnect::Client, id: String| async move {
        dx.describe_connections()
            .connection_id(id)
            .send()
            .await
            .unwrap()
            .connections()[0]
            .connection_state()
            .cloned()
    };
    assert_eq!(
        state(dx.clone(), id.clone()).await,
        Some(ConnectionState::Requested)
    );
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/_dxemu/resources/connection/{id}/state",
            srv.endpoint
        ))
        .body(r#"{"state":"pending"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        state(dx.clone(), id.clone()).await,
        Some(ConnectionState::Pending)
    );
    // So does a reset.
    reqwest::Client::new()
        .post(format!("{}/_dxemu/reset", srv.endpoint))
        .send()
        .await
        .unwrap();
    assert!(connection_names(&dx).await.is_empty());
}
