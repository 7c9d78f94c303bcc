//! [`PrSpec`]: the description of a pull request a test hands to
//! [`SimState::with_pr`](crate::SimState::with_pr).

use crate::checks::{CheckState, NamedCheck};
use crate::clock::Timestamp;
use crate::model::{MergeMethod, PrState};

/// One review thread to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThreadSpec {
    /// Already resolved.
    pub resolved: bool,
    /// Time of its one comment; `None` uses the review time.
    pub comment_at: Option<Timestamp>,
}

/// A pull request to add. Every time left `None` is taken from the logical clock, in the
/// order created < head commit < review < auto-merge < merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrSpec {
    /// PR number (shares the number space with issues).
    pub number: u64,
    /// Child issues it closes (`closingIssuesReferences`); missing ones are created open.
    pub closes: Vec<u64>,
    /// Draft.
    pub draft: bool,
    /// State of the one check (`ci`) on the head commit, unless [`PrSpec::named_checks`] is
    /// set.
    pub checks: CheckState,
    /// Named checks on the head commit instead of the one `ci` check; `Some(empty)`: no CI at
    /// all (no check run, no status).
    pub named_checks: Option<Vec<NamedCheck>>,
    /// Login of the author; `None` is [`crate::HUMAN_LOGIN`].
    pub author: Option<String>,
    /// Label names.
    pub labels: Vec<String>,
    /// Approving reviews on the head commit, from distinct reviewers.
    pub approvals: u32,
    /// A review requesting changes on the head commit (without threads).
    pub changes_requested: bool,
    /// Computed mergeability: `Some(true)` MERGEABLE, `Some(false)` CONFLICTING, `None`
    /// never computed (always UNKNOWN).
    pub mergeable: Option<bool>,
    /// Review threads.
    pub threads: Vec<ThreadSpec>,
    /// Time of the review that opened the threads; `None` uses the clock when there are
    /// threads, and means no review otherwise.
    pub review_at: Option<Timestamp>,
    /// Time of the head commit; `None` uses the clock.
    pub commit_at: Option<Timestamp>,
    /// Auto-merge enabled with this method.
    pub auto_merge: Option<MergeMethod>,
    /// Open, closed or merged.
    pub state: PrState,
    /// Base branch; `None` is the repository's default branch.
    pub base: Option<String>,
    /// Head branch; `None` is `fix/issue-{first child}` (or `change/pr-{number}`).
    pub head: Option<String>,
}

impl PrSpec {
    /// An open, ready PR with green checks, mergeable, no threads, no auto-merge, closing
    /// nothing, based on the default branch.
    #[must_use]
    pub fn new(number: u64) -> Self {
        Self {
            number,
            closes: Vec::new(),
            draft: false,
            checks: CheckState::Success,
            named_checks: None,
            author: None,
            labels: Vec::new(),
            approvals: 0,
            changes_requested: false,
            mergeable: Some(true),
            threads: Vec::new(),
            review_at: None,
            commit_at: None,
            auto_merge: None,
            state: PrState::Open,
            base: None,
            head: None,
        }
    }

    /// Closes these child issues.
    #[must_use]
    pub fn closes(mut self, children: &[u64]) -> Self {
        self.closes = children.to_vec();
        self
    }

    /// Draft or ready.
    #[must_use]
    pub fn draft(mut self, draft: bool) -> Self {
        self.draft = draft;
        self
    }

    /// Check state of the head commit: one check named `ci` (replaces named checks).
    #[must_use]
    pub fn checks(mut self, checks: CheckState) -> Self {
        self.checks = checks;
        self.named_checks = None;
        self
    }

    /// Check runs on the head commit, by name, instead of the one `ci` check; added to any
    /// named checks given before. An empty slice alone means no CI at all.
    #[must_use]
    pub fn check_runs(mut self, runs: &[(&str, CheckState)]) -> Self {
        let named = self.named_checks.get_or_insert_with(Vec::new);
        named.extend(runs.iter().map(|&(name, state)| NamedCheck::check_run(name, state)));
        self
    }

    /// Commit statuses on the head commit, by context, instead of the one `ci` check; added
    /// to any named checks given before.
    #[must_use]
    pub fn statuses(mut self, statuses: &[(&str, CheckState)]) -> Self {
        let named = self.named_checks.get_or_insert_with(Vec::new);
        named.extend(statuses.iter().map(|&(name, state)| NamedCheck::status(name, state)));
        self
    }

    /// No CI: the head has no check run and no status (`statusCheckRollup: null`).
    #[must_use]
    pub fn no_checks(self) -> Self {
        self.check_runs(&[])
    }

    /// Authored by `login` (default [`crate::HUMAN_LOGIN`]; the agent is
    /// [`crate::AGENT_LOGIN`]).
    #[must_use]
    pub fn author(mut self, login: &str) -> Self {
        self.author = Some(login.to_owned());
        self
    }

    /// Carries these labels.
    #[must_use]
    pub fn labels(mut self, labels: &[&str]) -> Self {
        self.labels = labels.iter().map(|l| (*l).to_owned()).collect();
        self
    }

    /// `n` approving reviews on the head commit, from distinct reviewers.
    #[must_use]
    pub fn approvals(mut self, n: u32) -> Self {
        self.approvals = n;
        self
    }

    /// A review requesting changes on the head commit (no threads).
    #[must_use]
    pub fn changes_requested(mut self) -> Self {
        self.changes_requested = true;
        self
    }

    /// The checks the head commit starts with.
    pub(crate) fn head_checks(&self) -> Vec<NamedCheck> {
        self.named_checks.clone().unwrap_or_else(|| vec![NamedCheck::legacy(self.checks)])
    }

    /// Computed mergeability (`None`: never computed).
    #[must_use]
    pub fn mergeable(mut self, mergeable: Option<bool>) -> Self {
        self.mergeable = mergeable;
        self
    }

    /// Adds `n` unresolved threads whose comment is at the review time.
    #[must_use]
    pub fn threads(mut self, n: usize) -> Self {
        self.threads.extend(std::iter::repeat_n(ThreadSpec::default(), n));
        self
    }

    /// Adds `n` resolved threads.
    #[must_use]
    pub fn resolved_threads(mut self, n: usize) -> Self {
        self.threads.extend(std::iter::repeat_n(ThreadSpec { resolved: true, comment_at: None }, n));
        self
    }

    /// Adds one thread as described.
    #[must_use]
    pub fn thread(mut self, thread: ThreadSpec) -> Self {
        self.threads.push(thread);
        self
    }

    /// Time of the review.
    #[must_use]
    pub fn review_at(mut self, at: Timestamp) -> Self {
        self.review_at = Some(at);
        self
    }

    /// Time of the head commit.
    #[must_use]
    pub fn commit_at(mut self, at: Timestamp) -> Self {
        self.commit_at = Some(at);
        self
    }

    /// Auto-merge enabled with `method`.
    #[must_use]
    pub fn auto_merge(mut self, method: MergeMethod) -> Self {
        self.auto_merge = Some(method);
        self
    }

    /// Open, closed or merged.
    #[must_use]
    pub fn state(mut self, state: PrState) -> Self {
        self.state = state;
        self
    }

    /// Base branch.
    #[must_use]
    pub fn base(mut self, base: &str) -> Self {
        self.base = Some(base.to_owned());
        self
    }

    /// Head branch.
    #[must_use]
    pub fn head(mut self, head: &str) -> Self {
        self.head = Some(head.to_owned());
        self
    }
}
