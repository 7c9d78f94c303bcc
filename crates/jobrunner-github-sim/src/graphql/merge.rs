//! The merge step's mutations, with GitHub's inputs (every field GitHub accepts) and payloads:
//! `enablePullRequestAutoMerge`, `disablePullRequestAutoMerge`, `mergePullRequest`,
//! `enqueuePullRequest`, `dequeuePullRequest` and `updatePullRequestBranch`. Refusals are `UNPROCESSABLE` with
//! GitHub's messages (see [`crate::merging`]).

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use super::actor::Actor;
use super::context::{null_on_error, shared};
use super::enums::PullRequestMergeMethod;
use super::mutation::{pull_request, refused, snapshot};
use super::scalars::GitObjectId;
use super::types::{MergeQueueEntry, PullRequest};
use crate::model::MergeMethod;
use crate::shared::Shared;

/// `EnablePullRequestAutoMergeInput`.
#[derive(InputObject, Debug)]
#[graphql(name = "EnablePullRequestAutoMergeInput")]
pub(crate) struct EnablePullRequestAutoMergeInput {
    author_email: Option<String>,
    client_mutation_id: Option<String>,
    commit_body: Option<String>,
    commit_headline: Option<String>,
    expected_head_oid: Option<GitObjectId>,
    #[graphql(default_with = "Some(PullRequestMergeMethod::Merge)")]
    merge_method: Option<PullRequestMergeMethod>,
    pull_request_id: ID,
}

/// `DisablePullRequestAutoMergeInput`.
#[derive(InputObject, Debug)]
#[graphql(name = "DisablePullRequestAutoMergeInput")]
pub(crate) struct DisablePullRequestAutoMergeInput {
    client_mutation_id: Option<String>,
    pull_request_id: ID,
}

/// `MergePullRequestInput`.
#[derive(InputObject, Debug)]
#[graphql(name = "MergePullRequestInput")]
pub(crate) struct MergePullRequestInput {
    author_email: Option<String>,
    client_mutation_id: Option<String>,
    commit_body: Option<String>,
    commit_headline: Option<String>,
    expected_head_oid: Option<GitObjectId>,
    #[graphql(default_with = "Some(PullRequestMergeMethod::Merge)")]
    merge_method: Option<PullRequestMergeMethod>,
    pull_request_id: ID,
}

/// `EnqueuePullRequestInput` (no merge method: the queue sets it).
#[derive(InputObject, Debug)]
#[graphql(name = "EnqueuePullRequestInput")]
pub(crate) struct EnqueuePullRequestInput {
    client_mutation_id: Option<String>,
    expected_head_oid: Option<GitObjectId>,
    jump: Option<bool>,
    pull_request_id: ID,
}

/// `DequeuePullRequestInput` (the PR's id is `id`, as GitHub names it).
#[derive(InputObject, Debug)]
#[graphql(name = "DequeuePullRequestInput")]
pub(crate) struct DequeuePullRequestInput {
    client_mutation_id: Option<String>,
    id: ID,
}

/// `DequeuePullRequestPayload`.
#[derive(SimpleObject)]
#[graphql(name = "DequeuePullRequestPayload")]
pub(crate) struct DequeuePullRequestPayload {
    client_mutation_id: Option<String>,
    merge_queue_entry: Option<MergeQueueEntry>,
}

/// `PullRequestBranchUpdateMethod`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PullRequestBranchUpdateMethod")]
pub(crate) enum PullRequestBranchUpdateMethod {
    Merge,
    Rebase,
}

/// `UpdatePullRequestBranchInput`.
#[derive(InputObject, Debug)]
#[graphql(name = "UpdatePullRequestBranchInput")]
pub(crate) struct UpdatePullRequestBranchInput {
    client_mutation_id: Option<String>,
    expected_head_oid: Option<GitObjectId>,
    pull_request_id: ID,
    update_method: Option<PullRequestBranchUpdateMethod>,
}

/// `EnablePullRequestAutoMergePayload`.
#[derive(SimpleObject)]
#[graphql(name = "EnablePullRequestAutoMergePayload")]
pub(crate) struct EnablePullRequestAutoMergePayload {
    actor: Option<Actor>,
    client_mutation_id: Option<String>,
    pull_request: Option<PullRequest>,
}

/// `DisablePullRequestAutoMergePayload`.
#[derive(SimpleObject)]
#[graphql(name = "DisablePullRequestAutoMergePayload")]
pub(crate) struct DisablePullRequestAutoMergePayload {
    actor: Option<Actor>,
    client_mutation_id: Option<String>,
    pull_request: Option<PullRequest>,
}

/// `MergePullRequestPayload`.
#[derive(SimpleObject)]
#[graphql(name = "MergePullRequestPayload")]
pub(crate) struct MergePullRequestPayload {
    actor: Option<Actor>,
    client_mutation_id: Option<String>,
    pull_request: Option<PullRequest>,
}

/// `EnqueuePullRequestPayload`.
#[derive(SimpleObject)]
#[graphql(name = "EnqueuePullRequestPayload")]
pub(crate) struct EnqueuePullRequestPayload {
    client_mutation_id: Option<String>,
    merge_queue_entry: Option<MergeQueueEntry>,
}

/// `UpdatePullRequestBranchPayload`.
#[derive(SimpleObject)]
#[graphql(name = "UpdatePullRequestBranchPayload")]
pub(crate) struct UpdatePullRequestBranchPayload {
    client_mutation_id: Option<String>,
    pull_request: Option<PullRequest>,
}

/// The merge step's mutations.
pub(crate) struct MergeMutations;

fn viewer(shared: &Shared) -> Actor {
    Actor::user(shared.state().viewer())
}

fn method(method: Option<PullRequestMergeMethod>) -> MergeMethod {
    method.unwrap_or(PullRequestMergeMethod::Merge).into()
}

#[Object]
impl MergeMutations {
    async fn enable_pull_request_auto_merge(
        &self,
        ctx: &Context<'_>,
        input: EnablePullRequestAutoMergeInput,
    ) -> Result<Option<EnablePullRequestAutoMergePayload>> {
        let result: Result<Option<EnablePullRequestAutoMergePayload>> = async {
            let shared = shared(ctx);
            let (slug, number) = pull_request(shared, &input.pull_request_id)?;
            let expected = input.expected_head_oid.as_ref().map(|o| o.0.as_str());
            let records = shared
                .state()
                .enable_auto_merge(&slug, number, expected, method(input.merge_method))
                .map_err(refused)?;
            shared.record(records);
            Ok(Some(EnablePullRequestAutoMergePayload {
                actor: Some(viewer(shared)),
                client_mutation_id: input.client_mutation_id,
                pull_request: snapshot(shared, &slug, number),
            }))
        }
        .await;
        Ok(null_on_error(ctx, result))
    }

    async fn disable_pull_request_auto_merge(
        &self,
        ctx: &Context<'_>,
        input: DisablePullRequestAutoMergeInput,
    ) -> Result<Option<DisablePullRequestAutoMergePayload>> {
        let result: Result<Option<DisablePullRequestAutoMergePayload>> = async {
            let shared = shared(ctx);
            let (slug, number) = pull_request(shared, &input.pull_request_id)?;
            let records = shared.state().disable_auto_merge(&slug, number).map_err(refused)?;
            shared.record(records);
            Ok(Some(DisablePullRequestAutoMergePayload {
                actor: Some(viewer(shared)),
                client_mutation_id: input.client_mutation_id,
                pull_request: snapshot(shared, &slug, number),
            }))
        }
        .await;
        Ok(null_on_error(ctx, result))
    }

    async fn merge_pull_request(
        &self,
        ctx: &Context<'_>,
        input: MergePullRequestInput,
    ) -> Result<Option<MergePullRequestPayload>> {
        let result: Result<Option<MergePullRequestPayload>> = async {
            let shared = shared(ctx);
            let (slug, number) = pull_request(shared, &input.pull_request_id)?;
            let expected = input.expected_head_oid.as_ref().map(|o| o.0.as_str());
            let merged = shared
                .state()
                .merge_pull_request(&slug, number, expected, method(input.merge_method))
                .map_err(refused)?;
            shared.record(merged.records);
            Ok(Some(MergePullRequestPayload {
                actor: Some(viewer(shared)),
                client_mutation_id: input.client_mutation_id,
                pull_request: snapshot(shared, &slug, number),
            }))
        }
        .await;
        Ok(null_on_error(ctx, result))
    }

    async fn enqueue_pull_request(
        &self,
        ctx: &Context<'_>,
        input: EnqueuePullRequestInput,
    ) -> Result<Option<EnqueuePullRequestPayload>> {
        let result: Result<Option<EnqueuePullRequestPayload>> = async {
            let shared = shared(ctx);
            let (slug, number) = pull_request(shared, &input.pull_request_id)?;
            let expected = input.expected_head_oid.as_ref().map(|o| o.0.as_str());
            let records = shared
                .state()
                .enqueue(&slug, number, expected, input.jump.unwrap_or(false))
                .map_err(refused)?;
            shared.record(records);
            let entry = {
                let state = shared.state();
                let repo = state.repo(&slug);
                let pr = &repo.pulls[&number];
                pr.queue_entry.clone().map(|entry| MergeQueueEntry {
                    repo: repo.database_id,
                    number,
                    entry,
                    position: crate::merge_queue::position(repo, &pr.base_ref, number),
                })
            };
            Ok(Some(EnqueuePullRequestPayload {
                client_mutation_id: input.client_mutation_id,
                merge_queue_entry: entry,
            }))
        }
        .await;
        Ok(null_on_error(ctx, result))
    }

    async fn dequeue_pull_request(
        &self,
        ctx: &Context<'_>,
        input: DequeuePullRequestInput,
    ) -> Result<Option<DequeuePullRequestPayload>> {
        let result: Result<Option<DequeuePullRequestPayload>> = async {
            let shared = shared(ctx);
            let (slug, number) = pull_request(shared, &input.id)?;
            let (entry, records) = shared.state().dequeue(&slug, number).map_err(refused)?;
            shared.record(records);
            let repo = shared.state().repo(&slug).database_id;
            Ok(Some(DequeuePullRequestPayload {
                client_mutation_id: input.client_mutation_id,
                merge_queue_entry: Some(MergeQueueEntry { repo, number, entry, position: 0 }),
            }))
        }
        .await;
        Ok(null_on_error(ctx, result))
    }

    async fn update_pull_request_branch(
        &self,
        ctx: &Context<'_>,
        input: UpdatePullRequestBranchInput,
    ) -> Result<Option<UpdatePullRequestBranchPayload>> {
        let result: Result<Option<UpdatePullRequestBranchPayload>> = async {
            let shared = shared(ctx);
            let (slug, number) = pull_request(shared, &input.pull_request_id)?;
            let expected = input.expected_head_oid.as_ref().map(|o| o.0.as_str());
            // A rebase and a merge both give the head a new commit containing the base's head;
            // the simulator models the merge commit for both.
            let _ = input.update_method;
            let records = shared.state().update_branch(&slug, number, expected).map_err(refused)?;
            shared.record(records);
            Ok(Some(UpdatePullRequestBranchPayload {
                client_mutation_id: input.client_mutation_id,
                pull_request: snapshot(shared, &slug, number),
            }))
        }
        .await;
        Ok(null_on_error(ctx, result))
    }
}
