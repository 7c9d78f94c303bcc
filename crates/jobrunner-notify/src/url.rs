//! [`WebhookUrl`]: a validated incoming-webhook URL that never shows its secret part.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use http::Uri;

/// An incoming-webhook URL (Slack, Discord or a Slack-compatible service).
///
/// The path and query of such a URL *are* the credential: anyone holding them can post to the
/// channel. So this type only ever shows `scheme://host[:port]/<redacted>` — in `Debug`, in
/// `Display`, in the errors of this crate — and offers no accessor for the full URL.
///
/// Accepted: `https://` URLs with a host and a path; `http://` only when the host is a loopback
/// address (`127.0.0.0/8`, `::1`, `localhost`), so tests and local relays can use plain HTTP
/// without anything secret crossing a network. Surrounding whitespace (a common leftover of
/// env files) is trimmed.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    uri: Uri,
}

/// Why a string is not an acceptable [`WebhookUrl`].
///
/// The messages name what is wrong and, where it helps and is not secret, the scheme or host;
/// they never contain the URL's path or query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookUrlError {
    /// The value is empty (or only whitespace).
    #[error("webhook URL is empty")]
    Empty,
    /// The value does not parse as an absolute URL.
    #[error(
        "webhook URL is not a valid absolute URL like https://host/path (value not shown: it is a \
         secret)"
    )]
    NotAUrl,
    /// A scheme other than `https` (or `http` for loopback hosts).
    #[error("webhook URL scheme {scheme:?} is not accepted: use https (http only for loopback hosts)")]
    Scheme {
        /// The rejected scheme (truncated).
        scheme: String,
    },
    /// `http` for a host that is not loopback: the secret would cross the network in clear.
    #[error(
        "webhook URL uses plain http for host {host:?}: http is only accepted for loopback hosts \
         (127.0.0.1, ::1, localhost); use https"
    )]
    InsecureHost {
        /// The host (not secret).
        host: String,
    },
    /// No host in the URL.
    #[error("webhook URL has no host")]
    NoHost,
    /// Credentials (`user:password@`) in the URL's authority.
    #[error("webhook URL contains user credentials before the host (`user@host`): not accepted")]
    UserInfo,
    /// Only a host: the path, which carries the webhook's token, is missing.
    #[error(
        "webhook URL for host {host:?} has no path: expected the full incoming-webhook URL \
         including its token path"
    )]
    NoPath {
        /// The host (not secret).
        host: String,
    },
}

impl WebhookUrl {
    /// Validates `value` as a webhook URL.
    pub fn parse(value: &str) -> Result<Self, WebhookUrlError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(WebhookUrlError::Empty);
        }
        let uri: Uri = value.parse().map_err(|_| WebhookUrlError::NotAUrl)?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(WebhookUrlError::NotAUrl);
        };
        if authority.as_str().contains('@') {
            return Err(WebhookUrlError::UserInfo);
        }
        let host = authority.host();
        if host.is_empty() {
            return Err(WebhookUrlError::NoHost);
        }
        match scheme.to_ascii_lowercase().as_str() {
            "https" => {}
            "http" if is_loopback(host) => {}
            "http" => return Err(WebhookUrlError::InsecureHost { host: truncate(host, 255) }),
            other => return Err(WebhookUrlError::Scheme { scheme: truncate(other, 16) }),
        }
        if uri.path() == "/" || uri.path().is_empty() {
            return Err(WebhookUrlError::NoPath { host: truncate(host, 255) });
        }
        Ok(Self { uri })
    }

    /// The URL's scheme, `https` or `http`.
    #[must_use]
    pub fn scheme(&self) -> &str {
        self.uri.scheme_str().unwrap_or_default()
    }

    /// The URL's host (for `[::1]`, with the brackets).
    #[must_use]
    pub fn host(&self) -> &str {
        self.uri.host().unwrap_or_default()
    }

    /// `scheme://host[:port]`: the part of the URL that is safe to show.
    #[must_use]
    pub fn origin(&self) -> String {
        match self.uri.port_u16() {
            Some(port) => format!("{}://{}:{port}", self.scheme(), self.host()),
            None => format!("{}://{}", self.scheme(), self.host()),
        }
    }

    /// The full URL, for the request only. Never log or format it.
    pub(crate) fn uri(&self) -> &Uri {
        &self.uri
    }

    /// `text` with every occurrence of the URL's secret part replaced by `<redacted>`: applied
    /// to the messages of lower layers (connectors, TLS) before they enter an error.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = text.replace(&self.uri.to_string(), &self.to_string());
        if let Some(path_and_query) = self.uri.path_and_query() {
            let secret = path_and_query.as_str();
            if secret.len() > 1 {
                text = text.replace(secret, "/<redacted>");
            }
        }
        text
    }
}

impl FromStr for WebhookUrl {
    type Err = WebhookUrlError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/<redacted>", self.origin())
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WebhookUrl").field(&format_args!("{self}")).finish()
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn truncate(value: &str, max_chars: usize) -> String {
    value.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "XyZsecretTOKEN123";

    fn slack_url(host: &str) -> String {
        format!("https://{host}/services/T0001/B0002/{TOKEN}")
    }

    fn assert_no_secret(text: &str) {
        assert!(!text.contains(TOKEN), "secret leaked: {text}");
        assert!(!text.contains("/services/"), "path leaked: {text}");
        assert!(!text.contains("T0001"), "path leaked: {text}");
    }

    #[test]
    fn accepts_https_and_shows_only_scheme_and_host() {
        let url = WebhookUrl::parse(&slack_url("hooks.slack.com")).unwrap();
        assert_eq!(url.to_string(), "https://hooks.slack.com/<redacted>");
        assert_eq!(format!("{url:?}"), "WebhookUrl(https://hooks.slack.com/<redacted>)");
        assert_eq!(url.host(), "hooks.slack.com");
        assert_eq!(url.scheme(), "https");
        assert_no_secret(&format!("{url} {url:?} {url:#?}"));
    }

    #[test]
    fn query_is_secret_too_and_port_is_shown() {
        let url =
            WebhookUrl::parse(&format!("https://discord.com:8443/api/webhooks/1/{TOKEN}?wait=true")).unwrap();
        assert_eq!(url.to_string(), "https://discord.com:8443/<redacted>");
        assert!(!format!("{url:?}").contains("wait"));
    }

    #[test]
    fn accepts_http_for_loopback_hosts_only() {
        for host in ["127.0.0.1:8080", "127.1.2.3", "[::1]:9000", "localhost:1234", "LOCALHOST"] {
            let url = WebhookUrl::parse(&format!("http://{host}/hook/{TOKEN}"));
            assert!(url.is_ok(), "{host}: {url:?}");
        }
        for host in ["example.com", "10.0.0.1", "[fe80::1]", "localhost.example.com", "0.0.0.0"] {
            let err = WebhookUrl::parse(&format!("http://{host}/hook/{TOKEN}")).unwrap_err();
            assert!(matches!(err, WebhookUrlError::InsecureHost { .. }), "{host}: {err:?}");
            let text = format!("{err} {err:?}");
            assert!(text.contains(host), "names the host: {text}");
            assert!(text.contains("https"), "says what to use: {text}");
            assert_no_secret(&text);
        }
    }

    #[test]
    fn rejections_name_the_problem_without_echoing_the_secret() {
        let cases: [(String, &str); 7] = [
            (String::new(), "empty"),
            ("   ".to_owned(), "empty"),
            (format!("ftp://hooks.slack.com/services/T0001/{TOKEN}"), "scheme \"ftp\""),
            (format!("hooks.slack.com/services/T0001/{TOKEN}"), "not a valid absolute URL"),
            (format!("https://user:{TOKEN}@hooks.slack.com/services/T0001/x"), "user credentials"),
            ("https://hooks.slack.com".to_owned(), "has no path"),
            (format!("https://hooks slack com/services/T0001/{TOKEN}"), "not a valid absolute URL"),
        ];
        for (value, expected) in cases {
            let err = WebhookUrl::parse(&value).unwrap_err();
            let text = format!("{err} | {err:?}");
            assert!(text.contains(expected), "{value:?}: expected {expected:?} in {text}");
            assert_no_secret(&text);
        }
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        let url: WebhookUrl = format!("  {}\n", slack_url("hooks.slack.com")).parse().unwrap();
        assert_eq!(url.host(), "hooks.slack.com");
    }

    #[test]
    fn scrub_removes_the_url_and_its_path() {
        let raw = slack_url("hooks.slack.com");
        let url = WebhookUrl::parse(&raw).unwrap();
        let scrubbed = url.scrub(&format!("error connecting to {raw}: path /services/T0001/B0002/{TOKEN}"));
        assert_no_secret(&scrubbed);
        assert!(scrubbed.contains("https://hooks.slack.com/<redacted>"), "{scrubbed}");
    }
}
