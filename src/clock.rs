//! Time as the emulator sees it: the only place that reads the wall clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The most one control call may move the clock forward: 366 days.
pub const MAX_ADVANCE_SECONDS: i64 = 366 * 86_400;

/// An advance of `seconds`, in milliseconds, checked once for every caller
/// (the control API and the dashboard): a finite number from 0 to
/// [`MAX_ADVANCE_SECONDS`], or a message saying so.
pub fn advance_ms(seconds: f64) -> Result<i64, String> {
    if seconds.is_finite() && (0.0..=MAX_ADVANCE_SECONDS as f64).contains(&seconds) {
        Ok((seconds * 1000.0).round() as i64)
    } else {
        Err(format!(
            "seconds must be a number from 0 to {MAX_ADVANCE_SECONDS} (366 days)"
        ))
    }
}

/// A source of the current time in epoch milliseconds.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;

    /// Moves the clock forward; false for clocks that cannot be moved.
    fn advance(&self, ms: i64) -> bool {
        let _ = ms;
        false
    }
}

/// The machine's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to (tests and manual mode).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start_ms: i64) -> Self {
        Self(AtomicI64::new(start_ms))
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    fn advance(&self, ms: i64) -> bool {
        add_saturating(&self.0, ms);
        true
    }
}

/// The machine's clock plus an offset the control API can move forward.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_ms: AtomicI64,
}

impl Clock for OffsetClock {
    fn now_ms(&self) -> i64 {
        SystemClock
            .now_ms()
            .saturating_add(self.offset_ms.load(Ordering::SeqCst))
    }

    fn advance(&self, ms: i64) -> bool {
        add_saturating(&self.offset_ms, ms);
        true
    }
}

/// Adds without wrapping: advances, however many, never turn time back.
fn add_saturating(value: &AtomicI64, ms: i64) {
    let _ = value.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| {
        Some(v.saturating_add(ms))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advances_are_bounded_and_never_wrap() {
        assert_eq!(advance_ms(1.5), Ok(1500));
        assert_eq!(
            advance_ms(MAX_ADVANCE_SECONDS as f64),
            Ok(MAX_ADVANCE_SECONDS * 1000)
        );
        for bad in [
            -1.0,
            f64::NAN,
            f64::INFINITY,
            1e300,
            MAX_ADVANCE_SECONDS as f64 + 1.0,
        ] {
            assert!(advance_ms(bad).is_err(), "{bad}");
        }
        let clock = ManualClock::new(i64::MAX - 10);
        clock.advance(1_000);
        assert_eq!(clock.now_ms(), i64::MAX);
    }
}
