//! The error of a forge operation: shared by the port, the guarded edit and the source, and
//! depending on none of them.

use crate::failure::FailureClass;

/// A failed forge operation: which one, its class, and a detail free of tokens and forge text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed ({class}): {detail}")]
pub struct ForgeError {
    /// The port operation that failed (`mark_ready_for_review`, `comment`, ...).
    pub operation: &'static str,
    /// What kind of failure it was.
    pub class: FailureClass,
    /// A short structural description: status code, endpoint, ids. Never a token, never a
    /// body or message written on the forge.
    pub detail: String,
}

impl ForgeError {
    /// An error of a known class.
    #[must_use]
    pub fn new(operation: &'static str, class: FailureClass, detail: impl Into<String>) -> Self {
        Self { operation, class, detail: detail.into() }
    }
}
