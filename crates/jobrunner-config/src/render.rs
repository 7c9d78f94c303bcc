//! `core-ide config`: the effective settings as annotated TOML.

use std::fmt::Write;

use crate::KEYS;
use crate::key::Render;
use crate::settings::{Settings, Source};

impl Settings {
    /// The `effective configuration` as TOML, each line annotated with its source and the
    /// token redacted.
    #[must_use]
    pub fn render_toml(&self) -> String {
        render(self)
    }
}

/// Lines up to this many characters have their source comments aligned.
const ALIGN_UP_TO: usize = 100;

/// One `key = value  # source` line per setting, values in TOML syntax; secrets (the token
/// included) as comments saying whether they are set and from where, never their value.
fn render(settings: &Settings) -> String {
    let mut lines = vec![
        "# Effective core-ide configuration. Highest wins: flag > CORE_* variable > config file > default."
            .to_owned(),
    ];
    match &settings.config_file {
        Some(path) => lines.push(format!("# config file: {}", path.display())),
        None => lines.push("# config file: none".to_owned()),
    }
    let rows: Vec<(String, &Source)> = KEYS
        .iter()
        .filter_map(|key| match key.render {
            Render::Value(value) => {
                Some((format!("{} = {}", key.name, value(settings)), &settings.sources[key.name]))
            }
            Render::Secret(_) => None,
        })
        .collect();
    // Sources line up after the short lines; a long one (a 65,536-character command, 10,000
    // repositories) is not padded to, and `format!`'s own padding is not used: it panics on a
    // width over 65,535.
    let width =
        rows.iter().map(|(line, _)| line.chars().count()).filter(|n| *n <= ALIGN_UP_TO).max().unwrap_or(0);
    for (line, source) in rows {
        let pad = " ".repeat(width.saturating_sub(line.chars().count()));
        lines.push(format!("{line}{pad}  # {source}"));
    }
    for key in KEYS {
        let Render::Secret(is_set) = key.render else { continue };
        match (is_set(settings), &settings.sources[key.name]) {
            (true, source) => lines.push(format!("# {}: set from {source} (redacted)", key.name)),
            (false, _) => lines.push(format!("# {}: not set ({})", key.name, key.env)),
        }
    }
    match &settings.github_token {
        Some((var, _)) => lines.push(format!("# github token: set from {var} (redacted)")),
        None => lines.push("# github token: not set (export CORE_GITHUB_TOKEN to set one)".to_owned()),
    }
    lines.into_iter().fold(String::new(), |mut out, line| {
        let _ = writeln!(out, "{line}");
        out
    })
}
