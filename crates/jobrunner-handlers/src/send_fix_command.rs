//! Stages 4 and 6: ask the coding agent to fix a conflict or answer review threads.

use async_trait::async_trait;
use jobrunner_core::{ActionKey, Forge, ForgeError, JobHandler, Match, Mergeable, PipelineSignal, PrState};

/// Which of the two fix commands a signal calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    Conflict,
    Review,
}

/// Comments the conflict command on a conflicting PR, or the review command on a PR whose
/// unresolved threads got no commit since the latest review.
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
        if signal.unresolved_count() > 0 && !signal.has_fix_commit_after_review {
            return Some(Fix::Review);
        }
        None
    }
}

#[async_trait]
impl JobHandler for SendFixCommand {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn matches(&self, signal: &PipelineSignal) -> Match {
        match Self::fix_for(signal) {
            Some(Fix::Conflict) => Match::Act {
                reason: "PR conflicts with its base branch".to_owned(),
                key: ActionKey::for_signal(signal, "send_fix_command/conflict"),
            },
            Some(Fix::Review) => Match::Act {
                reason: format!(
                    "{} and no commit since the latest review",
                    jobrunner_core::count(signal.unresolved_count(), "unresolved review thread")
                ),
                key: ActionKey::for_signal(signal, "send_fix_command/review")
                    .with_review(signal.last_review_at),
            },
            None => Match::No,
        }
    }

    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError> {
        let command = match Self::fix_for(signal) {
            Some(Fix::Conflict) => &self.conflict_command,
            Some(Fix::Review) => &self.review_command,
            None => return Ok(()),
        };
        forge.comment(&signal.repo(), signal.pr_number, command).await
    }
}
