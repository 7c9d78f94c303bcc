//! The structural snapshot of one pull request in its epic flow.

use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::epic_kind::EpicKind;
use crate::names::{BodyDigest, CommitSha, RepoName, RepoOwner, RepoSlug, ThreadId};

/// State of a pull request, spelled as GitHub's GraphQL `PullRequestState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PrState {
    /// Open for review or merge.
    Open,
    /// Closed without being merged.
    Closed,
    /// Merged into its base branch.
    Merged,
}

/// Whether GitHub can merge the PR, spelled as GraphQL `MergeableState`.
///
/// `Unknown` means GitHub has not computed it yet (after a push or a base-branch move):
/// no merge-related action may be taken on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mergeable {
    /// Merges cleanly.
    Mergeable,
    /// Conflicts with its base branch.
    Conflicting,
    /// Not computed yet; ask again next cycle.
    Unknown,
}

/// The head commit's check rollup, spelled as GraphQL `StatusState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckStatus {
    /// Every check passed.
    Success,
    /// A check failed.
    Failure,
    /// A check is still running.
    Pending,
    /// A check errored.
    Error,
    /// A required check has not reported yet.
    Expected,
}

/// Why GitHub would or would not merge the PR now, spelled as GraphQL `MergeStateStatus`.
///
/// GitHub's own verdict over mergeability, branch protection (required reviews, required
/// checks, the up-to-date rule, conversation resolution) and the checks: the merge step
/// decides from it, since `enablePullRequestAutoMerge` is refused on a `CLEAN` or `UNSTABLE`
/// PR and `mergePullRequest` on a `BLOCKED` or `BEHIND` one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MergeStateStatus {
    /// The head ref is out of date (the base requires branches to be up to date).
    Behind,
    /// The merge is blocked (required reviews or checks missing, change requests, ...).
    Blocked,
    /// Mergeable and passing commit status.
    Clean,
    /// The merge commit cannot be cleanly created.
    Dirty,
    /// Blocked because the PR is a draft (deprecated by GitHub in favour of `isDraft`).
    Draft,
    /// Mergeable with passing commit status and pre-receive hooks.
    HasHooks,
    /// Not determined yet: look again next cycle. The default for signals that do not say.
    #[default]
    Unknown,
    /// Mergeable with non-passing commit status (a non-required check failing or pending).
    Unstable,
}

/// The review verdict GitHub derives for the PR, spelled as GraphQL `PullRequestReviewDecision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewDecision {
    /// Approved by the required reviewers.
    Approved,
    /// A reviewer requested changes.
    ChangesRequested,
    /// A review is required before merging.
    ReviewRequired,
}

/// The state of the checks that decide a merge: those the base branch requires, or every
/// check when it requires none (a repository without branch protection still has its CI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RequiredChecks {
    /// The head has no check run and no commit status at all: the repository has no CI.
    /// Counts as passing unless `require_checks` is on.
    NoneConfigured,
    /// Some are queued, running or expected; none failed.
    Pending,
    /// All passed (or were skipped or neutral).
    Success,
    /// At least one failed, errored, timed out or was cancelled.
    Failure,
}

macro_rules! github_spelling {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// GitHub's spelling of the value.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

github_spelling!(PrState { Open => "OPEN", Closed => "CLOSED", Merged => "MERGED" });
github_spelling!(Mergeable { Mergeable => "MERGEABLE", Conflicting => "CONFLICTING", Unknown => "UNKNOWN" });
github_spelling!(CheckStatus {
    Success => "SUCCESS",
    Failure => "FAILURE",
    Pending => "PENDING",
    Error => "ERROR",
    Expected => "EXPECTED",
});
github_spelling!(MergeStateStatus {
    Behind => "BEHIND",
    Blocked => "BLOCKED",
    Clean => "CLEAN",
    Dirty => "DIRTY",
    Draft => "DRAFT",
    HasHooks => "HAS_HOOKS",
    Unknown => "UNKNOWN",
    Unstable => "UNSTABLE",
});
github_spelling!(ReviewDecision {
    Approved => "APPROVED",
    ChangesRequested => "CHANGES_REQUESTED",
    ReviewRequired => "REVIEW_REQUIRED",
});
github_spelling!(RequiredChecks {
    NoneConfigured => "NONE_CONFIGURED",
    Pending => "PENDING",
    Success => "SUCCESS",
    Failure => "FAILURE",
});

/// One unresolved review thread: its opaque id and when its last comment was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnresolvedThread {
    /// GraphQL node id of the thread, used to resolve it.
    pub id: ThreadId,
    /// Time of the thread's last comment.
    pub last_comment_at: DateTime<Utc>,
    /// GitHub marks the thread outdated: a later commit changed the lines it comments on.
    #[serde(default)]
    pub outdated: bool,
    /// The thread's last comment is by one of the agents (it answered the thread).
    #[serde(default)]
    pub answered_by_agent: bool,
}

/// Who or what a waiting PR waits on: a person must hear of the waits on a person, and a
/// wait on the agent or the checks that lasts too long is escalated to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitingOn {
    /// The coding agent: a command went out and no commit answered it yet.
    Agent,
    /// CI: the deciding checks are queued, running or expected.
    Checks,
    /// A person: a review, a stop label, a thread only its author may resolve, a setting.
    Person,
    /// GitHub itself: computing mergeability, merging an armed PR, running its merge queue.
    Github,
}

impl WaitingOn {
    /// The snake-case spelling, as stored and journaled.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Checks => "checks",
            Self::Person => "person",
            Self::Github => "github",
        }
    }

    /// Reads the stored spelling back.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Agent, Self::Checks, Self::Person, Self::Github].into_iter().find(|w| w.as_str() == text)
    }
}

impl fmt::Display for WaitingOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Github => "GitHub",
            other => other.as_str(),
        })
    }
}

impl RequiredChecks {
    /// Who moves next while a step waits for these checks: CI while they run, the agent
    /// when they fail (it is sent the CI command), a person when there is no CI to wait for
    /// (`require_checks`).
    #[must_use]
    pub fn waiting_on(self) -> WaitingOn {
        match self {
            Self::Pending => WaitingOn::Checks,
            Self::Failure => WaitingOn::Agent,
            Self::NoneConfigured => WaitingOn::Person,
            Self::Success => WaitingOn::Github,
        }
    }
}

/// A wait the pipeline remembers: on whom, since when (on the current head commit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waiting {
    /// Who or what the PR waits on.
    pub on: WaitingOn,
    /// When the runner first saw this wait on this head.
    pub since: DateTime<Utc>,
}

/// What the pipeline itself remembers of a PR, from its state store: the runner fills it in
/// before deciding, a forge never does. Empty (nothing remembered) in what a source returns;
/// a signal file for `core-ide simulate` may set it to try the escalation rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrMemory {
    /// When the runner read the signal, by its clock: waits are measured up to it, and no
    /// time-based rule applies without it.
    #[serde(default)]
    pub observed_at: Option<DateTime<Utc>>,
    /// Fix commands sent on the current head commit. None of them is answered: the answer
    /// to a command is a new commit.
    #[serde(default)]
    pub commands_on_head: u32,
    /// Fix commands since the PR last made progress (another action performed on it),
    /// whatever their head: counted against `fix_command_limit`.
    #[serde(default)]
    pub commands_without_progress: u32,
    /// The rule of the latest fix command (`conflict`, `review`, `ci`), when it was sent on
    /// the current head.
    #[serde(default)]
    pub last_command: Option<String>,
    /// When the latest fix command on the current head was sent.
    #[serde(default)]
    pub last_command_at: Option<DateTime<Utc>>,
    /// The wait of the previous cycles on this head, if the PR was waiting.
    #[serde(default)]
    pub waiting: Option<Waiting>,
}

impl PrMemory {
    /// True when nothing is remembered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// How long ago `at` was, by the runner's clock; `None` without an observation time.
    #[must_use]
    pub fn elapsed_since(&self, at: DateTime<Utc>) -> Option<std::time::Duration> {
        self.observed_at.map(|now| (now - at).to_std().unwrap_or_default())
    }

    /// How long the PR has waited on `on`, when it was already waiting on it.
    #[must_use]
    pub fn waited_on(&self, on: WaitingOn) -> Option<std::time::Duration> {
        self.waiting.filter(|w| w.on == on).and_then(|w| self.elapsed_since(w.since))
    }
}

/// A duration as people read it in a reason: `45s`, `12m`, `2h 5m`, `3d 4h`.
#[must_use]
pub fn human_duration(duration: std::time::Duration) -> String {
    let secs = duration.as_secs();
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// Structural snapshot of one (epic, child, PR) triple.
///
/// It holds numbers, enums, validated names and opaque ids only: never a title, a body, a
/// comment or any other free text from the forge, so nothing a stranger wrote can steer a
/// handler or leak into the journal. A PR linked to no epic has `epic_number` and
/// `child_number` 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PipelineSignal {
    /// Owner of the repository holding the PR, the child and the epic.
    pub repo_owner: RepoOwner,
    /// Name of that repository.
    pub repo_name: RepoName,
    /// Issue number of the epic, 0 when the PR belongs to no epic.
    pub epic_number: u64,
    /// Issue number of the child the PR closes, 0 when there is none.
    pub child_number: u64,
    /// Pull request number.
    pub pr_number: u64,
    /// Open, closed or merged.
    pub pr_state: PrState,
    /// True while the PR is a draft.
    pub is_draft: bool,
    /// GitHub's mergeability verdict.
    pub mergeable: Mergeable,
    /// Check rollup of the head commit.
    pub check_status: CheckStatus,
    /// Review threads on the PR.
    pub threads_total: u32,
    /// Review threads already resolved.
    pub threads_resolved: u32,
    /// Head commit of the PR.
    pub last_commit_sha: CommitSha,
    /// When the head commit was made.
    pub last_commit_at: DateTime<Utc>,
    /// When the latest review was submitted, if any.
    pub last_review_at: Option<DateTime<Utc>>,
    /// True while the child issue is open.
    pub child_open: bool,
    /// True when the child's checkbox in the epic body is ticked.
    pub parent_ticked: bool,
    /// True when auto-merge is already requested on the PR.
    pub auto_merge_enabled: bool,
    /// True when the agent answered the latest review round: the head is another commit than
    /// the one the latest change-requesting or commenting review by someone other than the
    /// PR's author and the agents was made on (by commit id; by time only when the review
    /// names no commit).
    pub has_fix_commit_after_review: bool,
    /// The unresolved threads, as many as `threads_total - threads_resolved`.
    #[serde(default)]
    pub unresolved_threads: Vec<UnresolvedThread>,
    /// GitHub's merge verdict (`mergeStateStatus`); `UNKNOWN` when not given.
    #[serde(default)]
    pub merge_state: MergeStateStatus,
    /// The checks that decide a merge (required ones, or all when none is required); `None`
    /// when the signal does not say, and then `check_status` decides (see
    /// [`PipelineSignal::deciding_checks`]).
    #[serde(default)]
    pub required_checks: Option<RequiredChecks>,
    /// A check the base branch does not require is failing: it never blocks a merge.
    #[serde(default)]
    pub optional_checks_failing: bool,
    /// GitHub's review verdict, `None` when no review is required and none was given.
    #[serde(default)]
    pub review_decision: Option<ReviewDecision>,
    /// The repository allows auto-merge (`Repository.autoMergeAllowed`).
    #[serde(default)]
    pub auto_merge_allowed: bool,
    /// Auto-merge was armed by this pipeline's own account (so it may disarm it).
    #[serde(default)]
    pub auto_merge_ours: bool,
    /// The base branch merges through a merge queue (`isMergeQueueEnabled`).
    #[serde(default)]
    pub merge_queue: bool,
    /// The PR is in its base branch's merge queue (`isInMergeQueue`).
    #[serde(default)]
    pub in_merge_queue: bool,
    /// The PR was authored by one of the configured coding agents (`agent_logins`).
    #[serde(default)]
    pub author_is_agent: bool,
    /// The PR carries the configured `scope_label`.
    #[serde(default)]
    pub scope_label: bool,
    /// The PR carries one of the configured `stop_labels`: no handler touches it.
    #[serde(default)]
    pub stop_label: bool,
    /// Review threads GitHub counts beyond the pages the source read (a follow-up read failed
    /// or was cut by its budget; the signal does not list them): no merge action while any is
    /// unread, since one may be open. 0 once every page is read.
    #[serde(default)]
    pub threads_unread: u32,
    /// An opaque digest (16 hex digits of sha256) of the names of the failing deciding
    /// checks, so a new set of failures is told from the same one without a check name (text
    /// a repository chose) in the signal. `None` when none fails.
    #[serde(default)]
    pub failing_checks: Option<String>,
    /// What the pipeline remembers of the PR (its state store, not the forge).
    #[serde(default, skip_serializing_if = "PrMemory::is_empty")]
    pub memory: PrMemory,
    /// Owner of the epic's repository when it is not the PR's: an epic listing
    /// `- [ ] owner/other#7`, or a sub-issue's parent in another repository. `None`: the PR's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epic_repo_owner: Option<RepoOwner>,
    /// Name of that repository, with `epic_repo_owner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epic_repo_name: Option<RepoName>,
    /// How the child belongs to the epic: a task-list item to tick (`CHECKLIST`, the default)
    /// or a GitHub sub-issue, which has no box (`SUB_ISSUE`).
    #[serde(default, skip_serializing_if = "EpicKind::is_checklist")]
    pub epic_kind: EpicKind,
    /// SHA-256 of the epic body the source read: `tick_parent` writes only over that very body
    /// (see `body_edit`). `None` when the source did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epic_body_sha256: Option<BodyDigest>,
    /// How many children of the epic are unfinished (task-list items still open or unticked,
    /// sub-issues still open), when the source knows every one of them; `close_epic` closes
    /// the epic at 0. `None`: not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epic_open_children: Option<u32>,
}

/// A signal whose fields contradict each other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalError {
    /// More threads resolved than exist.
    #[error("threads_resolved ({resolved}) is larger than threads_total ({total})")]
    MoreResolvedThanTotal {
        /// `threads_resolved`.
        resolved: u32,
        /// `threads_total`.
        total: u32,
    },
    /// The thread list does not match the counts.
    #[error(
        "unresolved_threads lists {listed} threads but threads_total - threads_resolved is {expected}: list one entry per unresolved thread"
    )]
    ThreadListMismatch {
        /// Entries in `unresolved_threads`.
        listed: usize,
        /// `threads_total - threads_resolved`.
        expected: u32,
    },
    /// A child without an epic, or an epic without a child.
    #[error(
        "epic_number is {epic} but child_number is {child}: both are 0 for a PR outside any epic, or both are set"
    )]
    HalfLinked {
        /// `epic_number`.
        epic: u64,
        /// `child_number`.
        child: u64,
    },
}

impl PipelineSignal {
    /// The repository as `owner/name`.
    #[must_use]
    pub fn repo(&self) -> RepoSlug {
        RepoSlug::new(self.repo_owner.clone(), self.repo_name.clone())
    }

    /// Review threads still unresolved, by count.
    #[must_use]
    pub fn unresolved_count(&self) -> u32 {
        self.threads_total.saturating_sub(self.threads_resolved)
    }

    /// True when the PR is linked to a child of an epic.
    #[must_use]
    pub fn in_epic(&self) -> bool {
        self.epic_number != 0 && self.child_number != 0
    }

    /// The state of the checks that decide a merge: `required_checks` when the source gave
    /// it, else the head's rollup (`check_status`).
    #[must_use]
    pub fn deciding_checks(&self) -> RequiredChecks {
        self.required_checks.unwrap_or(match self.check_status {
            CheckStatus::Success => RequiredChecks::Success,
            CheckStatus::Pending | CheckStatus::Expected => RequiredChecks::Pending,
            CheckStatus::Failure | CheckStatus::Error => RequiredChecks::Failure,
        })
    }

    /// True when the pipeline may touch the PR at all: it closes a child of an open epic, or
    /// a coding agent wrote it, or it carries the scope label. Anything else is a person's
    /// work on a shared repository and is never touched.
    #[must_use]
    pub fn in_scope(&self) -> bool {
        self.in_epic() || self.author_is_agent || self.scope_label
    }

    /// Checks that the fields agree with each other; sources and `core-ide simulate` call it
    /// before a signal reaches the dispatcher.
    pub fn check_consistency(&self) -> Result<(), SignalError> {
        if self.threads_resolved > self.threads_total {
            return Err(SignalError::MoreResolvedThanTotal {
                resolved: self.threads_resolved,
                total: self.threads_total,
            });
        }
        let expected = self.unresolved_count();
        if self.unresolved_threads.len() != expected as usize {
            return Err(SignalError::ThreadListMismatch { listed: self.unresolved_threads.len(), expected });
        }
        if (self.epic_number == 0) != (self.child_number == 0) {
            return Err(SignalError::HalfLinked { epic: self.epic_number, child: self.child_number });
        }
        Ok(())
    }
}
