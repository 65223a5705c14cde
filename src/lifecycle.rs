//! The lifecycle rules: how resources move between states on their own.
//!
//! Every transition AWS makes without a call (a LOA is processed, a port
//! comes up, a deleted resource stops being listed) is one rule here:
//! (kind, state) → next step and delay. The service stores the time a rule
//! falls due on the record; `Emulator::catch_up` applies the due ones.

use crate::store::Kind;

/// How long AWS keeps a deleted resource visible to Describe calls (ms).
pub const DELETED_VISIBLE_MS: i64 = 15 * 60 * 1000;

/// An association proposal nobody accepts expires after 7 days.
pub const PROPOSAL_EXPIRY_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Accepted or deleted proposals stay visible for 3 days.
pub const PROPOSAL_VISIBLE_MS: i64 = 3 * 24 * 60 * 60 * 1000;

/// What happens when a rule falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The resource moves to this state.
    To(&'static str),
    /// The resource is forgotten.
    Purge,
}

/// How fast provisioning steps happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timing {
    /// Transitions AWS makes on its own happen at once.
    #[default]
    Instant,
}

impl Timing {
    fn provisioning_ms(self) -> i64 {
        match self {
            Timing::Instant => 0,
        }
    }
}

/// The rule for a resource of `kind` in `state`, if any: the step and its delay.
pub fn rule(kind: Kind, state: &str, timing: Timing) -> Option<(Step, i64)> {
    let provisioning = timing.provisioning_ms();
    match (kind, state) {
        // CreateConnection → requested; the LOA is issued → pending; the
        // cross-connect is made → available.
        (Kind::Connection, "requested") => Some((Step::To("pending"), provisioning)),
        (Kind::Connection, "pending") => Some((Step::To("available"), provisioning)),
        (Kind::Connection, "deleting") => Some((Step::To("deleted"), provisioning)),
        (Kind::Connection, "deleted" | "rejected") => Some((Step::Purge, DELETED_VISIBLE_MS)),
        // Interconnects provision like dedicated connections.
        (Kind::Interconnect, "requested") => Some((Step::To("pending"), provisioning)),
        (Kind::Interconnect, "pending") => Some((Step::To("available"), provisioning)),
        (Kind::Interconnect, "deleted") => Some((Step::Purge, DELETED_VISIBLE_MS)),
        // A LAG is pending until AWS has allocated its ports; after that its
        // reported state follows its members.
        (Kind::Lag, "pending") => Some((Step::To("available"), provisioning)),
        (Kind::Lag, "deleted") => Some((Step::Purge, DELETED_VISIBLE_MS)),
        // Public VIFs are verified first; then BGP comes up. A VIF under a
        // failover test comes back when the test ends (the service sets that
        // due time itself).
        (Kind::VirtualInterface, "verifying") => Some((Step::To("pending"), provisioning)),
        (Kind::VirtualInterface, "pending") => Some((Step::To("available"), provisioning)),
        (Kind::VirtualInterface, "testing") => Some((Step::To("available"), 0)),
        (Kind::VirtualInterface, "deleting") => Some((Step::To("deleted"), provisioning)),
        (Kind::VirtualInterface, "deleted" | "rejected") => Some((Step::Purge, DELETED_VISIBLE_MS)),
        (Kind::Gateway, "pending") => Some((Step::To("available"), provisioning)),
        (Kind::Gateway, "deleting") => Some((Step::To("deleted"), provisioning)),
        (Kind::Gateway, "deleted") => Some((Step::Purge, DELETED_VISIBLE_MS)),
        (Kind::GatewayAssociation, "associating" | "updating") => {
            Some((Step::To("associated"), provisioning))
        }
        (Kind::GatewayAssociation, "disassociating") => {
            Some((Step::To("disassociated"), provisioning))
        }
        (Kind::GatewayAssociation, "disassociated") => Some((Step::Purge, DELETED_VISIBLE_MS)),
        (Kind::AssociationProposal, "requested") => Some((Step::To("deleted"), PROPOSAL_EXPIRY_MS)),
        (Kind::AssociationProposal, "accepted" | "deleted") => {
            Some((Step::Purge, PROPOSAL_VISIBLE_MS))
        }
        (Kind::FailoverTest, "in_progress") => Some((Step::To("completed"), 0)),
        _ => None,
    }
}

/// The member of a resource's wire document that holds its state.
pub fn state_member(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Connection => Some("connectionState"),
        // Interconnects are stored in the connection shape.
        Kind::Interconnect => Some("connectionState"),
        Kind::Lag => Some("lagState"),
        Kind::VirtualInterface => Some("virtualInterfaceState"),
        Kind::Gateway => Some("directConnectGatewayState"),
        Kind::VirtualGateway => Some("virtualGatewayState"),
        Kind::GatewayAssociation => Some("associationState"),
        Kind::AssociationProposal => Some("proposalState"),
        Kind::FailoverTest => Some("status"),
        Kind::Agreement | Kind::MacSecSecret => None,
    }
}

/// Side effects inside a resource's wire document when it enters `state`.
pub fn on_enter(
    kind: Kind,
    state: &str,
    at_ms: i64,
    wire: &mut serde_json::Map<String, serde_json::Value>,
) {
    if kind == Kind::FailoverTest && state == "completed" {
        // The test ends when its duration runs out.
        wire.insert("endTime".into(), (at_ms as f64 / 1000.0).into());
        return;
    }
    if kind != Kind::VirtualInterface {
        return;
    }
    let (peer_state, bgp) = match state {
        // BGP sessions come up with the VIF (and after a failover test).
        "available" => (Some("available"), "up"),
        "deleted" => (Some("deleted"), "down"),
        _ => (None, ""),
    };
    if peer_state.is_none() {
        return;
    }
    if let Some(peers) = wire.get_mut("bgpPeers").and_then(|p| p.as_array_mut()) {
        for peer in peers.iter_mut().filter_map(|p| p.as_object_mut()) {
            if let Some(ps) = peer_state {
                peer.insert("bgpPeerState".into(), ps.into());
            }
            peer.insert("bgpStatus".into(), bgp.into());
        }
    }
}

/// When the record entering `state` at `at_ms` is next due, if ever.
pub fn due_after(kind: Kind, state: &str, at_ms: i64, timing: Timing) -> Option<i64> {
    rule(kind, state, timing).map(|(_, delay)| at_ms.saturating_add(delay))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_provisions_then_lingers_after_delete() {
        let mut state = "requested";
        let mut seen = vec![state];
        while let Some((Step::To(next), delay)) = rule(Kind::Connection, state, Timing::Instant) {
            assert_eq!(delay, 0);
            state = next;
            seen.push(state);
        }
        assert_eq!(seen, ["requested", "pending", "available"]);
        assert_eq!(
            rule(Kind::Connection, "deleted", Timing::Instant),
            Some((Step::Purge, DELETED_VISIBLE_MS))
        );
        assert_eq!(rule(Kind::Connection, "down", Timing::Instant), None);
    }
}
