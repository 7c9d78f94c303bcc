//! Stage 3: a draft whose checks passed is marked ready for review.

use async_trait::async_trait;
use jobrunner_core::{ActionKey, CheckStatus, Forge, ForgeError, JobHandler, Match, PipelineSignal, PrState};

/// Marks a draft PR ready for review once its checks succeed.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublishDraft;

impl PublishDraft {
    /// The handler's name.
    pub const NAME: &'static str = "publish_draft";
}

#[async_trait]
impl JobHandler for PublishDraft {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn effect_visible(&self, signal: &PipelineSignal) -> bool {
        !signal.is_draft
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        if signal.pr_state != PrState::Open || !signal.is_draft {
            return Match::No;
        }
        if signal.check_status != CheckStatus::Success {
            return Match::Wait {
                reason: format!("draft waits for checks SUCCESS (checks {})", signal.check_status),
            };
        }
        Match::Act {
            reason: "draft with checks SUCCESS".to_owned(),
            key: ActionKey::for_signal(signal, Self::NAME),
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        forge.mark_ready_for_review(&signal.repo(), signal.pr_number).await
    }
}
