//! core-ide's settings: what can be configured, from where, and how bad values are reported.
//!
//! Every setting is one [`Key`] in [`KEYS`]: its TOML name, its `CORE_*` environment variable,
//! its flag, its default, its parser, how `core-ide config` shows it and what the docs say it
//! accepts. The clap arguments ([`ConfigArgs`]), the list of environment variables the
//! binaries read ([`env_vars`]), the defaults, `core-ide config` and the settings table of
//! docs/configuration.md ([`settings_table`]) are all built from that table, so no hand-kept
//! list can drift. Layers, lowest first: built-in defaults, the TOML file (`--config`, default
//! `~/.config/core-ide/config.toml`), `CORE_*` variables, flags.
//!
//! Secrets (the token, the database URL, webhook URLs) are read from the environment only, held
//! as [`Secret`]s and never printed, not even in an error.
//!
//! A bad value fails with one line naming the key, the value, where it came from and what is
//! accepted. This crate reads the config file and the environment; it does not create
//! directories or touch the network.
#![deny(missing_docs)]

mod args;
mod doc_table;
mod env_vars;
mod error;
mod key;
mod layers;
mod parse;
mod refusal;
mod registry;
mod render;
mod settings;
mod toml_value;

pub use args::ConfigArgs;
pub use doc_table::settings_table;
pub use env_vars::{EnvVar, env_vars};
pub use error::ConfigError;
pub use key::{DefaultValue, Flag, Key, Shortcut};
pub use registry::{KEYS, find_key};
pub use settings::{Environment, Host, Mode, Secret, Settings, Source, default_config_path};
