//! Classifying GitHub's failed requests into a [`FailureClass`]: what GitHub's docs say its
//! status codes, rate-limit headers and GraphQL error types mean.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jobrunner_core::FailureClass;
use serde::{Deserialize, Serialize};

/// How long to wait on a rate limit that names no time of its own: GitHub's docs say to wait
/// at least a minute before retrying a secondary limit without `retry-after`.
pub(crate) const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// A request that failed below HTTP: nothing or garbage came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TransportFailure {
    /// No answer within the deadline.
    Timeout,
    /// The peer closed or reset the connection mid-request.
    ConnectionReset,
    /// No connection could be opened.
    Connect,
    /// An answer arrived but could not be parsed.
    MalformedResponse,
}

/// Everything an adapter saw about a failed request, stripped of free text.
///
/// Adapters fill in what they know; [`classify_failure`] decides. Keeping the decision here,
/// away from HTTP types, lets the runner's retry policy be tested without a server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FailureEvidence {
    /// HTTP status, when an HTTP answer arrived.
    pub(crate) status: Option<u16>,
    /// Failure below HTTP, when no usable answer arrived.
    pub(crate) transport: Option<TransportFailure>,
    /// The `retry-after` header.
    pub(crate) retry_after: Option<Duration>,
    /// The `x-ratelimit-remaining` header.
    pub(crate) rate_limit_remaining: Option<u64>,
    /// The `x-ratelimit-reset` header.
    pub(crate) rate_limit_reset: Option<DateTime<Utc>>,
    /// GitHub said this is a secondary rate limit (403/429 without primary exhaustion).
    pub(crate) secondary_rate_limit: bool,
    /// The `type` of the first GraphQL error (`NOT_FOUND`, `FORBIDDEN`, `RATE_LIMITED`, ...).
    pub(crate) graphql_error_type: Option<String>,
}

/// Decides what kind of failure `evidence` describes, following GitHub's documented rules:
/// honour `retry-after`; else when `x-ratelimit-remaining` is 0 wait until
/// `x-ratelimit-reset`; else wait a minute on a secondary limit.
#[must_use]
pub(crate) fn classify_failure(evidence: &FailureEvidence, now: DateTime<Utc>) -> FailureClass {
    if evidence.transport.is_some() {
        return FailureClass::Transient;
    }
    if let Some(retry_after) = rate_limit_wait(evidence, now) {
        return FailureClass::RateLimited { retry_after };
    }
    if let Some(class) = evidence.graphql_error_type.as_deref().and_then(classify_graphql_type) {
        return class;
    }
    match evidence.status {
        Some(401) => FailureClass::Auth,
        Some(403) => FailureClass::Forbidden,
        Some(404 | 410) => FailureClass::NotFound,
        Some(405 | 409 | 412) => FailureClass::Conflict,
        Some(400 | 422) => FailureClass::Validation,
        Some(408 | 500..=599) => FailureClass::Transient,
        _ => FailureClass::Permanent,
    }
}

fn rate_limit_wait(evidence: &FailureEvidence, now: DateTime<Utc>) -> Option<Duration> {
    let limited_status = matches!(evidence.status, Some(403 | 429));
    // GitHub's docs spell it RATE_LIMITED; answers also carry RATE_LIMIT.
    let graphql_limited =
        matches!(evidence.graphql_error_type.as_deref(), Some("RATE_LIMITED" | "RATE_LIMIT"));
    let exhausted = evidence.rate_limit_remaining == Some(0);
    if !(evidence.status == Some(429)
        || graphql_limited
        || (limited_status && (evidence.secondary_rate_limit || exhausted || evidence.retry_after.is_some())))
    {
        return None;
    }
    if let Some(retry_after) = evidence.retry_after {
        return Some(retry_after);
    }
    if exhausted && let Some(reset) = evidence.rate_limit_reset {
        let wait = (reset - now).to_std().unwrap_or(Duration::ZERO);
        return Some(wait.max(Duration::from_secs(1)));
    }
    Some(DEFAULT_RATE_LIMIT_WAIT)
}

fn classify_graphql_type(kind: &str) -> Option<FailureClass> {
    Some(match kind {
        "NOT_FOUND" => FailureClass::NotFound,
        "UNAUTHORIZED" => FailureClass::Auth,
        "FORBIDDEN" => FailureClass::Forbidden,
        // The adapter tells GitHub's transient refusals (head moved, state changed) from
        // the rest by their message; an unrecognised one is not retried on the same head.
        "UNPROCESSABLE" => FailureClass::Permanent,
        "BAD_REQUEST" | "INVALID_ARGUMENT" => FailureClass::Validation,
        "INTERNAL" | "SERVICE_UNAVAILABLE" | "TIMEOUT" => FailureClass::Transient,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    fn status(code: u16) -> FailureEvidence {
        FailureEvidence { status: Some(code), ..FailureEvidence::default() }
    }

    #[test]
    fn server_errors_and_transport_failures_are_transient() {
        for code in [500, 502, 503, 504, 408] {
            assert_eq!(classify_failure(&status(code), now()), FailureClass::Transient, "{code}");
        }
        for transport in [
            TransportFailure::Timeout,
            TransportFailure::ConnectionReset,
            TransportFailure::Connect,
            TransportFailure::MalformedResponse,
        ] {
            let evidence = FailureEvidence { transport: Some(transport), ..FailureEvidence::default() };
            assert_eq!(classify_failure(&evidence, now()), FailureClass::Transient);
        }
    }

    #[test]
    fn retry_after_wins_over_every_other_hint() {
        let evidence = FailureEvidence {
            status: Some(403),
            retry_after: Some(Duration::from_secs(17)),
            rate_limit_remaining: Some(0),
            rate_limit_reset: Some(now() + chrono::Duration::seconds(900)),
            ..FailureEvidence::default()
        };
        assert_eq!(
            classify_failure(&evidence, now()),
            FailureClass::RateLimited { retry_after: Duration::from_secs(17) }
        );
    }

    #[test]
    fn exhausted_primary_limit_waits_until_reset() {
        let evidence = FailureEvidence {
            status: Some(403),
            rate_limit_remaining: Some(0),
            rate_limit_reset: Some(now() + chrono::Duration::seconds(300)),
            ..FailureEvidence::default()
        };
        assert_eq!(
            classify_failure(&evidence, now()),
            FailureClass::RateLimited { retry_after: Duration::from_secs(300) }
        );
    }

    #[test]
    fn reset_in_the_past_still_waits_a_second() {
        let evidence = FailureEvidence {
            status: Some(429),
            rate_limit_remaining: Some(0),
            rate_limit_reset: Some(now() - chrono::Duration::seconds(5)),
            ..FailureEvidence::default()
        };
        assert_eq!(
            classify_failure(&evidence, now()),
            FailureClass::RateLimited { retry_after: Duration::from_secs(1) }
        );
    }

    #[test]
    fn secondary_limit_without_headers_waits_a_minute() {
        let evidence = FailureEvidence {
            status: Some(403),
            secondary_rate_limit: true,
            rate_limit_remaining: Some(4000),
            ..FailureEvidence::default()
        };
        assert_eq!(
            classify_failure(&evidence, now()),
            FailureClass::RateLimited { retry_after: DEFAULT_RATE_LIMIT_WAIT }
        );
        assert_eq!(
            classify_failure(&status(429), now()),
            FailureClass::RateLimited { retry_after: DEFAULT_RATE_LIMIT_WAIT }
        );
    }

    #[test]
    fn plain_403_is_forbidden_not_a_rate_limit_nor_a_bad_token() {
        let evidence = FailureEvidence { rate_limit_remaining: Some(4999), ..status(403) };
        assert_eq!(classify_failure(&evidence, now()), FailureClass::Forbidden);
        assert_eq!(classify_failure(&status(401), now()), FailureClass::Auth);
    }

    #[test]
    fn client_errors_map_to_their_classes() {
        assert_eq!(classify_failure(&status(404), now()), FailureClass::NotFound);
        assert_eq!(classify_failure(&status(410), now()), FailureClass::NotFound);
        assert_eq!(classify_failure(&status(409), now()), FailureClass::Conflict);
        assert_eq!(classify_failure(&status(405), now()), FailureClass::Conflict);
        assert_eq!(classify_failure(&status(422), now()), FailureClass::Validation);
        assert_eq!(classify_failure(&status(400), now()), FailureClass::Validation);
        assert_eq!(classify_failure(&status(418), now()), FailureClass::Permanent);
        assert_eq!(classify_failure(&FailureEvidence::default(), now()), FailureClass::Permanent);
    }

    #[test]
    fn graphql_error_types_are_classified_on_a_200() {
        let graphql = |kind: &str| FailureEvidence {
            status: Some(200),
            graphql_error_type: Some(kind.to_owned()),
            ..FailureEvidence::default()
        };
        assert_eq!(classify_failure(&graphql("NOT_FOUND"), now()), FailureClass::NotFound);
        assert_eq!(classify_failure(&graphql("FORBIDDEN"), now()), FailureClass::Forbidden);
        assert_eq!(classify_failure(&graphql("UNPROCESSABLE"), now()), FailureClass::Permanent);
        for kind in ["RATE_LIMITED", "RATE_LIMIT"] {
            assert_eq!(
                classify_failure(&graphql(kind), now()),
                FailureClass::RateLimited { retry_after: DEFAULT_RATE_LIMIT_WAIT }
            );
        }
        assert_eq!(classify_failure(&graphql("SOMETHING_NEW"), now()), FailureClass::Permanent);
    }
}
