//! Escalation: a person is asked, by a label, when the agent or CI is stuck.

use std::time::Duration;

use async_trait::async_trait;
use jobrunner_core::{
    ActionId, ActionKey, CommitSha, Forge, ForgeError, JobHandler, Match, PipelineSignal, PrState,
    RequiredChecks, Settle, WaitingOn, human_duration,
};

use crate::send_fix_command::{Next, next_command};

/// Why a PR needs a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stuck {
    /// `fix_command_limit` commands went out without progress and another is due.
    NoProgress,
    /// The command and its re-send both went `agent_timeout` without a commit.
    AgentSilent,
    /// The deciding checks have been pending longer than `stuck_after`.
    PendingTooLong,
}

impl Stuck {
    fn rule(self) -> &'static str {
        match self {
            Self::NoProgress => "no_progress",
            Self::AgentSilent => "agent_silent",
            Self::PendingTooLong => "checks_stuck",
        }
    }
}

/// Labels a PR the pipeline cannot move on its own (default label `needs-human`, which is
/// also a stop label by default, so nothing else touches the PR until a person removes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsHuman {
    label: String,
    fix_command_limit: u32,
    agent_timeout: Duration,
    stuck_after: Duration,
}

impl NeedsHuman {
    /// The handler's name, also the ledger's and journal's name of the label action.
    pub const NAME: &'static str = "needs_human";

    /// A handler adding `label` after `fix_command_limit` commands without progress, a
    /// command and its re-send unanswered for `agent_timeout` each, or checks pending for
    /// `stuck_after`.
    #[must_use]
    pub fn new(label: &str, fix_command_limit: u32, agent_timeout: Duration, stuck_after: Duration) -> Self {
        Self { label: label.to_owned(), fix_command_limit, agent_timeout, stuck_after }
    }

    fn stuck(&self, signal: &PipelineSignal) -> Option<(Stuck, String)> {
        let memory = &signal.memory;
        match next_command(signal, self.agent_timeout) {
            Some(Next::Send(_) | Next::Resend(_))
                if memory.commands_without_progress >= self.fix_command_limit =>
            {
                return Some((
                    Stuck::NoProgress,
                    format!("{} fix commands without progress", memory.commands_without_progress),
                ));
            }
            Some(Next::Waiting { sent, waited: Some(waited), .. })
                if sent >= 2 && waited >= self.agent_timeout =>
            {
                return Some((
                    Stuck::AgentSilent,
                    format!(
                        "the agent answered neither the command nor its re-send ({} since the re-send)",
                        human_duration(waited)
                    ),
                ));
            }
            _ => {}
        }
        let pending = signal.deciding_checks() == RequiredChecks::Pending;
        match memory.waited_on(WaitingOn::Checks) {
            Some(waited) if pending && waited >= self.stuck_after => Some((
                Stuck::PendingTooLong,
                format!(
                    "checks pending for {} (stuck_after {})",
                    human_duration(waited),
                    human_duration(self.stuck_after)
                ),
            )),
            _ => None,
        }
    }

    fn key(stuck: Stuck, signal: &PipelineSignal) -> ActionKey {
        let mut key = ActionKey::for_signal(signal, ActionId::variant(Self::NAME, stuck.rule()));
        if stuck == Stuck::NoProgress {
            // About the PR, not a commit: once per PR, as new heads without progress are what
            // the limit counts.
            key.head_sha = CommitSha::new("0".repeat(40)).expect("forty zeros are a valid SHA");
        }
        key
    }
}

#[async_trait]
impl JobHandler for NeedsHuman {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    /// Labels are not in the signal, and adding one twice changes nothing on GitHub.
    fn settles_by(&self, _key: &ActionKey) -> Settle {
        Settle::Repeat
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        if signal.pr_state != PrState::Open {
            return Match::No;
        }
        match self.stuck(signal) {
            Some((stuck, why)) => Match::Act {
                reason: format!("{why}: labelled {:?} for a person", self.label),
                key: Self::key(stuck, signal),
            },
            None => Match::No,
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        forge.add_label(&signal.repo(), signal.pr_number, &self.label).await
    }
}
