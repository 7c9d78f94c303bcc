//! `GitHubForge`: the handlers' mutations, through GraphQL where only GraphQL has them and
//! REST for the rest, serial and paced by the client.

use std::sync::Arc;

use async_trait::async_trait;
use http::Method;
use jobrunner_core::{
    BodyChange, BodyDigest, BodyEdit, CommitSha, FailureClass, Forge, ForgeError, GuardedEdit, MergeMethod,
    RepoSlug, ThreadId,
};
use serde::Deserialize;
use serde_json::json;

use crate::client::{Fetched, GitHubClient};
use crate::documents::{
    DISABLE_AUTO_MERGE, ENABLE_AUTO_MERGE, ENQUEUE_PULL_REQUEST, MARK_READY_FOR_REVIEW, MERGE_PULL_REQUEST,
    UPDATE_PULL_REQUEST_BRANCH, resolve_threads_mutation,
};
use crate::routes;

/// Comment pages searched for a marker: 3,000 comments, more than any PR in flow carries.
const MAX_COMMENT_PAGES: usize = 30;

/// Performs handler actions on GitHub. Share the client with the [`GitHubSource`](crate::GitHubSource)
/// so PR node ids learnt while polling save a request here.
pub struct GitHubForge {
    client: Arc<GitHubClient>,
}

impl GitHubForge {
    /// A forge on `client`.
    #[must_use]
    pub fn new(client: Arc<GitHubClient>) -> Self {
        Self { client }
    }

    /// A merge-step mutation on PR `pr`, pinned to `head` (`expectedHeadOid`: GitHub refuses
    /// it when the head moved since the decision), with `method` where the mutation takes one.
    async fn pinned(
        &self,
        operation: &'static str,
        document: &str,
        repo: &RepoSlug,
        pr: u64,
        head: &CommitSha,
        method: Option<MergeMethod>,
    ) -> Result<(), ForgeError> {
        let id = self.client.pr_node_id(operation, repo, pr).await?;
        let mut variables = json!({ "pullRequestId": id, "expectedHeadOid": head.as_str() });
        if let Some(method) = method {
            variables["mergeMethod"] = method.as_graphql().into();
        }
        self.client.graphql_mutation(operation, document, variables).await
    }
}

#[async_trait]
impl Forge for GitHubForge {
    fn checklist_grammar(&self) -> jobrunner_core::checklist::ChecklistGrammar {
        self.client.config().checklist_grammar()
    }

    async fn mark_ready_for_review(&self, repo: &RepoSlug, pr: u64) -> Result<(), ForgeError> {
        let id = self.client.pr_node_id("mark_ready_for_review", repo, pr).await?;
        self.client
            .graphql_mutation("mark_ready_for_review", MARK_READY_FOR_REVIEW, json!({ "pullRequestId": id }))
            .await
    }

    async fn comment(&self, repo: &RepoSlug, number: u64, body: &str) -> Result<(), ForgeError> {
        // Not idempotent: a comment whose answer was lost may have been posted, so only a
        // rate-limit rejection is retried; the runner settles the rest from forge state.
        let uri = routes::issue_comments(repo, number);
        self.client.mutate("comment", Method::POST, &uri, &json!({ "body": body }), false).await
    }

    async fn has_comment_with(&self, repo: &RepoSlug, number: u64, marker: &str) -> Result<bool, ForgeError> {
        #[derive(Deserialize)]
        struct Comment {
            body: Option<String>,
        }
        let mut next = Some(format!("{}?per_page=100", routes::issue_comments(repo, number)));
        let mut pages = 0;
        while let Some(uri) = next.take() {
            pages += 1;
            let Fetched::Modified { next: link, body, .. } =
                self.client.get_conditional("has_comment_with", &uri, None).await?
            else {
                return Ok(false);
            };
            let comments: Vec<Comment> = serde_json::from_slice(&body).map_err(|e| {
                ForgeError::new(
                    "has_comment_with",
                    FailureClass::Transient,
                    format!("malformed comments: {:?}", e.classify()),
                )
            })?;
            // The texts are searched and dropped here: nothing of them leaves this function.
            if comments.iter().any(|c| c.body.as_deref().is_some_and(|b| b.contains(marker))) {
                return Ok(true);
            }
            if pages < MAX_COMMENT_PAGES {
                next = link;
            }
        }
        Ok(false)
    }

    async fn resolve_threads(&self, repo: &RepoSlug, threads: &[ThreadId]) -> Result<(), ForgeError> {
        if threads.is_empty() {
            return Ok(());
        }
        let _ = repo;
        let (document, variables) = resolve_threads_mutation(threads);
        self.client.graphql_mutation("resolve_threads", &document, variables).await
    }

    async fn enable_auto_merge(
        &self,
        repo: &RepoSlug,
        pr: u64,
        head: &CommitSha,
        method: MergeMethod,
    ) -> Result<(), ForgeError> {
        self.pinned("enable_auto_merge", ENABLE_AUTO_MERGE, repo, pr, head, Some(method)).await
    }

    async fn disable_auto_merge(&self, repo: &RepoSlug, pr: u64) -> Result<(), ForgeError> {
        let id = self.client.pr_node_id("disable_auto_merge", repo, pr).await?;
        self.client
            .graphql_mutation("disable_auto_merge", DISABLE_AUTO_MERGE, json!({ "pullRequestId": id }))
            .await
    }

    async fn merge(
        &self,
        repo: &RepoSlug,
        pr: u64,
        head: &CommitSha,
        method: MergeMethod,
    ) -> Result<(), ForgeError> {
        self.pinned("merge", MERGE_PULL_REQUEST, repo, pr, head, Some(method)).await
    }

    async fn enqueue(&self, repo: &RepoSlug, pr: u64, head: &CommitSha) -> Result<(), ForgeError> {
        self.pinned("enqueue", ENQUEUE_PULL_REQUEST, repo, pr, head, None).await
    }

    async fn update_branch(&self, repo: &RepoSlug, pr: u64, head: &CommitSha) -> Result<(), ForgeError> {
        self.pinned("update_branch", UPDATE_PULL_REQUEST_BRANCH, repo, pr, head, None).await
    }

    async fn issue_body(&self, repo: &RepoSlug, issue: u64) -> Result<String, ForgeError> {
        #[derive(Deserialize)]
        struct Issue {
            body: Option<String>,
        }
        let issue: Issue = self.client.get_json("issue_body", &routes::issue(repo, issue)).await?;
        Ok(issue.body.unwrap_or_default())
    }

    async fn edit_issue_body(&self, repo: &RepoSlug, issue: u64, body: &str) -> Result<(), ForgeError> {
        let uri = routes::issue(repo, issue);
        self.client.mutate("edit_issue_body", Method::PATCH, &uri, &json!({ "body": body }), true).await
    }

    /// Read, write and read back inside the mutation gate, so none of this node's other
    /// mutations lands in between; GitHub's PATCH takes no precondition, so the reads are the
    /// guard (see `GuardedEdit`). Costs two GETs and the PATCH.
    async fn edit_issue_body_guarded(
        &self,
        repo: &RepoSlug,
        issue: u64,
        decided: Option<&BodyDigest>,
        edit: &BodyEdit<'_>,
    ) -> Result<Option<BodyChange>, ForgeError> {
        let guard = GuardedEdit::new("edit_issue_body", repo, issue, decided);
        let gate = self.client.mutation_gate().await;
        let current = self.issue_body(repo, issue).await?;
        let Some(new_body) = guard.apply(&current, edit)? else { return Ok(None) };
        let uri = routes::issue(repo, issue);
        let body = json!({ "body": new_body });
        self.client.mutate_holding(&gate, "edit_issue_body", Method::PATCH, &uri, &body, true).await?;
        let reread = self.issue_body(repo, issue).await?;
        guard.verify(&current, &new_body, &reread).map(Some)
    }

    async fn issue_open(&self, repo: &RepoSlug, issue: u64) -> Result<bool, ForgeError> {
        #[derive(Deserialize)]
        struct Issue {
            state: String,
        }
        let issue: Issue = self.client.get_json("issue_open", &routes::issue(repo, issue)).await?;
        Ok(issue.state == "open")
    }

    async fn close_issue(&self, repo: &RepoSlug, issue: u64) -> Result<(), ForgeError> {
        let uri = routes::issue(repo, issue);
        let body = json!({ "state": "closed", "state_reason": "completed" });
        self.client.mutate("close_issue", Method::PATCH, &uri, &body, true).await
    }

    async fn add_label(&self, repo: &RepoSlug, number: u64, label: &str) -> Result<(), ForgeError> {
        let uri = routes::issue_labels(repo, number);
        self.client.mutate("add_label", Method::POST, &uri, &json!({ "labels": [label] }), true).await
    }
}
