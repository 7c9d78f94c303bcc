//! Slack and Discord incoming-webhook notifications of a node's status.
//!
//! `core-status notify-startup` announces a node — version, fleet role, whether its store
//! answered, its last cycle, a summary of its status checks — on the configured webhooks:
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use jobrunner_notify::{Channel, NodeStatus, Notifier, RetryPolicy, Webhook, WebhookUrl};
//!
//! let webhooks = [Webhook {
//!     channel: Channel::Slack,
//!     url: WebhookUrl::parse("https://hooks.slack.com/services/T000/B000/XXXX")?,
//! }];
//! let status = NodeStatus {
//!     node_id: "node-a".into(),
//!     version: "1.4.0".into(),
//!     role: "standalone".into(),
//!     store_ok: true,
//!     last_cycle: Some("2025-03-01T12:00:00Z".into()),
//!     checks_summary: "14 ok, 1 warn, 0 error".into(),
//! };
//! for delivery in Notifier::new(RetryPolicy::default())?.post_startup(&webhooks, &status).await {
//!     println!("{delivery}"); // slack (https://hooks.slack.com): delivered after 1 attempt
//! }
//! # Ok(())
//! # }
//! ```
//!
//! - [`render`] builds each service's payload, a pure function: Slack gets `text` (the
//!   notification line) and `blocks` (a header and a section of fields); Discord gets `content`
//!   (the same line, under 2,000 characters), one embed with fields, and `allowed_mentions`
//!   that forbids every mention. Values are cleaned and bounded (see [`NodeStatus`]).
//! - [`Notifier::post_startup`] posts to each webhook in turn and returns one [`Delivery`] per
//!   webhook (attempts, the delay waited, [`Outcome`]); one failing does not stop the others.
//!   429 and 5xx, timeouts and transport errors are retried per [`RetryPolicy`], honouring
//!   `retry-after` (and Discord's JSON `retry_after`) up to a cap; any other 4xx is permanent.
//! - [`WebhookUrl`] holds the URL, which *is* the credential: it accepts https (http only for
//!   loopback hosts), and shows only `scheme://host[:port]/<redacted>` in `Debug`, `Display`
//!   and every error of this crate.
//!
//! The client is hyper 1 with hyper-util's pooled client and hyper-rustls (rustls, *ring*, the
//! system's root certificates): the crates octocrab already brings into the workspace.
//!
//! This crate is *not* a place for forge text: a [`NodeStatus`] holds ids, versions,
//! timestamps and counts that the node produced itself. Nor does it read configuration or
//! decide when to notify; the binaries do.
#![deny(missing_docs)]

mod notifier;
mod render;
mod url;

pub use notifier::{Delivery, DeliveryError, Notifier, NotifyError, Outcome, RetryPolicy, Webhook};
pub use render::{
    Channel, DISCORD_CONTENT_MAX_CHARS, NodeStatus, SLACK_TEXT_MAX_CHARS, SUMMARY_MAX_CHARS, VALUE_MAX_CHARS,
    render,
};
pub use url::{WebhookUrl, WebhookUrlError};
