use crate::common::*;

const CKN: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const CAK: &str = "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdef0000";

#[tokio::test]
async fn associate_and_disassociate_keys() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let c = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("10Gbps")
        .connection_name("m")
        .request_mac_sec(true)
        .send()
        .await
        .unwrap();
    let id = c.connection_id().unwrap();
    let out = dx
        .associate_mac_sec_key()
        .connection_id(id)
        .ckn(CKN)
        .cak(CAK)
        .send()
        .await
        .unwrap();
    assert_eq!(out.connection_id(), Some(id));
    let key = out.mac_sec_keys().last().unwrap();
    let arn = key.secret_arn().unwrap().to_string();
    assert!(
        arn.starts_with("arn:aws:secretsmanager:us-east-1:111111111111:secret:"),
        "{arn}"
    );
    assert!(!arn.contains('_'), "Terraform splits its id on '_': {arn}");
    assert_eq!(key.ckn(), Some(CKN));
    assert_eq!(key.state(), Some("associated"));
    assert!(key.start_on().unwrap().ends_with('Z'));

    let c = dx
        .describe_connections()
        .connection_id(id)
        .send()
        .await
        .unwrap();
    let c = &c.connections()[0];
    assert_eq!(c.mac_sec_keys().len(), 1);
    assert_eq!(c.port_encryption_status(), Some("Encryption Up"));

    // The same secret again is refused; by ARN on a second connection it carries its CKN.
    let (code, _) = error_of(
        dx.associate_mac_sec_key()
            .connection_id(id)
            .secret_arn(&arn)
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    let c2 = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("10Gbps")
        .connection_name("m2")
        .request_mac_sec(true)
        .send()
        .await
        .unwrap();
    let reuse = dx
        .associate_mac_sec_key()
        .connection_id(c2.connection_id().unwrap())
        .secret_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(reuse.mac_sec_keys()[0].ckn(), Some(CKN));

    dx.update_connection()
        .connection_id(id)
        .encryption_mode("must_encrypt")
        .send()
        .await
        .unwrap();
    let gone = dx
        .disassociate_mac_sec_key()
        .connection_id(id)
        .secret_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.mac_sec_keys()[0].state(), Some("disassociated"));
    let c = dx
        .describe_connections()
        .connection_id(id)
        .send()
        .await
        .unwrap();
    let c = &c.connections()[0];
    assert!(c.mac_sec_keys().is_empty());
    assert_eq!(c.port_encryption_status(), Some("Encryption Down"));
    assert_eq!(c.encryption_mode(), Some("should_encrypt"));
    let (code, _) = error_of(
        dx.disassociate_mac_sec_key()
            .connection_id(id)
            .secret_arn(&arn)
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
}

#[tokio::test]
async fn macsec_input_rules() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let plain = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("10Gbps")
        .connection_name("p")
        .send()
        .await
        .unwrap();
    let (_, msg) = error_of(
        dx.associate_mac_sec_key()
            .connection_id(plain.connection_id().unwrap())
            .ckn(CKN)
            .cak(CAK)
            .send()
            .await,
    );
    assert!(msg.contains("does not support MAC Security"), "{msg}");
    let sec = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("10Gbps")
        .connection_name("s")
        .request_mac_sec(true)
        .send()
        .await
        .unwrap();
    let id = sec.connection_id().unwrap();
    let (_, msg) = error_of(
        dx.associate_mac_sec_key()
            .connection_id(id)
            .ckn(CKN)
            .send()
            .await,
    );
    assert!(msg.contains("secretARN"), "{msg}");
    let (_, msg) = error_of(
        dx.associate_mac_sec_key()
            .connection_id(id)
            .ckn("xyz")
            .cak(CAK)
            .send()
            .await,
    );
    assert!(msg.contains("64 hexadecimal"), "{msg}");
    let (_, msg) = error_of(
        dx.associate_mac_sec_key()
            .connection_id(id)
            .secret_arn("not-an-arn")
            .send()
            .await,
    );
    assert!(msg.contains("secretARN"), "{msg}");
    let other = srv.client(OTHER, "us-east-1");
    let (_, msg) = error_of(
        other
            .associate_mac_sec_key()
            .connection_id(id)
            .ckn(CKN)
            .cak(CAK)
            .send()
            .await,
    );
    assert!(msg.contains("Could not find Connection with ID"), "{msg}");
}
