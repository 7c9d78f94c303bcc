//! core-ide's settings: what can be configured, from where, and how bad values are reported.
//!
//! Every setting is one [`Key`] in [`KEYS`]: its TOML name, its `CORE_*` environment variable
//! and its flag. The clap arguments are built from that table ([`ConfigArgs`]), and so is the
//! list of environment variables the binaries read ([`env_vars`]), so no hand-kept list can
//! drift. Layers, lowest first: built-in defaults, the TOML file (`--config`, default
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
mod error;
mod keys;
mod render;
mod settings;

pub use args::ConfigArgs;
pub use error::ConfigError;
pub use keys::{EnvVar, KEYS, Key, env_vars, find_key};
pub use settings::{Environment, Host, Mode, Secret, Settings, Source, default_config_path};
