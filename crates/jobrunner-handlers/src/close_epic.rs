//! Stage 9: an epic whose children are all closed is closed. GitHub closes neither a
//! checklist's epic nor a sub-issue's parent by itself.

use async_trait::async_trait;
use jobrunner_core::{
    ActionId, ActionKey, CommitSha, Forge, ForgeError, JobHandler, Match, PipelineSignal, PrState, WaitingOn,
    epic_of_variant,
};

/// Closes the epic as completed once every child it lists or has as a sub-issue is closed,
/// decided on the signal of a merged PR of one of those children.
#[derive(Debug, Clone, Copy, Default)]
pub struct CloseEpic;

impl CloseEpic {
    /// The handler's name.
    pub const NAME: &'static str = "close_epic";

    /// The key of closing the signal's epic: the epic's own (its repository and number in
    /// place of the PR's, no head commit), so however many of its PRs decide it in one cycle
    /// or on several nodes, the epic is closed once.
    #[must_use]
    pub fn key(signal: &PipelineSignal) -> ActionKey {
        let mut key = ActionKey::for_signal(
            signal,
            ActionId::variant(Self::NAME, format!("epic {}", signal.epic_number)),
        );
        key.repo = signal.epic_repo();
        key.pr = signal.epic_number;
        key.head_sha = CommitSha::new("0".repeat(40)).expect("forty zeros are a valid SHA");
        key
    }
}

#[async_trait]
impl JobHandler for CloseEpic {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        if signal.pr_state != PrState::Merged || !signal.in_epic() || signal.child_open {
            return Match::No;
        }
        match signal.epic_open_children {
            Some(0) => Match::Act {
                reason: format!("every child of epic {} is closed", signal.epic_ref()),
                key: Self::key(signal),
            },
            Some(open) => Match::Wait {
                reason: format!("epic {} stays open: {open} of its children still open", signal.epic_ref()),
                // The other children are work in flight (their PRs), not a person's to unblock.
                on: WaitingOn::Agent,
            },
            // The source does not know every child's state: nothing to say about the epic.
            None => Match::No,
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        forge.close_issue(&signal.epic_repo(), signal.epic_number).await
    }

    /// A closed epic drops out of the open epics the source reads, and with it out of every
    /// signal: the forge is asked whether the key's epic is still open.
    async fn effect_on_forge(&self, key: &ActionKey, forge: &dyn Forge) -> Result<Option<bool>, ForgeError> {
        let Some((repo, epic)) = key.action.rule().and_then(|variant| epic_of_variant(variant, &key.repo))
        else {
            return Ok(None);
        };
        Ok(Some(!forge.issue_open(&repo, epic).await?))
    }
}
