//! The parsers of setting values: each takes the text of any layer and, when it refuses it,
//! says what is accepted.

use std::path::PathBuf;
use std::time::Duration;

use jobrunner_core::{MergeMethod, NodeId, RepoSlug};
use jobrunner_handlers::HANDLER_NAMES;
use jobrunner_journal::FsyncPolicy;

use crate::refusal::Refusal;
use crate::settings::{Environment, Host, Mode, Secret};

/// Stores a parsed value in its field: what every key's parser ends with.
pub(crate) fn set<T>(field: &mut T, parsed: Result<T, String>) -> Result<(), Refusal> {
    *field = parsed?;
    Ok(())
}

/// A secret's value: unset when empty, checked by `check` otherwise.
pub(crate) fn secret(value: &str, check: fn(&str) -> Result<(), String>) -> Result<Option<Secret>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    check(value)?;
    Ok(Some(Secret::new(value.to_owned())))
}

pub(crate) fn parse_fsync(value: &str) -> Result<FsyncPolicy, String> {
    value.trim().parse()
}

pub(crate) fn parse_merge_method(value: &str) -> Result<MergeMethod, String> {
    value.trim().parse()
}

pub(crate) fn parse_node_id(value: &str) -> Result<NodeId, String> {
    NodeId::new(value.trim()).map_err(|e| e.rule.to_owned())
}

/// A label, or none when empty.
pub(crate) fn parse_optional_label(value: &str) -> Result<Option<String>, String> {
    if value.trim().is_empty() { Ok(None) } else { parse_label(value).map(Some) }
}

const MAX_POLL_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// GitHub rejects comments longer than this many characters.
const MAX_COMMENT_CHARS: usize = 65_536;

pub(crate) fn parse_duration(value: &str) -> Result<Duration, String> {
    let expected = || "a duration such as 30s, 5m or 1h, between 1s and 24h".to_owned();
    let value = value.trim();
    let duration = if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
        Duration::from_secs(value.parse().map_err(|_| expected())?)
    } else {
        humantime::parse_duration(value).map_err(|_| expected())?
    };
    if duration < Duration::from_secs(1) || duration > MAX_POLL_INTERVAL {
        return Err(expected());
    }
    Ok(duration)
}

/// How long the agent or CI may take before the pipeline escalates: a minute to a week.
pub(crate) fn parse_patience(value: &str) -> Result<Duration, String> {
    let expected = || "a duration such as 30m, 2h or 1d, between 1m and 7d".to_owned();
    let duration = humantime::parse_duration(value.trim()).map_err(|_| expected())?;
    if duration < Duration::from_secs(60) || duration > Duration::from_secs(7 * 24 * 3600) {
        return Err(expected());
    }
    Ok(duration)
}

pub(crate) fn parse_gap(value: &str) -> Result<Duration, String> {
    let expected = || "a duration from 0s to 60s, such as 1s or 250ms".to_owned();
    let value = value.trim();
    let gap = if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
        Duration::from_secs(value.parse().map_err(|_| expected())?)
    } else {
        humantime::parse_duration(value).map_err(|_| expected())?
    };
    if gap > Duration::from_secs(60) {
        return Err(expected());
    }
    Ok(gap)
}

fn split_list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) fn parse_repos(value: &str) -> Result<Vec<RepoSlug>, String> {
    let mut repos: Vec<(RepoSlug, &str)> = Vec::new();
    for item in split_list(value) {
        let repo = RepoSlug::parse(item).map_err(|e| {
            format!("comma-separated owner/name entries, for example octo/app,octo/lib ({e})")
        })?;
        match repos.iter().find(|(seen, _)| *seen == repo) {
            None => repos.push((repo, item)),
            Some((_, first)) if *first == item => {}
            // GitHub names are case-insensitive: both spellings are one repository. Refusing
            // says which entry to drop rather than guessing which spelling the operator meant.
            Some((_, first)) => {
                return Err(format!(
                    "each repository once: {first} and {item} differ only in case and name the same \
                     GitHub repository, keep one"
                ));
            }
        }
    }
    Ok(repos.into_iter().map(|(repo, _)| repo).collect())
}

pub(crate) fn parse_bind(value: &str) -> Result<std::net::SocketAddr, String> {
    value.trim().parse().map_err(|_| "an IP address and port, such as 127.0.0.1:9877".to_owned())
}

pub(crate) fn parse_token(value: &str) -> Result<(), String> {
    if value.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err("printable ASCII without spaces".to_owned())
    }
}

/// The update manifest's URL; empty: no updates. The manifest is signed, but plain http still
/// lets anyone on the path hold a node back or watch what it runs: https, http for loopback.
pub(crate) fn parse_update_url(value: &str) -> Result<Option<String>, String> {
    let url = value.trim();
    if url.is_empty() {
        return Ok(None);
    }
    let expected = || {
        "an https URL of the signed manifest, such as https://releases.example.com/core-ide/manifest.json \
         (http only for a loopback host), or github:OWNER/NAME for the manifest attached to that \
         repository's GitHub releases; leave it empty for no updates"
            .to_owned()
    };
    if let Some(repo) = url.strip_prefix("github:") {
        return RepoSlug::parse(repo.trim())
            .map(|slug| Some(format!("github:{slug}")))
            .map_err(|e| format!("{e}; {}", expected()));
    }
    let (authority, path) = split_url(url, &["https", "http"]).ok_or_else(expected)?;
    let plain = url.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://"));
    if authority.is_empty()
        || authority.contains('@')
        || path.is_empty()
        || (plain && !is_loopback(authority))
    {
        return Err(expected());
    }
    Ok(Some(url.to_owned()))
}

/// The channels of `jobrunner_updater::Channel`.
pub(crate) fn parse_update_channel(value: &str) -> Result<String, String> {
    let channel = value.trim().to_ascii_lowercase();
    if ["stable", "beta", "alpha", "dev"].contains(&channel.as_str()) {
        Ok(channel)
    } else {
        Err("stable, beta, alpha or dev".to_owned())
    }
}

/// The key line of a minisign `.pub` file: base64 of 42 bytes (`Ed`, the key id, the key), so
/// 56 characters starting `RW`; empty: the compiled-in release key. The updater decodes it.
pub(crate) fn parse_update_public_key(value: &str) -> Result<Option<String>, String> {
    let key = value.trim();
    if key.is_empty() {
        return Ok(None);
    }
    let base64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=';
    if key.len() != 56 || !key.starts_with("RW") || !key.bytes().all(base64) {
        return Err("the base64 key line of a minisign .pub file (56 characters starting RW, the line \
                    after the comment); leave it empty for the compiled-in release key"
            .to_owned());
    }
    Ok(Some(key.to_owned()))
}

/// Time between two update checks: five minutes to a week.
pub(crate) fn parse_update_interval(value: &str) -> Result<Duration, String> {
    let expected = || "a duration such as 6h, 30m or 1d, between 5m and 7d".to_owned();
    let duration = humantime::parse_duration(value.trim()).map_err(|_| expected())?;
    if duration < Duration::from_secs(5 * 60) || duration > Duration::from_secs(7 * 24 * 3600) {
        return Err(expected());
    }
    Ok(duration)
}

/// How long an update on trial has to report healthy: a second to an hour.
pub(crate) fn parse_update_health_deadline(value: &str) -> Result<Duration, String> {
    let expected = || "a duration such as 5m or 90s, between 1s and 1h".to_owned();
    let duration = humantime::parse_duration(value.trim()).map_err(|_| expected())?;
    if duration < Duration::from_secs(1) || duration > Duration::from_secs(3600) {
        return Err(expected());
    }
    Ok(duration)
}

pub(crate) fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("true or false".to_owned()),
    }
}

pub(crate) fn parse_mode(value: &str) -> Result<Mode, String> {
    match value.trim() {
        "auto" => Ok(Mode::Auto),
        "headless" => Ok(Mode::Headless),
        "desktop" => Ok(Mode::Desktop),
        _ => Err("auto, headless or desktop".to_owned()),
    }
}

pub(crate) fn expand_path(value: &str, host: &Host) -> Result<PathBuf, String> {
    let value = value.trim();
    if value.is_empty() || value.contains('\0') {
        return Err("a directory path".to_owned());
    }
    match value.strip_prefix("~/").or((value == "~").then_some("")) {
        Some(rest) => host
            .home
            .as_ref()
            .map(|home| home.join(rest))
            .ok_or_else(|| "an absolute path: ~ needs HOME, which is not set".to_owned()),
        None => Ok(PathBuf::from(value)),
    }
}

pub(crate) fn parse_handlers(value: &str) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::new();
    for name in split_list(value) {
        if !HANDLER_NAMES.contains(&name) {
            return Err(format!("comma-separated handler names from {}", HANDLER_NAMES.join(", ")));
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    // Priority is fixed by the registry, not by the order the operator listed names in.
    names.sort_by_key(|n| HANDLER_NAMES.iter().position(|h| h == n));
    Ok(names)
}

pub(crate) fn parse_api_url(value: &str) -> Result<String, String> {
    let url = value.trim().trim_end_matches('/');
    let expected =
        || "an http(s) URL such as https://api.github.com or https://ghe.example.com/api/v3".to_owned();
    let (authority, _) = split_url(url, &["https", "http"]).ok_or_else(expected)?;
    if authority.is_empty() {
        return Err(expected());
    }
    // The token travels in a header of every request: over plain http anyone on the path reads
    // it. Only a loopback host (a simulator, a local proxy) may be plain.
    let plain = url.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://"));
    if plain && !is_loopback(authority) {
        return Err(
            "an https URL: http:// sends the token in clear, and is accepted only for a loopback host (127.0.0.1, localhost, [::1])"
                .to_owned(),
        );
    }
    Ok(url.to_owned())
}

/// Refuses `user:password@` in the API URL before the value can reach an error message or
/// `core-ide config`: the token has its own variable, and a URL is printed.
pub(crate) fn refuse_credentials(value: &str) -> Result<(), Refusal> {
    let authority = value.split_once("://").map_or(value, |(_, rest)| rest);
    let authority = authority.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(Refusal::Credentials);
    }
    Ok(())
}

/// Whether a URL's `host[:port]` names this machine.
fn is_loopback(authority: &str) -> bool {
    let host = authority.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()));
    let host = host.map_or(authority, |(host, _)| host);
    host.eq_ignore_ascii_case("localhost")
        || host == "[::1]"
        || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

pub(crate) fn parse_label(value: &str) -> Result<String, String> {
    let label = value.trim();
    // GitHub caps label names at 50 characters.
    if label.is_empty() || label.chars().count() > 50 || label.contains(',') {
        return Err("a label name of 1 to 50 characters without commas".to_owned());
    }
    Ok(label.to_owned())
}

pub(crate) fn parse_labels(value: &str) -> Result<Vec<String>, String> {
    split_list(value)
        .map(|l| parse_label(l).map_err(|_| "comma-separated label names of 1 to 50 characters".to_owned()))
        .collect()
}

/// GitHub logins: letters, digits and single hyphens, at most 39 characters; an app's bot
/// account adds `[bot]` (`my-app[bot]`).
pub(crate) fn parse_logins(value: &str) -> Result<Vec<String>, String> {
    let valid = |login: &str| {
        let name = login.strip_suffix("[bot]").unwrap_or(login);
        !name.is_empty()
            && name.len() <= 39
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-')
            && !name.contains("--")
    };
    split_list(value)
        .map(|login| {
            if valid(login) {
                Ok(login.to_owned())
            } else {
                Err("comma-separated GitHub logins (letters, digits, hyphens; an app's as name[bot])"
                    .to_owned())
            }
        })
        .collect()
}

pub(crate) fn parse_fix_command_limit(value: &str) -> Result<u32, String> {
    match value.trim().parse::<u32>() {
        Ok(limit @ 1..=20) => Ok(limit),
        _ => Err("a whole number from 1 to 20".to_owned()),
    }
}

pub(crate) fn parse_command(value: &str) -> Result<String, String> {
    let text = value.trim();
    if text.is_empty() || text.chars().count() > MAX_COMMENT_CHARS || text.contains('\0') {
        return Err(format!("a non-empty comment text of at most {MAX_COMMENT_CHARS} characters"));
    }
    Ok(text.to_owned())
}

pub(crate) fn parse_environment(value: &str) -> Result<Environment, String> {
    match value.trim() {
        "development" => Ok(Environment::Development),
        "staging" => Ok(Environment::Staging),
        "production" => Ok(Environment::Production),
        _ => Err("development, staging or production".to_owned()),
    }
}

/// The authority and path of `url` when its scheme is one of `schemes`.
fn split_url<'a>(url: &'a str, schemes: &[&str]) -> Option<(&'a str, &'a str)> {
    let (scheme, rest) = url.split_once("://")?;
    if !schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)) || url.contains(char::is_whitespace) {
        return None;
    }
    Some(rest.split_once('/').map_or((rest, ""), |(authority, path)| (authority, path)))
}

pub(crate) fn parse_database_url(url: &str) -> Result<(), String> {
    let expected = || "a PostgreSQL URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE".to_owned();
    let (authority, _) = split_url(url, &["postgres", "postgresql"]).ok_or_else(expected)?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if host.is_empty() {
        return Err(expected());
    }
    Ok(())
}

pub(crate) fn parse_webhook_url(url: &str) -> Result<(), String> {
    let expected = || {
        "an https webhook URL with its token path, such as https://hooks.slack.com/services/...; \
         http only for a loopback host"
            .to_owned()
    };
    let (authority, path) = split_url(url, &["https", "http"]).ok_or_else(expected)?;
    let host = authority.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()));
    let host = host.map_or(authority, |(host, _)| host);
    let loopback = host == "localhost" || host == "[::1]" || host.starts_with("127.");
    let plain = url.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://"));
    if authority.is_empty() || authority.contains('@') || path.is_empty() || (plain && !loopback) {
        return Err(expected());
    }
    Ok(())
}

/// Check ids look like `env.W003`: a category, a dot, a level letter and three digits.
pub(crate) fn parse_check_ids(value: &str) -> Result<Vec<String>, String> {
    let valid = |id: &str| {
        id.split_once('.').is_some_and(|(category, code)| {
            !category.is_empty()
                && category.bytes().all(|b| b.is_ascii_lowercase())
                && code.len() == 4
                && matches!(code.as_bytes()[0], b'E' | b'W' | b'I')
                && code[1..].bytes().all(|b| b.is_ascii_digit())
        })
    };
    let mut ids: Vec<String> = Vec::new();
    for id in split_list(value) {
        if !valid(id) {
            return Err("comma-separated check ids such as env.W003 (see docs/status-checks.md)".to_owned());
        }
        if !ids.iter().any(|i| i == id) {
            ids.push(id.to_owned());
        }
    }
    Ok(ids)
}
