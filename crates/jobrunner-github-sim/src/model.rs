//! The entities the simulator stores: repositories, issues, pull requests and what hangs off
//! them. Plain data with public fields, so a test can read or adjust anything; the rules of
//! how they change live in [`crate::scenario`] and the API modules.

use std::collections::BTreeMap;

use crate::checks::{self, CheckState, NamedCheck};
use crate::clock::Timestamp;
use crate::protection::Protection;

/// A pull request's state, as GitHub's GraphQL `PullRequestState` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrState {
    /// Open for review or merge.
    Open,
    /// Closed without being merged.
    Closed,
    /// Merged into its base branch.
    Merged,
}

/// An issue's state, as GitHub's `IssueState` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueState {
    /// Open.
    Open,
    /// Closed; see [`Issue::state_reason`].
    Closed,
}

/// Why an issue was closed or reopened, as REST's `state_reason` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateReason {
    /// `completed`.
    Completed,
    /// `not_planned`.
    NotPlanned,
    /// `reopened`.
    Reopened,
}

impl StateReason {
    /// REST spelling.
    #[must_use]
    pub fn as_rest(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::NotPlanned => "not_planned",
            Self::Reopened => "reopened",
        }
    }

    /// Parses REST's spelling.
    #[must_use]
    pub fn from_rest(value: &str) -> Option<Self> {
        match value {
            "completed" => Some(Self::Completed),
            "not_planned" => Some(Self::NotPlanned),
            "reopened" => Some(Self::Reopened),
            _ => None,
        }
    }
}

/// How a pull request is merged, as GitHub's `PullRequestMergeMethod` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MergeMethod {
    /// A merge commit.
    Merge,
    /// Squash and merge.
    Squash,
    /// Rebase and merge.
    Rebase,
}

/// A review's verdict, as GitHub's `PullRequestReviewState` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewState {
    /// Approved.
    Approved,
    /// Changes requested.
    ChangesRequested,
    /// Comments only.
    Commented,
    /// Dismissed.
    Dismissed,
    /// Not submitted yet.
    Pending,
}

/// One repository and everything in it.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Owner login, e.g. `octo`.
    pub owner: String,
    /// Repository name, e.g. `app`.
    pub name: String,
    /// GitHub's numeric id; also the key inside node ids.
    pub database_id: u64,
    /// The default branch, e.g. `main`; linked issues close when a PR merges into it.
    pub default_branch: String,
    /// Branch name to head commit SHA.
    pub branches: BTreeMap<String, String>,
    /// Commit SHA to its checks: checks hang off commits, not pull requests. A commit listed
    /// with no checks is known but has no CI (no check run, no status).
    pub checks: BTreeMap<String, Vec<NamedCheck>>,
    /// Branch protection per base branch name (absent: unprotected).
    pub protections: BTreeMap<String, Protection>,
    /// The repository setting "Allow auto-merge" (GraphQL `autoMergeAllowed`, REST
    /// `allow_auto_merge`).
    pub auto_merge_allowed: bool,
    /// Pre-receive hooks run on merges (GitHub Enterprise Server): mergeable PRs read
    /// `HAS_HOOKS` instead of `CLEAN`.
    pub pre_receive_hooks: bool,
    /// Old `owner/name`s this repository answered to before a rename.
    pub former_names: Vec<String>,
    /// Every request to this repository is refused `403` (REST) or `FORBIDDEN` (GraphQL).
    pub forbidden: bool,
    /// The last push to any of its branches (REST `pushed_at`).
    pub pushed_at: Option<Timestamp>,
    /// The repository runs CI: new commits get checks. Without CI no commit has a check run
    /// or a status.
    pub has_ci: bool,
    /// Issues by number (pull requests live in [`Repo::pulls`]; the two share numbers).
    pub issues: BTreeMap<u64, Issue>,
    /// Pull requests by number.
    pub pulls: BTreeMap<u64, PullRequest>,
    /// Releases, oldest first (GitHub lists them newest first).
    pub releases: Vec<Release>,
}

/// A release of a repository and the files attached to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// GitHub's numeric id.
    pub id: u64,
    /// The tag, such as `v2.0.0`.
    pub tag: String,
    /// Marked as a pre-release.
    pub prerelease: bool,
    /// A draft: listed only to callers with push access.
    pub draft: bool,
    /// When it was published (and created: the simulator publishes at once).
    pub published_at: crate::clock::Timestamp,
    /// The attached files.
    pub assets: Vec<ReleaseAsset>,
}

/// A file attached to a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseAsset {
    /// GitHub's numeric id.
    pub id: u64,
    /// The file name.
    pub name: String,
    /// The content.
    pub bytes: Vec<u8>,
}

impl Repo {
    /// `owner/name`.
    #[must_use]
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    /// Head SHA of the default branch.
    #[must_use]
    pub fn default_head(&self) -> &str {
        self.branches.get(&self.default_branch).map_or("", String::as_str)
    }

    /// Numbers of the open pull requests, ascending.
    #[must_use]
    pub fn open_pr_numbers(&self) -> Vec<u64> {
        self.pulls.values().filter(|pr| pr.is_open()).map(|pr| pr.number).collect()
    }

    /// The rolled-up check state of `sha`, `None` when nothing reported on it (including a
    /// commit without CI).
    #[must_use]
    pub fn check(&self, sha: &str) -> Option<CheckState> {
        self.checks.get(sha).and_then(|c| checks::rollup(c))
    }

    /// The named checks of `sha`: `None` for a commit the simulator does not know, empty for
    /// a commit without CI.
    #[must_use]
    pub fn checks_of(&self, sha: &str) -> Option<&[NamedCheck]> {
        self.checks.get(sha).map(Vec::as_slice)
    }

    /// The protection of branch `branch`, if it is protected.
    #[must_use]
    pub fn protection(&self, branch: &str) -> Option<&Protection> {
        self.protections.get(branch)
    }
}

/// An issue comment (on an issue or, as GitHub does, on a pull request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Numeric id, unique in the simulator.
    pub id: u64,
    /// The text.
    pub body: String,
    /// Login of the author.
    pub author: String,
    /// When it was posted.
    pub created_at: Timestamp,
}

/// An issue (not a pull request).
#[derive(Debug, Clone)]
pub struct Issue {
    /// Number in its repository.
    pub number: u64,
    /// Numeric id, unique in the simulator.
    pub id: u64,
    /// Title.
    pub title: String,
    /// Body (Markdown); an epic's body holds its checklist.
    pub body: String,
    /// Open or closed.
    pub state: IssueState,
    /// Why it was closed or reopened.
    pub state_reason: Option<StateReason>,
    /// Label names.
    pub labels: Vec<String>,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
    /// Login of the author.
    pub author: String,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change to the issue itself.
    pub updated_at: Timestamp,
    /// When it was closed, while closed.
    pub closed_at: Option<Timestamp>,
    /// The issue this one is a sub-issue of (GraphQL `Issue.parent`), as `(owner/name,
    /// number)`: sub-issues may live in another repository of the same owner.
    pub parent: Option<(String, u64)>,
}

/// One commit of a pull request's head branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// 40 lowercase hex digits.
    pub sha: String,
    /// Login of the commit's author (the coding agent for the simulator's fix commits).
    pub author: String,
    /// Commit message.
    pub message: String,
    /// Commit time.
    pub committed_at: Timestamp,
}

/// A comment in a review thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewComment {
    /// Numeric id, unique in the simulator.
    pub id: u64,
    /// The text.
    pub body: String,
    /// Login of the author.
    pub author: String,
    /// When it was posted.
    pub created_at: Timestamp,
}

/// A review thread on a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewThread {
    /// Numeric id, unique in the simulator; also the key inside the thread's node id.
    pub id: u64,
    /// Resolved or not.
    pub resolved: bool,
    /// File the thread comments on.
    pub path: String,
    /// Line in that file.
    pub line: u32,
    /// Comments, oldest first.
    pub comments: Vec<ReviewComment>,
    /// The lines it comments on changed in a later commit (GraphQL `isOutdated`).
    pub outdated: bool,
}

/// A submitted review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// Numeric id, unique in the simulator.
    pub id: u64,
    /// The verdict.
    pub state: ReviewState,
    /// Review summary text.
    pub body: String,
    /// Login of the reviewer.
    pub author: String,
    /// Submission time.
    pub submitted_at: Timestamp,
    /// The head commit the review was submitted on (GraphQL `PullRequestReview.commit`).
    pub commit_sha: String,
}

/// Where a queued PR stands, as GitHub's `MergeQueueEntryState` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueState {
    /// Waiting for the merge group's checks.
    AwaitingChecks,
    /// Locked while the queue merges it.
    Locked,
    /// Its checks passed; it merges next.
    Mergeable,
    /// Queued, not yet in a merge group.
    Queued,
    /// Its checks failed; it will be removed.
    Unmergeable,
}

/// A PR's entry in its base branch's merge queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    /// When it was queued.
    pub enqueued_at: Timestamp,
    /// Who queued it.
    pub enqueued_by: String,
    /// Queued at the front (`jump: true`).
    pub jump: bool,
    /// Where it stands.
    pub state: QueueState,
    /// The head it was queued with.
    pub head_sha: String,
}

/// A pending auto-merge request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoMerge {
    /// When it was enabled.
    pub enabled_at: Timestamp,
    /// The merge method to use.
    pub method: MergeMethod,
}

/// A pull request.
#[derive(Debug, Clone)]
pub struct PullRequest {
    /// Number in its repository (shared with issues).
    pub number: u64,
    /// Numeric id, unique in the simulator.
    pub id: u64,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Login of the author.
    pub author: String,
    /// Open, closed or merged.
    pub state: PrState,
    /// Draft or ready for review.
    pub draft: bool,
    /// Head branch name.
    pub head_ref: String,
    /// Base branch name.
    pub base_ref: String,
    /// Commits, oldest first; the last is the head. Never empty.
    pub commits: Vec<Commit>,
    /// What GitHub computes once it has: `Some(true)` mergeable, `Some(false)` conflicting,
    /// `None` never computable (served as unknown forever).
    pub mergeable: Option<bool>,
    /// How many more reads serve mergeability as unknown before the computed value shows:
    /// GitHub computes it in the background after a push or a base move.
    pub unknown_reads: u32,
    /// Review threads.
    pub threads: Vec<ReviewThread>,
    /// Submitted reviews, oldest first.
    pub reviews: Vec<Review>,
    /// Auto-merge, when enabled.
    pub auto_merge: Option<AutoMerge>,
    /// Login of who enabled [`PullRequest::auto_merge`] (GraphQL `enabledBy`).
    pub auto_merge_by: Option<String>,
    /// The head of the base branch that the head branch contains (the last time the head
    /// merged or was branched from the base): behind the base when the base moved since.
    pub base_sha: String,
    /// The PR's entry in its base branch's merge queue, while queued.
    pub queue_entry: Option<QueueEntry>,
    /// Issue numbers this PR closes (GraphQL `closingIssuesReferences`).
    pub closes: Vec<u64>,
    /// Label names.
    pub labels: Vec<String>,
    /// Issue comments on the PR, oldest first.
    pub comments: Vec<Comment>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change GitHub counts as an update of the PR (not checks, not mergeability).
    pub updated_at: Timestamp,
    /// When it merged.
    pub merged_at: Option<Timestamp>,
    /// Who merged it through the API (REST `merged_by`); `None` for GitHub's auto-merge and
    /// the merge queue, and for PRs built merged.
    pub merged_by: Option<String>,
    /// The merge method a client merged it with.
    pub merged_with: Option<MergeMethod>,
    /// When it closed (also set on merge).
    pub closed_at: Option<Timestamp>,
}

impl PullRequest {
    /// The head commit.
    #[must_use]
    pub fn head(&self) -> &Commit {
        self.commits.last().expect("a pull request always has at least one commit")
    }

    /// SHA of the head commit.
    #[must_use]
    pub fn head_sha(&self) -> &str {
        &self.head().sha
    }

    /// Open (not closed, not merged).
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.state == PrState::Open
    }

    /// Unresolved review threads.
    #[must_use]
    pub fn unresolved_threads(&self) -> usize {
        self.threads.iter().filter(|t| !t.resolved).count()
    }

    /// Submission time of the latest review.
    #[must_use]
    pub fn last_review_at(&self) -> Option<Timestamp> {
        self.reviews.iter().map(|r| r.submitted_at).max()
    }

    /// Serves mergeability for one read: unknown while reads are pending, then the computed
    /// value. Each call counts as a read.
    pub fn read_mergeable(&mut self) -> Option<bool> {
        if self.unknown_reads > 0 {
            self.unknown_reads -= 1;
            return None;
        }
        self.mergeable
    }
}
