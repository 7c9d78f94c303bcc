//! GitHub's refusals of a mutation, told apart by their message and turned into our own
//! words: GitHub answers them with HTTP 200 and `errors: [{type: "UNPROCESSABLE", message}]`,
//! and only the message says whether trying again next cycle can help.
//!
//! The message is GitHub's text, not a user's, but it may echo input: it is matched here and
//! dropped, and only the [`Refusal`] (our words) travels on. Sources: docs/github.md.

use jobrunner_core::FailureClass;

/// A refusal GitHub explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// "Pull request is in clean status" / "... unstable status": the PR can be merged
    /// directly, so GitHub will not arm auto-merge; the next cycle merges it instead.
    AlreadyMergeable,
    /// The head moved since the decision (`expectedHeadOid` no longer matches).
    HeadMoved,
    /// Not mergeable right now (mergeability not computed yet, checks or reviews missing).
    NotMergeableYet,
    /// "Auto merge is not allowed for this repository": a repository setting.
    AutoMergeNotAllowed,
    /// "Squash merges are not allowed on this repository" and its kin: a repository setting.
    MergeMethodNotAllowed,
    /// The base branch has no merge queue, or the PR cannot be queued.
    NoMergeQueue,
}

impl Refusal {
    /// Recognises GitHub's message; `None` for one we do not know.
    pub(crate) fn from_message(message: &str) -> Option<Self> {
        let m = message.to_ascii_lowercase();
        let has = |needle: &str| m.contains(needle);
        Some(if has("clean status") || has("unstable status") || has("has_hooks status") {
            Self::AlreadyMergeable
        } else if has("auto merge is not allowed") || has("auto-merge is not allowed") {
            Self::AutoMergeNotAllowed
        } else if has("merges are not allowed") || has("merge commits are not allowed") {
            Self::MergeMethodNotAllowed
        } else if has("head sha") || has("head branch was modified") || has("expected head") {
            Self::HeadMoved
        } else if has("merge queue") {
            Self::NoMergeQueue
        } else if has("not mergeable") || has("is blocked") || has("behind") || has("unknown status") {
            Self::NotMergeableYet
        } else {
            return None;
        })
    }

    /// What the runner does with the key: retry next cycle, or record it once and stop.
    pub(crate) fn class(self) -> FailureClass {
        match self {
            Self::AlreadyMergeable | Self::HeadMoved | Self::NotMergeableYet => FailureClass::Conflict,
            Self::AutoMergeNotAllowed | Self::MergeMethodNotAllowed | Self::NoMergeQueue => {
                FailureClass::Permanent
            }
        }
    }

    /// Our description, with the fix where there is one.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::AlreadyMergeable => "the PR is already mergeable: merging it directly next cycle",
            Self::HeadMoved => "the head moved since the decision: deciding again next cycle",
            Self::NotMergeableYet => "GitHub cannot merge it yet: deciding again next cycle",
            Self::AutoMergeNotAllowed => {
                "the repository does not allow auto-merge (Settings > General > Allow auto-merge)"
            }
            Self::MergeMethodNotAllowed => {
                "the repository does not allow this merge method: set merge_method to one it allows"
            }
            Self::NoMergeQueue => "the base branch has no merge queue that accepts the PR",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_recorded_refusals_are_recognised() {
        let cases = [
            ("Pull request Pull request is in clean status", Refusal::AlreadyMergeable),
            ("Pull request Pull request is in unstable status", Refusal::AlreadyMergeable),
            ("Pull request Auto merge is not allowed for this repository", Refusal::AutoMergeNotAllowed),
            ("Squash merges are not allowed on this repository.", Refusal::MergeMethodNotAllowed),
            ("Head branch was modified. Review and try the merge again.", Refusal::HeadMoved),
            ("Head sha didn't match expected head oid", Refusal::HeadMoved),
            ("Pull Request is not mergeable", Refusal::NotMergeableYet),
        ];
        for (message, refusal) in cases {
            assert_eq!(Refusal::from_message(message), Some(refusal), "{message}");
        }
        assert_eq!(Refusal::from_message("Something we have never seen"), None);
    }

    #[test]
    fn only_setting_refusals_are_final() {
        assert!(Refusal::AlreadyMergeable.class().is_retryable());
        assert!(Refusal::HeadMoved.class().is_retryable());
        assert!(!Refusal::AutoMergeNotAllowed.class().is_retryable());
        assert!(!Refusal::MergeMethodNotAllowed.class().is_retryable());
    }
}
