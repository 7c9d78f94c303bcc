//! The mutation port: everything a handler may do to a forge.

use async_trait::async_trait;

use crate::body_edit::{BodyChange, BodyEdit, GuardedEdit};
use crate::forge_error::ForgeError;
use crate::merge_method::MergeMethod;
use crate::names::{BodyDigest, CommitSha, RepoSlug, ThreadId};

/// Mutations (and the one read they need) that handlers perform on a forge.
///
/// Implementations: `jobrunner-github`'s `GitHubForge` over the real API, and
/// [`RecordingForge`](crate::RecordingForge) for `core-ide simulate` and tests. Every method is
/// one request to the forge, so one handler execution is one mutation.
#[async_trait]
pub trait Forge: Send + Sync {
    /// Marks a draft PR ready for review.
    async fn mark_ready_for_review(&self, repo: &RepoSlug, pr: u64) -> Result<(), ForgeError>;

    /// Adds a comment to an issue or PR.
    async fn comment(&self, repo: &RepoSlug, number: u64, body: &str) -> Result<(), ForgeError>;

    /// Resolves review threads, all in one request.
    async fn resolve_threads(&self, repo: &RepoSlug, threads: &[ThreadId]) -> Result<(), ForgeError>;

    /// Requests auto-merge with the given method, pinned to `head`: GitHub refuses it when
    /// the head moved, and on a PR that is already `CLEAN` or `UNSTABLE`.
    async fn enable_auto_merge(
        &self,
        repo: &RepoSlug,
        pr: u64,
        head: &CommitSha,
        method: MergeMethod,
    ) -> Result<(), ForgeError>;

    /// Withdraws an auto-merge request.
    async fn disable_auto_merge(&self, repo: &RepoSlug, pr: u64) -> Result<(), ForgeError>;

    /// Merges the PR now, pinned to `head`: GitHub refuses when the head moved.
    async fn merge(
        &self,
        repo: &RepoSlug,
        pr: u64,
        head: &CommitSha,
        method: MergeMethod,
    ) -> Result<(), ForgeError>;

    /// Adds the PR to its base branch's merge queue, pinned to `head` (the queue sets the
    /// merge method).
    async fn enqueue(&self, repo: &RepoSlug, pr: u64, head: &CommitSha) -> Result<(), ForgeError>;

    /// Brings the PR's branch up to date with its base, pinned to `head`.
    async fn update_branch(&self, repo: &RepoSlug, pr: u64, head: &CommitSha) -> Result<(), ForgeError>;

    /// Reads an issue's body: the only free text a handler ever sees, and only to rewrite one
    /// checkbox of it.
    async fn issue_body(&self, repo: &RepoSlug, issue: u64) -> Result<String, ForgeError>;

    /// Replaces an issue's body.
    async fn edit_issue_body(&self, repo: &RepoSlug, issue: u64, body: &str) -> Result<(), ForgeError>;

    /// Rewrites an issue's body with `edit`, guarded against a person's edit (see
    /// [`GuardedEdit`]): the body is read again right before the write and must still be the
    /// one whose digest is `decided`; after the write it is read back and must be what was
    /// written. Either failing is a [`FailureClass::Conflict`](crate::FailureClass::Conflict). `Ok(None)` when `edit` found
    /// nothing to write. Implementations hold back their other mutations meanwhile; this
    /// default, for forges without a mutation gate, runs the same steps.
    async fn edit_issue_body_guarded(
        &self,
        repo: &RepoSlug,
        issue: u64,
        decided: Option<&BodyDigest>,
        edit: &BodyEdit<'_>,
    ) -> Result<Option<BodyChange>, ForgeError> {
        let guard = GuardedEdit::new("edit_issue_body", repo, issue, decided);
        let current = self.issue_body(repo, issue).await?;
        let Some(new_body) = guard.apply(&current, edit)? else { return Ok(None) };
        self.edit_issue_body(repo, issue, &new_body).await?;
        let reread = self.issue_body(repo, issue).await?;
        guard.verify(&current, &new_body, &reread).map(Some)
    }

    /// Whether an issue is open: how an epic's closing is confirmed after a crash, since a
    /// closed epic drops out of what the source reads.
    async fn issue_open(&self, repo: &RepoSlug, issue: u64) -> Result<bool, ForgeError>;

    /// Closes an issue as completed.
    async fn close_issue(&self, repo: &RepoSlug, issue: u64) -> Result<(), ForgeError>;

    /// Adds a label to an issue or PR.
    async fn add_label(&self, repo: &RepoSlug, number: u64, label: &str) -> Result<(), ForgeError>;

    /// Whether a comment on the issue or PR contains `marker` (see
    /// [`ActionKey::comment_marker`](crate::ActionKey::comment_marker)). The runner asks this
    /// once, after a crash left a comment's claim unconfirmed, to post it exactly once. The
    /// comments' text is searched and dropped, never kept or returned.
    async fn has_comment_with(&self, repo: &RepoSlug, number: u64, marker: &str) -> Result<bool, ForgeError>;

    /// The checklist grammar of epic bodies on this forge: issue URLs count only on its web
    /// host. The default is github.com's.
    fn checklist_grammar(&self) -> crate::checklist::ChecklistGrammar {
        crate::checklist::ChecklistGrammar::default()
    }
}
