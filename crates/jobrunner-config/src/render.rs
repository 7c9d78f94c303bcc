//! `core-ide config`: the effective settings as annotated TOML.

use std::fmt::Write;

use crate::keys::KEYS;
use crate::settings::{Settings, Source};

/// Lines up to this many characters have their source comments aligned.
const ALIGN_UP_TO: usize = 100;

/// One `key = value  # source` line per setting, values in TOML syntax; secrets (the token
/// included) as comments saying whether they are set and from where, never their value.
pub(crate) fn render(settings: &Settings) -> String {
    let mut lines = vec![
        "# Effective core-ide configuration. Highest wins: flag > CORE_* variable > config file > default."
            .to_owned(),
    ];
    match &settings.config_file {
        Some(path) => lines.push(format!("# config file: {}", path.display())),
        None => lines.push("# config file: none".to_owned()),
    }
    let rows: Vec<(String, &Source)> = KEYS
        .iter()
        .filter(|key| !key.secret)
        .map(|key| {
            (format!("{} = {}", key.name, toml_value(settings, key.name)), &settings.sources[key.name])
        })
        .collect();
    // Sources line up after the short lines; a long one (a 65,536-character command, 10,000
    // repositories) is not padded to, and `format!`'s own padding is not used: it panics on a
    // width over 65,535.
    let width =
        rows.iter().map(|(line, _)| line.chars().count()).filter(|n| *n <= ALIGN_UP_TO).max().unwrap_or(0);
    for (line, source) in rows {
        let pad = " ".repeat(width.saturating_sub(line.chars().count()));
        lines.push(format!("{line}{pad}  # {source}"));
    }
    for key in KEYS.iter().filter(|key| key.secret) {
        match (secret_is_set(settings, key.name), &settings.sources[key.name]) {
            (true, source) => lines.push(format!("# {}: set from {source} (redacted)", key.name)),
            (false, _) => lines.push(format!("# {}: not set ({})", key.name, key.env)),
        }
    }
    match &settings.github_token {
        Some((var, _)) => lines.push(format!("# github token: set from {var} (redacted)")),
        None => lines.push("# github token: not set (export CORE_GITHUB_TOKEN to set one)".to_owned()),
    }
    lines.into_iter().fold(String::new(), |mut out, line| {
        let _ = writeln!(out, "{line}");
        out
    })
}

fn toml_value(s: &Settings, key: &str) -> String {
    let string = |v: &str| toml::Value::String(v.to_owned()).to_string();
    let list = |items: Vec<String>| {
        toml::Value::Array(items.into_iter().map(toml::Value::String).collect()).to_string()
    };
    match key {
        "api_url" => string(&s.api_url),
        "epic_label" => string(&s.epic_label),
        "poll_interval" => string(&humantime::format_duration(s.poll_interval).to_string()),
        "mutation_gap" => string(&humantime::format_duration(s.mutation_gap).to_string()),
        "repos" => list(s.repos.iter().map(ToString::to_string).collect()),
        "dry_run" => s.dry_run.to_string(),
        "mode" => string(s.mode_name()),
        "journal_dir" => string(&s.journal_dir.display().to_string()),
        "journal_fsync" => string(&s.journal_fsync.to_string()),
        "data_dir" => string(&s.data_dir.display().to_string()),
        "node_id" => string(s.node_id.as_str()),
        "handlers" => list(s.enabled_handlers.clone()),
        "merge_method" => string(&s.handlers.merge_method.to_string()),
        "conflict_command" => string(&s.handlers.conflict_command),
        "review_command" => string(&s.handlers.review_command),
        "ci_command" => string(&s.handlers.ci_command),
        "agent_timeout" => string(&humantime::format_duration(s.handlers.agent_timeout).to_string()),
        "stuck_after" => string(&humantime::format_duration(s.handlers.stuck_after).to_string()),
        "fix_command_limit" => s.handlers.fix_command_limit.to_string(),
        "needs_human_label" => string(&s.handlers.needs_human_label),
        "agent_logins" => list(s.agent_logins.clone()),
        "scope_label" => string(s.scope_label.as_deref().unwrap_or_default()),
        "stop_labels" => list(s.stop_labels.clone()),
        "update_branch" => s.handlers.update_branch.to_string(),
        "require_checks" => s.handlers.require_checks.to_string(),
        "resolve_human_threads" => s.handlers.resolve_human_threads.to_string(),
        "environment" => string(s.environment.as_str()),
        "lease_ttl" => string(&humantime::format_duration(s.lease_ttl).to_string()),
        "heartbeat_interval" => string(&humantime::format_duration(s.heartbeat_interval).to_string()),
        "silenced" => list(s.silenced.clone()),
        other => unreachable!("key {other} has no renderer"),
    }
}

fn secret_is_set(s: &Settings, key: &str) -> bool {
    match key {
        "database_url" => s.database_url.is_some(),
        "slack_webhook_url" => s.slack_webhook_url.is_some(),
        "discord_webhook_url" => s.discord_webhook_url.is_some(),
        other => unreachable!("secret {other} has no renderer"),
    }
}
