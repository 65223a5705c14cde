//! Billing modes of dedicated connections and LAGs: pay-as-you-go or a
//! flat-rate tier. `UpdateConnectionsBillingMode`, and the rules the create
//! paths (CreateConnection, CreateLag) and DescribeLocations share.

use super::connections::{self, ConnectionDoc, ConnectionExtra, is_gone};
use super::lags::{self, LagDoc, LagExtra};
use super::locations::{self, LocationInfo};
use super::{Emulator, decode_doc, store_error};
use crate::api::generated::types::*;
use crate::api::{ApiError, RequestContext};
use crate::store::{Expect, Kind, Query, Record, Write};
use std::collections::{BTreeMap, HashSet};

/// The rolling window changes are counted in: 6 months [I: 183 days].
pub const WINDOW_MS: i64 = 183 * 86_400_000;
/// Billing-mode changes one connection may have within the window.
pub const MAX_CHANGES: usize = 3;
/// Bandwidths flat-rate tiers are offered at.
const FLAT_BANDWIDTHS: &[&str] = &["10Gbps", "100Gbps"];
/// Port speeds (DescribeLocations' form) flat-rate tiers are offered at.
const FLAT_SPEEDS: &[&str] = &["10G", "100G"];

const FLAT_TIERS: [BillingMode; 5] = [
    BillingMode::FlatRateTier1,
    BillingMode::FlatRateTier2,
    BillingMode::FlatRateTier3,
    BillingMode::FlatRateTier4,
    BillingMode::FlatRateTier5,
];

pub(crate) fn from_request(mode: RequestBillingMode) -> BillingMode {
    match mode {
        RequestBillingMode::PayAsYouGo => BillingMode::PayAsYouGo,
        RequestBillingMode::FlatRateTier1 => BillingMode::FlatRateTier1,
        RequestBillingMode::FlatRateTier2 => BillingMode::FlatRateTier2,
        RequestBillingMode::FlatRateTier3 => BillingMode::FlatRateTier3,
        RequestBillingMode::FlatRateTier4 => BillingMode::FlatRateTier4,
        RequestBillingMode::FlatRateTier5 => BillingMode::FlatRateTier5,
    }
}

/// Whether a mode is one of the flat-rate ones (port-pair tiers included).
pub(crate) fn is_flat(mode: BillingMode) -> bool {
    mode != BillingMode::PayAsYouGo
}

/// The mode a stored dedicated port or LAG is billed in (pay-as-you-go for
/// ones stored before billing modes existed).
/// A port pair's mode counts as its tier (the pair is shown, not chosen).
fn mode_of(stored: Option<BillingMode>) -> BillingMode {
    super::resiliency::unpaired(stored).unwrap_or(BillingMode::PayAsYouGo)
}

/// What DescribeLocations lists for a location: pay-as-you-go at every
/// speed, and the five flat-rate tiers at 10G and 100G where offered.
pub(crate) fn available_modes(loc: &LocationInfo) -> Vec<AvailableBillingMode> {
    let mut out = vec![AvailableBillingMode {
        billing_mode: Some(BillingMode::PayAsYouGo),
        available_port_speeds: Some(loc.port_speeds.iter().map(|s| s.to_string()).collect()),
        included_regions: None,
    }];
    let flat: Vec<String> = loc
        .port_speeds
        .iter()
        .filter(|s| FLAT_SPEEDS.contains(s))
        .map(|s| s.to_string())
        .collect();
    if flat.is_empty() {
        return out;
    }
    for (n, tier) in (1u8..).zip(FLAT_TIERS) {
        out.push(AvailableBillingMode {
            billing_mode: Some(tier),
            available_port_speeds: Some(flat.clone()),
            included_regions: Some(locations::tier_regions(loc.region, n)),
        });
    }
    out
}

/// Refuses a flat-rate tier on a port whose speed it is not offered at.
fn check_offered(mode: BillingMode, bandwidth: &str, what: &str) -> Result<(), ApiError> {
    if is_flat(mode) && !FLAT_BANDWIDTHS.contains(&bandwidth) {
        return Err(ApiError::client(format!(
            "Billing mode {} is not available for {what} ({bandwidth}): flat-rate tiers are offered for 10Gbps and 100Gbps dedicated connections only.",
            mode.as_str()
        )));
    }
    Ok(())
}

fn class_name(flat: bool) -> &'static str {
    if flat { "flat-rate" } else { "pay-as-you-go" }
}

/// Refuses `mode` at `location` when another live dedicated port or LAG of
/// the caller there (other than those in `skip`) is billed the other way
/// (flat-rate vs pay-as-you-go).
///
/// Every write that sets a mode passes this check, so the caller's billed
/// ports at a location all share one class: the first one found (outside
/// `skip`) speaks for all of them, and the check reads a page of records,
/// not every port the account has there.
fn check_location(
    svc: &Emulator,
    cx: &RequestContext,
    location: &str,
    mode: BillingMode,
    skip: &HashSet<String>,
) -> Result<(), ApiError> {
    const PAGE: usize = 32;
    let flat = is_flat(mode);
    for kind in [Kind::Connection, Kind::Lag] {
        let mut q = Query::kind(kind);
        q.account = Some(&cx.account);
        q.region = Some(&cx.region);
        q.location = Some(location);
        q.exclude_states = &["deleted", "rejected", "deleting"];
        q.limit = Some(PAGE);
        loop {
            let page = svc.store().list(&q).map_err(store_error)?;
            let last = page.last().map(|r| r.seq);
            for rec in &page {
                if skip.contains(&rec.id) {
                    continue;
                }
                let stored = if kind == Kind::Lag {
                    decode_doc::<Lag, LagExtra>(rec)?.wire.billing_mode
                } else {
                    let doc: ConnectionDoc = decode_doc(rec)?;
                    if doc.x.hosted.is_some() {
                        continue;
                    }
                    doc.wire.billing_mode
                };
                let Some(theirs) = stored else { continue };
                if is_flat(theirs) != flat {
                    return Err(ApiError::client(format!(
                        "Connections of account {} at location {location} must all be {} or all be {}: {} is billed {}.",
                        cx.account,
                        class_name(false),
                        class_name(true),
                        rec.id,
                        theirs.as_str()
                    )));
                }
                // One billed port of the class asked for: all share it.
                return Ok(());
            }
            match last {
                Some(seq) if page.len() == PAGE => q.after_seq = Some(seq),
                _ => break,
            }
        }
    }
    Ok(())
}

fn lag_mixed(lag_id: &str, member: &str, theirs: BillingMode) -> ApiError {
    ApiError::client(format!(
        "Connections of Lag {lag_id} must share one billing mode: {member} is billed {}.",
        theirs.as_str()
    ))
}

/// The billing mode of a new dedicated connection (CreateConnection):
/// pay-as-you-go unless asked otherwise; one joining a LAG takes the LAG's
/// (a pay-as-you-go joiner converts). Call under the write lock.
pub(crate) fn for_new_connection(
    svc: &Emulator,
    cx: &RequestContext,
    location: &str,
    bandwidth: &str,
    requested: Option<RequestBillingMode>,
    lag_id: Option<&str>,
) -> Result<BillingMode, ApiError> {
    let asked = requested.map(from_request);
    let lag = match lag_id {
        Some(id) => svc
            .load::<Lag, LagExtra>(Kind::Lag, id)?
            .filter(|(r, _)| r.account == cx.account && r.region == cx.region),
        None => None,
    };
    let mode = match (&lag, asked) {
        (Some((rec, doc)), asked) => {
            let theirs = mode_of(doc.wire.billing_mode);
            match asked {
                Some(m) if is_flat(m) && m != theirs => {
                    return Err(ApiError::client(format!(
                        "Connections of Lag {} must share one billing mode: the Lag is billed {}.",
                        rec.id,
                        theirs.as_str()
                    )));
                }
                _ => theirs,
            }
        }
        (None, asked) => asked.unwrap_or(BillingMode::PayAsYouGo),
    };
    check_offered(mode, bandwidth, "a new connection")?;
    check_location(svc, cx, location, mode, &HashSet::new())?;
    Ok(mode)
}

/// The billing mode of a new LAG (CreateLag) and its members: as asked,
/// else the folded-in connection's, else pay-as-you-go. A LAG built on an
/// interconnect has none. Call under the write lock.
pub(crate) fn for_new_lag(
    svc: &Emulator,
    cx: &RequestContext,
    location: &str,
    bandwidth: &str,
    requested: Option<RequestBillingMode>,
    existing: Option<(&Record, &Connection)>,
) -> Result<Option<BillingMode>, ApiError> {
    let asked = requested.map(from_request);
    if let Some((rec, _)) = existing
        && rec.kind == Kind::Interconnect
    {
        if asked.is_some() {
            return Err(ApiError::client(format!(
                "Connection {} is an interconnect; billing modes apply to dedicated connections and their LAGs only.",
                rec.id
            )));
        }
        return Ok(None);
    }
    let mut skip = HashSet::new();
    let mode = match (existing, asked) {
        (Some((rec, wire)), asked) => {
            skip.insert(rec.id.clone());
            let theirs = mode_of(wire.billing_mode);
            match asked {
                None => theirs,
                // A pay-as-you-go joiner converts; a flat-rate one keeps its tier.
                Some(m) if !is_flat(theirs) || m == theirs => m,
                Some(_) => {
                    return Err(ApiError::client(format!(
                        "Connections of a Lag must share one billing mode: {} is billed {}.",
                        rec.id,
                        theirs.as_str()
                    )));
                }
            }
        }
        (None, asked) => asked.unwrap_or(BillingMode::PayAsYouGo),
    };
    check_offered(mode, bandwidth, "a new LAG")?;
    check_location(svc, cx, location, mode, &skip)?;
    Ok(Some(mode))
}

/// The billing mode a port joining a LAG (AssociateConnectionWithLag) ends
/// up with: the LAG's. A pay-as-you-go joiner converts; a flat-rate joiner
/// must already have the LAG's mode.
pub(crate) fn for_lag_joiner(
    port_id: &str,
    port: &Connection,
    lag_id: &str,
    lag: &Lag,
) -> Result<Option<BillingMode>, ApiError> {
    let (Some(ours), Some(theirs)) = (port.billing_mode, lag.billing_mode) else {
        return Ok(port.billing_mode);
    };
    if is_flat(ours) && ours != theirs {
        return Err(lag_mixed(lag_id, port_id, ours));
    }
    Ok(Some(theirs))
}

/// Loads a dedicated connection of the caller whose billing mode may change.
fn load_dedicated(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
) -> Result<(Record, ConnectionDoc), ApiError> {
    let own = |kind| -> Result<Option<(Record, ConnectionDoc)>, ApiError> {
        Ok(svc
            .load::<Connection, ConnectionExtra>(kind, id)?
            .filter(|(r, _)| r.region == cx.region))
    };
    if let Some((rec, doc)) = own(Kind::Connection)? {
        let partner = doc
            .x
            .hosted
            .as_ref()
            .is_some_and(|h| h.partner == cx.account);
        if rec.account != cx.account && !partner {
            return Err(connections::not_found(id));
        }
        if doc.x.hosted.is_some() {
            return Err(ApiError::client(format!(
                "Connection {id} is a hosted connection; billing modes apply to dedicated connections only."
            )));
        }
        if is_gone(&rec.state) || rec.state == "deleting" {
            return Err(ApiError::client(format!(
                "Connection {id} is in state {} and its billing mode cannot be changed.",
                rec.state
            )));
        }
        return Ok((rec, doc));
    }
    if let Some((rec, _)) = own(Kind::Interconnect)?
        && rec.account == cx.account
    {
        return Err(ApiError::client(format!(
            "Connection {id} is an interconnect; billing modes apply to dedicated connections only."
        )));
    }
    Err(connections::not_found(id))
}

/// Keeps the change times still inside the window at `now_ms`.
fn recent(changes: &[i64], now_ms: i64) -> Vec<i64> {
    changes
        .iter()
        .copied()
        .filter(|at| now_ms - *at < WINDOW_MS)
        .collect()
}

pub(crate) fn update_connections_billing_mode(
    svc: &Emulator,
    cx: &RequestContext,
    input: UpdateConnectionsBillingModeRequest,
) -> Result<UpdateConnectionsBillingModeResponse, ApiError> {
    let target = from_request(input.billing_mode);
    let _guard = svc.lock()?;
    // The ports that change, in answer order, and the LAGs involved.
    let mut ports: Vec<(Record, ConnectionDoc)> = Vec::new();
    let mut lags: BTreeMap<String, (Record, LagDoc)> = BTreeMap::new();
    let mut named_lags: HashSet<String> = HashSet::new();
    for id in &input.connection_ids {
        if ports.iter().any(|(r, _)| &r.id == id) || named_lags.contains(id) {
            continue;
        }
        if id.starts_with("dxlag-") {
            let (rec, doc) = lags::load_own(svc, cx, id)?;
            if is_gone(&rec.state) || rec.state == "deleting" {
                return Err(ApiError::client(format!(
                    "Lag {id} is in state {} and its billing mode cannot be changed.",
                    rec.state
                )));
            }
            for (mrec, mdoc) in lags::members(svc, id)? {
                if mrec.kind == Kind::Interconnect {
                    return Err(ApiError::client(format!(
                        "Lag {id} is a LAG of interconnects; billing modes apply to dedicated connections only."
                    )));
                }
                if !ports.iter().any(|(r, _)| r.id == mrec.id) {
                    ports.push((mrec, mdoc));
                }
            }
            named_lags.insert(id.clone());
            lags.insert(id.clone(), (rec, doc));
            continue;
        }
        ports.push(load_dedicated(svc, cx, id)?);
    }
    // The LAGs of the ports named one by one.
    for (_, doc) in &ports {
        if let Some(lag_id) = &doc.wire.lag_id
            && !lags.contains_key(lag_id)
            && let Some(found) = svc.load::<Lag, LagExtra>(Kind::Lag, lag_id)?
        {
            lags.insert(lag_id.clone(), found);
        }
    }
    let changing: HashSet<String> = ports
        .iter()
        .map(|(r, _)| r.id.clone())
        .chain(lags.keys().cloned())
        .collect();

    // Every rule is checked before anything is written: all or nothing.
    for (rec, doc) in &ports {
        check_offered(
            target,
            doc.wire.bandwidth.as_deref().unwrap_or_default(),
            &rec.id,
        )?;
    }
    for (lag_id, (_, doc)) in &lags {
        check_offered(
            target,
            doc.wire
                .connections_bandwidth
                .as_deref()
                .unwrap_or_default(),
            lag_id,
        )?;
        for (mrec, mdoc) in lags::members(svc, lag_id)? {
            let theirs = mode_of(mdoc.wire.billing_mode);
            if !changing.contains(&mrec.id) && theirs != target {
                return Err(lag_mixed(lag_id, &mrec.id, theirs));
            }
        }
    }
    let mut places: Vec<String> = ports
        .iter()
        .filter_map(|(_, d)| d.wire.location.clone())
        .chain(lags.values().filter_map(|(_, d)| d.wire.location.clone()))
        .collect();
    places.sort();
    places.dedup();
    for location in &places {
        check_location(svc, cx, location, target, &changing)?;
    }
    for (rec, doc) in &ports {
        if mode_of(doc.wire.billing_mode) != target
            && recent(&doc.x.billing_changes, cx.now_ms).len() >= MAX_CHANGES
        {
            return Err(ApiError::client(format!(
                "Billing mode of {} can change at most {MAX_CHANGES} times in 6 months",
                rec.id
            )));
        }
    }

    let changed: Vec<String> = ports
        .iter()
        .map(|(rec, _)| rec.id.clone())
        .chain(lags.keys().cloned())
        .collect();
    let mut writes = Vec::new();
    let mut answer = Vec::with_capacity(ports.len());
    for (rec, mut doc) in ports {
        if mode_of(doc.wire.billing_mode) != target {
            let mut changes = recent(&doc.x.billing_changes, cx.now_ms);
            changes.push(cx.now_ms);
            doc.x.billing_changes = changes;
            doc.wire.billing_mode = Some(target);
            let state = rec.state.clone();
            writes.push(Write::Put(
                svc.record(&rec, &state, &doc, None)?,
                Expect::Version(rec.version),
            ));
        }
        answer.push(doc.wire);
    }
    for (rec, mut doc) in lags.into_values() {
        if mode_of(doc.wire.billing_mode) != target {
            doc.wire.billing_mode = Some(target);
            let state = rec.state.clone();
            writes.push(Write::Put(
                svc.record(&rec, &state, &doc, None)?,
                Expect::Version(rec.version),
            ));
        }
    }
    if !writes.is_empty() {
        svc.commit(cx, writes)?;
        // Members of a resiliency group pair up (or part) by their new modes.
        let ids: Vec<&str> = changed.iter().map(String::as_str).collect();
        let repairs = super::resiliency::repair_port_pairs(svc, &ids)?;
        if !repairs.is_empty() {
            svc.commit(cx, repairs)?;
        }
    }
    // Answered as stored now (a port pair's mode included), with the pool
    // and rate limiter figures every connection answer carries.
    for wire in &mut answer {
        if let Some(id) = wire.connection_id.clone() {
            let (rec, doc) = load_dedicated(svc, cx, &id)?;
            *wire = super::capacity::connection_view(svc, &rec, &doc)?;
        }
    }
    tracing::debug!(
        mode = target.as_str(),
        ports = answer.len(),
        "billing mode updated"
    );
    Ok(UpdateConnectionsBillingModeResponse {
        billing_mode: Some(target),
        connections: Some(answer),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_tiers_only_at_10_and_100_gbps() {
        assert!(check_offered(BillingMode::FlatRateTier1, "10Gbps", "x").is_ok());
        assert!(check_offered(BillingMode::FlatRateTier5, "100Gbps", "x").is_ok());
        assert!(check_offered(BillingMode::FlatRateTier1, "1Gbps", "x").is_err());
        assert!(check_offered(BillingMode::FlatRateTier1, "400Gbps", "x").is_err());
        assert!(check_offered(BillingMode::PayAsYouGo, "1Gbps", "x").is_ok());
    }

    #[test]
    fn changes_leave_the_window_after_183_days() {
        let now = 1_000 * WINDOW_MS;
        let kept = recent(&[now - WINDOW_MS, now - WINDOW_MS + 1, now], now);
        assert_eq!(kept, vec![now - WINDOW_MS + 1, now]);
    }

    #[test]
    fn locations_list_tiers_with_cumulative_regions() {
        let loc = locations::find("us-east-1", "EqDC2").unwrap();
        let modes = available_modes(loc);
        assert_eq!(modes.len(), 6);
        assert_eq!(modes[0].billing_mode, Some(BillingMode::PayAsYouGo));
        assert_eq!(modes[0].included_regions, None);
        assert_eq!(
            modes[1].included_regions.as_deref(),
            Some(&["us-east-1".to_string()][..])
        );
        assert_eq!(
            modes[1].available_port_speeds.as_deref(),
            Some(&["10G".to_string(), "100G".to_string()][..])
        );
        for pair in modes[1..].windows(2) {
            let (a, b) = (
                pair[0].included_regions.as_ref().unwrap(),
                pair[1].included_regions.as_ref().unwrap(),
            );
            assert!(a.iter().all(|r| b.contains(r)), "{a:?} ⊄ {b:?}");
            assert!(b.len() > a.len(), "{a:?} vs {b:?}");
        }
        assert!(
            !modes[5]
                .included_regions
                .as_ref()
                .unwrap()
                .iter()
                .any(|r| r.starts_with("cn-"))
        );
    }
}
