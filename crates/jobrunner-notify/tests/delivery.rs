//! Deliveries against a webhook server on loopback that records what arrived and answers from a
//! script. No traffic leaves 127.0.0.1.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use jobrunner_notify::{
    Channel, DeliveryError, NodeStatus, Notifier, Outcome, RetryPolicy, Webhook, WebhookUrl, render,
};
use serde_json::Value;

/// The secret part of every webhook URL in these tests.
const TOKEN: &str = "sEcReT-t0ken-9f8e7d";

/// One scripted answer.
#[derive(Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
    delay: Duration,
}

fn answer(status: u16) -> Answer {
    Answer { status, headers: Vec::new(), body: "", delay: Duration::ZERO }
}

/// One request as it arrived.
#[derive(Debug)]
struct Received {
    method: Method,
    path: String,
    content_type: Option<String>,
    body: Value,
}

#[derive(Default)]
struct Recorder {
    script: VecDeque<Answer>,
    received: Vec<Received>,
}

type Shared = Arc<Mutex<Recorder>>;

struct Server {
    addr: SocketAddr,
    shared: Shared,
}

impl Server {
    /// Serves `script` in order, then 200s.
    async fn start(script: Vec<Answer>) -> Self {
        let shared: Shared = Arc::new(Mutex::new(Recorder { script: script.into(), received: Vec::new() }));
        let app = Router::new().fallback(handle).with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, shared }
    }

    fn webhook(&self, channel: Channel) -> Webhook {
        let path = match channel {
            Channel::Slack => format!("/services/T0001/B0002/{TOKEN}"),
            Channel::Discord => format!("/api/webhooks/123456/{TOKEN}"),
        };
        Webhook { channel, url: WebhookUrl::parse(&format!("http://{}{path}", self.addr)).unwrap() }
    }

    fn received(&self) -> Vec<Received> {
        std::mem::take(&mut self.shared.lock().unwrap().received)
    }
}

async fn handle(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let next = {
        let mut recorder = shared.lock().unwrap();
        recorder.received.push(Received {
            method,
            path: uri.path().to_owned(),
            content_type: headers.get("content-type").map(|v| v.to_str().unwrap().to_owned()),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        });
        recorder.script.pop_front().unwrap_or_else(|| answer(200))
    };
    tokio::time::sleep(next.delay).await;
    let mut headers = HeaderMap::new();
    for (name, value) in next.headers {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    (StatusCode::from_u16(next.status).unwrap(), headers, next.body).into_response()
}

/// Fast backoff so retries take milliseconds; `retry-after` honoured up to 2 s.
fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
    }
}

fn notifier() -> Notifier {
    Notifier::new(policy()).unwrap()
}

fn status() -> NodeStatus {
    NodeStatus {
        node_id: "node-a".to_owned(),
        version: "1.4.0".to_owned(),
        role: "node".to_owned(),
        store_ok: true,
        last_cycle: Some("2025-03-01T12:00:00Z".to_owned()),
        checks_summary: "14 ok, 1 warn, 0 error".to_owned(),
    }
}

/// Nothing a caller might print may show the URL's secret part.
fn assert_no_secret(text: &str) {
    assert!(!text.contains(TOKEN), "secret leaked: {text}");
    assert!(!text.contains("/services/") && !text.contains("/api/webhooks"), "path leaked: {text}");
}

fn failure(outcome: &Outcome) -> &DeliveryError {
    match outcome {
        Outcome::Failed { reason } => reason,
        Outcome::Delivered => panic!("expected a failure"),
    }
}

#[tokio::test]
async fn slack_message_arrives_in_slack_format() {
    let server = Server::start(vec![]).await;
    let deliveries = notifier().post_startup(&[server.webhook(Channel::Slack)], &status()).await;

    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].outcome, Outcome::Delivered);
    assert_eq!(deliveries[0].attempts, 1);
    assert_eq!(deliveries[0].channel, Channel::Slack);
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].method, Method::POST);
    assert_eq!(received[0].path, format!("/services/T0001/B0002/{TOKEN}"));
    assert_eq!(received[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(received[0].body, render(Channel::Slack, &status()));
    assert!(received[0].body["text"].as_str().unwrap().contains("`node-a`"));
    assert_eq!(received[0].body["blocks"][1]["type"], "section");
}

#[tokio::test]
async fn discord_message_arrives_in_discord_format() {
    let server = Server::start(vec![answer(204)]).await;
    let deliveries = notifier().post_startup(&[server.webhook(Channel::Discord)], &status()).await;

    assert!(deliveries[0].is_delivered(), "{}", deliveries[0]);
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, format!("/api/webhooks/123456/{TOKEN}"));
    assert_eq!(received[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(received[0].body, render(Channel::Discord, &status()));
    assert!(received[0].body["content"].as_str().unwrap().chars().count() < 2000);
    assert_eq!(received[0].body["embeds"][0]["fields"][0]["value"], "`node-a`");
}

#[tokio::test]
async fn one_webhook_failing_does_not_stop_the_other() {
    let slack = Server::start(vec![answer(404)]).await;
    let discord = Server::start(vec![answer(204)]).await;
    let webhooks = [slack.webhook(Channel::Slack), discord.webhook(Channel::Discord)];
    let deliveries = notifier().post_startup(&webhooks, &status()).await;

    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0].channel, Channel::Slack);
    assert_eq!(*failure(&deliveries[0].outcome), DeliveryError::Rejected { status: 404 });
    assert_eq!(deliveries[1].channel, Channel::Discord);
    assert_eq!(deliveries[1].outcome, Outcome::Delivered);
    assert_eq!(slack.received().len(), 1);
    assert_eq!(discord.received().len(), 1);
}

#[tokio::test]
async fn rate_limited_with_retry_after_header_then_delivered() {
    let limited = Answer { headers: vec![("retry-after", "1")], ..answer(429) };
    let server = Server::start(vec![limited, answer(200)]).await;
    let deliveries = notifier().post_startup(&[server.webhook(Channel::Slack)], &status()).await;

    assert_eq!(deliveries[0].outcome, Outcome::Delivered);
    assert_eq!(deliveries[0].attempts, 2);
    assert_eq!(deliveries[0].waited, Duration::from_secs(1), "waited what retry-after asked");
    assert_eq!(server.received().len(), 2);
}

#[tokio::test]
async fn discord_json_retry_after_is_fractional_seconds_and_preferred_to_the_header() {
    let limited = Answer {
        headers: vec![("retry-after", "1"), ("content-type", "application/json")],
        body: r#"{"message": "You are being rate limited.", "retry_after": 0.05, "global": false}"#,
        ..answer(429)
    };
    let server = Server::start(vec![limited, answer(204)]).await;
    let deliveries = notifier().post_startup(&[server.webhook(Channel::Discord)], &status()).await;

    assert_eq!(deliveries[0].outcome, Outcome::Delivered);
    assert_eq!(deliveries[0].attempts, 2);
    assert_eq!(deliveries[0].waited, Duration::from_millis(50));
}

#[tokio::test]
async fn retry_after_beyond_the_cap_fails_at_once() {
    let limited = Answer { headers: vec![("retry-after", "3600")], ..answer(429) };
    let server = Server::start(vec![limited]).await;
    let deliveries = notifier().post_startup(&[server.webhook(Channel::Slack)], &status()).await;

    assert_eq!(deliveries[0].attempts, 1);
    assert_eq!(deliveries[0].waited, Duration::ZERO);
    assert_eq!(
        *failure(&deliveries[0].outcome),
        DeliveryError::RetryAfterTooLong {
            status: 429,
            retry_after: Duration::from_secs(3600),
            cap: Duration::from_secs(2)
        }
    );
    assert!(deliveries[0].to_string().contains("retry after 3600s, more than the 2s"), "{}", deliveries[0]);
    assert_eq!(server.received().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_delivered() {
    let server = Server::start(vec![answer(500), answer(500), answer(200)]).await;
    let deliveries = notifier().post_startup(&[server.webhook(Channel::Slack)], &status()).await;

    assert_eq!(deliveries[0].outcome, Outcome::Delivered);
    assert_eq!(deliveries[0].attempts, 3);
    let received = server.received();
    assert_eq!(received.len(), 3);
    assert!(received.iter().all(|r| r.body == render(Channel::Slack, &status())), "same payload each time");
}

#[tokio::test]
async fn server_errors_fail_when_attempts_are_spent() {
    let server = Server::start(vec![answer(502), answer(503), answer(500), answer(200)]).await;
    let deliveries = notifier().post_startup(&[server.webhook(Channel::Discord)], &status()).await;

    assert_eq!(deliveries[0].attempts, 3);
    assert_eq!(
        *failure(&deliveries[0].outcome),
        DeliveryError::ServerError { status: 500, retry_after: None }
    );
    assert_eq!(server.received().len(), 3, "no fourth attempt");
}

#[tokio::test]
async fn client_error_is_permanent() {
    let server = Server::start(vec![Answer { body: "invalid_payload", ..answer(400) }]).await;
    let deliveries = notifier().post_startup(&[server.webhook(Channel::Slack)], &status()).await;

    assert_eq!(deliveries[0].attempts, 1);
    assert_eq!(deliveries[0].waited, Duration::ZERO);
    assert_eq!(*failure(&deliveries[0].outcome), DeliveryError::Rejected { status: 400 });
    assert_eq!(server.received().len(), 1);
    let text = format!("{} | {:?}", deliveries[0], deliveries[0]);
    assert!(!text.contains("invalid_payload"), "the answer's body is not echoed: {text}");
    assert_no_secret(&text);
}

#[tokio::test]
async fn transport_errors_are_retried_and_never_show_the_url() {
    // A loopback port with nothing listening: connection refused.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = WebhookUrl::parse(&format!("http://127.0.0.1:{port}/services/T0001/B0002/{TOKEN}")).unwrap();
    let webhook = Webhook { channel: Channel::Slack, url };
    let deliveries = notifier().post_startup(std::slice::from_ref(&webhook), &status()).await;

    assert_eq!(deliveries[0].attempts, 3);
    let reason = failure(&deliveries[0].outcome);
    assert!(matches!(reason, DeliveryError::Transport(_)), "{reason:?}");
    assert_no_secret(&format!(
        "{reason} | {reason:?} | {} | {:?} | {webhook:?}",
        deliveries[0], deliveries[0]
    ));
    assert_eq!(deliveries[0].origin, format!("http://127.0.0.1:{port}"));
}

#[tokio::test]
async fn https_to_a_plain_http_server_fails_in_tls_without_showing_the_url() {
    let server = Server::start(vec![]).await;
    let url = WebhookUrl::parse(&format!("https://{}/api/webhooks/123456/{TOKEN}", server.addr)).unwrap();
    let webhook = Webhook { channel: Channel::Discord, url };
    let policy = RetryPolicy { max_attempts: 1, ..policy() };
    let deliveries = Notifier::new(policy).unwrap().post_startup(&[webhook], &status()).await;

    let reason = failure(&deliveries[0].outcome);
    assert!(matches!(reason, DeliveryError::Transport(_)), "{reason:?}");
    assert_no_secret(&format!("{reason} | {reason:?} | {} | {:?}", deliveries[0], deliveries[0]));
    assert!(server.received().is_empty(), "nothing readable reached the server");
}

#[tokio::test]
async fn slow_answers_time_out() {
    let server = Server::start(vec![Answer { delay: Duration::from_secs(30), ..answer(200) }]).await;
    let policy = RetryPolicy { max_attempts: 1, request_timeout: Duration::from_millis(200), ..policy() };
    let deliveries =
        Notifier::new(policy).unwrap().post_startup(&[server.webhook(Channel::Slack)], &status()).await;

    assert_eq!(deliveries[0].attempts, 1);
    assert_eq!(*failure(&deliveries[0].outcome), DeliveryError::Timeout(Duration::from_millis(200)));
    assert_eq!(
        deliveries[0].to_string(),
        format!("slack (http://{}): failed after 1 attempt: no answer within 0.2s", server.addr)
    );
}

#[test]
fn post_startup_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let notifier = notifier();
    let webhooks: Vec<Webhook> = Vec::new();
    let status = status();
    assert_send(&notifier.post_startup(&webhooks, &status));
}
