//! A forge that performs nothing and remembers every call.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::failure::FailureClass;
use crate::forge::Forge;
use crate::forge_error::ForgeError;
use crate::merge_method::MergeMethod;
use crate::names::{CommitSha, RepoSlug, ThreadId};

/// One call made on a [`RecordingForge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForgeCall {
    /// `mark_ready_for_review`.
    MarkReady {
        /// Repository.
        repo: RepoSlug,
        /// PR number.
        pr: u64,
    },
    /// `comment`.
    Comment {
        /// Repository.
        repo: RepoSlug,
        /// Issue or PR number.
        number: u64,
        /// Comment text.
        body: String,
    },
    /// `resolve_threads`.
    ResolveThreads {
        /// Repository.
        repo: RepoSlug,
        /// Threads resolved.
        threads: Vec<ThreadId>,
    },
    /// `enable_auto_merge`.
    EnableAutoMerge {
        /// Repository.
        repo: RepoSlug,
        /// PR number.
        pr: u64,
        /// Head the request is pinned to.
        head: CommitSha,
        /// Merge method.
        method: MergeMethod,
    },
    /// `disable_auto_merge`.
    DisableAutoMerge {
        /// Repository.
        repo: RepoSlug,
        /// PR number.
        pr: u64,
    },
    /// `merge`.
    Merge {
        /// Repository.
        repo: RepoSlug,
        /// PR number.
        pr: u64,
        /// Head the merge is pinned to.
        head: CommitSha,
        /// Merge method.
        method: MergeMethod,
    },
    /// `enqueue`.
    Enqueue {
        /// Repository.
        repo: RepoSlug,
        /// PR number.
        pr: u64,
        /// Head the entry is pinned to.
        head: CommitSha,
    },
    /// `update_branch`.
    UpdateBranch {
        /// Repository.
        repo: RepoSlug,
        /// PR number.
        pr: u64,
        /// Head the update is pinned to.
        head: CommitSha,
    },
    /// `edit_issue_body`.
    EditIssueBody {
        /// Repository.
        repo: RepoSlug,
        /// Issue number.
        issue: u64,
        /// New body.
        body: String,
    },
    /// `close_issue`.
    CloseIssue {
        /// Repository.
        repo: RepoSlug,
        /// Issue number.
        issue: u64,
    },
    /// `add_label`.
    AddLabel {
        /// Repository.
        repo: RepoSlug,
        /// Issue or PR number.
        number: u64,
        /// Label name.
        label: String,
    },
}

/// A [`Forge`] for `core-ide simulate` and tests: mutations are recorded, not performed;
/// issue bodies come from what was seeded with [`RecordingForge::with_issue_body`].
#[derive(Default)]
pub struct RecordingForge {
    calls: Mutex<Vec<ForgeCall>>,
    bodies: Mutex<HashMap<(RepoSlug, u64), String>>,
    failure: Option<FailureClass>,
}

impl RecordingForge {
    /// A forge that accepts every mutation and knows no issue bodies.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Seeds the body returned for `repo`'s issue `issue`.
    #[must_use]
    pub fn with_issue_body(self, repo: &RepoSlug, issue: u64, body: impl Into<String>) -> Self {
        self.bodies.lock().expect("forge lock").insert((repo.clone(), issue), body.into());
        self
    }

    /// Makes every mutation fail with `class` (and record nothing).
    #[must_use]
    pub fn failing_with(mut self, class: FailureClass) -> Self {
        self.failure = Some(class);
        self
    }

    /// The calls recorded so far, in order.
    #[must_use]
    pub fn calls(&self) -> Vec<ForgeCall> {
        self.calls.lock().expect("forge lock").clone()
    }

    /// Removes and returns the calls recorded so far.
    pub fn take_calls(&self) -> Vec<ForgeCall> {
        std::mem::take(&mut *self.calls.lock().expect("forge lock"))
    }

    fn record(&self, operation: &'static str, call: ForgeCall) -> Result<(), ForgeError> {
        if let Some(class) = self.failure {
            return Err(ForgeError::new(operation, class, "injected by RecordingForge"));
        }
        if let ForgeCall::EditIssueBody { repo, issue, body } = &call {
            self.bodies.lock().expect("forge lock").insert((repo.clone(), *issue), body.clone());
        }
        self.calls.lock().expect("forge lock").push(call);
        Ok(())
    }
}

#[async_trait]
impl Forge for RecordingForge {
    async fn mark_ready_for_review(&self, repo: &RepoSlug, pr: u64) -> Result<(), ForgeError> {
        self.record("mark_ready_for_review", ForgeCall::MarkReady { repo: repo.clone(), pr })
    }

    async fn comment(&self, repo: &RepoSlug, number: u64, body: &str) -> Result<(), ForgeError> {
        let call = ForgeCall::Comment { repo: repo.clone(), number, body: body.to_owned() };
        self.record("comment", call)
    }

    async fn resolve_threads(&self, repo: &RepoSlug, threads: &[ThreadId]) -> Result<(), ForgeError> {
        let call = ForgeCall::ResolveThreads { repo: repo.clone(), threads: threads.to_vec() };
        self.record("resolve_threads", call)
    }

    async fn enable_auto_merge(
        &self,
        repo: &RepoSlug,
        pr: u64,
        head: &CommitSha,
        method: MergeMethod,
    ) -> Result<(), ForgeError> {
        let call = ForgeCall::EnableAutoMerge { repo: repo.clone(), pr, head: head.clone(), method };
        self.record("enable_auto_merge", call)
    }

    async fn disable_auto_merge(&self, repo: &RepoSlug, pr: u64) -> Result<(), ForgeError> {
        self.record("disable_auto_merge", ForgeCall::DisableAutoMerge { repo: repo.clone(), pr })
    }

    async fn merge(
        &self,
        repo: &RepoSlug,
        pr: u64,
        head: &CommitSha,
        method: MergeMethod,
    ) -> Result<(), ForgeError> {
        self.record("merge", ForgeCall::Merge { repo: repo.clone(), pr, head: head.clone(), method })
    }

    async fn enqueue(&self, repo: &RepoSlug, pr: u64, head: &CommitSha) -> Result<(), ForgeError> {
        self.record("enqueue", ForgeCall::Enqueue { repo: repo.clone(), pr, head: head.clone() })
    }

    async fn update_branch(&self, repo: &RepoSlug, pr: u64, head: &CommitSha) -> Result<(), ForgeError> {
        self.record("update_branch", ForgeCall::UpdateBranch { repo: repo.clone(), pr, head: head.clone() })
    }

    async fn issue_body(&self, repo: &RepoSlug, issue: u64) -> Result<String, ForgeError> {
        self.bodies.lock().expect("forge lock").get(&(repo.clone(), issue)).cloned().ok_or_else(|| {
            ForgeError::new("issue_body", FailureClass::NotFound, format!("{repo}#{issue} was not seeded"))
        })
    }

    async fn edit_issue_body(&self, repo: &RepoSlug, issue: u64, body: &str) -> Result<(), ForgeError> {
        let call = ForgeCall::EditIssueBody { repo: repo.clone(), issue, body: body.to_owned() };
        self.record("edit_issue_body", call)
    }

    async fn close_issue(&self, repo: &RepoSlug, issue: u64) -> Result<(), ForgeError> {
        self.record("close_issue", ForgeCall::CloseIssue { repo: repo.clone(), issue })
    }

    /// Open unless a [`ForgeCall::CloseIssue`] of it was recorded.
    async fn issue_open(&self, repo: &RepoSlug, issue: u64) -> Result<bool, ForgeError> {
        Ok(!self.calls().iter().any(
            |call| matches!(call, ForgeCall::CloseIssue { repo: r, issue: i } if r == repo && *i == issue),
        ))
    }

    async fn add_label(&self, repo: &RepoSlug, number: u64, label: &str) -> Result<(), ForgeError> {
        let call = ForgeCall::AddLabel { repo: repo.clone(), number, label: label.to_owned() };
        self.record("add_label", call)
    }

    async fn has_comment_with(&self, repo: &RepoSlug, number: u64, marker: &str) -> Result<bool, ForgeError> {
        Ok(self.calls().iter().any(|call| {
            matches!(call, ForgeCall::Comment { repo: r, number: n, body }
                if r == repo && *n == number && body.contains(marker))
        }))
    }
}
