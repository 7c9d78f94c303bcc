//! The clap arguments of the settings, built from the key registry.

use std::fmt;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::KEYS;
use crate::key::{Flag, Key, Shortcut};
use crate::settings::Source;

const CONFIG: &str = "config";

/// The settings given as flags or `CORE_*` variables, with where each came from.
///
/// Flatten it into a binary's clap parser; every argument is global, so it works before or
/// after a subcommand. Settings without a flag (the secrets, `silenced`) are read from their
/// `CORE_*` variable when the arguments are parsed, like clap reads the others.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConfigArgs {
    pub(crate) config_file: Option<(PathBuf, Source)>,
    pub(crate) given: Vec<(&'static Key, String, Source)>,
}

impl ConfigArgs {
    /// Values given for settings, with their sources, in registry order.
    pub fn given(&self) -> impl Iterator<Item = (&'static Key, &str, &Source)> {
        self.given.iter().map(|(k, v, s)| (*k, v.as_str(), s))
    }

    /// Adds the assignments of an env file (systemd's `EnvironmentFile`, or a unit's
    /// `Environment=` lines) below what the flags and the process environment already give: a
    /// setting given either way keeps that value. Within one file the last assignment wins, as
    /// with systemd. Variables that name no setting are ignored here.
    ///
    /// core-status uses this to read a node's configuration the way its service sees it.
    #[must_use]
    pub fn with_env_file<'a>(
        mut self,
        path: &Path,
        vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let from_this_file = |source: &Source| matches!(source, Source::EnvFile { path: p, .. } if p == path);
        for (name, value) in vars {
            if name == "CORE_CONFIG" {
                if self.config_file.as_ref().is_none_or(|(_, source)| from_this_file(source)) {
                    let source = Source::EnvFile { path: path.to_owned(), var: "CORE_CONFIG" };
                    self.config_file = Some((PathBuf::from(value), source));
                }
                continue;
            }
            let Some(key) = KEYS.iter().find(|k| k.env == name) else { continue };
            if let Some(index) = self.given.iter().position(|(k, _, _)| k.name == key.name) {
                if !from_this_file(&self.given[index].2) {
                    continue;
                }
                self.given.remove(index);
            }
            self.given.push((key, value.to_owned(), Source::EnvFile { path: path.to_owned(), var: key.env }));
        }
        self
    }
}

impl ConfigArgs {
    /// Reads the settings that have no flag from their variables, as clap reads the others.
    fn read_flagless(&mut self, lookup: impl Fn(&str) -> Option<std::ffi::OsString>) {
        for key in KEYS.iter().filter(|k| k.flag == Flag::None) {
            if let Some(value) = lookup(key.env) {
                self.replace(key, value.to_string_lossy().into_owned(), Source::Env(key.env));
            }
        }
    }

    /// Gives `key` this value, in place of any it had.
    fn replace(&mut self, key: &'static Key, value: String, source: Source) {
        self.given.retain(|(k, _, _)| k.name != key.name);
        self.given.push((key, value, source));
    }
}

impl fmt::Debug for ConfigArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let given: Vec<(&str, &str, &Source)> = self
            .given
            .iter()
            .map(|(k, v, s)| (k.name, if k.is_secret() { "<redacted>" } else { v.as_str() }, s))
            .collect();
        f.debug_struct("ConfigArgs").field("config_file", &self.config_file).field("given", &given).finish()
    }
}

/// The argument of a key with a flag, and those of its shortcuts.
fn key_args(key: &'static Key, long: &'static str) -> impl Iterator<Item = Arg> {
    let mut arg = Arg::new(key.name)
        .long(long)
        .env(key.env)
        .value_name(key.value_name)
        .help(key.help_with_default())
        .global(true)
        .hide_env_values(true)
        .action(ArgAction::Set);
    if let Flag::Switch { .. } = key.flag {
        arg = arg.num_args(0..=1).default_missing_value("true").require_equals(true);
    }
    let shortcuts = key.flag.shortcuts().iter().map(move |shortcut| shortcut_arg(key, long, shortcut));
    std::iter::once(arg).chain(shortcuts)
}

/// A flag standing for one value of `key`: it conflicts with the key's flag and its other
/// shortcuts, as two values of one setting would.
fn shortcut_arg(key: &'static Key, long: &str, shortcut: &'static Shortcut) -> Arg {
    let others = key.flag.shortcuts().iter().filter(|s| s.flag != shortcut.flag).map(|s| s.flag);
    Arg::new(shortcut.flag)
        .long(shortcut.flag)
        .action(ArgAction::SetTrue)
        .help(format!("{} (same as --{long} {})", shortcut.help, shortcut.value))
        .conflicts_with_all(others.chain([key.name]))
        .global(true)
}

fn all_args() -> Vec<Arg> {
    let config = Arg::new(CONFIG)
        .long(CONFIG)
        .env("CORE_CONFIG")
        .value_name("FILE")
        .help("TOML config file [default: ~/.config/core-ide/config.toml]")
        .global(true);
    // A key without a flag would become a positional argument: its variable is read directly.
    let keys = KEYS.iter().filter_map(|key| key.flag.long().map(|long| key_args(key, long))).flatten();
    std::iter::once(config).chain(keys).collect()
}

fn source_of(matches: &ArgMatches, key: &Key, long: &str) -> Source {
    match matches.value_source(key.name) {
        Some(ValueSource::EnvVariable) => Source::Env(key.env),
        _ => Source::Flag(format!("--{long}")),
    }
}

impl FromArgMatches for ConfigArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut parsed = Self::default();
        parsed.update_from_arg_matches(matches)?;
        Ok(parsed)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        if let Some(path) = matches.get_one::<String>(CONFIG) {
            let source = match matches.value_source(CONFIG) {
                Some(ValueSource::EnvVariable) => Source::Env("CORE_CONFIG"),
                _ => Source::Flag("--config".to_owned()),
            };
            self.config_file = Some((PathBuf::from(path), source));
        }
        self.read_flagless(|var| std::env::var_os(var));
        for key in KEYS {
            let Some(long) = key.flag.long() else { continue };
            if let Some(value) = matches.get_one::<String>(key.name) {
                self.replace(key, value.clone(), source_of(matches, key, long));
            }
            for shortcut in key.flag.shortcuts().iter().filter(|s| matches.get_flag(s.flag)) {
                self.replace(key, shortcut.value.to_owned(), Source::Flag(format!("--{}", shortcut.flag)));
            }
        }
        Ok(())
    }
}

impl Args for ConfigArgs {
    fn augment_args(cmd: Command) -> Command {
        cmd.args(all_args())
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        cmd.args(all_args())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_without_a_flag_are_read_from_their_variable_and_redacted_in_debug() {
        let mut args = ConfigArgs::default();
        args.read_flagless(|var| match var {
            "CORE_DATABASE_URL" => Some("postgres://core:hunter2@db/core".into()),
            "CORE_SILENCED" => Some("env.W003".into()),
            _ => None,
        });
        let given: Vec<(&str, &Source)> = args.given().map(|(k, _, s)| (k.name, s)).collect();
        assert_eq!(
            given,
            [
                ("database_url", &Source::Env("CORE_DATABASE_URL")),
                ("silenced", &Source::Env("CORE_SILENCED"))
            ]
        );
        let debug = format!("{args:?}");
        assert!(!debug.contains("hunter2") && debug.contains("env.W003"), "{debug}");
    }

    #[test]
    fn secrets_have_no_flag_to_parse() {
        let command = ConfigArgs::augment_args(Command::new("core-ide"));
        for flag in ["--database-url", "--slack-webhook-url", "--discord-webhook-url", "--silenced"] {
            assert!(command.clone().try_get_matches_from(["core-ide", flag, "x"]).is_err(), "{flag}");
        }
    }
}
