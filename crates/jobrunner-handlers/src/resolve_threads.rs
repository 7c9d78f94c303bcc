//! Stage 5: after the agent pushed a fix, resolve the threads that fix answered.

use async_trait::async_trait;
use jobrunner_core::{ActionKey, Forge, ForgeError, JobHandler, Match, PipelineSignal, PrState, ThreadId};

/// Resolves every unresolved thread whose last comment predates the head commit, once a
/// commit landed after the latest review.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResolveThreads;

impl ResolveThreads {
    /// The handler's name.
    pub const NAME: &'static str = "resolve_threads";

    fn answered_threads(signal: &PipelineSignal) -> Vec<ThreadId> {
        signal
            .unresolved_threads
            .iter()
            .filter(|t| t.last_comment_at < signal.last_commit_at)
            .map(|t| t.id.clone())
            .collect()
    }
}

#[async_trait]
impl JobHandler for ResolveThreads {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn effect_visible(&self, _key: &ActionKey, signal: &PipelineSignal) -> bool {
        matches!(self.matches(signal), Match::No) && signal.pr_state == PrState::Open
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        if signal.pr_state != PrState::Open
            || signal.unresolved_count() == 0
            || !signal.has_fix_commit_after_review
        {
            return Match::No;
        }
        let answered = Self::answered_threads(signal).len();
        if answered == 0 {
            return Match::Wait {
                reason: format!(
                    "{} commented on after the head commit: waiting for the agent",
                    jobrunner_core::count(signal.unresolved_count(), "unresolved thread")
                ),
            };
        }
        Match::Act {
            reason: format!(
                "a commit landed after the latest review: {answered} of {} unresolved threads predate it",
                signal.unresolved_count()
            ),
            key: ActionKey::for_signal(signal, Self::NAME),
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        let threads = Self::answered_threads(signal);
        if threads.is_empty() {
            return Ok(());
        }
        forge.resolve_threads(&signal.repo(), &threads).await
    }
}
