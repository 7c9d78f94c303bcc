//! Configuration errors: each one line naming the key, the value and the fix.

use std::path::PathBuf;

use crate::key::Key;
use crate::refusal::Refusal;
use crate::settings::Source;

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value that does not parse or is out of range.
    #[error("invalid value {value:?} for {key} (from {origin}): expected {expected}")]
    InvalidValue {
        /// The setting.
        key: &'static str,
        /// The rejected value, truncated to 80 characters.
        value: String,
        /// Where it came from.
        origin: Source,
        /// What is accepted.
        expected: String,
    },
    /// A secret whose value does not parse; the value itself is never shown.
    #[error("invalid value for {key} (from {origin}; value not shown, it is a secret): expected {expected}")]
    InvalidSecret {
        /// The setting.
        key: &'static str,
        /// Where it came from.
        origin: Source,
        /// What is accepted.
        expected: String,
    },
    /// A URL holding `user:password@`; the value is never shown.
    #[error(
        "{key} (from {origin}) holds credentials (user:password@ before the host; value not shown): \
         remove them, the token is read from CORE_GITHUB_TOKEN"
    )]
    CredentialsInUrl {
        /// The setting.
        key: &'static str,
        /// Where it came from.
        origin: Source,
    },
    /// A secret in the config file, which ends up in backups and support bundles.
    #[error(
        "{key} in {} is a secret and is not read from the config file: set {var} in the environment \
         instead (the service's EnvironmentFile, mode 0600)",
        path.display()
    )]
    SecretInFile {
        /// The setting.
        key: &'static str,
        /// Its environment variable.
        var: &'static str,
        /// The config file.
        path: PathBuf,
    },
    /// A key the config file should not have.
    #[error("unknown key {key:?} in {}: known keys are {known}", path.display())]
    UnknownKey {
        /// The unknown key.
        key: String,
        /// The config file.
        path: PathBuf,
        /// Every known key, comma separated.
        known: String,
    },
    /// A config file that cannot be read.
    #[error("cannot read config file {} (from {source_of_path}): {error}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Where its path came from.
        source_of_path: Source,
        /// The IO error.
        error: std::io::Error,
    },
    /// A config file that is not valid TOML.
    #[error("config file {} is not valid TOML: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, on one line.
        message: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(
        key: &'static str,
        value: &str,
        source: &Source,
        expected: impl Into<String>,
    ) -> Self {
        Self::InvalidValue {
            key,
            value: value.chars().take(80).collect(),
            origin: source.clone(),
            expected: expected.into(),
        }
    }
}

impl Refusal {
    /// The error naming `key`, its `value` (unless the key is a secret) and its `source`.
    pub(crate) fn into_error(self, key: &'static Key, value: &str, source: &Source) -> ConfigError {
        match self {
            Self::Credentials => ConfigError::CredentialsInUrl { key: key.name, origin: source.clone() },
            Self::Expected(expected) if key.is_secret() => {
                ConfigError::InvalidSecret { key: key.name, origin: source.clone(), expected }
            }
            Self::Expected(expected) => ConfigError::invalid(key.name, value, source, expected),
        }
    }
}
