//! The one registry of settings and the environment variables the binaries read.

/// One configurable setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// Name in the TOML file and in error messages.
    pub name: &'static str,
    /// Environment variable.
    pub env: &'static str,
    /// Long flag without dashes, when the setting has one.
    pub flag: Option<&'static str>,
    /// Placeholder shown in `--help`.
    pub value_name: &'static str,
    /// One-line help.
    pub help: &'static str,
    /// A secret: read from the environment only (never a flag, which `ps` shows, nor the config
    /// file, which ends up in backups), and never printed.
    pub secret: bool,
}

/// Every setting, in the order `core-ide config` prints them.
pub const KEYS: &[Key] = &[
    key(
        "poll_interval",
        "CORE_POLL_INTERVAL",
        "poll-interval",
        "DURATION",
        "Time between poll cycles, such as 60s or 5m [default: 60s]",
    ),
    key(
        "mutation_gap",
        "CORE_MUTATION_GAP",
        "mutation-gap",
        "DURATION",
        "Pause between two mutations, 0s to 60s; GitHub asks for at least 1s [default: 1s]",
    ),
    key("repos", "CORE_REPOS", "repos", "OWNER/NAME,...", "Repositories to poll, comma separated"),
    key(
        "api_url",
        "CORE_API_URL",
        "api-url",
        "URL",
        "GitHub REST API base URL [default: https://api.github.com]",
    ),
    key(
        "epic_label",
        "CORE_EPIC_LABEL",
        "epic-label",
        "LABEL",
        "Label that marks epic issues [default: epic]",
    ),
    Key {
        name: "dry_run",
        env: "CORE_DRY_RUN",
        flag: Some("dry-run"),
        value_name: "BOOL",
        help: "Decide and log, but call no mutation and claim nothing",
        secret: false,
    },
    Key {
        name: "mode",
        env: "CORE_MODE",
        flag: Some("mode"),
        value_name: "MODE",
        help: "auto, headless or desktop; auto is headless without DISPLAY or WAYLAND_DISPLAY [default: auto]",
        secret: false,
    },
    key(
        "journal_dir",
        "CORE_JOURNAL_DIR",
        "journal-dir",
        "DIR",
        "Action journal directory [default: ~/.core/journal]",
    ),
    key(
        "journal_fsync",
        "CORE_JOURNAL_FSYNC",
        "journal-fsync",
        "POLICY",
        "per-record or never [default: per-record]",
    ),
    key("data_dir", "CORE_DATA_DIR", "data-dir", "DIR", "State directory [default: ~/.core/data]"),
    key(
        "node_id",
        "CORE_NODE_ID",
        "node-id",
        "ID",
        "This node's id in the journal and the fleet [default: host name]",
    ),
    key(
        "handlers",
        "CORE_HANDLERS",
        "handlers",
        "NAME,...",
        "Handlers to enable, comma separated [default: all]",
    ),
    key(
        "merge_method",
        "CORE_MERGE_METHOD",
        "merge-method",
        "METHOD",
        "Auto-merge method: merge, squash or rebase [default: squash]",
    ),
    key(
        "conflict_command",
        "CORE_CONFLICT_COMMAND",
        "conflict-command",
        "TEXT",
        "Comment asking the agent to fix a conflict [default: fix merge conflict]",
    ),
    key(
        "review_command",
        "CORE_REVIEW_COMMAND",
        "review-command",
        "TEXT",
        "Comment asking the agent to address reviews [default: fix the code reviews]",
    ),
    key(
        "ci_command",
        "CORE_CI_COMMAND",
        "ci-command",
        "TEXT",
        "Comment asking the agent to fix failing required checks [default: fix the failing checks]",
    ),
    key(
        "agent_timeout",
        "CORE_AGENT_TIMEOUT",
        "agent-timeout",
        "DURATION",
        "Time a fix command may go without a commit before it is re-sent once, then before a person is asked, 1m to 7d [default: 30m]",
    ),
    key(
        "stuck_after",
        "CORE_STUCK_AFTER",
        "stuck-after",
        "DURATION",
        "Time the deciding checks may stay pending before a person is asked, 1m to 7d [default: 2h]",
    ),
    key(
        "fix_command_limit",
        "CORE_FIX_COMMAND_LIMIT",
        "fix-command-limit",
        "N",
        "Fix commands without progress before a PR is labelled for a human instead, 1 to 20 [default: 3]",
    ),
    key(
        "needs_human_label",
        "CORE_NEEDS_HUMAN_LABEL",
        "needs-human-label",
        "LABEL",
        "Label for PRs the agent could not fix [default: needs-human]",
    ),
    key(
        "agent_logins",
        "CORE_AGENT_LOGINS",
        "agent-logins",
        "LOGIN,...",
        "Coding agents' GitHub logins whose PRs are in scope besides epic children, comma separated",
    ),
    key(
        "scope_label",
        "CORE_SCOPE_LABEL",
        "scope-label",
        "LABEL",
        "A label that puts any PR in scope besides epic children [default: none]",
    ),
    key(
        "stop_labels",
        "CORE_STOP_LABELS",
        "stop-labels",
        "LABEL,...",
        "Labels that stop every handler on a PR, comma separated [default: needs-human,do-not-merge]",
    ),
    key(
        "update_branch",
        "CORE_UPDATE_BRANCH",
        "update-branch",
        "BOOL",
        "Update a PR that fell behind a base requiring up-to-date branches [default: true]",
    ),
    key(
        "resolve_human_threads",
        "CORE_RESOLVE_HUMAN_THREADS",
        "resolve-human-threads",
        "BOOL",
        "Also resolve a person's threads the agent did not answer, once a later commit landed [default: false]",
    ),
    key(
        "require_checks",
        "CORE_REQUIRE_CHECKS",
        "require-checks",
        "BOOL",
        "Treat a head without any check or status as not passing [default: false]",
    ),
    Key {
        name: "environment",
        // The conventional short spelling (like RAILS_ENV or NODE_ENV), not CORE_ENVIRONMENT.
        env: "CORE_ENV",
        flag: Some("environment"),
        value_name: "ENV",
        help: "development, staging or production; production turns on core-status's production checks [default: development]",
        secret: false,
    },
    secret(
        "database_url",
        "CORE_DATABASE_URL",
        "URL",
        "PostgreSQL URL of a fleet's shared state (postgres://...); unset: a standalone node on SQLite",
    ),
    key(
        "lease_ttl",
        "CORE_LEASE_TTL",
        "lease-ttl",
        "DURATION",
        "How long a fleet node keeps a repository without renewing its lease [default: 3m]",
    ),
    key(
        "heartbeat_interval",
        "CORE_HEARTBEAT_INTERVAL",
        "heartbeat-interval",
        "DURATION",
        "Time between a fleet node's heartbeats [default: 15s]",
    ),
    secret(
        "slack_webhook_url",
        "CORE_SLACK_WEBHOOK_URL",
        "URL",
        "Slack incoming-webhook URL for node notifications",
    ),
    secret(
        "discord_webhook_url",
        "CORE_DISCORD_WEBHOOK_URL",
        "URL",
        "Discord webhook URL for node notifications",
    ),
    Key {
        name: "silenced",
        env: "CORE_SILENCED",
        // core-status has its own repeatable --silence, added to this list.
        flag: None,
        value_name: "ID,...",
        help: "core-status check ids to silence, such as env.W003, comma separated",
        secret: false,
    },
];

const fn key(
    name: &'static str,
    env: &'static str,
    flag: &'static str,
    value_name: &'static str,
    help: &'static str,
) -> Key {
    Key { name, env, flag: Some(flag), value_name, help, secret: false }
}

/// A secret setting: no flag, environment only.
const fn secret(name: &'static str, env: &'static str, value_name: &'static str, help: &'static str) -> Key {
    Key { name, env, flag: None, value_name, help, secret: true }
}

/// Looks a key up by its TOML name.
#[must_use]
pub fn find_key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// An environment variable a binary reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvVar {
    /// Variable name.
    pub name: &'static str,
    /// What it sets.
    pub purpose: &'static str,
    /// True when its value must never be printed.
    pub secret: bool,
    /// True when the operator sets it, so it belongs in the node's env file (and its sample).
    /// False for variables the session or the service manager provides (`HOME`, `DISPLAY`,
    /// `NOTIFY_SOCKET`) or that only matter on a terminal (`NO_COLOR`).
    pub in_env_file: bool,
}

const fn operator(name: &'static str, purpose: &'static str, secret: bool) -> EnvVar {
    EnvVar { name, purpose, secret, in_env_file: true }
}

const fn ambient(name: &'static str, purpose: &'static str) -> EnvVar {
    EnvVar { name, purpose, secret: false, in_env_file: false }
}

/// Variables read outside the settings table. The binaries read these names through this
/// table's entries, so core-status can tell an env file what is read and what is not.
const OTHER_ENV_VARS: &[EnvVar] = &[
    operator("CORE_CONFIG", "Path of the TOML config file", false),
    operator("CORE_GITHUB_TOKEN", "GitHub token (preferred over GITHUB_TOKEN)", true),
    operator("GITHUB_TOKEN", "GitHub token, when CORE_GITHUB_TOKEN is unset", true),
    operator(
        "RUST_LOG",
        "Filter of core-ide's JSON logs, such as info or jobrunner_runner=debug [default: info]",
        false,
    ),
    ambient("HOME", "Home directory: ~ in paths, the default config file"),
    ambient("DISPLAY", "X11 display: mode auto runs the desktop app when set"),
    ambient("WAYLAND_DISPLAY", "Wayland display: mode auto runs the desktop app when set"),
    ambient("NOTIFY_SOCKET", "systemd's notification socket (READY, WATCHDOG, STOPPING), set by systemd"),
    ambient("NO_COLOR", "core-status prints no colour when set to a non-empty value"),
];

/// Every environment variable the binaries read: the settings table, the config path, the
/// token variables, the log filter, and what the session or systemd provides.
#[must_use]
pub fn env_vars() -> Vec<EnvVar> {
    KEYS.iter()
        .map(|k| EnvVar { name: k.env, purpose: k.help, secret: k.secret, in_env_file: true })
        .chain(OTHER_ENV_VARS.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_are_core_prefixed_key_names() {
        for key in KEYS.iter().filter(|k| k.name != "environment") {
            assert_eq!(key.env, format!("CORE_{}", key.name.to_ascii_uppercase()));
            if let Some(flag) = key.flag {
                assert_eq!(flag, key.name.replace('_', "-"));
            }
        }
        assert_eq!(find_key("environment").map(|k| k.env), Some("CORE_ENV"));
    }

    #[test]
    fn secrets_have_no_flag() {
        for key in KEYS.iter().filter(|k| k.secret) {
            assert_eq!(key.flag, None, "{} would show in ps output", key.name);
        }
    }

    #[test]
    fn each_variable_is_registered_once() {
        let vars = env_vars();
        for var in &vars {
            assert_eq!(vars.iter().filter(|v| v.name == var.name).count(), 1, "{}", var.name);
        }
    }
}
