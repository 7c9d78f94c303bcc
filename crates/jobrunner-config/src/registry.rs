//! Every setting, each described once. Adding a setting means adding its field to
//! [`Settings`](crate::Settings) and its entry here; the arguments, the variables, the defaults, the parsing,
//! `core-ide config` and the docs' table follow.

use jobrunner_core::NodeId;
use jobrunner_handlers::{
    DEFAULT_CI_COMMAND, DEFAULT_CONFLICT_COMMAND, DEFAULT_REVIEW_COMMAND, HANDLER_NAMES,
};

use crate::key::{DefaultValue, Flag, Key, Render, Shortcut};
use crate::parse::{
    expand_path, parse_api_url, parse_bind, parse_bool, parse_check_ids, parse_command, parse_database_url,
    parse_duration, parse_environment, parse_fix_command_limit, parse_fsync, parse_gap, parse_handlers,
    parse_label, parse_labels, parse_logins, parse_merge_method, parse_mode, parse_node_id,
    parse_optional_label, parse_patience, parse_repos, parse_token, parse_update_channel,
    parse_update_health_deadline, parse_update_interval, parse_update_public_key, parse_update_url,
    parse_webhook_url, refuse_credentials, secret, set,
};
use crate::settings::Host;
use crate::toml_value::{duration, list, text};

/// Every setting, in the order `core-ide config` prints them and the docs list them.
pub static KEYS: &[Key] = &[
    Key {
        name: "poll_interval",
        env: "CORE_POLL_INTERVAL",
        flag: Flag::value("poll-interval"),
        value_name: "DURATION",
        help: "Time between poll cycles, such as 60s or 5m",
        default: DefaultValue::Text("60s"),
        accepted: "a duration (`30s`, `5m`, `1h`, or bare seconds), 1s to 24h",
        parse: |v, _, s| set(&mut s.poll_interval, parse_duration(v)),
        render: Render::Value(|s| duration(s.poll_interval)),
    },
    Key {
        name: "mutation_gap",
        env: "CORE_MUTATION_GAP",
        flag: Flag::value("mutation-gap"),
        value_name: "DURATION",
        help: "Pause between two mutations, 0s to 60s; GitHub asks for at least 1s",
        default: DefaultValue::Text("1s"),
        accepted: "a duration, 0s to 60s: the pause between two mutations. GitHub's secondary limits ask \
                   for 1 s; lower it only against the simulator or in tests",
        parse: |v, _, s| set(&mut s.mutation_gap, parse_gap(v)),
        render: Render::Value(|s| duration(s.mutation_gap)),
    },
    Key {
        name: "repos",
        env: "CORE_REPOS",
        flag: Flag::value("repos"),
        value_name: "OWNER/NAME,...",
        help: "Repositories to poll, comma separated",
        default: DefaultValue::Text(""),
        accepted: "`owner/name` entries; a comma-separated string or a TOML array. GitHub's names are \
                   case-insensitive, so they are held in lower case (keys, leases, journal paths, logs) \
                   and two entries differing only in case are refused",
        parse: |v, _, s| set(&mut s.repos, parse_repos(v)),
        render: Render::Value(|s| list(&s.repos)),
    },
    Key {
        name: "api_url",
        env: "CORE_API_URL",
        flag: Flag::value("api-url"),
        value_name: "URL",
        help: "GitHub REST API base URL",
        default: DefaultValue::Text("https://api.github.com"),
        accepted: "an https URL; GitHub Enterprise: `https://HOST/api/v3`. `http://` only for a loopback \
                   host (a simulator, a local proxy): the token would travel in clear. A URL with \
                   `user:password@` is refused without being shown; the token belongs in \
                   `CORE_GITHUB_TOKEN`",
        parse: |v, _, s| {
            // Before parsing, whose error would repeat the value and its password.
            refuse_credentials(v)?;
            set(&mut s.api_url, parse_api_url(v))
        },
        render: Render::Value(|s| text(&s.api_url)),
    },
    Key {
        name: "epic_label",
        env: "CORE_EPIC_LABEL",
        flag: Flag::value("epic-label"),
        value_name: "LABEL",
        help: "Label that marks epic issues",
        default: DefaultValue::Text("epic"),
        accepted: "a label name, 1–50 characters, no commas",
        parse: |v, _, s| set(&mut s.epic_label, parse_label(v)),
        render: Render::Value(|s| text(&s.epic_label)),
    },
    Key {
        name: "dry_run",
        env: "CORE_DRY_RUN",
        flag: Flag::Switch { long: "dry-run" },
        value_name: "BOOL",
        help: "Decide and log, but call no mutation and claim nothing",
        default: DefaultValue::Text("false"),
        accepted: "`true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`)",
        parse: |v, _, s| set(&mut s.dry_run, parse_bool(v)),
        render: Render::Value(|s| s.dry_run.into()),
    },
    Key {
        name: "mode",
        env: "CORE_MODE",
        flag: Flag::Value {
            long: "mode",
            shortcuts: &[
                Shortcut { flag: "headless", value: "headless", help: "Run without a desktop" },
                Shortcut { flag: "desktop", value: "desktop", help: "Run as a desktop tray app" },
            ],
        },
        value_name: "MODE",
        help: "auto, headless or desktop; auto is headless without DISPLAY or WAYLAND_DISPLAY",
        default: DefaultValue::Text("auto"),
        accepted: "`auto` (headless without `DISPLAY`/`WAYLAND_DISPLAY`), `headless`, `desktop`",
        parse: |v, _, s| set(&mut s.mode, parse_mode(v)),
        render: Render::Value(|s| text(s.mode.as_str())),
    },
    Key {
        name: "mcp",
        env: "CORE_MCP",
        flag: Flag::Value {
            long: "mcp",
            shortcuts: &[Shortcut { flag: "no-mcp", value: "false", help: "Serve no MCP bridge" }],
        },
        value_name: "BOOL",
        help: "Serve the MCP bridge (the node's tools for MCP clients) on mcp_bind",
        default: DefaultValue::Text("true"),
        accepted: "`true`/`false`; `--no-mcp` is `--mcp false`",
        parse: |v, _, s| set(&mut s.mcp, parse_bool(v)),
        render: Render::Value(|s| s.mcp.into()),
    },
    Key {
        name: "mcp_bind",
        env: "CORE_MCP_BIND",
        flag: Flag::value("mcp-bind"),
        value_name: "ADDR:PORT",
        help: "Where the MCP bridge listens",
        default: DefaultValue::Text("127.0.0.1:9877"),
        accepted: "an IP address and port; port 0 picks a free one. Anything but loopback needs \
                   `CORE_MCP_TOKEN`, and the node refuses to start without it",
        parse: |v, _, s| set(&mut s.mcp_bind, parse_bind(v)),
        render: Render::Value(|s| text(&s.mcp_bind.to_string())),
    },
    Key {
        name: "mcp_read_only",
        env: "CORE_MCP_READ_ONLY",
        flag: Flag::Switch { long: "mcp-read-only" },
        value_name: "BOOL",
        help: "Offer MCP clients only the tools that change nothing",
        default: DefaultValue::Text("false"),
        accepted: "`true`/`false`: without `poll_now`, `pause`, `resume` and the handler tools",
        parse: |v, _, s| set(&mut s.mcp_read_only, parse_bool(v)),
        render: Render::Value(|s| s.mcp_read_only.into()),
    },
    Key {
        name: "mcp_token",
        env: "CORE_MCP_TOKEN",
        flag: Flag::None,
        value_name: "TOKEN",
        help: "Bearer token MCP clients must send; required to bind the bridge beyond loopback",
        default: DefaultValue::Text(""),
        accepted: "any printable ASCII without spaces; clients send `Authorization: Bearer TOKEN`",
        parse: |v, _, s| set(&mut s.mcp_token, secret(v, parse_token)),
        render: Render::Secret(|s| s.mcp_token.is_some()),
    },
    Key {
        name: "journal_dir",
        env: "CORE_JOURNAL_DIR",
        flag: Flag::value("journal-dir"),
        value_name: "DIR",
        help: "Action journal directory",
        default: DefaultValue::Text("~/.core/journal"),
        accepted: "a path; `~/` expands to the home directory",
        parse: |v, host, s| set(&mut s.journal_dir, expand_path(v, host)),
        render: Render::Value(|s| text(&s.journal_dir.display().to_string())),
    },
    Key {
        name: "journal_fsync",
        env: "CORE_JOURNAL_FSYNC",
        flag: Flag::value("journal-fsync"),
        value_name: "POLICY",
        help: "per-record or never",
        default: DefaultValue::Text("per-record"),
        accepted: "`per-record` or `never`",
        parse: |v, _, s| set(&mut s.journal_fsync, parse_fsync(v)),
        render: Render::Value(|s| text(&s.journal_fsync.to_string())),
    },
    Key {
        name: "data_dir",
        env: "CORE_DATA_DIR",
        flag: Flag::value("data-dir"),
        value_name: "DIR",
        help: "State directory",
        default: DefaultValue::Text("~/.core/data"),
        accepted: "a path",
        parse: |v, host, s| set(&mut s.data_dir, expand_path(v, host)),
        render: Render::Value(|s| text(&s.data_dir.display().to_string())),
    },
    Key {
        name: "node_id",
        env: "CORE_NODE_ID",
        flag: Flag::value("node-id"),
        value_name: "ID",
        help: "This node's id in the journal and the fleet",
        default: DefaultValue::OnHost { shown: "the host name", value: host_name_or_node },
        accepted: "1–64 of `A-Z a-z 0-9 . - _`, starting alphanumeric; `node` when the host name is not \
                   one",
        parse: |v, _, s| set(&mut s.node_id, parse_node_id(v)),
        render: Render::Value(|s| text(s.node_id.as_str())),
    },
    Key {
        name: "handlers",
        env: "CORE_HANDLERS",
        flag: Flag::value("handlers"),
        value_name: "NAME,...",
        help: "Handlers to enable, comma separated",
        default: DefaultValue::OnHost { shown: "all", value: |_| HANDLER_NAMES.join(",") },
        accepted: "handler names, comma-separated or an array; priority stays fixed",
        parse: |v, _, s| set(&mut s.enabled_handlers, parse_handlers(v)),
        render: Render::Value(|s| list(&s.enabled_handlers)),
    },
    Key {
        name: "merge_method",
        env: "CORE_MERGE_METHOD",
        flag: Flag::value("merge-method"),
        value_name: "METHOD",
        help: "Auto-merge method: merge, squash or rebase",
        default: DefaultValue::Text("squash"),
        accepted: "`merge`, `squash`, `rebase`",
        parse: |v, _, s| set(&mut s.handlers.merge_method, parse_merge_method(v)),
        render: Render::Value(|s| text(&s.handlers.merge_method.to_string())),
    },
    Key {
        name: "conflict_command",
        env: "CORE_CONFLICT_COMMAND",
        flag: Flag::value("conflict-command"),
        value_name: "TEXT",
        help: "Comment asking the agent to fix a conflict",
        default: DefaultValue::Text(DEFAULT_CONFLICT_COMMAND),
        accepted: "non-empty text, at most 65,536 characters",
        parse: |v, _, s| set(&mut s.handlers.conflict_command, parse_command(v)),
        render: Render::Value(|s| text(&s.handlers.conflict_command)),
    },
    Key {
        name: "review_command",
        env: "CORE_REVIEW_COMMAND",
        flag: Flag::value("review-command"),
        value_name: "TEXT",
        help: "Comment asking the agent to address reviews",
        default: DefaultValue::Text(DEFAULT_REVIEW_COMMAND),
        accepted: "same",
        parse: |v, _, s| set(&mut s.handlers.review_command, parse_command(v)),
        render: Render::Value(|s| text(&s.handlers.review_command)),
    },
    Key {
        name: "ci_command",
        env: "CORE_CI_COMMAND",
        flag: Flag::value("ci-command"),
        value_name: "TEXT",
        help: "Comment asking the agent to fix failing required checks",
        default: DefaultValue::Text(DEFAULT_CI_COMMAND),
        accepted: "same; sent when the deciding (required) checks fail on the head, once per head and set \
                   of failing checks",
        parse: |v, _, s| set(&mut s.handlers.ci_command, parse_command(v)),
        render: Render::Value(|s| text(&s.handlers.ci_command)),
    },
    Key {
        name: "agent_timeout",
        env: "CORE_AGENT_TIMEOUT",
        flag: Flag::value("agent-timeout"),
        value_name: "DURATION",
        help: "Time a fix command may go without a commit before it is re-sent once, then before a \
               person is asked, 1m to 7d",
        default: DefaultValue::Text("30m"),
        accepted: "a duration, 1m to 7d: a fix command without a commit for this long is sent once more; \
                   the re-send without a commit for this long gets the PR `needs_human_label`",
        parse: |v, _, s| set(&mut s.handlers.agent_timeout, parse_patience(v)),
        render: Render::Value(|s| duration(s.handlers.agent_timeout)),
    },
    Key {
        name: "stuck_after",
        env: "CORE_STUCK_AFTER",
        flag: Flag::value("stuck-after"),
        value_name: "DURATION",
        help: "Time the deciding checks may stay pending before a person is asked, 1m to 7d",
        default: DefaultValue::Text("2h"),
        accepted: "a duration, 1m to 7d: the deciding checks pending on one head for this long get the PR \
                   `needs_human_label`",
        parse: |v, _, s| set(&mut s.handlers.stuck_after, parse_patience(v)),
        render: Render::Value(|s| duration(s.handlers.stuck_after)),
    },
    Key {
        name: "fix_command_limit",
        env: "CORE_FIX_COMMAND_LIMIT",
        flag: Flag::value("fix-command-limit"),
        value_name: "N",
        help: "Fix commands without progress before a PR is labelled for a human instead, 1 to 20",
        default: DefaultValue::Text("3"),
        accepted: "1 to 20: fix commands without progress (no other action on the PR) before the PR is \
                   labelled instead",
        parse: |v, _, s| set(&mut s.handlers.fix_command_limit, parse_fix_command_limit(v)),
        render: Render::Value(|s| s.handlers.fix_command_limit.into()),
    },
    Key {
        name: "needs_human_label",
        env: "CORE_NEEDS_HUMAN_LABEL",
        flag: Flag::value("needs-human-label"),
        value_name: "LABEL",
        help: "Label for PRs the agent could not fix",
        default: DefaultValue::Text("needs-human"),
        accepted: "a label name, 1 to 50 characters, no commas",
        parse: |v, _, s| set(&mut s.handlers.needs_human_label, parse_label(v)),
        render: Render::Value(|s| text(&s.handlers.needs_human_label)),
    },
    Key {
        name: "agent_logins",
        env: "CORE_AGENT_LOGINS",
        flag: Flag::value("agent-logins"),
        value_name: "LOGIN,...",
        help: "Coding agents' GitHub logins whose PRs are in scope besides epic children, comma separated",
        default: DefaultValue::Text(""),
        accepted: "comma-separated GitHub logins (an app's bot as `name[bot]`); their PRs are in scope \
                   besides epic children",
        parse: |v, _, s| set(&mut s.agent_logins, parse_logins(v)),
        render: Render::Value(|s| list(&s.agent_logins)),
    },
    Key {
        name: "scope_label",
        env: "CORE_SCOPE_LABEL",
        flag: Flag::value("scope-label"),
        value_name: "LABEL",
        help: "A label that puts any PR in scope besides epic children",
        default: DefaultValue::Text(""),
        accepted: "a label name; PRs carrying it are in scope besides epic children",
        parse: |v, _, s| set(&mut s.scope_label, parse_optional_label(v)),
        render: Render::Value(|s| text(s.scope_label.as_deref().unwrap_or_default())),
    },
    Key {
        name: "stop_labels",
        env: "CORE_STOP_LABELS",
        flag: Flag::value("stop-labels"),
        value_name: "LABEL,...",
        help: "Labels that stop every handler on a PR, comma separated",
        default: DefaultValue::Text("needs-human,do-not-merge"),
        accepted: "comma-separated label names; any of them on a PR stops every handler on it",
        parse: |v, _, s| set(&mut s.stop_labels, parse_labels(v)),
        render: Render::Value(|s| list(&s.stop_labels)),
    },
    Key {
        name: "update_branch",
        env: "CORE_UPDATE_BRANCH",
        flag: Flag::value("update-branch"),
        value_name: "BOOL",
        help: "Update a PR that fell behind a base requiring up-to-date branches",
        default: DefaultValue::Text("true"),
        accepted: "`true` or `false`: update a PR that fell `BEHIND` a base requiring up-to-date branches",
        parse: |v, _, s| set(&mut s.handlers.update_branch, parse_bool(v)),
        render: Render::Value(|s| s.handlers.update_branch.into()),
    },
    Key {
        name: "resolve_human_threads",
        env: "CORE_RESOLVE_HUMAN_THREADS",
        flag: Flag::value("resolve-human-threads"),
        value_name: "BOOL",
        help: "Also resolve a person's threads the agent did not answer, once a later commit landed",
        default: DefaultValue::Text("false"),
        accepted: "`true` or `false`: also resolve threads a person started that the agent never answered \
                   and that are not outdated, once a later commit landed",
        parse: |v, _, s| set(&mut s.handlers.resolve_human_threads, parse_bool(v)),
        render: Render::Value(|s| s.handlers.resolve_human_threads.into()),
    },
    Key {
        name: "require_checks",
        env: "CORE_REQUIRE_CHECKS",
        flag: Flag::value("require-checks"),
        value_name: "BOOL",
        help: "Treat a head without any check or status as not passing",
        default: DefaultValue::Text("false"),
        accepted: "`true` or `false`: a head without any check run or status counts as not passing",
        parse: |v, _, s| set(&mut s.handlers.require_checks, parse_bool(v)),
        render: Render::Value(|s| s.handlers.require_checks.into()),
    },
    Key {
        name: "environment",
        // The conventional short spelling (like RAILS_ENV or NODE_ENV), not CORE_ENVIRONMENT.
        env: "CORE_ENV",
        flag: Flag::value("environment"),
        value_name: "ENV",
        help: "development, staging or production; production turns on core-status's production checks",
        default: DefaultValue::Text("development"),
        accepted: "`development`, `staging`, `production` (core-status's production checks)",
        parse: |v, _, s| set(&mut s.environment, parse_environment(v)),
        render: Render::Value(|s| text(s.environment.as_str())),
    },
    Key {
        name: "database_url",
        env: "CORE_DATABASE_URL",
        flag: Flag::None,
        value_name: "URL",
        help: "PostgreSQL URL of a fleet's shared state (postgres://...); unset: a standalone node on SQLite",
        default: DefaultValue::Text(""),
        accepted: "`postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or `postgresql://`); unset, the node is \
                   standalone on SQLite",
        parse: |v, _, s| set(&mut s.database_url, secret(v, parse_database_url)),
        render: Render::Secret(|s| s.database_url.is_some()),
    },
    Key {
        name: "lease_ttl",
        env: "CORE_LEASE_TTL",
        flag: Flag::value("lease-ttl"),
        value_name: "DURATION",
        help: "How long a fleet node keeps a repository without renewing its lease",
        default: DefaultValue::Text("3m"),
        accepted: "a duration, 1s to 24h; more than twice `poll_interval`, or a fleet node refuses to start \
                   (exit 2; core-status `fleet.E001`)",
        parse: |v, _, s| set(&mut s.lease_ttl, parse_duration(v)),
        render: Render::Value(|s| duration(s.lease_ttl)),
    },
    Key {
        name: "heartbeat_interval",
        env: "CORE_HEARTBEAT_INTERVAL",
        flag: Flag::value("heartbeat-interval"),
        value_name: "DURATION",
        help: "Time between a fleet node's heartbeats",
        default: DefaultValue::Text("15s"),
        accepted: "a duration, 1s to 24h; shorter than `lease_ttl`, or a fleet node refuses to start \
                   (core-status `fleet.E002`)",
        parse: |v, _, s| set(&mut s.heartbeat_interval, parse_duration(v)),
        render: Render::Value(|s| duration(s.heartbeat_interval)),
    },
    Key {
        name: "slack_webhook_url",
        env: "CORE_SLACK_WEBHOOK_URL",
        flag: Flag::None,
        value_name: "URL",
        help: "Slack incoming-webhook URL for node notifications",
        default: DefaultValue::Text(""),
        accepted: "an `https://` incoming-webhook URL with its token path (`http://` only for a loopback \
                   host)",
        parse: |v, _, s| set(&mut s.slack_webhook_url, secret(v, parse_webhook_url)),
        render: Render::Secret(|s| s.slack_webhook_url.is_some()),
    },
    Key {
        name: "discord_webhook_url",
        env: "CORE_DISCORD_WEBHOOK_URL",
        flag: Flag::None,
        value_name: "URL",
        help: "Discord webhook URL for node notifications",
        default: DefaultValue::Text(""),
        accepted: "same",
        parse: |v, _, s| set(&mut s.discord_webhook_url, secret(v, parse_webhook_url)),
        render: Render::Secret(|s| s.discord_webhook_url.is_some()),
    },
    Key {
        name: "silenced",
        env: "CORE_SILENCED",
        // core-status has its own repeatable --silence, added to this list.
        flag: Flag::None,
        value_name: "ID,...",
        help: "core-status check ids to silence, such as env.W003, comma separated",
        default: DefaultValue::Text(""),
        accepted: "check ids such as `env.W003` ([status-checks.md](status-checks.md)); comma-separated or \
                   an array. core-status's `--silence` adds to them",
        parse: |v, _, s| set(&mut s.silenced, parse_check_ids(v)),
        render: Render::Value(|s| list(&s.silenced)),
    },
    Key {
        name: "update_url",
        env: "CORE_UPDATE_URL",
        flag: Flag::value("update-url"),
        value_name: "URL",
        help: "The signed update manifest's URL (`core-ide update`); unset: no updates",
        default: DefaultValue::Text(""),
        accepted: "an `https://` URL of `manifest.json`, its signature at `<url>.minisig` \
                   ([updates.md](updates.md)); `http://` only for a loopback host; or \
                   `github:OWNER/NAME`: the manifest attached to that repository's newest release",
        parse: |v, _, s| set(&mut s.update_url, parse_update_url(v)),
        render: Render::Value(|s| text(s.update_url.as_deref().unwrap_or(""))),
    },
    Key {
        name: "update_channel",
        env: "CORE_UPDATE_CHANNEL",
        flag: Flag::value("update-channel"),
        value_name: "CHANNEL",
        help: "The release channel to update on",
        default: DefaultValue::Text("stable"),
        accepted: "`stable`, `beta` (and release candidates), `alpha` or `dev` ([updates.md](updates.md#channels))",
        parse: |v, _, s| set(&mut s.update_channel, parse_update_channel(v)),
        render: Render::Value(|s| text(&s.update_channel)),
    },
    Key {
        name: "update_public_key",
        env: "CORE_UPDATE_PUBLIC_KEY",
        flag: Flag::value("update-public-key"),
        value_name: "KEY",
        help: "The minisign public key update manifests must be signed with",
        default: DefaultValue::Text(""),
        accepted: "the base64 key line of a minisign `.pub` file (`RW...`, 56 characters); unset: the \
                   compiled-in release key",
        parse: |v, _, s| set(&mut s.update_public_key, parse_update_public_key(v)),
        render: Render::Value(|s| text(s.update_public_key.as_deref().unwrap_or(""))),
    },
    Key {
        name: "update_prefix",
        env: "CORE_UPDATE_PREFIX",
        flag: Flag::value("update-prefix"),
        value_name: "DIR",
        help: "The install prefix updates go to: releases/ and the current symlink",
        default: DefaultValue::Text("/opt/core-ide"),
        accepted: "a directory path; the service runs `<prefix>/current/core-ide`",
        parse: |v, host, s| set(&mut s.update_prefix, expand_path(v, host)),
        render: Render::Value(|s| text(&s.update_prefix.display().to_string())),
    },
    Key {
        name: "update_interval",
        env: "CORE_UPDATE_INTERVAL",
        flag: Flag::value("update-interval"),
        value_name: "DURATION",
        help: "Time between two update checks of a headless node",
        default: DefaultValue::Text("6h"),
        accepted: "a duration from `5m` to `7d`",
        parse: |v, _, s| set(&mut s.update_interval, parse_update_interval(v)),
        render: Render::Value(|s| duration(s.update_interval)),
    },
    Key {
        name: "update_health_deadline",
        env: "CORE_UPDATE_HEALTH_DEADLINE",
        flag: Flag::value("update-health-deadline"),
        value_name: "DURATION",
        help: "How long an update's first start has to report healthy before it is rolled back",
        default: DefaultValue::Text("5m"),
        accepted: "a duration from `1s` to `1h`: the store opened, the bridge bound and a first \
                   cycle completed ([updates.md](updates.md#the-health-gate-and-rollback))",
        parse: |v, _, s| set(&mut s.update_health_deadline, parse_update_health_deadline(v)),
        render: Render::Value(|s| duration(s.update_health_deadline)),
    },
];

/// The host name when it is a valid node id, else `node`.
fn host_name_or_node(host: &Host) -> String {
    host.hostname.clone().filter(|h| NodeId::new(h.as_str()).is_ok()).unwrap_or_else(|| "node".into())
}

/// Looks a key up by its TOML name.
#[must_use]
pub fn find_key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for key in KEYS {
            assert_eq!(KEYS.iter().filter(|k| k.name == key.name).count(), 1, "{}", key.name);
        }
    }

    #[test]
    fn env_names_are_core_prefixed_key_names() {
        for key in KEYS.iter().filter(|k| k.name != "environment") {
            assert_eq!(key.env, format!("CORE_{}", key.name.to_ascii_uppercase()));
            if let Some(flag) = key.flag.long() {
                assert_eq!(flag, key.name.replace('_', "-"));
            }
        }
        assert_eq!(crate::find_key("environment").map(|k| k.env), Some("CORE_ENV"));
    }

    #[test]
    fn secrets_have_no_flag() {
        for key in KEYS.iter().filter(|k| k.is_secret()) {
            assert_eq!(key.flag, Flag::None, "{} would show in ps output", key.name);
        }
    }

    #[test]
    fn no_secret_has_a_default_to_show() {
        for key in KEYS.iter().filter(|k| k.is_secret()) {
            assert_eq!(key.default.shown(), None, "{}", key.name);
        }
    }
}
