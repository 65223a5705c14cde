//! Direct Connect gateways, their associations with VGWs/TGWs, association
//! proposals between accounts, and attachments (the VIFs on a gateway).
//!
//! Gateways are global: their records have an empty region and only the owner
//! sees them. An association record belongs to the gateway owner, carries the
//! region of the associated VGW/TGW, and is visible to both owners. A proposal
//! record belongs to the proposer (the VGW/TGW owner) and is visible to the
//! proposer and to the gateway owner.

use super::vifs::{self, VifDoc, VifExtra};
use super::{Doc, Emulator, Loaded, decode_doc, new_record, paging, store_error, tags};
use crate::api::generated::types::*;
use crate::api::{ApiError, RequestContext};
use crate::store::{Expect, Kind, Query, Record, Write};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;

/// Gateways one account may have.
pub const MAX_GATEWAYS_PER_ACCOUNT: usize = 200;
/// Virtual private gateways one gateway may be associated with.
pub const MAX_VGWS_PER_GATEWAY: usize = 20;
/// Transit gateways one gateway may be associated with.
pub const MAX_TGWS_PER_GATEWAY: usize = 6;
/// Gateways one transit gateway may be associated with.
pub const MAX_GATEWAYS_PER_TGW: usize = 20;
/// Allowed prefixes of one transit gateway association.
pub const MAX_TGW_PREFIXES: usize = 200;
/// The Amazon side ASN of a gateway created without one.
pub const DEFAULT_AMAZON_SIDE_ASN: i64 = 64512;
/// Amazon's own public ASNs, which Terraform also accepts.
const LEGACY_AMAZON_ASNS: [i64; 4] = [7224, 9059, 10124, 17493];

/// What the emulator keeps about a gateway besides its wire form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct GatewayExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
}

/// A stored gateway. Its record: kind `Gateway`, account = owner, region = ""
/// (gateways are global).
pub(crate) type GatewayDoc = Doc<DirectConnectGateway, GatewayExtra>;

/// What the emulator keeps about an association besides its wire form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct AssociationExtra {
    /// The proposal whose acceptance last shaped the association, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<String>,
}

/// A stored association. Its record: kind `GatewayAssociation`, account =
/// gateway owner, region = region of the VGW/TGW, parent = gateway id, link =
/// VGW/TGW id.
pub(crate) type AssociationDoc = Doc<DirectConnectGatewayAssociation, AssociationExtra>;

/// A stored proposal. Its record: kind `AssociationProposal`, account =
/// proposer, region = the proposer's region, parent = gateway id, link =
/// VGW/TGW id.
pub(crate) type ProposalDoc = Doc<DirectConnectGatewayAssociationProposal>;

/// A gateway of any account, unless unknown or deleted.
pub(crate) fn load_gateway(
    svc: &Emulator,
    id: &str,
) -> Result<Option<(Record, GatewayDoc)>, ApiError> {
    Ok(svc
        .load::<DirectConnectGateway, GatewayExtra>(Kind::Gateway, id)?
        .filter(|(rec, _)| !matches!(rec.state.as_str(), "deleting" | "deleted")))
}

// ---------------------------------------------------------------------------
// Identifiers, messages and small helpers
// ---------------------------------------------------------------------------

/// A UUID in its 8-4-4-4-12 hex form, the shape of gateway, association and proposal ids.
fn is_uuid(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn check_gateway_id(id: &str) -> Result<(), ApiError> {
    super::ids::IdKind::Gateway.check(id)
}

fn check_association_id(id: &str) -> Result<(), ApiError> {
    super::ids::IdKind::Association.check(id)
}

fn gateway_not_found(id: &str) -> ApiError {
    ApiError::client(format!("Direct Connect Gateway {id} does not exist"))
}

fn association_not_found(id: &str) -> ApiError {
    ApiError::client(format!(
        "Direct Connect Gateway Association {id} does not exist"
    ))
}

fn proposal_not_found(id: &str) -> ApiError {
    super::ids::IdKind::Proposal.missing(id, |id| {
        ApiError::client(format!(
            "Direct Connect Gateway Association Proposal {id} is not found"
        ))
    })
}

/// A new UUID no stored record of `kind` has. Call under the write lock.
fn fresh_uuid(svc: &Emulator, kind: Kind) -> Result<String, ApiError> {
    for _ in 0..16 {
        let id = uuid::Uuid::new_v4().to_string();
        if svc.store().get(kind, &id).map_err(store_error)?.is_none() {
            return Ok(id);
        }
    }
    Err(ApiError::server(
        "Could not allocate a resource id; retry the request",
    ))
}

/// Lists and decodes the records of a query.
fn list_docs<W, X>(svc: &Emulator, q: &Query<'_>) -> Result<Vec<Loaded<W, X>>, ApiError>
where
    W: serde::de::DeserializeOwned,
    X: serde::de::DeserializeOwned + Default,
{
    svc.store()
        .list(q)
        .map_err(store_error)?
        .into_iter()
        .map(|r| decode_doc(&r).map(|d| (r, d)))
        .collect()
}

/// The caller's live (pending or available) gateway.
fn load_own_gateway(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
) -> Result<(Record, GatewayDoc), ApiError> {
    check_gateway_id(id)?;
    match load_gateway(svc, id)? {
        Some((rec, doc)) if rec.account == cx.account => Ok((rec, doc)),
        _ => Err(gateway_not_found(id)),
    }
}

/// The gateway as calls return it; the record's state is authoritative, and
/// its total prefix pool allocations are summed from the VIFs attached to it
/// (one query on the link index).
fn gateway_view(
    svc: &Emulator,
    rec: &Record,
    doc: &GatewayDoc,
) -> Result<DirectConnectGateway, ApiError> {
    let mut gw = doc.wire.clone();
    if let Some(state) = DirectConnectGatewayState::from_wire(&rec.state) {
        gw.direct_connect_gateway_state = Some(state);
    }
    let attached = vifs::attached_to(svc, &rec.id)?;
    let total = super::capacity::gateway_total(&attached, None);
    gw.total_prefix_pool_allocations = Some(i32::try_from(total).unwrap_or(i32::MAX));
    Ok(gw)
}

fn check_asn(asn: i64) -> Result<(), ApiError> {
    let ok = (64512..=65534).contains(&asn)
        || (4_200_000_000..=4_294_967_294).contains(&asn)
        || LEGACY_AMAZON_ASNS.contains(&asn);
    if ok {
        Ok(())
    } else {
        Err(ApiError::client(format!(
            "amazonSideAsn {asn} is not valid: it must be in the range 64512-65534 or 4200000000-4294967294."
        )))
    }
}

// ---------------------------------------------------------------------------
// Allowed prefixes
// ---------------------------------------------------------------------------

/// A CIDR: its address and prefix length.
type Cidr = (IpAddr, u8);

fn parse_cidr(s: &str) -> Option<Cidr> {
    let (addr, len) = s.split_once('/')?;
    if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let addr: IpAddr = addr.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some((addr, len))
}

/// Whether two CIDRs share an address.
fn overlaps(a: Cidr, b: Cidr) -> bool {
    let n = a.1.min(b.1);
    match (a.0, b.0) {
        (IpAddr::V4(x), IpAddr::V4(y)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(n)).unwrap_or(0);
            u32::from(x) & mask == u32::from(y) & mask
        }
        (IpAddr::V6(x), IpAddr::V6(y)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(n)).unwrap_or(0);
            u128::from(x) & mask == u128::from(y) & mask
        }
        _ => false,
    }
}

/// Checks the CIDRs of a request and drops repeats, keeping the given order.
fn prefixes_of(list: Option<Vec<RouteFilterPrefix>>) -> Result<Vec<String>, ApiError> {
    let mut out: Vec<String> = Vec::new();
    for p in list.unwrap_or_default() {
        let Some(cidr) = p.cidr else {
            return Err(ApiError::client(
                "Every allowed prefix must have a cidr.".to_string(),
            ));
        };
        if parse_cidr(&cidr).is_none() {
            return Err(ApiError::client(format!(
                "The allowed prefix {cidr} is not a valid CIDR."
            )));
        }
        if !out.contains(&cidr) {
            out.push(cidr);
        }
    }
    Ok(out)
}

/// `current` without `remove`, then `add` appended (without repeats).
fn changed(current: &[String], add: &[String], remove: &[String]) -> Vec<String> {
    let mut out: Vec<String> = current
        .iter()
        .filter(|c| !remove.contains(c))
        .cloned()
        .collect();
    for a in add {
        if !out.contains(a) {
            out.push(a.clone());
        }
    }
    out
}

fn to_wire(prefixes: &[String]) -> Vec<RouteFilterPrefix> {
    prefixes
        .iter()
        .map(|c| RouteFilterPrefix {
            cidr: Some(c.clone()),
        })
        .collect()
}

fn cidrs(list: Option<&Vec<RouteFilterPrefix>>) -> Vec<String> {
    list.map(|l| l.iter().filter_map(|p| p.cidr.clone()).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Association rules
// ---------------------------------------------------------------------------

/// The type of a VGW or TGW id; `field` names the member in the error.
fn gateway_type(id: &str, field: &str) -> Result<GatewayType, ApiError> {
    if vifs::is_vgw_id(id) {
        Ok(GatewayType::VirtualPrivateGateway)
    } else if vifs::is_tgw_id(id) {
        Ok(GatewayType::TransitGateway)
    } else {
        Err(ApiError::client(format!(
            "{field} {id} has an invalid format."
        )))
    }
}

fn type_name(ty: GatewayType) -> &'static str {
    match ty {
        GatewayType::VirtualPrivateGateway => "virtual private gateway",
        GatewayType::TransitGateway => "transit gateway",
    }
}

/// The associations of a gateway and/or with a VGW/TGW that are not disassociated.
fn live_associations(
    svc: &Emulator,
    gateway_id: Option<&str>,
    associated_id: Option<&str>,
) -> Result<Vec<(Record, AssociationDoc)>, ApiError> {
    let mut q = Query::kind(Kind::GatewayAssociation);
    q.parent = gateway_id;
    q.link = associated_id;
    q.exclude_states = &["disassociated"];
    list_docs(svc, &q)
}

fn associated_type(doc: &AssociationDoc) -> Option<GatewayType> {
    doc.wire.associated_gateway.as_ref().and_then(|g| g.r#type)
}

fn associated_owner(doc: &AssociationDoc) -> Option<&str> {
    doc.wire
        .associated_gateway
        .as_ref()
        .and_then(|g| g.owner_account.as_deref())
}

/// Whether the caller owns the gateway or the associated VGW/TGW.
fn association_visible(cx: &RequestContext, rec: &Record, doc: &AssociationDoc) -> bool {
    rec.account == cx.account || associated_owner(doc) == Some(cx.account.as_str())
}

/// The association as calls return it; the record's state is authoritative.
fn association_view(rec: &Record, doc: &AssociationDoc) -> DirectConnectGatewayAssociation {
    let mut a = doc.wire.clone();
    if let Some(state) = DirectConnectGatewayAssociationState::from_wire(&rec.state) {
        a.association_state = Some(state);
    }
    a
}

/// Limits on the allowed prefixes of a TGW association: at most 200, and none
/// overlapping another TGW association's prefixes on the same gateway.
fn check_prefixes(
    gateway_id: &str,
    this: Option<&str>,
    ty: GatewayType,
    prefixes: &[String],
    on_gateway: &[(Record, AssociationDoc)],
) -> Result<(), ApiError> {
    if ty != GatewayType::TransitGateway {
        return Ok(());
    }
    if prefixes.len() > MAX_TGW_PREFIXES {
        return Err(ApiError::client(format!(
            "A transit gateway association can have at most {MAX_TGW_PREFIXES} allowed prefixes; this request would give it {}.",
            prefixes.len()
        )));
    }
    for (rec, doc) in on_gateway {
        if Some(rec.id.as_str()) == this
            || associated_type(doc) != Some(GatewayType::TransitGateway)
        {
            continue;
        }
        for theirs in cidrs(doc.wire.allowed_prefixes_to_direct_connect_gateway.as_ref()) {
            let Some(t) = parse_cidr(&theirs) else {
                continue;
            };
            if let Some(mine) = prefixes
                .iter()
                .find(|p| parse_cidr(p).is_some_and(|m| overlaps(m, t)))
            {
                return Err(ApiError::client(format!(
                    "The allowed prefix {mine} overlaps one or more existing allowed routes on the Direct Connect gateway {gateway_id} ({theirs})."
                )));
            }
        }
    }
    Ok(())
}

/// The rules a new association of `target` with a gateway must meet.
fn check_new_association(
    svc: &Emulator,
    gateway_id: &str,
    target: &str,
    ty: GatewayType,
    prefixes: &[String],
) -> Result<(), ApiError> {
    let on_gateway = live_associations(svc, Some(gateway_id), None)?;
    if on_gateway
        .iter()
        .any(|(r, _)| r.link.as_deref() == Some(target))
    {
        return Err(ApiError::client(format!(
            "The {} {target} is already associated with Direct Connect Gateway {gateway_id}.",
            type_name(ty)
        )));
    }
    if let Some((_, other)) = on_gateway
        .iter()
        .find(|(_, d)| associated_type(d).is_some_and(|t| t != ty))
    {
        let other_ty = associated_type(other).unwrap_or(ty);
        return Err(ApiError::client(format!(
            "Direct Connect Gateway {gateway_id} is associated with a {}; it cannot also be associated with a {}.",
            type_name(other_ty),
            type_name(ty)
        )));
    }
    let max = match ty {
        GatewayType::VirtualPrivateGateway => MAX_VGWS_PER_GATEWAY,
        GatewayType::TransitGateway => MAX_TGWS_PER_GATEWAY,
    };
    if on_gateway.len() >= max {
        return Err(ApiError::client(format!(
            "Direct Connect Gateway {gateway_id} already has {} {} associations, the maximum.",
            on_gateway.len(),
            type_name(ty)
        )));
    }
    let elsewhere = live_associations(svc, None, Some(target))?;
    match ty {
        GatewayType::VirtualPrivateGateway => {
            if let Some((r, _)) = elsewhere.first() {
                return Err(ApiError::client(format!(
                    "The virtual private gateway {target} is already associated with Direct Connect Gateway {}; a virtual private gateway can be associated with only one Direct Connect gateway.",
                    r.parent.as_deref().unwrap_or_default()
                )));
            }
        }
        GatewayType::TransitGateway => {
            if elsewhere.len() >= MAX_GATEWAYS_PER_TGW {
                return Err(ApiError::client(format!(
                    "The transit gateway {target} is already associated with {MAX_GATEWAYS_PER_TGW} Direct Connect gateways, the maximum."
                )));
            }
        }
    }
    // Private VIFs go with VGWs, transit VIFs with TGWs.
    let conflicting = match ty {
        GatewayType::VirtualPrivateGateway => "transit",
        GatewayType::TransitGateway => "private",
    };
    if let Some((vif, _)) = vifs::attached_to(svc, gateway_id)?.iter().find(|(_, d)| {
        d.wire
            .virtual_interface_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(conflicting))
    }) {
        return Err(ApiError::client(format!(
            "Direct Connect Gateway {gateway_id} has {conflicting} virtual interface {} attached; it cannot be associated with a {}.",
            vif.id,
            type_name(ty)
        )));
    }
    check_prefixes(gateway_id, None, ty, prefixes, &on_gateway)
}

/// Who and where a new association's VGW/TGW is.
struct Associated<'a> {
    id: &'a str,
    ty: GatewayType,
    owner: &'a str,
    region: &'a str,
}

/// The stored form of a new association (state `associating`) and its record.
fn new_association(
    svc: &Emulator,
    cx: &RequestContext,
    gateway: &Record,
    target: &Associated<'_>,
    prefixes: &[String],
    proposal_id: Option<String>,
) -> Result<(Record, AssociationDoc), ApiError> {
    let id = fresh_uuid(svc, Kind::GatewayAssociation)?;
    let vgw = target.ty == GatewayType::VirtualPrivateGateway;
    let wire = DirectConnectGatewayAssociation {
        direct_connect_gateway_id: Some(gateway.id.clone()),
        direct_connect_gateway_owner_account: Some(gateway.account.clone()),
        association_state: Some(DirectConnectGatewayAssociationState::Associating),
        state_change_error: None,
        associated_gateway: Some(AssociatedGateway {
            id: Some(target.id.to_string()),
            r#type: Some(target.ty),
            owner_account: Some(target.owner.to_string()),
            region: Some(target.region.to_string()),
        }),
        association_id: Some(id.clone()),
        allowed_prefixes_to_direct_connect_gateway: Some(to_wire(prefixes)),
        associated_core_network: None,
        virtual_gateway_id: vgw.then(|| target.id.to_string()),
        virtual_gateway_region: vgw.then(|| target.region.to_string()),
        virtual_gateway_owner_account: vgw.then(|| target.owner.to_string()),
    };
    let doc = AssociationDoc {
        wire,
        x: AssociationExtra { proposal_id },
    };
    let mut base = new_record(Kind::GatewayAssociation, &id, cx);
    base.account = gateway.account.clone();
    base.region = target.region.to_string();
    base.parent = Some(gateway.id.clone());
    base.link = Some(target.id.to_string());
    let rec = svc.record(&base, "associating", &doc, Some(cx.now_ms))?;
    Ok((rec, doc))
}

// ---------------------------------------------------------------------------
// Gateways
// ---------------------------------------------------------------------------

pub(crate) fn create_direct_connect_gateway(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateDirectConnectGatewayRequest,
) -> Result<CreateDirectConnectGatewayResult, ApiError> {
    let asn = input.amazon_side_asn.unwrap_or(DEFAULT_AMAZON_SIDE_ASN);
    check_asn(asn)?;
    let tags = tags::validate_new(input.tags.unwrap_or_default())?;
    let _guard = svc.lock()?;
    let mut q = Query::kind(Kind::Gateway);
    q.account = Some(&cx.account);
    q.exclude_states = &["deleted"];
    q.limit = Some(MAX_GATEWAYS_PER_ACCOUNT);
    if svc.store().count(&q).map_err(store_error)? >= MAX_GATEWAYS_PER_ACCOUNT {
        return Err(ApiError::client(format!(
            "Direct Connect Gateway limit exceeded: account {} already has {MAX_GATEWAYS_PER_ACCOUNT} Direct Connect gateways.",
            cx.account
        )));
    }
    let id = fresh_uuid(svc, Kind::Gateway)?;
    let doc = GatewayDoc {
        wire: DirectConnectGateway {
            direct_connect_gateway_id: Some(id.clone()),
            direct_connect_gateway_name: Some(input.direct_connect_gateway_name),
            amazon_side_asn: Some(asn),
            owner_account: Some(cx.account.clone()),
            direct_connect_gateway_state: Some(DirectConnectGatewayState::Pending),
            state_change_error: None,
            tags: Some(tags),
            // A new gateway has no VIFs attached.
            total_prefix_pool_allocations: Some(0),
        },
        x: GatewayExtra::default(),
    };
    let mut base = new_record(Kind::Gateway, &id, cx);
    base.region = String::new();
    let rec = svc.record(&base, "pending", &doc, Some(cx.now_ms))?;
    svc.commit(cx, vec![Write::Put(rec, Expect::Absent)])?;
    Ok(CreateDirectConnectGatewayResult {
        direct_connect_gateway: Some(doc.wire),
    })
}

pub(crate) fn describe_direct_connect_gateways(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeDirectConnectGatewaysRequest,
) -> Result<DescribeDirectConnectGatewaysResult, ApiError> {
    if let Some(id) = input.direct_connect_gateway_id {
        check_gateway_id(&id)?;
        let found = svc
            .load::<DirectConnectGateway, GatewayExtra>(Kind::Gateway, &id)?
            .filter(|(rec, _)| rec.account == cx.account && rec.state != "deleted");
        return Ok(DescribeDirectConnectGatewaysResult {
            direct_connect_gateways: Some(
                found
                    .map(|(rec, doc)| gateway_view(svc, &rec, &doc))
                    .transpose()?
                    .into_iter()
                    .collect(),
            ),
            next_token: None,
        });
    }
    let mut q = Query::kind(Kind::Gateway);
    q.account = Some(&cx.account);
    q.exclude_states = &["deleted"];
    let (recs, next_token) = paging::page(svc, q, input.max_results, input.next_token.as_deref())?;
    let gateways = recs
        .iter()
        .map(|r| decode_doc(r).and_then(|d: GatewayDoc| gateway_view(svc, r, &d)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DescribeDirectConnectGatewaysResult {
        direct_connect_gateways: Some(gateways),
        next_token,
    })
}

pub(crate) fn update_direct_connect_gateway(
    svc: &Emulator,
    cx: &RequestContext,
    input: UpdateDirectConnectGatewayRequest,
) -> Result<UpdateDirectConnectGatewayResponse, ApiError> {
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_own_gateway(svc, cx, &input.direct_connect_gateway_id)?;
    doc.wire.direct_connect_gateway_name = Some(input.new_direct_connect_gateway_name);
    let state = rec.state.clone();
    let new = svc.record(&rec, &state, &doc, None)?;
    svc.commit(
        cx,
        vec![Write::Put(new.clone(), Expect::Version(rec.version))],
    )?;
    Ok(UpdateDirectConnectGatewayResponse {
        direct_connect_gateway: Some(gateway_view(svc, &new, &doc)?),
    })
}

pub(crate) fn delete_direct_connect_gateway(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteDirectConnectGatewayRequest,
) -> Result<DeleteDirectConnectGatewayResult, ApiError> {
    let id = &input.direct_connect_gateway_id;
    check_gateway_id(id)?;
    let _guard = svc.lock()?;
    let Some((rec, mut doc)) = svc
        .load::<DirectConnectGateway, GatewayExtra>(Kind::Gateway, id)?
        .filter(|(rec, _)| rec.account == cx.account && rec.state != "deleted")
    else {
        return Err(gateway_not_found(id));
    };
    if rec.state == "deleting" {
        return Ok(DeleteDirectConnectGatewayResult {
            direct_connect_gateway: Some(gateway_view(svc, &rec, &doc)?),
        });
    }
    let associations = live_associations(svc, Some(id), None)?;
    if !associations.is_empty() {
        return Err(ApiError::client(format!(
            "Direct Connect Gateway {id} has associations ({}); delete them before deleting the gateway.",
            associations.len()
        )));
    }
    let attached = vifs::attached_to(svc, id)?;
    if !attached.is_empty() {
        return Err(ApiError::client(format!(
            "Direct Connect Gateway {id} has virtual interfaces attached ({}); delete them before deleting the gateway.",
            attached.len()
        )));
    }
    doc.wire.direct_connect_gateway_state = Some(DirectConnectGatewayState::Deleting);
    doc.x.deleted_at = Some(cx.now_ms);
    let new = svc.record(&rec, "deleting", &doc, Some(cx.now_ms))?;
    svc.commit(
        cx,
        vec![Write::Put(new.clone(), Expect::Version(rec.version))],
    )?;
    Ok(DeleteDirectConnectGatewayResult {
        direct_connect_gateway: Some(gateway_view(svc, &new, &doc)?),
    })
}

// ---------------------------------------------------------------------------
// Associations
// ---------------------------------------------------------------------------

pub(crate) fn create_direct_connect_gateway_association(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateDirectConnectGatewayAssociationRequest,
) -> Result<CreateDirectConnectGatewayAssociationResult, ApiError> {
    let (target, ty) = match (input.gateway_id, input.virtual_gateway_id) {
        (Some(g), Some(v)) if g != v => {
            return Err(ApiError::client(
                "Specify either gatewayId or virtualGatewayId, not both.",
            ));
        }
        (Some(g), _) => {
            let ty = gateway_type(&g, "GatewayID")?;
            (g, ty)
        }
        (None, Some(v)) => {
            if !vifs::is_vgw_id(&v) {
                return Err(ApiError::client(format!(
                    "VirtualGatewayID {v} has an invalid format."
                )));
            }
            (v, GatewayType::VirtualPrivateGateway)
        }
        (None, None) => {
            return Err(ApiError::client(
                "A gatewayId (or virtualGatewayId) must be specified.",
            ));
        }
    };
    let gateway_id = &input.direct_connect_gateway_id;
    check_gateway_id(gateway_id)?;
    let prefixes = prefixes_of(input.add_allowed_prefixes_to_direct_connect_gateway)?;
    let _guard = svc.lock()?;
    let (gw_rec, _) = load_own_gateway(svc, cx, gateway_id)?;
    check_new_association(svc, gateway_id, &target, ty, &prefixes)?;
    let associated = Associated {
        id: &target,
        ty,
        owner: &cx.account,
        region: &cx.region,
    };
    let (rec, doc) = new_association(svc, cx, &gw_rec, &associated, &prefixes, None)?;
    let mut writes = vec![Write::Put(rec, Expect::Absent)];
    if ty == GatewayType::VirtualPrivateGateway
        && let Some(w) = vifs::note_virtual_gateway(svc, &cx.account, &cx.region, &target)?
    {
        writes.push(w);
    }
    svc.commit(cx, writes)?;
    Ok(CreateDirectConnectGatewayAssociationResult {
        direct_connect_gateway_association: Some(doc.wire),
    })
}

pub(crate) fn describe_direct_connect_gateway_associations(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeDirectConnectGatewayAssociationsRequest,
) -> Result<DescribeDirectConnectGatewayAssociationsResult, ApiError> {
    if let Some(id) = &input.association_id {
        check_association_id(id)?;
    }
    if let Some(id) = &input.direct_connect_gateway_id {
        check_gateway_id(id)?;
    }
    let gateway = input.direct_connect_gateway_id.as_deref();
    let associated = input.associated_gateway_id.as_deref();
    let vgw = input.virtual_gateway_id.as_deref();
    let wanted = |rec: &Record, doc: &AssociationDoc| {
        association_visible(cx, rec, doc)
            && gateway.is_none_or(|g| rec.parent.as_deref() == Some(g))
            && associated.is_none_or(|a| rec.link.as_deref() == Some(a))
            && vgw.is_none_or(|v| doc.wire.virtual_gateway_id.as_deref() == Some(v))
    };
    if let Some(id) = &input.association_id {
        // By id even a disassociated association is shown, until it is purged.
        let found = svc
            .load::<DirectConnectGatewayAssociation, AssociationExtra>(
                Kind::GatewayAssociation,
                id,
            )?
            .filter(|(rec, doc)| wanted(rec, doc));
        return Ok(DescribeDirectConnectGatewayAssociationsResult {
            direct_connect_gateway_associations: Some(
                found
                    .map(|(rec, doc)| association_view(&rec, &doc))
                    .into_iter()
                    .collect(),
            ),
            next_token: None,
        });
    }
    let items = live_associations(svc, gateway, associated.or(vgw))?
        .into_iter()
        .filter(|(rec, doc)| wanted(rec, doc))
        .map(|(rec, doc)| (rec.seq, association_view(&rec, &doc)))
        .collect();
    let (list, next_token) =
        paging::page_items(items, input.max_results, input.next_token.as_deref())?;
    Ok(DescribeDirectConnectGatewayAssociationsResult {
        direct_connect_gateway_associations: Some(list),
        next_token,
    })
}

pub(crate) fn update_direct_connect_gateway_association(
    svc: &Emulator,
    cx: &RequestContext,
    input: UpdateDirectConnectGatewayAssociationRequest,
) -> Result<UpdateDirectConnectGatewayAssociationResult, ApiError> {
    let Some(id) = input.association_id else {
        return Err(ApiError::client("associationId must be specified."));
    };
    check_association_id(&id)?;
    let add = prefixes_of(input.add_allowed_prefixes_to_direct_connect_gateway)?;
    let remove = prefixes_of(input.remove_allowed_prefixes_to_direct_connect_gateway)?;
    let _guard = svc.lock()?;
    let Some((rec, mut doc)) = svc
        .load::<DirectConnectGatewayAssociation, AssociationExtra>(Kind::GatewayAssociation, &id)?
        .filter(|(rec, _)| rec.account == cx.account && rec.state != "disassociated")
    else {
        return Err(association_not_found(&id));
    };
    if rec.state == "disassociating" {
        return Err(ApiError::client(format!(
            "Direct Connect Gateway Association {id} is disassociating and cannot be updated."
        )));
    }
    let gateway_id = rec.parent.clone().unwrap_or_default();
    let ty = associated_type(&doc).unwrap_or(GatewayType::VirtualPrivateGateway);
    let current = cidrs(doc.wire.allowed_prefixes_to_direct_connect_gateway.as_ref());
    let next = changed(&current, &add, &remove);
    let on_gateway = live_associations(svc, Some(&gateway_id), None)?;
    check_prefixes(&gateway_id, Some(&id), ty, &next, &on_gateway)?;
    doc.wire.allowed_prefixes_to_direct_connect_gateway = Some(to_wire(&next));
    doc.wire.association_state = Some(DirectConnectGatewayAssociationState::Updating);
    let new = svc.record(&rec, "updating", &doc, Some(cx.now_ms))?;
    svc.commit(
        cx,
        vec![Write::Put(new.clone(), Expect::Version(rec.version))],
    )?;
    Ok(UpdateDirectConnectGatewayAssociationResult {
        direct_connect_gateway_association: Some(association_view(&new, &doc)),
    })
}

pub(crate) fn delete_direct_connect_gateway_association(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteDirectConnectGatewayAssociationRequest,
) -> Result<DeleteDirectConnectGatewayAssociationResult, ApiError> {
    let live = |rec: &Record, doc: &AssociationDoc| {
        association_visible(cx, rec, doc) && rec.state != "disassociated"
    };
    let _guard = svc.lock()?;
    let (rec, mut doc) = match (
        input.association_id,
        input.direct_connect_gateway_id,
        input.virtual_gateway_id,
    ) {
        (Some(id), _, _) => {
            check_association_id(&id)?;
            svc.load::<DirectConnectGatewayAssociation, AssociationExtra>(
                Kind::GatewayAssociation,
                &id,
            )?
            .filter(|(rec, doc)| live(rec, doc))
            .ok_or_else(|| association_not_found(&id))?
        }
        (None, Some(gw), Some(vgw)) => {
            check_gateway_id(&gw)?;
            live_associations(svc, Some(&gw), Some(&vgw))?
                .into_iter()
                .find(|(rec, doc)| live(rec, doc))
                .ok_or_else(|| {
                    ApiError::client(format!(
                        "The association between Direct Connect Gateway {gw} and virtual gateway {vgw} does not exist"
                    ))
                })?
        }
        _ => {
            return Err(ApiError::client(
                "Specify an associationId, or a directConnectGatewayId and a virtualGatewayId.",
            ));
        }
    };
    if rec.state == "disassociating" {
        return Ok(DeleteDirectConnectGatewayAssociationResult {
            direct_connect_gateway_association: Some(association_view(&rec, &doc)),
        });
    }
    doc.wire.association_state = Some(DirectConnectGatewayAssociationState::Disassociating);
    let new = svc.record(&rec, "disassociating", &doc, Some(cx.now_ms))?;
    svc.commit(
        cx,
        vec![Write::Put(new.clone(), Expect::Version(rec.version))],
    )?;
    Ok(DeleteDirectConnectGatewayAssociationResult {
        direct_connect_gateway_association: Some(association_view(&new, &doc)),
    })
}

// ---------------------------------------------------------------------------
// Proposals
// ---------------------------------------------------------------------------

/// Whether the caller made the proposal or owns its gateway.
fn proposal_visible(cx: &RequestContext, rec: &Record, doc: &ProposalDoc) -> bool {
    rec.account == cx.account
        || doc.wire.direct_connect_gateway_owner_account.as_deref() == Some(cx.account.as_str())
}

/// The proposal as calls return it; the record's state is authoritative.
fn proposal_view(rec: &Record, doc: &ProposalDoc) -> DirectConnectGatewayAssociationProposal {
    let mut p = doc.wire.clone();
    if let Some(state) = DirectConnectGatewayAssociationProposalState::from_wire(&rec.state) {
        p.proposal_state = Some(state);
    }
    // Documents stored before empty lists were left out.
    for list in [
        &mut p.existing_allowed_prefixes_to_direct_connect_gateway,
        &mut p.requested_allowed_prefixes_to_direct_connect_gateway,
    ] {
        if list.as_ref().is_some_and(Vec::is_empty) {
            *list = None;
        }
    }
    p
}

fn load_proposal(svc: &Emulator, id: &str) -> Result<Option<(Record, ProposalDoc)>, ApiError> {
    if !is_uuid(id) {
        return Ok(None);
    }
    svc.load(Kind::AssociationProposal, id)
}

pub(crate) fn create_direct_connect_gateway_association_proposal(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateDirectConnectGatewayAssociationProposalRequest,
) -> Result<CreateDirectConnectGatewayAssociationProposalResult, ApiError> {
    let gateway_id = &input.direct_connect_gateway_id;
    let owner = &input.direct_connect_gateway_owner_account;
    let target = &input.gateway_id;
    check_gateway_id(gateway_id)?;
    let ty = gateway_type(target, "GatewayID")?;
    let add = prefixes_of(input.add_allowed_prefixes_to_direct_connect_gateway)?;
    let remove = prefixes_of(input.remove_allowed_prefixes_to_direct_connect_gateway)?;
    let _guard = svc.lock()?;
    let Some((gw_rec, _)) = load_gateway(svc, gateway_id)?.filter(|(r, _)| &r.account == owner)
    else {
        return Err(ApiError::client(format!(
            "Direct Connect Gateway {gateway_id} does not exist in account {owner}"
        )));
    };
    let existing = live_associations(svc, Some(gateway_id), Some(target))?
        .into_iter()
        .next();
    let (existing_prefixes, requested) = match &existing {
        Some((arec, adoc)) => {
            if associated_owner(adoc) != Some(cx.account.as_str()) {
                return Err(ApiError::client(format!(
                    "The {} {target} is associated with Direct Connect Gateway {gateway_id} by another account.",
                    type_name(ty)
                )));
            }
            let current = cidrs(
                adoc.wire
                    .allowed_prefixes_to_direct_connect_gateway
                    .as_ref(),
            );
            let requested = changed(&current, &add, &remove);
            let on_gateway = live_associations(svc, Some(gateway_id), None)?;
            check_prefixes(gateway_id, Some(&arec.id), ty, &requested, &on_gateway)?;
            (current, requested)
        }
        None => {
            let requested = changed(&[], &add, &remove);
            check_new_association(svc, gateway_id, target, ty, &requested)?;
            (Vec::new(), requested)
        }
    };
    let id = fresh_uuid(svc, Kind::AssociationProposal)?;
    let doc = ProposalDoc {
        wire: DirectConnectGatewayAssociationProposal {
            proposal_id: Some(id.clone()),
            direct_connect_gateway_id: Some(gateway_id.clone()),
            direct_connect_gateway_owner_account: Some(gw_rec.account.clone()),
            proposal_state: Some(DirectConnectGatewayAssociationProposalState::Requested),
            associated_gateway: Some(AssociatedGateway {
                id: Some(target.clone()),
                r#type: Some(ty),
                owner_account: Some(cx.account.clone()),
                region: Some(cx.region.clone()),
            }),
            // AWS leaves out a list it has nothing for (no existing association).
            existing_allowed_prefixes_to_direct_connect_gateway: (!existing_prefixes.is_empty())
                .then(|| to_wire(&existing_prefixes)),
            requested_allowed_prefixes_to_direct_connect_gateway: (!requested.is_empty())
                .then(|| to_wire(&requested)),
        },
        x: serde_json::Value::Null,
    };
    let mut base = new_record(Kind::AssociationProposal, &id, cx);
    base.parent = Some(gateway_id.clone());
    base.link = Some(target.clone());
    let rec = svc.record(&base, "requested", &doc, Some(cx.now_ms))?;
    let mut writes = vec![Write::Put(rec, Expect::Absent)];
    if ty == GatewayType::VirtualPrivateGateway
        && let Some(w) = vifs::note_virtual_gateway(svc, &cx.account, &cx.region, target)?
    {
        writes.push(w);
    }
    svc.commit(cx, writes)?;
    Ok(CreateDirectConnectGatewayAssociationProposalResult {
        direct_connect_gateway_association_proposal: Some(doc.wire),
    })
}

pub(crate) fn describe_direct_connect_gateway_association_proposals(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeDirectConnectGatewayAssociationProposalsRequest,
) -> Result<DescribeDirectConnectGatewayAssociationProposalsResult, ApiError> {
    if let Some(id) = &input.direct_connect_gateway_id {
        check_gateway_id(id)?;
    }
    let gateway = input.direct_connect_gateway_id.as_deref();
    let associated = input.associated_gateway_id.as_deref();
    let wanted = |rec: &Record, doc: &ProposalDoc| {
        proposal_visible(cx, rec, doc)
            && gateway.is_none_or(|g| rec.parent.as_deref() == Some(g))
            && associated.is_none_or(|a| rec.link.as_deref() == Some(a))
    };
    if let Some(id) = &input.proposal_id {
        let found = load_proposal(svc, id)?.filter(|(rec, doc)| wanted(rec, doc));
        return Ok(DescribeDirectConnectGatewayAssociationProposalsResult {
            direct_connect_gateway_association_proposals: Some(
                found
                    .map(|(rec, doc)| proposal_view(&rec, &doc))
                    .into_iter()
                    .collect(),
            ),
            next_token: None,
        });
    }
    let mut q = Query::kind(Kind::AssociationProposal);
    q.parent = gateway;
    q.link = associated;
    let items = list_docs::<DirectConnectGatewayAssociationProposal, serde_json::Value>(svc, &q)?
        .into_iter()
        .filter(|(rec, doc)| wanted(rec, doc))
        .map(|(rec, doc)| (rec.seq, proposal_view(&rec, &doc)))
        .collect();
    let (list, next_token) =
        paging::page_items(items, input.max_results, input.next_token.as_deref())?;
    Ok(DescribeDirectConnectGatewayAssociationProposalsResult {
        direct_connect_gateway_association_proposals: Some(list),
        next_token,
    })
}

pub(crate) fn accept_direct_connect_gateway_association_proposal(
    svc: &Emulator,
    cx: &RequestContext,
    input: AcceptDirectConnectGatewayAssociationProposalRequest,
) -> Result<AcceptDirectConnectGatewayAssociationProposalResult, ApiError> {
    let gateway_id = &input.direct_connect_gateway_id;
    let proposal_id = &input.proposal_id;
    check_gateway_id(gateway_id)?;
    let overridden = input
        .override_allowed_prefixes_to_direct_connect_gateway
        .map(|p| prefixes_of(Some(p)))
        .transpose()?;
    let _guard = svc.lock()?;
    let (gw_rec, _) = load_own_gateway(svc, cx, gateway_id)?;
    let Some((prec, mut pdoc)) = load_proposal(svc, proposal_id)?
        .filter(|(rec, _)| rec.parent.as_deref() == Some(gateway_id.as_str()))
    else {
        return Err(proposal_not_found(proposal_id));
    };
    match prec.state.as_str() {
        // AWS's text, with the empty id it interpolates.
        "accepted" => {
            return Err(ApiError::client(
                "Direct Connect Gateway Association Proposal  has been accepted!",
            ));
        }
        "deleted" => {
            return Err(ApiError::client(format!(
                "Direct Connect Gateway Association Proposal {proposal_id} has been deleted."
            )));
        }
        _ => {}
    }
    if prec.account != input.associated_gateway_owner_account {
        return Err(ApiError::client(format!(
            "The associated gateway owner account {} does not match the owner of proposal {proposal_id}.",
            input.associated_gateway_owner_account
        )));
    }
    let ag = pdoc.wire.associated_gateway.clone().unwrap_or_default();
    let target = ag
        .id
        .clone()
        .unwrap_or_else(|| prec.link.clone().unwrap_or_default());
    let ty = ag.r#type.unwrap_or(GatewayType::VirtualPrivateGateway);
    let region = ag.region.clone().unwrap_or_else(|| prec.region.clone());
    // A VGW is regional: AWS looks for it in the region of the accept call.
    if ty == GatewayType::VirtualPrivateGateway && region != cx.region {
        return Err(ApiError::client(format!(
            "The VirtualGateway {target} does not exist."
        )));
    }
    let prefixes = overridden.unwrap_or_else(|| {
        cidrs(
            pdoc.wire
                .requested_allowed_prefixes_to_direct_connect_gateway
                .as_ref(),
        )
    });
    let mut writes = Vec::new();
    let existing = live_associations(svc, Some(gateway_id), Some(&target))?
        .into_iter()
        .next();
    let association = match existing {
        // A proposal for an existing association changes its allowed prefixes.
        Some((arec, mut adoc)) => {
            let on_gateway = live_associations(svc, Some(gateway_id), None)?;
            check_prefixes(gateway_id, Some(&arec.id), ty, &prefixes, &on_gateway)?;
            adoc.wire.allowed_prefixes_to_direct_connect_gateway = Some(to_wire(&prefixes));
            adoc.wire.association_state = Some(DirectConnectGatewayAssociationState::Updating);
            adoc.x.proposal_id = Some(proposal_id.clone());
            let new = svc.record(&arec, "updating", &adoc, Some(cx.now_ms))?;
            writes.push(Write::Put(new.clone(), Expect::Version(arec.version)));
            association_view(&new, &adoc)
        }
        None => {
            check_new_association(svc, gateway_id, &target, ty, &prefixes)?;
            let associated = Associated {
                id: &target,
                ty,
                owner: &prec.account,
                region: &region,
            };
            let (rec, doc) = new_association(
                svc,
                cx,
                &gw_rec,
                &associated,
                &prefixes,
                Some(proposal_id.clone()),
            )?;
            writes.push(Write::Put(rec, Expect::Absent));
            doc.wire
        }
    };
    pdoc.wire.proposal_state = Some(DirectConnectGatewayAssociationProposalState::Accepted);
    let accepted = svc.record(&prec, "accepted", &pdoc, Some(cx.now_ms))?;
    writes.push(Write::Put(accepted, Expect::Version(prec.version)));
    svc.commit(cx, writes)?;
    Ok(AcceptDirectConnectGatewayAssociationProposalResult {
        direct_connect_gateway_association: Some(association),
    })
}

pub(crate) fn delete_direct_connect_gateway_association_proposal(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteDirectConnectGatewayAssociationProposalRequest,
) -> Result<DeleteDirectConnectGatewayAssociationProposalResult, ApiError> {
    let id = &input.proposal_id;
    let _guard = svc.lock()?;
    let Some((rec, mut doc)) =
        load_proposal(svc, id)?.filter(|(rec, doc)| proposal_visible(cx, rec, doc))
    else {
        return Err(proposal_not_found(id));
    };
    match rec.state.as_str() {
        "deleted" => {
            return Ok(DeleteDirectConnectGatewayAssociationProposalResult {
                direct_connect_gateway_association_proposal: Some(proposal_view(&rec, &doc)),
            });
        }
        "accepted" => {
            // Only pending proposals can be deleted; the text keeps "is not
            // found" so that clients cleaning up treat it as already gone.
            return Err(ApiError::client(format!(
                "Direct Connect Gateway Association Proposal {id} is not found among pending proposals: it has been accepted and can no longer be deleted."
            )));
        }
        _ => {}
    }
    doc.wire.proposal_state = Some(DirectConnectGatewayAssociationProposalState::Deleted);
    let new = svc.record(&rec, "deleted", &doc, Some(cx.now_ms))?;
    svc.commit(
        cx,
        vec![Write::Put(new.clone(), Expect::Version(rec.version))],
    )?;
    Ok(DeleteDirectConnectGatewayAssociationProposalResult {
        direct_connect_gateway_association_proposal: Some(proposal_view(&new, &doc)),
    })
}

// ---------------------------------------------------------------------------
// Attachments
// ---------------------------------------------------------------------------

/// The attachment of a VIF to its gateway, as AWS reports it.
fn attachment(rec: &Record, doc: &VifDoc, gateway_id: &str) -> DirectConnectGatewayAttachment {
    let state = match rec.state.as_str() {
        "available" | "down" | "testing" => DirectConnectGatewayAttachmentState::Attached,
        "deleting" => DirectConnectGatewayAttachmentState::Detaching,
        "deleted" | "rejected" => DirectConnectGatewayAttachmentState::Detached,
        _ => DirectConnectGatewayAttachmentState::Attaching,
    };
    let transit = doc
        .wire
        .virtual_interface_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("transit"));
    DirectConnectGatewayAttachment {
        direct_connect_gateway_id: Some(gateway_id.to_string()),
        virtual_interface_id: Some(rec.id.clone()),
        virtual_interface_region: Some(doc.wire.region.clone().unwrap_or(rec.region.clone())),
        virtual_interface_owner_account: Some(
            doc.wire
                .owner_account
                .clone()
                .unwrap_or(rec.account.clone()),
        ),
        attachment_state: Some(state),
        attachment_type: Some(if transit {
            DirectConnectGatewayAttachmentType::TransitVirtualInterface
        } else {
            DirectConnectGatewayAttachmentType::PrivateVirtualInterface
        }),
        state_change_error: None,
    }
}

pub(crate) fn describe_direct_connect_gateway_attachments(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeDirectConnectGatewayAttachmentsRequest,
) -> Result<DescribeDirectConnectGatewayAttachmentsResult, ApiError> {
    let gateway = input.direct_connect_gateway_id.as_deref();
    if let Some(id) = gateway {
        check_gateway_id(id)?;
    }
    let vifs_found: Vec<(Record, VifDoc)> = match (gateway, &input.virtual_interface_id) {
        (_, Some(vif_id)) => svc
            .load::<VirtualInterface, VifExtra>(Kind::VirtualInterface, vif_id)?
            .filter(|(rec, _)| !matches!(rec.state.as_str(), "deleted" | "rejected"))
            .into_iter()
            .collect(),
        (Some(id), None) => vifs::attached_to(svc, id)?,
        (None, None) => {
            return Err(ApiError::client(
                "Specify a directConnectGatewayId, a virtualInterfaceId or both.",
            ));
        }
    };
    // Owners of the gateways involved, looked up once each.
    let mut owners: HashMap<String, Option<String>> = HashMap::new();
    let mut items = Vec::new();
    for (rec, doc) in &vifs_found {
        let Some(gw_id) = doc
            .wire
            .direct_connect_gateway_id
            .clone()
            .filter(|g| !g.is_empty())
            .or_else(|| rec.link.clone())
        else {
            continue;
        };
        if gateway.is_some_and(|g| g != gw_id) {
            continue;
        }
        if !owners.contains_key(&gw_id) {
            let owner = svc
                .store()
                .get(Kind::Gateway, &gw_id)
                .map_err(store_error)?
                .map(|r| r.account);
            owners.insert(gw_id.clone(), owner);
        }
        let gw_owner = owners.get(&gw_id).cloned().flatten();
        if rec.account != cx.account && gw_owner.as_deref() != Some(cx.account.as_str()) {
            continue;
        }
        items.push((rec.seq, attachment(rec, doc, &gw_id)));
    }
    items.sort_by_key(|(seq, _)| *seq);
    let (list, next_token) =
        paging::page_items(items, input.max_results, input.next_token.as_deref())?;
    Ok(DescribeDirectConnectGatewayAttachmentsResult {
        direct_connect_gateway_attachments: Some(list),
        next_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_cidrs() {
        assert!(is_uuid("5f294f92-bafb-4011-916d-9b0bd0000000"));
        assert!(!is_uuid("dxcon-myid"));
        assert!(!is_uuid("5f294f92bafb-4011-916d-9b0bd00000000"));
        assert!(parse_cidr("10.0.0.0/8").is_some());
        assert!(parse_cidr("2001:db8::/32").is_some());
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0/8",
            "10.0.0.0/+8",
            "::/129",
        ] {
            assert!(parse_cidr(bad).is_none(), "{bad}");
        }
        let c = |s| parse_cidr(s).unwrap();
        assert!(overlaps(c("10.0.0.0/8"), c("10.1.2.0/24")));
        assert!(overlaps(c("0.0.0.0/0"), c("192.168.0.0/16")));
        assert!(!overlaps(c("10.0.0.0/16"), c("10.1.0.0/16")));
        assert!(overlaps(c("2001:db8::/32"), c("2001:db8:1::/48")));
        assert!(!overlaps(c("10.0.0.0/8"), c("::/0")));
    }

    #[test]
    fn prefix_changes_keep_order() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            changed(&s(&["a", "b"]), &s(&["c", "a"]), &s(&["b"])),
            s(&["a", "c"])
        );
    }

    #[test]
    fn pages_by_seq() {
        let items: Vec<(i64, i64)> = (1..=5).map(|n| (n * 10, n)).collect();
        let (first, token) = paging::page_items(items.clone(), Some(2), None).unwrap();
        assert_eq!(first, [1, 2]);
        let (rest, token) = paging::page_items(items.clone(), Some(3), token.as_deref()).unwrap();
        assert_eq!(rest, [3, 4, 5]);
        assert!(token.is_none());
        let (all, token) = paging::page_items(items, None, None).unwrap();
        assert_eq!((all.len(), token), (5, None));
        assert!(paging::page_items(Vec::<(i64, i64)>::new(), Some(0), None).is_err());
    }
}
