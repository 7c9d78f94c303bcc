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
    },
    Key {
        name: "mode",
        env: "CORE_MODE",
        flag: Some("mode"),
        value_name: "MODE",
        help: "auto, headless or desktop; auto is headless without DISPLAY or WAYLAND_DISPLAY [default: auto]",
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
];

const fn key(
    name: &'static str,
    env: &'static str,
    flag: &'static str,
    value_name: &'static str,
    help: &'static str,
) -> Key {
    Key { name, env, flag: Some(flag), value_name, help }
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
}

/// Variables read outside the settings table.
const OTHER_ENV_VARS: &[EnvVar] = &[
    EnvVar { name: "CORE_CONFIG", purpose: "Path of the TOML config file", secret: false },
    EnvVar { name: "CORE_GITHUB_TOKEN", purpose: "GitHub token (preferred over GITHUB_TOKEN)", secret: true },
    EnvVar { name: "GITHUB_TOKEN", purpose: "GitHub token, when CORE_GITHUB_TOKEN is unset", secret: true },
];

/// Every environment variable the binaries read: the settings table plus the config path and
/// the token variables.
#[must_use]
pub fn env_vars() -> Vec<EnvVar> {
    KEYS.iter()
        .map(|k| EnvVar { name: k.env, purpose: k.help, secret: false })
        .chain(OTHER_ENV_VARS.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_are_core_prefixed_key_names() {
        for key in KEYS {
            assert_eq!(key.env, format!("CORE_{}", key.name.to_ascii_uppercase()));
            if let Some(flag) = key.flag {
                assert_eq!(flag, key.name.replace('_', "-"));
            }
        }
    }
}
