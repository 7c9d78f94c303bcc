//! Where a signal's epic lives, and the one place the epic and child are written into an
//! action key (and read back from one).
//!
//! The PR always lives in the child's repository (it closes the child through
//! `closingIssuesReferences`); the epic may live in another one.

use crate::names::RepoSlug;
use crate::signal::PipelineSignal;

impl PipelineSignal {
    /// The repository holding the epic: `epic_repo_owner`/`epic_repo_name` when the source
    /// gave them, else the PR's.
    #[must_use]
    pub fn epic_repo(&self) -> RepoSlug {
        match (&self.epic_repo_owner, &self.epic_repo_name) {
            (Some(owner), Some(name)) => RepoSlug::new(owner.clone(), name.clone()),
            _ => self.repo(),
        }
    }

    /// The epic for reasons and logs: `#3`, or `owner/other#3` in another repository.
    #[must_use]
    pub fn epic_ref(&self) -> String {
        let epic = self.epic_repo();
        if epic == self.repo() {
            format!("#{}", self.epic_number)
        } else {
            format!("{epic}#{}", self.epic_number)
        }
    }

    /// The epic as a key's variant names it: `epic 3`, or `epic owner/other#3` when it lives
    /// in another repository than the PR (and so than the key).
    #[must_use]
    pub fn epic_variant(&self) -> String {
        let epic = self.epic_repo();
        if epic == self.repo() {
            format!("epic {}", self.epic_number)
        } else {
            format!("epic {epic}#{}", self.epic_number)
        }
    }

    /// The (epic, child) pair as a key's variant names it: `epic 3 child 7`, or `epic
    /// owner/other#3 child 7`. The child is always in the PR's repository. Two children of one
    /// PR, or one child listed in two epics, are so two different actions.
    #[must_use]
    pub fn epic_child_variant(&self) -> String {
        format!("{} child {}", self.epic_variant(), self.child_number)
    }
}

/// The epic a key's variant names (see [`PipelineSignal::epic_variant`]), read back: the key's
/// repository when the variant names no other. `None` when the variant names no epic.
#[must_use]
pub fn epic_of_variant(variant: &str, key_repo: &RepoSlug) -> Option<(RepoSlug, u64)> {
    let rest = variant.strip_prefix("epic ")?;
    let epic = rest.split(' ').next()?;
    match epic.split_once('#') {
        Some((repo, number)) => Some((RepoSlug::parse(repo).ok()?, number.parse().ok()?)),
        None => Some((key_repo.clone(), epic.parse().ok()?)),
    }
}
