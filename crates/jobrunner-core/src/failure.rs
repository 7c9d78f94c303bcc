//! The kinds of forge failure, which decide what the runner does next. Telling one from a
//! forge's answer (its status codes, headers, error types) is the adapter's: GitHub's rules
//! live in `jobrunner-github`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What kind of failure happened, which decides retry versus give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "class")]
pub enum FailureClass {
    /// Server error, timeout or reset: retry next cycle.
    Transient,
    /// A primary or secondary rate limit: wait `retry_after`, then retry.
    RateLimited {
        /// How long to wait before the next request.
        #[serde(with = "duration_secs")]
        retry_after: Duration,
    },
    /// The token is missing, expired or revoked (401): stop acting and tell the operator.
    Auth,
    /// The token may not do this here (a 403 that is no rate limit, GraphQL `FORBIDDEN`):
    /// the repository or the action is refused, the node goes on with everything else.
    Forbidden,
    /// The PR, issue or thread is gone: skip the key.
    NotFound,
    /// The forge state moved under us (stale head, not in a mergeable state): re-read it next
    /// cycle instead of retrying blindly.
    Conflict,
    /// The request itself was rejected as invalid: a bug or a configuration error; skip the key.
    Validation,
    /// Anything else that will not get better by retrying: record and skip the key.
    Permanent,
}

impl FailureClass {
    /// True when the same action may be tried again in a later cycle.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Transient | Self::RateLimited { .. } | Self::Conflict)
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transient => f.write_str("transient"),
            Self::RateLimited { retry_after } => {
                write!(f, "rate limited, retry after {}s", retry_after.as_secs())
            }
            Self::Auth => f.write_str("authentication"),
            Self::Forbidden => f.write_str("forbidden"),
            Self::NotFound => f.write_str("not found"),
            Self::Conflict => f.write_str("conflict or stale state"),
            Self::Validation => f.write_str("validation"),
            Self::Permanent => f.write_str("permanent"),
        }
    }
}

mod duration_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(value: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(value.as_secs())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_rate_limited_and_conflict_are_retryable() {
        assert!(FailureClass::Transient.is_retryable());
        assert!(FailureClass::RateLimited { retry_after: Duration::ZERO }.is_retryable());
        assert!(FailureClass::Conflict.is_retryable());
        for class in [
            FailureClass::Auth,
            FailureClass::Forbidden,
            FailureClass::NotFound,
            FailureClass::Validation,
            FailureClass::Permanent,
        ] {
            assert!(!class.is_retryable(), "{class}");
        }
    }
}
