//! Stage 5: after the agent pushed a fix and the head's checks passed, resolve the threads
//! that fix answered: those GitHub marks outdated (the fix changed their lines) or that the
//! agent replied to last. A thread a person started and the agent never answered stays open
//! for that person, unless `resolve_human_threads` says otherwise.

use async_trait::async_trait;
use jobrunner_core::{
    ActionId, ActionKey, Forge, ForgeError, JobHandler, Match, PipelineSignal, PrState, RequiredChecks,
    ThreadId, UnresolvedThread, WaitingOn,
};

/// Resolves the answered threads of a PR whose latest review round the agent answered.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResolveThreads {
    resolve_human_threads: bool,
    require_checks: bool,
}

impl ResolveThreads {
    /// The handler's name.
    pub const NAME: &'static str = "resolve_threads";

    /// A handler that, with `resolve_human_threads`, also resolves threads whose last comment
    /// predates the head commit though neither outdated nor answered by the agent; with
    /// `require_checks`, a head without CI does not count as passing.
    #[must_use]
    pub fn new(resolve_human_threads: bool, require_checks: bool) -> Self {
        Self { resolve_human_threads, require_checks }
    }

    /// The agent replied last; or the fix changed the thread's lines (outdated, or any thread
    /// with `resolve_human_threads`) and nobody commented on it after the head commit: a
    /// reviewer who spoke after the fix is left to be answered.
    fn answered(self, signal: &PipelineSignal, thread: &UnresolvedThread) -> bool {
        thread.answered_by_agent
            || ((thread.outdated || self.resolve_human_threads)
                && thread.last_comment_at < signal.last_commit_at)
    }

    fn answered_threads(self, signal: &PipelineSignal) -> Vec<ThreadId> {
        signal.unresolved_threads.iter().filter(|t| self.answered(signal, t)).map(|t| t.id.clone()).collect()
    }

    fn checks_pass(self, signal: &PipelineSignal) -> bool {
        match signal.deciding_checks() {
            RequiredChecks::Success => true,
            RequiredChecks::NoneConfigured => !self.require_checks,
            RequiredChecks::Pending | RequiredChecks::Failure => false,
        }
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
        let unresolved = jobrunner_core::count(signal.unresolved_count(), "unresolved thread");
        if !self.checks_pass(signal) {
            return Match::Wait {
                reason: format!(
                    "{unresolved} wait for the head's checks (checks {}) before they are resolved",
                    signal.deciding_checks()
                ),
                on: signal.deciding_checks().waiting_on(),
            };
        }
        let answered = self.answered_threads(signal).len();
        if answered == 0 {
            return Match::Wait {
                reason: format!(
                    "{unresolved} not answered by the fix (not outdated, or commented on after the head commit) nor by the agent: left to their reviewers"
                ),
                on: WaitingOn::Person,
            };
        }
        Match::Act {
            reason: format!(
                "the agent answered the review and checks pass: {answered} of {} unresolved threads outdated or answered",
                signal.unresolved_count()
            ),
            key: ActionKey::for_signal(signal, ActionId::new(Self::NAME)),
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        let threads = self.answered_threads(signal);
        if threads.is_empty() {
            return Ok(());
        }
        forge.resolve_threads(&signal.repo(), &threads).await
    }
}
