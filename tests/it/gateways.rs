//! Direct Connect gateways, associations, proposals and attachments, through the SDK.

use crate::common::*;
use aws_sdk_directconnect::Client;
use aws_sdk_directconnect::types::{
    DirectConnectGatewayAssociationProposalState as ProposalState,
    DirectConnectGatewayAssociationState as AssocState, DirectConnectGatewayAttachmentState,
    DirectConnectGatewayAttachmentType, DirectConnectGatewayState, GatewayType,
    NewPrivateVirtualInterface, RouteFilterPrefix,
};
use dxemu::clock::Clock as _;
use serde_json::Value;

const VGW: &str = "vgw-aba37db6";
const VGW2: &str = "vgw-f9eb0c90";
const THIRD: &str = "333333333333";

/// A TGW id (`tgw-` and 17 hex digits) numbered `n`.
fn tgw(n: u32) -> String {
    format!("tgw-{n:017x}")
}

fn prefix(cidr: &str) -> RouteFilterPrefix {
    RouteFilterPrefix::builder().cidr(cidr).build()
}

fn cidrs(list: &[RouteFilterPrefix]) -> Vec<&str> {
    list.iter().filter_map(|p| p.cidr()).collect()
}

fn is_uuid(s: &str) -> bool {
    regex::Regex::new(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        .unwrap()
        .is_match(s)
}

async fn gateway(dx: &Client, name: &str) -> String {
    dx.create_direct_connect_gateway()
        .direct_connect_gateway_name(name)
        .send()
        .await
        .unwrap()
        .direct_connect_gateway()
        .unwrap()
        .direct_connect_gateway_id()
        .unwrap()
        .to_string()
}

async fn gateway_ids(dx: &Client) -> Vec<String> {
    dx.describe_direct_connect_gateways()
        .send()
        .await
        .unwrap()
        .direct_connect_gateways()
        .iter()
        .filter_map(|g| g.direct_connect_gateway_id().map(str::to_string))
        .collect()
}

async fn associate(dx: &Client, gw: &str, target: &str, prefixes: &[&str]) -> String {
    let mut req = dx
        .create_direct_connect_gateway_association()
        .direct_connect_gateway_id(gw)
        .gateway_id(target);
    for p in prefixes {
        req = req.add_allowed_prefixes_to_direct_connect_gateway(prefix(p));
    }
    req.send()
        .await
        .unwrap()
        .direct_connect_gateway_association()
        .unwrap()
        .association_id()
        .unwrap()
        .to_string()
}

async fn association_state(dx: &Client, id: &str) -> Option<AssocState> {
    dx.describe_direct_connect_gateway_associations()
        .association_id(id)
        .send()
        .await
        .unwrap()
        .direct_connect_gateway_associations()
        .first()
        .and_then(|a| a.association_state().cloned())
}

/// A raw JSON 1.1 call signed as `account` in us-east-1.
async fn raw(srv: &TestServer, account: &str, op: &str, body: &str) -> (u16, Value) {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={account}/20261129/us-east-1/directconnect/aws4_request, SignedHeaders=host, Signature=0"
    );
    let resp = reqwest::Client::new()
        .post(format!("{}/", srv.endpoint))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("OvertureService.{op}"))
        .header("authorization", auth)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn gateways_are_global_and_private_to_their_owner() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let created = dx
        .create_direct_connect_gateway()
        .direct_connect_gateway_name("core")
        .send()
        .await
        .unwrap();
    let gw = created.direct_connect_gateway().unwrap();
    let id = gw.direct_connect_gateway_id().unwrap().to_string();
    assert!(is_uuid(&id), "{id}");
    assert_eq!(gw.direct_connect_gateway_name(), Some("core"));
    assert_eq!(gw.amazon_side_asn(), Some(64512));
    assert_eq!(gw.owner_account(), Some(OWNER));
    assert_eq!(
        gw.direct_connect_gateway_state(),
        Some(&DirectConnectGatewayState::Pending)
    );

    // Global: the same account sees it, available, from any region.
    let west = srv.client(OWNER, "us-west-2");
    let got = west
        .describe_direct_connect_gateways()
        .direct_connect_gateway_id(&id)
        .send()
        .await
        .unwrap();
    let g = &got.direct_connect_gateways()[0];
    assert_eq!(
        g.direct_connect_gateway_state(),
        Some(&DirectConnectGatewayState::Available)
    );
    assert_eq!(g.direct_connect_gateway_name(), Some("core"));
    assert_eq!(
        gateway_ids(&srv.client(OWNER, "eu-west-1")).await,
        [id.as_str()]
    );

    // Another account sees nothing, by id or listing, and cannot touch it.
    let other = srv.client(OTHER, "us-east-1");
    let by_id = other
        .describe_direct_connect_gateways()
        .direct_connect_gateway_id(&id)
        .send()
        .await
        .unwrap();
    assert!(by_id.direct_connect_gateways().is_empty());
    assert!(gateway_ids(&other).await.is_empty());
    let (code, msg) = error_of(
        other
            .update_direct_connect_gateway()
            .direct_connect_gateway_id(&id)
            .new_direct_connect_gateway_name("stolen")
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    assert_eq!(msg, format!("Direct Connect Gateway {id} does not exist"));
    let (_, msg) = error_of(
        other
            .delete_direct_connect_gateway()
            .direct_connect_gateway_id(&id)
            .send()
            .await,
    );
    assert!(msg.contains("does not exist"), "{msg}");
}

#[tokio::test]
async fn amazon_side_asn_is_checked() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    for asn in [1_i64, 64511, 65535, 4_199_999_999, 4_294_967_295] {
        let (code, msg) = error_of(
            dx.create_direct_connect_gateway()
                .direct_connect_gateway_name("bad")
                .amazon_side_asn(asn)
                .send()
                .await,
        );
        assert_eq!(code, "DirectConnectClientException");
        assert!(msg.contains(&asn.to_string()), "{msg}");
    }
    for asn in [64512_i64, 65534, 4_200_000_000, 4_294_967_294, 7224] {
        let gw = dx
            .create_direct_connect_gateway()
            .direct_connect_gateway_name("ok")
            .amazon_side_asn(asn)
            .send()
            .await
            .unwrap();
        assert_eq!(
            gw.direct_connect_gateway().unwrap().amazon_side_asn(),
            Some(asn)
        );
    }
    assert_eq!(gateway_ids(&dx).await.len(), 5);
}

#[tokio::test]
async fn rename_and_delete_a_gateway() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let id = gateway(&dx, "before").await;
    let keep = gateway(&dx, "keep").await;
    let renamed = dx
        .update_direct_connect_gateway()
        .direct_connect_gateway_id(&id)
        .new_direct_connect_gateway_name("after")
        .send()
        .await
        .unwrap();
    let g = renamed.direct_connect_gateway().unwrap();
    assert_eq!(g.direct_connect_gateway_name(), Some("after"));
    assert_eq!(g.amazon_side_asn(), Some(64512));

    let deleted = dx
        .delete_direct_connect_gateway()
        .direct_connect_gateway_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted
            .direct_connect_gateway()
            .unwrap()
            .direct_connect_gateway_state(),
        Some(&DirectConnectGatewayState::Deleting)
    );
    // Deleted gateways are neither listed nor found by id.
    assert_eq!(gateway_ids(&dx).await, [keep]);
    let by_id = dx
        .describe_direct_connect_gateways()
        .direct_connect_gateway_id(&id)
        .send()
        .await
        .unwrap();
    assert!(by_id.direct_connect_gateways().is_empty());
    let (_, msg) = error_of(
        dx.delete_direct_connect_gateway()
            .direct_connect_gateway_id(&id)
            .send()
            .await,
    );
    assert_eq!(msg, format!("Direct Connect Gateway {id} does not exist"));
    let (_, msg) = error_of(
        dx.update_direct_connect_gateway()
            .direct_connect_gateway_id(&id)
            .new_direct_connect_gateway_name("again")
            .send()
            .await,
    );
    assert!(msg.contains("does not exist"), "{msg}");
}

#[tokio::test]
async fn vgw_association_lifecycle() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let gw = gateway(&dx, "vgws").await;
    let created = dx
        .create_direct_connect_gateway_association()
        .direct_connect_gateway_id(&gw)
        .gateway_id(VGW)
        .add_allowed_prefixes_to_direct_connect_gateway(prefix("10.0.0.0/16"))
        .send()
        .await
        .unwrap();
    let a = created.direct_connect_gateway_association().unwrap();
    let id = a.association_id().unwrap().to_string();
    assert!(is_uuid(&id), "{id}");
    assert_eq!(a.association_state(), Some(&AssocState::Associating));
    assert_eq!(a.direct_connect_gateway_id(), Some(gw.as_str()));
    assert_eq!(a.direct_connect_gateway_owner_account(), Some(OWNER));
    let ag = a.associated_gateway().unwrap();
    assert_eq!(ag.id(), Some(VGW));
    assert_eq!(ag.r#type(), Some(&GatewayType::VirtualPrivateGateway));
    assert_eq!(ag.owner_account(), Some(OWNER));
    assert_eq!(ag.region(), Some("us-east-1"));
    assert_eq!(a.virtual_gateway_id(), Some(VGW));
    assert_eq!(a.virtual_gateway_region(), Some("us-east-1"));
    assert_eq!(a.virtual_gateway_owner_account(), Some(OWNER));
    assert_eq!(
        cidrs(a.allowed_prefixes_to_direct_connect_gateway()),
        ["10.0.0.0/16"]
    );

    // Next call: associated, and found by every filter.
    assert_eq!(
        association_state(&dx, &id).await,
        Some(AssocState::Associated)
    );
    let by = |r: aws_sdk_directconnect::operation::describe_direct_connect_gateway_associations::builders::DescribeDirectConnectGatewayAssociationsFluentBuilder| async move {
        r.send()
            .await
            .unwrap()
            .direct_connect_gateway_associations()
            .iter()
            .filter_map(|a| a.association_id().map(str::to_string))
            .collect::<Vec<_>>()
    };
    let q = || dx.describe_direct_connect_gateway_associations();
    assert_eq!(by(q().direct_connect_gateway_id(&gw)).await, [id.as_str()]);
    assert_eq!(
        by(q()
            .direct_connect_gateway_id(&gw)
            .associated_gateway_id(VGW))
        .await,
        [id.as_str()]
    );
    assert_eq!(
        by(q().direct_connect_gateway_id(&gw).virtual_gateway_id(VGW)).await,
        [id.as_str()]
    );
    assert_eq!(by(q().associated_gateway_id(VGW)).await, [id.as_str()]);
    assert_eq!(by(q().virtual_gateway_id(VGW)).await, [id.as_str()]);
    assert!(
        by(q()
            .direct_connect_gateway_id(&gw)
            .associated_gateway_id(VGW2))
        .await
        .is_empty()
    );
    // The other account owns neither side.
    let other = srv.client(OTHER, "us-east-1");
    let none = other
        .describe_direct_connect_gateway_associations()
        .association_id(&id)
        .send()
        .await
        .unwrap();
    assert!(none.direct_connect_gateway_associations().is_empty());

    // The VGW is now one DescribeVirtualGateways lists, in its region only.
    let vgws = dx.describe_virtual_gateways().send().await.unwrap();
    assert!(
        vgws.virtual_gateways()
            .iter()
            .any(|v| v.virtual_gateway_id() == Some(VGW)),
        "{vgws:?}"
    );
    let west = srv.client(OWNER, "us-west-2");
    assert!(
        west.describe_virtual_gateways()
            .send()
            .await
            .unwrap()
            .virtual_gateways()
            .is_empty()
    );

    // A VGW joins one gateway, once.
    let (_, msg) = error_of(
        dx.create_direct_connect_gateway_association()
            .direct_connect_gateway_id(&gw)
            .virtual_gateway_id(VGW)
            .send()
            .await,
    );
    assert!(msg.contains("already associated"), "{msg}");
    let gw2 = gateway(&dx, "second").await;
    let (_, msg) = error_of(
        dx.create_direct_connect_gateway_association()
            .direct_connect_gateway_id(&gw2)
            .gateway_id(VGW)
            .send()
            .await,
    );
    assert!(msg.contains("only one Direct Connect gateway"), "{msg}");

    // Prefix update: updating, then associated with the new list.
    let updated = dx
        .update_direct_connect_gateway_association()
        .association_id(&id)
        .add_allowed_prefixes_to_direct_connect_gateway(prefix("10.1.0.0/16"))
        .remove_allowed_prefixes_to_direct_connect_gateway(prefix("10.0.0.0/16"))
        .send()
        .await
        .unwrap();
    let u = updated.direct_connect_gateway_association().unwrap();
    assert_eq!(u.association_state(), Some(&AssocState::Updating));
    assert_eq!(
        cidrs(u.allowed_prefixes_to_direct_connect_gateway()),
        ["10.1.0.0/16"]
    );
    assert_eq!(
        association_state(&dx, &id).await,
        Some(AssocState::Associated)
    );
    let (_, msg) = error_of(
        dx.update_direct_connect_gateway_association()
            .association_id(&id)
            .add_allowed_prefixes_to_direct_connect_gateway(prefix("10.2.0.0/33"))
            .send()
            .await,
    );
    assert!(msg.contains("10.2.0.0/33"), "{msg}");

    // The gateway cannot go while associated.
    let (code, msg) = error_of(
        dx.delete_direct_connect_gateway()
            .direct_connect_gateway_id(&gw)
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    assert!(msg.contains("has associations"), "{msg}");

    // Delete: disassociating, then disassociated (by id) and gone from listings.
    let gone = dx
        .delete_direct_connect_gateway_association()
        .association_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        gone.direct_connect_gateway_association()
            .unwrap()
            .association_state(),
        Some(&AssocState::Disassociating)
    );
    assert_eq!(
        association_state(&dx, &id).await,
        Some(AssocState::Disassociated)
    );
    assert!(by(q().direct_connect_gateway_id(&gw)).await.is_empty());
    let (_, msg) = error_of(
        dx.delete_direct_connect_gateway_association()
            .association_id(&id)
            .send()
            .await,
    );
    assert!(msg.contains("does not exist"), "{msg}");
    dx.delete_direct_connect_gateway()
        .direct_connect_gateway_id(&gw)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn delete_association_by_gateway_and_vgw() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let gw = gateway(&dx, "pair").await;
    let id = associate(&dx, &gw, VGW2, &[]).await;
    let (_, msg) = error_of(
        dx.delete_direct_connect_gateway_association()
            .direct_connect_gateway_id(&gw)
            .virtual_gateway_id(VGW)
            .send()
            .await,
    );
    assert!(msg.contains("does not exist"), "{msg}");
    let out = dx
        .delete_direct_connect_gateway_association()
        .direct_connect_gateway_id(&gw)
        .virtual_gateway_id(VGW2)
        .send()
        .await
        .unwrap();
    let a = out.direct_connect_gateway_association().unwrap();
    assert_eq!(a.association_id(), Some(id.as_str()));
    assert_eq!(a.association_state(), Some(&AssocState::Disassociating));
    // Gone: the VGW may join another gateway now.
    let gw2 = gateway(&dx, "next").await;
    associate(&dx, &gw2, VGW2, &[]).await;
}

#[tokio::test]
async fn tgw_association_rules() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let gw = gateway(&dx, "tgws").await;
    let created = dx
        .create_direct_connect_gateway_association()
        .direct_connect_gateway_id(&gw)
        .gateway_id(tgw(1))
        .add_allowed_prefixes_to_direct_connect_gateway(prefix("10.10.0.0/16"))
        .send()
        .await
        .unwrap();
    let a = created.direct_connect_gateway_association().unwrap();
    assert_eq!(
        a.associated_gateway().unwrap().r#type(),
        Some(&GatewayType::TransitGateway)
    );
    assert_eq!(
        a.virtual_gateway_id(),
        None,
        "TGWs carry no legacy VGW fields"
    );

    // No VGWs beside TGWs on one gateway.
    let (code, msg) = error_of(
        dx.create_direct_connect_gateway_association()
            .direct_connect_gateway_id(&gw)
            .gateway_id(VGW)
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    assert!(msg.contains("cannot also be associated"), "{msg}");

    // Allowed prefixes may not overlap another TGW's on the gateway.
    let (_, msg) = error_of(
        dx.create_direct_connect_gateway_association()
            .direct_connect_gateway_id(&gw)
            .gateway_id(tgw(2))
            .add_allowed_prefixes_to_direct_connect_gateway(prefix("10.10.5.0/24"))
            .send()
            .await,
    );
    assert!(msg.contains("overlaps"), "{msg}");

    // At most 200 prefixes per TGW association.
    let mut req = dx
        .create_direct_connect_gateway_association()
        .direct_connect_gateway_id(&gw)
        .gateway_id(tgw(2));
    for i in 0..201 {
        req =
            req.add_allowed_prefixes_to_direct_connect_gateway(prefix(&format!("172.16.{i}.0/24")));
    }
    let (_, msg) = error_of(req.send().await);
    assert!(msg.contains("200"), "{msg}");

    // Six TGWs per gateway.
    for n in 2..=6 {
        associate(&dx, &gw, &tgw(n), &[&format!("10.{}.0.0/16", 20 + n)]).await;
    }
    let (_, msg) = error_of(
        dx.create_direct_connect_gateway_association()
            .direct_connect_gateway_id(&gw)
            .gateway_id(tgw(7))
            .send()
            .await,
    );
    assert!(msg.contains("maximum"), "{msg}");

    // Malformed VGW/TGW ids.
    for bad in ["igw-0123", "tgw-123", "vgw-XYZ"] {
        let (_, msg) = error_of(
            dx.create_direct_connect_gateway_association()
                .direct_connect_gateway_id(&gw)
                .gateway_id(bad)
                .send()
                .await,
        );
        assert_eq!(msg, format!("GatewayID {bad} has an invalid format."));
    }
}

#[tokio::test]
async fn association_listing_pages() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let gw = gateway(&dx, "paged").await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(associate(&dx, &gw, &tgw(n), &[]).await);
    }
    let first = dx
        .describe_direct_connect_gateway_associations()
        .direct_connect_gateway_id(&gw)
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.direct_connect_gateway_associations().len(), 2);
    let token = first.next_token().unwrap().to_string();
    let second = dx
        .describe_direct_connect_gateway_associations()
        .direct_connect_gateway_id(&gw)
        .max_results(2)
        .next_token(token)
        .send()
        .await
        .unwrap();
    assert_eq!(second.next_token(), None);
    let seen: Vec<_> = first
        .direct_connect_gateway_associations()
        .iter()
        .chain(second.direct_connect_gateway_associations())
        .filter_map(|a| a.association_id().map(str::to_string))
        .collect();
    assert_eq!(seen, ids);

    // Gateways page too.
    gateway(&dx, "b").await;
    gateway(&dx, "c").await;
    let page = dx
        .describe_direct_connect_gateways()
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.direct_connect_gateways().len(), 2);
    let rest = dx
        .describe_direct_connect_gateways()
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.direct_connect_gateways().len(), 1);
    assert_eq!(rest.next_token(), None);
    let (_, msg) = error_of(
        dx.describe_direct_connect_gateway_associations()
            .direct_connect_gateway_id(&gw)
            .next_token("not-a-token")
            .send()
            .await,
    );
    assert!(msg.contains("nextToken"), "{msg}");
}

#[tokio::test]
async fn cross_account_proposal_flow() {
    let srv = TestServer::start().await;
    let owner = srv.owner();
    let other = srv.client(OTHER, "us-east-1");
    let gw = gateway(&owner, "shared").await;
    let tg = tgw(0xabc);

    // The gateway owner account must be the real one.
    let (_, msg) = error_of(
        other
            .create_direct_connect_gateway_association_proposal()
            .direct_connect_gateway_id(&gw)
            .direct_connect_gateway_owner_account(THIRD)
            .gateway_id(&tg)
            .send()
            .await,
    );
    assert!(msg.contains("does not exist"), "{msg}");

    let proposed = other
        .create_direct_connect_gateway_association_proposal()
        .direct_connect_gateway_id(&gw)
        .direct_connect_gateway_owner_account(OWNER)
        .gateway_id(&tg)
        .add_allowed_prefixes_to_direct_connect_gateway(prefix("192.168.0.0/24"))
        .send()
        .await
        .unwrap();
    let p = proposed
        .direct_connect_gateway_association_proposal()
        .unwrap();
    let pid = p.proposal_id().unwrap().to_string();
    assert!(is_uuid(&pid), "{pid}");
    assert_eq!(p.proposal_state(), Some(&ProposalState::Requested));
    assert_eq!(p.direct_connect_gateway_owner_account(), Some(OWNER));
    let ag = p.associated_gateway().unwrap();
    assert_eq!(ag.id(), Some(tg.as_str()));
    assert_eq!(ag.owner_account(), Some(OTHER));
    assert_eq!(ag.r#type(), Some(&GatewayType::TransitGateway));
    assert_eq!(
        cidrs(p.requested_allowed_prefixes_to_direct_connect_gateway()),
        ["192.168.0.0/24"]
    );
    // AWS leaves the list out when there is no existing association.
    assert!(
        p.existing_allowed_prefixes_to_direct_connect_gateway()
            .is_empty()
    );

    // Both sides see it; a third account does not.
    for (who, expected) in [
        (&owner, 1),
        (&other, 1),
        (&srv.client(THIRD, "us-east-1"), 0),
    ] {
        let by_gw = who
            .describe_direct_connect_gateway_association_proposals()
            .direct_connect_gateway_id(&gw)
            .send()
            .await
            .unwrap();
        assert_eq!(
            by_gw.direct_connect_gateway_association_proposals().len(),
            expected
        );
        let by_id = who
            .describe_direct_connect_gateway_association_proposals()
            .proposal_id(&pid)
            .send()
            .await
            .unwrap();
        assert_eq!(
            by_id.direct_connect_gateway_association_proposals().len(),
            expected
        );
    }
    let by_tgw = owner
        .describe_direct_connect_gateway_association_proposals()
        .associated_gateway_id(&tg)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_tgw.direct_connect_gateway_association_proposals()[0].proposal_id(),
        Some(pid.as_str())
    );

    // Only the gateway owner accepts, naming the proposer.
    let accept = |c: &Client, acct: &str| {
        c.accept_direct_connect_gateway_association_proposal()
            .direct_connect_gateway_id(&gw)
            .proposal_id(&pid)
            .associated_gateway_owner_account(acct)
    };
    let (_, msg) = error_of(accept(&other, OTHER).send().await);
    assert!(msg.contains("does not exist"), "{msg}");
    let (_, msg) = error_of(accept(&owner, THIRD).send().await);
    assert!(msg.contains(THIRD), "{msg}");
    let accepted = accept(&owner, OTHER).send().await.unwrap();
    let a = accepted.direct_connect_gateway_association().unwrap();
    let aid = a.association_id().unwrap().to_string();
    assert_eq!(a.association_state(), Some(&AssocState::Associating));
    assert_eq!(a.direct_connect_gateway_owner_account(), Some(OWNER));
    assert_eq!(a.associated_gateway().unwrap().owner_account(), Some(OTHER));
    assert_eq!(
        cidrs(a.allowed_prefixes_to_direct_connect_gateway()),
        ["192.168.0.0/24"]
    );

    // Accepting twice: AWS's text, double space included.
    let (code, msg) = error_of(accept(&owner, OTHER).send().await);
    assert_eq!(code, "DirectConnectClientException");
    assert_eq!(
        msg,
        "Direct Connect Gateway Association Proposal  has been accepted!"
    );
    let state = other
        .describe_direct_connect_gateway_association_proposals()
        .proposal_id(&pid)
        .send()
        .await
        .unwrap();
    assert_eq!(
        state.direct_connect_gateway_association_proposals()[0].proposal_state(),
        Some(&ProposalState::Accepted)
    );

    // The association is visible to both accounts.
    assert_eq!(
        association_state(&owner, &aid).await,
        Some(AssocState::Associated)
    );
    assert_eq!(
        association_state(&other, &aid).await,
        Some(AssocState::Associated)
    );
    let theirs = other
        .describe_direct_connect_gateway_associations()
        .associated_gateway_id(&tg)
        .send()
        .await
        .unwrap();
    assert_eq!(
        theirs.direct_connect_gateway_associations()[0].association_id(),
        Some(aid.as_str())
    );
    assert!(
        srv.client(THIRD, "us-east-1")
            .describe_direct_connect_gateway_associations()
            .association_id(&aid)
            .send()
            .await
            .unwrap()
            .direct_connect_gateway_associations()
            .is_empty()
    );

    // A second proposal for the same TGW changes the prefixes when accepted.
    let change = other
        .create_direct_connect_gateway_association_proposal()
        .direct_connect_gateway_id(&gw)
        .direct_connect_gateway_owner_account(OWNER)
        .gateway_id(&tg)
        .add_allowed_prefixes_to_direct_connect_gateway(prefix("192.168.1.0/24"))
        .send()
        .await
        .unwrap();
    let c = change
        .direct_connect_gateway_association_proposal()
        .unwrap();
    assert_eq!(
        cidrs(c.existing_allowed_prefixes_to_direct_connect_gateway()),
        ["192.168.0.0/24"]
    );
    assert_eq!(
        cidrs(c.requested_allowed_prefixes_to_direct_connect_gateway()),
        ["192.168.0.0/24", "192.168.1.0/24"]
    );
    let updated = owner
        .accept_direct_connect_gateway_association_proposal()
        .direct_connect_gateway_id(&gw)
        .proposal_id(c.proposal_id().unwrap())
        .associated_gateway_owner_account(OTHER)
        .send()
        .await
        .unwrap();
    let u = updated.direct_connect_gateway_association().unwrap();
    assert_eq!(u.association_id(), Some(aid.as_str()));
    assert_eq!(u.association_state(), Some(&AssocState::Updating));

    // An accepted proposal can no longer be deleted; the text says "is not found".
    let (_, msg) = error_of(
        other
            .delete_direct_connect_gateway_association_proposal()
            .proposal_id(&pid)
            .send()
            .await,
    );
    assert!(msg.contains("is not found"), "{msg}");
}

#[tokio::test]
async fn vgw_proposal_delete_and_region() {
    let srv = TestServer::start().await;
    let owner = srv.owner();
    let other = srv.client(OTHER, "us-east-1");
    let gw = gateway(&owner, "vgw-share").await;
    let propose = || {
        other
            .create_direct_connect_gateway_association_proposal()
            .direct_connect_gateway_id(&gw)
            .direct_connect_gateway_owner_account(OWNER)
            .gateway_id(VGW)
    };
    let pid = propose()
        .send()
        .await
        .unwrap()
        .direct_connect_gateway_association_proposal()
        .unwrap()
        .proposal_id()
        .unwrap()
        .to_string();
    // The proposer's VGW is one it has used.
    assert!(
        other
            .describe_virtual_gateways()
            .send()
            .await
            .unwrap()
            .virtual_gateways()
            .iter()
            .any(|v| v.virtual_gateway_id() == Some(VGW))
    );

    let deleted = other
        .delete_direct_connect_gateway_association_proposal()
        .proposal_id(&pid)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted
            .direct_connect_gateway_association_proposal()
            .unwrap()
            .proposal_state(),
        Some(&ProposalState::Deleted)
    );
    let seen = owner
        .describe_direct_connect_gateway_association_proposals()
        .proposal_id(&pid)
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.direct_connect_gateway_association_proposals()[0].proposal_state(),
        Some(&ProposalState::Deleted)
    );
    let (_, msg) = error_of(
        owner
            .accept_direct_connect_gateway_association_proposal()
            .direct_connect_gateway_id(&gw)
            .proposal_id(&pid)
            .associated_gateway_owner_account(OTHER)
            .send()
            .await,
    );
    assert!(msg.contains("deleted"), "{msg}");
    let unknown = "0b6f3a52-4f7e-4f4b-9a53-1f2b3c4d5e6f";
    let (code, msg) = error_of(
        other
            .delete_direct_connect_gateway_association_proposal()
            .proposal_id(unknown)
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    assert!(msg.contains("is not found"), "{msg}");

    // A VGW proposal is accepted in the VGW's region only.
    let pid = propose()
        .send()
        .await
        .unwrap()
        .direct_connect_gateway_association_proposal()
        .unwrap()
        .proposal_id()
        .unwrap()
        .to_string();
    let accept = |c: Client| {
        let gw = gw.clone();
        let pid = pid.clone();
        async move {
            c.accept_direct_connect_gateway_association_proposal()
                .direct_connect_gateway_id(gw)
                .proposal_id(pid)
                .associated_gateway_owner_account(OTHER)
                .send()
                .await
        }
    };
    let (_, msg) = error_of(accept(srv.client(OWNER, "us-west-2")).await);
    assert_eq!(msg, format!("The VirtualGateway {VGW} does not exist."));
    let a = accept(srv.client(OWNER, "us-east-1")).await.unwrap();
    let a = a.direct_connect_gateway_association().unwrap();
    assert_eq!(a.virtual_gateway_owner_account(), Some(OTHER));
    assert_eq!(a.virtual_gateway_region(), Some("us-east-1"));
}

#[tokio::test]
async fn unknown_ids_give_empty_lists_and_malformed_ids_errors() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let unknown = "5f294f92-bafb-4011-916d-9b0bd0000000";
    assert!(
        dx.describe_direct_connect_gateways()
            .direct_connect_gateway_id(unknown)
            .send()
            .await
            .unwrap()
            .direct_connect_gateways()
            .is_empty()
    );
    assert!(
        dx.describe_direct_connect_gateway_associations()
            .association_id(unknown)
            .send()
            .await
            .unwrap()
            .direct_connect_gateway_associations()
            .is_empty()
    );
    assert!(
        dx.describe_direct_connect_gateway_associations()
            .direct_connect_gateway_id(unknown)
            .associated_gateway_id(VGW)
            .send()
            .await
            .unwrap()
            .direct_connect_gateway_associations()
            .is_empty()
    );
    assert!(
        dx.describe_direct_connect_gateway_association_proposals()
            .proposal_id(unknown)
            .send()
            .await
            .unwrap()
            .direct_connect_gateway_association_proposals()
            .is_empty()
    );
    assert!(
        dx.describe_direct_connect_gateway_attachments()
            .direct_connect_gateway_id(unknown)
            .send()
            .await
            .unwrap()
            .direct_connect_gateway_attachments()
            .is_empty()
    );
    let (_, msg) = error_of(
        dx.delete_direct_connect_gateway()
            .direct_connect_gateway_id(unknown)
            .send()
            .await,
    );
    assert_eq!(
        msg,
        format!("Direct Connect Gateway {unknown} does not exist")
    );
    let (_, msg) = error_of(
        dx.delete_direct_connect_gateway_association()
            .association_id(unknown)
            .send()
            .await,
    );
    assert!(msg.contains("does not exist"), "{msg}");

    // Malformed ids: AWS's texts.
    let (code, msg) = error_of(
        dx.describe_direct_connect_gateways()
            .direct_connect_gateway_id("dxcon-myid")
            .send()
            .await,
    );
    assert_eq!(code, "DirectConnectClientException");
    assert_eq!(
        msg,
        "DirectConnectGatewayID dxcon-myid has an invalid format."
    );
    let (_, msg) = error_of(
        dx.create_direct_connect_gateway_association()
            .direct_connect_gateway_id("dxcon-myid")
            .gateway_id(VGW)
            .send()
            .await,
    );
    assert_eq!(
        msg,
        "DirectConnectGatewayID dxcon-myid has an invalid format."
    );
    let (_, msg) = error_of(
        dx.describe_direct_connect_gateway_associations()
            .association_id("not-an-id")
            .send()
            .await,
    );
    assert_eq!(msg, "Association ID has an invalid format.");
    let (_, msg) = error_of(
        dx.delete_direct_connect_gateway_association()
            .association_id("not-an-id")
            .send()
            .await,
    );
    assert_eq!(msg, "Association ID has an invalid format.");
    let (_, msg) = error_of(
        dx.describe_direct_connect_gateway_attachments()
            .send()
            .await,
    );
    assert!(msg.contains("directConnectGatewayId"), "{msg}");

    // Empty lists are present on the wire, with no nextToken.
    for (op, body, member) in [
        (
            "DescribeDirectConnectGateways",
            "{}",
            "directConnectGateways",
        ),
        (
            "DescribeDirectConnectGatewayAssociations",
            format!(r#"{{"directConnectGatewayId":"{unknown}"}}"#).as_str(),
            "directConnectGatewayAssociations",
        ),
        (
            "DescribeDirectConnectGatewayAssociationProposals",
            "{}",
            "directConnectGatewayAssociationProposals",
        ),
        (
            "DescribeDirectConnectGatewayAttachments",
            format!(r#"{{"directConnectGatewayId":"{unknown}"}}"#).as_str(),
            "directConnectGatewayAttachments",
        ),
    ] {
        let (status, body) = raw(&srv, OWNER, op, body).await;
        assert_eq!(status, 200, "{op}: {body}");
        assert_eq!(body[member], Value::Array(vec![]), "{op}: {body}");
        assert!(body.get("nextToken").is_none(), "{op}: {body}");
    }
}

#[tokio::test]
async fn attachments_follow_the_vifs_on_a_gateway() {
    let srv = TestServer::start().await;
    let dx = srv.owner();
    let gw = gateway(&dx, "vifs").await;
    let conn = dx
        .create_connection()
        .location("EqDC2")
        .bandwidth("10Gbps")
        .connection_name("host")
        .send()
        .await
        .unwrap()
        .connection_id()
        .unwrap()
        .to_string();
    let vif = dx
        .create_private_virtual_interface()
        .connection_id(&conn)
        .new_private_virtual_interface(
            NewPrivateVirtualInterface::builder()
                .virtual_interface_name("to-gw")
                .vlan(100)
                .asn(65000)
                .direct_connect_gateway_id(&gw)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let vif_id = vif.virtual_interface_id().unwrap().to_string();

    let by_gw = dx
        .describe_direct_connect_gateway_attachments()
        .direct_connect_gateway_id(&gw)
        .send()
        .await
        .unwrap();
    let att = &by_gw.direct_connect_gateway_attachments()[0];
    assert_eq!(att.virtual_interface_id(), Some(vif_id.as_str()));
    assert_eq!(att.direct_connect_gateway_id(), Some(gw.as_str()));
    assert_eq!(att.virtual_interface_owner_account(), Some(OWNER));
    assert_eq!(att.virtual_interface_region(), Some("us-east-1"));
    assert_eq!(
        att.attachment_type(),
        Some(&DirectConnectGatewayAttachmentType::PrivateVirtualInterface)
    );
    assert!(matches!(
        att.attachment_state(),
        Some(DirectConnectGatewayAttachmentState::Attaching)
            | Some(DirectConnectGatewayAttachmentState::Attached)
    ));
    let by_vif = dx
        .describe_direct_connect_gateway_attachments()
        .virtual_interface_id(&vif_id)
        .send()
        .await
        .unwrap();
    assert_eq!(by_vif.direct_connect_gateway_attachments().len(), 1);
    assert!(
        srv.client(OTHER, "us-east-1")
            .describe_direct_connect_gateway_attachments()
            .virtual_interface_id(&vif_id)
            .send()
            .await
            .unwrap()
            .direct_connect_gateway_attachments()
            .is_empty()
    );

    // A gateway with a private VIF takes no TGW, and cannot be deleted.
    let (_, msg) = error_of(
        dx.create_direct_connect_gateway_association()
            .direct_connect_gateway_id(&gw)
            .gateway_id(tgw(9))
            .send()
            .await,
    );
    assert!(msg.contains("private virtual interface"), "{msg}");
    let (_, msg) = error_of(
        dx.delete_direct_connect_gateway()
            .direct_connect_gateway_id(&gw)
            .send()
            .await,
    );
    assert!(msg.contains("virtual interfaces attached"), "{msg}");
}

#[tokio::test]
async fn unaccepted_proposals_expire_after_seven_days() {
    let clock = std::sync::Arc::new(dxemu::clock::ManualClock::new(1_800_000_000_000));
    let srv = TestServer::start_on(dxemu::cli::ServeArgs::for_tests(), clock.clone()).await;
    let owner = srv.owner();
    let other = srv.client(OTHER, "us-east-1");
    let gw = gateway(&owner, "expiring").await;
    let proposed = other
        .create_direct_connect_gateway_association_proposal()
        .direct_connect_gateway_id(&gw)
        .direct_connect_gateway_owner_account(OWNER)
        .gateway_id("tgw-0123456789abcdef7")
        .add_allowed_prefixes_to_direct_connect_gateway(prefix("192.168.7.0/24"))
        .send()
        .await
        .unwrap();
    let pid = proposed
        .direct_connect_gateway_association_proposal()
        .unwrap()
        .proposal_id()
        .unwrap()
        .to_string();
    let state = |out: aws_sdk_directconnect::operation::describe_direct_connect_gateway_association_proposals::DescribeDirectConnectGatewayAssociationProposalsOutput| {
        out.direct_connect_gateway_association_proposals()
            .first()
            .and_then(|p| p.proposal_state().map(|s| s.as_str().to_string()))
    };
    // Just before seven days it still waits for the gateway owner.
    clock.advance(7 * 24 * 60 * 60 * 1000 - 1);
    let before = owner
        .describe_direct_connect_gateway_association_proposals()
        .proposal_id(&pid)
        .send()
        .await
        .unwrap();
    assert_eq!(state(before).as_deref(), Some("requested"));
    clock.advance(1);
    let after = owner
        .describe_direct_connect_gateway_association_proposals()
        .proposal_id(&pid)
        .send()
        .await
        .unwrap();
    assert_eq!(state(after).as_deref(), Some("deleted"));
    let accept = owner
        .accept_direct_connect_gateway_association_proposal()
        .direct_connect_gateway_id(&gw)
        .proposal_id(&pid)
        .associated_gateway_owner_account(OTHER)
        .send()
        .await;
    let (code, _) = error_of(accept);
    assert_eq!(code, "DirectConnectClientException");
}
