//! Link aggregation groups: create, describe, update, delete, and membership.

use super::capacity::{self, Usage};
use super::connections::{ConnectionDoc, ConnectionExtra, fresh_id, is_gone, load_port};
use super::{Doc, Emulator, decode_doc, ids, new_record, paging, ports, store_error, tags};
use crate::api::generated::types::*;
use crate::api::{ApiError, RequestContext};
use crate::store::{Expect, Kind, Query, Record, Write};
use serde::{Deserialize, Serialize};

/// LAGs one account may have per region.
pub const MAX_LAGS_PER_REGION: usize = 10;

/// What the emulator keeps about a LAG besides its wire form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct LagExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
}

pub(crate) type LagDoc = Doc<Lag, LagExtra>;

pub(crate) fn not_found(id: &str) -> ApiError {
    ids::IdKind::Lag.missing(id, |id| {
        ApiError::client(format!("Could not find Lag with ID {id}"))
    })
}

/// Loads a LAG of the caller (same account and region).
pub(crate) fn load_own(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
) -> Result<(Record, LagDoc), ApiError> {
    svc.load_owned(cx, Kind::Lag, id, not_found)
}

/// The live member ports of a LAG (connections and interconnects, not hosted connections).
pub(crate) fn members(
    svc: &Emulator,
    lag_id: &str,
) -> Result<Vec<(Record, ConnectionDoc)>, ApiError> {
    let mut out = Vec::new();
    for kind in [Kind::Connection, Kind::Interconnect] {
        let mut q = Query::kind(kind);
        q.parent = Some(lag_id);
        q.exclude_states = &["deleted", "rejected"];
        for rec in svc.store().list(&q).map_err(store_error)? {
            let doc: ConnectionDoc = decode_doc(&rec)?;
            if doc.x.hosted.is_none() {
                out.push((rec, doc));
            }
        }
    }
    out.sort_by_key(|(r, _)| r.seq);
    Ok(out)
}

/// The state a LAG reports: provisioning first, then whatever its members allow.
fn reported_state(rec: &Record, lag: &Lag, members: &[(Record, ConnectionDoc)]) -> LagState {
    match rec.state.as_str() {
        "requested" => LagState::Requested,
        "pending" => LagState::Pending,
        "deleting" => LagState::Deleting,
        "deleted" => LagState::Deleted,
        _ => {
            let up = members
                .iter()
                .filter(|(r, _)| r.state == "available")
                .count();
            let needed = lag.minimum_links.unwrap_or(0).max(1) as usize;
            if up >= needed {
                LagState::Available
            } else {
                LagState::Down
            }
        }
    }
}

/// The LAG as Describe calls show it, with its members.
pub(crate) fn view(svc: &Emulator, rec: &Record, doc: &LagDoc) -> Result<Lag, ApiError> {
    let members = if rec.state == "deleted" {
        Vec::new()
    } else {
        members(svc, &rec.id)?
    };
    let mut lag = doc.wire.clone();
    // AWS leaves it out for an ordinary customer's LAG (documents stored
    // earlier say `false`).
    if lag.allows_hosted_connections == Some(false) {
        lag.allows_hosted_connections = None;
    }
    lag.lag_state = Some(reported_state(rec, &lag, &members));
    lag.number_of_connections = Some(members.len() as i32);
    let billable = members
        .iter()
        .filter(|(r, _)| capacity::billable(&r.state))
        .count();
    let usage = if capacity::holds(&rec.state) {
        capacity::usage_on(svc, &rec.id, None)?
    } else {
        Usage::default()
    };
    capacity::fill_lag(
        &mut lag,
        billable,
        &usage,
        svc.settings().max_rate_limited_vifs,
    );
    lag.connections = Some(
        members
            .iter()
            .map(|(r, d)| capacity::connection_view(svc, r, d))
            .collect::<Result<Vec<_>, _>>()?,
    );
    Ok(lag)
}

/// Checks that `adding` ports of this kind may join the caller's LAG, and loads it.
pub(crate) fn joinable(
    svc: &Emulator,
    cx: &RequestContext,
    lag_id: &str,
    bandwidth: &str,
    location: &str,
    macsec: bool,
    adding: usize,
) -> Result<(Record, LagDoc), ApiError> {
    let (rec, doc) = load_own(svc, cx, lag_id)?;
    if is_gone(&rec.state) || rec.state == "deleting" {
        return Err(ApiError::client(format!(
            "Lag {lag_id} is in state {}.",
            rec.state
        )));
    }
    let lag = &doc.wire;
    if lag.connections_bandwidth.as_deref() != Some(bandwidth) {
        return Err(ApiError::client(format!(
            "The bandwidth {bandwidth} does not match the bandwidth {} of Lag {lag_id}.",
            lag.connections_bandwidth.as_deref().unwrap_or_default()
        )));
    }
    if lag.location.as_deref() != Some(location) {
        return Err(ApiError::client(format!(
            "The location {location} does not match the location {} of Lag {lag_id}.",
            lag.location.as_deref().unwrap_or_default()
        )));
    }
    if lag.mac_sec_capable.unwrap_or(false) != macsec {
        return Err(ApiError::client(format!(
            "Connection and lag should be requested MacSec at the same time (Lag {lag_id})."
        )));
    }
    let count = members(svc, lag_id)?.len();
    let max = ports::max_lag_members(bandwidth);
    if count + adding > max {
        return Err(ApiError::client(format!(
            "Lag {lag_id} already has {count} connections; a {bandwidth} LAG can have at most {max}."
        )));
    }
    Ok((rec, doc))
}

fn transitioning(id: &str, state: &str) -> Result<(), ApiError> {
    if matches!(state, "pending" | "deleting") {
        return Err(ApiError::client(format!(
            "Connection {id} is in a transitioning state."
        )));
    }
    Ok(())
}

pub(crate) fn create_lag(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateLagRequest,
) -> Result<Lag, ApiError> {
    let macsec = input.request_mac_sec.unwrap_or(false);
    let bandwidth = input.connections_bandwidth.clone();
    let location = ports::validate(&cx.region, &input.location, &bandwidth, macsec)?;
    let max = ports::max_lag_members(&bandwidth);
    let wanted = usize::try_from(input.number_of_connections).unwrap_or(0);
    if wanted < 1 || wanted > max {
        return Err(ApiError::client(format!(
            "numberOfConnections must be between 1 and {max} for a {bandwidth} LAG, got {}.",
            input.number_of_connections
        )));
    }
    let tags = tags::validate_new(input.tags.unwrap_or_default())?;
    let child_tags = tags::validate_new(input.child_connection_tags.unwrap_or_default())?;
    let _guard = svc.lock()?;

    let mut q = Query::kind(Kind::Lag);
    q.account = Some(&cx.account);
    q.region = Some(&cx.region);
    q.exclude_states = &["deleted"];
    q.limit = Some(MAX_LAGS_PER_REGION);
    if svc.store().count(&q).map_err(store_error)? >= MAX_LAGS_PER_REGION {
        return Err(ApiError::client(format!(
            "Lag limit exceeded: account {} already has {MAX_LAGS_PER_REGION} LAGs in {}.",
            cx.account, cx.region
        )));
    }

    // An existing port folded into the new LAG counts toward numberOfConnections.
    let existing = match &input.connection_id {
        Some(id) => {
            let (rec, doc) = load_port(svc, cx, id)?;
            if is_gone(&rec.state) {
                return Err(ApiError::client(format!(
                    "Connection {id} is in state {}.",
                    rec.state
                )));
            }
            transitioning(id, &rec.state)?;
            if doc.x.hosted.is_some() {
                return Err(ApiError::client(format!(
                    "Connection {id} is a hosted connection and cannot join a LAG."
                )));
            }
            if let Some(other) = &doc.wire.lag_id {
                return Err(ApiError::client(format!(
                    "Connection {id} is already a member of Lag {other}."
                )));
            }
            if doc.wire.bandwidth.as_deref() != Some(bandwidth.as_str())
                || doc.wire.location.as_deref() != Some(location.code)
            {
                return Err(ApiError::client(format!(
                    "Connection {id} must have the LAG's bandwidth {bandwidth} and location {}.",
                    location.code
                )));
            }
            if doc.wire.mac_sec_capable.unwrap_or(false) != macsec {
                return Err(ApiError::client(format!(
                    "Connection {id} and lag should be requested MacSec at the same time"
                )));
            }
            Some((rec, doc))
        }
        None => None,
    };
    let new_members = wanted - usize::from(existing.is_some());
    ports::check_location_quota(svc, cx, location.code, new_members)?;
    let billing = super::billing::for_new_lag(
        svc,
        cx,
        location.code,
        &bandwidth,
        input.billing_mode,
        existing.as_ref().map(|(r, d)| (r, &d.wire)),
    )?;

    let lag_id = fresh_id(svc, "dxlag")?;
    // A LAG made of existing connections lives on their device.
    let device = match &existing {
        Some((_, d)) => {
            let fresh = ports::Devices::new(location.code);
            ports::Devices {
                physical: d.wire.aws_device.clone().unwrap_or(fresh.physical),
                v2: d.wire.aws_device_v2.clone().unwrap_or(fresh.v2),
                logical: d
                    .wire
                    .aws_logical_device_id
                    .clone()
                    .unwrap_or(fresh.logical),
            }
        }
        None => ports::Devices::new(location.code),
    };
    // Only a partner's LAG allows hosted connections; with no partners
    // configured, every account may sell, but its LAGs answer as a customer's.
    let is_partner = svc.is_configured_partner(&cx.account);
    let lag = Lag {
        connections_bandwidth: Some(bandwidth.clone()),
        lag_id: Some(lag_id.clone()),
        owner_account: Some(cx.account.clone()),
        lag_name: Some(input.lag_name.clone()),
        lag_state: Some(LagState::Pending),
        location: Some(location.code.to_string()),
        region: Some(cx.region.clone()),
        minimum_links: Some(0),
        aws_device: Some(device.physical.clone()),
        aws_device_v2: Some(device.v2.clone()),
        aws_logical_device_id: Some(device.logical.clone()),
        // AWS leaves it out for an ordinary customer's LAG.
        allows_hosted_connections: is_partner.then_some(true),
        jumbo_frame_capable: Some(true),
        has_logical_redundancy: Some(HasLogicalRedundancy::Unknown),
        tags: Some(tags),
        provider_name: input.provider_name.clone(),
        mac_sec_capable: Some(macsec),
        encryption_mode: Some(if macsec { "no_encrypt" } else { "unknown" }.to_string()),
        mac_sec_keys: macsec.then(Vec::new),
        billing_mode: billing,
        ..Default::default()
    };
    let lag_doc = LagDoc {
        wire: lag,
        x: LagExtra::default(),
    };
    let mut lag_base = new_record(Kind::Lag, &lag_id, cx);
    lag_base.location = Some(location.code.to_string());
    let mut writes = vec![Write::Put(
        svc.record(&lag_base, "pending", &lag_doc, Some(cx.now_ms))?,
        Expect::Absent,
    )];
    let mut member_wires = Vec::new();
    // What the new LAG's VIFs hold, and its members that add to its pool.
    let mut usage = Usage::default();
    let mut billable = 0;
    if let Some((rec, mut doc)) = existing {
        doc.wire.lag_id = Some(lag_id.clone());
        if billing.is_some() {
            doc.wire.billing_mode = billing;
        }
        let mut moved = rec.clone();
        moved.parent = Some(lag_id.clone());
        let state = rec.state.clone();
        writes.push(Write::Put(
            svc.record(&moved, &state, &doc, None)?,
            Expect::Version(rec.version),
        ));
        billable += usize::from(capacity::billable(&rec.state));
        // Its VIFs move to the LAG, with their prefixes and rate limits.
        let vifs = super::vifs::vifs_on(svc, &rec.id)?;
        usage = Usage::of(&vifs, None);
        move_vifs(svc, vifs, &lag_id, &mut writes)?;
        let dedicated = capacity::is_dedicated(rec.kind, &doc);
        capacity::fill_connection(
            &mut doc.wire,
            dedicated,
            &Usage::default(),
            svc.settings().max_rate_limited_vifs,
        );
        member_wires.push(doc.wire);
    }
    for n in 1..=new_members {
        // Ids are checked against the store; members of this batch are not stored yet.
        let mut id = fresh_id(svc, "dxcon")?;
        while member_wires
            .iter()
            .any(|w: &Connection| w.connection_id.as_deref() == Some(id.as_str()))
        {
            id = fresh_id(svc, "dxcon")?;
        }
        let mut wire = ports::new_port(
            cx,
            &id,
            &format!("Requested Connection {n} for Lag {lag_id}"),
            location.code,
            &bandwidth,
            macsec,
            input.provider_name.clone(),
            child_tags.clone(),
        );
        wire.lag_id = Some(lag_id.clone());
        wire.billing_mode = billing;
        wire.aws_device = Some(device.physical.clone());
        wire.aws_device_v2 = Some(device.v2.clone());
        wire.aws_logical_device_id = Some(device.logical.clone());
        let mut doc = ConnectionDoc {
            wire,
            x: ConnectionExtra::default(),
        };
        let mut base = new_record(Kind::Connection, &id, cx);
        base.location = Some(location.code.to_string());
        base.parent = Some(lag_id.clone());
        writes.push(Write::Put(
            svc.record(&base, "requested", &doc, Some(cx.now_ms))?,
            Expect::Absent,
        ));
        capacity::fill_connection(
            &mut doc.wire,
            true,
            &Usage::default(),
            svc.settings().max_rate_limited_vifs,
        );
        member_wires.push(doc.wire);
    }
    svc.commit(cx, writes)?;
    let mut out = lag_doc.wire;
    capacity::fill_lag(
        &mut out,
        billable,
        &usage,
        svc.settings().max_rate_limited_vifs,
    );
    out.number_of_connections = Some(member_wires.len() as i32);
    out.connections = Some(member_wires);
    Ok(out)
}

pub(crate) fn describe_lags(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeLagsRequest,
) -> Result<Lags, ApiError> {
    if let Some(id) = input.lag_id {
        let (rec, doc) = load_own(svc, cx, &id)?;
        return Ok(Lags {
            lags: Some(vec![view(svc, &rec, &doc)?]),
            next_token: None,
        });
    }
    // Deleted LAGs stay listed until the lifecycle purges them, as AWS lists
    // them (a recorded DescribeLags() answered 9 LAGs, 6 of them deleted).
    let mut q = Query::kind(Kind::Lag);
    q.account = Some(&cx.account);
    q.region = Some(&cx.region);
    let (recs, next_token) = paging::page(svc, q, input.max_results, input.next_token.as_deref())?;
    let lags = recs
        .iter()
        .map(|r| view(svc, r, &decode_doc(r)?))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Lags {
        lags: Some(lags),
        next_token,
    })
}

pub(crate) fn update_lag(
    svc: &Emulator,
    cx: &RequestContext,
    input: UpdateLagRequest,
) -> Result<Lag, ApiError> {
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_own(svc, cx, &input.lag_id)?;
    if is_gone(&rec.state) {
        return Err(ApiError::client(format!(
            "Lag {} is in state {}.",
            input.lag_id, rec.state
        )));
    }
    if let Some(name) = input.lag_name {
        doc.wire.lag_name = Some(name);
    }
    if let Some(min) = input.minimum_links {
        let count = members(svc, &input.lag_id)?.len();
        if min < 0 {
            return Err(ApiError::client(format!(
                "MinimumLinks cannot be negative, got {min}."
            )));
        }
        // AWS's text begins so (the Ansible community.aws LAG module matches it).
        if min as usize > count {
            return Err(ApiError::client(format!(
                "MinimumLinks cannot be set higher than the number of connections in Lag {} ({count}).",
                input.lag_id
            )));
        }
        doc.wire.minimum_links = Some(min);
    }
    if let Some(mode) = input.encryption_mode {
        ports::check_encryption_mode(
            "Lag",
            &input.lag_id,
            doc.wire.mac_sec_capable == Some(true),
            &mode,
        )?;
        doc.wire.encryption_mode = Some(mode);
    }
    let state = rec.state.clone();
    let new = svc.record(&rec, &state, &doc, None)?;
    svc.commit(
        cx,
        vec![Write::Put(new.clone(), Expect::Version(rec.version))],
    )?;
    view(svc, &new, &doc)
}

pub(crate) fn delete_lag(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteLagRequest,
) -> Result<Lag, ApiError> {
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_own(svc, cx, &input.lag_id)?;
    if is_gone(&rec.state) {
        return view(svc, &rec, &doc);
    }
    let vifs = super::vifs::vifs_on(svc, &input.lag_id)?;
    if !vifs.is_empty() {
        // AWS's text ends so (the Ansible community.aws LAG module matches it).
        return Err(ApiError::client(format!(
            "Lag {} cannot be deleted until its Virtual Interfaces are deleted.",
            input.lag_id
        )));
    }
    let hosted = super::interconnects::hosted_on(svc, &input.lag_id)?;
    if !hosted.is_empty() {
        return Err(ApiError::client(format!(
            "Lag {} cannot be deleted until its hosted connections are deleted.",
            input.lag_id
        )));
    }
    // Members stay, as standalone ports; leaving its resiliency group ends
    // the LAG's port pair.
    let mut writes = Vec::new();
    let members = members(svc, &input.lag_id)?;
    let member_ids: Vec<String> = members.iter().map(|(r, _)| r.id.clone()).collect();
    writes.extend(super::resiliency::end_membership(
        svc,
        cx,
        &input.lag_id,
        &member_ids,
    )?);
    doc.wire.billing_mode = super::resiliency::unpaired(doc.wire.billing_mode);
    for (mrec, mut mdoc) in members {
        mdoc.wire.lag_id = None;
        mdoc.wire.billing_mode = super::resiliency::unpaired(mdoc.wire.billing_mode);
        let mut free = mrec.clone();
        free.parent = None;
        let state = mrec.state.clone();
        writes.push(Write::Put(
            svc.record(&free, &state, &mdoc, None)?,
            Expect::Version(mrec.version),
        ));
    }
    doc.wire.lag_state = Some(LagState::Deleted);
    doc.x.deleted_at = Some(cx.now_ms);
    let new = svc.record(&rec, "deleted", &doc, Some(cx.now_ms))?;
    writes.push(Write::Put(new.clone(), Expect::Version(rec.version)));
    svc.commit(cx, writes)?;
    view(svc, &new, &doc)
}

/// Moves the hosted connections of an interconnect onto a new parent (LAG or the interconnect itself).
fn move_hosted(
    svc: &Emulator,
    from: &str,
    to: &str,
    lag_id: Option<&str>,
    writes: &mut Vec<Write>,
) -> Result<(), ApiError> {
    for (hrec, mut hdoc) in super::interconnects::hosted_on(svc, from)? {
        if let Some(h) = hdoc.x.hosted.as_mut() {
            h.parent = to.to_string();
        }
        hdoc.wire.lag_id = lag_id.map(str::to_string);
        let mut moved = hrec.clone();
        moved.parent = Some(to.to_string());
        let state = hrec.state.clone();
        writes.push(Write::Put(
            svc.record(&moved, &state, &hdoc, None)?,
            Expect::Version(hrec.version),
        ));
    }
    Ok(())
}

pub(crate) fn associate_connection_with_lag(
    svc: &Emulator,
    cx: &RequestContext,
    input: AssociateConnectionWithLagRequest,
) -> Result<Connection, ApiError> {
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_port(svc, cx, &input.connection_id)?;
    let id = &input.connection_id;
    if is_gone(&rec.state) {
        return Err(ApiError::client(format!(
            "Connection {id} is in state {}.",
            rec.state
        )));
    }
    if doc.x.hosted.is_some() {
        return Err(ApiError::client(format!(
            "Connection {id} is a hosted connection; use AssociateHostedConnection."
        )));
    }
    transitioning(id, &rec.state)?;
    if doc.wire.lag_id.as_deref() == Some(input.lag_id.as_str()) {
        return capacity::connection_view(svc, &rec, &doc);
    }
    // A LAG is one member of a resiliency group: its connections are not
    // members of their own (the group's rule, seen from the other side).
    if let Some(group) = super::resiliency::live_membership(svc, id)?.and_then(|m| m.parent) {
        return Err(ApiError::client(format!(
            "Connection {id} belongs to resiliency group {group}: disassociate it from the group before adding it to a LAG."
        )));
    }
    let bandwidth = doc.wire.bandwidth.clone().unwrap_or_default();
    let location = doc.wire.location.clone().unwrap_or_default();
    let macsec = doc.wire.mac_sec_capable.unwrap_or(false);
    let (_, lag_doc) = joinable(svc, cx, &input.lag_id, &bandwidth, &location, macsec, 1)?;
    let mut writes = Vec::new();
    if let Some(old) = doc.wire.lag_id.clone() {
        leave_check(svc, cx, &old, id, &rec)?;
        capacity::check_member_leaving(svc, &old, &rec)?;
    }
    let vifs = super::vifs::vifs_on(svc, id)?;
    check_joining_vifs(svc, &input.lag_id, &rec, &vifs)?;
    if lag_doc
        .wire
        .mac_sec_keys
        .as_ref()
        .is_some_and(|k| !k.is_empty())
    {
        doc.wire.mac_sec_keys = lag_doc.wire.mac_sec_keys.clone();
    }
    // A pay-as-you-go joiner takes the LAG's billing mode.
    doc.wire.billing_mode =
        super::billing::for_lag_joiner(id, &doc.wire, &input.lag_id, &lag_doc.wire)?;
    doc.wire.lag_id = Some(input.lag_id.clone());
    let mut moved = rec.clone();
    moved.parent = Some(input.lag_id.clone());
    let state = rec.state.clone();
    writes.push(Write::Put(
        svc.record(&moved, &state, &doc, None)?,
        Expect::Version(rec.version),
    ));
    if rec.kind == Kind::Interconnect {
        move_hosted(svc, id, &input.lag_id, Some(&input.lag_id), &mut writes)?;
    }
    // VIFs directly on the connection move to the LAG.
    move_vifs(svc, vifs, &input.lag_id, &mut writes)?;
    svc.commit(cx, writes)?;
    let mut wire = doc.wire;
    let dedicated = rec.kind == Kind::Connection && doc.x.hosted.is_none();
    capacity::fill_connection(
        &mut wire,
        dedicated,
        &Usage::default(),
        svc.settings().max_rate_limited_vifs,
    );
    Ok(wire)
}

/// Moves VIFs onto the LAG `lag_id`, adding their writes to `writes`.
fn move_vifs(
    svc: &Emulator,
    vifs: Vec<(Record, super::vifs::VifDoc)>,
    lag_id: &str,
    writes: &mut Vec<Write>,
) -> Result<(), ApiError> {
    for (vrec, mut vdoc) in vifs {
        vdoc.wire.connection_id = Some(lag_id.to_string());
        let mut moved = vrec.clone();
        moved.parent = Some(lag_id.to_string());
        let state = vrec.state.clone();
        writes.push(Write::Put(
            svc.record(&moved, &state, &vdoc, None)?,
            Expect::Version(vrec.version),
        ));
    }
    Ok(())
}

/// Refuses a port joining the LAG `lag_id` when the VIFs it brings along
/// (`vifs`) do not fit the LAG's pool once the port adds to it, or would
/// take the LAG past its rate limiters.
fn check_joining_vifs(
    svc: &Emulator,
    lag_id: &str,
    joining: &Record,
    vifs: &[(Record, super::vifs::VifDoc)],
) -> Result<(), ApiError> {
    let bringing = Usage::of(vifs, None);
    if bringing == Usage::default() {
        return Ok(());
    }
    let lag = capacity::Parent::load(svc, lag_id)?;
    let after = lag.usage(None).plus(bringing);
    let billable = lag.billable + usize::from(capacity::billable(&joining.state));
    if let Some(pool) = capacity::lag_pool_size(&lag.bandwidth, billable) {
        capacity::check_room(lag_id, pool, after.v4, after.v6)?;
    }
    if bringing.limited > 0 && after.limited > svc.settings().max_rate_limited_vifs {
        return Err(capacity::limiter_full(lag_id, true));
    }
    Ok(())
}

/// Refuses to take a port out of a LAG when that drops it below its minimum links.
fn leave_check(
    svc: &Emulator,
    cx: &RequestContext,
    lag_id: &str,
    id: &str,
    rec: &Record,
) -> Result<(), ApiError> {
    let (_, lag_doc) = load_own(svc, cx, lag_id)?;
    let members = members(svc, lag_id)?;
    let min = lag_doc.wire.minimum_links.unwrap_or(0).max(0) as usize;
    let up_after = members
        .iter()
        .filter(|(r, _)| r.state == "available" && r.id != rec.id)
        .count();
    let last = members.len() <= 1;
    // AWS refuses when the removal "would cause the LAG to fall below" its
    // minimum (DisassociateConnectionFromLag's documentation): a member that is
    // not available yet does not count, so removing it changes nothing.
    if !last && rec.state == "available" && up_after < min {
        return Err(ApiError::client(format!(
            "Removing connection {id} would drop Lag {lag_id} below its minimum of {min} available connections."
        )));
    }
    Ok(())
}

pub(crate) fn disassociate_connection_from_lag(
    svc: &Emulator,
    cx: &RequestContext,
    input: DisassociateConnectionFromLagRequest,
) -> Result<Connection, ApiError> {
    let _guard = svc.lock()?;
    let id = &input.connection_id;
    let lag_id = &input.lag_id;
    let (rec, mut doc) = load_port(svc, cx, id).map_err(|_| {
        ids::IdKind::Connection.missing(id, |id| {
            ApiError::client(format!("Connection does not exist: {id}"))
        })
    })?;
    load_own(svc, cx, lag_id).map_err(|_| {
        ids::IdKind::Lag.missing(lag_id, |id| {
            ApiError::client(format!("Lag does not exist: {id}"))
        })
    })?;
    if is_gone(&rec.state) {
        return Err(ApiError::client(format!(
            "Connection does not exist: {id} is {}",
            rec.state
        )));
    }
    if doc.wire.lag_id.as_deref() != Some(lag_id.as_str()) {
        return Err(ApiError::client(format!(
            "Connection {id} is not a member of Lag {lag_id}."
        )));
    }
    transitioning(id, &rec.state)?;
    leave_check(svc, cx, lag_id, id, &rec)?;
    capacity::check_member_leaving(svc, lag_id, &rec)?;
    doc.wire.lag_id = None;
    let mut writes = Vec::new();
    let mut freed = rec.clone();
    freed.parent = None;
    let state = rec.state.clone();
    // A partner's connection leaving a LAG becomes an interconnect (only when
    // partners are configured: with none, every account may act as one).
    if rec.kind == Kind::Connection && svc.is_configured_partner(&cx.account) {
        writes.push(Write::Delete {
            kind: Kind::Connection,
            id: id.clone(),
            expect: Expect::Version(rec.version),
        });
        freed.kind = Kind::Interconnect;
        writes.push(Write::Put(
            svc.record(&freed, &state, &doc, None)?,
            Expect::Absent,
        ));
    } else {
        writes.push(Write::Put(
            svc.record(&freed, &state, &doc, None)?,
            Expect::Version(rec.version),
        ));
    }
    svc.commit(cx, writes)?;
    let mut wire = doc.wire.clone();
    capacity::fill_connection_in_place(svc, &freed, &doc, &mut wire)?;
    Ok(wire)
}
