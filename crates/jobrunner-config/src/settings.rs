//! The effective settings, the types of their values, and where each value came from.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jobrunner_core::{NodeId, RepoSlug};
use jobrunner_handlers::HandlerSettings;
use jobrunner_journal::FsyncPolicy;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The built-in default.
    Default,
    /// The TOML config file.
    File(PathBuf),
    /// An environment variable.
    Env(&'static str),
    /// A command-line flag.
    Flag(String),
    /// An assignment in an env file (systemd's `EnvironmentFile`) or a unit's `Environment=`,
    /// as core-status reads them.
    EnvFile {
        /// The file.
        path: PathBuf,
        /// The variable assigned.
        var: &'static str,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File(path) => write!(f, "config file {}", path.display()),
            Self::Env(var) => f.write_str(var),
            Self::Flag(flag) => f.write_str(flag),
            Self::EnvFile { path, var } => write!(f, "{var} in {}", path.display()),
        }
    }
}

/// How the node runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Headless unless a display is available.
    Auto,
    /// A service without a desktop.
    Headless,
    /// A desktop tray app.
    Desktop,
}

impl Mode {
    /// `Auto` made concrete: desktop when a display is present.
    #[must_use]
    pub fn resolve(self, display_present: bool) -> Self {
        match self {
            Self::Auto if display_present => Self::Desktop,
            Self::Auto => Self::Headless,
            other => other,
        }
    }

    /// The name used in the config file and `CORE_MODE`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Headless => "headless",
            Self::Desktop => "desktop",
        }
    }
}

/// The kind of deployment, for the checks that only matter in production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// A developer's machine (the default).
    Development,
    /// A pre-production node.
    Staging,
    /// A production node: core-status warns about dry-run, debug logging and a missing unit.
    Production,
}

impl Environment {
    /// The name used in the config file and `CORE_ENV`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token: never printed, never in a `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    #[must_use]
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself, for the one place that sends it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// What the environment contributes besides `CORE_*` settings.
#[derive(Debug, Clone, Default)]
pub struct Host {
    /// The home directory, for `~` in paths.
    pub home: Option<PathBuf>,
    /// The host name, the default node id.
    pub hostname: Option<String>,
    /// The token and the variable it came from.
    pub token: Option<(&'static str, Secret)>,
}

impl Host {
    /// The real host: `$HOME` (or the password database), `/proc/sys/kernel/hostname`, and
    /// `CORE_GITHUB_TOKEN` then `GITHUB_TOKEN`.
    #[must_use]
    pub fn current() -> Self {
        let token = ["CORE_GITHUB_TOKEN", "GITHUB_TOKEN"].into_iter().find_map(|var| {
            std::env::var(var).ok().filter(|t| !t.trim().is_empty()).map(|t| (var, Secret::new(t)))
        });
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").ok().map(|h| h.trim().to_owned());
        Self { home: std::env::home_dir(), hostname, token }
    }
}

/// The effective settings of a node.
#[derive(Debug, Clone)]
pub struct Settings {
    /// GitHub REST API base URL (GitHub Enterprise: `https://HOST/api/v3`).
    pub api_url: String,
    /// Label that marks epic issues.
    pub epic_label: String,
    /// Time between poll cycles.
    pub poll_interval: Duration,
    /// Pause between two mutations (GitHub's secondary limits ask for 1 s; a simulator or a
    /// test needs none).
    pub mutation_gap: Duration,
    /// Repositories to poll.
    pub repos: Vec<RepoSlug>,
    /// Decide and log only.
    pub dry_run: bool,
    /// Headless, desktop, or decided by the display.
    pub mode: Mode,
    /// Serve the MCP bridge.
    pub mcp: bool,
    /// Where the MCP bridge listens.
    pub mcp_bind: std::net::SocketAddr,
    /// Offer MCP clients only the tools that change nothing.
    pub mcp_read_only: bool,
    /// The bearer token MCP clients must send.
    pub mcp_token: Option<Secret>,
    /// Action journal directory.
    pub journal_dir: PathBuf,
    /// Journal fsync policy.
    pub journal_fsync: FsyncPolicy,
    /// State directory.
    pub data_dir: PathBuf,
    /// This node's id.
    pub node_id: NodeId,
    /// Enabled handler names, in priority order.
    pub enabled_handlers: Vec<String>,
    /// Command texts and merge method.
    pub handlers: HandlerSettings,
    /// Logins of the coding agents whose PRs are in scope besides epic children.
    pub agent_logins: Vec<String>,
    /// A label that puts a PR in scope besides epic children.
    pub scope_label: Option<String>,
    /// Labels that stop every handler on a PR.
    pub stop_labels: Vec<String>,
    /// The GitHub token, with the variable it came from.
    pub github_token: Option<(&'static str, Secret)>,
    /// Development, staging or production.
    pub environment: Environment,
    /// The fleet's PostgreSQL URL; `None` for a standalone node on SQLite.
    pub database_url: Option<Secret>,
    /// How long a fleet node keeps a repository lease without renewing it.
    pub lease_ttl: Duration,
    /// Time between a fleet node's heartbeats.
    pub heartbeat_interval: Duration,
    /// Slack incoming-webhook URL for node notifications.
    pub slack_webhook_url: Option<Secret>,
    /// Discord webhook URL for node notifications.
    pub discord_webhook_url: Option<Secret>,
    /// core-status check ids to silence, as given (core-status checks they exist).
    pub silenced: Vec<String>,
    /// The signed update manifest's URL; `None`: no updates.
    pub update_url: Option<String>,
    /// The release channel followed: `stable`, `beta`, `alpha` or `dev`
    /// (`jobrunner_updater::Channel` parses it).
    pub update_channel: String,
    /// The base64 key line of the minisign public key manifests must be signed with; `None`:
    /// the compiled-in release key.
    pub update_public_key: Option<String>,
    /// The install prefix: `releases/` and the `current` symlink.
    pub update_prefix: PathBuf,
    /// Time between two update checks of a headless node.
    pub update_interval: Duration,
    /// How long an update's first start has to report healthy before it is rolled back.
    pub update_health_deadline: Duration,
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
    /// Where each setting's value came from, by key name.
    pub sources: BTreeMap<&'static str, Source>,
}

/// The default config file, `~/.config/core-ide/config.toml`.
#[must_use]
pub fn default_config_path(home: Option<&Path>) -> Option<PathBuf> {
    home.map(|h| h.join(".config/core-ide/config.toml"))
}

impl Settings {
    /// Why this node's fleet timing cannot work, if it cannot: a lease TTL not above twice the
    /// poll interval lets leases lapse between cycles, and a heartbeat not shorter than the
    /// TTL lets a live node expire. Only a fleet node (with `database_url`) uses them, so the
    /// settings load either way; `core-ide` refuses to join a fleet with them, and
    /// `core-status` reports them (fleet.E001, fleet.E002).
    #[must_use]
    pub fn fleet_timing_problem(&self) -> Option<String> {
        let (ttl, poll, beat) = (self.lease_ttl, self.poll_interval, self.heartbeat_interval);
        let show = |d: Duration| humantime::format_duration(d).to_string();
        if ttl <= poll.saturating_mul(2) {
            return Some(format!(
                "lease_ttl {} must be more than twice poll_interval {}: set CORE_LEASE_TTL to more than {}, or shorten CORE_POLL_INTERVAL",
                show(ttl),
                show(poll),
                show(poll.saturating_mul(2))
            ));
        }
        (beat >= ttl).then(|| {
            format!(
                "heartbeat_interval {} must be shorter than lease_ttl {}: set CORE_HEARTBEAT_INTERVAL to a third of it or less",
                show(beat),
                show(ttl)
            )
        })
    }
}
