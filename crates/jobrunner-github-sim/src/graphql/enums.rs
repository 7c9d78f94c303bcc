//! GitHub's GraphQL enums the simulator models, with their values spelled as GitHub spells
//! them, and conversions from the model.

use async_graphql::Enum;

use crate::checks;
use crate::model;

/// `PullRequestState`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PullRequestState")]
pub(crate) enum PullRequestState {
    Closed,
    Merged,
    Open,
}

impl From<model::PrState> for PullRequestState {
    fn from(state: model::PrState) -> Self {
        match state {
            model::PrState::Open => Self::Open,
            model::PrState::Closed => Self::Closed,
            model::PrState::Merged => Self::Merged,
        }
    }
}

/// `MergeableState`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "MergeableState")]
pub(crate) enum MergeableState {
    Conflicting,
    Mergeable,
    Unknown,
}

impl From<Option<bool>> for MergeableState {
    fn from(mergeable: Option<bool>) -> Self {
        match mergeable {
            Some(true) => Self::Mergeable,
            Some(false) => Self::Conflicting,
            None => Self::Unknown,
        }
    }
}

/// `StatusState`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "StatusState")]
pub(crate) enum StatusState {
    Error,
    Expected,
    Failure,
    Pending,
    Success,
}

impl From<checks::CheckState> for StatusState {
    fn from(state: checks::CheckState) -> Self {
        match state {
            checks::CheckState::Error => Self::Error,
            checks::CheckState::Expected => Self::Expected,
            checks::CheckState::Failure => Self::Failure,
            checks::CheckState::Pending => Self::Pending,
            checks::CheckState::Success => Self::Success,
        }
    }
}

/// `IssueState`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "IssueState")]
pub(crate) enum IssueState {
    Closed,
    Open,
}

impl From<model::IssueState> for IssueState {
    fn from(state: model::IssueState) -> Self {
        match state {
            model::IssueState::Open => Self::Open,
            model::IssueState::Closed => Self::Closed,
        }
    }
}

/// `PullRequestMergeMethod`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PullRequestMergeMethod")]
pub(crate) enum PullRequestMergeMethod {
    Merge,
    Rebase,
    Squash,
}

impl From<model::MergeMethod> for PullRequestMergeMethod {
    fn from(method: model::MergeMethod) -> Self {
        match method {
            model::MergeMethod::Merge => Self::Merge,
            model::MergeMethod::Rebase => Self::Rebase,
            model::MergeMethod::Squash => Self::Squash,
        }
    }
}

impl From<PullRequestMergeMethod> for model::MergeMethod {
    fn from(method: PullRequestMergeMethod) -> Self {
        match method {
            PullRequestMergeMethod::Merge => Self::Merge,
            PullRequestMergeMethod::Rebase => Self::Rebase,
            PullRequestMergeMethod::Squash => Self::Squash,
        }
    }
}

/// `PullRequestReviewState`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PullRequestReviewState")]
pub(crate) enum PullRequestReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
    Pending,
}

impl From<model::ReviewState> for PullRequestReviewState {
    fn from(state: model::ReviewState) -> Self {
        match state {
            model::ReviewState::Approved => Self::Approved,
            model::ReviewState::ChangesRequested => Self::ChangesRequested,
            model::ReviewState::Commented => Self::Commented,
            model::ReviewState::Dismissed => Self::Dismissed,
            model::ReviewState::Pending => Self::Pending,
        }
    }
}

/// `IssueOrderField`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "IssueOrderField")]
pub(crate) enum IssueOrderField {
    Comments,
    CreatedAt,
    UpdatedAt,
}

/// `OrderDirection`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OrderDirection")]
pub(crate) enum OrderDirection {
    Asc,
    Desc,
}

/// `MergeStateStatus`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "MergeStateStatus")]
pub(crate) enum MergeStateStatus {
    Behind,
    Blocked,
    Clean,
    Dirty,
    // GitHub still serves it for drafts although the schema deprecates it.
    #[graphql(
        deprecation = "DRAFT state will be removed from this enum and `isDraft` should be used instead Use PullRequest.isDraft instead. Removal on 2021-01-01 UTC."
    )]
    Draft,
    HasHooks,
    Unknown,
    Unstable,
}

impl From<crate::merge_state::MergeStatus> for MergeStateStatus {
    fn from(status: crate::merge_state::MergeStatus) -> Self {
        use crate::merge_state::MergeStatus as S;
        match status {
            S::Behind => Self::Behind,
            S::Blocked => Self::Blocked,
            S::Clean => Self::Clean,
            S::Dirty => Self::Dirty,
            S::Draft => Self::Draft,
            S::HasHooks => Self::HasHooks,
            S::Unknown => Self::Unknown,
            S::Unstable => Self::Unstable,
        }
    }
}

/// `PullRequestReviewDecision`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PullRequestReviewDecision")]
pub(crate) enum PullRequestReviewDecision {
    Approved,
    ChangesRequested,
    ReviewRequired,
}

impl From<crate::merge_state::ReviewDecision> for PullRequestReviewDecision {
    fn from(decision: crate::merge_state::ReviewDecision) -> Self {
        use crate::merge_state::ReviewDecision as D;
        match decision {
            D::Approved => Self::Approved,
            D::ChangesRequested => Self::ChangesRequested,
            D::ReviewRequired => Self::ReviewRequired,
        }
    }
}

/// `CheckStatusState`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "CheckStatusState")]
pub(crate) enum CheckStatusState {
    Completed,
    InProgress,
    Pending,
    Queued,
    Requested,
    Waiting,
}

/// `CheckConclusionState`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "CheckConclusionState")]
pub(crate) enum CheckConclusionState {
    ActionRequired,
    Cancelled,
    Failure,
    Neutral,
    Skipped,
    Stale,
    StartupFailure,
    Success,
    TimedOut,
}

/// A check run's status and conclusion for a check state: running checks are `IN_PROGRESS`,
/// expected ones `QUEUED`, errors conclude `FAILURE` (check runs have no error conclusion).
pub(crate) fn check_run_status(
    state: checks::CheckState,
) -> (CheckStatusState, Option<CheckConclusionState>) {
    match state {
        checks::CheckState::Success => (CheckStatusState::Completed, Some(CheckConclusionState::Success)),
        checks::CheckState::Failure | checks::CheckState::Error => {
            (CheckStatusState::Completed, Some(CheckConclusionState::Failure))
        }
        checks::CheckState::Pending => (CheckStatusState::InProgress, None),
        checks::CheckState::Expected => (CheckStatusState::Queued, None),
    }
}

/// `MergeQueueEntryState`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "MergeQueueEntryState")]
pub(crate) enum MergeQueueEntryState {
    AwaitingChecks,
    Locked,
    Mergeable,
    Queued,
    Unmergeable,
}

impl From<model::QueueState> for MergeQueueEntryState {
    fn from(state: model::QueueState) -> Self {
        use model::QueueState as Q;
        match state {
            Q::AwaitingChecks => Self::AwaitingChecks,
            Q::Locked => Self::Locked,
            Q::Mergeable => Self::Mergeable,
            Q::Queued => Self::Queued,
            Q::Unmergeable => Self::Unmergeable,
        }
    }
}
