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

/// How fast the steps AWS takes on its own happen.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Timing {
    /// They happen at once, so tests never wait.
    #[default]
    Instant,
    /// They take durations modelled on AWS's, divided by `scale`.
    Realistic { scale: f64 },
    /// Provisioning steps happen only when the control API forces them;
    /// time-based ones (expiry, purge, failover-test end) follow the clock.
    Manual,
}

impl Timing {
    /// The delay of a provisioning step that takes `secs` on AWS; `None` in manual mode.
    fn provision(self, secs: i64) -> Option<i64> {
        match self {
            Timing::Instant => Some(0),
            Timing::Realistic { scale } => Some(scaled(secs, scale)),
            Timing::Manual => None,
        }
    }

    /// The delay of a time-based step (expiry, purge) of `ms`.
    fn wait(self, ms: i64) -> i64 {
        match self {
            Timing::Realistic { scale } => scaled_ms(ms, scale),
            Timing::Instant | Timing::Manual => ms,
        }
    }

    /// The wire name of the mode.
    pub fn name(self) -> &'static str {
        match self {
            Timing::Instant => "instant",
            Timing::Realistic { .. } => "realistic",
            Timing::Manual => "manual",
        }
    }
}

fn scaled(secs: i64, scale: f64) -> i64 {
    scaled_ms(secs.saturating_mul(1000), scale)
}

fn scaled_ms(ms: i64, scale: f64) -> i64 {
    if scale > 0.0 {
        (ms as f64 / scale).round() as i64
    } else {
        ms
    }
}

/// Durations of AWS's own steps in realistic mode, in seconds [our model:
/// AWS documents "up to 72 hours" for a LOA and publishes no other figures].
mod aws_seconds {
    /// The LOA is issued (requested → pending).
    pub const LOA: i64 = 3600;
    /// The cross-connect is made and the port comes up (pending → available).
    pub const CROSS_CONNECT: i64 = 3600;
    /// Public VIF prefixes are verified (verifying → pending).
    pub const PUBLIC_VERIFICATION: i64 = 3600;
    /// BGP comes up on a new VIF or peer (pending → available).
    pub const BGP_UP: i64 = 60;
    /// A gateway is created.
    pub const GATEWAY: i64 = 60;
    /// An association is made, changed or removed.
    pub const ASSOCIATION: i64 = 300;
    /// A resource finishes deleting.
    pub const DELETE: i64 = 60;
}

/// The rule for a resource of `kind` in `state`, if any: the step and its delay.
pub fn rule(kind: Kind, state: &str, timing: Timing) -> Option<(Step, i64)> {
    use aws_seconds::*;
    let to = |next: &'static str, secs: i64| timing.provision(secs).map(|d| (Step::To(next), d));
    let purge = |ms: i64| Some((Step::Purge, timing.wait(ms)));
    match (kind, state) {
        // CreateConnection → requested; the LOA is issued → pending; the
        // cross-connect is made → available. Interconnects provision alike.
        (Kind::Connection | Kind::Interconnect, "requested") => to("pending", LOA),
        (Kind::Connection | Kind::Interconnect, "pending") => to("available", CROSS_CONNECT),
        (Kind::Connection | Kind::Interconnect, "deleting") => to("deleted", DELETE),
        (Kind::Connection, "deleted" | "rejected") => purge(DELETED_VISIBLE_MS),
        (Kind::Interconnect, "deleted") => purge(DELETED_VISIBLE_MS),
        // A LAG is pending until AWS has allocated its ports; after that its
        // reported state follows its members.
        (Kind::Lag, "pending") => to("available", LOA),
        (Kind::Lag, "deleted") => purge(DELETED_VISIBLE_MS),
        // Public VIFs are verified first; then BGP comes up. A VIF under a
        // failover test comes back when the test ends (the service sets that
        // due time itself).
        (Kind::VirtualInterface, "verifying") => to("pending", PUBLIC_VERIFICATION),
        (Kind::VirtualInterface, "pending") => to("available", BGP_UP),
        (Kind::VirtualInterface, "testing") => Some((Step::To("available"), 0)),
        (Kind::VirtualInterface, "deleting") => to("deleted", DELETE),
        (Kind::VirtualInterface, "deleted" | "rejected") => purge(DELETED_VISIBLE_MS),
        (Kind::Gateway, "pending") => to("available", GATEWAY),
        (Kind::Gateway, "deleting") => to("deleted", DELETE),
        (Kind::Gateway, "deleted") => purge(DELETED_VISIBLE_MS),
        (Kind::GatewayAssociation, "associating" | "updating") => to("associated", ASSOCIATION),
        (Kind::GatewayAssociation, "disassociating") => to("disassociated", ASSOCIATION),
        (Kind::GatewayAssociation, "disassociated") => purge(DELETED_VISIBLE_MS),
        (Kind::AssociationProposal, "requested") => {
            Some((Step::To("deleted"), timing.wait(PROPOSAL_EXPIRY_MS)))
        }
        (Kind::AssociationProposal, "accepted" | "deleted") => purge(PROPOSAL_VISIBLE_MS),
        (Kind::FailoverTest, "in_progress") => Some((Step::To("completed"), 0)),
        // Resiliency groups and their memberships [our model: AWS answers
        // `pending` and `associating`, and publishes no durations].
        (Kind::ResiliencyGroup, "pending") => to("available", GATEWAY),
        (Kind::ResiliencyGroup, "deleting") => to("deleted", DELETE),
        (Kind::ResiliencyGroup, "deleted") => purge(DELETED_VISIBLE_MS),
        (Kind::ResiliencyGroupAssociation, "associating") => to("associated", ASSOCIATION),
        (Kind::ResiliencyGroupAssociation, "disassociating") => to("disassociated", ASSOCIATION),
        (Kind::ResiliencyGroupAssociation, "disassociated") => purge(DELETED_VISIBLE_MS),
        _ => None,
    }
}

/// Whether the control API may move a resource from `from` to `to`: the steps
/// AWS takes on its own, and a port or VIF going down and coming back.
pub fn can_force(kind: Kind, from: &str, to: &str) -> bool {
    if rule(kind, from, Timing::Instant)
        .is_some_and(|(step, _)| matches!(step, Step::To(next) if next == to))
    {
        return true;
    }
    matches!(
        (kind, from, to),
        (
            Kind::Connection | Kind::Interconnect | Kind::VirtualInterface,
            "available",
            "down"
        ) | (
            Kind::Connection | Kind::Interconnect | Kind::VirtualInterface,
            "down",
            "available"
        )
        // A LAG goes down and comes back through its member connections.
        // An available VIF brings up the BGP peers added to it.
        | (Kind::VirtualInterface, "available", "available")
        | (Kind::Lag, "available", "down")
        | (Kind::Lag, "down", "available")
    )
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
        Kind::ResiliencyGroup | Kind::ResiliencyGroupAssociation => Some("state"),
        Kind::Agreement | Kind::MacSecSecret => None,
    }
}

/// Whether `on_enter` may change more of a `kind`'s document than its state
/// member (the lifecycle then opens the whole document).
pub fn edits_on_enter(kind: Kind) -> bool {
    matches!(kind, Kind::VirtualInterface | Kind::FailoverTest)
}

/// Side effects inside a resource's wire document when it enters `state`
/// (only for the kinds `edits_on_enter` names).
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
        // A VIF taken down loses its BGP sessions.
        "down" => (None, "down"),
        _ => return,
    };
    if let Some(peers) = wire.get_mut("bgpPeers").and_then(|p| p.as_array_mut()) {
        for peer in peers.iter_mut().filter_map(|p| p.as_object_mut()) {
            if let Some(ps) = peer_state {
                peer.insert("bgpPeerState".into(), ps.into());
            }
            peer.insert("bgpStatus".into(), bgp.into());
        }
    }
}

/// Whether a resource of `kind` in `state` may have a step the service
/// scheduled itself that keeps it in its state: an available VIF whose new
/// BGP peer comes up (AWS does not re-provision the VIF for a new peer).
pub fn renews(kind: Kind, state: &str) -> bool {
    kind == Kind::VirtualInterface && state == "available"
}

/// When a BGP peer added at `at_ms` to an available VIF comes up; never on
/// its own in manual mode (forcing the VIF `available` brings it up).
pub fn peer_up_at(at_ms: i64, timing: Timing) -> Option<i64> {
    timing
        .provision(aws_seconds::BGP_UP)
        .map(|d| at_ms.saturating_add(d))
}

/// The step [`renews`] names: the VIF's pending BGP peers become available, their sessions up.
pub fn on_renew(kind: Kind, wire: &mut serde_json::Map<String, serde_json::Value>) {
    if kind != Kind::VirtualInterface {
        return;
    }
    if let Some(peers) = wire.get_mut("bgpPeers").and_then(|p| p.as_array_mut()) {
        for peer in peers.iter_mut().filter_map(|p| p.as_object_mut()) {
            if peer.get("bgpPeerState").and_then(|s| s.as_str()) == Some("pending") {
                peer.insert("bgpPeerState".into(), "available".into());
                peer.insert("bgpStatus".into(), "up".into());
            }
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
    fn modes_differ_only_in_timing() {
        let realistic = Timing::Realistic { scale: 3600.0 };
        assert_eq!(
            rule(Kind::Connection, "requested", realistic),
            Some((Step::To("pending"), 1000))
        );
        assert_eq!(rule(Kind::Connection, "requested", Timing::Manual), None);
        // Time-based steps still follow the clock in manual mode.
        assert_eq!(
            rule(Kind::AssociationProposal, "requested", Timing::Manual),
            Some((Step::To("deleted"), PROPOSAL_EXPIRY_MS))
        );
        assert!(can_force(Kind::Connection, "requested", "pending"));
        assert!(can_force(Kind::Connection, "available", "down"));
        assert!(!can_force(Kind::Connection, "available", "requested"));
        assert!(can_force(Kind::Lag, "available", "down"));
        assert!(!can_force(Kind::Lag, "available", "requested"));
    }

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
