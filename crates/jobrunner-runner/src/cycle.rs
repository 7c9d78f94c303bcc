//! One poll cycle: sources -> signals -> dispatcher -> ledger claim -> forge -> outcome ->
//! journal -> report. Exactly one action per PR per cycle; a key once performed is never
//! performed again, across cycles, restarts and nodes sharing the store.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use jobrunner_core::crash_point;
use jobrunner_core::{
    ActionKey, ActionResult, BudgetReading, Decision, Dispatcher, FailureClass, Forge, ForgeError, JobSource,
    NodeId, PipelineSignal, RepoSlug, Settle,
};
use jobrunner_journal::{JournalError, JournalRecord, JournalWriter};
use jobrunner_store::{Claim, CycleEnd, CycleOutcome, KeyStatus, Outcome, Store, StoreError};

/// Sources polled at once. Each source bounds its own requests (the GitHub source polls its
/// repositories with bounded concurrency); this only keeps many sources from multiplying it.
const MAX_CONCURRENT_POLLS: usize = 4;

/// The handler whose commands count toward the `needs-human` limit.
pub(crate) const FIX_COMMAND: &str = "send_fix_command";
/// The handler that asks a person: labelling is not progress, so it leaves the count.
pub(crate) const NEEDS_HUMAN: &str = "needs_human";

/// A clock the runner reads for the escalation rules; tests move it by hand.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How the runner acts.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// This node.
    pub node: NodeId,
    /// Decide and log only: no mutation, nothing claimed, nothing journaled.
    pub dry_run: bool,
}

/// What became of one decided action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionOutcome {
    /// Performed and confirmed.
    Performed,
    /// Failed; retried in a later cycle when the class is retryable.
    Failed(FailureClass),
    /// The key was already claimed (by this node earlier, or another node).
    AlreadyClaimed,
    /// Dry-run: decided, not performed.
    DryRun,
}

/// One action the cycle decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionReport {
    /// The handler (or `needs_human`).
    pub action: &'static str,
    /// The idempotency key.
    pub key: ActionKey,
    /// Why it was decided.
    pub reason: String,
    /// What became of it.
    pub outcome: ActionOutcome,
}

/// One source's signals, each with the index of its pair.
async fn poll_one(index: usize, pair: &SourcePair) -> Result<Vec<(usize, PipelineSignal)>, CycleError> {
    let signals = pair
        .source
        .poll()
        .await
        .map_err(|error| CycleError::Poll { source_name: pair.source.name().to_owned(), error })?;
    Ok(signals.into_iter().map(|s| (index, s)).collect())
}

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// The cycle number.
    pub cycle: u64,
    /// Signals polled.
    pub signals: usize,
    /// A hash of every polled signal: equal between two cycles when nothing changed.
    pub fingerprint: u64,
    /// Actions decided this cycle.
    pub actions: Vec<ActionReport>,
}

impl CycleReport {
    /// Actions performed (not skipped, not failed).
    #[must_use]
    pub fn performed(&self) -> usize {
        self.actions.iter().filter(|a| a.outcome == ActionOutcome::Performed).count()
    }
}

/// A cycle that could not complete.
#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    /// A source could not be polled.
    #[error("polling {source_name} failed: {error}")]
    Poll {
        /// The source.
        source_name: String,
        /// Why.
        error: ForgeError,
    },
    /// The forge refused the token: acting stops until the operator fixes it.
    #[error(
        "the forge refused the token ({error}): no action is taken until the node is given one it accepts"
    )]
    Auth {
        /// The refusal.
        error: ForgeError,
    },
    /// The state store failed: acting stops, since claims cannot be recorded.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The journal could not be appended.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

impl CycleError {
    /// A forge failure outside an action: an auth refusal stops acting, the rest fail the
    /// cycle with their class.
    pub(crate) fn from_forge(what: &str, error: ForgeError) -> Self {
        if error.class == FailureClass::Auth {
            Self::Auth { error }
        } else {
            Self::Poll { source_name: what.to_owned(), error }
        }
    }

    /// The failure class, for the cycle record.
    #[must_use]
    pub fn class(&self) -> FailureClass {
        match self {
            Self::Poll { error, .. } => error.class,
            Self::Auth { .. } => FailureClass::Auth,
            Self::Store(_) | Self::Journal(_) => FailureClass::Permanent,
        }
    }
}

/// A source and the forge its signals are acted on through: a signal polled from GitHub is
/// acted on through GitHub, never through another source's forge.
#[derive(Clone)]
pub struct SourcePair {
    /// Where the signals come from.
    pub source: Arc<dyn JobSource>,
    /// Where the actions on them go.
    pub forge: Arc<dyn Forge>,
}

impl SourcePair {
    /// `source` with the forge that acts on its signals.
    #[must_use]
    pub fn new(source: Arc<dyn JobSource>, forge: Arc<dyn Forge>) -> Self {
        Self { source, forge }
    }
}

/// How one source stands, for a node's state: its budget and the repositories it skips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceHealth {
    /// The source's name (`github`).
    pub name: String,
    /// What it has spent and has left of its API budget, when it is metered.
    pub budget: Option<BudgetReading>,
    /// The repositories it skips until their back-off is over.
    pub unhealthy: Vec<jobrunner_core::UnhealthyRepo>,
}

/// The poller's parts, wired once.
pub struct Runner {
    pub(crate) pairs: Vec<SourcePair>,
    pub(crate) dispatcher: Dispatcher,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) journal: JournalWriter,
    pub(crate) config: RunnerConfig,
    /// Claims a crash left unconfirmed are settled once, in the first successful cycle, and
    /// again after any failed cycle.
    settled_crash: std::sync::atomic::AtomicBool,
    /// This node's share of the repositories, in a fleet.
    split: Option<Arc<dyn crate::WorkSplit>>,
    clock: Clock,
    /// Held by a cycle and by an action asked for by hand, so the two never interleave.
    pub(crate) turn: tokio::sync::Mutex<()>,
}

impl Runner {
    /// A runner over its parts.
    #[must_use]
    pub fn new(
        pairs: Vec<SourcePair>,
        dispatcher: Dispatcher,
        store: Arc<dyn Store>,
        journal: JournalWriter,
        config: RunnerConfig,
    ) -> Self {
        Self {
            pairs,
            dispatcher,
            store,
            journal,
            config,
            settled_crash: std::sync::atomic::AtomicBool::new(false),
            split: None,
            clock: Arc::new(Utc::now),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// Reads `clock` instead of the system's for the escalation rules (waits, unanswered
    /// commands): a test moves time without sleeping.
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Polls only the repositories `split` assigns this node, each cycle.
    #[must_use]
    pub fn with_work_split(mut self, split: Arc<dyn crate::WorkSplit>) -> Self {
        self.split = Some(split);
        self
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &RunnerConfig {
        &self.config
    }

    /// The store the runner keeps its ledger, waits and cycles in.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// How each source stands now, in the order the sources were given.
    #[must_use]
    pub fn health(&self) -> Vec<SourceHealth> {
        self.pairs
            .iter()
            .map(|pair| SourceHealth {
                name: pair.source.name().to_owned(),
                budget: pair.source.budget(),
                unhealthy: pair.source.unhealthy_repos(),
            })
            .collect()
    }

    /// The forge that acts on `repo`: the one paired with the source whose signal of it was
    /// polled this cycle, else with the first source covering it.
    pub(crate) fn forge_for(&self, repo: &RepoSlug, polled: &[(usize, PipelineSignal)]) -> &dyn Forge {
        let index = polled
            .iter()
            .find(|(_, s)| s.repo() == *repo)
            .map(|(index, _)| *index)
            .or_else(|| self.pairs.iter().position(|p| p.source.covers(repo)))
            .unwrap_or(0);
        self.pairs[index].forge.as_ref()
    }

    /// Runs one cycle and records it in the store, whatever its outcome.
    pub async fn cycle(&self) -> Result<CycleReport, CycleError> {
        let _turn = self.turn.lock().await;
        let cycle = self.store.start_cycle(&self.config.node, Utc::now()).await?;
        let before = self.budget();
        let outcome = self.run_cycle(cycle).await;
        if outcome.is_err() {
            // The cycle stopped part-way, maybe between an action's effect and its
            // confirmation, or before settling claims taken over from a dead node: settle
            // this node's unconfirmed keys again before acting.
            self.settled_crash.store(false, std::sync::atomic::Ordering::Relaxed);
        }
        let after = self.budget();
        let (record, actions) = match &outcome {
            Ok(report) => (CycleOutcome::Ok, report.performed()),
            Err(error) => (CycleOutcome::Failed { class: error.class() }, 0),
        };
        let end = CycleEnd {
            at: Utc::now(),
            outcome: record,
            actions: u32::try_from(actions).unwrap_or(u32::MAX),
            points_spent: after.iter().zip(&before).map(|(a, b)| a.spent_since(b)).sum(),
            rate_limit_left: after.iter().filter_map(|b| b.points_left).min(),
        };
        self.store.end_cycle(cycle, &end).await?;
        outcome
    }

    /// Each source's budget reading; a source without one reads as zero spent.
    fn budget(&self) -> Vec<BudgetReading> {
        self.pairs.iter().map(|p| p.source.budget().unwrap_or_default()).collect()
    }

    /// Polls every source, up to [`MAX_CONCURRENT_POLLS`] at a time, keeping the sources'
    /// order so decisions do not depend on which answered first.
    pub(crate) async fn poll_sources(&self) -> Result<Vec<(usize, PipelineSignal)>, CycleError> {
        // Collected before streaming: a lazy iterator of borrowing futures makes the cycle's
        // future not provably Send (rust-lang/rust#102211), and a node runs it on a task.
        let polls: Vec<_> =
            self.pairs.iter().enumerate().map(|(index, pair)| poll_one(index, pair)).collect();
        let polled: Vec<_> = stream::iter(polls).buffered(MAX_CONCURRENT_POLLS).try_collect().await?;
        Ok(polled.into_iter().flatten().collect())
    }

    async fn run_cycle(&self, cycle: u64) -> Result<CycleReport, CycleError> {
        let mut orphaned = Vec::new();
        if let Some(split) = &self.split {
            let repos = split.assign().await?;
            tracing::debug!(repos = repos.len(), "this node's share of the repositories");
            for pair in &self.pairs {
                pair.source.restrict(Some(&repos));
            }
            orphaned = split.orphaned(&repos).await?;
            for key in &orphaned {
                for pair in &self.pairs {
                    pair.source.recheck(&key.repo, key.pr).await;
                }
            }
        }
        if !self.settled_crash.load(std::sync::atomic::Ordering::Relaxed) {
            // Settling a crash-left key needs the PR as it is now, not as a source remembers it.
            for key in self.store.unconfirmed(&self.config.node).await? {
                for pair in &self.pairs {
                    pair.source.recheck(&key.repo, key.pr).await;
                }
            }
        }
        let mut polled = self.poll_sources().await?;
        let signals: Vec<PipelineSignal> = polled.iter().map(|(_, s)| s.clone()).collect();
        let mut hasher = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(&serde_json::to_vec(&signals).unwrap_or_default(), &mut hasher);
        let fingerprint = std::hash::Hasher::finish(&hasher);
        // Memory is added after the fingerprint: it holds the clock, which moves every cycle.
        let waits = self.remember(&mut polled).await?;
        let signals: Vec<PipelineSignal> = polled.iter().map(|(_, s)| s.clone()).collect();
        let mut report = CycleReport { cycle, signals: signals.len(), fingerprint, actions: Vec::new() };
        let settled = self.settled_keys(&signals).await?;
        let decisions = self.dispatcher.plan_skipping(&signals, &|key: &ActionKey| settled.contains(key));
        if !self.config.dry_run {
            self.record_waits(&signals, &decisions, &waits).await?;
        }
        if !self.settled_crash.load(std::sync::atomic::Ordering::Relaxed) {
            self.settle_unconfirmed(cycle, &polled).await?;
            self.settled_crash.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        self.settle_orphaned(&orphaned, &polled).await?;
        for ((index, signal), decision) in polled.iter().zip(decisions) {
            if let Some(action) = self.act(cycle, &self.pairs[*index], signal, decision).await? {
                report.actions.push(action);
            }
        }
        Ok(report)
    }

    /// The keys the signals' decisions would act on that are settled already (done, or
    /// refused for good): each signal is decided again without them, so the next handler in
    /// priority may act on the PR this cycle. One store read per acting decision, as many as
    /// the claims they replace.
    pub(crate) async fn settled_keys(
        &self,
        signals: &[PipelineSignal],
    ) -> Result<std::collections::HashSet<ActionKey>, CycleError> {
        let mut settled = std::collections::HashSet::new();
        for signal in signals {
            for _ in 0..self.dispatcher.registry().names().len() {
                let decision =
                    self.dispatcher.decide_skipping(signal, &|key: &ActionKey| settled.contains(key));
                let Some(key) = decision.key else { break };
                match self.store.holder_of(&key).await? {
                    Some(Claim::Taken { status: KeyStatus::Done | KeyStatus::Failed { .. }, .. }) => {
                        settled.insert(key);
                    }
                    _ => break,
                }
            }
        }
        Ok(settled)
    }

    /// Claims, performs, confirms, journals and reports one decision.
    pub(crate) async fn act(
        &self,
        cycle: u64,
        pair: &SourcePair,
        signal: &PipelineSignal,
        decision: Decision,
    ) -> Result<Option<ActionReport>, CycleError> {
        let (Some(action), Some(key)) = (decision.action, decision.key.clone()) else {
            return Ok(None);
        };
        if self.config.dry_run {
            tracing::info!(handler = action, key = %key, reason = %decision.reason, "dry-run: would act");
            return Ok(Some(ActionReport {
                action,
                key,
                reason: decision.reason,
                outcome: ActionOutcome::DryRun,
            }));
        }
        if let Claim::Taken { .. } = self.claim(&key, signal).await? {
            return Ok(Some(ActionReport {
                action,
                key,
                reason: decision.reason,
                outcome: ActionOutcome::AlreadyClaimed,
            }));
        }
        crash_point::reached(crash_point::AFTER_CLAIM);
        let result = self
            .dispatcher
            .perform(&decision, signal, pair.forge.as_ref())
            .await
            .expect("a decision with an action and a key performs");
        crash_point::reached(crash_point::AFTER_EFFECT);
        let outcome = self.settle(cycle, &pair.source, signal, &result).await?;
        tracing::info!(handler = action, key = %key, reason = %decision.reason, outcome = ?outcome, "acted");
        Ok(Some(ActionReport { action, key, reason: decision.reason, outcome }))
    }

    /// Claims `key`, first keeping the signal the decision was made on: should a crash follow
    /// the effect, the action's journal record is written from it on restart.
    async fn claim(&self, key: &ActionKey, signal: &PipelineSignal) -> Result<Claim, CycleError> {
        self.store.keep_claimed_signal(&key.repo, key.pr, signal).await?;
        Ok(self.store.claim(key, &self.config.node, Utc::now()).await?)
    }

    /// Records a performed action's outcome: journaled then confirmed on success, released
    /// for a later cycle when retryable, recorded as failed (never retried) otherwise. The
    /// journal line comes before the confirmation so that a confirmed key always has its
    /// line; a crash between the two is settled by `settle_unconfirmed`.
    async fn settle(
        &self,
        cycle: u64,
        source: &Arc<dyn JobSource>,
        signal: &PipelineSignal,
        result: &ActionResult,
    ) -> Result<ActionOutcome, CycleError> {
        let Some(error) = &result.error else {
            let record =
                JournalRecord::new(signal, result, cycle, self.config.node.clone(), false, Utc::now());
            self.journal.append(&record)?;
            crash_point::reached(crash_point::AFTER_JOURNAL);
            self.store.confirm(&result.key, Outcome::Done, Utc::now()).await?;
            crash_point::reached(crash_point::AFTER_CONFIRM);
            let (repo, pr) = (signal.repo(), signal.pr_number);
            if result.action == FIX_COMMAND {
                let rule = result.key.action.rule().unwrap_or_default();
                self.store.record_fix_command(&repo, pr, &signal.last_commit_sha, rule, self.now()).await?;
            } else if result.action != NEEDS_HUMAN {
                // Any other step forward on the PR is progress: the agent gets its full budget
                // of commands again.
                self.store.reset_fix_commands(&repo, pr).await?;
            }
            if let Err(error) = source.report(signal, result).await {
                tracing::warn!(error = %error, "source could not take the action's report");
            }
            return Ok(ActionOutcome::Performed);
        };
        match error.class {
            FailureClass::Auth => {
                self.store.release(&result.key).await?;
                Err(CycleError::Auth { error: error.clone() })
            }
            FailureClass::Transient if self.posts_comment(&result.key) => {
                // A 5xx, a timeout or a dropped connection after the request went out: GitHub
                // may have posted the comment and only its answer was lost. Posting again would
                // repeat it, so the claim is kept, unconfirmed, as a crash would leave it, and
                // the next cycle settles it from the comment's marker: confirmed if the comment
                // is there, released and posted if not. Kept in the store, this survives a
                // restart too.
                tracing::warn!(
                    key = %result.key,
                    "comment failed after it was sent: whether it was posted is settled from its marker next cycle"
                );
                self.settled_crash.store(false, std::sync::atomic::Ordering::Relaxed);
                Ok(ActionOutcome::Failed(FailureClass::Transient))
            }
            class if class.is_retryable() => {
                self.store.release(&result.key).await?;
                Ok(ActionOutcome::Failed(class))
            }
            class => {
                self.store.confirm(&result.key, Outcome::Failed { class }, Utc::now()).await?;
                Ok(ActionOutcome::Failed(class))
            }
        }
    }
}

impl Runner {
    /// Whether `key`'s action posts a comment: the one mutation that is not idempotent, as a
    /// comment posted twice is two comments. Its handler says so ([`Settle::CommentMarker`]).
    pub(crate) fn posts_comment(&self, key: &ActionKey) -> bool {
        self.dispatcher
            .registry()
            .get(key.action.handler())
            .is_some_and(|handler| handler.settles_by(key) == Settle::CommentMarker)
    }

    /// The runner's clock: what waits and unanswered commands are measured by.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}
