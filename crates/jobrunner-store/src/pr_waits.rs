//! What each waiting PR waits on, and since when: the clock of the escalation rules
//! (`agent_timeout`, `stuck_after`) and `core-status`'s list of PRs waiting on a person.
//!
//! The runner writes a row when a PR starts waiting on someone on a head, keeps it (and its
//! `since`) while the wait stays the same, replaces it when the wait or the head changes and
//! deletes it when the PR stops waiting. The reason is the decision's, built from structural
//! fields only.

use chrono::{DateTime, Utc};
use jobrunner_core::{CommitSha, RepoSlug, WaitingOn};

/// Every waiting PR, oldest wait first.
pub(crate) const ALL: &str =
    "SELECT repo, pr, waiting_on, head_sha, since, reason FROM pr_waits ORDER BY since, repo, pr";

/// Records the wait of PR `$2` in repo `$1`, replacing any earlier one.
pub(crate) const PUT: &str = "INSERT INTO pr_waits (repo, pr, waiting_on, head_sha, since, reason) \
     VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (repo, pr) DO UPDATE SET waiting_on = excluded.waiting_on, head_sha = excluded.head_sha, \
     since = excluded.since, reason = excluded.reason";

/// Forgets the wait of PR `$2` in repo `$1`.
pub(crate) const CLEAR: &str = "DELETE FROM pr_waits WHERE repo = $1 AND pr = $2";

/// One waiting PR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrWait {
    /// Repository of the PR.
    pub repo: RepoSlug,
    /// The PR.
    pub pr: u64,
    /// Who or what it waits on.
    pub on: WaitingOn,
    /// The head commit the wait is on: a new head starts a new wait.
    pub head_sha: CommitSha,
    /// When the runner first saw this wait.
    pub since: DateTime<Utc>,
    /// The decision's reason (structural).
    pub reason: String,
}
