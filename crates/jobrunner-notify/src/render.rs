//! The message formats: one JSON payload per [`Channel`], built from a [`NodeStatus`].
//!
//! Every value is *cleaned* before it enters a message: control and invisible formatting
//! characters become spaces or vanish, backticks become `'`, and the value is cut to a bound.
//! Values are shown in code spans, where neither Slack's mrkdwn nor Discord's markdown applies;
//! Slack's `&`, `<`, `>` are escaped (they start Slack's control sequences such as
//! `<!channel>`), and Discord messages allow no mentions at all. So even a caller passing odd
//! text cannot make a message ping anyone, link anywhere or change its layout.

use std::fmt;

use serde_json::{Value, json};

/// The service an incoming webhook belongs to, which decides the message format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Slack (or a Slack-compatible service): `{"text", "blocks"}`.
    Slack,
    /// Discord: `{"content", "embeds", "allowed_mentions"}`.
    Discord,
}

impl Channel {
    /// `slack` or `discord`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Discord => "discord",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a node reports when it starts: structural text only.
///
/// Callers fill these fields from the node's own configuration and state — ids, versions,
/// timestamps, counts — never from text a forge served (titles, bodies, comments). Long values
/// are cut: identifiers at [`VALUE_MAX_CHARS`] characters, the checks summary at
/// [`SUMMARY_MAX_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    /// The node's id (for example `node-a`).
    pub node_id: String,
    /// The running version (for example `1.4.0-beta.2`).
    pub version: String,
    /// The node's fleet role (for example `standalone`, `node`).
    pub role: String,
    /// Whether the state store opened and answered.
    pub store_ok: bool,
    /// When the last cycle ran (RFC 3339), if any ran.
    pub last_cycle: Option<String>,
    /// The status checks in counts, for example `14 ok, 1 warn, 0 error`.
    pub checks_summary: String,
}

/// The longest identifier-like value (node id, version, role, last cycle) put in a message, in
/// characters; longer values are cut and end in `…`.
pub const VALUE_MAX_CHARS: usize = 64;

/// The longest checks summary put in a message, in characters.
pub const SUMMARY_MAX_CHARS: usize = 300;

/// Discord refuses a `content` longer than this many characters.
pub const DISCORD_CONTENT_MAX_CHARS: usize = 2000;

/// The bound this crate keeps Slack's `text` under (Slack advises at most 4,000 characters).
pub const SLACK_TEXT_MAX_CHARS: usize = 3000;

const COLOR_OK: u32 = 0x002E_B67D;
const COLOR_FAILING: u32 = 0x00E0_1E5A;

/// The payload announcing `status` in `channel`'s format, ready to POST as JSON.
#[must_use]
pub fn render(channel: Channel, status: &NodeStatus) -> Value {
    let fields = Fields::from(status);
    match channel {
        Channel::Slack => render_slack(&fields),
        Channel::Discord => render_discord(&fields),
    }
}

/// The cleaned values of a status, in the order they are shown.
struct Fields {
    node_id: String,
    version: String,
    role: String,
    store: String,
    store_ok: bool,
    last_cycle: String,
    checks: String,
}

impl Fields {
    fn from(status: &NodeStatus) -> Self {
        Self {
            node_id: clean(&status.node_id, VALUE_MAX_CHARS),
            version: clean(&status.version, VALUE_MAX_CHARS),
            role: clean(&status.role, VALUE_MAX_CHARS),
            store: if status.store_ok { "ok" } else { "unavailable" }.to_owned(),
            store_ok: status.store_ok,
            last_cycle: status
                .last_cycle
                .as_deref()
                .map_or_else(|| "none yet".to_owned(), |cycle| clean(cycle, VALUE_MAX_CHARS)),
            checks: clean(&status.checks_summary, SUMMARY_MAX_CHARS),
        }
    }

    fn map(&self, f: impl Fn(&str) -> String) -> Self {
        Self {
            node_id: f(&self.node_id),
            version: f(&self.version),
            role: f(&self.role),
            store: f(&self.store),
            store_ok: self.store_ok,
            last_cycle: f(&self.last_cycle),
            checks: f(&self.checks),
        }
    }

    /// One line saying it all: the notification text of both services.
    fn summary_line(&self) -> String {
        format!(
            "core-ide `{}` started on node `{}` (role `{}`): store `{}`, last cycle `{}`, checks `{}`",
            self.version, self.node_id, self.role, self.store, self.last_cycle, self.checks
        )
    }

    fn labelled(&self) -> [(&'static str, &str); 6] {
        [
            ("Node", &self.node_id),
            ("Version", &self.version),
            ("Role", &self.role),
            ("Store", &self.store),
            ("Last cycle", &self.last_cycle),
            ("Checks", &self.checks),
        ]
    }
}

fn render_slack(plain: &Fields) -> Value {
    let fields = plain.map(slack_escape);
    let section_fields: Vec<Value> = fields
        .labelled()
        .iter()
        .map(|(label, value)| json!({"type": "mrkdwn", "text": format!("*{label}*\n`{value}`")}))
        .collect();
    // The header is plain text (at most 150 characters): no markup, so no escaping.
    let header = format!("core-ide started on {}", plain.node_id);
    json!({
        "text": cut(&fields.summary_line(), SLACK_TEXT_MAX_CHARS),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": false}},
            {"type": "section", "fields": section_fields},
        ],
    })
}

fn render_discord(fields: &Fields) -> Value {
    let embed_fields: Vec<Value> = fields
        .labelled()
        .iter()
        .map(|(label, value)| {
            let inline = *label != "Checks";
            json!({"name": label, "value": format!("`{value}`"), "inline": inline})
        })
        .collect();
    json!({
        "content": cut(&fields.summary_line(), DISCORD_CONTENT_MAX_CHARS),
        "embeds": [{
            "title": "core-ide node started",
            "color": if fields.store_ok { COLOR_OK } else { COLOR_FAILING },
            "fields": embed_fields,
        }],
        // No @everyone, @here, user or role mention can fire, whatever the text says.
        "allowed_mentions": {"parse": []},
    })
}

/// `value` without control or invisible formatting characters and backticks, trimmed, cut to
/// `max_chars` characters (the last being `…`), and `-` when nothing is left.
fn clean(value: &str, max_chars: usize) -> String {
    let cleaned: String = value
        .chars()
        .filter(|c| !is_invisible_format(*c))
        .map(|c| match c {
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() { "-".to_owned() } else { cut(cleaned, max_chars) }
}

/// Zero-width and bidirectional formatting characters, which could hide or reorder text.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// `value` cut to `max_chars` characters, the last being `…` when something was cut.
fn cut(value: &str, max_chars: usize) -> String {
    if value.chars().count() <= max_chars {
        return value.to_owned();
    }
    let mut out: String = value.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Slack's three required escapes (<https://api.slack.com/reference/surfaces/formatting>).
fn slack_escape(value: &str) -> String {
    value.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status() -> NodeStatus {
        NodeStatus {
            node_id: "node-a".to_owned(),
            version: "1.4.0-beta.2".to_owned(),
            role: "standalone".to_owned(),
            store_ok: true,
            last_cycle: Some("2025-03-01T12:00:00Z".to_owned()),
            checks_summary: "14 ok, 1 warn, 0 error".to_owned(),
        }
    }

    #[test]
    fn slack_format() {
        let expected = json!({
            "text": "core-ide `1.4.0-beta.2` started on node `node-a` (role `standalone`): store `ok`, \
                     last cycle `2025-03-01T12:00:00Z`, checks `14 ok, 1 warn, 0 error`",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": "core-ide started on node-a", "emoji": false}},
                {"type": "section", "fields": [
                    {"type": "mrkdwn", "text": "*Node*\n`node-a`"},
                    {"type": "mrkdwn", "text": "*Version*\n`1.4.0-beta.2`"},
                    {"type": "mrkdwn", "text": "*Role*\n`standalone`"},
                    {"type": "mrkdwn", "text": "*Store*\n`ok`"},
                    {"type": "mrkdwn", "text": "*Last cycle*\n`2025-03-01T12:00:00Z`"},
                    {"type": "mrkdwn", "text": "*Checks*\n`14 ok, 1 warn, 0 error`"},
                ]},
            ],
        });
        assert_eq!(render(Channel::Slack, &status()), expected);
    }

    #[test]
    fn discord_format() {
        let failing = NodeStatus { store_ok: false, last_cycle: None, ..status() };
        let expected = json!({
            "content": "core-ide `1.4.0-beta.2` started on node `node-a` (role `standalone`): store \
                        `unavailable`, last cycle `none yet`, checks `14 ok, 1 warn, 0 error`",
            "embeds": [{
                "title": "core-ide node started",
                "color": COLOR_FAILING,
                "fields": [
                    {"name": "Node", "value": "`node-a`", "inline": true},
                    {"name": "Version", "value": "`1.4.0-beta.2`", "inline": true},
                    {"name": "Role", "value": "`standalone`", "inline": true},
                    {"name": "Store", "value": "`unavailable`", "inline": true},
                    {"name": "Last cycle", "value": "`none yet`", "inline": true},
                    {"name": "Checks", "value": "`14 ok, 1 warn, 0 error`", "inline": false},
                ],
            }],
            "allowed_mentions": {"parse": []},
        });
        assert_eq!(render(Channel::Discord, &failing), expected);
        assert_eq!(render(Channel::Discord, &status())["embeds"][0]["color"], COLOR_OK);
    }

    #[test]
    fn hostile_text_cannot_ping_link_or_break_out_of_code() {
        let hostile = NodeStatus {
            node_id: "<!channel> @everyone".to_owned(),
            version: "1`<https://evil.example|click>`".to_owned(),
            role: "a\nb\u{202E}c".to_owned(),
            checks_summary: "<@U123> & more".to_owned(),
            ..status()
        };
        let slack = render(Channel::Slack, &hostile);
        let text = slack["text"].as_str().unwrap();
        assert!(!text.contains('<') && !text.contains('>'), "{text}");
        assert!(text.contains("&lt;!channel&gt;"), "{text}");
        assert!(text.contains("`1'&lt;https://evil.example|click&gt;'`"), "{text}");
        assert!(text.contains("`a bc`"), "newline to space, bidi override dropped: {text}");
        assert!(text.contains("&amp; more"), "{text}");
        assert_eq!(slack["blocks"][0]["text"]["text"], "core-ide started on <!channel> @everyone");

        let discord = render(Channel::Discord, &hostile);
        assert_eq!(discord["allowed_mentions"], json!({"parse": []}));
        let content = discord["content"].as_str().unwrap();
        assert_eq!(content.matches('`').count(), 12, "every value stays in its code span: {content}");
        assert!(!content.contains('\n') && !content.contains('\u{202E}'), "{content}");
    }

    #[test]
    fn long_values_are_cut_and_messages_stay_under_the_limits() {
        let huge = NodeStatus {
            node_id: "n".repeat(10_000),
            version: "&".repeat(10_000),
            role: "<".repeat(10_000),
            store_ok: true,
            last_cycle: Some(">".repeat(10_000)),
            checks_summary: "&".repeat(10_000),
        };
        let discord = render(Channel::Discord, &huge);
        let content = discord["content"].as_str().unwrap();
        assert!(content.chars().count() <= DISCORD_CONTENT_MAX_CHARS);
        assert!(content.contains(&format!("`{}…`", "n".repeat(VALUE_MAX_CHARS - 1))), "{content}");
        for field in discord["embeds"][0]["fields"].as_array().unwrap() {
            assert!(field["value"].as_str().unwrap().chars().count() <= 1024);
        }
        let slack = render(Channel::Slack, &huge);
        assert!(slack["text"].as_str().unwrap().chars().count() <= SLACK_TEXT_MAX_CHARS);
        assert!(slack["blocks"][0]["text"]["text"].as_str().unwrap().chars().count() <= 150);
        for field in slack["blocks"][1]["fields"].as_array().unwrap() {
            assert!(field["text"].as_str().unwrap().chars().count() <= 2000);
        }
    }

    #[test]
    fn empty_values_show_a_dash() {
        let empty = NodeStatus { node_id: " ".to_owned(), checks_summary: String::new(), ..status() };
        let content = render(Channel::Discord, &empty)["content"].as_str().unwrap().to_owned();
        assert!(content.contains("node `-`") && content.contains("checks `-`"), "{content}");
    }
}
