//! Stage 7, the merge step: a ready PR is merged the way GitHub accepts at that moment.
//!
//! GitHub refuses `enablePullRequestAutoMerge` on a PR that is already `CLEAN` or `UNSTABLE`
//! ("Pull request is in clean status"), and `mergePullRequest` on one that is `BLOCKED` or
//! `BEHIND`, so the step is decided from `mergeStateStatus` (docs/github.md cites the sources):
//!
//! | GitHub says | the step |
//! |---|---|
//! | `CLEAN`, `HAS_HOOKS`, `UNSTABLE` with the deciding checks passing | merge now, pinned to the head (enqueue on a merge-queue branch) |
//! | `BLOCKED` (checks or reviews still pending) | arm auto-merge early, pinned to the head |
//! | `BEHIND` | update the branch (`update_branch`), else arm auto-merge |
//! | threads open, changes requested or deciding checks failing | disarm auto-merge this pipeline armed |

use async_trait::async_trait;
use jobrunner_core::{
    ActionId, ActionKey, Forge, ForgeError, JobHandler, Match, MergeMethod, MergeStateStatus, Mergeable,
    PipelineSignal, PrState, RequiredChecks, ReviewDecision, WaitingOn,
};

/// The merge step. Its name stays `enable_auto_merge` (configuration and journals name it
/// so); each way of merging is a variant of its key (`enable_auto_merge/merge`, `/arm`,
/// `/enqueue`, `/update_branch`, `/disarm`).
#[derive(Debug, Clone, Copy, Default)]
pub struct EnableAutoMerge {
    method: MergeMethod,
    update_branch: bool,
    require_checks: bool,
}

/// What the merge step does to a PR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Merge,
    Arm,
    Enqueue,
    UpdateBranch,
    Disarm,
}

impl Step {
    fn variant(self) -> &'static str {
        match self {
            Self::Merge => "merge",
            Self::Arm => "arm",
            Self::Enqueue => "enqueue",
            Self::UpdateBranch => "update_branch",
            Self::Disarm => "disarm",
        }
    }

    fn from_variant(action: &ActionId) -> Option<Self> {
        if !action.is(EnableAutoMerge::NAME) {
            return None;
        }
        let variant = action.rule()?;
        [Self::Merge, Self::Arm, Self::Enqueue, Self::UpdateBranch, Self::Disarm]
            .into_iter()
            .find(|step| step.variant() == variant)
    }
}

impl EnableAutoMerge {
    /// The handler's name.
    pub const NAME: &'static str = "enable_auto_merge";

    /// A merge step merging with `method`, updating branches that fall behind when
    /// `update_branch`, and treating a repository without CI as failing when `require_checks`.
    #[must_use]
    pub fn new(method: MergeMethod, update_branch: bool, require_checks: bool) -> Self {
        Self { method, update_branch, require_checks }
    }

    /// What keeps the PR from being merged by anyone: a person or CI still has to act.
    fn blocker(signal: &PipelineSignal) -> Option<String> {
        if signal.threads_unread > 0 {
            return Some(format!(
                "{} not read (GitHub counts more than the pages read), any of which may be open",
                jobrunner_core::count(signal.threads_unread, "review thread")
            ));
        }
        if signal.unresolved_count() > 0 {
            return Some(jobrunner_core::count(signal.unresolved_count(), "unresolved review thread"));
        }
        if signal.review_decision == Some(ReviewDecision::ChangesRequested) {
            return Some("a reviewer requested changes".to_owned());
        }
        if signal.deciding_checks() == RequiredChecks::Failure {
            return Some("required checks FAILURE".to_owned());
        }
        None
    }

    /// Who has to move on a blocked merge: the agent for open threads it has not answered or
    /// failing checks, the reviewer for a change request the agent has answered.
    fn blocked_on(signal: &PipelineSignal) -> WaitingOn {
        if signal.threads_unread > 0 {
            return WaitingOn::Github;
        }
        if signal.deciding_checks() == RequiredChecks::Failure || !signal.has_fix_commit_after_review {
            return WaitingOn::Agent;
        }
        WaitingOn::Person
    }

    /// An armed or queued PR waits on GitHub, or on its checks while they run.
    fn merging_on(signal: &PipelineSignal) -> WaitingOn {
        match signal.deciding_checks() {
            RequiredChecks::Pending => WaitingOn::Checks,
            _ => WaitingOn::Github,
        }
    }

    /// The deciding checks pass: success, or no CI at all unless checks are required.
    fn checks_pass(self, signal: &PipelineSignal) -> bool {
        match signal.deciding_checks() {
            RequiredChecks::Success => true,
            RequiredChecks::NoneConfigured => !self.require_checks,
            RequiredChecks::Pending | RequiredChecks::Failure => false,
        }
    }

    fn decide(self, signal: &PipelineSignal) -> Result<(Step, String), (String, WaitingOn)> {
        if let Some(blocker) = Self::blocker(signal) {
            if signal.auto_merge_enabled && signal.auto_merge_ours {
                return Ok((Step::Disarm, format!("{blocker}: withdraw the auto-merge this pipeline armed")));
            }
            return Err((format!("merge waits: {blocker}"), Self::blocked_on(signal)));
        }
        if signal.deciding_checks() == RequiredChecks::NoneConfigured && self.require_checks {
            return Err((
                "merge waits: no checks configured on the head and require_checks is on".to_owned(),
                WaitingOn::Person,
            ));
        }
        if signal.in_merge_queue {
            return Err((
                "in the merge queue: waiting for GitHub to merge".to_owned(),
                Self::merging_on(signal),
            ));
        }
        if signal.auto_merge_enabled {
            return Err((
                "auto-merge armed: waiting for GitHub to merge".to_owned(),
                Self::merging_on(signal),
            ));
        }
        let state = signal.merge_state;
        match state {
            MergeStateStatus::Clean | MergeStateStatus::HasHooks | MergeStateStatus::Unstable
                if self.checks_pass(signal) =>
            {
                if signal.merge_queue {
                    Ok((Step::Enqueue, format!("{state}, checks pass: add to the merge queue")))
                } else {
                    Ok((Step::Merge, format!("{state}, checks pass: merge now ({})", self.method)))
                }
            }
            MergeStateStatus::Clean | MergeStateStatus::HasHooks | MergeStateStatus::Unstable => Err((
                format!(
                    "merge waits for checks (required checks {}; GitHub refuses auto-merge on a {state} PR)",
                    signal.deciding_checks()
                ),
                signal.deciding_checks().waiting_on(),
            )),
            MergeStateStatus::Behind if self.update_branch => {
                Ok((Step::UpdateBranch, "BEHIND its base: update the branch".to_owned()))
            }
            MergeStateStatus::Behind | MergeStateStatus::Blocked => self.arm(signal),
            MergeStateStatus::Unknown => Err((
                "merge state UNKNOWN: GitHub is still computing it; looking again next cycle".to_owned(),
                WaitingOn::Github,
            )),
            MergeStateStatus::Dirty | MergeStateStatus::Draft => {
                Err((format!("merge waits: GitHub says {state}"), WaitingOn::Agent))
            }
        }
    }

    /// Auto-merge armed early on a PR GitHub cannot merge yet, where the repository allows it.
    fn arm(self, signal: &PipelineSignal) -> Result<(Step, String), (String, WaitingOn)> {
        let state = signal.merge_state;
        if !signal.auto_merge_allowed {
            let fix = if state == MergeStateStatus::Behind {
                "update the branch, or allow auto-merge in the repository's settings"
            } else {
                "allow auto-merge in the repository's settings to have GitHub merge it"
            };
            return Err((
                format!("{state} and the repository does not allow auto-merge: waiting ({fix})"),
                WaitingOn::Person,
            ));
        }
        Ok((Step::Arm, format!("{state}: arm auto-merge ({}) so GitHub merges once it can", self.method)))
    }
}

#[async_trait]
impl JobHandler for EnableAutoMerge {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn effect_visible(&self, key: &ActionKey, signal: &PipelineSignal) -> bool {
        let merged = signal.pr_state == PrState::Merged;
        match Step::from_variant(&key.action) {
            Some(Step::Merge) => merged,
            Some(Step::Enqueue) => merged || signal.in_merge_queue,
            Some(Step::Arm) => merged || signal.in_merge_queue || signal.auto_merge_enabled,
            // GitHub answers an update with a new head commit.
            Some(Step::UpdateBranch) => merged || signal.last_commit_sha != key.head_sha,
            Some(Step::Disarm) => !signal.auto_merge_enabled,
            // A key of the single-step era: it armed auto-merge.
            None => merged || signal.auto_merge_enabled,
        }
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        if signal.pr_state != PrState::Open || signal.is_draft || signal.mergeable == Mergeable::Conflicting {
            return Match::No;
        }
        if signal.mergeable == Mergeable::Unknown {
            return Match::Wait {
                reason: "mergeability UNKNOWN: GitHub is still computing it; looking again next cycle"
                    .to_owned(),
                on: WaitingOn::Github,
            };
        }
        match self.decide(signal) {
            Ok((step, reason)) => {
                let action = ActionId::variant(Self::NAME, step.variant());
                // Arming and disarming may alternate on one head as reviews come and go:
                // binding them to the latest review lets each round act once.
                let key = match step {
                    Step::Arm | Step::Disarm => {
                        ActionKey::for_signal(signal, action).with_review(signal.last_review_at)
                    }
                    Step::Merge | Step::Enqueue | Step::UpdateBranch => ActionKey::for_signal(signal, action),
                };
                Match::Act { reason, key }
            }
            Err((reason, on)) => Match::Wait { reason, on },
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        let (repo, pr, head) = (signal.repo(), signal.pr_number, &signal.last_commit_sha);
        let step = match self.matches(signal) {
            Match::Act { key, .. } => Step::from_variant(&key.action),
            Match::Wait { .. } | Match::No => None,
        };
        match step {
            Some(Step::Merge) => forge.merge(&repo, pr, head, self.method).await,
            Some(Step::Arm) => forge.enable_auto_merge(&repo, pr, head, self.method).await,
            Some(Step::Enqueue) => forge.enqueue(&repo, pr, head).await,
            Some(Step::UpdateBranch) => forge.update_branch(&repo, pr, head).await,
            Some(Step::Disarm) => forge.disable_auto_merge(&repo, pr).await,
            None => Ok(()),
        }
    }
}
