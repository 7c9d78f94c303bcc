//! Stage 8: a merged child PR ticks its line in the epic's checklist.

use async_trait::async_trait;
use jobrunner_core::checklist::{self, TickOutcome};
use jobrunner_core::{
    ActionKey, BodyChange, EpicKind, FailureClass, Forge, ForgeError, JobHandler, Match, PipelineSignal,
    PrState,
};

/// Ticks `- [ ] #child` (or `- [ ] owner/repo#child` in an epic of another repository) in the
/// epic body once the child's PR is merged, editing only that checkbox, and only over the body
/// the decision was made on.
#[derive(Debug, Clone, Copy, Default)]
pub struct TickParent;

impl TickParent {
    /// The handler's name.
    pub const NAME: &'static str = "tick_parent";

    /// The key of ticking the signal's child in its epic: one per (epic, child), so a PR that
    /// closes two children ticks both.
    #[must_use]
    pub fn key(signal: &PipelineSignal) -> ActionKey {
        ActionKey::for_signal(signal, format!("{}/{}", Self::NAME, signal.epic_child_variant()))
    }
}

#[async_trait]
impl JobHandler for TickParent {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn effect_visible(&self, key: &ActionKey, signal: &PipelineSignal) -> bool {
        signal.parent_ticked && *key == Self::key(signal)
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        if signal.pr_state != PrState::Merged
            || !signal.in_epic()
            || signal.epic_kind != EpicKind::Checklist
            || signal.parent_ticked
        {
            return Match::No;
        }
        Match::Act {
            reason: format!(
                "PR merged and child #{} is unticked in epic {}",
                signal.child_number,
                signal.epic_ref()
            ),
            key: Self::key(signal),
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        self.execute_with_edit(signal, forge).await.map(drop)
    }

    async fn execute_with_edit(
        &self,
        signal: &PipelineSignal,
        forge: &dyn Forge,
    ) -> Result<Option<BodyChange>, ForgeError> {
        let epic_repo = signal.epic_repo();
        let edit = |body: &str| match tick_child(body, signal) {
            TickOutcome::Ticked(new_body) => Ok(Some(new_body)),
            // Someone ticked it between the poll and now: the goal is reached.
            TickOutcome::AlreadyTicked => Ok(None),
            TickOutcome::NotListed => Err(ForgeError::new(
                Self::NAME,
                FailureClass::Conflict,
                format!(
                    "child {}#{} is no longer listed in the task list of epic {epic_repo}#{}",
                    signal.repo(),
                    signal.child_number,
                    signal.epic_number
                ),
            )),
        };
        forge
            .edit_issue_body_guarded(&epic_repo, signal.epic_number, signal.epic_body_sha256.as_ref(), &edit)
            .await
    }
}

/// Ticks the signal's child in `body`. In the epic's own repository a plain `#7` names it;
/// for an epic in another repository only items naming the child's repository do (a plain
/// `#7` there is the epic repository's own issue 7).
fn tick_child(body: &str, signal: &PipelineSignal) -> TickOutcome {
    let child_repo = signal.repo();
    if signal.epic_repo() == child_repo {
        return checklist::tick(body, &child_repo, signal.child_number);
    }
    let listed: Vec<_> = checklist::items(body)
        .into_iter()
        .filter(|i| i.number == signal.child_number)
        .filter(|i| i.repo.as_ref().is_some_and(|(owner, name)| child_repo.same_repo(owner, name)))
        .collect();
    if listed.is_empty() {
        return TickOutcome::NotListed;
    }
    let mut new_body = body.to_owned();
    let mut changed = false;
    for item in listed.iter().filter(|i| !i.ticked) {
        // `[ ]`: the space between the brackets is the only byte rewritten.
        let space = item.checkbox.start + 1;
        new_body.replace_range(space..=space, "x");
        changed = true;
    }
    if changed { TickOutcome::Ticked(new_body) } else { TickOutcome::AlreadyTicked }
}
