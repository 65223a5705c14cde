//! The service side of the control API: forced transitions, listings, reset.

use super::{Doc, Emulator, store_error};
use crate::api::generated::types::*;
use crate::control::{Control, ControlError, ExportedResource, PartnerInfo, ResourceSummary};
use crate::lifecycle;
use crate::store::{Expect, Kind, Query, Record, Write};
use serde_json::{Value, json};

/// How often the lifecycle task looks at a store other processes write to.
const SHARED_POLL_MS: i64 = 1000;

const KINDS: &[Kind] = &[
    Kind::Connection,
    Kind::Interconnect,
    Kind::Lag,
    Kind::VirtualInterface,
    Kind::Gateway,
    Kind::GatewayAssociation,
    Kind::AssociationProposal,
    Kind::FailoverTest,
    Kind::ResiliencyGroup,
    Kind::ResiliencyGroupAssociation,
];

/// Members of a wire document that hold a resource's name.
const NAME_MEMBERS: &[&str] = &[
    "connectionName",
    "interconnectName",
    "lagName",
    "virtualInterfaceName",
    "directConnectGatewayName",
    "resiliencyGroupName",
];

fn summary(rec: &Record) -> ResourceSummary {
    let doc: Option<serde_json::Value> = serde_json::from_str(&rec.doc).ok();
    let wire_str = |member: &str| {
        doc.as_ref()
            .and_then(|d| d.get("wire"))
            .and_then(|w| w.get(member))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    ResourceSummary {
        kind: rec.kind.as_str(),
        id: rec.id.clone(),
        account: rec.account.clone(),
        region: rec.region.clone(),
        state: rec.state.clone(),
        parent: rec.parent.clone(),
        // A private VIF may attach to a virtual private gateway directly.
        link: rec.link.clone().or_else(|| wire_str("virtualGatewayId")),
        name: NAME_MEMBERS.iter().find_map(|m| wire_str(m)),
        // A resiliency group's intended model, kept beside its wire form.
        model: doc
            .as_ref()
            .and_then(|d| d.get("x"))
            .and_then(|x| x.get("model"))
            .and_then(|v| v.as_str())
            .map(str::to_string),
        capacity: capacity_of(rec, doc.as_ref()),
        subtype: wire_str("virtualInterfaceType"),
    }
}

/// The prefix pool and rate limiter facts the dashboard shows of a resource.
fn capacity_of(rec: &Record, doc: Option<&Value>) -> crate::control::Capacity {
    let mut out = crate::control::Capacity::default();
    let Some(doc) = doc else {
        return out;
    };
    let wire = &doc["wire"];
    let text = |member: &str| wire.get(member).and_then(Value::as_str).map(str::to_string);
    match rec.kind {
        Kind::Connection if doc["x"].get("hosted").is_none() => {
            out.port_bandwidth = text("bandwidth");
            out.billing_mode = text("billingMode");
        }
        Kind::Lag => {
            out.port_bandwidth = text("connectionsBandwidth");
            out.billing_mode = text("billingMode");
        }
        Kind::VirtualInterface => {
            if wire["virtualInterfaceType"] != "public" {
                let count = |member: &str| {
                    wire.get(member)
                        .and_then(Value::as_i64)
                        .unwrap_or(i64::from(super::capacity::DEFAULT_ALLOCATION))
                };
                out.prefixes = Some((
                    count("prefixPoolAllocatedCountIpv4"),
                    count("prefixPoolAllocatedCountIpv6"),
                ));
                let routes = &doc["x"]["routes"];
                out.customer_routes = Some((
                    routes["customer"].as_array().map_or(0, Vec::len),
                    routes["overAllocation"].as_bool().unwrap_or(false),
                ));
            }
            out.rate_limit = text("rateLimit");
        }
        _ => {}
    }
    out
}

impl Emulator {
    /// A LAG reports what its members allow: taking it down takes every
    /// member down; bringing it up brings every member back.
    fn force_lag_members(
        &self,
        lag: &Record,
        state: &str,
        now_ms: i64,
    ) -> Result<ResourceSummary, ControlError> {
        let from = if state == "down" { "available" } else { "down" };
        let mut q = Query::kind(Kind::Connection);
        q.parent = Some(&lag.id);
        let members = self
            .store()
            .list(&q)
            .map_err(|e| internal(store_error(e)))?;
        let mut batch = Vec::new();
        for rec in members.into_iter().filter(|r| r.state == from) {
            let mut doc: Value = serde_json::from_str(&rec.doc)
                .map_err(|e| ControlError::Internal(e.to_string()))?;
            if let Some(wire) = doc.get_mut("wire").and_then(Value::as_object_mut) {
                wire.insert("connectionState".into(), state.into());
            }
            let mut next = rec.clone();
            next.state = state.to_string();
            next.doc = doc.to_string();
            next.due_at =
                lifecycle::due_after(Kind::Connection, state, now_ms, self.settings().timing);
            // --- event log ---
            self.events()
                .note(&next, None, now_ms, crate::events::Cause::Control);
            batch.push(Write::Put(next, Expect::Version(rec.version)));
        }
        if batch.is_empty() {
            return Err(ControlError::InvalidTransition(format!(
                "lag {} has no member connection that is {from}",
                lag.id
            )));
        }
        let changed: Vec<(Kind, String)> = batch
            .iter()
            .filter_map(|w| match w {
                Write::Put(rec, _) => Some((rec.kind, rec.id.clone())),
                _ => None,
            })
            .collect();
        self.store()
            .apply(batch)
            .map_err(|e| internal(store_error(e)))?;
        self.propagate_ports(&changed, now_ms)?;
        let mut out = summary(lag);
        out.state = state.to_string();
        Ok(out)
    }
}

/// Marks, in a VIF's stored `x`, that it went down with its port.
const DOWN_WITH_PORT: &str = "down_with_port";

impl Emulator {
    /// Brings what runs on the ports `changed` (connections and interconnects
    /// just forced `down` or `available`) in line with them, as AWS does: a
    /// port that is down takes its VIFs down (their BGP sessions drop) and an
    /// interconnect's or LAG's hosted connections with it; a LAG below its
    /// minimum links is down. When the port comes back, so does what went down
    /// with it. Call under the write lock.
    fn propagate_ports(&self, changed: &[(Kind, String)], now_ms: i64) -> Result<(), ControlError> {
        // (port id, up) for every port whose VIFs follow it.
        let mut ports: Vec<(String, bool)> = Vec::new();
        let mut lags: Vec<String> = Vec::new();
        for (kind, id) in changed {
            let Some(rec) = self
                .store()
                .get(*kind, id)
                .map_err(|e| internal(store_error(e)))?
            else {
                continue;
            };
            if !matches!(rec.state.as_str(), "available" | "down") {
                continue;
            }
            ports.push((id.clone(), rec.state == "available"));
            if let Some(parent) = rec.parent.as_deref().filter(|p| p.starts_with("dxlag-"))
                && !lags.iter().any(|l| l == parent)
            {
                lags.push(parent.to_string());
            }
        }
        // A LAG is down when fewer members than its minimum are available.
        for lag_id in lags {
            let Some(rec) = self
                .store()
                .get(Kind::Lag, &lag_id)
                .map_err(|e| internal(store_error(e)))?
            else {
                continue;
            };
            let doc = super::decode_doc(&rec).map_err(internal)?;
            let lag = super::lags::view(self, &rec, &doc).map_err(internal)?;
            match lag.lag_state {
                Some(LagState::Available) => ports.push((lag_id, true)),
                Some(LagState::Down) => ports.push((lag_id, false)),
                _ => {}
            }
        }
        // Hosted connections on a port that went down (or came back).
        let mut batch = Vec::new();
        let mut hosted_ports = Vec::new();
        for (parent, up) in &ports {
            let from = if *up { "down" } else { "available" };
            let to = if *up { "available" } else { "down" };
            for (rec, _) in super::interconnects::hosted_on(self, parent).map_err(internal)? {
                if rec.state != from {
                    continue;
                }
                let mut doc: Value = serde_json::from_str(&rec.doc)
                    .map_err(|e| ControlError::Internal(e.to_string()))?;
                if let Some(wire) = doc.get_mut("wire").and_then(Value::as_object_mut) {
                    wire.insert("connectionState".into(), to.into());
                }
                let mut next = rec.clone();
                next.state = to.to_string();
                next.doc = doc.to_string();
                next.due_at = None;
                batch.push(Write::Put(next, Expect::Version(rec.version)));
                hosted_ports.push((rec.id.clone(), *up));
            }
        }
        ports.extend(hosted_ports);
        // The VIFs on every port.
        for (parent, up) in &ports {
            for (rec, vdoc) in super::vifs::vifs_on(self, parent).map_err(internal)? {
                let to = match (up, rec.state.as_str()) {
                    (false, "available") => "down",
                    (true, "down") if vdoc.x.down_with_port => "available",
                    _ => continue,
                };
                let mut doc: Value = serde_json::from_str(&rec.doc)
                    .map_err(|e| ControlError::Internal(e.to_string()))?;
                if let Some(wire) = doc.get_mut("wire").and_then(Value::as_object_mut) {
                    wire.insert("virtualInterfaceState".into(), to.into());
                    lifecycle::on_enter(Kind::VirtualInterface, to, now_ms, wire);
                }
                if let Some(obj) = doc.as_object_mut() {
                    let x = obj.entry("x").or_insert_with(|| json!({}));
                    if !x.is_object() {
                        *x = json!({});
                    }
                    if let Some(x) = x.as_object_mut() {
                        if to == "down" {
                            x.insert(DOWN_WITH_PORT.into(), true.into());
                        } else {
                            x.remove(DOWN_WITH_PORT);
                        }
                    }
                }
                let mut next = rec.clone();
                next.state = to.to_string();
                next.doc = doc.to_string();
                next.due_at = None;
                batch.push(Write::Put(next, Expect::Version(rec.version)));
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        self.store()
            .apply(batch)
            .map_err(|e| internal(store_error(e)))?;
        Ok(())
    }
}

impl Emulator {
    /// Every stored record of every kind, of one account or of all.
    fn every_record(&self, account: Option<&str>) -> Result<Vec<Record>, ControlError> {
        let mut all = Vec::new();
        for kind in Kind::ALL {
            let mut q = Query::kind(kind);
            q.account = account;
            all.extend(
                self.store()
                    .list(&q)
                    .map_err(|e| internal(store_error(e)))?,
            );
        }
        Ok(all)
    }
}

/// The write that removes `rec`, if it is still at its version.
fn deletion(rec: Record) -> Write {
    Write::Delete {
        kind: rec.kind,
        id: rec.id,
        expect: Expect::Version(rec.version),
    }
}

fn internal(e: crate::api::ApiError) -> ControlError {
    ControlError::Internal(e.message)
}

impl Control for Emulator {
    fn force_state(
        &self,
        kind: Kind,
        id: &str,
        state: &str,
        now_ms: i64,
    ) -> Result<ResourceSummary, ControlError> {
        self.catch_up(now_ms).map_err(internal)?;
        let _guard = self.lock().map_err(internal)?;
        let rec = self
            .store()
            .get(kind, id)
            .map_err(|e| internal(store_error(e)))?
            .ok_or_else(|| ControlError::NotFound(format!("No {} with id {id}", kind.as_str())))?;
        if kind == Kind::Lag && rec.state == "available" && matches!(state, "down" | "available") {
            return self.force_lag_members(&rec, state, now_ms);
        }
        if !lifecycle::can_force(kind, &rec.state, state) {
            return Err(ControlError::InvalidTransition(format!(
                "{} {id} cannot move from {} to {state}",
                kind.as_str(),
                rec.state
            )));
        }
        let member = lifecycle::state_member(kind).ok_or_else(|| {
            ControlError::BadRequest(format!("{} has no state to set", kind.as_str()))
        })?;
        let mut doc: serde_json::Value =
            serde_json::from_str(&rec.doc).map_err(|e| ControlError::Internal(e.to_string()))?;
        if let Some(wire) = doc.get_mut("wire").and_then(|w| w.as_object_mut()) {
            wire.insert(member.into(), state.into());
            lifecycle::on_enter(kind, state, now_ms, wire);
        }
        let mut next = rec.clone();
        next.state = state.to_string();
        next.doc = doc.to_string();
        next.due_at = lifecycle::due_after(kind, state, now_ms, self.settings().timing);
        let cx = crate::api::RequestContext {
            request_id: String::new(),
            account: rec.account.clone(),
            region: rec.region.clone(),
            now_ms,
        };
        let written = self
            .commit(&cx, vec![Write::Put(next, Expect::Version(rec.version))])
            .map_err(internal)?;
        if matches!(kind, Kind::Connection | Kind::Interconnect)
            && matches!(state, "down" | "available")
        {
            self.propagate_ports(&[(kind, id.to_string())], now_ms)?;
        }
        written
            .first()
            .map(summary)
            .ok_or_else(|| ControlError::Internal("nothing written".into()))
    }

    fn resources(
        &self,
        kind: Option<Kind>,
        account: Option<&str>,
        region: Option<&str>,
    ) -> Result<Vec<ResourceSummary>, ControlError> {
        let kinds: Vec<Kind> = kind.map_or_else(|| KINDS.to_vec(), |k| vec![k]);
        let mut out = Vec::new();
        for kind in kinds {
            let mut q = Query::kind(kind);
            q.account = account;
            q.region = region;
            let recs = self
                .store()
                .list(&q)
                .map_err(|e| internal(store_error(e)))?;
            for rec in &recs {
                let mut item = summary(rec);
                if kind == Kind::Lag {
                    // A LAG reports what its members allow, as DescribeLags does.
                    let doc = super::decode_doc(rec).map_err(internal)?;
                    let lag = super::lags::view(self, rec, &doc).map_err(internal)?;
                    if let Some(state) = lag.lag_state {
                        item.state = state.as_str().to_string();
                    }
                }
                out.push(item);
            }
        }
        Ok(out)
    }

    fn reset(&self) -> Result<(), ControlError> {
        let _guard = self.lock().map_err(internal)?;
        self.store().reset().map_err(|e| internal(store_error(e)))?;
        self.forget_due();
        self.events().clear();
        Ok(())
    }

    fn reset_account(&self, account: &str) -> Result<usize, ControlError> {
        let _guard = self.lock().map_err(internal)?;
        let batch: Vec<Write> = self
            .every_record(Some(account))?
            .into_iter()
            .map(deletion)
            .collect();
        let n = batch.len();
        self.store()
            .apply(batch)
            .map_err(|e| internal(store_error(e)))?;
        Ok(n)
    }

    fn set_bgp_status(
        &self,
        vif_id: &str,
        peer_id: Option<&str>,
        status: &str,
    ) -> Result<Value, ControlError> {
        if !matches!(status, "up" | "down" | "unknown") {
            return Err(ControlError::BadRequest(format!(
                "bgpStatus must be up, down or unknown, not {status}"
            )));
        }
        let _guard = self.lock().map_err(internal)?;
        let rec = self
            .store()
            .get(Kind::VirtualInterface, vif_id)
            .map_err(|e| internal(store_error(e)))?
            .ok_or_else(|| ControlError::NotFound(format!("No vif with id {vif_id}")))?;
        let mut doc: Value =
            serde_json::from_str(&rec.doc).map_err(|e| ControlError::Internal(e.to_string()))?;
        let peers = doc
            .get_mut("wire")
            .and_then(|w| w.get_mut("bgpPeers"))
            .and_then(Value::as_array_mut)
            .ok_or_else(|| ControlError::NotFound(format!("vif {vif_id} has no BGP peers")))?;
        let mut changed = Vec::new();
        for peer in peers.iter_mut().filter_map(Value::as_object_mut) {
            let id = peer
                .get("bgpPeerId")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if peer_id.is_some_and(|want| want != id) {
                continue;
            }
            let peer_state = peer
                .get("bgpPeerState")
                .and_then(Value::as_str)
                .map(str::to_string);
            // A session can only be up on a VIF that is up, with a peer that is provisioned.
            if status == "up"
                && (rec.state != "available" || peer_state.as_deref() != Some("available"))
            {
                return Err(ControlError::InvalidTransition(format!(
                    "BGP peer {id} of {vif_id} cannot be up: the VIF is {} and the peer is {}",
                    rec.state,
                    peer_state.as_deref().unwrap_or("unknown")
                )));
            }
            peer.insert("bgpStatus".into(), status.into());
            changed.push(json!({ "bgpPeerId": id, "bgpStatus": status }));
        }
        if changed.is_empty() {
            return Err(ControlError::NotFound(format!(
                "vif {vif_id} has no BGP peer {}",
                peer_id.unwrap_or("")
            )));
        }
        let mut next = rec.clone();
        next.doc = doc.to_string();
        self.store()
            .apply(vec![Write::Put(next, Expect::Version(rec.version))])
            .map_err(|e| internal(store_error(e)))?;
        Ok(json!({ "virtualInterfaceId": vif_id, "bgpPeers": changed }))
    }

    fn partners(&self) -> Vec<PartnerInfo> {
        let list = self.partners().clone();
        list.into_iter()
            .map(|(account, _)| PartnerInfo {
                partner_name: self.partner_name(&account),
                account,
            })
            .collect()
    }

    fn add_partner(&self, account: &str, name: Option<String>) -> Result<(), ControlError> {
        if !crate::api::is_account_id(account) {
            return Err(ControlError::BadRequest(format!(
                "{account:?} is not a 12-digit account id"
            )));
        }
        Emulator::add_partner(self, account, name.filter(|n| !n.trim().is_empty()));
        Ok(())
    }

    fn remove_partner(&self, account: &str) -> Result<(), ControlError> {
        if Emulator::remove_partner(self, account) {
            Ok(())
        } else {
            Err(ControlError::NotFound(format!(
                "{account} is not a registered partner"
            )))
        }
    }

    fn export(&self) -> Result<Vec<ExportedResource>, ControlError> {
        let _guard = self.lock().map_err(internal)?;
        let mut all = self.every_record(None)?;
        all.sort_by_key(|r| r.seq);
        all.into_iter()
            .map(|rec| {
                let document = serde_json::from_str(&rec.doc)
                    .map_err(|e| ControlError::Internal(e.to_string()))?;
                Ok(ExportedResource {
                    kind: rec.kind.as_str().to_string(),
                    id: rec.id,
                    account: rec.account,
                    region: rec.region,
                    state: rec.state,
                    parent: rec.parent,
                    location: rec.location,
                    link: rec.link,
                    due_at_ms: rec.due_at,
                    document,
                })
            })
            .collect()
    }

    fn import(&self, resources: Vec<ExportedResource>) -> Result<usize, ControlError> {
        let mut batch = Vec::with_capacity(resources.len());
        let mut seen = std::collections::HashSet::new();
        for (i, r) in resources.into_iter().enumerate() {
            let at = |msg: String| ControlError::BadRequest(format!("resources[{i}]: {msg}"));
            let kind =
                Kind::parse(&r.kind).ok_or_else(|| at(format!("unknown kind {}", r.kind)))?;
            if r.id.is_empty() || !seen.insert((kind, r.id.clone())) {
                return Err(at(format!("id {:?} is empty or repeated", r.id)));
            }
            check_document(kind, &r.document).map_err(|e| at(format!("document: {e}")))?;
            batch.push(Write::Put(
                Record {
                    kind,
                    id: r.id,
                    account: r.account,
                    region: r.region,
                    state: r.state,
                    parent: r.parent,
                    location: r.location,
                    link: r.link,
                    doc: r.document.to_string(),
                    version: 0,
                    seq: 0,
                    due_at: r.due_at_ms,
                },
                Expect::Absent,
            ));
        }
        let n = batch.len();
        let _guard = self.lock().map_err(internal)?;
        // One atomic batch: everything there now goes, the import comes in,
        // so a failure leaves the old state whole.
        let mut all: Vec<Write> = self.every_record(None)?.into_iter().map(deletion).collect();
        all.extend(batch);
        self.store()
            .apply(all)
            .map_err(|e| internal(store_error(e)))?;
        self.reload_due().map_err(internal)?;
        Ok(n)
    }

    fn catch_up_to(&self, now_ms: i64) -> Result<usize, ControlError> {
        self.catch_up(now_ms).map_err(internal)
    }

    fn lifecycle_mode(&self) -> &'static str {
        self.settings().timing.name()
    }

    fn next_due_ms(&self) -> Option<i64> {
        self.next_due()
    }

    fn due_changed(&self) -> &tokio::sync::Notify {
        self.wake_handle()
    }

    fn transitions_applied(&self) -> u64 {
        Emulator::transitions_applied(self)
    }

    fn poll_interval_ms(&self) -> Option<i64> {
        self.store().shared().then_some(SHARED_POLL_MS)
    }

    // --- VIF routes ---
    fn set_vif_routes(
        &self,
        vif_id: &str,
        body: Value,
        now_ms: i64,
    ) -> Result<Value, ControlError> {
        let out = super::routes::set_customer_routes(self, vif_id, body, now_ms)?;
        // --- event log --- (routes past the allocation take the VIF down)
        if let Ok(Some(rec)) = self.store().get(Kind::VirtualInterface, vif_id) {
            self.events()
                .note(&rec, None, now_ms, crate::events::Cause::Control);
        }
        Ok(out)
    }

    // --- dashboard ---
    fn resource(&self, kind: Kind, id: &str) -> Result<Option<ExportedResource>, ControlError> {
        let Some(rec) = self
            .store()
            .get(kind, id)
            .map_err(|e| internal(store_error(e)))?
        else {
            return Ok(None);
        };
        let document =
            serde_json::from_str(&rec.doc).map_err(|e| ControlError::Internal(e.to_string()))?;
        // A LAG reports what its members allow, as the listing does.
        let mut state = rec.state.clone();
        if kind == Kind::Lag {
            let doc = super::decode_doc(&rec).map_err(internal)?;
            let lag = super::lags::view(self, &rec, &doc).map_err(internal)?;
            if let Some(s) = lag.lag_state {
                state = s.as_str().to_string();
            }
        }
        Ok(Some(ExportedResource {
            kind: rec.kind.as_str().to_string(),
            id: rec.id,
            account: rec.account,
            region: rec.region,
            state,
            parent: rec.parent,
            location: rec.location,
            link: rec.link,
            due_at_ms: rec.due_at,
            document,
        }))
    }

    fn events(
        &self,
        id: Option<&str>,
        account: Option<&str>,
        kind: Option<&str>,
    ) -> Vec<crate::events::Event> {
        Emulator::events(self).query(id, account, kind)
    }
}

/// Checks that an imported document decodes as the service will read it.
fn check_document(kind: Kind, doc: &Value) -> Result<(), String> {
    fn is<W: serde::de::DeserializeOwned>(doc: &Value) -> Result<(), String> {
        serde_json::from_value::<Doc<W, Value>>(doc.clone())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
    match kind {
        Kind::Connection | Kind::Interconnect => is::<Connection>(doc),
        Kind::Lag => is::<Lag>(doc),
        Kind::VirtualInterface => is::<VirtualInterface>(doc),
        Kind::Gateway => is::<DirectConnectGateway>(doc),
        Kind::VirtualGateway => is::<VirtualGateway>(doc),
        Kind::GatewayAssociation => is::<DirectConnectGatewayAssociation>(doc),
        Kind::AssociationProposal => is::<DirectConnectGatewayAssociationProposal>(doc),
        Kind::FailoverTest => is::<VirtualInterfaceTestHistory>(doc),
        Kind::Agreement | Kind::MacSecSecret => is::<Value>(doc),
        Kind::ResiliencyGroup => is::<ResiliencyGroup>(doc),
        Kind::ResiliencyGroupAssociation => is::<ResiliencyGroupAssociation>(doc),
    }
}
