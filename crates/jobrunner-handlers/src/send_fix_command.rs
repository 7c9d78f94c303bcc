//! Stages 4 and 6: ask the coding agent to fix a conflict, answer a review, or fix failing
//! checks; re-send once when it stays silent.

use std::time::Duration;

use async_trait::async_trait;
use jobrunner_core::{
    ActionId, ActionKey, Forge, ForgeError, JobHandler, Match, Mergeable, PipelineSignal, PrState,
    RequiredChecks, ReviewDecision, Settle, WaitingOn, human_duration,
};

/// The rule suffix of a re-sent command's key.
const RESEND: &str = "/resend";

/// Which fix command a signal calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fix {
    Conflict,
    Review,
    /// Deciding checks fail; the digest of the failing set tells a new failure from the same.
    Ci(Option<String>),
}

impl Fix {
    /// The fix the signal calls for, in order: a conflict first (nothing else can be judged
    /// on a conflicting head), then an unanswered review, then failing checks.
    pub(crate) fn of(signal: &PipelineSignal) -> Option<Self> {
        if signal.pr_state != PrState::Open {
            return None;
        }
        if signal.mergeable == Mergeable::Conflicting {
            return Some(Self::Conflict);
        }
        let changes_requested = signal.review_decision == Some(ReviewDecision::ChangesRequested);
        if (signal.unresolved_count() > 0 || changes_requested) && !signal.has_fix_commit_after_review {
            return Some(Self::Review);
        }
        // Auto-merge this pipeline armed is withdrawn first (the merge step): a check that
        // failed is often re-run green, and then there is nothing for the agent to fix.
        let armed_by_us = signal.auto_merge_enabled && signal.auto_merge_ours;
        if signal.deciding_checks() == RequiredChecks::Failure && !armed_by_us {
            return Some(Self::Ci(signal.failing_checks.clone()));
        }
        None
    }

    /// The rule of the command's key: one command per head and rule.
    fn rule(&self) -> String {
        match self {
            Self::Conflict => "conflict".to_owned(),
            Self::Review => "review".to_owned(),
            Self::Ci(Some(digest)) => format!("ci {digest}"),
            Self::Ci(None) => "ci".to_owned(),
        }
    }

    fn key(&self, signal: &PipelineSignal, resend: bool) -> ActionKey {
        let rule = if resend { format!("{}{RESEND}", self.rule()) } else { self.rule() };
        let key = ActionKey::for_signal(signal, ActionId::variant(SendFixCommand::NAME, rule));
        match self {
            Self::Review => key.with_review(signal.last_review_at),
            Self::Conflict | Self::Ci(_) => key,
        }
    }

    fn reason(&self, signal: &PipelineSignal) -> String {
        match self {
            Self::Conflict => "PR conflicts with its base branch".to_owned(),
            Self::Review => {
                let asked = match signal.unresolved_count() {
                    0 => "a reviewer requested changes".to_owned(),
                    n => jobrunner_core::count(n, "unresolved review thread"),
                };
                format!("{asked} and no commit since the latest review")
            }
            Self::Ci(_) => "required checks FAILURE on the head".to_owned(),
        }
    }
}

/// What the command rule does next on a PR that needs a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// Send the command: none went out for this fix on this head.
    Send(Fix),
    /// The command went out once and `agent_timeout` passed without a commit: send it again.
    Resend(Fix),
    /// The command went out; the agent has time left (or the re-send went out too).
    Waiting { fix: Fix, sent: u32, waited: Option<Duration> },
}

/// When the agent counts as silent, by the memory of the commands sent on this head.
pub(crate) fn next_command(signal: &PipelineSignal, agent_timeout: Duration) -> Option<Next> {
    let fix = Fix::of(signal)?;
    let memory = &signal.memory;
    let same = memory.last_command.as_deref().is_some_and(|last| {
        let plain = last.strip_suffix(RESEND).unwrap_or(last);
        plain == fix.rule() && memory.commands_on_head > 0
    });
    if !same {
        return Some(Next::Send(fix));
    }
    let waited = memory.last_command_at.and_then(|at| memory.elapsed_since(at));
    if memory.commands_on_head == 1 && waited.is_some_and(|w| w >= agent_timeout) {
        return Some(Next::Resend(fix));
    }
    Some(Next::Waiting { fix, sent: memory.commands_on_head, waited })
}

/// Comments a fix command (conflict, review, failing checks) on a PR that needs one, once per
/// head and rule; re-sends it once when `agent_timeout` passes without a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFixCommand {
    conflict_command: String,
    review_command: String,
    ci_command: String,
    agent_timeout: Duration,
    fix_command_limit: u32,
}

impl SendFixCommand {
    /// The handler's name.
    pub const NAME: &'static str = "send_fix_command";

    /// A handler posting the given command texts (conflict, review, CI), re-sending one
    /// unanswered after `agent_timeout`, and sending none once `fix_command_limit` went out
    /// without progress (then [`NeedsHuman`](crate::NeedsHuman) asks a person).
    #[must_use]
    pub fn new(commands: [&str; 3], agent_timeout: Duration, fix_command_limit: u32) -> Self {
        let [conflict_command, review_command, ci_command] = commands.map(str::to_owned);
        Self { conflict_command, review_command, ci_command, agent_timeout, fix_command_limit }
    }

    fn text(&self, fix: &Fix) -> &str {
        match fix {
            Fix::Conflict => &self.conflict_command,
            Fix::Review => &self.review_command,
            Fix::Ci(_) => &self.ci_command,
        }
    }

    fn waiting_reason(&self, fix: &Fix, sent: u32, waited: Option<Duration>) -> String {
        let ago = waited.map_or_else(String::new, |w| format!(" {} ago", human_duration(w)));
        let then = if sent > 1 {
            "a person is asked (needs_human) once it passes again".to_owned()
        } else {
            format!("re-sent after {}", human_duration(self.agent_timeout))
        };
        format!("{} command sent{ago}: waiting for the agent's commit ({then})", fix.rule())
    }
}

#[async_trait]
impl JobHandler for SendFixCommand {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn settles_by(&self, _key: &ActionKey) -> Settle {
        Settle::CommentMarker
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        let next = next_command(signal, self.agent_timeout);
        let sent = signal.memory.commands_without_progress;
        if matches!(next, Some(Next::Send(_) | Next::Resend(_))) && sent >= self.fix_command_limit {
            return Match::Wait {
                reason: format!(
                    "{sent} fix commands without progress: no more commands, a person is asked (needs_human)"
                ),
                on: WaitingOn::Person,
            };
        }
        match next {
            Some(Next::Send(fix)) => Match::Act { reason: fix.reason(signal), key: fix.key(signal, false) },
            Some(Next::Resend(fix)) => Match::Act {
                reason: format!(
                    "{}; the command got no commit in {}: sent again",
                    fix.reason(signal),
                    human_duration(self.agent_timeout)
                ),
                key: fix.key(signal, true),
            },
            Some(Next::Waiting { fix, sent, waited }) => {
                Match::Wait { reason: self.waiting_reason(&fix, sent, waited), on: WaitingOn::Agent }
            }
            None => Match::No,
        }
    }

    /// Posts the command followed by the key's invisible marker, by which the runner tells,
    /// after a crash, whether this exact command was posted.
    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        let (fix, key) = match next_command(signal, self.agent_timeout) {
            Some(Next::Send(fix)) => {
                let key = fix.key(signal, false);
                (fix, key)
            }
            Some(Next::Resend(fix)) => {
                let key = fix.key(signal, true);
                (fix, key)
            }
            Some(Next::Waiting { .. }) | None => return Ok(()),
        };
        let body = format!("{}\n\n{}", self.text(&fix), key.comment_marker());
        forge.comment(&signal.repo(), signal.pr_number, &body).await
    }
}
