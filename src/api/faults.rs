//! Fault injection: make chosen calls fail or slow down, on purpose.
//!
//! A fault matches some operations and/or accounts (none named: all) and
//! fires for a number of calls, with a probability, or both. Throttling is
//! answered the way AWS throttles (`ThrottlingException`, HTTP 400, which SDKs
//! retry); a server fault is `DirectConnectServerException` with HTTP 500;
//! latency delays the call and then lets it run.

use super::{ApiError, ErrorCode, Operation};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What a fault does to a call it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    /// `ThrottlingException` ("Rate exceeded"), HTTP 400.
    Throttle,
    /// `DirectConnectServerException`, HTTP 500.
    ServerError,
    /// The call waits `latencyMs` first, then runs.
    Latency,
}

/// A fault as the control API takes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSpec {
    pub effect: Effect,
    /// Operation names (`DescribeConnections`); none or empty: every operation.
    #[serde(default)]
    pub operations: Vec<String>,
    /// Account ids; none or empty: every account.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// How many matching calls it fires for; none: without end.
    pub count: Option<u64>,
    /// The chance it fires for a matching call (0 to 1); none: always.
    pub probability: Option<f64>,
    /// The delay of a `latency` fault.
    pub latency_ms: Option<u64>,
    /// The error message; a default fits the effect.
    pub message: Option<String>,
}

/// A registered fault and how often it has fired.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    pub id: u64,
    pub effect: Effect,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    /// Firings left; absent when unlimited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub fired: u64,
}

/// The longest latency a fault may add.
const MAX_LATENCY_MS: u64 = 10 * 60 * 1000;

impl Fault {
    /// Checks a spec and turns it into a fault with `id`.
    pub fn from_spec(id: u64, spec: FaultSpec) -> Result<Self, String> {
        for op in &spec.operations {
            if Operation::from_name(op).is_none() {
                return Err(format!("unknown operation {op}"));
            }
        }
        if let Some(p) = spec.probability
            && !(p.is_finite() && (0.0..=1.0).contains(&p))
        {
            return Err("probability must be between 0 and 1".into());
        }
        match (spec.effect, spec.latency_ms) {
            (Effect::Latency, None) => return Err("a latency fault needs latencyMs".into()),
            (Effect::Latency, Some(ms)) if ms > MAX_LATENCY_MS => {
                return Err(format!("latencyMs is at most {MAX_LATENCY_MS}"));
            }
            (Effect::Throttle | Effect::ServerError, Some(_)) => {
                return Err("latencyMs applies only to a latency fault".into());
            }
            _ => {}
        }
        if spec.count == Some(0) {
            return Err("count must be at least 1".into());
        }
        Ok(Self {
            id,
            effect: spec.effect,
            operations: spec.operations,
            accounts: spec.accounts,
            remaining: spec.count,
            probability: spec.probability,
            latency_ms: spec.latency_ms,
            message: spec.message,
            fired: 0,
        })
    }

    fn matches(&self, op: Operation, account: &str) -> bool {
        (self.operations.is_empty() || self.operations.iter().any(|o| o == op.name()))
            && (self.accounts.is_empty() || self.accounts.iter().any(|a| a == account))
    }
}

/// What the HTTP layer must do to a call.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Wait this long before going on.
    pub delay: Option<Duration>,
    /// Answer with this error instead of running the call.
    pub error: Option<ApiError>,
}

/// The registered faults.
#[derive(Debug, Default)]
pub struct Faults {
    inner: Mutex<Registry>,
    /// Whether any fault is registered: calls skip the lock when none is.
    any: AtomicBool,
}

#[derive(Debug, Default)]
struct Registry {
    next_id: u64,
    faults: Vec<Fault>,
}

impl Faults {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A fault list cannot be left half-updated by a panic; reuse it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a fault; returns it with its id.
    pub fn add(&self, spec: FaultSpec) -> Result<Fault, String> {
        let mut reg = self.registry();
        let fault = Fault::from_spec(reg.next_id + 1, spec)?;
        reg.next_id += 1;
        reg.faults.push(fault.clone());
        self.any.store(true, Ordering::SeqCst);
        Ok(fault)
    }

    /// Every registered fault, oldest first.
    pub fn list(&self) -> Vec<Fault> {
        self.registry().faults.clone()
    }

    /// Removes one fault; whether it existed.
    pub fn remove(&self, id: u64) -> bool {
        let mut reg = self.registry();
        let before = reg.faults.len();
        reg.faults.retain(|f| f.id != id);
        self.any.store(!reg.faults.is_empty(), Ordering::SeqCst);
        reg.faults.len() != before
    }

    /// Removes every fault.
    pub fn clear(&self) {
        let mut reg = self.registry();
        reg.faults.clear();
        self.any.store(false, Ordering::SeqCst);
    }

    /// Decides what happens to a call of `op` by `account`. Every matching
    /// fault that fires counts the call; a fault whose count runs out goes.
    pub fn check(&self, op: Operation, account: &str) -> Verdict {
        if !self.any.load(Ordering::SeqCst) {
            return Verdict::default();
        }
        let mut reg = self.registry();
        if reg.faults.is_empty() {
            return Verdict::default();
        }
        let mut verdict = Verdict::default();
        for fault in reg.faults.iter_mut() {
            if !fault.matches(op, account) {
                continue;
            }
            if let Some(p) = fault.probability
                && fastrand::f64() >= p
            {
                continue;
            }
            match fault.effect {
                Effect::Latency => {
                    let ms = fault.latency_ms.unwrap_or(0);
                    let total = verdict.delay.unwrap_or_default() + Duration::from_millis(ms);
                    verdict.delay = Some(total);
                }
                Effect::Throttle | Effect::ServerError if verdict.error.is_some() => continue,
                Effect::Throttle => {
                    let msg = fault.message.as_deref().unwrap_or("Rate exceeded");
                    verdict.error = Some(ApiError::new(ErrorCode::ThrottlingException, msg));
                }
                Effect::ServerError => {
                    let msg = fault
                        .message
                        .as_deref()
                        .unwrap_or("An internal error occurred (injected by dxemu)");
                    verdict.error = Some(ApiError::server(msg));
                }
            }
            fault.fired += 1;
            if let Some(left) = fault.remaining.as_mut() {
                *left = left.saturating_sub(1);
            }
        }
        reg.faults.retain(|f| f.remaining != Some(0));
        self.any.store(!reg.faults.is_empty(), Ordering::SeqCst);
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(effect: Effect) -> FaultSpec {
        FaultSpec {
            effect,
            operations: vec![],
            accounts: vec![],
            count: None,
            probability: None,
            latency_ms: None,
            message: None,
        }
    }

    #[test]
    fn counted_fault_fires_then_goes() {
        let faults = Faults::default();
        let mut s = spec(Effect::Throttle);
        s.operations = vec!["DescribeConnections".into()];
        s.count = Some(2);
        faults.add(s).unwrap();
        let op = Operation::DescribeConnections;
        assert!(faults.check(Operation::DescribeLags, "1").error.is_none());
        for _ in 0..2 {
            let e = faults.check(op, "1").error.unwrap();
            assert_eq!(e.code, ErrorCode::ThrottlingException);
        }
        assert!(faults.check(op, "1").error.is_none());
        assert!(faults.list().is_empty());
    }

    #[test]
    fn account_filter_probability_and_latency() {
        let faults = Faults::default();
        let mut s = spec(Effect::ServerError);
        s.accounts = vec!["111111111111".into()];
        s.probability = Some(0.0);
        faults.add(s).unwrap();
        let mut l = spec(Effect::Latency);
        l.latency_ms = Some(25);
        faults.add(l).unwrap();
        let v = faults.check(Operation::DescribeConnections, "111111111111");
        assert!(v.error.is_none());
        assert_eq!(v.delay, Some(Duration::from_millis(25)));
        let listed = faults.list();
        assert_eq!((listed[0].fired, listed[1].fired), (0, 1));
        assert!(faults.remove(listed[0].id));
        assert!(!faults.remove(listed[0].id));
    }

    #[test]
    fn bad_specs_are_refused() {
        let faults = Faults::default();
        let mut s = spec(Effect::Throttle);
        s.operations = vec!["Nope".into()];
        assert!(faults.add(s).is_err());
        assert!(faults.add(spec(Effect::Latency)).is_err());
        let mut p = spec(Effect::Throttle);
        p.probability = Some(1.5);
        assert!(faults.add(p).is_err());
    }
}
