//! Stage 8: a merged child PR ticks its line in the epic's checklist.

use async_trait::async_trait;
use jobrunner_core::checklist::TickOutcome;
use jobrunner_core::{
    ActionId, ActionKey, FailureClass, Forge, ForgeError, JobHandler, Match, PipelineSignal, PrState,
};

/// Ticks `- [ ] #child` in the epic body once the child's PR is merged, editing only that
/// checkbox.
#[derive(Debug, Clone, Copy, Default)]
pub struct TickParent;

impl TickParent {
    /// The handler's name.
    pub const NAME: &'static str = "tick_parent";
}

#[async_trait]
impl JobHandler for TickParent {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn effect_visible(&self, _key: &ActionKey, signal: &PipelineSignal) -> bool {
        signal.parent_ticked
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        if signal.pr_state != PrState::Merged || !signal.in_epic() || signal.parent_ticked {
            return Match::No;
        }
        Match::Act {
            reason: format!(
                "PR merged and child #{} is unticked in epic #{}",
                signal.child_number, signal.epic_number
            ),
            key: ActionKey::for_signal(signal, ActionId::new(Self::NAME)),
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        let repo = signal.repo();
        let body = forge.issue_body(&repo, signal.epic_number).await?;
        match forge.checklist_grammar().tick(&body, &repo, signal.child_number) {
            TickOutcome::Ticked(new_body) => {
                forge.edit_issue_body(&repo, signal.epic_number, &new_body).await
            }
            // Someone ticked it between the poll and now: the goal is reached.
            TickOutcome::AlreadyTicked => Ok(()),
            TickOutcome::NotListed => Err(ForgeError::new(
                "tick_parent",
                FailureClass::Conflict,
                format!(
                    "child #{} is no longer listed in the task list of epic {repo}#{}",
                    signal.child_number, signal.epic_number
                ),
            )),
        }
    }
}
