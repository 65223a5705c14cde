//! Virtual interfaces, BGP peers, router configurations, failover tests and
//! the virtual private gateways VIFs and associations name.

use super::capacity::{self, Parent};
use super::{Doc, Emulator, addressing, decode_doc, ids, new_record, store_error};
use crate::api::generated::types::*;
use crate::api::{ApiError, RequestContext};
use crate::store::{Expect, Kind, Query, Record, Write};
use serde::{Deserialize, Serialize};

/// What the emulator keeps about a VIF besides its wire form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct VifExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    /// For a hosted VIF: the account that allocated it (owner of the connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocated_by: Option<String>,
    /// The state to return to when a failover test ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_test: Option<String>,
    /// Its routes' dates and what the customer's router advertises.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<super::routes::VifRoutes>,
    /// Taken down because its connection, LAG or interconnect went down: it
    /// comes back when the port does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub down_with_port: bool,
}

/// A stored VIF. Its record: kind `VirtualInterface`, account = VIF owner,
/// parent = connection or LAG id, link = Direct Connect gateway id (if any).
pub(crate) type VifDoc = Doc<VirtualInterface, VifExtra>;

/// The live VIFs attached to a Direct Connect gateway.
pub(crate) fn attached_to(
    svc: &Emulator,
    gateway_id: &str,
) -> Result<Vec<(Record, VifDoc)>, ApiError> {
    let mut q = Query::kind(Kind::VirtualInterface);
    q.link = Some(gateway_id);
    q.exclude_states = &["deleted", "rejected"];
    svc.store()
        .list(&q)
        .map_err(store_error)?
        .into_iter()
        .map(|r| decode_doc(&r).map(|d| (r, d)))
        .collect()
}

/// `vgw-` and 8 or 17 hex digits, as EC2 makes them.
pub(crate) fn is_vgw_id(id: &str) -> bool {
    hex_id(id, "vgw-", &[8, 17])
}

/// `tgw-` and 17 hex digits.
pub(crate) fn is_tgw_id(id: &str) -> bool {
    hex_id(id, "tgw-", &[17])
}

fn hex_id(id: &str, prefix: &str, lens: &[usize]) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        lens.contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

/// Remembers a VGW an account named, so DescribeVirtualGateways lists it.
/// Returns the write to add to the caller's batch when the VGW is new.
pub(crate) fn note_virtual_gateway(
    svc: &Emulator,
    account: &str,
    region: &str,
    vgw_id: &str,
) -> Result<Option<Write>, ApiError> {
    let key = format!("{account}/{region}/{vgw_id}");
    if svc
        .store()
        .get(Kind::VirtualGateway, &key)
        .map_err(store_error)?
        .is_some()
    {
        return Ok(None);
    }
    let cx = RequestContext {
        request_id: String::new(),
        account: account.to_string(),
        region: region.to_string(),
        now_ms: 0,
    };
    let doc = Doc {
        wire: VirtualGateway {
            virtual_gateway_id: Some(vgw_id.to_string()),
            virtual_gateway_state: Some("available".into()),
        },
        x: serde_json::Value::Null,
    };
    let rec = svc.record(
        &new_record(Kind::VirtualGateway, &key, &cx),
        "available",
        &doc,
        None,
    )?;
    Ok(Some(Write::Put(rec, Expect::Absent)))
}

/// The three kinds of VIF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VifType {
    Private,
    Public,
    Transit,
}

impl VifType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            VifType::Private => "private",
            VifType::Public => "public",
            VifType::Transit => "transit",
        }
    }

    pub(crate) fn of(vif: &VirtualInterface) -> VifType {
        match vif.virtual_interface_type.as_deref() {
            Some("public") => VifType::Public,
            Some("transit") => VifType::Transit,
            _ => VifType::Private,
        }
    }

    /// The MTUs a VIF of this type accepts.
    fn mtus(self) -> &'static [i32] {
        match self {
            VifType::Private => &[1500, 9001],
            VifType::Transit => &[1500, 8500],
            VifType::Public => &[1500],
        }
    }
}

/// The fields every Create*/Allocate* input shares.
#[derive(Debug, Default)]
struct Spec {
    name: Option<String>,
    vlan: Option<i32>,
    asn: Option<i32>,
    asn_long: Option<i64>,
    mtu: Option<i32>,
    auth_key: Option<String>,
    amazon_address: Option<String>,
    customer_address: Option<String>,
    address_family: Option<AddressFamily>,
    virtual_gateway_id: Option<String>,
    direct_connect_gateway_id: Option<String>,
    route_filter_prefixes: Option<Vec<RouteFilterPrefix>>,
    tags: Option<Vec<Tag>>,
    enable_site_link: Option<bool>,
    prefix_v4: Option<i32>,
    prefix_v6: Option<i32>,
    rate_limit: Option<String>,
}

/// The connection or LAG a VIF runs on.
struct Port {
    id: String,
    location: Option<String>,
    device: Option<String>,
    logical: Option<String>,
    jumbo: bool,
    hosted: bool,
    is_lag: bool,
}

fn unavailable(id: &str, state: &str) -> ApiError {
    ApiError::client(format!(
        "The specified Connection ID is not available: {id} is in state {state}."
    ))
}

/// Loads the connection or LAG `id` of the caller, in a state that can carry VIFs.
fn load_port(svc: &Emulator, cx: &RequestContext, id: &str) -> Result<Port, ApiError> {
    if id.starts_with("dxlag-") {
        let (rec, doc) = super::lags::load_own(svc, cx, id)?;
        let lag = super::lags::view(svc, &rec, &doc)?;
        let state = lag.lag_state.map(|s| s.as_str()).unwrap_or("unknown");
        if !matches!(state, "available" | "down" | "pending") {
            return Err(unavailable(id, state));
        }
        return Ok(Port {
            id: id.to_string(),
            location: lag.location,
            device: lag.aws_device_v2,
            logical: lag.aws_logical_device_id,
            jumbo: lag.jumbo_frame_capable.unwrap_or(false),
            hosted: false,
            is_lag: true,
        });
    }
    let (rec, doc) = super::connections::load_own(svc, cx, id)?;
    if !matches!(rec.state.as_str(), "available" | "down" | "pending") {
        return Err(unavailable(id, &rec.state));
    }
    Ok(Port {
        id: id.to_string(),
        location: doc.wire.location,
        device: doc.wire.aws_device_v2,
        logical: doc.wire.aws_logical_device_id,
        jumbo: doc.wire.jumbo_frame_capable.unwrap_or(false),
        hosted: doc.x.hosted.is_some(),
        is_lag: false,
    })
}

/// The live VIFs on a connection or LAG.
pub(crate) fn vifs_on(svc: &Emulator, parent: &str) -> Result<Vec<(Record, VifDoc)>, ApiError> {
    let mut q = Query::kind(Kind::VirtualInterface);
    q.parent = Some(parent);
    q.exclude_states = &["deleted", "rejected"];
    svc.store()
        .list(&q)
        .map_err(store_error)?
        .into_iter()
        .map(|r| decode_doc(&r).map(|d| (r, d)))
        .collect()
}

/// Checks a VIF's VLAN and the VIF quotas of `port`, whose live VIFs are `on_port`.
fn check_vlan_and_quota(
    on_port: &[(Record, VifDoc)],
    port: &Port,
    ty: VifType,
    vlan: i32,
    except: Option<&str>,
) -> Result<(), ApiError> {
    if !(1..=4094).contains(&vlan) {
        return Err(ApiError::client(format!(
            "VLAN {vlan} is out of range: it must be between 1 and 4094."
        )));
    }
    let existing: Vec<_> = on_port
        .iter()
        .filter(|(r, _)| Some(r.id.as_str()) != except)
        .collect();
    if existing.iter().any(|(_, d)| d.wire.vlan == Some(vlan)) {
        return Err(ApiError::client(format!(
            "VLAN {vlan} is already in use on {}.",
            port.id
        )));
    }
    let transit = existing
        .iter()
        .filter(|(_, d)| VifType::of(&d.wire) == VifType::Transit)
        .count();
    let (limit, count, what) = if port.hosted {
        (
            1,
            existing.len(),
            "virtual interfaces on a hosted connection",
        )
    } else if port.is_lag {
        (50, existing.len(), "virtual interfaces on a LAG")
    } else if ty == VifType::Transit {
        (4, transit, "transit virtual interfaces on a connection")
    } else {
        (
            50,
            existing.len() - transit,
            "private and public virtual interfaces on a connection",
        )
    };
    if count >= limit {
        return Err(ApiError::client(format!(
            "Virtual interface limit exceeded: at most {limit} {what} ({}).",
            port.id
        )));
    }
    Ok(())
}

/// The ASN pair the wire shows: `asnLong` wins; `asn` is 0 when the value does not fit.
fn resolve_asn(asn: Option<i32>, asn_long: Option<i64>) -> Result<(i32, i64), ApiError> {
    match (asn, asn_long) {
        (_, Some(long)) => {
            if !(1..=4_294_967_294).contains(&long) {
                return Err(ApiError::client(format!(
                    "asnLong {long} is out of range: it must be between 1 and 4294967294."
                )));
            }
            Ok((i32::try_from(long).unwrap_or(0), long))
        }
        (Some(a), None) => {
            if !(1..=2_147_483_646).contains(&a) {
                return Err(ApiError::client(format!(
                    "asn {a} is out of range: it must be between 1 and 2147483646."
                )));
            }
            Ok((a, i64::from(a)))
        }
        (None, None) => Err(ApiError::client("Either asn or asnLong must be specified.")),
    }
}

/// A BGP authentication key: the given one (6 to 80 characters) or a generated one.
pub(crate) fn resolve_auth_key(key: Option<String>) -> Result<String, ApiError> {
    match key {
        Some(k) if (6..=80).contains(&k.chars().count()) => Ok(k),
        Some(k) => Err(ApiError::client(format!(
            "authKey must be between 6 and 80 characters long, got {}.",
            k.chars().count()
        ))),
        None => Ok(format!("0x{}", ids::auth_key_suffix(22))),
    }
}

/// The peer addresses of a new BGP session (given, or assigned by AWS).
pub(crate) fn resolve_addresses(
    ty: VifType,
    family: AddressFamily,
    amazon: Option<String>,
    customer: Option<String>,
) -> Result<(String, String), ApiError> {
    match (family, amazon, customer) {
        (AddressFamily::Ipv4, Some(a), Some(c)) => {
            addressing::check_ipv4_pair(&a, &c, ty == VifType::Public)?;
            Ok((a, c))
        }
        (AddressFamily::Ipv4, None, None) if ty != VifType::Public => {
            Ok(addressing::link_local_pair())
        }
        (AddressFamily::Ipv4, _, _) if ty == VifType::Public => Err(ApiError::client(
            "A public virtual interface needs both amazonAddress and customerAddress (public IPv4 addresses you own).",
        )),
        (AddressFamily::Ipv4, _, _) => Err(ApiError::client(
            "Specify both amazonAddress and customerAddress, or neither to have AWS assign them.",
        )),
        (AddressFamily::Ipv6, None, None) => Ok(addressing::ipv6_pair()),
        (AddressFamily::Ipv6, _, _) => Err(ApiError::client(
            "IPv6 peer addresses are assigned by AWS: omit amazonAddress and customerAddress.",
        )),
    }
}

/// What a VIF attaches to: a VGW id, or a Direct Connect gateway id and its ASN.
type Attachment = (Option<String>, Option<(String, i64)>);

/// What the VIF attaches to, checked: a VGW, a Direct Connect gateway of the owner, or nothing.
fn resolve_gateways(
    svc: &Emulator,
    owner: &str,
    ty: VifType,
    vgw: Option<String>,
    dxgw: Option<String>,
) -> Result<Attachment, ApiError> {
    let vgw = vgw.filter(|v| !v.is_empty());
    let dxgw = dxgw.filter(|v| !v.is_empty());
    match ty {
        VifType::Public => {
            if vgw.is_some() || dxgw.is_some() {
                return Err(ApiError::client(
                    "A public virtual interface cannot attach to a virtual private gateway or a Direct Connect gateway.",
                ));
            }
            return Ok((None, None));
        }
        VifType::Private if vgw.is_some() == dxgw.is_some() => {
            return Err(ApiError::client(
                "Specify exactly one of virtualGatewayId and directConnectGatewayId.",
            ));
        }
        VifType::Transit if dxgw.is_none() => {
            return Err(ApiError::client(
                "A transit virtual interface needs a directConnectGatewayId.",
            ));
        }
        VifType::Transit if vgw.is_some() => {
            return Err(ApiError::client(
                "A transit virtual interface attaches to a Direct Connect gateway, not a virtual private gateway.",
            ));
        }
        _ => {}
    }
    if let Some(v) = &vgw
        && !is_vgw_id(v)
    {
        return Err(ApiError::client(format!(
            "VirtualGatewayID {v} has an invalid format."
        )));
    }
    let gateway = match dxgw {
        Some(id) => {
            let found =
                super::gateways::load_gateway(svc, &id)?.filter(|(rec, _)| rec.account == owner);
            let Some((_, doc)) = found else {
                return Err(ApiError::client(format!(
                    "Direct Connect Gateway {id} does not exist."
                )));
            };
            let attached = attached_to(svc, &id)?.len();
            if attached >= 30 {
                return Err(ApiError::client(format!(
                    "Direct Connect Gateway {id} already has {attached} virtual interfaces (limit 30)."
                )));
            }
            Some((id, doc.wire.amazon_side_asn.unwrap_or(64512)))
        }
        None => None,
    };
    Ok((vgw, gateway))
}

/// Builds, stores and returns a new VIF.
fn create_vif(
    svc: &Emulator,
    cx: &RequestContext,
    ty: VifType,
    connection_id: &str,
    owner: &str,
    spec: Spec,
    allocated: bool,
) -> Result<VirtualInterface, ApiError> {
    let name = spec
        .name
        .clone()
        .ok_or_else(|| ApiError::client("virtualInterfaceName must be specified."))?;
    let vlan = spec
        .vlan
        .ok_or_else(|| ApiError::client("vlan must be specified."))?;
    let (asn, asn_long) = resolve_asn(spec.asn, spec.asn_long)?;
    let family = spec.address_family.unwrap_or(AddressFamily::Ipv4);
    let mtu = spec.mtu.unwrap_or(1500);
    if !ty.mtus().contains(&mtu) {
        return Err(ApiError::client(format!(
            "mtu {mtu} is not valid for a {} virtual interface. Valid values: {:?}.",
            ty.as_str(),
            ty.mtus()
        )));
    }
    let tags = super::tags::validate_new(spec.tags.clone().unwrap_or_default())?;
    let auth_key = resolve_auth_key(spec.auth_key.clone())?;
    let (amazon, customer) = resolve_addresses(
        ty,
        family,
        spec.amazon_address.clone(),
        spec.customer_address.clone(),
    )?;
    let prefixes = spec.route_filter_prefixes.clone().unwrap_or_default();
    if ty == VifType::Public && family == AddressFamily::Ipv4 && prefixes.is_empty() {
        return Err(ApiError::client(
            "A public virtual interface needs at least one routeFilterPrefixes entry.",
        ));
    }
    if !allocated && !crate::api::is_account_id(owner) {
        return Err(ApiError::client(format!(
            "ownerAccount {owner} is not valid."
        )));
    }
    // Private and transit VIFs take prefixes from their port's pool (the
    // Allocate* inputs have no field: the default); public VIFs do not.
    let prefixes_held = if ty == VifType::Public {
        None
    } else {
        let max = svc.settings().max_prefix_allocation;
        let v4 = spec.prefix_v4.unwrap_or(capacity::DEFAULT_ALLOCATION);
        let v6 = spec.prefix_v6.unwrap_or(capacity::DEFAULT_ALLOCATION);
        capacity::check_allocation("prefixPoolAllocatedCountIpv4", v4, max)?;
        capacity::check_allocation("prefixPoolAllocatedCountIpv6", v6, max)?;
        Some((v4, v6))
    };
    let rate_limit = spec
        .rate_limit
        .clone()
        .filter(|r| !capacity::clears_rate_limit(r));
    if let Some(limit) = &rate_limit {
        capacity::check_rate_value(limit)?;
    }
    let _guard = svc.lock()?;
    let port = load_port(svc, cx, connection_id)?;
    // AWS's text (terraform-provider-aws#5726): the port's owner allocated to itself.
    if allocated && owner == cx.account {
        return Err(ApiError::client(
            "Cannot allocate VirtualInterface for the connection owner.",
        ));
    }
    if mtu > 1500 && !port.jumbo {
        return Err(ApiError::client(format!(
            "{connection_id} does not support jumbo frames; mtu must be 1500."
        )));
    }
    let parent = Parent::load(svc, &port.id)?;
    check_vlan_and_quota(&parent.vifs, &port, ty, vlan, None)?;
    if let Some((v4, v6)) = prefixes_held {
        parent.check_pool(i64::from(v4), i64::from(v6), None)?;
    }
    if let Some(limit) = &rate_limit {
        parent.check_rate(svc.settings().max_rate_limited_vifs, limit, None, true)?;
    }
    let (vgw, dxgw) = if allocated {
        (None, None)
    } else {
        resolve_gateways(
            svc,
            owner,
            ty,
            spec.virtual_gateway_id.clone(),
            spec.direct_connect_gateway_id.clone(),
        )?
    };
    if let (Some((gateway, _)), Some((v4, v6))) = (&dxgw, prefixes_held) {
        capacity::check_gateway(svc, gateway, i64::from(v4) + i64::from(v6), None)?;
    }
    let site_link = spec.enable_site_link.unwrap_or(false);
    if site_link && dxgw.is_none() && !allocated {
        return Err(ApiError::client(
            "SiteLink can only be enabled on a virtual interface attached to a Direct Connect gateway.",
        ));
    }
    let amazon_side_asn = match (&dxgw, ty) {
        (Some((_, asn)), _) => *asn,
        (None, VifType::Public) => PUBLIC_AMAZON_ASN,
        (None, _) => DEFAULT_VGW_ASN,
    };
    let id = super::connections::fresh_id(svc, "dxvif")?;
    let state = if allocated {
        "confirming"
    } else if ty == VifType::Public {
        "verifying"
    } else {
        "pending"
    };
    let peer = BGPPeer {
        bgp_peer_id: Some(ids::resource_id("dxpeer")),
        asn: Some(asn),
        asn_long: Some(asn_long),
        auth_key: Some(auth_key.clone()),
        address_family: Some(family),
        amazon_address: Some(amazon.clone()),
        customer_address: Some(customer.clone()),
        bgp_peer_state: Some(if ty == VifType::Public {
            BGPPeerState::Verifying
        } else {
            BGPPeerState::Pending
        }),
        bgp_status: Some(BGPStatus::Down),
        aws_device_v2: port.device.clone(),
        aws_logical_device_id: port.logical.clone(),
    };
    let mut wire = VirtualInterface {
        owner_account: Some(owner.to_string()),
        virtual_interface_id: Some(id.clone()),
        location: port.location.clone(),
        connection_id: Some(connection_id.to_string()),
        virtual_interface_type: Some(ty.as_str().to_string()),
        virtual_interface_name: Some(name),
        vlan: Some(vlan),
        asn: Some(asn),
        asn_long: Some(asn_long),
        amazon_side_asn: Some(amazon_side_asn),
        auth_key: Some(auth_key),
        amazon_address: Some(amazon),
        customer_address: Some(customer),
        address_family: Some(family),
        virtual_interface_state: VirtualInterfaceState::from_wire(state),
        customer_router_config: None,
        mtu: Some(mtu),
        jumbo_frame_capable: Some(port.jumbo),
        virtual_gateway_id: Some(vgw.clone().unwrap_or_default()),
        direct_connect_gateway_id: Some(dxgw.as_ref().map(|(g, _)| g.clone()).unwrap_or_default()),
        route_filter_prefixes: Some(prefixes),
        bgp_peers: Some(vec![peer]),
        region: Some(cx.region.clone()),
        aws_device_v2: port.device.clone(),
        aws_logical_device_id: port.logical.clone(),
        tags: Some(tags),
        site_link_enabled: Some(site_link),
        prefix_pool_allocated_count_ipv4: prefixes_held.map(|(v4, _)| v4),
        prefix_pool_allocated_count_ipv6: prefixes_held.map(|(_, v6)| v6),
        rate_limit,
    };
    wire.customer_router_config = Some(super::router::generic_xml(&wire));
    let doc = VifDoc {
        wire,
        x: VifExtra {
            allocated_by: allocated.then(|| cx.account.clone()),
            routes: Some(super::routes::VifRoutes::created(cx.now_ms)),
            ..Default::default()
        },
    };
    let mut base = new_record(Kind::VirtualInterface, &id, cx);
    base.account = owner.to_string();
    base.parent = Some(connection_id.to_string());
    base.location = port.location;
    base.link = dxgw.map(|(g, _)| g);
    let mut writes = vec![Write::Put(
        svc.record(&base, state, &doc, Some(cx.now_ms))?,
        Expect::Absent,
    )];
    if let Some(v) = vgw
        && let Some(w) = note_virtual_gateway(svc, owner, &cx.region, &v)?
    {
        writes.push(w);
    }
    svc.commit(cx, writes)?;
    Ok(doc.wire)
}

/// Amazon's ASN on public VIFs [I: 16509, Amazon's public ASN].
const PUBLIC_AMAZON_ASN: i64 = 16509;
/// Amazon's side of a VGW whose ASN nobody told dxemu: the VGW default.
const DEFAULT_VGW_ASN: i64 = 64512;

macro_rules! spec {
    ($n:expr, gateways) => {
        Spec {
            virtual_gateway_id: $n.virtual_gateway_id,
            direct_connect_gateway_id: $n.direct_connect_gateway_id,
            enable_site_link: $n.enable_site_link,
            prefix_v4: $n.prefix_pool_allocated_count_ipv4,
            prefix_v6: $n.prefix_pool_allocated_count_ipv6,
            ..spec!($n, mtu)
        }
    };
    // Transit shapes leave name and VLAN optional in the model.
    ($n:expr, transit) => {
        Spec {
            direct_connect_gateway_id: $n.direct_connect_gateway_id,
            enable_site_link: $n.enable_site_link,
            prefix_v4: $n.prefix_pool_allocated_count_ipv4,
            prefix_v6: $n.prefix_pool_allocated_count_ipv6,
            ..spec!($n, transit_allocation)
        }
    };
    ($n:expr, transit_allocation) => {
        Spec {
            name: $n.virtual_interface_name,
            vlan: $n.vlan,
            asn: $n.asn,
            asn_long: $n.asn_long,
            mtu: $n.mtu,
            auth_key: $n.auth_key,
            amazon_address: $n.amazon_address,
            customer_address: $n.customer_address,
            address_family: $n.address_family,
            tags: $n.tags,
            rate_limit: $n.rate_limit,
            ..Default::default()
        }
    };
    ($n:expr, public) => {
        Spec {
            route_filter_prefixes: $n.route_filter_prefixes,
            ..spec!($n, base)
        }
    };
    ($n:expr, mtu) => {
        Spec {
            mtu: $n.mtu,
            ..spec!($n, base)
        }
    };
    ($n:expr, base) => {
        Spec {
            name: Some($n.virtual_interface_name.clone()).filter(|s| !s.is_empty()),
            vlan: Some($n.vlan),
            asn: $n.asn,
            asn_long: $n.asn_long,
            auth_key: $n.auth_key,
            amazon_address: $n.amazon_address,
            customer_address: $n.customer_address,
            address_family: $n.address_family,
            tags: $n.tags,
            rate_limit: $n.rate_limit,
            ..Default::default()
        }
    };
}

pub(crate) fn create_private_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreatePrivateVirtualInterfaceRequest,
) -> Result<VirtualInterface, ApiError> {
    let n = input.new_private_virtual_interface;
    let owner = cx.account.clone();
    create_vif(
        svc,
        cx,
        VifType::Private,
        &input.connection_id,
        &owner,
        spec!(n, gateways),
        false,
    )
}

pub(crate) fn create_public_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreatePublicVirtualInterfaceRequest,
) -> Result<VirtualInterface, ApiError> {
    let n = input.new_public_virtual_interface;
    let owner = cx.account.clone();
    create_vif(
        svc,
        cx,
        VifType::Public,
        &input.connection_id,
        &owner,
        spec!(n, public),
        false,
    )
}

pub(crate) fn create_transit_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateTransitVirtualInterfaceRequest,
) -> Result<CreateTransitVirtualInterfaceResult, ApiError> {
    let n = input.new_transit_virtual_interface;
    let spec = spec!(n, transit);
    let owner = cx.account.clone();
    let vif = create_vif(
        svc,
        cx,
        VifType::Transit,
        &input.connection_id,
        &owner,
        spec,
        false,
    )?;
    Ok(CreateTransitVirtualInterfaceResult {
        virtual_interface: Some(vif),
    })
}

pub(crate) fn allocate_private_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: AllocatePrivateVirtualInterfaceRequest,
) -> Result<VirtualInterface, ApiError> {
    let n = input.new_private_virtual_interface_allocation;
    create_vif(
        svc,
        cx,
        VifType::Private,
        &input.connection_id,
        &input.owner_account,
        spec!(n, mtu),
        true,
    )
}

pub(crate) fn allocate_public_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: AllocatePublicVirtualInterfaceRequest,
) -> Result<VirtualInterface, ApiError> {
    let n = input.new_public_virtual_interface_allocation;
    create_vif(
        svc,
        cx,
        VifType::Public,
        &input.connection_id,
        &input.owner_account,
        spec!(n, public),
        true,
    )
}

pub(crate) fn allocate_transit_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: AllocateTransitVirtualInterfaceRequest,
) -> Result<AllocateTransitVirtualInterfaceResult, ApiError> {
    let n = input.new_transit_virtual_interface_allocation;
    let spec = spec!(n, transit_allocation);
    let vif = create_vif(
        svc,
        cx,
        VifType::Transit,
        &input.connection_id,
        &input.owner_account,
        spec,
        true,
    )?;
    Ok(AllocateTransitVirtualInterfaceResult {
        virtual_interface: Some(vif),
    })
}

fn vif_missing(id: &str) -> ApiError {
    ids::IdKind::VirtualInterface.missing(id, |id| {
        ApiError::client(format!("Virtual interface {id} does not exist"))
    })
}

/// Loads a VIF its owner (or, when `allocator_too`, the account that allocated it) may act on.
pub(crate) fn load_vif(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
    allocator_too: bool,
) -> Result<(Record, VifDoc), ApiError> {
    match svc.load::<VirtualInterface, VifExtra>(Kind::VirtualInterface, id)? {
        Some((rec, doc))
            if rec.region == cx.region
                && (rec.account == cx.account
                    || (allocator_too
                        && doc.x.allocated_by.as_deref() == Some(cx.account.as_str()))) =>
        {
            Ok((rec, doc))
        }
        _ => Err(vif_missing(id)),
    }
}

fn confirm(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
    ty: VifType,
    vgw: Option<String>,
    dxgw: Option<String>,
) -> Result<VirtualInterfaceState, ApiError> {
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_vif(svc, cx, id, false)?;
    if VifType::of(&doc.wire) != ty {
        return Err(ApiError::client(format!(
            "Virtual interface {id} is a {} virtual interface, not {}.",
            VifType::of(&doc.wire).as_str(),
            ty.as_str()
        )));
    }
    if rec.state != "confirming" {
        return Err(ApiError::client(format!(
            "Virtual interface {id} is in state {} and cannot be confirmed.",
            rec.state
        )));
    }
    let (vgw, gateway) = resolve_gateways(svc, &cx.account, ty, vgw, dxgw)?;
    if let Some((gateway, _)) = &gateway {
        let (v4, v6) = capacity::allocation(&doc.wire);
        capacity::check_gateway(svc, gateway, v4 + v6, Some(id))?;
    }
    let state = if ty == VifType::Public {
        "verifying"
    } else {
        "pending"
    };
    doc.wire.virtual_gateway_id = Some(vgw.clone().unwrap_or_default());
    doc.wire.direct_connect_gateway_id =
        Some(gateway.as_ref().map(|(g, _)| g.clone()).unwrap_or_default());
    if let Some((_, asn)) = &gateway {
        doc.wire.amazon_side_asn = Some(*asn);
    }
    doc.wire.virtual_interface_state = VirtualInterfaceState::from_wire(state);
    doc.wire.customer_router_config = Some(super::router::generic_xml(&doc.wire));
    let mut next = rec.clone();
    next.link = gateway.map(|(g, _)| g);
    let mut writes = vec![Write::Put(
        svc.record(&next, state, &doc, Some(cx.now_ms))?,
        Expect::Version(rec.version),
    )];
    if let Some(v) = vgw
        && let Some(w) = note_virtual_gateway(svc, &cx.account, &cx.region, &v)?
    {
        writes.push(w);
    }
    svc.commit(cx, writes)?;
    Ok(VirtualInterfaceState::from_wire(state).unwrap_or(VirtualInterfaceState::Pending))
}

pub(crate) fn confirm_private_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: ConfirmPrivateVirtualInterfaceRequest,
) -> Result<ConfirmPrivateVirtualInterfaceResponse, ApiError> {
    let state = confirm(
        svc,
        cx,
        &input.virtual_interface_id,
        VifType::Private,
        input.virtual_gateway_id,
        input.direct_connect_gateway_id,
    )?;
    Ok(ConfirmPrivateVirtualInterfaceResponse {
        virtual_interface_state: Some(state),
    })
}

pub(crate) fn confirm_public_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: ConfirmPublicVirtualInterfaceRequest,
) -> Result<ConfirmPublicVirtualInterfaceResponse, ApiError> {
    let state = confirm(
        svc,
        cx,
        &input.virtual_interface_id,
        VifType::Public,
        None,
        None,
    )?;
    Ok(ConfirmPublicVirtualInterfaceResponse {
        virtual_interface_state: Some(state),
    })
}

pub(crate) fn confirm_transit_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: ConfirmTransitVirtualInterfaceRequest,
) -> Result<ConfirmTransitVirtualInterfaceResponse, ApiError> {
    let state = confirm(
        svc,
        cx,
        &input.virtual_interface_id,
        VifType::Transit,
        None,
        Some(input.direct_connect_gateway_id),
    )?;
    Ok(ConfirmTransitVirtualInterfaceResponse {
        virtual_interface_state: Some(state),
    })
}

pub(crate) fn delete_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteVirtualInterfaceRequest,
) -> Result<DeleteVirtualInterfaceResponse, ApiError> {
    let id = &input.virtual_interface_id;
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_vif(svc, cx, id, true)?;
    if matches!(rec.state.as_str(), "deleting" | "deleted" | "rejected") {
        return Ok(DeleteVirtualInterfaceResponse {
            virtual_interface_state: VirtualInterfaceState::from_wire(&rec.state),
        });
    }
    // The owner deleting a VIF it never confirmed declines it.
    let state = if rec.state == "confirming" && rec.account == cx.account {
        "rejected"
    } else {
        "deleting"
    };
    doc.wire.virtual_interface_state = VirtualInterfaceState::from_wire(state);
    doc.x.deleted_at = Some(cx.now_ms);
    let new = svc.record(&rec, state, &doc, Some(cx.now_ms))?;
    svc.commit(cx, vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(DeleteVirtualInterfaceResponse {
        virtual_interface_state: VirtualInterfaceState::from_wire(state),
    })
}

pub(crate) fn describe_virtual_interfaces(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeVirtualInterfacesRequest,
) -> Result<VirtualInterfaces, ApiError> {
    let visible = |rec: &Record, doc: &VifDoc| {
        rec.region == cx.region
            && (rec.account == cx.account
                || doc.x.allocated_by.as_deref() == Some(cx.account.as_str()))
    };
    if let Some(id) = &input.virtual_interface_id {
        // Terraform reads with an id and expects an empty list, not an error, when it is gone.
        let found = svc
            .load::<VirtualInterface, VifExtra>(Kind::VirtualInterface, id)?
            .filter(|(r, d)| visible(r, d))
            .filter(|(_, d)| {
                input.connection_id.is_none() || d.wire.connection_id == input.connection_id
            })
            .map(|(_, d)| capacity::with_allocation(d.wire));
        return Ok(VirtualInterfaces {
            virtual_interfaces: Some(found.into_iter().collect()),
            next_token: None,
        });
    }
    let mut q = Query::kind(Kind::VirtualInterface);
    match &input.connection_id {
        Some(conn) => q.parent = Some(conn),
        None => {
            q.account = Some(&cx.account);
            q.region = Some(&cx.region);
        }
    }
    let (recs, next_token) =
        super::paging::page(svc, q, input.max_results, input.next_token.as_deref())?;
    let mut out = Vec::new();
    for r in &recs {
        let d: VifDoc = decode_doc(r)?;
        if visible(r, &d) {
            out.push(capacity::with_allocation(d.wire));
        }
    }
    Ok(VirtualInterfaces {
        virtual_interfaces: Some(out),
        next_token,
    })
}

/// Refuses changes to a VIF that is being deleted, deleted or rejected.
fn require_live(id: &str, state: &str) -> Result<(), ApiError> {
    if matches!(state, "deleting" | "deleted" | "rejected") {
        return Err(ApiError::client(format!(
            "Virtual interface {id} is in state {state}."
        )));
    }
    Ok(())
}

pub(crate) fn associate_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: AssociateVirtualInterfaceRequest,
) -> Result<VirtualInterface, ApiError> {
    let id = &input.virtual_interface_id;
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_vif(svc, cx, id, true)?;
    require_live(id, &rec.state)?;
    let target = load_port(svc, cx, &input.connection_id)?;
    let current = doc.wire.connection_id.clone().unwrap_or_default();
    if current == target.id {
        return Ok(doc.wire);
    }
    if target.location != doc.wire.location {
        return Err(ApiError::client(format!(
            "{} is not at the location of virtual interface {id}.",
            target.id
        )));
    }
    let from_hosted = super::connections::load_owned_or_hosted(svc, cx, &current)
        .map(|(_, d)| d.x.hosted.is_some())
        .unwrap_or(false);
    if from_hosted && target.is_lag {
        return Err(ApiError::client(format!(
            "Virtual interface {id} is on a hosted connection and cannot move to a LAG."
        )));
    }
    let ty = VifType::of(&doc.wire);
    let parent = Parent::load(svc, &target.id)?;
    check_vlan_and_quota(
        &parent.vifs,
        &target,
        ty,
        doc.wire.vlan.unwrap_or(0),
        Some(id),
    )?;
    // The VIF takes its prefixes and its rate limiter with it.
    let (v4, v6) = capacity::allocation(&doc.wire);
    parent.check_pool(v4, v6, Some(id))?;
    if let Some(limit) = doc.wire.rate_limit.clone() {
        // AssociateVirtualInterface models no LimitExceededException.
        parent.check_rate(
            svc.settings().max_rate_limited_vifs,
            &limit,
            Some(id),
            false,
        )?;
    }
    doc.wire.connection_id = Some(target.id.clone());
    doc.wire.aws_device_v2 = target.device.clone();
    doc.wire.aws_logical_device_id = target.logical.clone();
    doc.wire.virtual_interface_state = Some(VirtualInterfaceState::Pending);
    for peer in doc.wire.bgp_peers.iter_mut().flatten() {
        peer.bgp_peer_state = Some(BGPPeerState::Pending);
        peer.bgp_status = Some(BGPStatus::Down);
        peer.aws_device_v2 = target.device.clone();
        peer.aws_logical_device_id = target.logical.clone();
    }
    let mut moved = rec.clone();
    moved.parent = Some(target.id);
    let new = svc.record(&moved, "pending", &doc, Some(cx.now_ms))?;
    svc.commit(cx, vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(doc.wire)
}

pub(crate) fn update_virtual_interface_attributes(
    svc: &Emulator,
    cx: &RequestContext,
    input: UpdateVirtualInterfaceAttributesRequest,
) -> Result<VirtualInterface, ApiError> {
    let id = &input.virtual_interface_id;
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_vif(svc, cx, id, false)?;
    require_live(id, &rec.state)?;
    let ty = VifType::of(&doc.wire);
    if let Some(mtu) = input.mtu {
        if !ty.mtus().contains(&mtu) {
            return Err(ApiError::client(format!(
                "mtu {mtu} is not valid for a {} virtual interface. Valid values: {:?}.",
                ty.as_str(),
                ty.mtus()
            )));
        }
        if mtu > 1500 && doc.wire.jumbo_frame_capable != Some(true) {
            return Err(ApiError::client(format!(
                "The connection of {id} does not support jumbo frames; mtu must be 1500."
            )));
        }
        doc.wire.mtu = Some(mtu);
    }
    if let Some(site_link) = input.enable_site_link {
        let on_gateway = doc
            .wire
            .direct_connect_gateway_id
            .as_deref()
            .is_some_and(|g| !g.is_empty());
        if site_link && !on_gateway {
            return Err(ApiError::client(
                "SiteLink can only be enabled on a virtual interface attached to a Direct Connect gateway.",
            ));
        }
        doc.wire.site_link_enabled = Some(site_link);
    }
    if let Some(name) = input.virtual_interface_name {
        doc.wire.virtual_interface_name = Some(name);
    }
    update_capacity(
        svc,
        id,
        &mut doc,
        input.prefix_pool_allocated_count_ipv4,
        input.prefix_pool_allocated_count_ipv6,
        input.rate_limit,
    )?;
    // An allocation that now covers what the customer advertises brings
    // idle BGP sessions back.
    let mut state = rec.state.clone();
    super::routes::apply_allocation(&mut doc, &mut state);
    let new = svc.record(&rec, &state, &doc, None)?;
    svc.commit(cx, vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(doc.wire)
}

/// Applies UpdateVirtualInterfaceAttributes' prefix allocations and rate
/// limit to a VIF, checked against its port's pool, its gateway's limit and
/// its port's rate limiters.
fn update_capacity(
    svc: &Emulator,
    id: &str,
    doc: &mut VifDoc,
    v4: Option<i32>,
    v6: Option<i32>,
    rate_limit: Option<String>,
) -> Result<(), ApiError> {
    if v4.is_none() && v6.is_none() && rate_limit.is_none() {
        return Ok(());
    }
    let ty = VifType::of(&doc.wire);
    if ty == VifType::Public && (v4.is_some() || v6.is_some()) {
        return Err(ApiError::client(format!(
            "Prefix pool allocations cannot be set on public virtual interface {id}: public virtual interfaces keep their limit of 1,000 prefixes."
        )));
    }
    let max = svc.settings().max_prefix_allocation;
    if let Some(n) = v4 {
        capacity::check_allocation("prefixPoolAllocatedCountIpv4", n, max)?;
    }
    if let Some(n) = v6 {
        capacity::check_allocation("prefixPoolAllocatedCountIpv6", n, max)?;
    }
    let new_limit = match rate_limit {
        None => doc.wire.rate_limit.clone(),
        Some(r) if capacity::clears_rate_limit(&r) => None,
        Some(r) => {
            capacity::check_rate_value(&r)?;
            Some(r)
        }
    };
    let parent_id = doc.wire.connection_id.clone().unwrap_or_default();
    let parent = Parent::load(svc, &parent_id)?;
    let (cur4, cur6) = capacity::allocation(&doc.wire);
    let (new4, new6) = (v4.map_or(cur4, i64::from), v6.map_or(cur6, i64::from));
    // Not below what the customer advertises now ([C] prefix controls).
    let (used4, used6) = doc.x.routes.as_ref().map_or((0, 0), |r| r.in_use());
    for (family, asked, new, used) in [("IPv4", v4, new4, used4), ("IPv6", v6, new6, used6)] {
        if asked.is_some() && new < used && new < if family == "IPv4" { cur4 } else { cur6 } {
            return Err(ApiError::client(format!(
                "prefixPoolAllocatedCount{} of {id} cannot be set to {new}: {used} {family} prefixes are in use.",
                if family == "IPv4" { "Ipv4" } else { "Ipv6" }
            )));
        }
    }
    // Only growth needs room: shrinking is always allowed.
    if let Some(pool) = parent.pool {
        let used = parent.usage(Some(id));
        if new4 > cur4 && used.v4 + new4 > pool {
            return capacity::check_room(&parent.id, pool, used.v4 + new4, 0);
        }
        if new6 > cur6 && used.v6 + new6 > pool {
            return capacity::check_room(&parent.id, pool, 0, used.v6 + new6);
        }
    }
    if let Some(gateway) = doc
        .wire
        .direct_connect_gateway_id
        .as_deref()
        .filter(|g| !g.is_empty())
        && new4 + new6 > cur4 + cur6
    {
        capacity::check_gateway(svc, gateway, new4 + new6, Some(id))?;
    }
    if let Some(limit) = &new_limit
        && doc.wire.rate_limit.as_ref() != Some(limit)
    {
        // UpdateVirtualInterfaceAttributes models no LimitExceededException.
        parent.check_rate(svc.settings().max_rate_limited_vifs, limit, Some(id), false)?;
    }
    if ty != VifType::Public {
        doc.wire.prefix_pool_allocated_count_ipv4 = Some(clamp_i32(new4));
        doc.wire.prefix_pool_allocated_count_ipv6 = Some(clamp_i32(new6));
    }
    doc.wire.rate_limit = new_limit;
    Ok(())
}

fn clamp_i32(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub(crate) fn describe_virtual_gateways(
    svc: &Emulator,
    cx: &RequestContext,
) -> Result<VirtualGateways, ApiError> {
    let mut q = Query::kind(Kind::VirtualGateway);
    q.account = Some(&cx.account);
    q.region = Some(&cx.region);
    let gateways = svc
        .store()
        .list(&q)
        .map_err(store_error)?
        .iter()
        .map(|r| decode_doc::<VirtualGateway, serde_json::Value>(r).map(|d| d.wire))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(VirtualGateways {
        virtual_gateways: Some(gateways),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn gateway_ids() {
        assert!(super::is_vgw_id("vgw-aba37db6"));
        assert!(super::is_vgw_id("vgw-0123456789abcdef0"));
        assert!(!super::is_vgw_id("vgw-ABA37DB6"));
        assert!(!super::is_vgw_id("tgw-aba37db6"));
        assert!(super::is_tgw_id("tgw-0123456789abcdef0"));
        assert!(!super::is_tgw_id("tgw-0123"));
    }
}
