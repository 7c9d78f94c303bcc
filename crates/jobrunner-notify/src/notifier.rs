//! [`Notifier`]: posts payloads to webhooks over HTTPS, with timeouts and bounded retries.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER, USER_AGENT};
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::render::{Channel, NodeStatus, render};
use crate::url::WebhookUrl;
use jobrunner_core::error_chain;

const USER_AGENT_VALUE: &str = concat!("core-ide-notify/", env!("CARGO_PKG_VERSION"));

/// The most of a 429 answer's body read to find Discord's `retry_after`.
const RATE_LIMIT_BODY_MAX_BYTES: usize = 16 * 1024;

/// Where to post, and in which format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// The service, which decides the message format.
    pub channel: Channel,
    /// The webhook's URL (a secret; shown redacted).
    pub url: WebhookUrl,
}

/// How long to wait for an answer and how to retry.
///
/// An attempt that times out, fails in transport, or is answered 429 or 5xx is retried, up to
/// [`max_attempts`](Self::max_attempts) attempts in all, after an exponential backoff
/// (doubling from [`initial_backoff`](Self::initial_backoff) up to
/// [`max_backoff`](Self::max_backoff), plus a random jitter of up to as much again, so that a
/// fleet started together does not retry in step) — or after the delay the service asked for in
/// `retry-after` (header, in seconds) or Discord's JSON `retry_after` (seconds, possibly
/// fractional). A requested delay longer than [`max_retry_after`](Self::max_retry_after) is not
/// waited for: the delivery fails at once with [`DeliveryError::RetryAfterTooLong`] rather than
/// hammering a service that asked for quiet. Any other answer outside 2xx is permanent.
///
/// Retrying a POST whose answer was lost may post the message twice: notifications are
/// delivered at least once, not exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per webhook, the first included (at least 1).
    pub max_attempts: u32,
    /// The backoff before the first retry when the service named no delay.
    pub initial_backoff: Duration,
    /// The longest backoff between attempts when the service named no delay, before jitter.
    pub max_backoff: Duration,
    /// The longest delay asked for by `retry-after` that is honoured.
    pub max_retry_after: Duration,
    /// The time limit of one attempt: connect, TLS, request and answer (more than zero).
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, backoff 0.5 s to 8 s, `retry-after` honoured up to 30 s, 10 s per attempt.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// The result of posting to one webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The webhook's service.
    pub channel: Channel,
    /// The webhook's `scheme://host[:port]` (the URL's secret part is never kept here).
    pub origin: String,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// The delays slept between attempts, summed (backoff or `retry-after`, as planned, not as
    /// measured).
    pub waited: Duration,
    /// Delivered, or why not.
    pub outcome: Outcome,
}

impl Delivery {
    /// Whether the webhook accepted the message.
    #[must_use]
    pub fn is_delivered(&self) -> bool {
        matches!(self.outcome, Outcome::Delivered)
    }
}

impl fmt::Display for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.attempts == 1 { "" } else { "s" };
        write!(f, "{} ({}): ", self.channel, self.origin)?;
        match &self.outcome {
            Outcome::Delivered => write!(f, "delivered after {} attempt{plural}", self.attempts),
            Outcome::Failed { reason } => {
                write!(f, "failed after {} attempt{plural}: {reason}", self.attempts)
            }
        }
    }
}

/// Whether a webhook accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The webhook answered 2xx.
    Delivered,
    /// The last attempt's failure (retries, if any were allowed, are spent).
    Failed {
        /// Why.
        reason: DeliveryError,
    },
}

/// Why one attempt to post failed. Never contains the webhook's URL or the answer's body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// A 4xx other than 429, or another answer that retrying cannot fix (3xx: redirects are not
    /// followed). Slack answers 400/403/404/410 for a bad payload, a revoked or unknown webhook
    /// or an archived channel; Discord 400/401/404.
    #[error("HTTP {status}: the webhook refused the message (not retried)")]
    Rejected {
        /// The answer's status code.
        status: u16,
    },
    /// 429 (retried).
    #[error("HTTP 429: rate limited")]
    RateLimited {
        /// The delay the service asked for, if it named one.
        retry_after: Option<Duration>,
    },
    /// 5xx (retried).
    #[error("HTTP {status}: server error")]
    ServerError {
        /// The answer's status code.
        status: u16,
        /// The delay the service asked for, if it named one.
        retry_after: Option<Duration>,
    },
    /// 429 or 5xx asking for a longer delay than the policy honours (not retried).
    #[error(
        "HTTP {status}: asked to retry after {}, more than the {} this notifier waits (not retried)",
        seconds(*retry_after),
        seconds(*cap)
    )]
    RetryAfterTooLong {
        /// The answer's status code.
        status: u16,
        /// The delay the service asked for.
        retry_after: Duration,
        /// [`RetryPolicy::max_retry_after`].
        cap: Duration,
    },
    /// No complete answer within [`RetryPolicy::request_timeout`] (retried).
    #[error("no answer within {}", seconds(*.0))]
    Timeout(Duration),
    /// Connecting, TLS or the HTTP exchange failed (retried). The message is the lower layers'
    /// error chain with the URL's secret part removed.
    #[error("transport error: {0}")]
    Transport(String),
}

impl DeliveryError {
    /// Whether another attempt may succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::ServerError { .. } | Self::Timeout(_) | Self::Transport(_)
        )
    }

    /// The delay the service asked for before the next attempt.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::ServerError { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

/// Setting up a [`Notifier`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// A [`RetryPolicy`] field out of range.
    #[error("notification retry policy: {0}")]
    Policy(&'static str),
    /// The system's trusted root certificates could not be loaded, so HTTPS cannot be verified.
    #[error("cannot load the system's root certificates for HTTPS: {0}")]
    TlsRoots(#[source] std::io::Error),
}

/// Posts notifications to Slack and Discord incoming webhooks.
///
/// One HTTP/1.1 client (hyper, rustls with the *ring* provider, the system's root certificates)
/// shared by every post; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    policy: RetryPolicy,
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl Notifier {
    /// A notifier retrying per `policy`.
    ///
    /// Fails when the policy is out of range (no attempt, or a zero timeout) or when the
    /// system's root certificates cannot be loaded.
    pub fn new(policy: RetryPolicy) -> Result<Self, NotifyError> {
        if policy.max_attempts == 0 {
            return Err(NotifyError::Policy("max_attempts must be at least 1"));
        }
        if policy.request_timeout.is_zero() {
            return Err(NotifyError::Policy("request_timeout must be more than zero"));
        }
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(NotifyError::TlsRoots)?
            // `WebhookUrl` admits plain http for loopback hosts only.
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { client, policy })
    }

    /// The policy this notifier retries by.
    #[must_use]
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Announces `status` on every webhook, each in its channel's format (see
    /// [`render`](crate::render())), one after the other; one webhook failing does not stop the
    /// others. Returns one [`Delivery`] per webhook, in order.
    pub async fn post_startup(&self, webhooks: &[Webhook], status: &NodeStatus) -> Vec<Delivery> {
        let mut deliveries = Vec::with_capacity(webhooks.len());
        for webhook in webhooks {
            let payload = render(webhook.channel, status);
            deliveries.push(self.post(webhook, &payload).await);
        }
        deliveries
    }

    /// Posts `payload` as JSON to `webhook`, retrying per the policy.
    async fn post(&self, webhook: &Webhook, payload: &serde_json::Value) -> Delivery {
        let body = Bytes::from(payload.to_string());
        let policy = &self.policy;
        let attempts = AtomicU32::new(0);
        let mut waited = Duration::ZERO;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(policy.initial_backoff)
            .with_max_delay(policy.max_backoff)
            .with_max_times(usize::try_from(policy.max_attempts.saturating_sub(1)).unwrap_or(usize::MAX))
            .with_jitter();
        let result = (|| {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(&webhook.url, body.clone())
        })
        .retry(backoff)
        .when(DeliveryError::is_retryable)
        // `None` from the backoff means the attempts are spent: keep it so.
        .adjust(|error, backoff| backoff.map(|delay| error.retry_after().unwrap_or(delay)))
        .notify(|error, delay| {
            waited += delay;
            tracing::warn!(
                channel = %webhook.channel,
                origin = %webhook.url.origin(),
                attempt = attempts.load(Ordering::Relaxed),
                retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                %error,
                "webhook post failed; retrying"
            );
        })
        .await;
        let attempts = attempts.into_inner();
        let outcome = match result {
            Ok(()) => Outcome::Delivered,
            Err(reason) => Outcome::Failed { reason },
        };
        Delivery { channel: webhook.channel, origin: webhook.url.origin(), attempts, waited, outcome }
    }

    /// One POST, bounded by the request timeout, classified.
    async fn attempt(&self, url: &WebhookUrl, body: Bytes) -> Result<(), DeliveryError> {
        let request = Request::post(url.uri().clone())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, USER_AGENT_VALUE)
            .body(Full::new(body))
            .map_err(|_| DeliveryError::Transport("the request could not be built".to_owned()))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|error| DeliveryError::Transport(url.scrub(&error_chain(&error))))?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let mut retry_after = retry_after_header(response.headers());
            if status == StatusCode::TOO_MANY_REQUESTS {
                // Discord names the delay precisely in the body; prefer it to the rounded header.
                if let Ok(collected) =
                    Limited::new(response.into_body(), RATE_LIMIT_BODY_MAX_BYTES).collect().await
                {
                    retry_after = retry_after_json(&collected.to_bytes()).or(retry_after);
                }
            }
            Err(classify(status, retry_after, self.policy.max_retry_after))
        };
        tokio::time::timeout(self.policy.request_timeout, exchange)
            .await
            .unwrap_or(Err(DeliveryError::Timeout(self.policy.request_timeout)))
    }
}

/// The failure an answer outside 2xx means.
fn classify(status: StatusCode, retry_after: Option<Duration>, cap: Duration) -> DeliveryError {
    let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
    match retry_after {
        Some(delay) if retryable && delay > cap => {
            DeliveryError::RetryAfterTooLong { status: status.as_u16(), retry_after: delay, cap }
        }
        _ if status == StatusCode::TOO_MANY_REQUESTS => DeliveryError::RateLimited { retry_after },
        _ if status.is_server_error() => DeliveryError::ServerError { status: status.as_u16(), retry_after },
        _ => DeliveryError::Rejected { status: status.as_u16() },
    }
}

/// `retry-after` as delay-seconds (an HTTP date is not used: the backoff applies instead).
fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    seconds_to_duration(headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?)
}

/// Discord's `{"retry_after": 1.234, ...}` (seconds).
fn retry_after_json(body: &[u8]) -> Option<Duration> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    seconds_to_duration(value.get("retry_after")?.as_f64()?)
}

/// Non-negative finite seconds as a duration; too large to represent means "very long".
fn seconds_to_duration(seconds: f64) -> Option<Duration> {
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, value.parse().unwrap());
        headers
    }

    #[test]
    fn retry_after_header_is_delay_seconds() {
        assert_eq!(retry_after_header(&headers("1")), Some(Duration::from_secs(1)));
        assert_eq!(retry_after_header(&headers(" 2 ")), Some(Duration::from_secs(2)));
        assert_eq!(retry_after_header(&headers("0.5")), Some(Duration::from_millis(500)));
        assert_eq!(retry_after_header(&headers("-1")), None);
        assert_eq!(retry_after_header(&headers("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(retry_after_header(&headers("1e400")), None, "not finite");
        assert_eq!(retry_after_header(&headers("1e30")), Some(Duration::MAX));
        assert_eq!(retry_after_header(&HeaderMap::new()), None);
    }

    #[test]
    fn retry_after_json_is_discords_fractional_seconds() {
        let body = br#"{"message": "You are being rate limited.", "retry_after": 0.25, "global": false}"#;
        assert_eq!(retry_after_json(body), Some(Duration::from_millis(250)));
        assert_eq!(retry_after_json(br#"{"retry_after": 3}"#), Some(Duration::from_secs(3)));
        assert_eq!(retry_after_json(br#"{"retry_after": -3}"#), None);
        assert_eq!(retry_after_json(br#"{"retry_after": "3"}"#), None);
        assert_eq!(retry_after_json(b"rate limited"), None);
    }

    #[test]
    fn classification() {
        let cap = Duration::from_secs(30);
        let s = |code| StatusCode::from_u16(code).unwrap();
        assert_eq!(classify(s(400), None, cap), DeliveryError::Rejected { status: 400 });
        assert_eq!(
            classify(s(404), Some(Duration::from_secs(1)), cap),
            DeliveryError::Rejected { status: 404 }
        );
        assert_eq!(classify(s(301), None, cap), DeliveryError::Rejected { status: 301 });
        assert_eq!(classify(s(429), None, cap), DeliveryError::RateLimited { retry_after: None });
        assert_eq!(
            classify(s(503), Some(Duration::from_secs(2)), cap),
            DeliveryError::ServerError { status: 503, retry_after: Some(Duration::from_secs(2)) }
        );
        assert_eq!(
            classify(s(429), Some(Duration::from_secs(31)), cap),
            DeliveryError::RetryAfterTooLong { status: 429, retry_after: Duration::from_secs(31), cap }
        );
        assert!(classify(s(500), None, cap).is_retryable());
        assert!(!classify(s(429), Some(Duration::from_secs(31)), cap).is_retryable());
        assert!(!classify(s(403), None, cap).is_retryable());
    }

    #[test]
    fn policy_out_of_range_is_refused() {
        let none = RetryPolicy { max_attempts: 0, ..RetryPolicy::default() };
        assert!(Notifier::new(none).unwrap_err().to_string().contains("max_attempts"));
        let zero = RetryPolicy { request_timeout: Duration::ZERO, ..RetryPolicy::default() };
        assert!(Notifier::new(zero).unwrap_err().to_string().contains("request_timeout"));
    }

    #[test]
    fn delivery_display() {
        let delivery = Delivery {
            channel: Channel::Discord,
            origin: "https://discord.com".to_owned(),
            attempts: 1,
            waited: Duration::ZERO,
            outcome: Outcome::Failed { reason: DeliveryError::Rejected { status: 404 } },
        };
        assert_eq!(
            delivery.to_string(),
            "discord (https://discord.com): failed after 1 attempt: HTTP 404: the webhook refused the \
             message (not retried)"
        );
    }
}
