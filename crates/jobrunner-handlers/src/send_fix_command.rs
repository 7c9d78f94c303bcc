//! Stages 4 and 6: ask the coding agent to fix a conflict or answer review threads.

use async_trait::async_trait;
use jobrunner_core::{
    ActionId, ActionKey, Forge, ForgeError, JobHandler, Match, Mergeable, PipelineSignal, PrState,
    ReviewDecision,
};

/// Which of the two fix commands a signal calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    Conflict,
    Review,
}

impl Fix {
    fn key(self, signal: &PipelineSignal) -> ActionKey {
        match self {
            Self::Conflict => {
                ActionKey::for_signal(signal, ActionId::variant(SendFixCommand::NAME, "conflict"))
            }
            Self::Review => ActionKey::for_signal(signal, ActionId::variant(SendFixCommand::NAME, "review"))
                .with_review(signal.last_review_at),
        }
    }
}

/// Comments the conflict command on a conflicting PR, or the review command on a PR whose
/// unresolved threads or change request got no commit since the latest review round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFixCommand {
    conflict_command: String,
    review_command: String,
}

impl SendFixCommand {
    /// The handler's name.
    pub const NAME: &'static str = "send_fix_command";

    /// A handler posting the given command texts.
    #[must_use]
    pub fn new(conflict_command: &str, review_command: &str) -> Self {
        Self { conflict_command: conflict_command.to_owned(), review_command: review_command.to_owned() }
    }

    fn fix_for(signal: &PipelineSignal) -> Option<Fix> {
        if signal.pr_state != PrState::Open {
            return None;
        }
        if signal.mergeable == Mergeable::Conflicting {
            return Some(Fix::Conflict);
        }
        let changes_requested = signal.review_decision == Some(ReviewDecision::ChangesRequested);
        if (signal.unresolved_count() > 0 || changes_requested) && !signal.has_fix_commit_after_review {
            return Some(Fix::Review);
        }
        None
    }

    fn review_reason(signal: &PipelineSignal) -> String {
        let asked = match signal.unresolved_count() {
            0 => "a reviewer requested changes".to_owned(),
            n => jobrunner_core::count(n, "unresolved review thread"),
        };
        format!("{asked} and no commit since the latest review")
    }
}

#[async_trait]
impl JobHandler for SendFixCommand {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        match Self::fix_for(signal) {
            Some(fix @ Fix::Conflict) => {
                Match::Act { reason: "PR conflicts with its base branch".to_owned(), key: fix.key(signal) }
            }
            Some(fix @ Fix::Review) => {
                Match::Act { reason: Self::review_reason(signal), key: fix.key(signal) }
            }
            None => Match::No,
        }
    }

    /// Posts the command followed by the key's invisible marker, by which the runner tells,
    /// after a crash, whether this exact command was posted.
    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        let Some(fix) = Self::fix_for(signal) else { return Ok(()) };
        let command = match fix {
            Fix::Conflict => &self.conflict_command,
            Fix::Review => &self.review_command,
        };
        let body = format!("{command}\n\n{}", fix.key(signal).comment_marker());
        forge.comment(&signal.repo(), signal.pr_number, &body).await
    }
}
