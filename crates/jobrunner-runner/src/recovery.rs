//! Settling the claims a crash left unconfirmed: claimed, and maybe performed, maybe
//! journaled. Each is settled once, in the first cycle after a start, from the journal and a
//! fresh read of the forge, never by acting blindly.
//!
//! An action goes claim -> effect -> journal line -> confirm, so an unconfirmed key is in
//! one of three states, told apart like this:
//! - journaled: a record of this node for the same PR and handler, written in a cycle that did
//!   not end well (the crashed one), exists. The effect happened: confirm.
//! - performed, not journaled: the effect shows on the forge (the handler sees it in the
//!   fresh signal, or the PR's flow is over; for a comment, the comment with the key's marker
//!   exists).
//!   Journal it now, from the signal kept at claim time, and confirm.
//! - not performed: release the key; if the action is still decided it is performed in this
//!   very cycle.
//!
//! A comment that failed after its request went out (a 5xx, a timeout, a dropped connection)
//! is left claimed the same way by `Runner::settle`, since GitHub may have posted it: it is
//! settled here, from its marker, before it could be posted again.

use std::collections::HashSet;

use chrono::Utc;
use jobrunner_core::{ActionKey, ActionResult, PipelineSignal, RepoSlug, Settle};
use jobrunner_journal::{JournalRecord, ReadFilter, read_journal};
use jobrunner_store::{CycleOutcome, Outcome, StoreError};

use crate::cycle::{CycleError, Runner};

/// Cycles looked back on for the crashed ones: far more than restarts in a row.
const CYCLES_LOOKED_BACK: u32 = 50;

/// What became of a crash-left claim.
enum Verdict {
    /// Performed and journaled before the crash.
    Journaled,
    /// Performed, but the crash came before its journal line.
    Performed,
    /// Never performed.
    NotPerformed,
}

impl Runner {
    /// Settles every claim this node left unconfirmed; see the module documentation.
    pub(crate) async fn settle_unconfirmed(
        &self,
        cycle: u64,
        polled: &[(usize, PipelineSignal)],
    ) -> Result<(), CycleError> {
        let unconfirmed = self.store.unconfirmed(&self.config.node).await?;
        if unconfirmed.is_empty() {
            return Ok(());
        }
        let journaled = self.journaled_in_crashed_cycles(cycle).await?;
        for key in unconfirmed {
            let handler = self.handler_of(&key);
            let verdict = if journaled.contains(&(key.repo.clone(), key.pr, handler.to_owned())) {
                Verdict::Journaled
            } else {
                self.visible_effect(&key, handler, polled).await?
            };
            match verdict {
                Verdict::Journaled => {
                    tracing::warn!(key = %key, "claimed before a crash, performed and journaled: confirmed");
                    self.confirm_unless_taken_over(&key).await?;
                }
                Verdict::Performed => {
                    tracing::warn!(key = %key, "claimed before a crash and performed: journaled now");
                    self.journal_recovered(cycle, &key, handler, polled).await?;
                    self.confirm_unless_taken_over(&key).await?;
                }
                Verdict::NotPerformed => {
                    tracing::warn!(key = %key, "claimed before a crash, never performed: released");
                    self.store.release(&key).await?;
                }
            }
        }
        Ok(())
    }

    /// Settles keys a dead node of the fleet left claimed in repositories this node now
    /// leases: from the fresh forge state only, as that node's journal is on its own machine.
    /// A performed action is confirmed (its journal line, if any, is the dead node's); one
    /// never performed is released, to be performed by this node.
    pub(crate) async fn settle_orphaned(
        &self,
        orphaned: &[ActionKey],
        polled: &[(usize, PipelineSignal)],
    ) -> Result<(), CycleError> {
        for key in orphaned {
            let handler = self.handler_of(key);
            match self.visible_effect(key, handler, polled).await? {
                Verdict::NotPerformed => {
                    tracing::warn!(key = %key, "claimed by a dead node, never performed: released");
                    self.store.release(key).await?;
                }
                Verdict::Performed | Verdict::Journaled => {
                    tracing::warn!(key = %key, "claimed by a dead node and performed: confirmed");
                    self.confirm_unless_taken_over(key).await?;
                }
            }
        }
        Ok(())
    }

    /// Confirms a crash-left or taken-over key, unless it was settled meanwhile: a fleet node
    /// took it over while this node was cut off from the database (see
    /// `WorkSplit::orphaned`), and settles it then, or this node settled it already. Either
    /// way this confirmation is left out. A release needs no such care: it only deletes this
    /// node's own claim.
    async fn confirm_unless_taken_over(&self, key: &ActionKey) -> Result<(), CycleError> {
        match self.store.confirm(key, Outcome::Done, Utc::now()).await {
            Err(StoreError::NotClaimed { .. } | StoreError::AlreadyConfirmed { .. }) => {
                tracing::warn!(key = %key, "settled by another node of the fleet meanwhile: left to it");
                Ok(())
            }
            other => Ok(other?),
        }
    }

    /// (repo, PR, handler) of every record this node journaled in a cycle that never ended,
    /// or ended in failure: the cycles a crash or an error may have cut short.
    async fn journaled_in_crashed_cycles(
        &self,
        current: u64,
    ) -> Result<HashSet<(RepoSlug, u64, String)>, CycleError> {
        let cycles = self.store.recent_cycles(&self.config.node, CYCLES_LOOKED_BACK).await?;
        let crashed: Vec<_> = cycles
            .iter()
            .filter(|c| c.number != current)
            .filter(|c| c.end.as_ref().is_none_or(|e| !matches!(e.outcome, CycleOutcome::Ok)))
            .collect();
        let Some(oldest) = crashed.iter().map(|c| c.started_at).min() else {
            return Ok(HashSet::new());
        };
        let numbers: HashSet<u64> = crashed.iter().map(|c| c.number).collect();
        let filter = ReadFilter { repo: None, since: Some(oldest.date_naive()) };
        let read = read_journal(self.journal.dir(), &filter)?;
        Ok(read
            .records
            .into_iter()
            .filter(|r| r.node == self.config.node && numbers.contains(&r.cycle))
            .map(|r| (r.repo, r.pr, r.action))
            .collect())
    }

    /// Whether the forge, just read afresh, shows the key's effect.
    async fn visible_effect(
        &self,
        key: &ActionKey,
        handler: &str,
        polled: &[(usize, PipelineSignal)],
    ) -> Result<Verdict, CycleError> {
        let settles_by = self.dispatcher.registry().get(handler).map(|h| h.settles_by(key));
        let performed = if settles_by == Some(Settle::CommentMarker) {
            self.forge_for(&key.repo, polled)
                .has_comment_with(&key.repo, key.pr, &key.comment_marker())
                .await
                .map_err(|error| CycleError::from_forge("crash recovery", error))?
        } else if settles_by == Some(Settle::Repeat) {
            // Performing it again changes nothing (a label): released and performed again.
            false
        } else if let Some(shown) = self.effect_on_forge(key, handler, polled).await? {
            shown
        } else {
            let mut signals =
                polled.iter().map(|(_, s)| s).filter(|s| s.repo() == key.repo && s.pr_number == key.pr);
            match self.dispatcher.registry().get(handler) {
                // No signal any more: the PR's flow is over, which needs the action done.
                Some(known) => {
                    signals.clone().next().is_none() || signals.any(|s| known.effect_visible(key, s))
                }
                None => false,
            }
        };
        Ok(if performed { Verdict::Performed } else { Verdict::NotPerformed })
    }

    /// What the forge, asked directly, says of the key's effect, for handlers whose effect
    /// leaves no signal to show it (a closed epic is no longer read); `None` for the others.
    async fn effect_on_forge(
        &self,
        key: &ActionKey,
        handler: &str,
        polled: &[(usize, PipelineSignal)],
    ) -> Result<Option<bool>, CycleError> {
        let Some(known) = self.dispatcher.registry().get(handler) else { return Ok(None) };
        known
            .effect_on_forge(key, self.forge_for(&key.repo, polled))
            .await
            .map_err(|error| CycleError::from_forge("crash recovery", error))
    }

    /// Journals a crash-left action from the signal kept when it was claimed (or, when none
    /// was kept, the PR's signal now).
    async fn journal_recovered(
        &self,
        cycle: u64,
        key: &ActionKey,
        handler: &'static str,
        polled: &[(usize, PipelineSignal)],
    ) -> Result<(), CycleError> {
        let kept = match self.store.claimed_signal(&key.repo, key.pr).await {
            Ok(kept) => kept,
            Err(error @ StoreError::ClaimedSignalUnreadable { .. }) => {
                tracing::warn!(key = %key, %error, "journaling a crash-left action from the PR's signal now");
                None
            }
            Err(error) => return Err(error.into()),
        };
        let signal = kept.or_else(|| {
            polled.iter().map(|(_, s)| s).find(|s| s.repo() == key.repo && s.pr_number == key.pr).cloned()
        });
        let Some(signal) = signal else {
            tracing::warn!(key = %key, "no signal kept for a crash-left action: confirmed without a journal line");
            return Ok(());
        };
        let result =
            // The body's digests were not kept: the record says nothing of them.
            ActionResult { action: handler, key: key.clone(), success: true, duration_ms: 0, error: None, body_change: None };
        let record = JournalRecord::new(&signal, &result, cycle, self.config.node.clone(), false, Utc::now());
        self.journal.append(&record)?;
        Ok(())
    }

    /// The handler (journal action name) a key belongs to: its action up to the first `/`.
    fn handler_of(&self, key: &ActionKey) -> &'static str {
        let name = key.action.handler();
        self.dispatcher
            .registry()
            .names()
            .into_iter()
            .find(|known| *known == name)
            // A handler this build no longer has: its records still need a valid name.
            .unwrap_or("unknown_handler")
    }
}
