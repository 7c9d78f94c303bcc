//! Stage 9: once the epic is ticked, the merged PR's child issue is closed as completed.

use async_trait::async_trait;
use jobrunner_core::{
    ActionId, ActionKey, Forge, ForgeError, JobHandler, Match, PipelineSignal, PrState, WaitingOn,
};

/// Closes the child issue as completed after its PR merged and the epic ticked it.
#[derive(Debug, Clone, Copy, Default)]
pub struct CloseChild;

impl CloseChild {
    /// The handler's name.
    pub const NAME: &'static str = "close_child";
}

#[async_trait]
impl JobHandler for CloseChild {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn effect_visible(&self, _key: &ActionKey, signal: &PipelineSignal) -> bool {
        !signal.child_open
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        if signal.pr_state != PrState::Merged || !signal.in_epic() || !signal.child_open {
            return Match::No;
        }
        if !signal.parent_ticked {
            return Match::Wait {
                reason: format!(
                    "child #{} stays open until epic #{} ticks it",
                    signal.child_number, signal.epic_number
                ),
                on: WaitingOn::Github,
            };
        }
        Match::Act {
            reason: format!(
                "PR merged, epic #{} ticked, child #{} still open",
                signal.epic_number, signal.child_number
            ),
            key: ActionKey::for_signal(signal, ActionId::new(Self::NAME)),
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        forge.close_issue(&signal.repo(), signal.child_number).await
    }
}
