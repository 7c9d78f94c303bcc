//! How Rust values become portable column values and back.
//!
//! Timestamps are TEXT in one fixed-width RFC 3339 form, counts are BIGINT (`i64`), JSON is
//! TEXT: the types SQLite and PostgreSQL share, so both stores encode and decode the same way.
//! Decoding never trusts the database: a value the binary cannot read is an
//! [`StoreError::Unreadable`] naming it, not a panic.

use chrono::{DateTime, SecondsFormat, Utc};
use jobrunner_core::NodeId;

use crate::StoreError;

/// The timestamp as stored: microseconds and `Z` always, so every value has the same width and
/// text order is time order.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn parse_timestamp(what: &'static str, value: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(value)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|e| StoreError::unreadable(what, value, e))
}

pub(crate) fn parse_node(value: &str) -> Result<NodeId, StoreError> {
    NodeId::new(value).map_err(|e| StoreError::unreadable("node id", value, e))
}

/// An unsigned count as BIGINT. Counts here (PR numbers, points) are far below `i64::MAX`;
/// a larger one is refused rather than wrapped into a negative number.
pub(crate) fn bigint(what: &'static str, value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::OutOfRange { what, value })
}

pub(crate) fn unsigned<T: TryFrom<i64>>(what: &'static str, value: i64) -> Result<T, StoreError> {
    T::try_from(value).map_err(|_| StoreError::unreadable(what, &value.to_string(), "out of range"))
}

pub(crate) fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value)
        .expect("serializing to a String cannot fail: these types hold no maps with non-string keys")
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    value: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(value).map_err(|e| StoreError::unreadable(what, value, e))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn timestamps_have_one_width_so_text_order_is_time_order() {
        let early = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let late = early + chrono::Duration::nanoseconds(1_500);
        assert_eq!(timestamp(early), "2026-01-02T03:04:05.000000Z");
        assert_eq!(timestamp(late), "2026-01-02T03:04:05.000001Z");
        assert!(timestamp(early) < timestamp(late));
    }

    #[test]
    fn stored_timestamps_read_back_to_the_microsecond() {
        let at = Utc.with_ymd_and_hms(2026, 11, 21, 9, 5, 0).unwrap() + chrono::Duration::microseconds(7);
        assert_eq!(parse_timestamp("t", &timestamp(at)).unwrap(), at);
    }

    #[test]
    fn counts_above_bigint_are_refused_not_wrapped() {
        assert!(matches!(bigint("pr", u64::MAX), Err(StoreError::OutOfRange { what: "pr", .. })));
        assert!(unsigned::<u64>("pr", -1).is_err());
    }
}
