//! The emulator's own controls: make the physical world happen on demand.
//!
//! The HTTP routes under `/_dxemu/` call these; the service implements them.

use crate::store::Kind;
use serde::Serialize;

/// One resource as the control API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceSummary {
    pub kind: &'static str,
    pub id: String,
    pub account: String,
    pub region: String,
    pub state: String,
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
}
