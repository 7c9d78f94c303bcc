//! How a signal's child belongs to its epic: plain data the signal carries, so it depends on
//! nothing else in the crate.
//!
//! An epic names a child in one of two ways: a task-list item of its body (`- [ ] #7`, or
//! `- [ ] owner/other#7` for a child in another repository), which `tick_parent` ticks; or a
//! GitHub sub-issue (`Issue.parent`), which has no box.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How the signal's child belongs to its epic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EpicKind {
    /// A task-list item of the epic's body: its box is ticked once the PR merged. The default,
    /// for signals that do not say.
    #[default]
    Checklist,
    /// A GitHub sub-issue of the epic (`Issue.parent`): no box to tick.
    SubIssue,
}

impl EpicKind {
    /// True for [`EpicKind::Checklist`] (serde's test for leaving the default out).
    #[must_use]
    pub fn is_checklist(&self) -> bool {
        *self == Self::Checklist
    }
}
