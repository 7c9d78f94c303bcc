//! When the next cycle starts: the poll interval, stretched to the idle interval after a run
//! of idle cycles, snapped back by the first change; a rate limit's wait when one is longer.

use std::time::Duration;

/// The schedule of cycles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pace {
    interval: Duration,
    idle_interval: Duration,
    idle_cycles_before_backoff: u32,
    idle_cycles: u32,
}

impl Pace {
    /// Cycles every `interval`; after `idle_cycles_before_backoff` idle cycles in a row, every
    /// `idle_interval` (never shorter than `interval`).
    #[must_use]
    pub fn new(interval: Duration, idle_interval: Duration, idle_cycles_before_backoff: u32) -> Self {
        Self {
            interval,
            idle_interval: idle_interval.max(interval),
            idle_cycles_before_backoff,
            idle_cycles: 0,
        }
    }

    /// Records a cycle (`changed`: it acted, or its signals differed from the last cycle's)
    /// and returns the wait before the next one.
    pub fn after_cycle(&mut self, changed: bool) -> Duration {
        if changed {
            self.idle_cycles = 0;
        } else {
            self.idle_cycles = self.idle_cycles.saturating_add(1);
        }
        self.current()
    }

    /// The wait after a failed cycle: the rate limit's own wait when it asks for one, else
    /// the normal interval.
    #[must_use]
    pub fn after_failure(&self, retry_after: Option<Duration>) -> Duration {
        retry_after.map_or(self.interval, |wait| wait.max(self.interval))
    }

    /// The current wait between cycles.
    #[must_use]
    pub fn current(&self) -> Duration {
        if self.idle_cycles >= self.idle_cycles_before_backoff { self.idle_interval } else { self.interval }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);
    const FIVE: Duration = Duration::from_secs(300);

    #[test]
    fn idle_cycles_stretch_the_interval_and_a_change_snaps_it_back() {
        let mut pace = Pace::new(MINUTE, FIVE, 3);
        assert_eq!(pace.after_cycle(false), MINUTE);
        assert_eq!(pace.after_cycle(false), MINUTE);
        assert_eq!(pace.after_cycle(false), FIVE);
        assert_eq!(pace.after_cycle(false), FIVE);
        assert_eq!(pace.after_cycle(true), MINUTE);
    }

    #[test]
    fn a_rate_limit_waits_at_least_its_retry_after() {
        let pace = Pace::new(MINUTE, FIVE, 3);
        assert_eq!(pace.after_failure(Some(Duration::from_secs(900))), Duration::from_secs(900));
        assert_eq!(pace.after_failure(Some(Duration::from_secs(5))), MINUTE);
        assert_eq!(pace.after_failure(None), MINUTE);
    }

    #[test]
    fn the_idle_interval_is_never_shorter_than_the_interval() {
        let mut pace = Pace::new(FIVE, MINUTE, 1);
        assert_eq!(pace.after_cycle(false), FIVE);
    }
}
