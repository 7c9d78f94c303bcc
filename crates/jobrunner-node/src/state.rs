//! [`NodeState`]: what a running node shows of itself, folded from its loop's events.
//!
//! Everything here is structural (numbers, names, classes, the handlers' own reasons): no text
//! a forge user wrote, so a panel or an MCP tool can show all of it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jobrunner_core::{FailureClass, NodeId, RepoSlug};
use jobrunner_runner::{ActionOutcome, CycleEvent, CycleReport, SourceHealth};
use jobrunner_store::PrWait;
use serde::Serialize;

/// How many cycles [`NodeState::last_cycles`] keeps.
pub const LAST_CYCLES: usize = 10;

/// A node alone with its SQLite store, or one of a fleet sharing PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeMode {
    /// One node, its own SQLite store.
    Standalone,
    /// One node of a fleet: repositories leased through the shared database.
    Fleet,
}

/// Where the node's loop is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Built, loop not started yet.
    Starting,
    /// A cycle runs.
    Cycling,
    /// Between cycles: on the timer, or, when paused, on a command.
    Waiting,
    /// The state database does not answer: nothing is polled or acted on until it does.
    StoreLost,
    /// The loop has returned.
    Stopped,
}

/// A running node at a glance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeState {
    /// This node.
    pub node: NodeId,
    /// Standalone or in a fleet.
    pub mode: NodeMode,
    /// The profile it runs as: `development`, `staging` or `production` (setting `environment`).
    pub profile: &'static str,
    /// Deciding and logging only.
    pub dry_run: bool,
    /// Where the loop is.
    pub phase: Phase,
    /// No cycle starts on the timer (poll-now still runs one).
    pub paused: bool,
    /// Cycles the loop has run, including failed ones, since the node started.
    pub cycles_run: u64,
    /// The latest cycles, newest last, at most [`LAST_CYCLES`].
    pub last_cycles: Vec<CycleSummary>,
    /// When the timer starts the next cycle; `None` while paused, cycling or stopped.
    pub next_cycle_due: Option<DateTime<Utc>>,
    /// Each source's budget and the repositories it skips, as of the latest cycle.
    pub sources: Vec<SourceState>,
    /// The repositories this fleet node leased in its latest cycle; `None` when standalone.
    pub leases: Option<Vec<RepoSlug>>,
    /// The PRs waiting on a person (a review, a stop label, a setting), oldest first.
    pub waiting_on_person: Vec<PersonWait>,
}

impl NodeState {
    pub(crate) fn new(
        node: NodeId,
        mode: NodeMode,
        profile: &'static str,
        dry_run: bool,
        paused: bool,
    ) -> Self {
        Self {
            node,
            mode,
            profile,
            dry_run,
            phase: Phase::Starting,
            paused,
            cycles_run: 0,
            last_cycles: Vec::new(),
            next_cycle_due: None,
            sources: Vec::new(),
            leases: (mode == NodeMode::Fleet).then(Vec::new),
            waiting_on_person: Vec::new(),
        }
    }

    /// The latest cycle, if one ran.
    #[must_use]
    pub fn last_cycle(&self) -> Option<&CycleSummary> {
        self.last_cycles.last()
    }

    /// Every repository a source skips for now, with the class of its latest failure.
    pub fn unhealthy(&self) -> impl Iterator<Item = (&RepoSlug, FailureClass)> {
        self.sources.iter().flat_map(|s| s.unhealthy.iter().map(|(repo, class)| (repo, *class)))
    }

    /// Folds one event of the loop in.
    pub(crate) fn observe(&mut self, event: &CycleEvent<'_>, now: DateTime<Utc>) {
        match event {
            CycleEvent::Waiting { paused, next_in } => {
                self.phase = Phase::Waiting;
                self.paused = *paused;
                self.next_cycle_due = (!paused).then(|| due(now, *next_in));
            }
            CycleEvent::Starting => {
                self.phase = Phase::Cycling;
                self.next_cycle_due = None;
            }
            CycleEvent::Completed(report) => self.push(CycleSummary::completed(report, now)),
            CycleEvent::Failed(error) => {
                self.push(CycleSummary {
                    cycle: None,
                    ended_at: now,
                    verdict: CycleVerdict::Failed { class: error.class() },
                });
            }
            CycleEvent::StoreLost { retry_in, .. } => {
                self.push(CycleSummary { cycle: None, ended_at: now, verdict: CycleVerdict::StoreLost });
                self.phase = Phase::StoreLost;
                self.next_cycle_due = Some(due(now, *retry_in));
            }
        }
    }

    /// Records a cycle that ended: the loop is between cycles from here on, even before it
    /// says how long it waits.
    fn push(&mut self, summary: CycleSummary) {
        self.phase = Phase::Waiting;
        self.cycles_run += 1;
        self.last_cycles.push(summary);
        if self.last_cycles.len() > LAST_CYCLES {
            self.last_cycles.remove(0);
        }
    }

    /// Takes in what the sources say of themselves after a cycle.
    pub(crate) fn set_sources(&mut self, health: Vec<SourceHealth>) {
        self.sources = health.into_iter().map(SourceState::from).collect();
    }

    /// Takes in the store's waits: the ones on a person.
    pub(crate) fn set_waits(&mut self, waits: &[PrWait]) {
        self.waiting_on_person = waits
            .iter()
            .filter(|w| w.on == jobrunner_core::WaitingOn::Person)
            .map(|w| PersonWait { repo: w.repo.clone(), pr: w.pr, since: w.since, reason: w.reason.clone() })
            .collect();
    }
}

fn due(now: DateTime<Utc>, after: Duration) -> DateTime<Utc> {
    now + chrono::TimeDelta::from_std(after).unwrap_or(chrono::TimeDelta::MAX)
}

/// One cycle, as the node's state keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleSummary {
    /// The cycle's number in the store, when it got one (a failed cycle reports none).
    pub cycle: Option<u64>,
    /// When the loop heard it end.
    pub ended_at: DateTime<Utc>,
    /// How it ended.
    pub verdict: CycleVerdict,
}

impl CycleSummary {
    fn completed(report: &CycleReport, now: DateTime<Utc>) -> Self {
        let actions = report.actions.iter().map(ActionSummary::from).collect();
        Self {
            cycle: Some(report.cycle),
            ended_at: now,
            verdict: CycleVerdict::Completed { signals: report.signals, actions },
        }
    }

    /// The actions the cycle decided (none for a cycle that did not complete).
    #[must_use]
    pub fn actions(&self) -> &[ActionSummary] {
        match &self.verdict {
            CycleVerdict::Completed { actions, .. } => actions,
            CycleVerdict::Failed { .. } | CycleVerdict::StoreLost => &[],
        }
    }
}

/// How a cycle ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum CycleVerdict {
    /// It polled, decided and acted.
    Completed {
        /// Signals polled.
        signals: usize,
        /// The actions it decided and what became of each.
        actions: Vec<ActionSummary>,
    },
    /// It failed: GitHub's trouble, a refused token; the class says which.
    Failed {
        /// What kind of failure.
        class: FailureClass,
    },
    /// The state database did not answer.
    StoreLost,
}

/// One action a cycle decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionSummary {
    /// The handler.
    pub action: &'static str,
    /// The repository.
    pub repo: RepoSlug,
    /// The PR.
    pub pr: u64,
    /// The idempotency key, as journaled.
    pub key: String,
    /// The handler's reason.
    pub reason: String,
    /// `performed`, `failed`, `already_claimed` or `dry_run`.
    pub outcome: &'static str,
    /// For a failed action: what kind of failure.
    pub failure: Option<FailureClass>,
}

impl From<&jobrunner_runner::ActionReport> for ActionSummary {
    fn from(report: &jobrunner_runner::ActionReport) -> Self {
        let (outcome, failure) = match &report.outcome {
            ActionOutcome::Performed => ("performed", None),
            ActionOutcome::Failed(class) => ("failed", Some(*class)),
            ActionOutcome::AlreadyClaimed => ("already_claimed", None),
            ActionOutcome::DryRun => ("dry_run", None),
        };
        Self {
            action: report.action,
            repo: report.key.repo.clone(),
            pr: report.key.pr,
            key: report.key.to_string(),
            reason: report.reason.clone(),
            outcome,
            failure,
        }
    }
}

/// A source's budget and the repositories it skips.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceState {
    /// The source (`github`).
    pub name: String,
    /// Points left in its tightest primary rate limit, when the forge said.
    pub rate_limit_left: Option<u64>,
    /// Points this process has spent.
    pub points_spent: u64,
    /// The repositories it skips until their back-off is over, with their latest failure.
    pub unhealthy: Vec<(RepoSlug, FailureClass)>,
}

impl From<SourceHealth> for SourceState {
    fn from(health: SourceHealth) -> Self {
        let budget = health.budget.unwrap_or_default();
        Self {
            name: health.name,
            rate_limit_left: budget.points_left,
            points_spent: budget.points_spent,
            unhealthy: health.unhealthy.into_iter().map(|u| (u.repo, u.class)).collect(),
        }
    }
}

/// A PR that waits on a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonWait {
    /// The repository.
    pub repo: RepoSlug,
    /// The PR.
    pub pr: u64,
    /// Since when (as the node first saw the wait on this head).
    pub since: DateTime<Utc>,
    /// The handler's reason (structural).
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use jobrunner_runner::CycleReport;

    use super::*;

    fn fresh() -> NodeState {
        NodeState::new(NodeId::new("node-a").unwrap(), NodeMode::Standalone, "development", false, false)
    }

    #[test]
    fn a_paused_wait_has_no_cycle_due_and_a_timed_one_has() {
        let (mut state, now) = (fresh(), Utc::now());
        state.observe(&CycleEvent::Waiting { paused: false, next_in: Duration::from_secs(60) }, now);
        assert_eq!(state.next_cycle_due, Some(now + chrono::TimeDelta::seconds(60)));
        state.observe(&CycleEvent::Waiting { paused: true, next_in: Duration::from_secs(60) }, now);
        assert_eq!((state.paused, state.next_cycle_due), (true, None));
        state.observe(&CycleEvent::Starting, now);
        assert_eq!(state.phase, Phase::Cycling);
    }

    #[test]
    fn a_cycle_that_ended_leaves_the_phase_between_cycles_before_the_wait_is_announced() {
        let (mut state, now) = (fresh(), Utc::now());
        state.observe(&CycleEvent::Starting, now);
        state.observe(&CycleEvent::Completed(&CycleReport::default()), now);
        assert_eq!((state.phase, state.cycles_run), (Phase::Waiting, 1));
    }

    #[test]
    fn only_the_last_ten_cycles_are_kept_and_every_one_is_counted() {
        let (mut state, now) = (fresh(), Utc::now());
        for cycle in 1..=12 {
            state.observe(&CycleEvent::Completed(&CycleReport { cycle, ..CycleReport::default() }), now);
        }
        assert_eq!(state.cycles_run, 12);
        let kept: Vec<_> = state.last_cycles.iter().filter_map(|c| c.cycle).collect();
        assert_eq!(kept, (3..=12).collect::<Vec<_>>());
    }
}
