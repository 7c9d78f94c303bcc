//! `markPullRequestReadyForReview` and `resolveReviewThread`, and what every mutation needs to
//! find its pull request and refuse like GitHub (the merge step's mutations use these too).
//! Several mutations may be aliased in one document; each is applied and logged on its own.

use async_graphql::{Context, Error, ID, InputObject, Object, Result, SimpleObject};

use super::context::{null_on_error, shared, typed_error};
use super::types::{PullRequest, PullRequestReviewThread};
use crate::error::ApiError;
use crate::ids::{self, NodeRef};
use crate::shared::Shared;

/// `MarkPullRequestReadyForReviewInput`.
#[derive(InputObject, Debug)]
#[graphql(name = "MarkPullRequestReadyForReviewInput")]
pub(crate) struct MarkPullRequestReadyForReviewInput {
    client_mutation_id: Option<String>,
    pull_request_id: ID,
}

/// `ResolveReviewThreadInput`.
#[derive(InputObject, Debug)]
#[graphql(name = "ResolveReviewThreadInput")]
pub(crate) struct ResolveReviewThreadInput {
    client_mutation_id: Option<String>,
    thread_id: ID,
}

/// `MarkPullRequestReadyForReviewPayload`.
#[derive(SimpleObject)]
#[graphql(name = "MarkPullRequestReadyForReviewPayload")]
pub(crate) struct MarkPullRequestReadyForReviewPayload {
    client_mutation_id: Option<String>,
    pull_request: Option<PullRequest>,
}

/// `ResolveReviewThreadPayload`.
#[derive(SimpleObject)]
#[graphql(name = "ResolveReviewThreadPayload")]
pub(crate) struct ResolveReviewThreadPayload {
    client_mutation_id: Option<String>,
    thread: Option<PullRequestReviewThread>,
}

/// Marking ready and resolving threads.
pub(crate) struct PullRequestMutations;

#[Object]
impl PullRequestMutations {
    async fn mark_pull_request_ready_for_review(
        &self,
        ctx: &Context<'_>,
        input: MarkPullRequestReadyForReviewInput,
    ) -> Result<Option<MarkPullRequestReadyForReviewPayload>> {
        let result: Result<Option<MarkPullRequestReadyForReviewPayload>> = async {
            let shared = shared(ctx);
            let (slug, number) = pull_request(shared, &input.pull_request_id)?;
            let records = shared.state().mark_ready(&slug, number).map_err(refused)?;
            shared.record(records);
            let pull_request = snapshot(shared, &slug, number);
            Ok(Some(MarkPullRequestReadyForReviewPayload {
                client_mutation_id: input.client_mutation_id,
                pull_request,
            }))
        }
        .await;
        Ok(null_on_error(ctx, result))
    }

    async fn resolve_review_thread(
        &self,
        ctx: &Context<'_>,
        input: ResolveReviewThreadInput,
    ) -> Result<Option<ResolveReviewThreadPayload>> {
        let result: Result<Option<ResolveReviewThreadPayload>> = async {
            let shared = shared(ctx);
            let Some(NodeRef::Thread { repo, number, thread }) = ids::parse_node_id(&input.thread_id) else {
                return Err(unresolvable(&input.thread_id));
            };
            let slug = slug_of(shared, repo).ok_or_else(|| unresolvable(&input.thread_id))?;
            forbidden_check(shared, &slug)?;
            let records = shared
                .state()
                .resolve_thread(&slug, number, thread)
                .map_err(|_| unresolvable(&input.thread_id))?;
            shared.record(records);
            let state = shared.state();
            let found = state
                .repo(&slug)
                .pulls
                .get(&number)
                .and_then(|pr| pr.threads.iter().find(|t| t.id == thread));
            let thread = found.map(|t| PullRequestReviewThread { repo, number, thread: t.clone() });
            Ok(Some(ResolveReviewThreadPayload { client_mutation_id: input.client_mutation_id, thread }))
        }
        .await;
        Ok(null_on_error(ctx, result))
    }
}

/// The PR a node id names, as (`owner/name`, number), or GitHub's `NOT_FOUND`.
pub(crate) fn pull_request(shared: &Shared, id: &ID) -> Result<(String, u64)> {
    let Some(NodeRef::PullRequest { repo, number }) = ids::parse_node_id(id) else {
        return Err(unresolvable(id));
    };
    let slug = slug_of(shared, repo).ok_or_else(|| unresolvable(id))?;
    forbidden_check(shared, &slug)?;
    let exists = shared.state().repo(&slug).pulls.contains_key(&number);
    if exists { Ok((slug, number)) } else { Err(unresolvable(id)) }
}

/// GitHub's `FORBIDDEN` for a change in a repository the token may not touch.
fn forbidden_check(shared: &Shared, slug: &str) -> Result<()> {
    if shared.state().repo(slug).forbidden {
        return Err(typed_error("FORBIDDEN", crate::repo_access::NOT_ACCESSIBLE.to_owned()));
    }
    Ok(())
}

fn slug_of(shared: &Shared, repo: u64) -> Option<String> {
    shared.state().repo_by_id(repo).map(crate::model::Repo::full_name)
}

pub(crate) fn snapshot(shared: &Shared, slug: &str, number: u64) -> Option<PullRequest> {
    let state = shared.state();
    let repo = state.find_repo(slug)?;
    Some(PullRequest::snapshot(repo, repo.pulls.get(&number)?, &shared.base_url))
}

fn unresolvable(id: &str) -> Error {
    typed_error("NOT_FOUND", format!("Could not resolve to a node with the global id of '{id}'"))
}

/// GitHub's GraphQL error for a refused change: `NOT_FOUND`, or `UNPROCESSABLE` with the
/// refusal's message (REST's 405, 409 and 422 alike).
pub(crate) fn refused(error: ApiError) -> Error {
    match error {
        ApiError::NotFound => typed_error("NOT_FOUND", "Could not resolve to a node".to_owned()),
        ApiError::Unprocessable(message) | ApiError::NotMergeable(message) | ApiError::HeadMoved(message) => {
            typed_error("UNPROCESSABLE", message)
        }
    }
}
