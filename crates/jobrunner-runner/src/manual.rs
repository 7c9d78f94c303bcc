//! Actions asked for by hand (an MCP tool naming a handler and a PR) and explanations of what
//! a PR's next step is: the PR read afresh, decided by the same dispatcher, performed through
//! the same ledger as the poller's, so a key is never performed twice whoever asks.

use chrono::Utc;
use jobrunner_core::{Decision, PipelineSignal, RepoSlug};
use jobrunner_store::{Claim, CycleEnd, CycleOutcome, KeyStatus};

use crate::cycle::{ActionReport, CycleError, Runner};

/// What became of an action asked for by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManualOutcome {
    /// The action was decided and performed (or, in dry-run, only decided): the report says
    /// which, and whether it failed.
    Acted(ActionReport),
    /// Nothing was done, and why: the PR is not polled, a stop label, the handler's rule does
    /// not match (without `force`), or the key is settled already.
    Refused {
        /// Why, in structural terms.
        reason: String,
    },
}

/// One signal of a PR and what the dispatcher decides for it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The PR as just read.
    pub signal: PipelineSignal,
    /// What the next cycle would do with it, settled keys passed over.
    pub decision: Decision,
}

impl Runner {
    /// Reads `repo#pr` afresh and performs `handler`'s action on it, claimed, journaled and
    /// confirmed like a cycle's (and recorded as a cycle of its own). Waits for a cycle in
    /// progress to end first. `force` acts although the handler's rule does not match; it
    /// never overrides a stop label, the pipeline's scope or a key already settled.
    pub async fn act_now(
        &self,
        repo: &RepoSlug,
        pr: u64,
        handler: &str,
        force: bool,
    ) -> Result<ManualOutcome, CycleError> {
        let _turn = self.turn.lock().await;
        let polled = self.read_pr(repo, pr).await?;
        let mut refusal = None;
        for (index, signal) in &polled {
            match self.dispatcher.decide_for(signal, handler, force) {
                Ok(decision) => return self.perform_by_hand(*index, signal, decision).await,
                Err(reason) => {
                    refusal.get_or_insert(reason);
                }
            }
        }
        Ok(ManualOutcome::Refused { reason: refusal.unwrap_or_else(|| not_polled(repo, pr)) })
    }

    /// Reads `repo#pr` afresh and says what the dispatcher decides for each of its signals
    /// (one per epic child the PR closes); empty when the PR is not among the polled ones.
    pub async fn explain(&self, repo: &RepoSlug, pr: u64) -> Result<Vec<Explanation>, CycleError> {
        let _turn = self.turn.lock().await;
        let polled = self.read_pr(repo, pr).await?;
        let signals: Vec<PipelineSignal> = polled.into_iter().map(|(_, s)| s).collect();
        let settled = self.settled_keys(&signals).await?;
        Ok(signals
            .into_iter()
            .map(|signal| {
                let decision = self.dispatcher.decide_skipping(&signal, &|key| settled.contains(key));
                Explanation { signal, decision }
            })
            .collect())
    }

    async fn perform_by_hand(
        &self,
        index: usize,
        signal: &PipelineSignal,
        decision: Decision,
    ) -> Result<ManualOutcome, CycleError> {
        if let Some(key) = &decision.key
            && let Some(Claim::Taken { status: KeyStatus::Done | KeyStatus::Failed { .. }, .. }) =
                self.store.holder_of(key).await?
        {
            return Ok(ManualOutcome::Refused {
                reason: format!("already settled (done, or refused for good): {key}"),
            });
        }
        let cycle = self.store.start_cycle(&self.config.node, Utc::now()).await?;
        let acted = self.act(cycle, &self.pairs[index], signal, decision).await;
        let performed = acted
            .as_ref()
            .ok()
            .and_then(Option::as_ref)
            .is_some_and(|r| r.outcome == crate::ActionOutcome::Performed);
        let end = CycleEnd {
            at: Utc::now(),
            outcome: match &acted {
                Ok(_) => CycleOutcome::Ok,
                Err(error) => CycleOutcome::Failed { class: error.class() },
            },
            actions: u32::from(performed),
            points_spent: 0,
            rate_limit_left: None,
        };
        self.store.end_cycle(cycle, &end).await?;
        match acted? {
            Some(report) => Ok(ManualOutcome::Acted(report)),
            None => Ok(ManualOutcome::Refused { reason: "the decision had no action".to_owned() }),
        }
    }

    /// The signals of `repo#pr`, read afresh (the rest of the poll comes from the sources'
    /// conditional requests, mostly 304s), with their memory filled in.
    async fn read_pr(&self, repo: &RepoSlug, pr: u64) -> Result<Vec<(usize, PipelineSignal)>, CycleError> {
        for pair in &self.pairs {
            pair.source.recheck(repo, pr).await;
        }
        let mut polled = self.poll_sources().await?;
        polled.retain(|(_, s)| s.repo() == *repo && s.pr_number == pr);
        self.remember(&mut polled).await?;
        Ok(polled)
    }
}

fn not_polled(repo: &RepoSlug, pr: u64) -> String {
    format!(
        "{repo}#{pr} is not among the PRs this node polls: not an open PR of a configured repository \
         (or of this node's leases), or a merged one whose epic is complete"
    )
}
