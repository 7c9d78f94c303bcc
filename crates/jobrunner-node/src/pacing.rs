//! How often a node polls: the configured interval while things move, a longer one when they
//! do not.

use std::time::Duration;

use jobrunner_config::Settings;
use jobrunner_runner::Pace;

/// Idle back-off: after this many cycles without change the interval grows to [`IDLE_INTERVAL`].
pub const IDLE_CYCLES_BEFORE_BACKOFF: u32 = 3;
/// The interval of an idle node.
pub const IDLE_INTERVAL: Duration = Duration::from_secs(300);

/// The pace of a node with these settings.
pub(crate) fn pace_for(settings: &Settings, in_fleet: bool) -> Pace {
    // A fleet node idling longer than half its lease TTL would lose its repositories between
    // two cycles, and the fleet would hand them round every cycle.
    let idle = if in_fleet { IDLE_INTERVAL.min(settings.lease_ttl / 2) } else { IDLE_INTERVAL };
    Pace::new(settings.poll_interval, idle, IDLE_CYCLES_BEFORE_BACKOFF)
}
