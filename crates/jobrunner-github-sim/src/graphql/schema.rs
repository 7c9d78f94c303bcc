//! The executable schema: `Query` and `Mutation` roots over the modelled subset of GitHub's
//! schema, with GitHub's type, field, argument and enum names (a test checks each against
//! GitHub's published schema).

use async_graphql::{Context, EmptySubscription, MergedObject, Object, Result, Schema, SimpleObject};
use chrono::{TimeZone, Utc};

use super::actor::User;
use super::context::{null_on_error, scope, shared, typed_error};
use super::merge::MergeMutations;
use super::mutation::PullRequestMutations;
use super::scalars::DateTime;
use super::types::{RepoRef, Repository};
use crate::repo_access::NOT_ACCESSIBLE;

/// The schema type the endpoint executes.
pub(crate) type SimSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Builds the schema (cheap; once per simulator).
pub(crate) fn build_schema() -> SimSchema {
    Schema::build(QueryRoot, MutationRoot::new(), EmptySubscription).finish()
}

/// The fields of the modelled subset that are connections: the cost walk counts them, and
/// asks for `first`/`last` on them like GitHub does. A unit test keeps this list equal to the
/// schema's `*Connection` fields.
pub(crate) const CONNECTION_FIELDS: &[&str] = &[
    "closingIssuesReferences",
    "comments",
    "commits",
    "contexts",
    "issues",
    "labels",
    "pullRequests",
    "reviewThreads",
    "reviews",
    "subIssues",
];

/// `Query`.
pub(crate) struct QueryRoot;

/// `Mutation`: the pull-request mutations and the merge step's, merged into one root.
#[derive(MergedObject)]
#[graphql(name = "Mutation")]
pub(crate) struct MutationRoot(PullRequestMutations, MergeMutations);

impl MutationRoot {
    pub(crate) fn new() -> Self {
        Self(PullRequestMutations, MergeMutations)
    }
}

#[Object(name = "Query")]
impl QueryRoot {
    /// By name, following renames unless `followRenames: false` (GitHub's default is to
    /// follow); a forbidden repository is `FORBIDDEN`.
    async fn repository(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(true)")] follow_renames: Option<bool>,
        name: String,
        owner: String,
    ) -> Result<Option<Repository>> {
        let slug = format!("{owner}/{name}");
        let found = {
            let state = shared(ctx).state();
            let renamed = || state.renamed_from(&slug).filter(|_| follow_renames != Some(false));
            state.find_repo(&slug).or_else(renamed).map(|repo| (RepoRef::of(repo), repo.forbidden))
        };
        let result = match found {
            Some((_, true)) => Err(typed_error("FORBIDDEN", NOT_ACCESSIBLE.to_owned())),
            Some((repo, false)) => Ok(Some(Repository(repo))),
            None => Err(typed_error(
                "NOT_FOUND",
                format!("Could not resolve to a Repository with the name '{owner}/{name}'."),
            )),
        };
        Ok(null_on_error(ctx, result))
    }

    /// The token's user.
    async fn viewer(&self, ctx: &Context<'_>) -> User {
        User::new(shared(ctx).state().viewer())
    }

    async fn rate_limit(&self, ctx: &Context<'_>) -> Option<RateLimit> {
        let scope = scope(ctx);
        let reset = i64::try_from(scope.rate.reset).unwrap_or(0);
        Some(RateLimit {
            cost: int(scope.cost),
            limit: int(scope.rate.limit),
            node_count: int(scope.node_count),
            remaining: int(scope.rate.remaining),
            reset_at: DateTime(Utc.timestamp_opt(reset, 0).single().unwrap_or_default()),
            used: int(scope.rate.used),
        })
    }
}

fn int(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}

/// `RateLimit`: this query's cost and the caller's GraphQL budget after paying it.
#[derive(SimpleObject, Debug, Clone, Copy)]
#[graphql(name = "RateLimit")]
pub(crate) struct RateLimit {
    cost: i32,
    limit: i32,
    node_count: i32,
    remaining: i32,
    reset_at: DateTime,
    used: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_fields_list_every_connection_in_the_schema() {
        let sdl = build_schema().sdl();
        let mut found: Vec<&str> = sdl
            .lines()
            .map(str::trim)
            .filter(|line| {
                line.rsplit(':')
                    .next()
                    .is_some_and(|ty| ty.trim().trim_end_matches('!').ends_with("Connection"))
            })
            .filter_map(|line| line.split(['(', ':']).next())
            .collect();
        found.sort_unstable();
        found.dedup();
        assert_eq!(found, CONNECTION_FIELDS);
    }
}
