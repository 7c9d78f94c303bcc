//! How the layers combine into [`Settings`]: defaults, the config file, then the variables and
//! flags, each key's value parsed once by its own parser whichever layer it came from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use jobrunner_core::NodeId;
use jobrunner_handlers::HandlerSettings;
use jobrunner_journal::FsyncPolicy;

use crate::KEYS;
use crate::args::ConfigArgs;
use crate::error::ConfigError;
use crate::registry::find_key;
use crate::settings::{Environment, Host, Mode, Secret, Settings, Source, default_config_path};

/// Each key's text and where it came from, the highest layer having won.
type Raw = BTreeMap<&'static str, (String, Source)>;

impl Settings {
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

    /// The settings of a node against a local GitHub simulator at `api_url` (tests, and tools
    /// embedding a node over one): `repos`, node id `node_id`, its state and journal under
    /// `dir`, no pause between mutations, a token, every other value its default. Nothing is
    /// read from the machine (no config file, no environment).
    pub fn for_simulator(
        api_url: &str,
        repos: &[&str],
        node_id: &str,
        dir: &Path,
    ) -> Result<Self, ConfigError> {
        let repos: Vec<String> = repos.iter().map(|r| format!("{r:?}")).collect();
        let config = format!(
            "api_url = {api_url:?}\nrepos = [{}]\nnode_id = {node_id:?}\ndata_dir = {:?}\njournal_dir = {:?}\nmutation_gap = \"0s\"\n",
            repos.join(", "),
            dir.join("data").display().to_string(),
            dir.join("journal").display().to_string(),
        );
        let host = Host {
            home: Some(dir.to_path_buf()),
            hostname: Some(node_id.to_owned()),
            token: Some(("CORE_GITHUB_TOKEN", Secret::new("simulator-token".into()))),
        };
        Self::from_layers(Some((Path::new("simulator.toml"), &config)), &ConfigArgs::default(), &host)
    }

    /// Combines defaults, a config file's text, and the args, on `host`.
    pub fn from_layers(
        file: Option<(&Path, &str)>,
        args: &ConfigArgs,
        host: &Host,
    ) -> Result<Self, ConfigError> {
        let raw = layered(file, args, host)?;
        let mut settings = unparsed();
        for key in KEYS {
            let (value, source) = &raw[key.name];
            (key.parse)(value, host, &mut settings)
                .map_err(|refusal| refusal.into_error(key, value, source))?;
        }
        settings.github_token = checked_token(host.token.as_ref())?;
        settings.config_file = file.map(|(p, _)| p.to_owned());
        settings.sources = raw.into_iter().map(|(k, (_, s))| (k, s)).collect();
        Ok(settings)
    }
}

/// Every key's text from the highest layer that gives it: default, file, then the args.
fn layered(file: Option<(&Path, &str)>, args: &ConfigArgs, host: &Host) -> Result<Raw, ConfigError> {
    let mut raw: Raw = KEYS.iter().map(|k| (k.name, (k.default.on(host), Source::Default))).collect();
    if let Some((path, text)) = file {
        for (key, value) in file_values(path, text)? {
            raw.insert(key, (value, Source::File(path.to_owned())));
        }
    }
    for (key, value, source) in args.given() {
        raw.insert(key.name, (value.to_owned(), source.clone()));
    }
    Ok(raw)
}

/// The settings before any key is parsed. Every key has a default, so its parser overwrites
/// its field before anyone reads it: these values are placeholders, not defaults.
fn unparsed() -> Settings {
    Settings {
        api_url: String::new(),
        epic_label: String::new(),
        poll_interval: Duration::ZERO,
        mutation_gap: Duration::ZERO,
        repos: Vec::new(),
        dry_run: false,
        mode: Mode::Auto,
        mcp: false,
        mcp_bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        mcp_read_only: false,
        mcp_token: None,
        journal_dir: PathBuf::new(),
        journal_fsync: FsyncPolicy::default(),
        data_dir: PathBuf::new(),
        node_id: NodeId::new("node").expect("a valid node id"),
        enabled_handlers: Vec::new(),
        handlers: HandlerSettings::default(),
        agent_logins: Vec::new(),
        scope_label: None,
        stop_labels: Vec::new(),
        github_token: None,
        environment: Environment::Development,
        database_url: None,
        lease_ttl: Duration::ZERO,
        heartbeat_interval: Duration::ZERO,
        slack_webhook_url: None,
        discord_webhook_url: None,
        silenced: Vec::new(),
        update_url: None,
        update_channel: String::new(),
        update_public_key: None,
        update_prefix: PathBuf::new(),
        update_interval: Duration::ZERO,
        update_health_deadline: Duration::ZERO,
        config_file: None,
        sources: BTreeMap::new(),
    }
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
                known: KEYS.iter().filter(|k| !k.is_secret()).map(|k| k.name).collect::<Vec<_>>().join(", "),
            })?;
            if key.is_secret() {
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
