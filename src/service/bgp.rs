//! BGP peers on a VIF, and BGP failover tests.

use super::vifs::{VifDoc, VifType, load_vif, resolve_addresses, resolve_auth_key};
use super::{Doc, Emulator, decode_doc, ids, new_record, paging, router, store_error};
use crate::api::generated::types::*;
use crate::api::{ApiError, RequestContext};
use crate::lifecycle;
use crate::store::{Expect, Kind, Query, Record, Write};

/// Default and longest failover test, in minutes.
pub const DEFAULT_TEST_MINUTES: i32 = 180;
pub const MAX_TEST_MINUTES: i32 = 4320;

type TestDoc = Doc<VirtualInterfaceTestHistory, serde_json::Value>;

fn usable(id: &str, state: &str) -> Result<(), ApiError> {
    if matches!(state, "deleting" | "deleted" | "rejected" | "confirming") {
        return Err(ApiError::client(format!(
            "Virtual interface {id} is in state {state}."
        )));
    }
    Ok(())
}

/// Stores a VIF whose BGP peers changed; it passes through `pending` so new sessions come up.
fn store_vif(
    svc: &Emulator,
    cx: &RequestContext,
    rec: &Record,
    doc: &mut VifDoc,
    reprovision: bool,
) -> Result<(), ApiError> {
    doc.wire.customer_router_config = Some(router::generic_xml(&doc.wire));
    let (state, entered) = if reprovision && matches!(rec.state.as_str(), "available" | "down") {
        ("pending", Some(cx.now_ms))
    } else {
        (rec.state.as_str(), None)
    };
    let mut stored = doc.clone();
    stored.wire.virtual_interface_state = VirtualInterfaceState::from_wire(state);
    let new = svc.record(rec, state, &stored, entered)?;
    svc.commit(cx, vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(())
}

pub(crate) fn create_bgp_peer(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateBGPPeerRequest,
) -> Result<CreateBGPPeerResponse, ApiError> {
    let id = input
        .virtual_interface_id
        .ok_or_else(|| ApiError::client("virtualInterfaceId must be specified."))?;
    let new = input
        .new_bgp_peer
        .ok_or_else(|| ApiError::client("newBGPPeer must be specified."))?;
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_vif(svc, cx, &id, false)?;
    usable(&id, &rec.state)?;
    let ty = VifType::of(&doc.wire);
    let family = new.address_family.unwrap_or(AddressFamily::Ipv4);
    let peers = doc.wire.bgp_peers.get_or_insert_with(Vec::new);
    if peers.iter().any(|p| p.address_family == Some(family)) {
        return Err(ApiError::client(format!(
            "Virtual interface {id} already has a BGP peer for address family {}; a second one needs a connection with logical redundancy.",
            family.as_str()
        )));
    }
    let (asn, asn_long) = match (new.asn, new.asn_long) {
        (_, Some(long)) if (1..=4_294_967_294).contains(&long) => {
            (i32::try_from(long).unwrap_or(0), long)
        }
        (None, Some(long)) | (Some(_), Some(long)) => {
            return Err(ApiError::client(format!(
                "asnLong {long} is out of range: it must be between 1 and 4294967294."
            )));
        }
        (Some(a), None) if (1..=2_147_483_646).contains(&a) => (a, i64::from(a)),
        (Some(a), None) => {
            return Err(ApiError::client(format!(
                "asn {a} is out of range: it must be between 1 and 2147483646."
            )));
        }
        (None, None) => return Err(ApiError::client("Either asn or asnLong must be specified.")),
    };
    let (amazon, customer) =
        resolve_addresses(ty, family, new.amazon_address, new.customer_address)?;
    let device = doc.wire.aws_device_v2.clone();
    peers.push(BGPPeer {
        bgp_peer_id: Some(ids::resource_id("dxpeer")),
        asn: Some(asn),
        asn_long: Some(asn_long),
        auth_key: Some(resolve_auth_key(new.auth_key)?),
        address_family: Some(family),
        amazon_address: Some(amazon),
        customer_address: Some(customer),
        bgp_peer_state: Some(if ty == VifType::Public {
            BGPPeerState::Verifying
        } else {
            BGPPeerState::Pending
        }),
        bgp_status: Some(BGPStatus::Down),
        aws_device_v2: device,
        aws_logical_device_id: doc.wire.aws_logical_device_id.clone(),
    });
    // AWS does not re-provision the VIF (the AWS CLI's create-bgp-peer example
    // answers it `available` with only the new peer `pending`): the VIF keeps
    // its state and the new peer comes up on its own.
    doc.wire.customer_router_config = Some(router::generic_xml(&doc.wire));
    let mut new = svc.record(&rec, &rec.state, &doc, None)?;
    if rec.state == "available" {
        new.due_at = lifecycle::peer_up_at(cx.now_ms, svc.settings().timing);
    }
    svc.commit(cx, vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(CreateBGPPeerResponse {
        virtual_interface: Some(doc.wire),
    })
}

pub(crate) fn delete_bgp_peer(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteBGPPeerRequest,
) -> Result<DeleteBGPPeerResponse, ApiError> {
    let id = input
        .virtual_interface_id
        .ok_or_else(|| ApiError::client("virtualInterfaceId must be specified."))?;
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_vif(svc, cx, &id, false)?;
    usable(&id, &rec.state)?;
    let asn_long = input.asn_long.or(input.asn.map(i64::from));
    let peers = doc.wire.bgp_peers.get_or_insert_with(Vec::new);
    let pos = peers.iter().position(|p| match &input.bgp_peer_id {
        Some(peer_id) => p.bgp_peer_id.as_deref() == Some(peer_id.as_str()),
        None => {
            asn_long.is_some()
                && p.asn_long == asn_long
                && (input.customer_address.is_none()
                    || p.customer_address == input.customer_address)
        }
    });
    let Some(pos) = pos else {
        if let Some(peer_id) = &input.bgp_peer_id {
            super::ids::IdKind::BgpPeer.check(peer_id)?;
        }
        return Err(ApiError::client(format!(
            "The BGP peer does not exist on virtual interface {id}."
        )));
    };
    if peers.len() == 1 {
        return Err(ApiError::client(
            "The last BGP Peer on a Virtual Interface cannot be deleted",
        ));
    }
    let mut removed = peers.remove(pos);
    store_vif(svc, cx, &rec, &mut doc, false)?;
    // The answer shows the peer on its way out; the stored VIF no longer has it.
    removed.bgp_peer_state = Some(BGPPeerState::Deleting);
    doc.wire
        .bgp_peers
        .get_or_insert_with(Vec::new)
        .insert(pos, removed);
    Ok(DeleteBGPPeerResponse {
        virtual_interface: Some(doc.wire),
    })
}

fn running_test(svc: &Emulator, vif_id: &str) -> Result<Option<(Record, TestDoc)>, ApiError> {
    let mut q = Query::kind(Kind::FailoverTest);
    q.parent = Some(vif_id);
    for rec in svc.store().list(&q).map_err(store_error)? {
        if rec.state == "in_progress" {
            let doc: TestDoc = decode_doc(&rec)?;
            return Ok(Some((rec, doc)));
        }
    }
    Ok(None)
}

pub(crate) fn start_bgp_failover_test(
    svc: &Emulator,
    cx: &RequestContext,
    input: StartBgpFailoverTestRequest,
) -> Result<StartBgpFailoverTestResponse, ApiError> {
    let id = input.virtual_interface_id;
    let minutes = input
        .test_duration_in_minutes
        .unwrap_or(DEFAULT_TEST_MINUTES);
    if !(1..=MAX_TEST_MINUTES).contains(&minutes) {
        return Err(ApiError::client(format!(
            "testDurationInMinutes must be between 1 and {MAX_TEST_MINUTES}, got {minutes}."
        )));
    }
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_vif(svc, cx, &id, false)?;
    if rec.state == "testing" || running_test(svc, &id)?.is_some() {
        return Err(ApiError::client(format!(
            "A BGP failover test is already running on virtual interface {id}."
        )));
    }
    if !matches!(rec.state.as_str(), "available" | "down") {
        return Err(ApiError::client(format!(
            "Virtual interface {id} is in state {} and cannot be tested.",
            rec.state
        )));
    }
    let peers = doc.wire.bgp_peers.clone().unwrap_or_default();
    let tested: Vec<String> = match input.bgp_peers {
        Some(list) if !list.is_empty() => {
            for p in &list {
                if !peers
                    .iter()
                    .any(|x| x.bgp_peer_id.as_deref() == Some(p.as_str()))
                {
                    super::ids::IdKind::BgpPeer.check(p)?;
                    return Err(ApiError::client(format!(
                        "BGP peer {p} does not exist on virtual interface {id}."
                    )));
                }
            }
            list
        }
        _ => peers.iter().filter_map(|p| p.bgp_peer_id.clone()).collect(),
    };
    for p in doc.wire.bgp_peers.iter_mut().flatten() {
        if p.bgp_peer_id
            .as_ref()
            .is_some_and(|pid| tested.contains(pid))
        {
            p.bgp_status = Some(BGPStatus::Down);
        }
    }
    let end_ms = cx.now_ms.saturating_add(i64::from(minutes) * 60_000);
    doc.x.before_test = Some(rec.state.clone());
    doc.wire.virtual_interface_state = Some(VirtualInterfaceState::Testing);
    let mut vif_rec = svc.record(&rec, "testing", &doc, None)?;
    vif_rec.due_at = Some(end_ms);
    let test_id = uuid::Uuid::new_v4().to_string();
    let test = VirtualInterfaceTestHistory {
        test_id: Some(test_id.clone()),
        virtual_interface_id: Some(id.clone()),
        bgp_peers: Some(tested),
        status: Some("in_progress".into()),
        owner_account: Some(cx.account.clone()),
        test_duration_in_minutes: Some(minutes),
        start_time: Some(cx.now_secs()),
        end_time: None,
    };
    let test_doc = TestDoc {
        wire: test.clone(),
        x: serde_json::Value::Null,
    };
    let mut base = new_record(Kind::FailoverTest, &test_id, cx);
    base.parent = Some(id.clone());
    let mut test_rec = svc.record(&base, "in_progress", &test_doc, None)?;
    test_rec.due_at = Some(end_ms);
    svc.commit(
        cx,
        vec![
            Write::Put(vif_rec, Expect::Version(rec.version)),
            Write::Put(test_rec, Expect::Absent),
        ],
    )?;
    Ok(StartBgpFailoverTestResponse {
        virtual_interface_test: Some(test),
    })
}

pub(crate) fn stop_bgp_failover_test(
    svc: &Emulator,
    cx: &RequestContext,
    input: StopBgpFailoverTestRequest,
) -> Result<StopBgpFailoverTestResponse, ApiError> {
    let id = input.virtual_interface_id;
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_vif(svc, cx, &id, false)?;
    let Some((trec, mut tdoc)) = running_test(svc, &id)? else {
        return Err(ApiError::client(format!(
            "No BGP failover test is running on virtual interface {id}."
        )));
    };
    tdoc.wire.status = Some("cancelled".into());
    tdoc.wire.end_time = Some(cx.now_secs());
    let mut test_rec = svc.record(&trec, "cancelled", &tdoc, None)?;
    test_rec.due_at = None;
    let back = doc
        .x
        .before_test
        .take()
        .unwrap_or_else(|| "available".into());
    doc.wire.virtual_interface_state = VirtualInterfaceState::from_wire(&back);
    let mut pending = false;
    for p in doc.wire.bgp_peers.iter_mut().flatten() {
        // A peer still being provisioned stays down until it comes up.
        let provisioned = p.bgp_peer_state != Some(BGPPeerState::Pending);
        pending |= !provisioned;
        p.bgp_status = Some(if back == "available" && provisioned {
            BGPStatus::Up
        } else {
            BGPStatus::Down
        });
    }
    let mut vif_rec = svc.record(&rec, &back, &doc, None)?;
    vif_rec.due_at = (pending && back == "available")
        .then(|| lifecycle::peer_up_at(cx.now_ms, svc.settings().timing))
        .flatten();
    svc.commit(
        cx,
        vec![
            Write::Put(vif_rec, Expect::Version(rec.version)),
            Write::Put(test_rec, Expect::Version(trec.version)),
        ],
    )?;
    Ok(StopBgpFailoverTestResponse {
        virtual_interface_test: Some(tdoc.wire),
    })
}

pub(crate) fn list_virtual_interface_test_history(
    svc: &Emulator,
    cx: &RequestContext,
    input: ListVirtualInterfaceTestHistoryRequest,
) -> Result<ListVirtualInterfaceTestHistoryResponse, ApiError> {
    let mut q = Query::kind(Kind::FailoverTest);
    q.account = Some(&cx.account);
    q.region = Some(&cx.region);
    q.parent = input.virtual_interface_id.as_deref();
    let (recs, next_token) = paging::page(svc, q, input.max_results, input.next_token.as_deref())?;
    let mut out = Vec::new();
    for r in &recs {
        let d: TestDoc = decode_doc(r)?;
        let t = d.wire;
        let keep = input
            .test_id
            .as_ref()
            .is_none_or(|id| t.test_id.as_ref() == Some(id))
            && input
                .status
                .as_ref()
                .is_none_or(|s| t.status.as_ref() == Some(s))
            && input.bgp_peers.as_ref().is_none_or(|want| {
                want.iter()
                    .all(|p| t.bgp_peers.as_ref().is_some_and(|have| have.contains(p)))
            });
        if keep {
            out.push(t);
        }
    }
    Ok(ListVirtualInterfaceTestHistoryResponse {
        virtual_interface_test_history: Some(out),
        next_token,
    })
}
