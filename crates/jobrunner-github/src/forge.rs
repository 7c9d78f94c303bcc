//! `GitHubForge`: the handlers' mutations, through GraphQL where only GraphQL has them and
//! REST for the rest, serial and paced by the client.

use std::sync::Arc;

use async_trait::async_trait;
use http::Method;
use jobrunner_core::{Forge, ForgeError, MergeMethod, RepoSlug, ThreadId};
use serde::Deserialize;
use serde_json::json;

use crate::client::GitHubClient;
use crate::documents::{ENABLE_AUTO_MERGE, MARK_READY_FOR_REVIEW, resolve_threads_mutation};
use crate::routes;

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
}

#[async_trait]
impl Forge for GitHubForge {
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
        method: MergeMethod,
    ) -> Result<(), ForgeError> {
        let id = self.client.pr_node_id("enable_auto_merge", repo, pr).await?;
        let variables = json!({ "pullRequestId": id, "mergeMethod": method.as_graphql() });
        self.client.graphql_mutation("enable_auto_merge", ENABLE_AUTO_MERGE, variables).await
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
