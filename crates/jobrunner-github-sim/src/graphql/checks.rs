//! A commit's checks in GraphQL: `StatusCheckRollup` with its `contexts` connection of
//! `CheckRun`s and `StatusContext`s, and `isRequired`, which asks the base branch protection
//! of a given pull request.

use async_graphql::{Context, ID, Object, Result, Union};

use super::connection::{PageArgs, connection, paginate};
use super::context::shared;
use super::enums::{CheckConclusionState, CheckStatusState, StatusState, check_run_status};
use crate::checks::{self, CheckKind, NamedCheck};
use crate::ids::{self, NodeRef};

/// `StatusCheckRollup` of one commit (only built when the commit has checks).
#[derive(Debug, Clone)]
pub(crate) struct StatusCheckRollup {
    pub(crate) repo: u64,
    pub(crate) sha: String,
    pub(crate) checks: Vec<NamedCheck>,
}

impl StatusCheckRollup {
    /// GitHub's `null` rollup for a commit with no check run and no status.
    pub(crate) fn of(repo: u64, sha: &str, checks: Option<&[NamedCheck]>) -> Option<Self> {
        let checks = checks.filter(|c| !c.is_empty())?;
        Some(Self { repo, sha: sha.to_owned(), checks: checks.to_vec() })
    }
}

#[Object(name = "StatusCheckRollup")]
impl StatusCheckRollup {
    async fn id(&self) -> ID {
        ids::object_id("SCR", sha_key(&self.sha)).into()
    }

    async fn state(&self) -> StatusState {
        checks::rollup(&self.checks).unwrap_or(crate::checks::CheckState::Success).into()
    }

    async fn contexts(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<StatusCheckRollupContextConnection> {
        let nodes = self
            .checks
            .iter()
            .map(|check| {
                let context = Requirable { repo: self.repo, sha: self.sha.clone(), check: check.clone() };
                if check.kind == CheckKind::Status {
                    StatusCheckRollupContext::StatusContext(StatusContext(context))
                } else {
                    StatusCheckRollupContext::CheckRun(CheckRun(context))
                }
            })
            .collect();
        let args = PageArgs { first, after: after.as_deref(), last, before: before.as_deref() };
        Ok(paginate(nodes, args)?.into())
    }
}

/// What a check run and a status context share: the check and where it hangs.
#[derive(Debug, Clone)]
pub(crate) struct Requirable {
    repo: u64,
    sha: String,
    check: NamedCheck,
}

impl Requirable {
    fn key(&self) -> u64 {
        sha_key(&format!("{}/{}", self.sha, self.check.name))
    }

    /// GitHub's `isRequired(pullRequestId:, pullRequestNumber:)`: whether the base branch of
    /// that PR requires this check.
    fn is_required(&self, ctx: &Context<'_>, id: Option<ID>, number: Option<i32>) -> Result<bool> {
        let number = match (id, number) {
            (Some(id), _) => match ids::parse_node_id(&id) {
                Some(NodeRef::PullRequest { repo, number }) if repo == self.repo => number,
                _ => {
                    return Err(format!(
                        "Could not resolve to a node with the global id of '{}'",
                        id.as_str()
                    )
                    .into());
                }
            },
            (None, Some(number)) => u64::try_from(number).unwrap_or(0),
            (None, None) => return Err("`pullRequestId` or `pullRequestNumber` must be provided".into()),
        };
        let state = shared(ctx).state();
        let repo = state.repo_by_id(self.repo).ok_or("repository vanished")?;
        let pr = repo
            .pulls
            .get(&number)
            .ok_or_else(|| format!("Could not resolve to a PullRequest with the number of {number}."))?;
        Ok(repo.protection(&pr.base_ref).is_some_and(|p| p.requires_check(&self.check.name)))
    }
}

/// `CheckRun`.
#[derive(Debug, Clone)]
pub(crate) struct CheckRun(Requirable);

#[Object(name = "CheckRun")]
impl CheckRun {
    async fn id(&self) -> ID {
        ids::object_id("CR", self.0.key()).into()
    }

    async fn name(&self) -> &str {
        &self.0.check.name
    }

    async fn status(&self) -> CheckStatusState {
        check_run_status(self.0.check.state).0
    }

    async fn conclusion(&self) -> Option<CheckConclusionState> {
        check_run_status(self.0.check.state).1
    }

    async fn is_required(
        &self,
        ctx: &Context<'_>,
        pull_request_id: Option<ID>,
        pull_request_number: Option<i32>,
    ) -> Result<bool> {
        self.0.is_required(ctx, pull_request_id, pull_request_number)
    }
}

/// `StatusContext`.
#[derive(Debug, Clone)]
pub(crate) struct StatusContext(Requirable);

#[Object(name = "StatusContext")]
impl StatusContext {
    async fn id(&self) -> ID {
        ids::object_id("SC", self.0.key()).into()
    }

    async fn context(&self) -> &str {
        &self.0.check.name
    }

    async fn state(&self) -> StatusState {
        self.0.check.state.into()
    }

    async fn is_required(
        &self,
        ctx: &Context<'_>,
        pull_request_id: Option<ID>,
        pull_request_number: Option<i32>,
    ) -> Result<bool> {
        self.0.is_required(ctx, pull_request_id, pull_request_number)
    }
}

/// `StatusCheckRollupContext`.
#[derive(Union, Debug, Clone)]
#[graphql(name = "StatusCheckRollupContext")]
pub(crate) enum StatusCheckRollupContext {
    CheckRun(CheckRun),
    StatusContext(StatusContext),
}

fn sha_key(text: &str) -> u64 {
    u64::from_str_radix(&ids::hex_digest(text.as_bytes(), 12), 16).unwrap_or(0)
}

connection!(
    StatusCheckRollupContextConnection,
    "StatusCheckRollupContextConnection",
    StatusCheckRollupContext
);
