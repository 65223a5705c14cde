//! BGP routes of a virtual interface: `ListVirtualInterfaceRoutes`, and the
//! control call that sets what the customer's router advertises.
//!
//! Advertised routes are what AWS offers the customer: a private VIF on a
//! virtual private gateway its VPC's CIDRs (seeded from the VGW id), a VIF
//! on a Direct Connect gateway the allowed prefixes of the gateway's
//! associations, a public VIF seeded AWS prefixes. Accepted routes are what
//! the customer's router offers and AWS keeps: a public VIF's route filter
//! prefixes, and for private and transit VIFs what the control API injected.

use super::vifs::{self, VifDoc, VifType};
use super::{Emulator, decode_doc, paging, store_error};
use crate::api::generated::types::*;
use crate::api::{ApiError, RequestContext};
use crate::control::ControlError;
use crate::store::{Expect, Kind, Query, Record, Write};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::net::IpAddr;

/// Amazon's ASN on the routes a public VIF advertises.
const AMAZON_PUBLIC_ASN: i64 = 7224;
/// Communities AWS keeps on routes a customer advertises (local preference
/// and propagation scope); others are dropped.
const SUPPORTED_COMMUNITIES: &[&str] = &[
    "7224:7100",
    "7224:7200",
    "7224:7300",
    "7224:9100",
    "7224:9200",
    "7224:9300",
];
/// Routes one control call may set on a VIF.
const MAX_CUSTOMER_ROUTES: usize = 1000;

/// What the emulator keeps about a VIF's routes, in its stored document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VifRoutes {
    /// When the VIF was created (epoch ms): its AWS-side routes date from then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<i64>,
    /// What the customer's router advertises (private and transit VIFs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer: Vec<CustomerRoute>,
    /// The customer advertised more prefixes than the VIF's allocation: AWS
    /// put its BGP sessions idle (the VIF is `down` for that reason).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub over_allocation: bool,
}

impl VifRoutes {
    pub(crate) fn created(at_ms: i64) -> Self {
        Self {
            since_ms: Some(at_ms),
            customer: Vec::new(),
            over_allocation: false,
        }
    }

    /// The customer's prefixes in use: (IPv4, IPv6).
    pub(crate) fn in_use(&self) -> (i64, i64) {
        let v6 = self
            .customer
            .iter()
            .filter(|r| r.cidr.contains(':'))
            .count() as i64;
        (self.customer.len() as i64 - v6, v6)
    }
}

/// Puts a private or transit VIF's BGP sessions idle when the customer
/// advertises more prefixes than its allocation, and back up once the
/// allocation covers them again ([C] prefix controls: above the allocation
/// the session goes idle, the peer reports `down` and so does the VIF). Only
/// an `available` VIF goes down this way, and only one it took down comes
/// back. Returns whether anything changed.
pub(crate) fn apply_allocation(doc: &mut VifDoc, state: &mut String) -> bool {
    let Some(routes) = doc.x.routes.as_mut() else {
        return false;
    };
    let (used4, used6) = routes.in_use();
    let (alloc4, alloc6) = super::capacity::allocation(&doc.wire);
    let over = used4 > alloc4 || used6 > alloc6;
    let (to, bgp) = match (over, routes.over_allocation, state.as_str()) {
        (true, false, "available") => ("down", BGPStatus::Down),
        (false, true, "down") => ("available", BGPStatus::Up),
        (false, true, _) => {
            routes.over_allocation = false;
            return true;
        }
        _ => return false,
    };
    routes.over_allocation = over;
    *state = to.to_string();
    doc.wire.virtual_interface_state = VirtualInterfaceState::from_wire(to);
    for peer in doc.wire.bgp_peers.iter_mut().flatten() {
        if peer.bgp_peer_state == Some(BGPPeerState::Available) {
            peer.bgp_status = Some(bgp);
        }
    }
    true
}

/// One prefix the customer's router advertises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomerRoute {
    pub cidr: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub as_path: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub communities: Vec<String>,
    /// When it was first advertised (epoch ms).
    pub installed_at_ms: i64,
}

/// A parsed CIDR: its network address and prefix length.
type Cidr = (IpAddr, u8);

/// Parses a CIDR whose address is its network address (no host bits set).
fn parse_cidr(s: &str) -> Result<Cidr, String> {
    let bad = || format!("{s:?} is not a CIDR block like 10.0.0.0/16 or 2001:db8::/32");
    let (addr, len) = s.split_once('/').ok_or_else(bad)?;
    if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().map_err(|_| bad())?;
    let network = match addr {
        IpAddr::V4(a) if len <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::V4((u32::from(a) & mask).into())
        }
        IpAddr::V6(a) if len <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::V6((u128::from(a) & mask).into())
        }
        _ => return Err(bad()),
    };
    if network != addr {
        return Err(format!(
            "{s:?} has host bits set; its network is {network}/{len}"
        ));
    }
    Ok((addr, len))
}

fn family_of(cidr: &Cidr) -> AddressFamily {
    if cidr.0.is_ipv4() {
        AddressFamily::Ipv4
    } else {
        AddressFamily::Ipv6
    }
}

/// A deterministic 64-bit hash (FNV-1a) of a string, for seeded prefixes.
fn seed(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The CIDRs of the VPC behind a virtual private gateway, seeded from its
/// id: a /16 in 10.0.0.0/8, a /20 in 172.16.0.0/12 and an IPv6 /56.
fn vpc_cidrs(vgw_id: &str) -> Vec<String> {
    let h = seed(vgw_id);
    let a = (h & 0xff) as u8;
    let b = 16 + ((h >> 8) & 0x0f) as u8;
    let c = (((h >> 12) & 0x0f) as u8) << 4;
    let v6 = (h >> 16) & 0xffff;
    let v6b = (h >> 32) & 0xff;
    vec![
        format!("10.{a}.0.0/16"),
        format!("172.{b}.{c}.0/20"),
        format!("2600:1f18:{v6:x}:{:x}00::/56", v6b),
    ]
}

/// Seeded AWS public prefixes: (Region, IPv4, IPv6).
const PUBLIC_PREFIXES: &[(&str, &str, &str)] = &[
    ("us-east-1", "52.4.0.0/14", "2600:1f18::/33"),
    ("us-east-2", "3.128.0.0/15", "2600:1f16::/36"),
    ("us-west-2", "34.208.0.0/12", "2600:1f14::/35"),
    ("sa-east-1", "54.232.0.0/16", "2600:1f1e::/36"),
    ("eu-west-1", "52.208.0.0/13", "2a05:d018::/36"),
    ("eu-west-2", "35.176.0.0/15", "2a05:d01c::/36"),
    ("eu-central-1", "18.184.0.0/15", "2a05:d014::/36"),
    ("ap-southeast-2", "54.252.0.0/16", "2406:da1c::/36"),
];

/// The community AWS tags a public prefix of `region` with on a VIF in
/// `home`: 7224:8100 same Region, 7224:8200 same continent, none else.
fn scope_community(home: &str, region: &str) -> Option<&'static str> {
    if home == region {
        return Some("7224:8100");
    }
    let (a, b) = (
        super::locations::continent_of(home),
        super::locations::continent_of(region),
    );
    (a.is_some() && a == b).then_some("7224:8200")
}

/// A route before filtering, with its parsed CIDR for sorting.
struct Candidate {
    key: (u8, AddressFamily, Cidr),
    route: Route,
}

fn route(
    direction: RouteDirection,
    cidr: &str,
    as_path: Vec<i64>,
    communities: Vec<String>,
    device: Option<String>,
    installed_ms: i64,
) -> Option<Candidate> {
    let parsed = parse_cidr(cidr).ok()?;
    let family = family_of(&parsed);
    Some(Candidate {
        key: (
            u8::from(direction == RouteDirection::Advertised),
            family,
            parsed,
        ),
        route: Route {
            cidr: Some(cidr.to_string()),
            route_direction: Some(direction),
            address_family: Some(family),
            as_path: Some(vec![AsPathSegment {
                path_type: Some(AsPathType::Seq),
                path: Some(as_path),
            }]),
            communities: Some(communities).filter(|c| !c.is_empty()),
            aws_logical_device_id: device,
            route_installed_at: Some(installed_ms as f64 / 1000.0),
        },
    })
}

/// The prefixes the associations of a Direct Connect gateway allow, for a
/// VIF of type `ty`: VGW associations for private VIFs, TGW and Cloud WAN
/// ones for transit VIFs.
fn gateway_prefixes(
    svc: &Emulator,
    gateway_id: &str,
    ty: VifType,
) -> Result<Vec<String>, ApiError> {
    let mut q = Query::kind(Kind::GatewayAssociation);
    q.parent = Some(gateway_id);
    q.exclude_states = &["disassociating", "disassociated", "deleted"];
    let mut out = Vec::new();
    for rec in svc.store().list(&q).map_err(store_error)? {
        if rec.state != "associated" {
            continue;
        }
        let doc: super::gateways::AssociationDoc = decode_doc(&rec)?;
        let w = &doc.wire;
        let vgw = w
            .associated_gateway
            .as_ref()
            .and_then(|g| g.r#type)
            .is_some_and(|t| t == GatewayType::VirtualPrivateGateway);
        let wanted = match ty {
            VifType::Private => vgw,
            VifType::Transit => !vgw,
            VifType::Public => false,
        };
        if !wanted {
            continue;
        }
        for p in w
            .allowed_prefixes_to_direct_connect_gateway
            .iter()
            .flatten()
        {
            if let Some(c) = &p.cidr
                && !out.contains(c)
            {
                out.push(c.clone());
            }
        }
    }
    Ok(out)
}

/// Every route of a VIF as it stands, unfiltered and sorted.
fn routes_of(
    svc: &Emulator,
    cx: &RequestContext,
    rec: &Record,
    doc: &VifDoc,
) -> Result<Vec<Route>, ApiError> {
    if rec.state != "available" {
        return Ok(Vec::new());
    }
    let w = &doc.wire;
    let up = |family: AddressFamily| {
        w.bgp_peers.iter().flatten().find(|p| {
            p.address_family == Some(family)
                && p.bgp_status == Some(BGPStatus::Up)
                && p.bgp_peer_state == Some(BGPPeerState::Available)
        })
    };
    let (v4, v6) = (up(AddressFamily::Ipv4), up(AddressFamily::Ipv6));
    if v4.is_none() && v6.is_none() {
        return Ok(Vec::new());
    }
    let customer_asn = v4
        .or(v6)
        .and_then(|p| p.asn_long.filter(|a| *a > 0).or(p.asn.map(i64::from)))
        .unwrap_or_default();
    let kept = doc.x.routes.clone().unwrap_or_default();
    let since = kept.since_ms.unwrap_or(cx.now_ms);
    let device = w.aws_logical_device_id.clone();
    let ty = VifType::of(w);
    let mut all = Vec::new();

    // Advertised: what AWS offers.
    let gateway = w
        .direct_connect_gateway_id
        .clone()
        .filter(|g| !g.is_empty());
    let vgw = w.virtual_gateway_id.clone().filter(|g| !g.is_empty());
    let amazon_asn = w.amazon_side_asn.unwrap_or_default();
    match (ty, gateway, vgw) {
        (VifType::Public, _, _) => {
            let home = w.region.clone().unwrap_or_else(|| cx.region.clone());
            for (region, v4p, v6p) in PUBLIC_PREFIXES {
                let communities: Vec<String> = scope_community(&home, region)
                    .map(str::to_string)
                    .into_iter()
                    .collect();
                for p in [v4p, v6p] {
                    all.extend(route(
                        RouteDirection::Advertised,
                        p,
                        vec![AMAZON_PUBLIC_ASN],
                        communities.clone(),
                        device.clone(),
                        since,
                    ));
                }
            }
        }
        (_, Some(gateway), _) => {
            for p in gateway_prefixes(svc, &gateway, ty)? {
                all.extend(route(
                    RouteDirection::Advertised,
                    &p,
                    vec![amazon_asn],
                    Vec::new(),
                    device.clone(),
                    since,
                ));
            }
        }
        (_, None, Some(vgw)) => {
            for p in vpc_cidrs(&vgw) {
                all.extend(route(
                    RouteDirection::Advertised,
                    &p,
                    vec![amazon_asn],
                    Vec::new(),
                    device.clone(),
                    since,
                ));
            }
        }
        _ => {}
    }

    // Accepted: what the customer offers and AWS keeps.
    if ty == VifType::Public {
        for p in w.route_filter_prefixes.iter().flatten() {
            if let Some(c) = &p.cidr {
                all.extend(route(
                    RouteDirection::Accepted,
                    c,
                    vec![customer_asn],
                    Vec::new(),
                    device.clone(),
                    since,
                ));
            }
        }
    } else {
        for r in &kept.customer {
            let path = if r.as_path.is_empty() {
                vec![customer_asn]
            } else {
                r.as_path.clone()
            };
            let communities = r
                .communities
                .iter()
                .filter(|c| SUPPORTED_COMMUNITIES.contains(&c.as_str()))
                .cloned()
                .collect();
            all.extend(route(
                RouteDirection::Accepted,
                &r.cidr,
                path,
                communities,
                device.clone(),
                r.installed_at_ms,
            ));
        }
    }
    // Only families whose BGP session is up carry routes.
    all.retain(|c| match c.key.1 {
        AddressFamily::Ipv4 => v4.is_some(),
        AddressFamily::Ipv6 => v6.is_some(),
    });
    all.sort_by(|a, b| {
        let ka = (a.key.0, a.key.1.as_str(), a.key.2);
        let kb = (b.key.0, b.key.1.as_str(), b.key.2);
        ka.cmp(&kb)
    });
    all.dedup_by(|a, b| a.key == b.key);
    Ok(all.into_iter().map(|c| c.route).collect())
}

/// Whether a route passes the filters: every field given must match; a
/// list matches when any of its entries does.
fn matches(route: &Route, f: &RouteFilters, cidrs: &[Cidr]) -> bool {
    if f.route_direction.is_some() && route.route_direction != f.route_direction {
        return false;
    }
    if f.address_family.is_some() && route.address_family != f.address_family {
        return false;
    }
    if !cidrs.is_empty() {
        let own = route.cidr.as_deref().and_then(|c| parse_cidr(c).ok());
        if !own.is_some_and(|o| cidrs.contains(&o)) {
            return false;
        }
    }
    if let Some(asns) = f.as_path.as_ref().filter(|a| !a.is_empty()) {
        let path = route
            .as_path
            .iter()
            .flatten()
            .flat_map(|s| s.path.iter().flatten());
        if !path.into_iter().any(|a| asns.contains(a)) {
            return false;
        }
    }
    if let Some(wanted) = f.communities.as_ref().filter(|c| !c.is_empty()) {
        let own = route.communities.iter().flatten();
        if !own.into_iter().any(|c| wanted.contains(c)) {
            return false;
        }
    }
    true
}

pub(crate) fn list_virtual_interface_routes(
    svc: &Emulator,
    cx: &RequestContext,
    input: ListVirtualInterfaceRoutesRequest,
) -> Result<ListVirtualInterfaceRoutesResponse, ApiError> {
    let id = input
        .virtual_interface_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::client("virtualInterfaceId must be specified."))?;
    let filters = input.filters.unwrap_or_default();
    let mut cidrs = Vec::new();
    for c in filters.cidrs.iter().flatten() {
        let parsed = parse_cidr(c)
            .map_err(|e| ApiError::client(format!("Invalid CIDR in filters.cidrs: {e}.")))?;
        cidrs.push(parsed);
    }
    let (rec, doc) = vifs::load_vif(svc, cx, &id, false)?;
    let routes = routes_of(svc, cx, &rec, &doc)?
        .into_iter()
        .filter(|r| matches(r, &filters, &cidrs))
        .enumerate()
        .map(|(i, r)| (i as i64 + 1, r))
        .collect();
    let (page, next_token) =
        paging::page_items(routes, input.max_results, input.next_token.as_deref())?;
    Ok(ListVirtualInterfaceRoutesResponse {
        virtual_interface_id: Some(id),
        routes: Some(page),
        next_token,
    })
}

/// One route of a control call's body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RouteInput {
    cidr: String,
    #[serde(default)]
    as_path: Vec<i64>,
    #[serde(default)]
    communities: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutesInput {
    routes: Vec<RouteInput>,
}

/// Checks a control call's body: `{"routes": [{"cidr", "asPath"?, "communities"?}]}`.
fn parse_routes(body: Value) -> Result<Vec<RouteInput>, String> {
    let input: RoutesInput = serde_json::from_value(body).map_err(|e| {
        format!("give {{\"routes\": [{{\"cidr\": \"10.0.0.0/16\", \"asPath\": [65000], \"communities\": [\"7224:7100\"]}}]}}: {e}")
    })?;
    if input.routes.len() > MAX_CUSTOMER_ROUTES {
        return Err(format!(
            "at most {MAX_CUSTOMER_ROUTES} routes, got {}",
            input.routes.len()
        ));
    }
    let mut seen = Vec::new();
    for (i, r) in input.routes.iter().enumerate() {
        let at = |m: String| format!("routes[{i}]: {m}");
        let cidr = parse_cidr(&r.cidr).map_err(at)?;
        if seen.contains(&cidr) {
            return Err(at(format!("cidr {} is given twice", r.cidr)));
        }
        seen.push(cidr);
        if let Some(a) = r.as_path.iter().find(|a| !(1..=4_294_967_295).contains(*a)) {
            return Err(at(format!("asPath entry {a} is not an ASN (1-4294967295)")));
        }
        for c in &r.communities {
            let ok = c.split_once(':').is_some_and(|(a, b)| {
                [a, b].iter().all(|p| {
                    !p.is_empty()
                        && p.len() <= 5
                        && p.bytes().all(|x| x.is_ascii_digit())
                        && p.parse::<u32>().is_ok_and(|n| n <= 65_535)
                })
            });
            if !ok {
                return Err(at(format!(
                    "community {c:?} is not of the form <0-65535>:<0-65535>"
                )));
            }
        }
    }
    Ok(input.routes)
}

/// Sets the prefixes the customer's router advertises on a private or
/// transit VIF (replacing what was there). A prefix already advertised
/// keeps its install time.
pub(crate) fn set_customer_routes(
    svc: &Emulator,
    vif_id: &str,
    body: Value,
    now_ms: i64,
) -> Result<Value, ControlError> {
    let wanted = parse_routes(body).map_err(ControlError::BadRequest)?;
    let internal = |e: ApiError| ControlError::Internal(format!("{e:?}"));
    let _guard = svc.lock().map_err(internal)?;
    let Some(rec) = svc
        .store()
        .get(Kind::VirtualInterface, vif_id)
        .map_err(|e| internal(store_error(e)))?
    else {
        return Err(ControlError::BadRequest(format!(
            "Virtual interface {vif_id} does not exist"
        )));
    };
    if matches!(rec.state.as_str(), "deleting" | "deleted" | "rejected") {
        return Err(ControlError::BadRequest(format!(
            "Virtual interface {vif_id} is {}",
            rec.state
        )));
    }
    let mut doc: VifDoc = decode_doc(&rec).map_err(internal)?;
    if VifType::of(&doc.wire) == VifType::Public {
        return Err(ControlError::BadRequest(format!(
            "{vif_id} is a public virtual interface: it accepts its routeFilterPrefixes; routes are set on private and transit virtual interfaces"
        )));
    }
    let mut kept = doc.x.routes.clone().unwrap_or_default();
    let before = std::mem::take(&mut kept.customer);
    kept.customer = wanted
        .into_iter()
        .map(|r| {
            let installed_at_ms = before
                .iter()
                .find(|b| {
                    b.cidr == r.cidr && b.as_path == r.as_path && b.communities == r.communities
                })
                .map_or(now_ms, |b| b.installed_at_ms);
            CustomerRoute {
                cidr: r.cidr,
                as_path: r.as_path,
                communities: r.communities,
                installed_at_ms,
            }
        })
        .collect();
    let shown = json!({
        "virtualInterfaceId": vif_id,
        "routes": kept.customer,
    });
    doc.x.routes = Some(kept);
    let mut state = rec.state.clone();
    apply_allocation(&mut doc, &mut state);
    let next = svc.record(&rec, &state, &doc, None).map_err(internal)?;
    svc.store()
        .apply(vec![Write::Put(next, Expect::Version(rec.version))])
        .map_err(|e| internal(store_error(e)))?;
    Ok(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs_must_be_networks() {
        assert!(parse_cidr("10.0.0.0/16").is_ok());
        assert!(parse_cidr("2001:db8::/32").is_ok());
        assert!(parse_cidr("10.0.0.1/16").unwrap_err().contains("host bits"));
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("10.0.0.0").is_err());
        assert!(parse_cidr("nope/8").is_err());
    }

    #[test]
    fn vpc_cidrs_are_seeded_and_valid() {
        let a = vpc_cidrs("vgw-aba37db6");
        assert_eq!(a, vpc_cidrs("vgw-aba37db6"));
        assert_ne!(a, vpc_cidrs("vgw-aba37db7"));
        for c in &a {
            parse_cidr(c).unwrap();
        }
    }

    #[test]
    fn control_input_is_checked() {
        let ok = json!({"routes": [{"cidr": "10.1.0.0/16", "asPath": [65000], "communities": ["7224:7100"]}]});
        assert_eq!(parse_routes(ok).unwrap().len(), 1);
        for bad in [
            json!({}),
            json!({"routes": "x"}),
            json!({"routes": [{"cidr": "10.1.0.1/16"}]}),
            json!({"routes": [{"cidr": "10.1.0.0/16", "asPath": [0]}]}),
            json!({"routes": [{"cidr": "10.1.0.0/16", "communities": ["7224"]}]}),
            json!({"routes": [{"cidr": "10.1.0.0/16", "extra": 1}]}),
            json!({"routes": [{"cidr": "10.1.0.0/16"}, {"cidr": "10.1.0.0/16"}]}),
        ] {
            assert!(parse_routes(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn public_scope_communities() {
        assert_eq!(scope_community("us-east-1", "us-east-1"), Some("7224:8100"));
        assert_eq!(scope_community("us-east-1", "us-west-2"), Some("7224:8200"));
        assert_eq!(scope_community("us-east-1", "eu-west-1"), None);
    }
}
