//! Physical ports: what dedicated connections, interconnects and LAG members share.

use super::connections::{ConnectionDoc, ConnectionExtra, fresh_id};
use super::locations::{self, LocationInfo};
use super::{Emulator, ids, new_record, store_error};
use crate::api::generated::types::*;
use crate::api::{ApiError, RequestContext};
use crate::store::{Expect, Kind, Query, Write};

/// Bandwidths of dedicated ports.
pub const DEDICATED_BANDWIDTHS: &[&str] = &["1Gbps", "10Gbps", "100Gbps", "400Gbps"];

/// Bandwidths a partner may allocate as hosted connections.
pub const HOSTED_BANDWIDTHS: &[&str] = &[
    "50Mbps", "100Mbps", "200Mbps", "300Mbps", "400Mbps", "500Mbps", "1Gbps", "2Gbps", "5Gbps",
    "10Gbps", "25Gbps",
];

/// A bandwidth string in Mbps (`"500Mbps"` → 500, `"10Gbps"` → 10000).
pub fn mbps(bandwidth: &str) -> Option<u64> {
    if let Some(n) = bandwidth.strip_suffix("Gbps") {
        return n.parse::<u64>().ok().map(|g| g * 1000);
    }
    bandwidth.strip_suffix("Mbps").and_then(|n| n.parse().ok())
}

/// Members a LAG of this bandwidth may have.
pub fn max_lag_members(bandwidth: &str) -> usize {
    match bandwidth {
        "100Gbps" | "400Gbps" => 2,
        _ => 4,
    }
}

/// Checks a dedicated port request against the region's location catalog.
pub fn validate(
    region: &str,
    location: &str,
    bandwidth: &str,
    macsec: bool,
) -> Result<&'static LocationInfo, ApiError> {
    if !DEDICATED_BANDWIDTHS.contains(&bandwidth) {
        return Err(ApiError::client(format!(
            "Bandwidth {bandwidth} is not a valid dedicated connection bandwidth. Valid values: {}.",
            DEDICATED_BANDWIDTHS.join(", ")
        )));
    }
    let info = locations::find(region, location).ok_or_else(|| {
        ApiError::client(format!(
            "Location {location} is not a valid Direct Connect location in {region}. DescribeLocations lists the locations of a Region."
        ))
    })?;
    let speed = locations::port_speed(bandwidth).unwrap_or_default();
    if !info.port_speeds.contains(&speed) {
        return Err(ApiError::client(format!(
            "Bandwidth {bandwidth} is not available at location {}. Available port speeds: {}.",
            info.code,
            info.port_speeds.join(", ")
        )));
    }
    if macsec && !info.macsec_speeds.contains(&speed) {
        return Err(ApiError::client(format!(
            "MAC Security (MACsec) is not available for {bandwidth} connections at location {}.",
            info.code
        )));
    }
    Ok(info)
}

/// Refuses `adding` more ports when the caller already has the quota's worth at `location`.
pub fn check_location_quota(
    svc: &Emulator,
    cx: &RequestContext,
    location: &str,
    adding: usize,
) -> Result<(), ApiError> {
    let mut q = Query::kind(Kind::Connection);
    q.account = Some(&cx.account);
    q.region = Some(&cx.region);
    q.location = Some(location);
    q.exclude_states = &["deleted", "rejected", "deleting"];
    let limit = svc.settings().max_connections_per_location;
    // Counting past the limit would tell nothing more: the check costs the
    // same however many connections the account has.
    q.limit = Some(limit.saturating_add(1));
    let active = svc.store().count(&q).map_err(store_error)?;
    if active + adding > limit {
        return Err(ApiError::client(format!(
            "Connection limit exceeded: account {} has {active} connections at location {location} in {} and the limit is {limit}.",
            cx.account, cx.region
        )));
    }
    Ok(())
}

/// The wire form of a new dedicated port in state `requested`.
#[allow(clippy::too_many_arguments)]
pub fn new_port(
    cx: &RequestContext,
    id: &str,
    name: &str,
    location: &str,
    bandwidth: &str,
    macsec: bool,
    provider_name: Option<String>,
    tags: Vec<Tag>,
) -> Connection {
    let device = Devices::new(location);
    Connection {
        owner_account: Some(cx.account.clone()),
        connection_id: Some(id.to_string()),
        connection_name: Some(name.to_string()),
        connection_state: Some(ConnectionState::Requested),
        region: Some(cx.region.clone()),
        location: Some(location.to_string()),
        bandwidth: Some(bandwidth.to_string()),
        aws_device: Some(device.physical),
        jumbo_frame_capable: Some(true),
        aws_device_v2: Some(device.v2),
        aws_logical_device_id: Some(device.logical),
        has_logical_redundancy: Some(HasLogicalRedundancy::Unknown),
        tags: Some(tags),
        provider_name,
        mac_sec_capable: Some(macsec),
        port_encryption_status: macsec.then(|| "Encryption Down".to_string()),
        encryption_mode: Some(if macsec { "no_encrypt" } else { "unknown" }.to_string()),
        mac_sec_keys: macsec.then(Vec::new),
        ..Default::default()
    }
}

/// The three device names AWS reports for a port: the physical device
/// (`awsDevice`), its V2 name (`awsDeviceV2`) and the logical device
/// (`awsLogicalDeviceId`), each `<location>-<suffix>` and each different.
pub struct Devices {
    pub physical: String,
    pub v2: String,
    pub logical: String,
}

impl Devices {
    /// New names for a port at `location`.
    pub fn new(location: &str) -> Self {
        Self {
            physical: ids::device(location),
            v2: ids::device(location),
            logical: ids::device(location),
        }
    }
}

/// Whether a connection in `state` has a port yet: AWS allocates it when the
/// connection leaves `requested` (dedicated) or `ordering` (hosted).
pub fn has_port(state: Option<&ConnectionState>) -> bool {
    !matches!(
        state,
        Some(ConnectionState::Requested | ConnectionState::Ordering)
    )
}

/// Leaves the device members out of an answer for a connection that has no
/// port yet, as AWS does (they are stored from the start and shown once the
/// port is allocated).
pub fn hide_unallocated_devices(wire: &mut Connection) {
    if !has_port(wire.connection_state.as_ref()) {
        wire.aws_device = None;
        wire.aws_device_v2 = None;
        wire.aws_logical_device_id = None;
    }
}

/// Checks a MACsec encryption mode for a connection or LAG (`what` and `id` name it).
pub fn check_encryption_mode(
    what: &str,
    id: &str,
    macsec_capable: bool,
    mode: &str,
) -> Result<(), ApiError> {
    if !macsec_capable {
        return Err(ApiError::client(format!(
            "{what} {id} does not support MAC Security (MACsec); encryptionMode cannot be set."
        )));
    }
    if !matches!(mode, "no_encrypt" | "should_encrypt" | "must_encrypt") {
        return Err(ApiError::client(format!(
            "Invalid encryptionMode {mode}. Valid values: no_encrypt, should_encrypt, must_encrypt."
        )));
    }
    Ok(())
}

/// What a new port (dedicated connection or interconnect) is.
pub struct NewPort<'a> {
    pub kind: Kind,
    pub name: &'a str,
    pub location: &'a LocationInfo,
    pub bandwidth: &'a str,
    pub macsec: bool,
    pub provider_name: Option<String>,
    pub tags: Vec<Tag>,
    /// A LAG of the caller the port joins at once.
    pub lag_id: Option<&'a str>,
}

/// Stores a new port in state `requested`, on the LAG's device when it joins one.
/// Call under the write lock.
pub fn create(
    svc: &Emulator,
    cx: &RequestContext,
    port: NewPort<'_>,
) -> Result<Connection, ApiError> {
    create_billed(svc, cx, port, None)
}

/// [`create`], for a dedicated connection billed in `billing_mode`.
pub fn create_billed(
    svc: &Emulator,
    cx: &RequestContext,
    port: NewPort<'_>,
    billing_mode: Option<BillingMode>,
) -> Result<Connection, ApiError> {
    let lag = match port.lag_id {
        Some(lag_id) => Some(super::lags::joinable(
            svc,
            cx,
            lag_id,
            port.bandwidth,
            port.location.code,
            port.macsec,
            1,
        )?),
        None => None,
    };
    let id = fresh_id(svc, "dxcon")?;
    let mut wire = new_port(
        cx,
        &id,
        port.name,
        port.location.code,
        port.bandwidth,
        port.macsec,
        port.provider_name,
        port.tags,
    );
    wire.billing_mode = billing_mode;
    if let Some((lag_rec, lag_doc)) = &lag {
        let l = &lag_doc.wire;
        wire.lag_id = Some(lag_rec.id.clone());
        wire.aws_device = l.aws_device.clone();
        wire.aws_device_v2 = l.aws_device_v2.clone();
        wire.aws_logical_device_id = l.aws_logical_device_id.clone();
        // A LAG's MACsec keys replace the joining port's.
        if l.mac_sec_keys.as_ref().is_some_and(|k| !k.is_empty()) {
            wire.mac_sec_keys = l.mac_sec_keys.clone();
        }
    }
    // Stored in the state its instant steps lead to (saves the commit
    // reopening the document), answered as requested.
    let settled = svc.settle(port.kind, "requested", cx.now_ms);
    wire.connection_state = ConnectionState::from_wire(settled.state);
    let mut doc = ConnectionDoc {
        wire,
        x: ConnectionExtra::default(),
    };
    let mut base = new_record(port.kind, &id, cx);
    base.location = Some(port.location.code.to_string());
    base.parent = port.lag_id.map(str::to_string);
    base.due_at = settled.due_at;
    let rec = svc.record(&base, settled.state, &doc, None)?;
    svc.commit(cx, vec![Write::Put(rec, Expect::Absent)])?;
    svc.took_steps(settled.steps);
    doc.wire.connection_state = Some(ConnectionState::Requested);
    // A new port has no VIFs yet: its whole pool is unallocated.
    let dedicated = super::capacity::is_dedicated(port.kind, &doc);
    super::capacity::fill_connection(
        &mut doc.wire,
        dedicated,
        &super::capacity::Usage::default(),
        svc.settings().max_rate_limited_vifs,
    );
    Ok(doc.wire)
}

#[cfg(test)]
mod tests {
    #[test]
    fn bandwidths() {
        assert_eq!(super::mbps("500Mbps"), Some(500));
        assert_eq!(super::mbps("10Gbps"), Some(10_000));
        assert_eq!(super::mbps("fast"), None);
        assert_eq!(super::max_lag_members("100Gbps"), 2);
        assert_eq!(super::max_lag_members("10Gbps"), 4);
    }
}
