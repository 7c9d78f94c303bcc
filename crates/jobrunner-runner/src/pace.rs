//! When the next cycle starts: the poll interval, stretched to the idle interval after a run
//! of idle cycles, snapped back by the first change; a rate limit's wait when one is longer;
//! a growing wait while the state database is gone.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

/// The first retry after the state database was lost; the waits then double up to the poll
/// interval, so a short outage costs seconds and a long one no more than a poll per interval.
pub(crate) const FIRST_RECONNECT: Duration = Duration::from_secs(1);

/// The schedule of cycles.
#[derive(Debug)]
pub struct Pace {
    interval: Duration,
    idle_interval: Duration,
    idle_cycles_before_backoff: u32,
    idle_cycles: u32,
    /// The reconnect schedule while the state database is gone.
    outage: Option<ExponentialBackoff>,
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
            outage: None,
        }
    }

    /// Records a cycle (`changed`: it acted, or its signals differed from the last cycle's)
    /// and returns the wait before the next one.
    pub fn after_cycle(&mut self, changed: bool) -> Duration {
        self.outage = None;
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

    /// The wait after a cycle that found the state database gone: 1 s (`FIRST_RECONNECT`), then
    /// doubling, with jitter so a fleet does not reconnect in step, up to the poll interval;
    /// back to the normal schedule after the next completed cycle.
    pub fn after_store_lost(&mut self) -> Duration {
        let cap = self.interval;
        let backoff = self.outage.get_or_insert_with(|| {
            ExponentialBuilder::default()
                .with_min_delay(FIRST_RECONNECT.min(cap))
                .with_max_delay(cap)
                .with_jitter()
                .without_max_times()
                .build()
        });
        backoff.next().unwrap_or(cap).min(cap)
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
    fn a_lost_database_is_retried_soon_then_less_often_up_to_the_interval() {
        let mut pace = Pace::new(MINUTE, FIVE, 3);
        let waits: Vec<Duration> = (0..12).map(|_| pace.after_store_lost()).collect();
        assert!(waits[0] < Duration::from_secs(3), "the first retry comes within seconds: {waits:?}");
        assert!(waits.iter().all(|wait| *wait <= MINUTE), "never past the interval: {waits:?}");
        assert_eq!(waits[11], MINUTE, "a long outage is retried every interval: {waits:?}");
        assert_eq!(pace.after_cycle(true), MINUTE);
        assert!(pace.after_store_lost() < Duration::from_secs(3), "a completed cycle starts afresh");
    }

    #[test]
    fn the_idle_interval_is_never_shorter_than_the_interval() {
        let mut pace = Pace::new(FIVE, MINUTE, 1);
        assert_eq!(pace.after_cycle(false), FIVE);
    }
}
