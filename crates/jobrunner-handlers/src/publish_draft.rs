//! Stage 3: a draft whose deciding checks passed (or that has no CI) is marked ready for
//! review.

use async_trait::async_trait;
use jobrunner_core::{
    ActionId, ActionKey, Forge, ForgeError, JobHandler, Match, PipelineSignal, PrState, RequiredChecks,
    WaitingOn,
};

/// Marks a draft PR ready for review once its checks succeed.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublishDraft {
    require_checks: bool,
}

impl PublishDraft {
    /// The handler's name.
    pub const NAME: &'static str = "publish_draft";

    /// A handler that, with `require_checks`, keeps drafts without any CI as drafts.
    #[must_use]
    pub fn new(require_checks: bool) -> Self {
        Self { require_checks }
    }
}

#[async_trait]
impl JobHandler for PublishDraft {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn effect_visible(&self, _key: &ActionKey, signal: &PipelineSignal) -> bool {
        !signal.is_draft
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        if signal.pr_state != PrState::Open || !signal.is_draft {
            return Match::No;
        }
        let reason = match signal.deciding_checks() {
            RequiredChecks::Success => "draft with checks SUCCESS",
            RequiredChecks::NoneConfigured if !self.require_checks => "draft with no checks configured",
            RequiredChecks::NoneConfigured => {
                return Match::Wait {
                    reason: "draft waits: no checks configured and require_checks is on".to_owned(),
                    on: WaitingOn::Person,
                };
            }
            checks @ (RequiredChecks::Pending | RequiredChecks::Failure) => {
                return Match::Wait {
                    reason: format!("draft waits for checks SUCCESS (checks {checks})"),
                    on: checks.waiting_on(),
                };
            }
        };
        Match::Act {
            reason: reason.to_owned(),
            key: ActionKey::for_signal(signal, ActionId::new(Self::NAME)),
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        forge.mark_ready_for_review(&signal.repo(), signal.pr_number).await
    }
}
