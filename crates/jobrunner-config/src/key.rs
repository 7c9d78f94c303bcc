//! What one setting is: the descriptor every other part of the crate reads.

use std::fmt;

use crate::refusal::Refusal;
use crate::settings::{Host, Settings};

/// One setting, described once. The clap arguments, the environment variables, the defaults,
/// the parsing of every layer, `core-ide config` and the table of docs/configuration.md all
/// come from its [`KEYS`](crate::KEYS) entry.
pub struct Key {
    /// Name in the TOML file and in error messages.
    pub name: &'static str,
    /// Environment variable.
    pub env: &'static str,
    /// How it is given on the command line, if it is.
    pub flag: Flag,
    /// Placeholder shown in `--help`.
    pub value_name: &'static str,
    /// One line for `--help` and the list of variables; `--help` adds the default.
    pub help: &'static str,
    /// The built-in value, below every layer.
    pub default: DefaultValue,
    /// What is accepted, in Markdown: the last column of the docs' table.
    pub accepted: &'static str,
    /// Stores a layered value in its field of [`Settings`], or says why it cannot.
    pub(crate) parse: fn(&str, &Host, &mut Settings) -> Result<(), Refusal>,
    /// How `core-ide config` shows the field.
    pub(crate) render: Render,
}

impl Key {
    /// A secret: read from the environment only (never a flag, which `ps` shows, nor the config
    /// file, which ends up in backups), and never printed.
    #[must_use]
    pub fn is_secret(&self) -> bool {
        matches!(self.render, Render::Secret(_))
    }

    /// The `--help` line: the help and the default.
    #[must_use]
    pub fn help_with_default(&self) -> String {
        match self.default.shown() {
            Some(shown) => format!("{} [default: {shown}]", self.help),
            None => self.help.to_owned(),
        }
    }
}

// A key is its name (names are unique, a test says so): this keeps `ConfigArgs` comparable
// without comparing function pointers.
impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key").field("name", &self.name).field("env", &self.env).finish_non_exhaustive()
    }
}

/// How a setting is given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// No flag: the variable only. Secrets are so, since flags show in `ps` output.
    None,
    /// `--LONG VALUE`, and shortcut flags that each stand for one value.
    Value {
        /// The flag without its dashes.
        long: &'static str,
        /// Flags such as `--headless` for `--mode headless`.
        shortcuts: &'static [Shortcut],
    },
    /// `--LONG` alone means true; `--LONG=BOOL` sets either, so a flag can undo a file's true.
    Switch {
        /// The flag without its dashes.
        long: &'static str,
    },
}

impl Flag {
    /// `--LONG VALUE` without shortcuts.
    #[must_use]
    pub const fn value(long: &'static str) -> Self {
        Self::Value { long, shortcuts: &[] }
    }

    /// The long flag without its dashes, if there is one.
    #[must_use]
    pub fn long(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::Value { long, .. } | Self::Switch { long } => Some(long),
        }
    }

    /// The shortcut flags.
    #[must_use]
    pub fn shortcuts(self) -> &'static [Shortcut] {
        match self {
            Self::Value { shortcuts, .. } => shortcuts,
            Self::None | Self::Switch { .. } => &[],
        }
    }
}

/// A flag that stands for one value of a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortcut {
    /// The flag without its dashes.
    pub flag: &'static str,
    /// The value it sets.
    pub value: &'static str,
    /// One line for `--help`, which adds what it is the same as.
    pub help: &'static str,
}

/// A setting's built-in value, in the syntax of the file and the variables, so that it goes
/// through the same parser as every layer.
#[derive(Debug, Clone, Copy)]
pub enum DefaultValue {
    /// This text; empty for a setting that is unset by default.
    Text(&'static str),
    /// Worked out on the host when the settings are loaded.
    OnHost {
        /// How `--help` and the docs name it.
        shown: &'static str,
        /// The value on `host`.
        value: fn(&Host) -> String,
    },
}

impl DefaultValue {
    /// The value on `host`.
    #[must_use]
    pub fn on(self, host: &Host) -> String {
        match self {
            Self::Text(text) => text.to_owned(),
            Self::OnHost { value, .. } => value(host),
        }
    }

    /// How `--help` and the docs name it; `None` when the setting is unset by default.
    #[must_use]
    pub fn shown(self) -> Option<&'static str> {
        match self {
            Self::Text("") => None,
            Self::Text(text) | Self::OnHost { shown: text, .. } => Some(text),
        }
    }
}

/// How `core-ide config` shows a setting.
pub(crate) enum Render {
    /// As `name = VALUE`.
    Value(fn(&Settings) -> toml::Value),
    /// As a comment saying whether it is set, never its value.
    Secret(fn(&Settings) -> bool),
}
