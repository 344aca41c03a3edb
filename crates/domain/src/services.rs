//! Services the domain needs from outside, behind small traits, with deterministic
//! implementations for tests.

use std::fmt;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// The current instant. Every rule that depends on "now" asks this, never the system directly.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to: for tests and replays.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<Mutex<DateTime<Utc>>>);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The system clock moved by a fixed amount: it runs at the system's pace from another
/// instant (a demo or a browser test "as if it were 10:00 in Seoul").
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    by: Duration,
}

impl ShiftedClock {
    /// A clock that reads `at` now and runs on from there.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Self {
            by: at - Utc::now(),
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.by
    }
}

/// What every aggregate's `handle` gets: the services of the domain.
#[derive(Debug, Clone)]
pub struct DomainServices {
    /// The clock every time-dependent rule reads.
    pub clock: Arc<dyn Clock>,
}

impl DomainServices {
    /// Services on the system clock.
    pub fn system() -> Self {
        Self {
            clock: Arc::new(SystemClock),
        }
    }

    /// Services on a clock the caller controls.
    pub fn with_clock(clock: impl Clock + 'static) -> Self {
        Self {
            clock: Arc::new(clock),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_starts_where_asked_and_runs_on() {
        let at = DateTime::parse_from_rfc3339("2030-01-07T10:00:00+09:00")
            .unwrap()
            .with_timezone(&Utc);
        let clock = ShiftedClock::starting_at(at);
        let first = clock.now();
        assert!((first - at).num_milliseconds().abs() < 1_000, "{first}");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now() > first);
    }

    #[test]
    fn a_fixed_clock_only_moves_when_told() {
        let t0 = DateTime::parse_from_rfc3339("2026-03-29T00:30:00Z")
            .unwrap()
            .to_utc();
        let clock = FixedClock::new(t0);
        let services = DomainServices::with_clock(clock.clone());
        assert_eq!(services.clock.now(), t0);
        clock.advance(Duration::minutes(90));
        assert_eq!(services.clock.now(), t0 + Duration::minutes(90));
    }
}
