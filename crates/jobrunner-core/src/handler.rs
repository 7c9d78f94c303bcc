//! The handler contract: decide from a signal, then act through the forge.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::body_edit::BodyChange;
use crate::forge::Forge;
use crate::forge_error::ForgeError;
use crate::names::{CommitSha, RepoSlug};
use crate::signal::{PipelineSignal, WaitingOn};

/// What an action is: the handler that performs it and, when one handler has several rules,
/// which rule (`send_fix_command` / `review`). Stored and journaled as `handler/variant`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionId {
    handler: String,
    variant: Option<String>,
}

impl ActionId {
    /// The action of a handler with a single rule.
    #[must_use]
    pub fn new(handler: &str) -> Self {
        Self { handler: handler.to_owned(), variant: None }
    }

    /// The action of one rule of a handler. The variant may itself contain `/` (an epic and
    /// child, `epic 3/child 7`): only the first `/` separates it from the handler.
    #[must_use]
    pub fn variant(handler: &str, variant: impl Into<String>) -> Self {
        Self { handler: handler.to_owned(), variant: Some(variant.into()) }
    }

    /// Reads the `handler/variant` spelling back. Every text is some action: a name without
    /// `/` is a handler with a single rule.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        match text.split_once('/') {
            Some((handler, variant)) => Self::variant(handler, variant),
            None => Self::new(text),
        }
    }

    /// The handler's name.
    #[must_use]
    pub fn handler(&self) -> &str {
        &self.handler
    }

    /// The rule, when the handler has several.
    #[must_use]
    pub fn rule(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// True when `handler` performs this action.
    #[must_use]
    pub fn is(&self, handler: &str) -> bool {
        self.handler == handler
    }
}

impl fmt::Display for ActionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.variant {
            Some(variant) => write!(f, "{}/{variant}", self.handler),
            None => f.write_str(&self.handler),
        }
    }
}

impl Serialize for ActionId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ActionId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| Self::parse(&text))
    }
}

/// The idempotency key of one action: it is performed at most once per key, across cycles,
/// restarts and fleet nodes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ActionKey {
    /// Repository of the PR.
    pub repo: RepoSlug,
    /// PR number.
    pub pr: u64,
    /// The action: handler and rule.
    pub action: ActionId,
    /// Head commit the decision was made on.
    pub head_sha: CommitSha,
    /// Latest review time, for actions that answer a review.
    pub review_at: Option<DateTime<Utc>>,
}

impl ActionKey {
    /// The key of `action` taken on `signal`'s PR at its head commit.
    #[must_use]
    pub fn for_signal(signal: &PipelineSignal, action: ActionId) -> Self {
        Self {
            repo: signal.repo(),
            pr: signal.pr_number,
            action,
            head_sha: signal.last_commit_sha.clone(),
            review_at: None,
        }
    }

    /// The same key, also bound to the latest review.
    #[must_use]
    pub fn with_review(mut self, review_at: Option<DateTime<Utc>>) -> Self {
        self.review_at = review_at;
        self
    }
}

impl ActionKey {
    /// An invisible line a comment posted for this key ends with: an HTML comment naming the
    /// key, so that after a crash the runner can tell whether the comment was posted
    /// ([`Forge::has_comment_with`](crate::Forge::has_comment_with)).
    #[must_use]
    pub fn comment_marker(&self) -> String {
        format!("<!-- core-ide {self} -->")
    }
}

impl fmt::Display for ActionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}:{}@{}", self.repo, self.pr, self.action, self.head_sha)?;
        if let Some(review_at) = self.review_at {
            write!(f, ":review@{}", review_at.to_rfc3339_opts(SecondsFormat::Secs, true))?;
        }
        Ok(())
    }
}

/// What one handler makes of one signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// The handler acts; `reason` says why in structural terms.
    Act {
        /// Why the handler acts.
        reason: String,
        /// The idempotency key of the action.
        key: ActionKey,
    },
    /// The signal is in this handler's stage but not ready yet; `reason` says what it waits on.
    Wait {
        /// What the handler waits for.
        reason: String,
        /// Who or what has to move next.
        on: WaitingOn,
    },
    /// The signal is outside this handler's stage.
    No,
}

/// The outcome of one performed action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionResult {
    /// The handler that acted.
    pub action: &'static str,
    /// The action's idempotency key.
    pub key: ActionKey,
    /// True when the forge accepted every request of the action.
    pub success: bool,
    /// Wall time of the action, in milliseconds.
    pub duration_ms: u64,
    /// Why it failed, when it did.
    pub error: Option<ForgeError>,
    /// The digests of the body the action rewrote (an epic's, by `tick_parent`), for the
    /// journal; `None` for actions that rewrite no body.
    pub body_change: Option<BodyChange>,
}

/// How the runner tells, after a crash left a claim unconfirmed, whether the action happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// The PR's signal, read afresh, shows the effect ([`JobHandler::effect_visible`]).
    Signal,
    /// The action posts a comment ending with the key's marker: the forge is asked whether
    /// that comment exists. Such an action is never repeated blindly, as a comment posted
    /// twice is two comments.
    CommentMarker,
    /// Performing it again changes nothing (adding a label): it is simply performed again.
    Repeat,
}

/// A typed handler of one stage of the epic flow.
///
/// `matches` is pure and cheap: the dispatcher calls it for every handler on every signal.
/// `execute` performs the action through the forge, in as few requests as the forge allows.
#[async_trait]
pub trait JobHandler: Send + Sync {
    /// The stable name used in configuration, keys, logs and the journal (`publish_draft`).
    fn name(&self) -> &'static str;

    /// Decides from the signal alone whether this handler acts.
    fn matches(&self, signal: &PipelineSignal) -> Match;

    /// Performs the action for a signal that matched.
    async fn execute(&self, signal: &PipelineSignal, forge: &dyn Forge) -> Result<(), ForgeError>;

    /// Performs the action like [`execute`](Self::execute) and says which body it rewrote,
    /// for the journal. The default runs `execute` and rewrote none; `tick_parent` overrides it.
    async fn execute_with_edit(
        &self,
        signal: &PipelineSignal,
        forge: &dyn Forge,
    ) -> Result<Option<BodyChange>, ForgeError> {
        self.execute(signal, forge).await.map(|()| None)
    }

    /// Whether the forge, asked directly, shows the effect of the action claimed as `key`:
    /// for effects that take their subject out of every signal (a closed epic is no longer
    /// read), so the runner asks this after a crash before [`effect_visible`](Self::effect_visible).
    /// `Ok(None)`, the default: the forge is not asked; the signal tells.
    async fn effect_on_forge(&self, key: &ActionKey, forge: &dyn Forge) -> Result<Option<bool>, ForgeError> {
        let _ = (key, forge);
        Ok(None)
    }

    /// Whether `signal` shows the effect of the action claimed as `key` (a published draft, a
    /// ticked box, a new head after a branch update). The runner asks it after a crash left
    /// the claim unconfirmed: shown means the action was performed. The default, `false`,
    /// suits effects a signal cannot show (a comment); such an action is then settled through
    /// the forge instead.
    fn effect_visible(&self, key: &ActionKey, signal: &PipelineSignal) -> bool {
        let _ = (key, signal);
        false
    }

    /// How an unconfirmed claim of `key` is settled after a crash; the default reads the
    /// signal.
    fn settles_by(&self, key: &ActionKey) -> Settle {
        let _ = key;
        Settle::Signal
    }
}

#[cfg(test)]
mod tests {
    use super::ActionId;

    #[test]
    fn an_action_reads_back_as_it_is_stored() {
        for text in ["publish_draft", "send_fix_command/review", "tick_parent/epic 3/child 7"] {
            let action = ActionId::parse(text);
            assert_eq!(action.to_string(), text);
            assert_eq!(
                serde_json::from_str::<ActionId>(&serde_json::to_string(&action).unwrap()).unwrap(),
                action
            );
        }
    }

    #[test]
    fn only_the_first_slash_separates_the_handler_from_its_rule() {
        let action = ActionId::parse("tick_parent/epic 3/child 7");
        assert_eq!((action.handler(), action.rule()), ("tick_parent", Some("epic 3/child 7")));
        assert!(action.is("tick_parent") && !action.is("tick"));
        assert_eq!(ActionId::parse("close_child").rule(), None);
    }
}
