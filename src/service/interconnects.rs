//! Interconnects (partner ports) and the hosted connections partners sell on them.

use super::connections::{
    ConnectionDoc, ConnectionExtra, Hosted, fresh_id, is_gone, load_owned_or_hosted, port_loa,
};
use super::{Emulator, decode_doc, new_record, paging, ports, store_error, tags};
use crate::api::generated::types::*;
use crate::api::{ApiError, RequestContext, is_account_id};
use crate::store::{Expect, Kind, Query, Record, Write};

fn not_found(id: &str) -> ApiError {
    super::ids::IdKind::Interconnect.missing(id, |id| {
        ApiError::client(format!("Could not find Interconnect with ID {id}"))
    })
}

/// Loads an interconnect of the caller.
pub(crate) fn load_own(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
) -> Result<(Record, ConnectionDoc), ApiError> {
    svc.load_owned(cx, Kind::Interconnect, id, not_found)
}

/// An interconnect as the wire shows it (stored in the connection shape).
fn as_interconnect(mut c: Connection) -> Interconnect {
    ports::hide_unallocated_devices(&mut c);
    let state = c
        .connection_state
        .and_then(|s| InterconnectState::from_wire(s.as_str()))
        .or(Some(InterconnectState::Unknown));
    Interconnect {
        interconnect_id: c.connection_id,
        interconnect_name: c.connection_name,
        interconnect_state: state,
        region: c.region,
        location: c.location,
        bandwidth: c.bandwidth,
        loa_issue_time: c.loa_issue_time,
        lag_id: c.lag_id,
        aws_device: c.aws_device,
        jumbo_frame_capable: c.jumbo_frame_capable,
        aws_device_v2: c.aws_device_v2,
        aws_logical_device_id: c.aws_logical_device_id,
        has_logical_redundancy: c.has_logical_redundancy,
        tags: c.tags,
        provider_name: c.provider_name,
        mac_sec_capable: c.mac_sec_capable,
        port_encryption_status: c.port_encryption_status,
        encryption_mode: c.encryption_mode,
        mac_sec_keys: c.mac_sec_keys,
    }
}

/// The live hosted connections on an interconnect or LAG.
pub(crate) fn hosted_on(
    svc: &Emulator,
    parent: &str,
) -> Result<Vec<(Record, ConnectionDoc)>, ApiError> {
    let mut q = Query::kind(Kind::Connection);
    q.parent = Some(parent);
    q.exclude_states = &["deleted", "rejected"];
    let mut out = Vec::new();
    for rec in svc.store().list(&q).map_err(store_error)? {
        let doc: ConnectionDoc = decode_doc(&rec)?;
        if doc.x.hosted.is_some() {
            out.push((rec, doc));
        }
    }
    Ok(out)
}

pub(crate) fn create_interconnect(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateInterconnectRequest,
) -> Result<Interconnect, ApiError> {
    svc.require_partner(cx)?;
    let macsec = input.request_mac_sec.unwrap_or(false);
    let location = ports::validate(&cx.region, &input.location, &input.bandwidth, macsec)?;
    let tags = tags::validate_new(input.tags.unwrap_or_default())?;
    let _guard = svc.lock()?;
    let port = ports::create(
        svc,
        cx,
        ports::NewPort {
            kind: Kind::Interconnect,
            name: &input.interconnect_name,
            location,
            bandwidth: &input.bandwidth,
            macsec,
            provider_name: input.provider_name,
            tags,
            lag_id: input.lag_id.as_deref(),
        },
    )?;
    Ok(as_interconnect(port))
}

pub(crate) fn describe_interconnects(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeInterconnectsRequest,
) -> Result<Interconnects, ApiError> {
    if let Some(id) = input.interconnect_id {
        let (_, doc) = load_own(svc, cx, &id)?;
        return Ok(Interconnects {
            interconnects: Some(vec![as_interconnect(doc.wire)]),
            next_token: None,
        });
    }
    let mut q = Query::kind(Kind::Interconnect);
    q.account = Some(&cx.account);
    q.region = Some(&cx.region);
    // Deleted interconnects stay listed until purged, like connections.
    let (recs, next_token) = paging::page(svc, q, input.max_results, input.next_token.as_deref())?;
    let interconnects = recs
        .iter()
        .map(|r| decode_doc::<Connection, ConnectionExtra>(r).map(|d| as_interconnect(d.wire)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Interconnects {
        interconnects: Some(interconnects),
        next_token,
    })
}

pub(crate) fn delete_interconnect(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteInterconnectRequest,
) -> Result<DeleteInterconnectResponse, ApiError> {
    let id = &input.interconnect_id;
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_own(svc, cx, id)?;
    if is_gone(&rec.state) {
        return Ok(DeleteInterconnectResponse {
            interconnect_state: Some(InterconnectState::Deleted),
        });
    }
    let hosted = hosted_on(svc, id)?;
    if !hosted.is_empty() {
        return Err(ApiError::client(format!(
            "Interconnect {id} cannot be deleted while it has hosted connections ({}).",
            hosted.len()
        )));
    }
    doc.wire.connection_state = Some(ConnectionState::Deleted);
    doc.wire.lag_id = None;
    doc.x.deleted_at = Some(cx.now_ms);
    let mut gone = rec.clone();
    gone.parent = None;
    let new = svc.record(&gone, "deleted", &doc, Some(cx.now_ms))?;
    svc.commit(cx, vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(DeleteInterconnectResponse {
        interconnect_state: Some(InterconnectState::Deleted),
    })
}

pub(crate) fn describe_interconnect_loa(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeInterconnectLoaRequest,
) -> Result<DescribeInterconnectLoaResponse, ApiError> {
    let loa = port_loa(
        svc,
        cx,
        &input.interconnect_id,
        input.provider_name.as_deref(),
        true,
    )?;
    Ok(DescribeInterconnectLoaResponse { loa: Some(loa) })
}

/// The parent a partner allocates on: its own interconnect or LAG.
struct Parent {
    id: String,
    lag_id: Option<String>,
    bandwidth: String,
    location: String,
    device: Option<String>,
    physical: Option<String>,
    logical: Option<String>,
    macsec: bool,
    jumbo: Option<bool>,
}

fn load_parent(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
    lags_allowed: bool,
) -> Result<Parent, ApiError> {
    let missing = || {
        ApiError::client(format!(
            "{} DescribeHostedConnections failed for connection {id} doesn't exist.",
            cx.account
        ))
    };
    if id.starts_with("dxlag-") && lags_allowed {
        let (rec, doc) = super::lags::load_own(svc, cx, id).map_err(|_| missing())?;
        if is_gone(&rec.state) {
            return Err(missing());
        }
        if doc.wire.allows_hosted_connections != Some(true) && !svc.is_partner(&rec.account) {
            return Err(ApiError::client(format!(
                "Lag {id} does not allow hosted connections."
            )));
        }
        return Ok(Parent {
            id: id.to_string(),
            lag_id: Some(id.to_string()),
            bandwidth: doc.wire.connections_bandwidth.unwrap_or_default(),
            location: doc.wire.location.unwrap_or_default(),
            device: doc.wire.aws_device_v2,
            physical: doc.wire.aws_device,
            logical: doc.wire.aws_logical_device_id,
            macsec: doc.wire.mac_sec_capable.unwrap_or(false),
            jumbo: doc.wire.jumbo_frame_capable,
        });
    }
    let (rec, doc) = load_own(svc, cx, id).map_err(|_| missing())?;
    if is_gone(&rec.state) {
        return Err(missing());
    }
    Ok(Parent {
        id: id.to_string(),
        lag_id: None,
        bandwidth: doc.wire.bandwidth.unwrap_or_default(),
        location: doc.wire.location.unwrap_or_default(),
        device: doc.wire.aws_device_v2,
        physical: doc.wire.aws_device,
        logical: doc.wire.aws_logical_device_id,
        macsec: doc.wire.mac_sec_capable.unwrap_or(false),
        jumbo: doc.wire.jumbo_frame_capable,
    })
}

fn check_vlan(
    svc: &Emulator,
    parent: &str,
    vlan: i32,
    except: Option<&str>,
) -> Result<(), ApiError> {
    if !(1..=4094).contains(&vlan) {
        return Err(ApiError::client(format!(
            "VLAN {vlan} is out of range: it must be between 1 and 4094."
        )));
    }
    let taken = hosted_on(svc, parent)?
        .into_iter()
        .any(|(r, d)| d.wire.vlan == Some(vlan) && Some(r.id.as_str()) != except);
    if taken {
        return Err(ApiError::client(format!(
            "VLAN {vlan} is already in use on {parent}."
        )));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn allocate(
    svc: &Emulator,
    cx: &RequestContext,
    parent_id: &str,
    owner: &str,
    bandwidth: &str,
    name: &str,
    vlan: i32,
    tags: Vec<Tag>,
    lags_allowed: bool,
    allowed: &[&str],
) -> Result<Connection, ApiError> {
    svc.require_partner(cx)?;
    if !is_account_id(owner) {
        return Err(ApiError::client(format!(
            "ownerAccount {owner} is not a valid 12-digit account ID."
        )));
    }
    if !allowed.contains(&bandwidth) {
        return Err(ApiError::client(format!(
            "Bandwidth {bandwidth} is not a valid hosted connection bandwidth. Valid values: {}.",
            allowed.join(", ")
        )));
    }
    let tags = tags::validate_new(tags)?;
    let _guard = svc.lock()?;
    let parent = load_parent(svc, cx, parent_id, lags_allowed)?;
    if ports::mbps(bandwidth) > ports::mbps(&parent.bandwidth) {
        return Err(ApiError::client(format!(
            "Bandwidth {bandwidth} exceeds the bandwidth {} of {parent_id}.",
            parent.bandwidth
        )));
    }
    check_vlan(svc, &parent.id, vlan, None)?;
    let id = fresh_id(svc, "dxcon")?;
    let wire = Connection {
        owner_account: Some(owner.to_string()),
        connection_id: Some(id.clone()),
        connection_name: Some(name.to_string()),
        connection_state: Some(ConnectionState::Ordering),
        region: Some(cx.region.clone()),
        location: Some(parent.location.clone()),
        bandwidth: Some(bandwidth.to_string()),
        vlan: Some(vlan),
        partner_name: Some(svc.partner_name(&cx.account)),
        lag_id: parent.lag_id.clone(),
        aws_device: parent.physical.clone(),
        jumbo_frame_capable: parent.jumbo,
        aws_device_v2: parent.device.clone(),
        aws_logical_device_id: parent.logical.clone(),
        has_logical_redundancy: Some(HasLogicalRedundancy::Unknown),
        tags: Some(tags),
        mac_sec_capable: Some(false),
        encryption_mode: Some("unknown".into()),
        partner_interconnect_mac_sec_capable: Some(parent.macsec),
        ..Default::default()
    };
    let doc = ConnectionDoc {
        wire,
        x: ConnectionExtra {
            hosted: Some(Hosted {
                partner: cx.account.clone(),
                parent: parent.id.clone(),
            }),
            ..Default::default()
        },
    };
    let mut base = new_record(Kind::Connection, &id, cx);
    // The hosted connection belongs to the customer.
    base.account = owner.to_string();
    base.parent = Some(parent.id);
    let rec = svc.record(&base, "ordering", &doc, Some(cx.now_ms))?;
    svc.commit(cx, vec![Write::Put(rec, Expect::Absent)])?;
    let mut answer = doc.wire;
    ports::hide_unallocated_devices(&mut answer);
    Ok(answer)
}

pub(crate) fn allocate_hosted_connection(
    svc: &Emulator,
    cx: &RequestContext,
    input: AllocateHostedConnectionRequest,
) -> Result<Connection, ApiError> {
    allocate(
        svc,
        cx,
        &input.connection_id,
        &input.owner_account,
        &input.bandwidth,
        &input.connection_name,
        input.vlan,
        input.tags.unwrap_or_default(),
        true,
        ports::HOSTED_BANDWIDTHS,
    )
}

pub(crate) fn allocate_connection_on_interconnect(
    svc: &Emulator,
    cx: &RequestContext,
    input: AllocateConnectionOnInterconnectRequest,
) -> Result<Connection, ApiError> {
    allocate(
        svc,
        cx,
        &input.interconnect_id,
        &input.owner_account,
        &input.bandwidth,
        &input.connection_name,
        input.vlan,
        Vec::new(),
        false,
        &ports::HOSTED_BANDWIDTHS[..10],
    )
}

pub(crate) fn associate_hosted_connection(
    svc: &Emulator,
    cx: &RequestContext,
    input: AssociateHostedConnectionRequest,
) -> Result<Connection, ApiError> {
    svc.require_partner(cx)?;
    let _guard = svc.lock()?;
    let id = &input.connection_id;
    let (rec, mut doc) = load_owned_or_hosted(svc, cx, id)?;
    let is_partner = doc
        .x
        .hosted
        .as_ref()
        .is_some_and(|h| h.partner == cx.account);
    if !is_partner {
        return Err(ApiError::client(format!(
            "Connection {id} is not a hosted connection of account {}.",
            cx.account
        )));
    }
    if is_gone(&rec.state) {
        return Err(ApiError::client(format!(
            "Connection {id} is in state {}.",
            rec.state
        )));
    }
    let parent = load_parent(svc, cx, &input.parent_connection_id, true)?;
    if parent.location != doc.wire.location.clone().unwrap_or_default() {
        return Err(ApiError::client(format!(
            "Connection {id} and {} are not at the same location.",
            parent.id
        )));
    }
    check_vlan(svc, &parent.id, doc.wire.vlan.unwrap_or(0), Some(id))?;
    if let Some(h) = doc.x.hosted.as_mut() {
        h.parent = parent.id.clone();
    }
    doc.wire.lag_id = parent.lag_id.clone();
    let mut moved = rec.clone();
    moved.parent = Some(parent.id);
    let state = rec.state.clone();
    svc.commit(
        cx,
        vec![Write::Put(
            svc.record(&moved, &state, &doc, None)?,
            Expect::Version(rec.version),
        )],
    )?;
    Ok(doc.wire)
}

fn list_hosted(
    svc: &Emulator,
    cx: &RequestContext,
    parent: &str,
    lags_allowed: bool,
    max_results: Option<i32>,
    next_token: Option<&str>,
) -> Result<Connections, ApiError> {
    let _ = load_parent(svc, cx, parent, lags_allowed)?;
    let mut q = Query::kind(Kind::Connection);
    q.parent = Some(parent);
    q.exclude_states = &["deleted", "rejected"];
    let (recs, next) = paging::page(svc, q, max_results, next_token)?;
    let mut connections = Vec::new();
    for r in &recs {
        let doc: ConnectionDoc = decode_doc(r)?;
        if doc.x.hosted.is_some() {
            let mut wire = doc.wire;
            // The partner does not see the customer's tags.
            wire.tags = None;
            connections.push(wire);
        }
    }
    Ok(Connections {
        connections: Some(connections),
        next_token: next,
    })
}

pub(crate) fn describe_hosted_connections(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeHostedConnectionsRequest,
) -> Result<Connections, ApiError> {
    list_hosted(
        svc,
        cx,
        &input.connection_id,
        true,
        input.max_results,
        input.next_token.as_deref(),
    )
}

pub(crate) fn describe_connections_on_interconnect(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeConnectionsOnInterconnectRequest,
) -> Result<Connections, ApiError> {
    list_hosted(svc, cx, &input.interconnect_id, false, None, None)
}

pub(crate) fn confirm_connection(
    svc: &Emulator,
    cx: &RequestContext,
    input: ConfirmConnectionRequest,
) -> Result<ConfirmConnectionResponse, ApiError> {
    let id = &input.connection_id;
    let _guard = svc.lock()?;
    let (rec, mut doc) = super::connections::load_own(svc, cx, id)?;
    if rec.state != "ordering" {
        return Err(ApiError::client(format!(
            "ConfirmConnection failed. {id} is in state {}",
            rec.state
        )));
    }
    doc.wire.connection_state = Some(ConnectionState::Pending);
    let new = svc.record(&rec, "pending", &doc, Some(cx.now_ms))?;
    svc.commit(cx, vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(ConfirmConnectionResponse {
        connection_state: Some(ConnectionState::Pending),
    })
}
