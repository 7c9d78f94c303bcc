//! The settings table of docs/configuration.md, generated from the registry.

use std::fmt::Write;

use crate::KEYS;
use crate::key::{DefaultValue, Flag, Key};

/// The Markdown table of every setting: key, variable, flag, default and what is accepted. A
/// test keeps docs/configuration.md's copy current.
#[must_use]
pub fn settings_table() -> String {
    let mut table = "| key | variable | flag | default | accepted |\n|---|---|---|---|---|\n".to_owned();
    for key in KEYS {
        let cells =
            [code(key.name), code(key.env), flags(key), default(key.default), key.accepted.to_owned()];
        let _ = writeln!(table, "| {} |", cells.map(|cell| cell.replace('|', "\\|")).join(" | "));
    }
    table
}

fn code(text: &str) -> String {
    format!("`{text}`")
}

fn flags(key: &Key) -> String {
    match key.flag {
        Flag::None if key.is_secret() => "none (secret)".to_owned(),
        Flag::None => "none".to_owned(),
        Flag::Switch { long } => code(&format!("--{long}[={}]", key.value_name)),
        Flag::Value { long, shortcuts } => std::iter::once(long)
            .chain(shortcuts.iter().map(|s| s.flag))
            .map(|flag| code(&format!("--{flag}")))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn default(value: DefaultValue) -> String {
    match value {
        DefaultValue::Text("") => "none".to_owned(),
        DefaultValue::Text(text) => code(text),
        DefaultValue::OnHost { shown, .. } => shown.to_owned(),
    }
}
