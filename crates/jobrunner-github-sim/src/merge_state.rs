//! Whether a pull request can merge now, and if not why: GitHub's `mergeStateStatus`
//! (REST `mergeable_state`) and `reviewDecision`, derived from the PR's state and its base
//! branch's [`Protection`]. The sources of each rule are cited in `docs/github.md`.

use std::collections::BTreeMap;

use crate::checks::CheckState;
use crate::model::{PrState, PullRequest, Repo, ReviewState};
use crate::protection::Protection;

/// GitHub's `MergeStateStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MergeStatus {
    /// "The head ref is out of date": behind the base under a strict up-to-date rule.
    Behind,
    /// "The merge is blocked": required reviews, checks or conversation resolution missing.
    Blocked,
    /// "Mergeable and passing commit status."
    Clean,
    /// "The merge commit cannot be cleanly created": conflicting.
    Dirty,
    /// "The merge is blocked due to the pull request being a draft."
    Draft,
    /// "Mergeable with passing commit status and pre-receive hooks."
    HasHooks,
    /// "The state cannot currently be determined": mergeability not computed yet.
    Unknown,
    /// "Mergeable with non-passing commit status": a check that is not required fails or
    /// is still running.
    Unstable,
}

impl MergeStatus {
    /// REST's `mergeable_state` spelling.
    #[must_use]
    pub fn as_rest(self) -> &'static str {
        match self {
            Self::Behind => "behind",
            Self::Blocked => "blocked",
            Self::Clean => "clean",
            Self::Dirty => "dirty",
            Self::Draft => "draft",
            Self::HasHooks => "has_hooks",
            Self::Unknown => "unknown",
            Self::Unstable => "unstable",
        }
    }

    /// The states GitHub merges in right away (`mergePullRequest` succeeds, and
    /// `enablePullRequestAutoMerge` is refused because there is nothing to wait for): gh's
    /// `isImmediatelyMergeable`.
    #[must_use]
    pub fn is_immediately_mergeable(self) -> bool {
        matches!(self, Self::Clean | Self::HasHooks | Self::Unstable)
    }
}

/// GitHub's `PullRequestReviewDecision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewDecision {
    /// Approved (as many approvals as required, or at least one where none is required).
    Approved,
    /// A reviewer's latest verdict requests changes.
    ChangesRequested,
    /// Reviews are required and not given yet.
    ReviewRequired,
}

/// The review decision of `pr` under `protection`: per reviewer only the latest approving,
/// change-requesting or dismissed review counts. `None` (GraphQL `null`) when no review is
/// required and nobody approved or requested changes.
#[must_use]
pub fn review_decision(pr: &PullRequest, protection: Option<&Protection>) -> Option<ReviewDecision> {
    let mut latest: BTreeMap<&str, ReviewState> = BTreeMap::new();
    for review in &pr.reviews {
        if matches!(
            review.state,
            ReviewState::Approved | ReviewState::ChangesRequested | ReviewState::Dismissed
        ) {
            latest.insert(&review.author, review.state);
        }
    }
    let approvals = latest.values().filter(|s| **s == ReviewState::Approved).count();
    let required = protection.map_or(0, |p| p.required_approvals);
    if latest.values().any(|s| *s == ReviewState::ChangesRequested) {
        Some(ReviewDecision::ChangesRequested)
    } else if required > 0 {
        let enough = u32::try_from(approvals).unwrap_or(u32::MAX) >= required;
        Some(if enough { ReviewDecision::Approved } else { ReviewDecision::ReviewRequired })
    } else {
        (approvals > 0).then_some(ReviewDecision::Approved)
    }
}

/// The merge state of `pr` in `repo` when its mergeability reads `mergeable` (the caller has
/// done the read; `None` is "not computed yet").
#[must_use]
pub fn merge_status(repo: &Repo, pr: &PullRequest, mergeable: Option<bool>) -> MergeStatus {
    let protection = repo.protection(&pr.base_ref);
    match mergeable {
        _ if pr.state != PrState::Open => MergeStatus::Unknown,
        None => MergeStatus::Unknown,
        Some(false) => MergeStatus::Dirty,
        Some(true) if pr.draft => MergeStatus::Draft,
        Some(true) if blocked(repo, pr, protection) => MergeStatus::Blocked,
        Some(true) if protection.is_some_and(|p| p.strict) && is_behind(repo, pr) => MergeStatus::Behind,
        Some(true) if !optional_checks_pass(repo, pr, protection) => MergeStatus::Unstable,
        Some(true) if repo.pre_receive_hooks => MergeStatus::HasHooks,
        Some(true) => MergeStatus::Clean,
    }
}

/// The head does not contain the base branch's current head.
#[must_use]
pub fn is_behind(repo: &Repo, pr: &PullRequest) -> bool {
    repo.branches.get(&pr.base_ref).is_some_and(|base| *base != pr.base_sha)
}

/// Something the protection requires is missing: approvals, a change request standing, a
/// required check not green (absent counts as expected), an unresolved conversation.
fn blocked(repo: &Repo, pr: &PullRequest, protection: Option<&Protection>) -> bool {
    let Some(protection) = protection else { return false };
    let reviews_missing = protection.required_approvals > 0
        && review_decision(pr, Some(protection)) != Some(ReviewDecision::Approved);
    let checks = repo.checks_of(pr.head_sha()).unwrap_or_default();
    let required_failing = protection
        .required_checks
        .iter()
        .any(|name| checks.iter().find(|c| &c.name == name).is_none_or(|c| c.state != CheckState::Success));
    let conversations = protection.conversation_resolution && pr.unresolved_threads() > 0;
    reviews_missing || required_failing || conversations
}

/// Every check that is not required is green.
fn optional_checks_pass(repo: &Repo, pr: &PullRequest, protection: Option<&Protection>) -> bool {
    let checks = repo.checks_of(pr.head_sha()).unwrap_or_default();
    checks
        .iter()
        .filter(|c| protection.is_none_or(|p| !p.requires_check(&c.name)))
        .all(|c| c.state == CheckState::Success)
}
