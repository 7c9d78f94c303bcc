//! The logical clock behind every timestamp the simulator serves.
//!
//! Real time would make served timestamps, ETags and orderings differ between runs; a clock that
//! starts at 2026-01-01T00:00:00Z and advances one second per state change keeps every run
//! identical and still orders events the way they happened. Rate-limit windows and
//! `retry-after` are not on this clock: they use real time (see [`crate::accounting`]).

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

/// A point in the simulator's logical time.
pub type Timestamp = DateTime<Utc>;

/// A clock that moves only when the state changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogicalClock {
    now: Timestamp,
}

impl LogicalClock {
    /// 2026-01-01T00:00:00Z, where every simulation starts.
    #[must_use]
    pub fn epoch() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("a valid fixed date")
    }

    /// The current logical time.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Advances by one second and returns the new time: the time of the change being made.
    pub fn tick(&mut self) -> Timestamp {
        self.now += TimeDelta::seconds(1);
        self.now
    }
}

impl Default for LogicalClock {
    fn default() -> Self {
        Self { now: Self::epoch() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tick_advances_one_second_from_new_year_2026() {
        let mut clock = LogicalClock::default();
        assert_eq!(clock.now().to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(clock.tick().to_rfc3339(), "2026-01-01T00:00:01+00:00");
        assert_eq!(clock.now().to_rfc3339(), "2026-01-01T00:00:01+00:00");
    }
}
