//! Dedicated connections: create, describe, update, delete, LOA, locations.

use super::{Doc, Emulator, ids, loa, locations, paging, ports, store_error, tags};
use crate::api::generated::types::*;
use crate::api::wire::Blob;
use crate::api::{ApiError, RequestContext};
use crate::store::{Expect, Kind, Query, Record, Write};
use serde::{Deserialize, Serialize};

/// What the emulator keeps about a connection besides its wire form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ConnectionExtra {
    /// When it was deleted (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    /// Set on hosted connections: who allocated it, and on what.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted: Option<Hosted>,
    /// When its billing mode changed (epoch ms), within the counting window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub billing_changes: Vec<i64>,
}

/// The partner side of a hosted connection.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Hosted {
    /// The partner account that allocated it.
    pub partner: String,
    /// The interconnect or LAG it runs on.
    pub parent: String,
}

pub(crate) type ConnectionDoc = Doc<Connection, ConnectionExtra>;

pub(crate) fn not_found(id: &str) -> ApiError {
    ids::IdKind::Connection.missing(id, |id| {
        ApiError::client(format!("Could not find Connection with ID {id}"))
    })
}

/// Loads a connection of the caller (same account and region) or fails as AWS does.
pub(crate) fn load_own(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
) -> Result<(Record, ConnectionDoc), ApiError> {
    svc.load_owned(cx, Kind::Connection, id, not_found)
}

/// Loads a port of the caller: a connection or an interconnect.
pub(crate) fn load_port(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
) -> Result<(Record, ConnectionDoc), ApiError> {
    for kind in [Kind::Connection, Kind::Interconnect] {
        if let Some((rec, doc)) = svc.load::<Connection, ConnectionExtra>(kind, id)?
            && rec.account == cx.account
            && rec.region == cx.region
        {
            return Ok((rec, doc));
        }
    }
    Err(not_found(id))
}

/// Loads a connection its owner or, for a hosted connection, its partner may act on.
pub(crate) fn load_owned_or_hosted(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
) -> Result<(Record, ConnectionDoc), ApiError> {
    match svc.load::<Connection, ConnectionExtra>(Kind::Connection, id)? {
        Some((rec, doc))
            if rec.region == cx.region
                && (rec.account == cx.account
                    || doc
                        .x
                        .hosted
                        .as_ref()
                        .is_some_and(|h| h.partner == cx.account)) =>
        {
            Ok((rec, doc))
        }
        _ => Err(not_found(id)),
    }
}

pub(crate) fn is_gone(state: &str) -> bool {
    matches!(state, "deleted" | "rejected")
}

pub(crate) fn create_connection(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateConnectionRequest,
) -> Result<Connection, ApiError> {
    let macsec = input.request_mac_sec.unwrap_or(false);
    let location = ports::validate(&cx.region, &input.location, &input.bandwidth, macsec)?;
    let tags = tags::validate_new(input.tags.unwrap_or_default())?;
    let _guard = svc.lock()?;
    ports::check_location_quota(svc, cx, location.code, 1)?;
    let billing = super::billing::for_new_connection(
        svc,
        cx,
        location.code,
        &input.bandwidth,
        input.billing_mode,
        input.lag_id.as_deref(),
    )?;
    ports::create_billed(
        svc,
        cx,
        ports::NewPort {
            kind: Kind::Connection,
            name: &input.connection_name,
            location,
            bandwidth: &input.bandwidth,
            macsec,
            provider_name: input.provider_name,
            tags,
            lag_id: input.lag_id.as_deref(),
        },
        Some(billing),
    )
}

/// A new random id that no stored resource with the same prefix has. Call under the write lock.
pub(crate) fn fresh_id(svc: &Emulator, prefix: &str) -> Result<String, ApiError> {
    let kinds: &[Kind] = match prefix {
        "dxcon" => &[Kind::Connection, Kind::Interconnect],
        "dxlag" => &[Kind::Lag],
        "dxvif" => &[Kind::VirtualInterface],
        _ => &[],
    };
    for _ in 0..16 {
        let id = ids::resource_id(prefix);
        let mut taken = false;
        for kind in kinds {
            taken |= svc.store().exists(*kind, &id).map_err(store_error)?;
        }
        if !taken {
            return Ok(id);
        }
    }
    Err(ApiError::server(
        "Could not allocate a resource id; retry the request",
    ))
}

pub(crate) fn describe_connections(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeConnectionsRequest,
) -> Result<Connections, ApiError> {
    if let Some(id) = input.connection_id {
        let (rec, doc) = load_own(svc, cx, &id)?;
        return Ok(Connections {
            connections: Some(vec![super::capacity::connection_view(svc, &rec, &doc)?]),
            next_token: None,
        });
    }
    let mut q = Query::kind(Kind::Connection);
    q.account = Some(&cx.account);
    q.region = Some(&cx.region);
    // Deleted and rejected connections stay listed until the lifecycle purges
    // them, as AWS lists them (a recorded DescribeConnections() included one).
    let (recs, next_token) = paging::page(svc, q, input.max_results, input.next_token.as_deref())?;
    let connections = super::capacity::connection_views(svc, &recs)?;
    Ok(Connections {
        connections: Some(connections),
        next_token,
    })
}

pub(crate) fn update_connection(
    svc: &Emulator,
    cx: &RequestContext,
    input: UpdateConnectionRequest,
) -> Result<Connection, ApiError> {
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_own(svc, cx, &input.connection_id)?;
    if is_gone(&rec.state) {
        return Err(ApiError::client(format!(
            "Connection {} is in state {} and cannot be updated.",
            input.connection_id, rec.state
        )));
    }
    if let Some(name) = input.connection_name {
        doc.wire.connection_name = Some(name);
    }
    if let Some(mode) = input.encryption_mode {
        ports::check_encryption_mode(
            "Connection",
            &input.connection_id,
            doc.wire.mac_sec_capable == Some(true),
            &mode,
        )?;
        doc.wire.encryption_mode = Some(mode);
    }
    let state = rec.state.clone();
    let new = svc.record(&rec, &state, &doc, None)?;
    svc.commit(cx, vec![Write::Put(new, Expect::Version(rec.version))])?;
    super::capacity::connection_view(svc, &rec, &doc)
}

pub(crate) fn delete_connection(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteConnectionRequest,
) -> Result<Connection, ApiError> {
    let id = &input.connection_id;
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_owned_or_hosted(svc, cx, id)?;
    if is_gone(&rec.state) {
        return super::capacity::connection_view(svc, &rec, &doc);
    }
    if let Some(lag_id) = doc.wire.lag_id.clone().filter(|_| doc.x.hosted.is_none())
        && let Some((_, lag)) = svc.load::<Lag, super::lags::LagExtra>(Kind::Lag, &lag_id)?
    {
        let members = super::lags::members(svc, &lag_id)?;
        let min = lag.wire.minimum_links.unwrap_or(0).max(0) as usize;
        let up_after = members
            .iter()
            .filter(|(r, _)| r.state == "available" && r.id != rec.id)
            .count();
        if members.len() > 1 && up_after < min {
            return Err(ApiError::client(format!(
                "Connection {id} cannot be deleted: Lag {lag_id} would fall below its minimum of {min} available connections."
            )));
        }
        super::capacity::check_member_leaving(svc, &lag_id, &rec)?;
    }
    let vifs = super::vifs::vifs_on(svc, id)?;
    if !vifs.is_empty() {
        return Err(ApiError::client(format!(
            "Connection {id} cannot be deleted while it has virtual interfaces ({}).",
            vifs.len()
        )));
    }
    // The customer deleting a hosted connection it never confirmed declines it.
    let declined = rec.state == "ordering" && rec.account == cx.account && doc.x.hosted.is_some();
    let (state, wire_state) = if declined {
        ("rejected", ConnectionState::Rejected)
    } else {
        ("deleted", ConnectionState::Deleted)
    };
    doc.wire.connection_state = Some(wire_state);
    doc.x.deleted_at = Some(cx.now_ms);
    // Leaving its resiliency group ends its port pair.
    doc.wire.billing_mode = super::resiliency::unpaired(doc.wire.billing_mode);
    let ended = super::resiliency::end_membership(svc, cx, id, &[])?;
    let new = svc.record(&rec, state, &doc, Some(cx.now_ms))?;
    let mut writes = vec![Write::Put(new, Expect::Version(rec.version))];
    writes.extend(ended);
    svc.commit(cx, writes)?;
    // A deleted connection has no VIFs left: its pool is whole.
    let dedicated = super::capacity::is_dedicated(rec.kind, &doc);
    let mut wire = doc.wire;
    super::capacity::fill_connection(
        &mut wire,
        dedicated,
        &super::capacity::Usage::default(),
        svc.settings().max_rate_limited_vifs,
    );
    Ok(wire)
}

/// What an LOA names, taken from the port or LAG it is for.
struct LoaSubject {
    name: String,
    location: String,
    device: String,
    bandwidth: String,
    provider: Option<String>,
}

fn render_loa(
    cx: &RequestContext,
    id: &str,
    subject: &LoaSubject,
    provider_name: Option<&str>,
) -> Loa {
    let location_name = locations::find(&cx.region, &subject.location)
        .map(|l| l.name)
        .unwrap_or_default();
    let pdf = loa::render(&loa::LoaRequest {
        resource_id: id,
        resource_name: &subject.name,
        location_code: &subject.location,
        location_name,
        aws_device: &subject.device,
        bandwidth: &subject.bandwidth,
        requester_account: &cx.account,
        provider_name: provider_name.or(subject.provider.as_deref()),
        region: &cx.region,
        issued_at_ms: cx.now_ms,
    });
    Loa {
        loa_content: Some(Blob(pdf)),
        loa_content_type: Some(LoaContentType::ApplicationPdf),
    }
}

fn loa_unavailable(id: &str, state: &str) -> Result<(), ApiError> {
    if matches!(
        state,
        "requested" | "ordering" | "deleting" | "deleted" | "rejected"
    ) {
        return Err(ApiError::client(format!(
            "The Letter of Authorization for {id} is not available while it is in state {state}."
        )));
    }
    Ok(())
}

/// Renders the LOA-CFA of a connection or interconnect and records when it was issued.
pub(crate) fn port_loa(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
    provider_name: Option<&str>,
    interconnect_only: bool,
) -> Result<Loa, ApiError> {
    let _guard = svc.lock()?;
    let (rec, mut doc) = if interconnect_only {
        super::interconnects::load_own(svc, cx, id)?
    } else {
        load_port(svc, cx, id)?
    };
    if doc.x.hosted.is_some() {
        return Err(ApiError::client(format!(
            "Connection {id} is a hosted connection: its Letter of Authorization is issued to the partner for the interconnect."
        )));
    }
    loa_unavailable(id, &rec.state)?;
    let w = &doc.wire;
    let subject = LoaSubject {
        name: w.connection_name.clone().unwrap_or_default(),
        location: w.location.clone().unwrap_or_default(),
        device: w.aws_device_v2.clone().unwrap_or_default(),
        bandwidth: w.bandwidth.clone().unwrap_or_default(),
        provider: w.provider_name.clone(),
    };
    let loa = render_loa(cx, id, &subject, provider_name);
    doc.wire.loa_issue_time = Some(cx.now_secs());
    let state = rec.state.clone();
    let new = svc.record(&rec, &state, &doc, None)?;
    svc.commit(cx, vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(loa)
}

fn lag_loa(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
    provider_name: Option<&str>,
) -> Result<Loa, ApiError> {
    let (rec, doc) = super::lags::load_own(svc, cx, id)?;
    loa_unavailable(id, &rec.state)?;
    let w = &doc.wire;
    let subject = LoaSubject {
        name: w.lag_name.clone().unwrap_or_default(),
        location: w.location.clone().unwrap_or_default(),
        device: w.aws_device_v2.clone().unwrap_or_default(),
        bandwidth: w.connections_bandwidth.clone().unwrap_or_default(),
        provider: w.provider_name.clone(),
    };
    Ok(render_loa(cx, id, &subject, provider_name))
}

pub(crate) fn describe_loa(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeLoaRequest,
) -> Result<Loa, ApiError> {
    let id = &input.connection_id;
    if id.starts_with("dxlag-") {
        return lag_loa(svc, cx, id, input.provider_name.as_deref());
    }
    port_loa(svc, cx, id, input.provider_name.as_deref(), false)
}

pub(crate) fn describe_connection_loa(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeConnectionLoaRequest,
) -> Result<DescribeConnectionLoaResponse, ApiError> {
    let _ = load_own(svc, cx, &input.connection_id)?;
    let loa = port_loa(
        svc,
        cx,
        &input.connection_id,
        input.provider_name.as_deref(),
        false,
    )?;
    Ok(DescribeConnectionLoaResponse { loa: Some(loa) })
}

pub(crate) fn describe_locations(cx: &RequestContext) -> Result<Locations, ApiError> {
    let list = locations::in_region(&cx.region)
        .map(|l| Location {
            location_code: Some(l.code.to_string()),
            location_name: Some(l.name.to_string()),
            region: Some(l.region.to_string()),
            available_port_speeds: Some(l.port_speeds.iter().map(|s| s.to_string()).collect()),
            available_providers: Some(l.providers.iter().map(|s| s.to_string()).collect()),
            available_mac_sec_port_speeds: Some(
                l.macsec_speeds.iter().map(|s| s.to_string()).collect(),
            ),
            available_billing_modes: Some(super::billing::available_modes(l)),
        })
        .collect();
    Ok(Locations {
        locations: Some(list),
    })
}
