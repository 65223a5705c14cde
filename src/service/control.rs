//! The service side of the control API: forced transitions, listings, reset.

use super::{Emulator, store_error};
use crate::control::{Control, ControlError, ResourceSummary};
use crate::lifecycle;
use crate::store::{Expect, Kind, Query, Record, Write};

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
];

fn summary(rec: &Record) -> ResourceSummary {
    ResourceSummary {
        kind: rec.kind.as_str(),
        id: rec.id.clone(),
        account: rec.account.clone(),
        region: rec.region.clone(),
        state: rec.state.clone(),
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
            out.extend(recs.iter().map(summary));
        }
        Ok(out)
    }

    fn reset(&self) -> Result<(), ControlError> {
        let _guard = self.lock().map_err(internal)?;
        self.store().reset().map_err(|e| internal(store_error(e)))?;
        self.forget_due();
        Ok(())
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
}
