//! The effective settings and how the layers combine into them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jobrunner_core::{MergeMethod, NodeId, RepoSlug};
use jobrunner_handlers::{
    DEFAULT_CI_COMMAND, DEFAULT_CONFLICT_COMMAND, DEFAULT_REVIEW_COMMAND, HANDLER_NAMES, HandlerSettings,
};
use jobrunner_journal::FsyncPolicy;

use crate::args::ConfigArgs;
use crate::error::ConfigError;
use crate::keys::{KEYS, find_key};

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

    /// Loads the settings of this process: the config file named by the args (or the default
    /// one, when it exists), then the args, on the current host.
    pub fn load(args: &ConfigArgs) -> Result<Self, ConfigError> {
        Self::load_on(args, &Host::current())
    }

    /// Like [`load`](Self::load), on `host`: for a caller that knows the token from elsewhere
    /// (core-status reads it from the service's env file).
    pub fn load_on(args: &ConfigArgs, host: &Host) -> Result<Self, ConfigError> {
        let file = match &args.config_file {
            Some((path, source)) => {
                let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Unreadable {
                    path: path.clone(),
                    source_of_path: source.clone(),
                    error,
                })?;
                Some((path.clone(), text))
            }
            None => default_config_path(host.home.as_deref())
                .and_then(|path| std::fs::read_to_string(&path).ok().map(|text| (path, text))),
        };
        Self::from_layers(file.as_ref().map(|(p, t)| (p.as_path(), t.as_str())), args, host)
    }

    /// Combines defaults, a config file's text, and the args, on `host`.
    pub fn from_layers(
        file: Option<(&Path, &str)>,
        args: &ConfigArgs,
        host: &Host,
    ) -> Result<Self, ConfigError> {
        let mut raw: BTreeMap<&'static str, (String, Source)> =
            defaults(host).into_iter().map(|(k, v)| (k, (v, Source::Default))).collect();
        if let Some((path, text)) = file {
            for (key, value) in file_values(path, text)? {
                raw.insert(key, (value, Source::File(path.to_owned())));
            }
        }
        for (key, value, source) in args.given() {
            raw.insert(key.name, (value.to_owned(), source.clone()));
        }
        let settings = parse(&raw, host)?;
        Ok(Self {
            config_file: file.map(|(p, _)| p.to_owned()),
            sources: raw.into_iter().map(|(k, (_, s))| (k, s)).collect(),
            ..settings
        })
    }

    /// The `effective configuration` as TOML, each line annotated with its source and the
    /// token redacted.
    #[must_use]
    pub fn render_toml(&self) -> String {
        crate::render::render(self)
    }

    pub(crate) fn mode_name(&self) -> &'static str {
        self.mode.as_str()
    }
}

fn defaults(host: &Host) -> Vec<(&'static str, String)> {
    let node =
        host.hostname.clone().filter(|h| NodeId::new(h.as_str()).is_ok()).unwrap_or_else(|| "node".into());
    vec![
        ("api_url", "https://api.github.com".into()),
        ("epic_label", "epic".into()),
        ("poll_interval", "60s".into()),
        ("mutation_gap", "1s".into()),
        ("repos", String::new()),
        ("dry_run", "false".into()),
        ("mode", "auto".into()),
        ("journal_dir", "~/.core/journal".into()),
        ("journal_fsync", "per-record".into()),
        ("data_dir", "~/.core/data".into()),
        ("node_id", node),
        ("handlers", HANDLER_NAMES.join(",")),
        ("merge_method", "squash".into()),
        ("conflict_command", DEFAULT_CONFLICT_COMMAND.into()),
        ("review_command", DEFAULT_REVIEW_COMMAND.into()),
        ("ci_command", DEFAULT_CI_COMMAND.into()),
        ("agent_timeout", "30m".into()),
        ("stuck_after", "2h".into()),
        ("fix_command_limit", "3".into()),
        ("needs_human_label", "needs-human".into()),
        ("agent_logins", String::new()),
        ("scope_label", String::new()),
        ("stop_labels", "needs-human,do-not-merge".into()),
        ("update_branch", "true".into()),
        ("require_checks", "false".into()),
        ("resolve_human_threads", "false".into()),
        ("environment", "development".into()),
        ("database_url", String::new()),
        ("lease_ttl", "3m".into()),
        ("heartbeat_interval", "15s".into()),
        ("slack_webhook_url", String::new()),
        ("discord_webhook_url", String::new()),
        ("silenced", String::new()),
    ]
}

/// The file's values as raw strings, so one parser per key serves every layer.
fn file_values(path: &Path, text: &str) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| syntax_error(path, text, &e))?;
    let source = Source::File(path.to_owned());
    table
        .into_iter()
        .map(|(name, value)| {
            let key = find_key(&name).ok_or_else(|| ConfigError::UnknownKey {
                key: name.clone(),
                path: path.to_owned(),
                known: KEYS.iter().filter(|k| !k.secret).map(|k| k.name).collect::<Vec<_>>().join(", "),
            })?;
            if key.secret {
                return Err(ConfigError::SecretInFile { key: key.name, var: key.env, path: path.to_owned() });
            }
            let raw = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned).ok_or(()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|()| {
                        ConfigError::invalid(key.name, &value_text(&items), &source, "an array of strings")
                    })?
                    .join(","),
                other => {
                    return Err(ConfigError::invalid(
                        key.name,
                        &other.to_string(),
                        &source,
                        "a string, number or boolean",
                    ));
                }
            };
            Ok((key.name, raw))
        })
        .collect()
}

/// A TOML syntax error as its position and the parser's short message, never the text: the
/// file may be an env file given to `--config` by mistake, or a line may hold a password, and
/// `toml`'s full `Display` quotes the offending line.
fn syntax_error(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
    let position = error.span().map(|span| {
        let before = text.get(..span.start).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("line {line}, column {column}: ")
    });
    // The short message names what was expected. Its backquoted parts are the expected
    // tokens (`=`, `"`) but may also quote the input (a duplicate key): only a part of one or
    // two characters is kept.
    let message: String = error
        .message()
        .split('`')
        .enumerate()
        .map(|(i, part)| match i % 2 {
            0 => part.to_owned(),
            _ if part.chars().count() <= 2 => format!("`{part}`"),
            _ => "`…`".to_owned(),
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    ConfigError::Syntax {
        path: path.to_owned(),
        message: format!("{}{message}", position.unwrap_or_default()),
    }
}

fn value_text(items: &[toml::Value]) -> String {
    toml::Value::Array(items.to_vec()).to_string()
}

type Raw = BTreeMap<&'static str, (String, Source)>;

/// Parses one key's layered value, naming the key, value and source when it is bad.
fn field<T>(
    raw: &Raw,
    key: &'static str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    let (value, source) = raw.get(key).expect("every key has a default");
    parse(value).map_err(|expected| ConfigError::invalid(key, value, source, expected))
}

/// Parses a secret's layered value: unset when empty, and never echoed in an error.
fn secret_field(
    raw: &Raw,
    key: &'static str,
    parse: impl Fn(&str) -> Result<(), String>,
) -> Result<Option<Secret>, ConfigError> {
    let (value, source) = raw.get(key).expect("every key has a default");
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    parse(value).map_err(|expected| ConfigError::InvalidSecret { key, origin: source.clone(), expected })?;
    Ok(Some(Secret::new(value.to_owned())))
}

fn parse(raw: &Raw, host: &Host) -> Result<Settings, ConfigError> {
    Ok(Settings {
        api_url: {
            api_url_credentials(raw)?;
            field(raw, "api_url", parse_api_url)?
        },
        epic_label: field(raw, "epic_label", parse_label)?,
        poll_interval: field(raw, "poll_interval", parse_duration)?,
        mutation_gap: field(raw, "mutation_gap", parse_gap)?,
        repos: field(raw, "repos", parse_repos)?,
        dry_run: field(raw, "dry_run", parse_bool)?,
        mode: field(raw, "mode", parse_mode)?,
        journal_dir: field(raw, "journal_dir", |v| expand_path(v, host))?,
        journal_fsync: field(raw, "journal_fsync", |v| v.trim().parse::<FsyncPolicy>())?,
        data_dir: field(raw, "data_dir", |v| expand_path(v, host))?,
        node_id: field(raw, "node_id", |v| NodeId::new(v.trim()).map_err(|e| e.rule.to_owned()))?,
        enabled_handlers: field(raw, "handlers", parse_handlers)?,
        handlers: HandlerSettings {
            conflict_command: field(raw, "conflict_command", parse_command)?,
            review_command: field(raw, "review_command", parse_command)?,
            ci_command: field(raw, "ci_command", parse_command)?,
            agent_timeout: field(raw, "agent_timeout", parse_patience)?,
            stuck_after: field(raw, "stuck_after", parse_patience)?,
            fix_command_limit: field(raw, "fix_command_limit", parse_fix_command_limit)?,
            needs_human_label: field(raw, "needs_human_label", parse_label)?,
            merge_method: field(raw, "merge_method", |v| v.trim().parse::<MergeMethod>())?,
            update_branch: field(raw, "update_branch", parse_bool)?,
            require_checks: field(raw, "require_checks", parse_bool)?,
            resolve_human_threads: field(raw, "resolve_human_threads", parse_bool)?,
        },
        agent_logins: field(raw, "agent_logins", parse_logins)?,
        scope_label: field(raw, "scope_label", |v| {
            if v.trim().is_empty() { Ok(None) } else { parse_label(v).map(Some) }
        })?,
        stop_labels: field(raw, "stop_labels", parse_labels)?,
        github_token: checked_token(host.token.as_ref())?,
        environment: field(raw, "environment", parse_environment)?,
        database_url: secret_field(raw, "database_url", parse_database_url)?,
        lease_ttl: field(raw, "lease_ttl", parse_duration)?,
        heartbeat_interval: field(raw, "heartbeat_interval", parse_duration)?,
        slack_webhook_url: secret_field(raw, "slack_webhook_url", parse_webhook_url)?,
        discord_webhook_url: secret_field(raw, "discord_webhook_url", parse_webhook_url)?,
        silenced: field(raw, "silenced", parse_check_ids)?,
        config_file: None,
        sources: BTreeMap::new(),
    })
}

/// The token, refused unless it can be sent as an HTTP header: a CR or LF (an env file with
/// Windows line endings, read by something that keeps the CR) would otherwise make the HTTP
/// client panic when it builds the `Authorization` header. GitHub's tokens are visible ASCII.
fn checked_token(
    token: Option<&(&'static str, Secret)>,
) -> Result<Option<(&'static str, Secret)>, ConfigError> {
    let Some((var, secret)) = token else { return Ok(None) };
    if let Some(problem) = token_problem(secret.expose()) {
        return Err(ConfigError::InvalidSecret {
            key: "the GitHub token",
            origin: Source::Env(var),
            expected: format!("a GitHub token of visible ASCII characters; this one {problem}"),
        });
    }
    Ok(Some((var, secret.clone())))
}

/// What makes `token` unusable in an HTTP header, if anything; never the token itself.
fn token_problem(token: &str) -> Option<&'static str> {
    if token.contains(['\r', '\n']) {
        Some(
            "contains a carriage return or line feed (an env file with Windows line endings? convert it with dos2unix)",
        )
    } else if token.chars().any(|c| !c.is_ascii_graphic()) {
        Some("contains a space, a control character or a non-ASCII character")
    } else {
        None
    }
}

const MAX_POLL_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// GitHub rejects comments longer than this many characters.
const MAX_COMMENT_CHARS: usize = 65_536;

fn parse_duration(value: &str) -> Result<Duration, String> {
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
fn parse_patience(value: &str) -> Result<Duration, String> {
    let expected = || "a duration such as 30m, 2h or 1d, between 1m and 7d".to_owned();
    let duration = humantime::parse_duration(value.trim()).map_err(|_| expected())?;
    if duration < Duration::from_secs(60) || duration > Duration::from_secs(7 * 24 * 3600) {
        return Err(expected());
    }
    Ok(duration)
}

fn parse_gap(value: &str) -> Result<Duration, String> {
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

fn parse_repos(value: &str) -> Result<Vec<RepoSlug>, String> {
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

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("true or false".to_owned()),
    }
}

fn parse_mode(value: &str) -> Result<Mode, String> {
    match value.trim() {
        "auto" => Ok(Mode::Auto),
        "headless" => Ok(Mode::Headless),
        "desktop" => Ok(Mode::Desktop),
        _ => Err("auto, headless or desktop".to_owned()),
    }
}

fn expand_path(value: &str, host: &Host) -> Result<PathBuf, String> {
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

fn parse_handlers(value: &str) -> Result<Vec<String>, String> {
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

fn parse_api_url(value: &str) -> Result<String, String> {
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
fn api_url_credentials(raw: &Raw) -> Result<(), ConfigError> {
    let (value, source) = raw.get("api_url").expect("every key has a default");
    let authority = value.split_once("://").map_or(value.as_str(), |(_, rest)| rest);
    let authority = authority.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(ConfigError::CredentialsInUrl { key: "api_url", origin: source.clone() });
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

fn parse_label(value: &str) -> Result<String, String> {
    let label = value.trim();
    // GitHub caps label names at 50 characters.
    if label.is_empty() || label.chars().count() > 50 || label.contains(',') {
        return Err("a label name of 1 to 50 characters without commas".to_owned());
    }
    Ok(label.to_owned())
}

fn parse_labels(value: &str) -> Result<Vec<String>, String> {
    split_list(value)
        .map(|l| parse_label(l).map_err(|_| "comma-separated label names of 1 to 50 characters".to_owned()))
        .collect()
}

/// GitHub logins: letters, digits and single hyphens, at most 39 characters; an app's bot
/// account adds `[bot]` (`my-app[bot]`).
fn parse_logins(value: &str) -> Result<Vec<String>, String> {
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

fn parse_fix_command_limit(value: &str) -> Result<u32, String> {
    match value.trim().parse::<u32>() {
        Ok(limit @ 1..=20) => Ok(limit),
        _ => Err("a whole number from 1 to 20".to_owned()),
    }
}

fn parse_command(value: &str) -> Result<String, String> {
    let text = value.trim();
    if text.is_empty() || text.chars().count() > MAX_COMMENT_CHARS || text.contains('\0') {
        return Err(format!("a non-empty comment text of at most {MAX_COMMENT_CHARS} characters"));
    }
    Ok(text.to_owned())
}

fn parse_environment(value: &str) -> Result<Environment, String> {
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

fn parse_database_url(url: &str) -> Result<(), String> {
    let expected = || "a PostgreSQL URL such as postgres://USER:PASSWORD@HOST:5432/DATABASE".to_owned();
    let (authority, _) = split_url(url, &["postgres", "postgresql"]).ok_or_else(expected)?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if host.is_empty() {
        return Err(expected());
    }
    Ok(())
}

fn parse_webhook_url(url: &str) -> Result<(), String> {
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
fn parse_check_ids(value: &str) -> Result<Vec<String>, String> {
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
