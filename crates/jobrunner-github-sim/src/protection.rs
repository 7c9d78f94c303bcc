//! Branch protection, per base branch: what GitHub requires before a pull request into that
//! branch may merge. The fields are the classic branch-protection rule's settings
//! (`required_pull_request_reviews.required_approving_review_count`,
//! `required_status_checks.contexts` and `.strict`, `required_conversation_resolution`) and the
//! "Require merge queue" rule.

/// The protection of one branch. `Default` is an unprotected branch: nothing required.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protection {
    /// Approving reviews required ("Require approvals"); 0: reviews are not required.
    pub required_approvals: u32,
    /// Names of the checks (check-run names or status contexts) that must pass.
    pub required_checks: Vec<String>,
    /// "Require branches to be up to date before merging": the head must contain the base's
    /// head.
    pub strict: bool,
    /// "Require conversation resolution before merging": no unresolved review thread.
    pub conversation_resolution: bool,
    /// "Require merge queue": PRs merge only through the branch's merge queue.
    pub merge_queue: bool,
}

impl Protection {
    /// Whether a check called `name` must pass.
    #[must_use]
    pub fn requires_check(&self, name: &str) -> bool {
        self.required_checks.iter().any(|c| c == name)
    }
}
