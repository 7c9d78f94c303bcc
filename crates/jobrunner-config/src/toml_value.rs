//! Setting values as TOML, in the syntax the parsers read back: what each descriptor's
//! renderer returns for `core-ide config`.

use std::time::Duration;

/// A TOML string.
pub(crate) fn text(value: &str) -> toml::Value {
    toml::Value::String(value.to_owned())
}

/// A duration as a TOML string in the syntax the parsers read back, such as `"1m 30s"`.
pub(crate) fn duration(value: Duration) -> toml::Value {
    text(&humantime::format_duration(value).to_string())
}

/// A TOML array of strings.
pub(crate) fn list<T: ToString>(items: &[T]) -> toml::Value {
    toml::Value::Array(items.iter().map(|item| text(&item.to_string())).collect())
}
