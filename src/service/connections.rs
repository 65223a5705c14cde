//! Dedicated connections: create, describe, update, delete, LOA, locations.

use super::{Doc, Emulator, decode_doc, ids, loa, locations, new_record, store_error, tags};
use crate::api::generated::types::*;
use crate::api::wire::Blob;
use crate::api::{ApiError, RequestContext};
use crate::store::{Expect, Kind, Query, Record, Write};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Bandwidths of dedicated ports.
pub const DEDICATED_BANDWIDTHS: &[&str] = &["1Gbps", "10Gbps", "100Gbps", "400Gbps"];

/// Page size cap of every paginated Describe call.
pub const MAX_PAGE: usize = 100;

/// What the emulator keeps about a connection besides its wire form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ConnectionExtra {
    /// When it was deleted (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
}

pub(crate) type ConnectionDoc = Doc<Connection, ConnectionExtra>;

pub(crate) fn not_found(id: &str) -> ApiError {
    ApiError::client(format!("Could not find Connection with ID {id}"))
}

/// Loads a connection of the caller (same account and region) or fails as AWS does.
pub(crate) fn load_own(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
) -> Result<(Record, ConnectionDoc), ApiError> {
    match svc.load::<Connection, ConnectionExtra>(Kind::Connection, id)? {
        Some((rec, doc)) if rec.account == cx.account && rec.region == cx.region => Ok((rec, doc)),
        _ => Err(not_found(id)),
    }
}

fn is_gone(state: &str) -> bool {
    matches!(state, "deleted" | "rejected")
}

pub(crate) fn create_connection(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateConnectionRequest,
) -> Result<Connection, ApiError> {
    if !DEDICATED_BANDWIDTHS.contains(&input.bandwidth.as_str()) {
        return Err(ApiError::client(format!(
            "Bandwidth {} is not a valid dedicated connection bandwidth. Valid values: {}.",
            input.bandwidth,
            DEDICATED_BANDWIDTHS.join(", ")
        )));
    }
    let location = locations::find(&cx.region, &input.location).ok_or_else(|| {
        ApiError::client(format!(
            "Location {} is not a valid Direct Connect location in {}. DescribeLocations lists the locations of a Region.",
            input.location, cx.region
        ))
    })?;
    let speed = locations::port_speed(&input.bandwidth).unwrap_or_default();
    if !location.port_speeds.contains(&speed) {
        return Err(ApiError::client(format!(
            "Bandwidth {} is not available at location {}. Available port speeds: {}.",
            input.bandwidth,
            location.code,
            location.port_speeds.join(", ")
        )));
    }
    let macsec = input.request_mac_sec.unwrap_or(false);
    if macsec && !location.macsec_speeds.contains(&speed) {
        return Err(ApiError::client(format!(
            "MAC Security (MACsec) is not available for {} connections at location {}.",
            input.bandwidth, location.code
        )));
    }
    if input.lag_id.is_some() {
        return Err(ApiError::server(
            "CreateConnection with lagId is not implemented by dxemu yet",
        ));
    }
    let tags = tags::validate_new(input.tags.unwrap_or_default())?;

    let _guard = svc.lock();
    let mut q = Query::kind(Kind::Connection);
    q.account = Some(&cx.account);
    q.region = Some(&cx.region);
    q.location = Some(location.code);
    q.exclude_states = &["deleted", "rejected", "deleting"];
    let active = svc.store().count(&q).map_err(store_error)?;
    let limit = svc.settings().max_connections_per_location;
    if active >= limit {
        return Err(ApiError::client(format!(
            "Connection limit exceeded: account {} already has {active} connections at location {} in {} (limit {limit}).",
            cx.account, location.code, cx.region
        )));
    }

    let device = ids::device(location.code);
    let id = fresh_id(svc, Kind::Connection, "dxcon")?;
    let wire = Connection {
        owner_account: Some(cx.account.clone()),
        connection_id: Some(id.clone()),
        connection_name: Some(input.connection_name),
        connection_state: Some(ConnectionState::Requested),
        region: Some(cx.region.clone()),
        location: Some(location.code.to_string()),
        bandwidth: Some(input.bandwidth),
        aws_device: Some(device.clone()),
        jumbo_frame_capable: Some(true),
        aws_device_v2: Some(device.clone()),
        aws_logical_device_id: Some(device),
        has_logical_redundancy: Some(HasLogicalRedundancy::Unknown),
        tags: Some(tags),
        provider_name: input.provider_name,
        mac_sec_capable: Some(macsec),
        port_encryption_status: macsec.then(|| "Encryption Down".to_string()),
        encryption_mode: Some(if macsec { "no_encrypt" } else { "unknown" }.to_string()),
        mac_sec_keys: macsec.then(Vec::new),
        ..Default::default()
    };
    let doc = ConnectionDoc {
        wire,
        x: ConnectionExtra::default(),
    };
    let mut base = new_record(Kind::Connection, &id, cx);
    base.location = Some(location.code.to_string());
    let rec = svc.record(&base, "requested", &doc, Some(cx.now_ms))?;
    svc.commit(vec![Write::Put(rec, Expect::Absent)])?;
    Ok(doc.wire)
}

/// A new random id of `kind` that no stored resource has. Call under the write lock.
pub(crate) fn fresh_id(svc: &Emulator, kind: Kind, prefix: &str) -> Result<String, ApiError> {
    for _ in 0..16 {
        let id = ids::resource_id(prefix);
        if svc.store().get(kind, &id).map_err(store_error)?.is_none() {
            return Ok(id);
        }
    }
    Err(ApiError::server(
        "Could not allocate a resource id; retry the request",
    ))
}

/// An opaque pagination token: base64 of a small JSON document.
pub(crate) fn encode_token(seq: i64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"v\":1,\"s\":{seq}}}"))
}

pub(crate) fn decode_token(token: &str) -> Result<i64, ApiError> {
    let bad = || ApiError::client("The nextToken provided is not valid.");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.as_bytes())
        .map_err(|_| bad())?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    v.get("s")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(bad)
}

/// The page size a request asks for: all when absent, at most 100.
pub(crate) fn page_size(max_results: Option<i32>) -> Result<Option<usize>, ApiError> {
    match max_results {
        None => Ok(None),
        Some(n) if n < 1 => Err(ApiError::client(format!(
            "maxResults must be at least 1, got {n}."
        ))),
        Some(n) => Ok(Some((n as usize).min(MAX_PAGE))),
    }
}

pub(crate) fn describe_connections(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeConnectionsRequest,
) -> Result<Connections, ApiError> {
    if let Some(id) = input.connection_id {
        let (_, doc) = load_own(svc, cx, &id)?;
        return Ok(Connections {
            connections: Some(vec![doc.wire]),
            next_token: None,
        });
    }
    let limit = page_size(input.max_results)?;
    let after = input.next_token.as_deref().map(decode_token).transpose()?;
    let mut q = Query::kind(Kind::Connection);
    q.account = Some(&cx.account);
    q.region = Some(&cx.region);
    q.exclude_states = &["deleted", "rejected"];
    q.after_seq = after;
    // One more than the page tells whether another page follows.
    q.limit = limit.map(|n| n + 1);
    let mut recs = svc.store().list(&q).map_err(store_error)?;
    let mut next_token = None;
    if let Some(n) = limit
        && recs.len() > n
    {
        recs.truncate(n);
        next_token = recs.last().map(|r| encode_token(r.seq));
    }
    let connections = recs
        .iter()
        .map(|r| decode_doc::<Connection, ConnectionExtra>(r).map(|d| d.wire))
        .collect::<Result<Vec<_>, _>>()?;
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
    let _guard = svc.lock();
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
        if doc.wire.mac_sec_capable != Some(true) {
            return Err(ApiError::client(format!(
                "Connection {} does not support MAC Security (MACsec); encryptionMode cannot be set.",
                input.connection_id
            )));
        }
        if !matches!(
            mode.as_str(),
            "no_encrypt" | "should_encrypt" | "must_encrypt"
        ) {
            return Err(ApiError::client(format!(
                "Invalid encryptionMode {mode}. Valid values: no_encrypt, should_encrypt, must_encrypt."
            )));
        }
        doc.wire.encryption_mode = Some(mode);
    }
    let state = rec.state.clone();
    let new = svc.record(&rec, &state, &doc, None)?;
    svc.commit(vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(doc.wire)
}

pub(crate) fn delete_connection(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteConnectionRequest,
) -> Result<Connection, ApiError> {
    let _guard = svc.lock();
    let (rec, mut doc) = load_own(svc, cx, &input.connection_id)?;
    if is_gone(&rec.state) {
        return Ok(doc.wire);
    }
    doc.wire.connection_state = Some(ConnectionState::Deleted);
    doc.x.deleted_at = Some(cx.now_ms);
    let new = svc.record(&rec, "deleted", &doc, Some(cx.now_ms))?;
    svc.commit(vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(doc.wire)
}

/// Renders the LOA-CFA of a connection and records the time it was issued.
fn connection_loa(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
    provider_name: Option<&str>,
) -> Result<Loa, ApiError> {
    let _guard = svc.lock();
    let (rec, mut doc) = load_own(svc, cx, id)?;
    if matches!(
        rec.state.as_str(),
        "requested" | "deleting" | "deleted" | "rejected"
    ) {
        return Err(ApiError::client(format!(
            "The Letter of Authorization for {id} is not available while the connection is in state {}.",
            rec.state
        )));
    }
    let wire = &doc.wire;
    let code = wire.location.clone().unwrap_or_default();
    let location_name = locations::find(&cx.region, &code)
        .map(|l| l.name)
        .unwrap_or_default();
    let provider = provider_name.or(wire.provider_name.as_deref());
    let pdf = loa::render(&loa::LoaRequest {
        resource_id: id,
        resource_name: wire.connection_name.as_deref().unwrap_or_default(),
        location_code: &code,
        location_name,
        aws_device: wire.aws_device_v2.as_deref().unwrap_or_default(),
        bandwidth: wire.bandwidth.as_deref().unwrap_or_default(),
        requester_account: &cx.account,
        provider_name: provider,
        region: &cx.region,
        issued_at_ms: cx.now_ms,
    });
    doc.wire.loa_issue_time = Some(cx.now_secs());
    let state = rec.state.clone();
    let new = svc.record(&rec, &state, &doc, None)?;
    svc.commit(vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(Loa {
        loa_content: Some(Blob(pdf)),
        loa_content_type: Some(LoaContentType::ApplicationPdf),
    })
}

pub(crate) fn describe_loa(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeLoaRequest,
) -> Result<Loa, ApiError> {
    if input.connection_id.starts_with("dxlag-") {
        return Err(ApiError::client(format!(
            "Could not find Lag with ID {}",
            input.connection_id
        )));
    }
    connection_loa(
        svc,
        cx,
        &input.connection_id,
        input.provider_name.as_deref(),
    )
}

pub(crate) fn describe_connection_loa(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeConnectionLoaRequest,
) -> Result<DescribeConnectionLoaResponse, ApiError> {
    let loa = connection_loa(
        svc,
        cx,
        &input.connection_id,
        input.provider_name.as_deref(),
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
        })
        .collect();
    Ok(Locations {
        locations: Some(list),
    })
}
