//! The emulator's own controls: make the physical world happen on demand.
//!
//! The HTTP routes under `/_dxemu/` call these; the service implements them.

use crate::store::Kind;
use serde::{Deserialize, Serialize};

/// One resource as the control API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceSummary {
    pub kind: &'static str,
    pub id: String,
    pub account: String,
    pub region: String,
    pub state: String,
    /// The resource it sits on: a connection's LAG or interconnect, a VIF's
    /// connection or LAG, an association's gateway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The gateway a VIF attaches to, or the target of an association.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The name the customer gave it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A resiliency group's intended resiliency model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// What the dashboard shows of prefix pools and rate limiters (not
    /// part of the control API's listing).
    #[serde(skip)]
    pub capacity: Capacity,
    /// A VIF's type (private, public, transit), for the dashboard.
    #[serde(skip)]
    pub subtype: Option<String>,
}

/// The prefix pool and rate limiter facts of one resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capacity {
    /// The port bandwidth of a dedicated connection or of a LAG's members.
    pub port_bandwidth: Option<String>,
    /// A private or transit VIF's prefix allocation (IPv4, IPv6).
    pub prefixes: Option<(i64, i64)>,
    /// A VIF's rate limit.
    pub rate_limit: Option<String>,
    /// A dedicated connection's or LAG's billing mode.
    pub billing_mode: Option<String>,
    /// The prefixes a private or transit VIF's customer router advertises,
    /// and whether that is past its allocation (BGP idle).
    pub customer_routes: Option<(usize, bool)>,
}

/// One stored resource as the state export carries it: the store's envelope
/// and the service's document, verbatim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportedResource {
    pub kind: String,
    pub id: String,
    pub account: String,
    pub region: String,
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// When its next lifecycle step falls due (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at_ms: Option<i64>,
    pub document: serde_json::Value,
}

/// A partner account as the control API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerInfo {
    pub account: String,
    pub partner_name: String,
}

/// Why a control call failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidTransition(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the control API can ask of the emulator.
pub trait Control: Send + Sync {
    /// Moves a resource to `state`, if the lifecycle allows that step.
    fn force_state(
        &self,
        kind: Kind,
        id: &str,
        state: &str,
        now_ms: i64,
    ) -> Result<ResourceSummary, ControlError>;
    /// Resources of one kind (or all), optionally of one account and region.
    fn resources(
        &self,
        kind: Option<Kind>,
        account: Option<&str>,
        region: Option<&str>,
    ) -> Result<Vec<ResourceSummary>, ControlError>;
    /// Forgets every resource of every account.
    fn reset(&self) -> Result<(), ControlError>;
    /// Forgets every resource of one account; how many there were.
    fn reset_account(&self, account: &str) -> Result<usize, ControlError>;
    /// Sets the BGP status of one peer of a VIF, or of all its peers.
    fn set_bgp_status(
        &self,
        vif_id: &str,
        peer_id: Option<&str>,
        status: &str,
    ) -> Result<serde_json::Value, ControlError>;
    /// The partner accounts; empty when every account may act as one.
    fn partners(&self) -> Vec<PartnerInfo>;
    /// Registers a partner account, optionally with its name.
    fn add_partner(&self, account: &str, name: Option<String>) -> Result<(), ControlError>;
    /// Unregisters a partner account.
    fn remove_partner(&self, account: &str) -> Result<(), ControlError>;
    /// Every stored resource of every account, oldest first.
    fn export(&self) -> Result<Vec<ExportedResource>, ControlError>;
    /// Replaces the whole state with `resources`; how many were stored.
    fn import(&self, resources: Vec<ExportedResource>) -> Result<usize, ControlError>;
    /// Applies every transition due at `now_ms`; how many were applied.
    fn catch_up_to(&self, now_ms: i64) -> Result<usize, ControlError>;
    /// The lifecycle mode's name.
    fn lifecycle_mode(&self) -> &'static str;
    /// When the next transition falls due (epoch ms), if any.
    fn next_due_ms(&self) -> Option<i64>;
    /// Notified when a transition falls due earlier than announced before.
    fn due_changed(&self) -> &tokio::sync::Notify;
    /// Lifecycle transitions this process has applied since it started.
    fn transitions_applied(&self) -> u64 {
        0
    }
    /// How often the lifecycle task must look for due transitions even when
    /// none is announced (other processes sharing the store schedule some).
    fn poll_interval_ms(&self) -> Option<i64> {
        None
    }
    /// Sets the prefixes the customer's router advertises on a private or
    /// transit VIF: `{"routes": [{"cidr", "asPath"?, "communities"?}]}`.
    fn set_vif_routes(
        &self,
        vif_id: &str,
        _body: serde_json::Value,
        _now_ms: i64,
    ) -> Result<serde_json::Value, ControlError> {
        Err(ControlError::BadRequest(format!(
            "routes of {vif_id} cannot be set on this backend"
        )))
    }
    // --- dashboard ---
    /// One stored resource with its document, if it exists.
    fn resource(&self, _kind: Kind, _id: &str) -> Result<Option<ExportedResource>, ControlError> {
        Ok(None)
    }
    /// The logged state changes matching every filter given, oldest first.
    fn events(
        &self,
        _id: Option<&str>,
        _account: Option<&str>,
        _kind: Option<&str>,
    ) -> Vec<crate::events::Event> {
        Vec::new()
    }
}
