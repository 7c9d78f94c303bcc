//! What the runner remembers of each PR between cycles, handed to the handlers in the
//! signal's `memory`: the fix commands gone unanswered and the wait the PR is in. The
//! escalation rules (re-send, `needs_human`) decide from it; `core-status` lists the waits.

use std::collections::{HashMap, HashSet};

use jobrunner_core::{Decision, PipelineSignal, RepoSlug, Waiting};
use jobrunner_store::{FixCommands, PrWait};

use crate::cycle::{CycleError, Runner};

/// The waits stored before this cycle, by PR.
pub(crate) type Waits = HashMap<(RepoSlug, u64), PrWait>;

impl Runner {
    /// Fills each signal's memory from the store and returns the stored waits. Two reads
    /// per cycle, whatever the number of PRs.
    pub(crate) async fn remember(&self, polled: &mut [(usize, PipelineSignal)]) -> Result<Waits, CycleError> {
        let now = self.now();
        let commands: HashMap<(RepoSlug, u64), FixCommands> =
            self.store.fix_commands().await?.into_iter().map(|c| ((c.repo.clone(), c.pr), c)).collect();
        let waits: Waits =
            self.store.waits().await?.into_iter().map(|w| ((w.repo.clone(), w.pr), w)).collect();
        for (_, signal) in polled.iter_mut() {
            let pr = (signal.repo(), signal.pr_number);
            let memory = &mut signal.memory;
            memory.observed_at = Some(now);
            if let Some(sent) = commands.get(&pr) {
                memory.commands_without_progress = sent.without_progress;
                if sent.head_sha == signal.last_commit_sha {
                    memory.commands_on_head = sent.on_head;
                    memory.last_command = Some(sent.rule.clone());
                    memory.last_command_at = Some(sent.last_sent_at);
                }
            }
            if let Some(wait) = waits.get(&pr).filter(|w| w.head_sha == signal.last_commit_sha) {
                memory.waiting = Some(Waiting { on: wait.on, since: wait.since });
            }
        }
        Ok(waits)
    }

    /// Keeps each PR's wait: a new wait (or a wait on a new head) starts now, the same wait
    /// keeps its start, and a PR with nothing to wait for is forgotten. A PR that acts keeps
    /// what it had: arming auto-merge does not end a wait on the checks. Writes only changes.
    pub(crate) async fn record_waits(
        &self,
        signals: &[PipelineSignal],
        decisions: &[Decision],
        stored: &Waits,
    ) -> Result<(), CycleError> {
        let mut seen = HashSet::new();
        for (signal, decision) in signals.iter().zip(decisions) {
            let pr = (signal.repo(), signal.pr_number);
            if !seen.insert(pr.clone()) || decision.action.is_some() {
                continue;
            }
            let known = stored.get(&pr);
            match decision.waiting {
                Some(on) => {
                    if known.is_some_and(|w| w.on == on && w.head_sha == signal.last_commit_sha) {
                        continue;
                    }
                    let wait = PrWait {
                        repo: pr.0,
                        pr: pr.1,
                        on,
                        head_sha: signal.last_commit_sha.clone(),
                        since: self.now(),
                        reason: decision.reason.clone(),
                    };
                    self.store.put_wait(&wait).await?;
                }
                None if known.is_some() => self.store.clear_wait(&pr.0, pr.1).await?,
                None => {}
            }
        }
        Ok(())
    }
}
