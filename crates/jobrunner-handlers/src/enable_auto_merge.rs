//! Stage 7: a ready, green, conflict-free PR with every thread resolved gets auto-merge.

use async_trait::async_trait;
use jobrunner_core::{
    ActionKey, CheckStatus, Forge, ForgeError, JobHandler, Match, MergeMethod, Mergeable, PipelineSignal,
    PrState,
};

/// Enables auto-merge with the configured method. Never on `UNKNOWN` mergeability: GitHub has
/// not computed it yet, so the answer may still be "conflicting".
#[derive(Debug, Clone, Copy, Default)]
pub struct EnableAutoMerge {
    method: MergeMethod,
}

impl EnableAutoMerge {
    /// The handler's name.
    pub const NAME: &'static str = "enable_auto_merge";

    /// A handler enabling auto-merge with `method`.
    #[must_use]
    pub fn new(method: MergeMethod) -> Self {
        Self { method }
    }

    /// What still keeps an open, ready PR from auto-merge, if anything.
    fn blocker(signal: &PipelineSignal) -> Option<String> {
        if signal.mergeable == Mergeable::Unknown {
            return Some(
                "mergeability UNKNOWN: GitHub is still computing it; looking again next cycle".to_owned(),
            );
        }
        if signal.check_status != CheckStatus::Success {
            return Some(format!("auto-merge waits for checks SUCCESS (checks {})", signal.check_status));
        }
        if signal.unresolved_count() > 0 {
            return Some(format!(
                "auto-merge waits for {}",
                jobrunner_core::count(signal.unresolved_count(), "unresolved review thread")
            ));
        }
        None
    }
}

#[async_trait]
impl JobHandler for EnableAutoMerge {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn effect_visible(&self, signal: &PipelineSignal) -> bool {
        signal.auto_merge_enabled || signal.pr_state == PrState::Merged
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        if signal.pr_state != PrState::Open || signal.is_draft || signal.mergeable == Mergeable::Conflicting {
            return Match::No;
        }
        if signal.auto_merge_enabled {
            return Match::Wait { reason: "auto-merge enabled: waiting for GitHub to merge".to_owned() };
        }
        if let Some(reason) = Self::blocker(signal) {
            return Match::Wait { reason };
        }
        Match::Act {
            reason: format!("MERGEABLE, checks SUCCESS, all threads resolved: auto-merge ({})", self.method),
            key: ActionKey::for_signal(signal, Self::NAME),
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        forge.enable_auto_merge(&signal.repo(), signal.pr_number, self.method).await
    }
}
