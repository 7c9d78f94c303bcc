//! [`Refusal`]: why a key's parser refused a value, before the value's origin is known. A leaf
//! of the crate: the parsers and the descriptors use it, and `error.rs` turns it into a
//! `ConfigError` once the key and the origin are known.

/// Why a key's parser refused a value, before it is known where the value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// What is accepted instead.
    Expected(String),
    /// The value holds `user:password@`, so it is refused without being repeated.
    Credentials,
}

impl From<String> for Refusal {
    fn from(expected: String) -> Self {
        Self::Expected(expected)
    }
}
