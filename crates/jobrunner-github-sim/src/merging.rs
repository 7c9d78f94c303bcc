//! The merge step as clients drive it: enabling and disabling auto-merge, merging, queueing
//! and updating the branch, each refused the way GitHub refuses it. Each returns the
//! [`MutationRecord`]s to log; a refusal changes nothing and logs nothing. The message of each
//! refusal is GitHub's as recorded in the sources `docs/github.md` cites.

use crate::accounting::{MutationKind, MutationRecord};
use crate::checks::CheckState;
use crate::error::ApiError;
use crate::ids;
use crate::marker::TextKind;
use crate::merge_state::{MergeStatus, merge_status};
use crate::model::{AutoMerge, MergeMethod, PullRequest, QueueEntry, QueueState, Repo};
use crate::state::SimState;

/// `enablePullRequestAutoMerge` on a PR GitHub would merge right away: "Pull request Pull
/// request is in clean status" (and `unstable`, `has_hooks`).
fn in_status(status: MergeStatus) -> String {
    format!("Pull request Pull request is in {} status", status.as_rest())
}
/// `enablePullRequestAutoMerge` where the repository setting is off.
pub(crate) const AUTO_MERGE_NOT_ALLOWED: &str = "Auto merge is not allowed for this repository";
/// `enablePullRequestAutoMerge` on a closed, merged, draft or conflicting PR.
pub(crate) const NOT_IN_AUTO_MERGE_STATE: &str =
    "Pull request is not in the correct state to enable auto-merge";
/// `enablePullRequestAutoMerge` and `enqueuePullRequest` with a stale `expectedHeadOid`.
pub(crate) const HEAD_OID_MISMATCH: &str = "Head sha didn't match expected head oid";
/// A merge whose pinned head is not the head (REST 409).
pub(crate) const HEAD_MODIFIED: &str = "Head branch was modified. Review and try the merge again.";
/// A merge GitHub will not do now (REST 405).
pub(crate) const NOT_MERGEABLE: &str = "Pull Request is not mergeable";
/// Merging a draft (REST 405).
pub(crate) const STILL_DRAFT: &str = "Pull Request is still a draft";
/// Merging directly into a branch that requires a merge queue (REST 405).
pub(crate) const THROUGH_QUEUE: &str = "Changes must be made through the merge queue";
/// Merging a PR that is in the merge queue (REST 405).
pub(crate) const IN_QUEUE: &str = "Pull Request is in the merge queue";
/// Merging while GitHub has not computed mergeability (REST 405).
pub(crate) const BASE_MODIFIED: &str = "Base branch was modified. Review and try the merge again.";
/// Queueing on a branch without a merge queue (no recorded answer; see docs/github.md).
pub(crate) const NO_MERGE_QUEUE: &str = "Merge queue is not enabled for this branch";
/// Dequeueing a PR that is not queued (no recorded answer; see docs/github.md).
pub(crate) const NOT_QUEUED: &str = "Pull request is not in the merge queue";
/// Updating the branch of a queued PR.
pub(crate) const QUEUED_CANNOT_UPDATE: &str = "Branches that are queued for merging cannot be updated";
/// Updating the branch with a stale expected head (REST 422).
pub(crate) const UPDATE_HEAD_MISMATCH: &str = "expected head sha didn't match current head ref.";
/// Updating the branch of a conflicting PR (REST 422).
pub(crate) const UPDATE_CONFLICT: &str = "merge conflict between base and head";

/// A required check that is not green, by GitHub's merge refusal: "Required status check
/// \"ci\" is expected."
fn required_check_expected(name: &str) -> String {
    format!("Required status check \"{name}\" is expected.")
}

/// What a successful merge answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Merged {
    /// SHA of the merge commit.
    pub(crate) sha: String,
    pub(crate) records: Vec<MutationRecord>,
}

impl SimState {
    /// GraphQL `enablePullRequestAutoMerge`.
    pub(crate) fn enable_auto_merge(
        &mut self,
        repo: &str,
        number: u64,
        expected_head: Option<&str>,
        method: MergeMethod,
    ) -> Result<Vec<MutationRecord>, ApiError> {
        let (target, pr) = self.find_pr(repo, number)?;
        if expected_head.is_some_and(|sha| sha != pr.head_sha()) {
            return Err(ApiError::Unprocessable(HEAD_OID_MISMATCH.to_owned()));
        }
        if !pr.is_open() {
            return Err(ApiError::Unprocessable(NOT_IN_AUTO_MERGE_STATE.to_owned()));
        }
        if !target.auto_merge_allowed {
            return Err(ApiError::Unprocessable(AUTO_MERGE_NOT_ALLOWED.to_owned()));
        }
        match merge_status(target, pr, pr.mergeable) {
            status if status.is_immediately_mergeable() => {
                return Err(ApiError::Unprocessable(in_status(status)));
            }
            MergeStatus::Draft | MergeStatus::Dirty => {
                return Err(ApiError::Unprocessable(NOT_IN_AUTO_MERGE_STATE.to_owned()));
            }
            _ => {}
        }
        let at = self.tick();
        let viewer = self.viewer().to_owned();
        let pr = self.pr_mut(repo, number);
        pr.auto_merge = Some(AutoMerge { enabled_at: at, method });
        pr.auto_merge_by = Some(viewer);
        pr.updated_at = at;
        Ok(self.merge_records(repo, number, MutationKind::EnableAutoMerge))
    }

    /// GraphQL `disablePullRequestAutoMerge`: accepted on any PR; disarms what is armed.
    pub(crate) fn disable_auto_merge(
        &mut self,
        repo: &str,
        number: u64,
    ) -> Result<Vec<MutationRecord>, ApiError> {
        self.find_pr(repo, number)?;
        let at = self.tick();
        let pr = self.pr_mut(repo, number);
        if pr.auto_merge.take().is_some() {
            pr.auto_merge_by = None;
            pr.updated_at = at;
        }
        Ok(self.merge_records(repo, number, MutationKind::DisableAutoMerge))
    }

    /// GraphQL `mergePullRequest` and REST `PUT …/pulls/{n}/merge`.
    pub(crate) fn merge_pull_request(
        &mut self,
        repo: &str,
        number: u64,
        expected_head: Option<&str>,
        method: MergeMethod,
    ) -> Result<Merged, ApiError> {
        let (target, pr) = self.find_pr(repo, number)?;
        if !pr.is_open() {
            return Err(ApiError::NotMergeable(NOT_MERGEABLE.to_owned()));
        }
        if expected_head.is_some_and(|sha| sha != pr.head_sha()) {
            return Err(ApiError::HeadMoved(HEAD_MODIFIED.to_owned()));
        }
        if pr.draft {
            return Err(ApiError::NotMergeable(STILL_DRAFT.to_owned()));
        }
        if pr.queue_entry.is_some() {
            return Err(ApiError::NotMergeable(IN_QUEUE.to_owned()));
        }
        if target.protection(&pr.base_ref).is_some_and(|p| p.merge_queue) {
            return Err(ApiError::NotMergeable(THROUGH_QUEUE.to_owned()));
        }
        match merge_status(target, pr, pr.mergeable) {
            status if status.is_immediately_mergeable() => {}
            MergeStatus::Unknown => return Err(ApiError::NotMergeable(BASE_MODIFIED.to_owned())),
            MergeStatus::Blocked => {
                let message = unmet_required_check(target, pr)
                    .map_or_else(|| NOT_MERGEABLE.to_owned(), |n| required_check_expected(&n));
                return Err(ApiError::NotMergeable(message));
            }
            _ => return Err(ApiError::NotMergeable(NOT_MERGEABLE.to_owned())),
        }
        let sha = merge_commit_sha(pr);
        let viewer = self.viewer().to_owned();
        self.merge(repo, number);
        let pr = self.pr_mut(repo, number);
        pr.merged_by = Some(viewer);
        pr.merged_with = Some(method);
        Ok(Merged { sha, records: self.merge_records(repo, number, MutationKind::Merge) })
    }

    /// GraphQL `enqueuePullRequest`: the PR joins its base branch's merge queue.
    pub(crate) fn enqueue(
        &mut self,
        repo: &str,
        number: u64,
        expected_head: Option<&str>,
        jump: bool,
    ) -> Result<Vec<MutationRecord>, ApiError> {
        let (target, pr) = self.find_pr(repo, number)?;
        if expected_head.is_some_and(|sha| sha != pr.head_sha()) {
            return Err(ApiError::Unprocessable(HEAD_OID_MISMATCH.to_owned()));
        }
        if !target.protection(&pr.base_ref).is_some_and(|p| p.merge_queue) {
            return Err(ApiError::Unprocessable(NO_MERGE_QUEUE.to_owned()));
        }
        if !pr.is_open() || pr.draft {
            return Err(ApiError::Unprocessable(NOT_MERGEABLE.to_owned()));
        }
        if pr.queue_entry.is_none() {
            match merge_status(target, pr, pr.mergeable) {
                MergeStatus::Dirty => return Err(ApiError::Unprocessable(NOT_MERGEABLE.to_owned())),
                MergeStatus::Blocked => {
                    let message = unmet_required_check(target, pr).map_or_else(
                        || NOT_MERGEABLE.to_owned(),
                        |name| format!("Pull request {}", required_check_expected(&name)),
                    );
                    return Err(ApiError::Unprocessable(message));
                }
                _ => {}
            }
            let viewer = self.viewer().to_owned();
            self.join_queue(repo, number, &viewer, jump);
        }
        Ok(self.merge_records(repo, number, MutationKind::Enqueue))
    }

    /// GraphQL `dequeuePullRequest`: the PR leaves its merge queue. Answers the entry it had.
    pub(crate) fn dequeue(
        &mut self,
        repo: &str,
        number: u64,
    ) -> Result<(QueueEntry, Vec<MutationRecord>), ApiError> {
        let (_, pr) = self.find_pr(repo, number)?;
        let Some(entry) = pr.queue_entry.clone() else {
            return Err(ApiError::Unprocessable(NOT_QUEUED.to_owned()));
        };
        self.queue_drops(repo, number);
        Ok((entry, self.merge_records(repo, number, MutationKind::Dequeue)))
    }

    /// GraphQL `updatePullRequestBranch` and REST `PUT …/pulls/{n}/update-branch`: a new head
    /// commit (by the viewer) that merges the base branch's head into the head branch. Returns
    /// the records; a head already up to date gets no commit.
    pub(crate) fn update_branch(
        &mut self,
        repo: &str,
        number: u64,
        expected_head: Option<&str>,
    ) -> Result<Vec<MutationRecord>, ApiError> {
        let (target, pr) = self.find_pr(repo, number)?;
        if !pr.is_open() {
            return Err(ApiError::Unprocessable(NOT_MERGEABLE.to_owned()));
        }
        if expected_head.is_some_and(|sha| sha != pr.head_sha()) {
            return Err(ApiError::Unprocessable(UPDATE_HEAD_MISMATCH.to_owned()));
        }
        if pr.queue_entry.is_some() {
            return Err(ApiError::Unprocessable(QUEUED_CANNOT_UPDATE.to_owned()));
        }
        if pr.mergeable == Some(false) {
            return Err(ApiError::Unprocessable(UPDATE_CONFLICT.to_owned()));
        }
        if crate::merge_state::is_behind(target, pr) {
            let message = format!("Merge branch '{}' into {}", pr.base_ref, pr.head_ref);
            let message = self.text(TextKind::CommitMessage, &message);
            let viewer = self.viewer().to_owned();
            self.push_commit(repo, number, &viewer, message);
        } else {
            self.tick();
        }
        Ok(self.merge_records(repo, number, MutationKind::UpdateBranch))
    }

    /// Puts PR `number` at the end of its base branch's queue (or the front, with `jump`).
    pub(crate) fn join_queue(&mut self, repo: &str, number: u64, by: &str, jump: bool) {
        let at = self.tick();
        let pr = self.pr_mut(repo, number);
        let head_sha = pr.head_sha().to_owned();
        pr.queue_entry = Some(QueueEntry {
            enqueued_at: at,
            enqueued_by: by.to_owned(),
            jump,
            state: QueueState::Queued,
            head_sha,
        });
    }

    fn find_pr(&self, repo: &str, number: u64) -> Result<(&Repo, &PullRequest), ApiError> {
        let target = self.find_repo(repo).ok_or(ApiError::NotFound)?;
        let pr = target.pulls.get(&number).ok_or(ApiError::NotFound)?;
        Ok((target, pr))
    }

    fn merge_records(&self, repo: &str, number: u64, kind: MutationKind) -> Vec<MutationRecord> {
        let repo = self.find_repo(repo).map_or_else(|| repo.to_owned(), Repo::full_name);
        vec![MutationRecord { repo, number, kind, at: self.now() }]
    }
}

/// The first required check of `pr`'s base that is not green on its head (absent included).
pub(crate) fn unmet_required_check(repo: &Repo, pr: &PullRequest) -> Option<String> {
    let protection = repo.protection(&pr.base_ref)?;
    let checks = repo.checks_of(pr.head_sha()).unwrap_or_default();
    protection
        .required_checks
        .iter()
        .find(|name| checks.iter().find(|c| &c.name == *name).is_none_or(|c| c.state != CheckState::Success))
        .cloned()
}

/// The SHA of the merge commit of `pr` (REST `merge_commit_sha`).
pub(crate) fn merge_commit_sha(pr: &PullRequest) -> String {
    ids::sha(&format!("merge:{}", pr.head_sha()))
}
