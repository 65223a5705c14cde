//! Inbound prefix pools and VIF rate limiters: the figures connections,
//! LAGs and Direct Connect gateways show, and the checks every operation that
//! creates, moves, changes or deletes VIFs and LAG members makes.
//!
//! Nothing here is kept as a counter: a connection's or LAG's unallocated
//! prefixes and its rate limiter status are summed, when it is answered, from
//! the live VIFs whose record names it as parent (one indexed query per
//! connection or LAG), a gateway's total from the VIFs linked to it (the
//! link index). Figures cannot drift from the VIFs they describe.

use super::connections::ConnectionDoc;
use super::vifs::{VifDoc, VifType, vifs_on};
use super::{Emulator, decode_doc};
use crate::api::generated::types::*;
use crate::api::{ApiError, ErrorCode};
use crate::store::{Kind, Record};

/// Prefixes per address family a private or transit VIF holds unless told otherwise.
pub const DEFAULT_ALLOCATION: i32 = 100;
/// The largest allocation per family a VIF may ask for, unless configured otherwise.
pub const DEFAULT_MAX_ALLOCATION: i32 = 1000;
/// Rate-limited VIFs a connection or LAG may carry, unless configured otherwise.
pub const DEFAULT_MAX_RATE_LIMITED: usize = 10;
/// Prefix pool allocations (IPv4 + IPv6) of all VIFs attached to one Direct Connect gateway.
pub const GATEWAY_MAX_ALLOCATIONS: i64 = 10_000;

/// The rate limits a VIF may have, with their value in Mbps: every string
/// AWS accepts, and nothing else.
pub const RATE_LIMITS: [(&str, u64); 70] = [
    ("50Mbps", 50),
    ("100Mbps", 100),
    ("200Mbps", 200),
    ("300Mbps", 300),
    ("400Mbps", 400),
    ("500Mbps", 500),
    ("600Mbps", 600),
    ("700Mbps", 700),
    ("800Mbps", 800),
    ("900Mbps", 900),
    ("1Gbps", 1_000),
    ("1.2Gbps", 1_200),
    ("1.5Gbps", 1_500),
    ("1.8Gbps", 1_800),
    ("2Gbps", 2_000),
    ("2.1Gbps", 2_100),
    ("2.4Gbps", 2_400),
    ("2.7Gbps", 2_700),
    ("3Gbps", 3_000),
    ("3.2Gbps", 3_200),
    ("3.6Gbps", 3_600),
    ("4Gbps", 4_000),
    ("5Gbps", 5_000),
    ("6Gbps", 6_000),
    ("7Gbps", 7_000),
    ("8Gbps", 8_000),
    ("9Gbps", 9_000),
    ("10Gbps", 10_000),
    ("12Gbps", 12_000),
    ("15Gbps", 15_000),
    ("18Gbps", 18_000),
    ("20Gbps", 20_000),
    ("21Gbps", 21_000),
    ("24Gbps", 24_000),
    ("27Gbps", 27_000),
    ("30Gbps", 30_000),
    ("32Gbps", 32_000),
    ("36Gbps", 36_000),
    ("40Gbps", 40_000),
    ("50Gbps", 50_000),
    ("60Gbps", 60_000),
    ("70Gbps", 70_000),
    ("80Gbps", 80_000),
    ("100Gbps", 100_000),
    ("120Gbps", 120_000),
    ("150Gbps", 150_000),
    ("180Gbps", 180_000),
    ("200Gbps", 200_000),
    ("210Gbps", 210_000),
    ("240Gbps", 240_000),
    ("270Gbps", 270_000),
    ("300Gbps", 300_000),
    ("320Gbps", 320_000),
    ("360Gbps", 360_000),
    ("400Gbps", 400_000),
    ("450Gbps", 450_000),
    ("480Gbps", 480_000),
    ("500Gbps", 500_000),
    ("540Gbps", 540_000),
    ("600Gbps", 600_000),
    ("700Gbps", 700_000),
    ("800Gbps", 800_000),
    ("900Gbps", 900_000),
    ("1Tbps", 1_000_000),
    ("1.1Tbps", 1_100_000),
    ("1.2Tbps", 1_200_000),
    ("1.3Tbps", 1_300_000),
    ("1.4Tbps", 1_400_000),
    ("1.5Tbps", 1_500_000),
    ("1.6Tbps", 1_600_000),
];

/// A rate limit's value in Mbps; `None` when AWS does not offer it.
pub fn rate_limit_mbps(limit: &str) -> Option<u64> {
    RATE_LIMITS
        .iter()
        .find(|(s, _)| *s == limit)
        .map(|(_, mbps)| *mbps)
}

/// Whether a `rateLimit` value removes the limit rather than sets one.
pub fn clears_rate_limit(limit: &str) -> bool {
    limit.is_empty() || limit == "Unlimited"
}

/// The prefix pool per address family of one dedicated port. Sub-1G
/// bandwidths are hosted only, and hosted connections have no pool.
pub fn port_pool_size(bandwidth: &str) -> Option<i64> {
    match bandwidth {
        "1Gbps" | "10Gbps" => Some(5_000),
        "100Gbps" => Some(30_000),
        "400Gbps" => Some(50_000),
        _ => None,
    }
}

/// A LAG's pool: the per-port pool times its billable members, at most as
/// many as a LAG of that speed may have.
pub fn lag_pool_size(bandwidth: &str, billable: usize) -> Option<i64> {
    let members = billable.min(super::ports::max_lag_members(bandwidth));
    port_pool_size(bandwidth).map(|per_port| per_port * members as i64)
}

/// Whether a LAG member in `state` is billed, and so adds to the LAG's pool.
pub fn billable(state: &str) -> bool {
    matches!(state, "available" | "down")
}

/// Whether a VIF in `state` holds its allocation and rate limit: every
/// state but those of a VIF going or gone.
pub fn holds(state: &str) -> bool {
    !matches!(state, "deleting" | "deleted" | "rejected")
}

/// The prefixes per family (IPv4, IPv6) a VIF holds. Public VIFs have no
/// allocation: they keep their own limit of 1,000 prefixes.
pub fn allocation(vif: &VirtualInterface) -> (i64, i64) {
    if VifType::of(vif) == VifType::Public {
        return (0, 0);
    }
    (
        i64::from(
            vif.prefix_pool_allocated_count_ipv4
                .unwrap_or(DEFAULT_ALLOCATION),
        ),
        i64::from(
            vif.prefix_pool_allocated_count_ipv6
                .unwrap_or(DEFAULT_ALLOCATION),
        ),
    )
}

/// Shows a private or transit VIF stored before prefix pools existed with
/// the default allocation it holds.
pub fn with_allocation(mut vif: VirtualInterface) -> VirtualInterface {
    if VifType::of(&vif) != VifType::Public {
        vif.prefix_pool_allocated_count_ipv4 = vif
            .prefix_pool_allocated_count_ipv4
            .or(Some(DEFAULT_ALLOCATION));
        vif.prefix_pool_allocated_count_ipv6 = vif
            .prefix_pool_allocated_count_ipv6
            .or(Some(DEFAULT_ALLOCATION));
    }
    vif
}

/// What the live VIFs on one connection or LAG hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub v4: i64,
    pub v6: i64,
    /// VIFs with a rate limit.
    pub limited: usize,
    /// The sum of their rate limits, in Mbps.
    pub limited_mbps: u64,
}

impl Usage {
    /// Adds what one VIF in `state` holds.
    pub fn add(&mut self, state: &str, vif: &VirtualInterface) {
        if !holds(state) {
            return;
        }
        let (v4, v6) = allocation(vif);
        self.v4 += v4;
        self.v6 += v6;
        if let Some(mbps) = vif.rate_limit.as_deref().and_then(rate_limit_mbps) {
            self.limited += 1;
            self.limited_mbps += mbps;
        }
    }

    /// Adds another connection's or LAG's usage.
    pub fn plus(mut self, other: Usage) -> Usage {
        self.v4 += other.v4;
        self.v6 += other.v6;
        self.limited += other.limited;
        self.limited_mbps += other.limited_mbps;
        self
    }

    /// What `vifs` hold, leaving out the VIF `except`.
    pub fn of(vifs: &[(Record, VifDoc)], except: Option<&str>) -> Usage {
        let mut usage = Usage::default();
        for (rec, doc) in vifs {
            if Some(rec.id.as_str()) != except {
                usage.add(&rec.state, &doc.wire);
            }
        }
        usage
    }
}

/// What the live VIFs on the connection or LAG `parent` hold.
pub fn usage_on(svc: &Emulator, parent: &str, except: Option<&str>) -> Result<Usage, ApiError> {
    Ok(Usage::of(&vifs_on(svc, parent)?, except))
}

/// A bandwidth in Mbps in the largest unit that leaves at least 1
/// (`1500` → `1.5Gbps`); `None` at 0.
pub fn total_bandwidth(mbps: u64) -> Option<String> {
    if mbps == 0 {
        return None;
    }
    let (scale, unit) = if mbps >= 1_000_000 {
        (1_000_000, "Tbps")
    } else if mbps >= 1_000 {
        (1_000, "Gbps")
    } else {
        (1, "Mbps")
    };
    let whole = mbps / scale;
    let rest = mbps % scale;
    if rest == 0 {
        return Some(format!("{whole}{unit}"));
    }
    let digits = if scale == 1_000_000 { 6 } else { 3 };
    let fraction = format!("{rest:0digits$}");
    Some(format!("{whole}.{}{unit}", fraction.trim_end_matches('0')))
}

/// The rate limiter status of a connection or LAG with `usage`.
pub fn rate_status(max_allowed: usize, usage: &Usage) -> RateLimiterStatus {
    let max = i32::try_from(max_allowed).unwrap_or(i32::MAX);
    let in_use = i32::try_from(usage.limited).unwrap_or(i32::MAX);
    RateLimiterStatus {
        max_allowed: Some(max),
        in_use: Some(in_use),
        remaining: Some(max.saturating_sub(in_use).max(0)),
        total_bandwidth: total_bandwidth(usage.limited_mbps),
    }
}

fn clamp(n: i64) -> i32 {
    i32::try_from(n.max(0)).unwrap_or(i32::MAX)
}

/// Sets the pool and rate limiter members of a dedicated connection from its
/// pool size and what its VIFs hold; clears them on hosted connections and
/// interconnects.
pub fn fill_connection(wire: &mut Connection, dedicated: bool, usage: &Usage, max_limited: usize) {
    super::ports::hide_unallocated_devices(wire);
    let pool = wire.bandwidth.as_deref().and_then(port_pool_size);
    match pool.filter(|_| dedicated) {
        Some(pool) => {
            wire.prefix_pool_size_ipv4 = Some(clamp(pool));
            wire.prefix_pool_size_ipv6 = Some(clamp(pool));
            wire.prefix_pool_unallocated_count_ipv4 = Some(clamp(pool - usage.v4));
            wire.prefix_pool_unallocated_count_ipv6 = Some(clamp(pool - usage.v6));
        }
        None => {
            wire.prefix_pool_size_ipv4 = None;
            wire.prefix_pool_size_ipv6 = None;
            wire.prefix_pool_unallocated_count_ipv4 = None;
            wire.prefix_pool_unallocated_count_ipv6 = None;
        }
    }
    wire.rate_limiter_status = dedicated.then(|| rate_status(max_limited, usage));
}

/// Whether a stored connection document is a dedicated connection (not an
/// interconnect, not hosted).
pub fn is_dedicated(kind: Kind, doc: &ConnectionDoc) -> bool {
    kind == Kind::Connection && doc.x.hosted.is_none()
}

/// Connections as a listing answers them: like [`connection_view`] each,
/// with the VIFs of the whole page read in one query rather than one per
/// connection.
pub fn connection_views(svc: &Emulator, recs: &[Record]) -> Result<Vec<Connection>, ApiError> {
    let docs = recs
        .iter()
        .map(decode_doc)
        .collect::<Result<Vec<ConnectionDoc>, _>>()?;
    let counted: Vec<&str> = recs
        .iter()
        .zip(&docs)
        .filter(|(r, d)| is_dedicated(r.kind, d) && holds(&r.state))
        .map(|(r, _)| r.id.as_str())
        .collect();
    let mut usage: std::collections::HashMap<String, Usage> = std::collections::HashMap::new();
    if !counted.is_empty() {
        let mut q = crate::store::Query::kind(Kind::VirtualInterface);
        q.parents = &counted;
        q.exclude_states = &["deleted", "rejected"];
        for rec in svc.store().list(&q).map_err(super::store_error)? {
            let doc: VifDoc = decode_doc(&rec)?;
            if let Some(parent) = rec.parent.clone() {
                usage.entry(parent).or_default().add(&rec.state, &doc.wire);
            }
        }
    }
    let max = svc.settings().max_rate_limited_vifs;
    Ok(recs
        .iter()
        .zip(docs)
        .map(|(rec, doc)| {
            let dedicated = is_dedicated(rec.kind, &doc);
            let mut wire = doc.wire;
            let none = Usage::default();
            fill_connection(
                &mut wire,
                dedicated,
                usage.get(&rec.id).unwrap_or(&none),
                max,
            );
            wire
        })
        .collect())
}

/// A connection as calls answer it: its stored form with the pool and rate
/// limiter figures of the moment (one query for its VIFs when dedicated).
pub fn connection_view(
    svc: &Emulator,
    rec: &Record,
    doc: &ConnectionDoc,
) -> Result<Connection, ApiError> {
    let mut wire = doc.wire.clone();
    fill_connection_in_place(svc, rec, doc, &mut wire)?;
    Ok(wire)
}

/// Fills `wire` (the answer made from `doc`) as [`connection_view`] does.
pub fn fill_connection_in_place(
    svc: &Emulator,
    rec: &Record,
    doc: &ConnectionDoc,
    wire: &mut Connection,
) -> Result<(), ApiError> {
    let dedicated = is_dedicated(rec.kind, doc);
    let usage = if dedicated && holds(&rec.state) {
        usage_on(svc, &rec.id, None)?
    } else {
        Usage::default()
    };
    fill_connection(
        wire,
        dedicated,
        &usage,
        svc.settings().max_rate_limited_vifs,
    );
    Ok(())
}

/// Sets the pool and rate limiter members of a LAG.
pub fn fill_lag(lag: &mut Lag, billable_members: usize, usage: &Usage, max_limited: usize) {
    let pool = lag
        .connections_bandwidth
        .as_deref()
        .and_then(|bw| lag_pool_size(bw, billable_members));
    if let Some(pool) = pool {
        lag.prefix_pool_size_ipv4 = Some(clamp(pool));
        lag.prefix_pool_size_ipv6 = Some(clamp(pool));
        lag.prefix_pool_unallocated_count_ipv4 = Some(clamp(pool - usage.v4));
        lag.prefix_pool_unallocated_count_ipv6 = Some(clamp(pool - usage.v6));
    }
    lag.rate_limiter_status = Some(rate_status(max_limited, usage));
}

/// What VIFs on a connection or LAG may use.
#[derive(Debug, Clone)]
pub struct Parent {
    pub id: String,
    /// A dedicated connection or a LAG (hosted connections have no pool and
    /// no rate limiters).
    pub dedicated: bool,
    /// The pool per family, when it has one.
    pub pool: Option<i64>,
    /// The bandwidth of one port, and (LAGs) the members that add to the pool.
    pub bandwidth: String,
    pub billable: usize,
    /// The bandwidth rate limits may reach, in Mbps, and its wire form.
    pub capacity_mbps: u64,
    pub capacity: String,
    /// What its live VIFs hold (all of them: leave one out with `except`).
    pub vifs: Vec<(Record, VifDoc)>,
}

impl Parent {
    /// Loads what the connection or LAG `id` offers. The caller has checked
    /// that it may use it.
    pub fn load(svc: &Emulator, id: &str) -> Result<Parent, ApiError> {
        let vifs = vifs_on(svc, id)?;
        if id.starts_with("dxlag-") {
            let Some(rec) = svc.store().get(Kind::Lag, id).map_err(super::store_error)? else {
                return Err(super::lags::not_found(id));
            };
            let doc: super::lags::LagDoc = decode_doc(&rec)?;
            let members = super::lags::members(svc, id)?;
            let bandwidth = doc.wire.connections_bandwidth.clone().unwrap_or_default();
            let billable = members.iter().filter(|(r, _)| billable(&r.state)).count();
            let per_port = super::ports::mbps(&bandwidth).unwrap_or(0);
            let capacity_mbps = per_port * members.len() as u64;
            return Ok(Parent {
                id: id.to_string(),
                dedicated: true,
                pool: lag_pool_size(&bandwidth, billable),
                capacity_mbps,
                capacity: total_bandwidth(capacity_mbps).unwrap_or_else(|| "0Mbps".into()),
                bandwidth,
                billable,
                vifs,
            });
        }
        // A partner's port may have become an interconnect (no pool then).
        let mut found = None;
        for kind in [Kind::Connection, Kind::Interconnect] {
            if let Some((rec, doc)) =
                svc.load::<Connection, super::connections::ConnectionExtra>(kind, id)?
            {
                found = Some((rec.kind, doc));
                break;
            }
        }
        let Some((kind, doc)) = found else {
            return Err(super::connections::not_found(id));
        };
        let dedicated = is_dedicated(kind, &doc);
        let bandwidth = doc.wire.bandwidth.clone().unwrap_or_default();
        Ok(Parent {
            id: id.to_string(),
            dedicated,
            pool: if dedicated {
                port_pool_size(&bandwidth)
            } else {
                None
            },
            capacity_mbps: super::ports::mbps(&bandwidth).unwrap_or(0),
            capacity: bandwidth.clone(),
            bandwidth,
            billable: usize::from(dedicated),
            vifs,
        })
    }

    pub fn usage(&self, except: Option<&str>) -> Usage {
        Usage::of(&self.vifs, except)
    }

    /// Refuses a VIF holding `v4`/`v6` prefixes when the pool, less what
    /// the other VIFs (all but `except`) hold, cannot cover them.
    pub fn check_pool(&self, v4: i64, v6: i64, except: Option<&str>) -> Result<(), ApiError> {
        let Some(pool) = self.pool else {
            return Ok(());
        };
        let used = self.usage(except);
        check_room(&self.id, pool, used.v4 + v4, used.v6 + v6)
    }

    /// Checks a rate limit a VIF (not `except`) is to have here. `lee`:
    /// the operation answers a full limiter with LimitExceededException.
    pub fn check_rate(
        &self,
        max_limited: usize,
        limit: &str,
        except: Option<&str>,
        lee: bool,
    ) -> Result<(), ApiError> {
        let mbps = check_rate_value(limit)?;
        if !self.dedicated {
            return Err(ApiError::client(format!(
                "Rate limiters are available only on dedicated connections and LAGs: {} is a hosted connection.",
                self.id
            )));
        }
        if mbps > self.capacity_mbps {
            return Err(ApiError::client(format!(
                "rateLimit {limit} exceeds the bandwidth {} of {}.",
                self.capacity, self.id
            )));
        }
        if self.usage(except).limited >= max_limited {
            return Err(limiter_full(&self.id, lee));
        }
        Ok(())
    }
}

/// Refuses `v4`/`v6` prefixes in all against a pool of `pool` per family on `id`.
pub fn check_room(id: &str, pool: i64, v4: i64, v6: i64) -> Result<(), ApiError> {
    if v4 > pool {
        return Err(ApiError::client(format!(
            "Insufficient unallocated IPv4 prefixes on {id}"
        )));
    }
    if v6 > pool {
        return Err(ApiError::client(format!(
            "Insufficient unallocated IPv6 prefixes on {id}"
        )));
    }
    Ok(())
}

/// The error of a connection or LAG whose rate limiters are all taken.
pub fn limiter_full(id: &str, lee: bool) -> ApiError {
    let message = format!("The rate limiter limit has been exceeded for {id}");
    if lee {
        ApiError::new(ErrorCode::LimitExceededException, message)
    } else {
        ApiError::client(message)
    }
}

/// A rate limit's value in Mbps, or the error naming the valid values.
pub fn check_rate_value(limit: &str) -> Result<u64, ApiError> {
    rate_limit_mbps(limit).ok_or_else(|| {
        let valid: Vec<&str> = RATE_LIMITS.iter().map(|(s, _)| *s).collect();
        ApiError::client(format!(
            "rateLimit {limit} is not valid. Valid values: {}.",
            valid.join(", ")
        ))
    })
}

/// Checks one family's requested allocation against the configured maximum.
pub fn check_allocation(field: &str, value: i32, max: i32) -> Result<(), ApiError> {
    if value < 0 {
        return Err(ApiError::client(format!(
            "{field} must be at least 0, got {value}."
        )));
    }
    if value > max {
        return Err(ApiError::client(format!(
            "{field} {value} exceeds the maximum of {max} prefixes per address family for a virtual interface."
        )));
    }
    Ok(())
}

/// The prefix pool allocations (IPv4 + IPv6) the VIFs `attached` hold.
pub fn gateway_total(attached: &[(Record, VifDoc)], except: Option<&str>) -> i64 {
    attached
        .iter()
        .filter(|(r, _)| Some(r.id.as_str()) != except && holds(&r.state))
        .map(|(_, d)| {
            let (v4, v6) = allocation(&d.wire);
            v4 + v6
        })
        .sum()
}

/// Refuses a VIF (not `except`) holding `adding` prefixes on the gateway
/// `gateway_id` when its VIFs would hold more than the gateway's limit.
pub fn check_gateway(
    svc: &Emulator,
    gateway_id: &str,
    adding: i64,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let attached = super::vifs::attached_to(svc, gateway_id)?;
    let total = gateway_total(&attached, except) + adding;
    if total > GATEWAY_MAX_ALLOCATIONS {
        return Err(ApiError::client(format!(
            "Direct Connect Gateway {gateway_id} would hold {total} prefix pool allocations; its limit is {GATEWAY_MAX_ALLOCATIONS}."
        )));
    }
    Ok(())
}

/// Refuses to take the member `leaving` out of the LAG `lag_id` when the
/// LAG's smaller pool could no longer cover what its VIFs hold.
pub fn check_member_leaving(
    svc: &Emulator,
    lag_id: &str,
    leaving: &Record,
) -> Result<(), ApiError> {
    if !billable(&leaving.state) {
        return Ok(());
    }
    let Some(rec) = svc
        .store()
        .get(Kind::Lag, lag_id)
        .map_err(super::store_error)?
    else {
        return Ok(());
    };
    let doc: super::lags::LagDoc = decode_doc(&rec)?;
    let bandwidth = doc.wire.connections_bandwidth.unwrap_or_default();
    let billable_after = super::lags::members(svc, lag_id)?
        .iter()
        .filter(|(r, _)| r.id != leaving.id && billable(&r.state))
        .count();
    let Some(pool) = lag_pool_size(&bandwidth, billable_after) else {
        return Ok(());
    };
    let used = usage_on(svc, lag_id, None)?;
    if used.v4 > pool || used.v6 > pool {
        return Err(ApiError::client(format!(
            "Connection {} cannot leave {lag_id}: its prefix pool would shrink to {pool} prefixes per address family, below the {} IPv4 and {} IPv6 prefixes allocated to its virtual interfaces.",
            leaving.id, used.v4, used.v6
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_table_holds_exactly_the_allowed_strings() {
        let mut expected: Vec<String> = vec!["50Mbps".into()];
        expected.extend((1..=9).map(|n| format!("{}Mbps", n * 100)));
        for g in [
            "1", "1.2", "1.5", "1.8", "2", "2.1", "2.4", "2.7", "3", "3.2", "3.6",
        ] {
            expected.push(format!("{g}Gbps"));
        }
        expected.extend((4..=10).map(|n| format!("{n}Gbps")));
        for g in [
            12, 15, 18, 20, 21, 24, 27, 30, 32, 36, 40, 50, 60, 70, 80, 100, 120, 150, 180, 200,
            210, 240, 270, 300, 320, 360, 400, 450, 480, 500, 540, 600, 700, 800, 900,
        ] {
            expected.push(format!("{g}Gbps"));
        }
        expected.push("1Tbps".into());
        expected.extend((1..=6).map(|n| format!("1.{n}Tbps")));
        let table: Vec<String> = RATE_LIMITS.iter().map(|(s, _)| s.to_string()).collect();
        assert_eq!(table, expected);
        assert_eq!(table.len(), 70);
        // Each value is what its string says, and the table rises.
        for (s, mbps) in RATE_LIMITS {
            let (num, scale) = if let Some(n) = s.strip_suffix("Tbps") {
                (n, 1_000_000.0)
            } else if let Some(n) = s.strip_suffix("Gbps") {
                (n, 1_000.0)
            } else {
                (s.strip_suffix("Mbps").unwrap(), 1.0)
            };
            let parsed: f64 = num.parse().unwrap();
            assert_eq!((parsed * scale).round() as u64, mbps, "{s}");
            assert_eq!(total_bandwidth(mbps).as_deref(), Some(s), "{s}");
        }
        assert!(RATE_LIMITS.windows(2).all(|w| w[0].1 < w[1].1));
        for bad in [
            "",
            "1000Mbps",
            "1.0Gbps",
            "1gbps",
            "11Gbps",
            "1.7Tbps",
            "Unlimited",
            "2Tbps",
            "25Mbps",
            " 1Gbps",
        ] {
            assert_eq!(rate_limit_mbps(bad), None, "{bad}");
        }
    }

    #[test]
    fn pools_follow_port_speed_and_billable_members() {
        assert_eq!(port_pool_size("1Gbps"), Some(5_000));
        assert_eq!(port_pool_size("10Gbps"), Some(5_000));
        assert_eq!(port_pool_size("100Gbps"), Some(30_000));
        assert_eq!(port_pool_size("400Gbps"), Some(50_000));
        assert_eq!(port_pool_size("500Mbps"), None);
        assert_eq!(port_pool_size("25Gbps"), None);
        assert_eq!(lag_pool_size("10Gbps", 0), Some(0));
        assert_eq!(lag_pool_size("10Gbps", 3), Some(15_000));
        assert_eq!(lag_pool_size("10Gbps", 9), Some(20_000));
        assert_eq!(lag_pool_size("100Gbps", 4), Some(60_000));
        assert_eq!(lag_pool_size("400Gbps", 1), Some(50_000));
        assert!(billable("available") && billable("down"));
        assert!(!billable("requested") && !billable("pending") && !billable("deleted"));
    }

    #[test]
    fn total_bandwidth_uses_the_largest_unit_of_at_least_one() {
        assert_eq!(total_bandwidth(0), None);
        assert_eq!(total_bandwidth(50).as_deref(), Some("50Mbps"));
        assert_eq!(total_bandwidth(999).as_deref(), Some("999Mbps"));
        assert_eq!(total_bandwidth(1_000).as_deref(), Some("1Gbps"));
        assert_eq!(total_bandwidth(1_250).as_deref(), Some("1.25Gbps"));
        assert_eq!(total_bandwidth(10_050).as_deref(), Some("10.05Gbps"));
        assert_eq!(total_bandwidth(2_000_000).as_deref(), Some("2Tbps"));
        assert_eq!(total_bandwidth(1_000_050).as_deref(), Some("1.00005Tbps"));
    }

    #[test]
    fn vifs_stored_without_allocations_show_and_hold_the_default() {
        let old = VirtualInterface {
            virtual_interface_type: Some("transit".into()),
            ..Default::default()
        };
        assert_eq!(allocation(&old), (100, 100));
        let shown = with_allocation(old);
        assert_eq!(shown.prefix_pool_allocated_count_ipv4, Some(100));
        assert_eq!(shown.prefix_pool_allocated_count_ipv6, Some(100));
        let public = VirtualInterface {
            virtual_interface_type: Some("public".into()),
            rate_limit: Some("1Gbps".into()),
            ..Default::default()
        };
        assert_eq!(allocation(&public), (0, 0));
        assert_eq!(with_allocation(public.clone()), public);
        let mut usage = Usage::default();
        usage.add("available", &public);
        usage.add("deleting", &shown);
        assert_eq!(
            usage,
            Usage {
                v4: 0,
                v6: 0,
                limited: 1,
                limited_mbps: 1_000
            }
        );
    }

    #[test]
    fn rate_status_counts_down_to_zero() {
        let usage = Usage {
            limited: 3,
            limited_mbps: 1_500,
            ..Usage::default()
        };
        let s = rate_status(10, &usage);
        assert_eq!(
            (s.max_allowed, s.in_use, s.remaining),
            (Some(10), Some(3), Some(7))
        );
        assert_eq!(s.total_bandwidth.as_deref(), Some("1.5Gbps"));
        let over = Usage {
            limited: 12,
            ..Usage::default()
        };
        assert_eq!(rate_status(10, &over).remaining, Some(0));
        assert_eq!(rate_status(10, &Usage::default()).total_bandwidth, None);
    }

    #[test]
    fn allocations_are_checked_at_and_past_their_edges() {
        assert!(check_allocation("prefixPoolAllocatedCountIpv4", 0, 1000).is_ok());
        assert!(check_allocation("prefixPoolAllocatedCountIpv4", 1000, 1000).is_ok());
        let e = check_allocation("prefixPoolAllocatedCountIpv6", 1001, 1000).unwrap_err();
        assert_eq!(
            e.message,
            "prefixPoolAllocatedCountIpv6 1001 exceeds the maximum of 1000 prefixes per address family for a virtual interface."
        );
        assert!(check_allocation("x", -1, 1000).is_err());
        assert!(check_room("dxcon-x", 5000, 5000, 5000).is_ok());
        assert_eq!(
            check_room("dxcon-x", 5000, 5001, 0).unwrap_err().message,
            "Insufficient unallocated IPv4 prefixes on dxcon-x"
        );
        assert_eq!(
            check_room("dxcon-x", 5000, 10, 5001).unwrap_err().message,
            "Insufficient unallocated IPv6 prefixes on dxcon-x"
        );
        let full = limiter_full("dxlag-abc", true);
        assert_eq!(full.code, ErrorCode::LimitExceededException);
        assert_eq!(
            full.message,
            "The rate limiter limit has been exceeded for dxlag-abc"
        );
        assert_eq!(
            limiter_full("dxcon-x", false).code,
            ErrorCode::DirectConnectClientException
        );
    }
}
