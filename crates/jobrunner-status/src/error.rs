//! What stops core-status before it can report: bad input, each one line.

use std::path::PathBuf;

/// A reason core-status cannot report or act. Every variant is bad input (exit code 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// The settings do not load.
    #[error(transparent)]
    Config(#[from] jobrunner_config::ConfigError),
    /// A silenced id that names no check.
    #[error("unknown check id {id:?}: the ids are listed in docs/status-checks.md")]
    UnknownCheck {
        /// The id given.
        id: String,
    },
    /// A file named on the command line that exists but cannot be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    Unreadable {
        /// What the file is (`env file`).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A webhook URL the notifier refuses; the message names the variable, never the URL.
    #[error("{var}: {reason}")]
    BadWebhook {
        /// The variable that set it.
        var: String,
        /// Why it is refused.
        reason: String,
    },
    /// `--binary` names no file.
    #[error("no core-ide binary at {}: pass the path of the installed core-ide", path.display())]
    NoBinary {
        /// The path given.
        path: PathBuf,
    },
}
