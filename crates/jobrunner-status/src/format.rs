//! The small formatters that check messages and the human output share: durations, counts and
//! ages as people read them.
//!
//! A module below both, so a check can say "1m 30s" without importing the renderer, which
//! imports the report the checks feed.

use std::time::Duration;

use chrono::TimeDelta;

/// `90s` as `1m 30s`, `3600s` as `1h`; whole seconds.
#[must_use]
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    let parts = [(secs / 86_400, "d"), (secs / 3600 % 24, "h"), (secs / 60 % 60, "m"), (secs % 60, "s")];
    let text: Vec<String> =
        parts.iter().filter(|(n, _)| *n > 0).map(|(n, unit)| format!("{n}{unit}")).collect();
    if text.is_empty() { "0s".to_owned() } else { text.join(" ") }
}

/// `5000` as `5,000`.
#[must_use]
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `d` to a minute's precision past an hour and to an hour's past a day: `3d 2h`, `1h 2m`,
/// `4m 10s`, `3d`.
#[must_use]
pub fn coarse_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (big, small) = match secs {
        86_400.. => ((secs / 86_400, "d"), (secs / 3600 % 24, "h")),
        3600.. => ((secs / 3600, "h"), (secs / 60 % 60, "m")),
        60.. => ((secs / 60, "m"), (secs % 60, "s")),
        _ => return format!("{secs}s"),
    };
    if small.0 == 0 {
        format!("{}{}", big.0, big.1)
    } else {
        format!("{}{} {}{}", big.0, big.1, small.0, small.1)
    }
}

/// How long ago, coarsely ([`coarse_duration`]); a time ahead of the clock is `in the future
/// (clock skew?)`.
#[must_use]
pub fn ago(delta: TimeDelta) -> String {
    match delta.to_std() {
        Ok(elapsed) => format!("{} ago", coarse_duration(elapsed)),
        Err(_) => "in the future (clock skew?)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_units() {
        assert_eq!(duration(Duration::from_secs(0)), "0s");
        assert_eq!(duration(Duration::from_secs(90)), "1m 30s");
        assert_eq!(duration(Duration::from_secs(3600)), "1h");
        assert_eq!(duration(Duration::from_secs(90_061)), "1d 1h 1m 1s");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(5000), "5,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn ago_keeps_two_neighbouring_units_and_flags_the_future() {
        assert_eq!(ago(TimeDelta::seconds(3725)), "1h 2m ago");
        assert_eq!(ago(TimeDelta::seconds(3 * 86_400 + 2)), "3d ago");
        assert_eq!(ago(TimeDelta::seconds(42)), "42s ago");
        assert_eq!(ago(TimeDelta::seconds(-5)), "in the future (clock skew?)");
    }
}
