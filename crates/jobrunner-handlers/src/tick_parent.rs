//! Stage 8: a merged child PR ticks its line in the epic's checklist.

use async_trait::async_trait;
use jobrunner_core::checklist::TickOutcome;
use jobrunner_core::{
    ActionId, ActionKey, BodyChange, EpicKind, FailureClass, Forge, ForgeError, JobHandler, Match,
    PipelineSignal, PrState,
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
        ActionKey::for_signal(signal, ActionId::variant(Self::NAME, signal.epic_child_variant()))
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
        let grammar = forge.checklist_grammar();
        let edit = |body: &str| match grammar.tick_in(body, &epic_repo, &signal.repo(), signal.child_number) {
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
