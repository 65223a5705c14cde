use crate::common::*;
use aws_sdk_directconnect::types::ConnectionState;

#[tokio::test]
async fn create_returns_requested_and_describe_sees_every_field() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let created = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("10Gbps")
        .connection_name("primary")
        .provider_name("Equinix, Inc.")
        .request_mac_sec(true)
        .send()
        .await
        .unwrap();
    let id = created.connection_id().unwrap().to_string();
    assert!(
        regex::Regex::new(r"^dxcon-[a-z0-9]{8}$")
            .unwrap()
            .is_match(&id),
        "{id}"
    );
    assert_eq!(
        created.connection_state(),
        Some(&ConnectionState::Requested)
    );

    let out = dx
        .describe_connections()
        .connection_id(&id)
        .send()
        .await
        .unwrap();
    let c = &out.connections()[0];
    assert_eq!(c.owner_account(), Some(OWNER));
    assert_eq!(c.connection_id(), Some(id.as_str()));
    assert_eq!(c.connection_name(), Some("primary"));
    assert_eq!(c.connection_state(), Some(&ConnectionState::Available));
    assert_eq!(c.region(), Some("us-east-1"));
    assert_eq!(c.location(), Some("EqDC2"));
    assert_eq!(c.bandwidth(), Some("10Gbps"));
    assert_eq!(c.provider_name(), Some("Equinix, Inc."));
    assert_eq!(
        c.has_logical_redundancy().map(|h| h.as_str()),
        Some("unknown")
    );
    assert_eq!(c.jumbo_frame_capable(), Some(true));
    assert_eq!(c.mac_sec_capable(), Some(true));
    assert_eq!(c.encryption_mode(), Some("no_encrypt"));
    assert_eq!(c.port_encryption_status(), Some("Encryption Down"));
    assert!(c.aws_device_v2().unwrap().starts_with("EqDC2-"));
    // Physical device, V2 name and logical device are three names.
    assert!(c.aws_device().unwrap().starts_with("EqDC2-"));
    assert!(c.aws_logical_device_id().unwrap().starts_with("EqDC2-"));
    assert_ne!(c.aws_device(), c.aws_device_v2());
    assert_ne!(c.aws_logical_device_id(), c.aws_device_v2());
    assert!(c.loa_issue_time().is_none(), "no LOA was asked for yet");
    assert_eq!(c.vlan(), 0, "a dedicated connection has no VLAN");
    assert!(c.partner_name().is_none() && c.lag_id().is_none());
}

#[tokio::test]
async fn unknown_and_foreign_ids_are_not_found() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let id = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("mine")
        .send()
        .await
        .unwrap()
        .connection_id()
        .unwrap()
        .to_string();
    let (code, msg) = error_of(
        dx.describe_connections()
            .connection_id("dxcon-fzzzzzzz")
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    assert_eq!(msg, "Could not find Connection with ID dxcon-fzzzzzzz");

    for other in [
        srv.client(OTHER, "us-east-1"),
        srv.client(OWNER, "eu-west-1"),
    ] {
        let (code, msg) = error_of(other.describe_connections().connection_id(&id).send().await);
        assert_eq!(code, "DirectConnectClientException");
        assert!(msg.contains("Could not find Connection with ID"), "{msg}");
        assert!(
            other
                .describe_connections()
                .send()
                .await
                .unwrap()
                .connections()
                .is_empty()
        );
        let (_, msg) = error_of(other.delete_connection().connection_id(&id).send().await);
        assert!(msg.contains("Could not find Connection with ID"), "{msg}");
        let (_, msg) = error_of(
            other
                .update_connection()
                .connection_id(&id)
                .connection_name("x")
                .send()
                .await,
        );
        assert!(msg.contains("Could not find Connection with ID"), "{msg}");
    }
    // Still there, untouched, for its owner.
    let c = dx
        .describe_connections()
        .connection_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(c.connections()[0].connection_name(), Some("mine"));
}

#[tokio::test]
async fn create_validates_bandwidth_location_and_macsec() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let cases = [
        (
            "EqDC2",
            "3Gbps",
            false,
            "not a valid dedicated connection bandwidth",
        ),
        (
            "NOPE1",
            "1Gbps",
            false,
            "not a valid Direct Connect location",
        ),
        ("CS32A", "400Gbps", false, "not available at location CS32A"),
        ("EqDC2", "1Gbps", true, "MACsec"),
    ];
    for (location, bandwidth, macsec, expected) in cases {
        let (code, msg) = error_of(
            dx.create_connection()
                .location(location)
                .bandwidth(bandwidth)
                .connection_name("x")
                .request_mac_sec(macsec)
                .send()
                .await,
        );
        assert_eq!(
            code, "DirectConnectClientException",
            "{location} {bandwidth}"
        );
        assert!(msg.contains(expected), "{location} {bandwidth}: {msg}");
    }
    // eu-west-1 has its own catalog: EqDC2 is not in it.
    let eu = srv.client(OWNER, "eu-west-1");
    let (_, msg) = error_of(
        eu.create_connection()
            .location("EqDC2")
            .bandwidth("1Gbps")
            .connection_name("x")
            .send()
            .await,
    );
    assert!(
        msg.contains("not a valid Direct Connect location in eu-west-1"),
        "{msg}"
    );
    let west = srv.client(OWNER, "us-west-2");
    let (_, msg) = error_of(
        west.create_connection()
            .location("T5ALA")
            .bandwidth("10Gbps")
            .connection_name("x")
            .request_mac_sec(true)
            .send()
            .await,
    );
    assert!(
        msg.contains("MACsec"),
        "a location without MACsec ports: {msg}"
    );
    assert!(
        eu.create_connection()
            .location("EQLD5")
            .bandwidth("1Gbps")
            .connection_name("x")
            .send()
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn per_location_quota() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    for i in 0..10 {
        dx.create_connection()
            .location("CSVA1")
            .bandwidth("1Gbps")
            .connection_name(format!("c{i}"))
            .send()
            .await
            .unwrap();
    }
    let (code, msg) = error_of(
        dx.create_connection()
            .location("CSVA1")
            .bandwidth("1Gbps")
            .connection_name("c10")
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    assert!(msg.contains("limit"), "{msg}");
    // Another location and another account are not affected.
    dx.create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("other")
        .send()
        .await
        .unwrap();
    srv.client(OTHER, "us-east-1")
        .create_connection()
        .location("CSVA1")
        .bandwidth("1Gbps")
        .connection_name("c")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn pagination_walks_every_connection_once() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let mut ids = Vec::new();
    for (i, loc) in ["EqDC2", "CSVA1", "165HS"]
        .iter()
        .cycle()
        .take(7)
        .enumerate()
    {
        let c = dx
            .create_connection()
            .location(*loc)
            .bandwidth("1Gbps")
            .connection_name(format!("p{i}"))
            .send()
            .await
            .unwrap();
        ids.push(c.connection_id().unwrap().to_string());
    }
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = dx
            .describe_connections()
            .max_results(3)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        pages += 1;
        assert!(page.connections().len() <= 3);
        seen.extend(
            page.connections()
                .iter()
                .map(|c| c.connection_id().unwrap().to_string()),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ids);
    let all = dx.describe_connections().send().await.unwrap();
    assert_eq!(all.connections().len(), 7);
    assert!(all.next_token().is_none());
    let (_, msg) = error_of(
        dx.describe_connections()
            .next_token("garbage!")
            .send()
            .await,
    );
    assert!(msg.contains("nextToken"), "{msg}");
    let (_, msg) = error_of(dx.describe_connections().max_results(0).send().await);
    assert!(msg.contains("maxResults"), "{msg}");
}

#[tokio::test]
async fn update_and_delete() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let plain = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("1Gbps")
        .connection_name("a")
        .send()
        .await
        .unwrap();
    let plain_id = plain.connection_id().unwrap();
    let renamed = dx
        .update_connection()
        .connection_id(plain_id)
        .connection_name("b")
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.connection_name(), Some("b"));
    let (_, msg) = error_of(
        dx.update_connection()
            .connection_id(plain_id)
            .encryption_mode("must_encrypt")
            .send()
            .await,
    );
    assert!(msg.contains("MACsec"), "{msg}");

    let sec = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("100Gbps")
        .connection_name("s")
        .request_mac_sec(true)
        .send()
        .await
        .unwrap();
    let sec_id = sec.connection_id().unwrap();
    let up = dx
        .update_connection()
        .connection_id(sec_id)
        .encryption_mode("must_encrypt")
        .send()
        .await
        .unwrap();
    assert_eq!(up.encryption_mode(), Some("must_encrypt"));
    let (_, msg) = error_of(
        dx.update_connection()
            .connection_id(sec_id)
            .encryption_mode("always")
            .send()
            .await,
    );
    assert!(msg.contains("encryptionMode"), "{msg}");

    let deleted = dx
        .delete_connection()
        .connection_id(plain_id)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.connection_state(), Some(&ConnectionState::Deleted));
    // By id it is still visible as deleted; the listing leaves it out.
    let by_id = dx
        .describe_connections()
        .connection_id(plain_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_id.connections()[0].connection_state(),
        Some(&ConnectionState::Deleted)
    );
    // AWS keeps listing a deleted connection, as `deleted`, for a while.
    let all = dx.describe_connections().send().await.unwrap();
    let mut listed: Vec<_> = all
        .connections()
        .iter()
        .filter_map(|c| Some((c.connection_id()?, c.connection_state()?.as_str())))
        .collect();
    listed.sort();
    let mut want = vec![(plain_id, "deleted"), (sec_id, "available")];
    want.sort();
    assert_eq!(listed, want);
    // Deleting again is harmless.
    let again = dx
        .delete_connection()
        .connection_id(plain_id)
        .send()
        .await
        .unwrap();
    assert_eq!(again.connection_state(), Some(&ConnectionState::Deleted));
}

#[tokio::test]
#[allow(deprecated)] // DescribeConnectionLoa is deprecated in the model but still served
async fn loa_is_a_pdf_and_stamps_the_issue_time() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let c = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("10Gbps")
        .connection_name("loa")
        .send()
        .await
        .unwrap();
    let id = c.connection_id().unwrap();
    let loa = dx
        .describe_loa()
        .connection_id(id)
        .provider_name("Acme Networks")
        .send()
        .await
        .unwrap();
    assert_eq!(
        loa.loa_content_type().map(|t| t.as_str()),
        Some("application/pdf")
    );
    let pdf = loa.loa_content().unwrap().as_ref();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(pdf);
    for needle in [id, "EqDC2", OWNER, "Acme Networks"] {
        assert!(text.contains(needle), "LOA lacks {needle}");
    }
    let after = dx
        .describe_connections()
        .connection_id(id)
        .send()
        .await
        .unwrap();
    let issued = after.connections()[0]
        .loa_issue_time()
        .expect("loaIssueTime set");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((issued.secs() - now).abs() < 60);

    let wrapped = dx
        .describe_connection_loa()
        .connection_id(id)
        .send()
        .await
        .unwrap();
    assert!(
        wrapped
            .loa()
            .unwrap()
            .loa_content()
            .unwrap()
            .as_ref()
            .starts_with(b"%PDF-")
    );
    let (_, msg) = error_of(
        dx.describe_loa()
            .connection_id("dxcon-fzzzzzzz")
            .send()
            .await,
    );
    assert!(msg.contains("Could not find Connection with ID"), "{msg}");
}

#[tokio::test]
async fn locations_per_region() {
    let srv = TestServer::start().await;
    let us = srv.owner().describe_locations().send().await.unwrap();
    let eqdc2 = us
        .locations()
        .iter()
        .find(|l| l.location_code() == Some("EqDC2"))
        .expect("EqDC2");
    assert_eq!(eqdc2.region(), Some("us-east-1"));
    assert!(eqdc2.available_port_speeds().contains(&"400G".to_string()));
    assert!(
        eqdc2
            .available_mac_sec_port_speeds()
            .contains(&"10G".to_string())
    );
    let eu = srv
        .client(OWNER, "eu-west-1")
        .describe_locations()
        .send()
        .await
        .unwrap();
    assert!(
        eu.locations()
            .iter()
            .all(|l| l.region() == Some("eu-west-1"))
    );
    assert!(
        eu.locations()
            .iter()
            .any(|l| l.location_code() == Some("EQLD5"))
    );
    let none = srv
        .client(OWNER, "xx-nowhere-1")
        .describe_locations()
        .send()
        .await
        .unwrap();
    assert!(none.locations().is_empty());
}

#[tokio::test]
async fn customer_agreement_and_metadata() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let before = dx.describe_customer_metadata().send().await.unwrap();
    assert!(before.agreements().is_empty());
    let signed = dx
        .confirm_customer_agreement()
        .agreement_name("DX-Partner-Terms")
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), Some("signed"));
    let after = dx.describe_customer_metadata().send().await.unwrap();
    assert_eq!(after.agreements().len(), 1);
    assert_eq!(
        after.agreements()[0].agreement_name(),
        Some("DX-Partner-Terms")
    );
    assert_eq!(
        after.nni_partner_type().map(|t| t.as_str()),
        Some("nonPartner")
    );
    // Other accounts have signed nothing.
    let other = srv
        .client(OTHER, "us-east-1")
        .describe_customer_metadata()
        .send()
        .await
        .unwrap();
    assert!(other.agreements().is_empty());
}
