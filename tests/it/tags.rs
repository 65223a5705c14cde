use crate::common::*;
use aws_sdk_directconnect::types::Tag;

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

async fn connection(dx: &aws_sdk_directconnect::Client) -> (String, String) {
    let c = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("tagged")
        .tags(tag("env", "test"))
        .send()
        .await
        .unwrap();
    let id = c.connection_id().unwrap().to_string();
    let arn = format!("arn:aws:directconnect:us-east-1:{OWNER}:dxcon/{id}");
    (id, arn)
}

async fn tags_of(dx: &aws_sdk_directconnect::Client, arn: &str) -> Vec<(String, String)> {
    let out = dx.describe_tags().resource_arns(arn).send().await.unwrap();
    assert_eq!(out.resource_tags().len(), 1);
    assert_eq!(out.resource_tags()[0].resource_arn(), Some(arn));
    let mut t: Vec<_> = out.resource_tags()[0]
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn tag_untag_describe() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let (id, arn) = connection(&dx).await;
    assert_eq!(tags_of(&dx, &arn).await, [("env".into(), "test".into())]);
    dx.tag_resource()
        .resource_arn(&arn)
        .tags(tag("env", "prod"))
        .tags(tag("team", "net"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags_of(&dx, &arn).await,
        [("env".into(), "prod".into()), ("team".into(), "net".into())]
    );
    dx.untag_resource()
        .resource_arn(&arn)
        .tag_keys("env")
        .tag_keys("absent")
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(&dx, &arn).await, [("team".into(), "net".into())]);
    // The connection itself reports the same tags.
    let c = dx
        .describe_connections()
        .connection_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(c.connections()[0].tags().len(), 1);
    // An ARN with an empty account (Terraform's skip_requesting_account_id) resolves too.
    let lenient = format!("arn:aws:directconnect:us-east-1::dxcon/{id}");
    assert_eq!(tags_of(&dx, &lenient).await.len(), 1);
    // An untagged resource still gets its entry.
    let bare = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("bare")
        .send()
        .await
        .unwrap();
    let bare_arn = format!(
        "arn:aws:directconnect:us-east-1:{OWNER}:dxcon/{}",
        bare.connection_id().unwrap()
    );
    assert!(tags_of(&dx, &bare_arn).await.is_empty());
}

#[tokio::test]
async fn tag_limits_and_reserved_keys() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let (_, arn) = connection(&dx).await;
    let (code, _) = error_of(
        dx.tag_resource()
            .resource_arn(&arn)
            .tags(tag("a", "1"))
            .tags(tag("a", "2"))
            .send()
            .await,
    );
    assert_eq!(code, "DuplicateTagKeysException");
    let (code, msg) = error_of(
        dx.tag_resource()
            .resource_arn(&arn)
            .tags(tag("aws:owner", "x"))
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    assert!(msg.contains("aws:"), "{msg}");
    let mut req = dx.tag_resource().resource_arn(&arn);
    for i in 0..49 {
        req = req.tags(tag(&format!("k{i}"), "v"));
    }
    req.send().await.unwrap();
    assert_eq!(tags_of(&dx, &arn).await.len(), 50);
    let (code, _) = error_of(
        dx.tag_resource()
            .resource_arn(&arn)
            .tags(tag("one-more", "v"))
            .send()
            .await,
    );
    assert_eq!(code, "TooManyTagsException");
    // Overwriting an existing key does not count as a new tag.
    dx.tag_resource()
        .resource_arn(&arn)
        .tags(tag("k0", "changed"))
        .send()
        .await
        .unwrap();
    let (code, msg) = error_of(
        dx.tag_resource()
            .resource_arn(&arn)
            .tags(tag("bad<key", "v"))
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    assert!(msg.contains("tags.1.member.key"), "{msg}");
    let mut create = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("many");
    for i in 0..51 {
        create = create.tags(tag(&format!("k{i}"), "v"));
    }
    let (code, _) = error_of(create.send().await);
    assert_eq!(code, "TooManyTagsException");
}

#[tokio::test]
async fn other_accounts_cannot_see_or_change_tags() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let (_, arn) = connection(&dx).await;
    let other = srv.client(OTHER, "us-east-1");
    let (code, _) = error_of(other.describe_tags().resource_arns(&arn).send().await);
    assert_eq!(code, "DirectConnectClientException");
    let (code, _) = error_of(
        other
            .tag_resource()
            .resource_arn(&arn)
            .tags(tag("x", "y"))
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    let (code, _) = error_of(
        other
            .untag_resource()
            .resource_arn(&arn)
            .tag_keys("env")
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    assert_eq!(tags_of(&dx, &arn).await, [("env".into(), "test".into())]);
    let (_, msg) = error_of(
        dx.describe_tags()
            .resource_arns("arn:aws:s3:::bucket")
            .send()
            .await,
    );
    assert!(
        msg.contains("not a valid Direct Connect resource ARN"),
        "{msg}"
    );
}
