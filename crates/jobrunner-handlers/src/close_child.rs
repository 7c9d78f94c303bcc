//! Stage 9: once the epic is ticked, the merged PR's child issue is closed as completed.

use async_trait::async_trait;
use jobrunner_core::{
    ActionId, ActionKey, EpicKind, Forge, ForgeError, JobHandler, Match, PipelineSignal, PrState, WaitingOn,
};

/// Closes the child issue as completed after its PR merged and the epic ticked it (a sub-issue
/// has no box: it is closed once its PR merged).
#[derive(Debug, Clone, Copy, Default)]
pub struct CloseChild;

impl CloseChild {
    /// The handler's name.
    pub const NAME: &'static str = "close_child";

    /// The key of closing the signal's child for its epic: one per (epic, child).
    #[must_use]
    pub fn key(signal: &PipelineSignal) -> ActionKey {
        ActionKey::for_signal(signal, ActionId::variant(Self::NAME, signal.epic_child_variant()))
    }
}

#[async_trait]
impl JobHandler for CloseChild {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn effect_visible(&self, key: &ActionKey, signal: &PipelineSignal) -> bool {
        !signal.child_open && *key == Self::key(signal)
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        if signal.pr_state != PrState::Merged || !signal.in_epic() || !signal.child_open {
            return Match::No;
        }
        if signal.epic_kind == EpicKind::Checklist && !signal.parent_ticked {
            return Match::Wait {
                reason: format!(
                    "child #{} stays open until epic {} ticks it",
                    signal.child_number,
                    signal.epic_ref()
                ),
                on: WaitingOn::Github,
            };
        }
        let why = match signal.epic_kind {
            EpicKind::Checklist => "ticked",
            EpicKind::SubIssue => "has it as a sub-issue",
        };
        Match::Act {
            reason: format!(
                "PR merged, epic {} {why}, child #{} still open",
                signal.epic_ref(),
                signal.child_number
            ),
            key: Self::key(signal),
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        // The PR lives in the child's repository, whatever repository holds the epic.
        forge.close_issue(&signal.repo(), signal.child_number).await
    }
}
