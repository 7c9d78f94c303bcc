//! The clap arguments of the settings, built from the key registry.

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use crate::keys::{KEYS, Key};
use crate::settings::Source;

const CONFIG: &str = "config";
const HEADLESS: &str = "headless";
const DESKTOP: &str = "desktop";

/// The settings given as flags or `CORE_*` variables, with where each came from.
///
/// Flatten it into a binary's clap parser; every argument is global, so it works before or
/// after a subcommand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigArgs {
    pub(crate) config_file: Option<(PathBuf, Source)>,
    pub(crate) given: Vec<(&'static Key, String, Source)>,
}

impl ConfigArgs {
    /// Values given for settings, with their sources, in registry order.
    pub fn given(&self) -> impl Iterator<Item = (&'static Key, &str, &Source)> {
        self.given.iter().map(|(k, v, s)| (*k, v.as_str(), s))
    }
}

fn key_arg(key: &'static Key) -> Arg {
    let mut arg = Arg::new(key.name)
        .env(key.env)
        .value_name(key.value_name)
        .help(key.help)
        .global(true)
        .hide_env_values(true)
        .action(ArgAction::Set);
    if let Some(flag) = key.flag {
        arg = arg.long(flag);
    }
    if key.name == "dry_run" {
        // `--dry-run` alone means true; `--dry-run=false` overrides a file or variable.
        arg = arg.num_args(0..=1).default_missing_value("true").require_equals(true);
    }
    arg
}

fn all_args() -> Vec<Arg> {
    let mut args = vec![
        Arg::new(CONFIG)
            .long(CONFIG)
            .env("CORE_CONFIG")
            .value_name("FILE")
            .help("TOML config file [default: ~/.config/core-ide/config.toml]")
            .global(true),
        Arg::new(HEADLESS)
            .long(HEADLESS)
            .action(ArgAction::SetTrue)
            .help("Run without a desktop (same as --mode headless)")
            .conflicts_with_all([DESKTOP, "mode"])
            .global(true),
        Arg::new(DESKTOP)
            .long(DESKTOP)
            .action(ArgAction::SetTrue)
            .help("Run as a desktop tray app (same as --mode desktop)")
            .conflicts_with("mode")
            .global(true),
    ];
    args.extend(KEYS.iter().map(key_arg));
    args
}

fn source_of(matches: &ArgMatches, id: &str, key: &Key) -> Source {
    match matches.value_source(id) {
        Some(ValueSource::EnvVariable) => Source::Env(key.env),
        _ => Source::Flag(format!("--{}", key.flag.unwrap_or(key.name))),
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
        for key in KEYS {
            if let Some(value) = matches.get_one::<String>(key.name) {
                let source = source_of(matches, key.name, key);
                self.given.retain(|(k, _, _)| k.name != key.name);
                self.given.push((key, value.clone(), source));
            }
        }
        for (flag, mode) in [(HEADLESS, "headless"), (DESKTOP, "desktop")] {
            if matches.get_flag(flag) {
                let key = crate::keys::find_key("mode").expect("mode is a registered key");
                self.given.retain(|(k, _, _)| k.name != "mode");
                self.given.push((key, mode.to_owned(), Source::Flag(format!("--{flag}"))));
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
