//! The object types of the modelled subset of GitHub's schema. Each object is a snapshot taken
//! from the state when its parent field resolved, except `PullRequest.mergeable`, which reads
//! the live state because every read counts (see
//! [`PullRequest::read_mergeable`](crate::model::PullRequest::read_mergeable)).

use std::sync::OnceLock;

use async_graphql::{Context, ID, InputObject, Interface, Object, Result, SimpleObject};

use super::actor::Actor;
use super::checks::StatusCheckRollup;
use super::connection::{PageArgs, connection, paginate};
use super::context::{null_on_error, scope, shared, typed_error};
use super::enums::{
    IssueOrderField, IssueState, MergeQueueEntryState, MergeStateStatus, MergeableState, OrderDirection,
    PullRequestMergeMethod, PullRequestReviewDecision, PullRequestReviewState, PullRequestState,
};
use super::scalars::{DateTime, GitObjectId, Uri};
use crate::checks::NamedCheck;
use crate::clock::{LogicalClock, Timestamp};
use crate::ids;
use crate::merge_state::{merge_status, review_decision};
use crate::model::{self, Repo};

fn int(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}

/// The repository an object belongs to.
#[derive(Debug, Clone)]
pub(crate) struct RepoRef {
    pub(crate) id: u64,
    pub(crate) owner: String,
    pub(crate) name: String,
}

impl RepoRef {
    pub(crate) fn of(repo: &Repo) -> Self {
        Self { id: repo.database_id, owner: repo.owner.clone(), name: repo.name.clone() }
    }

    pub(crate) fn slug(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// `IssueOrder`.
#[derive(InputObject, Debug, Clone, Copy)]
#[graphql(name = "IssueOrder")]
pub(crate) struct IssueOrder {
    direction: OrderDirection,
    field: IssueOrderField,
}

/// Sorts by `order` (GitHub's default: oldest first).
fn order<T>(
    items: &mut [T],
    order: Option<IssueOrder>,
    key: impl Fn(&T) -> (Timestamp, Timestamp, usize, u64),
) {
    let field = order.map_or(IssueOrderField::CreatedAt, |o| o.field);
    items.sort_by_key(|item| {
        let (created, updated, comments, number) = key(item);
        match field {
            IssueOrderField::CreatedAt => (created, 0, number),
            IssueOrderField::UpdatedAt => (updated, 0, number),
            IssueOrderField::Comments => (LogicalClock::epoch(), comments, number),
        }
    });
    if order.is_some_and(|o| o.direction == OrderDirection::Desc) {
        items.reverse();
    }
}

/// `Organization`, the owner of every simulated repository.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Organization")]
pub(crate) struct Organization {
    id: ID,
    login: String,
}

/// `RepositoryOwner`.
#[derive(Interface)]
#[graphql(name = "RepositoryOwner", field(name = "id", ty = "&ID"), field(name = "login", ty = "&String"))]
pub(crate) enum RepositoryOwner {
    Organization(Organization),
}

/// Repositories are never removed, so a node's repository is always there.
const VANISHED: &str = "repository vanished";

/// `Repository`.
pub(crate) struct Repository(pub(crate) RepoRef);

fn repository_by_id(ctx: &Context<'_>, id: u64) -> Result<Repository> {
    let found = shared(ctx).state().repo_by_id(id).map(RepoRef::of);
    found.map(Repository).ok_or_else(|| VANISHED.into())
}

#[Object(name = "Repository")]
impl Repository {
    async fn id(&self) -> ID {
        ids::repository_id(self.0.id).into()
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn name_with_owner(&self) -> String {
        self.0.slug()
    }

    async fn auto_merge_allowed(&self, ctx: &Context<'_>) -> Result<bool> {
        let state = shared(ctx).state();
        state.repo_by_id(self.0.id).map(|r| r.auto_merge_allowed).ok_or_else(|| VANISHED.into())
    }

    async fn owner(&self) -> RepositoryOwner {
        let login = self.0.owner.clone();
        RepositoryOwner::Organization(Organization { id: ids::owner_id(&login).into(), login })
    }

    async fn pull_request(&self, ctx: &Context<'_>, number: i32) -> Result<Option<PullRequest>> {
        let state = shared(ctx).state();
        let found = state.repo_by_id(self.0.id).and_then(|repo| {
            let pr = repo.pulls.get(&u64::try_from(number).ok()?)?;
            Some(PullRequest::snapshot(repo, pr, &shared(ctx).base_url))
        });
        let message = || format!("Could not resolve to a PullRequest with the number of {number}.");
        Ok(null_on_error(ctx, found.map(Some).ok_or_else(|| typed_error("NOT_FOUND", message()))))
    }

    #[allow(clippy::too_many_arguments)]
    async fn pull_requests(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        base_ref_name: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        order_by: Option<IssueOrder>,
        states: Option<Vec<PullRequestState>>,
    ) -> Result<PullRequestConnection> {
        let state = shared(ctx).state();
        let Some(repo) = state.repo_by_id(self.0.id) else { return Err(VANISHED.into()) };
        let mut prs: Vec<&model::PullRequest> = repo
            .pulls
            .values()
            .filter(|pr| states.as_ref().is_none_or(|s| s.contains(&pr.state.into())))
            .filter(|pr| base_ref_name.as_ref().is_none_or(|b| &pr.base_ref == b))
            .collect();
        order(&mut prs, order_by, |pr| (pr.created_at, pr.updated_at, pr.comments.len(), pr.number));
        let nodes =
            prs.into_iter().map(|pr| PullRequest::snapshot(repo, pr, &shared(ctx).base_url)).collect();
        let args = PageArgs { first, after: after.as_deref(), last, before: before.as_deref() };
        Ok(paginate(nodes, args)?.into())
    }

    async fn issue(&self, ctx: &Context<'_>, number: i32) -> Result<Option<Issue>> {
        let state = shared(ctx).state();
        let found = state.repo_by_id(self.0.id).and_then(|repo| {
            let issue = repo.issues.get(&u64::try_from(number).ok()?)?;
            Some(Issue { repo: self.0.id, issue: issue.clone() })
        });
        let message = || format!("Could not resolve to an Issue with the number of {number}.");
        Ok(null_on_error(ctx, found.map(Some).ok_or_else(|| typed_error("NOT_FOUND", message()))))
    }

    #[allow(clippy::too_many_arguments)]
    async fn issues(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        labels: Option<Vec<String>>,
        last: Option<i32>,
        order_by: Option<IssueOrder>,
        states: Option<Vec<IssueState>>,
    ) -> Result<IssueConnection> {
        let state = shared(ctx).state();
        let Some(repo) = state.repo_by_id(self.0.id) else { return Err(VANISHED.into()) };
        let mut issues: Vec<&model::Issue> = repo
            .issues
            .values()
            .filter(|i| states.as_ref().is_none_or(|s| s.contains(&i.state.into())))
            // GitHub's `labels` argument keeps issues carrying any of the labels.
            .filter(|i| labels.as_ref().is_none_or(|l| l.iter().any(|name| i.labels.contains(name))))
            .collect();
        order(&mut issues, order_by, |i| (i.created_at, i.updated_at, i.comments.len(), i.number));
        let nodes = issues.into_iter().map(|i| Issue { repo: self.0.id, issue: i.clone() }).collect();
        let args = PageArgs { first, after: after.as_deref(), last, before: before.as_deref() };
        Ok(paginate(nodes, args)?.into())
    }
}

/// `PullRequest`: a snapshot plus what it needs from its repository.
#[derive(Debug, Clone)]
pub(crate) struct PullRequest {
    repo: RepoRef,
    pr: model::PullRequest,
    /// Checks of each commit, in commit order (`None`: unknown commit).
    checks: Vec<Option<Vec<NamedCheck>>>,
    url: String,
    /// This object's one read of the live mergeability, shared by `mergeable` and
    /// `mergeStateStatus` so both agree and a query asking both counts one read.
    read: OnceLock<Option<bool>>,
}

impl PullRequest {
    pub(crate) fn snapshot(repo: &Repo, pr: &model::PullRequest, base_url: &str) -> Self {
        Self {
            repo: RepoRef::of(repo),
            checks: pr.commits.iter().map(|c| repo.checks_of(&c.sha).map(<[NamedCheck]>::to_vec)).collect(),
            url: format!("{base_url}/{}/{}/pull/{}", repo.owner, repo.name, pr.number),
            pr: pr.clone(),
            read: OnceLock::new(),
        }
    }

    /// Reads the live mergeability once per object: each read counts toward the PR's pending
    /// unknown reads.
    fn read_mergeable(&self, ctx: &Context<'_>) -> Option<bool> {
        *self.read.get_or_init(|| {
            if scope(ctx).mergeable_null {
                return None;
            }
            let mut state = shared(ctx).state();
            let pr = state.repo_by_id_mut(self.repo.id).and_then(|r| r.pulls.get_mut(&self.pr.number));
            pr.and_then(model::PullRequest::read_mergeable)
        })
    }

    fn commit(&self, sha: &str) -> Option<Commit> {
        let index = self.pr.commits.iter().position(|c| c.sha == sha)?;
        Some(Commit {
            repo: self.repo.id,
            git: self.pr.commits[index].clone(),
            checks: self.checks[index].clone(),
        })
    }
}

#[Object(name = "PullRequest")]
impl PullRequest {
    async fn id(&self) -> ID {
        ids::pull_request_id(self.repo.id, self.pr.number).into()
    }

    async fn number(&self) -> i32 {
        int(self.pr.number)
    }

    async fn title(&self) -> &str {
        &self.pr.title
    }

    async fn body(&self) -> &str {
        &self.pr.body
    }

    async fn state(&self) -> PullRequestState {
        self.pr.state.into()
    }

    async fn is_draft(&self) -> bool {
        self.pr.draft
    }

    async fn closed(&self) -> bool {
        !self.pr.is_open()
    }

    async fn merged(&self) -> bool {
        self.pr.state == model::PrState::Merged
    }

    async fn url(&self) -> Uri {
        Uri(self.url.clone())
    }

    async fn repository(&self) -> Repository {
        Repository(self.repo.clone())
    }

    async fn mergeable(&self, ctx: &Context<'_>) -> MergeableState {
        self.read_mergeable(ctx).into()
    }

    async fn merge_state_status(&self, ctx: &Context<'_>) -> Result<MergeStateStatus> {
        let mergeable = self.read_mergeable(ctx);
        let state = shared(ctx).state();
        let repo = state.repo_by_id(self.repo.id).ok_or(VANISHED)?;
        let pr = repo.pulls.get(&self.pr.number).ok_or(VANISHED)?;
        Ok(merge_status(repo, pr, mergeable).into())
    }

    async fn review_decision(&self, ctx: &Context<'_>) -> Option<PullRequestReviewDecision> {
        let state = shared(ctx).state();
        let protection = state.repo_by_id(self.repo.id).and_then(|r| r.protection(&self.pr.base_ref));
        review_decision(&self.pr, protection).map(Into::into)
    }

    async fn is_merge_queue_enabled(&self, ctx: &Context<'_>) -> bool {
        let state = shared(ctx).state();
        let protection = state.repo_by_id(self.repo.id).and_then(|r| r.protection(&self.pr.base_ref));
        protection.is_some_and(|p| p.merge_queue)
    }

    async fn is_in_merge_queue(&self) -> bool {
        self.pr.queue_entry.is_some()
    }

    async fn merge_queue_entry(&self, ctx: &Context<'_>) -> Option<MergeQueueEntry> {
        let entry = self.pr.queue_entry.clone()?;
        let state = shared(ctx).state();
        let repo = state.repo_by_id(self.repo.id)?;
        let position = crate::merge_queue::position(repo, &self.pr.base_ref, self.pr.number);
        Some(MergeQueueEntry { repo: self.repo.id, number: self.pr.number, entry, position })
    }

    async fn author(&self) -> Option<Actor> {
        Some(Actor::user(&self.pr.author))
    }

    /// The head commit's rollup (`null` without checks), without the `commits` connection.
    async fn status_check_rollup(&self) -> Option<StatusCheckRollup> {
        let head = self.pr.commits.len().checked_sub(1)?;
        StatusCheckRollup::of(self.repo.id, self.pr.head_sha(), self.checks[head].as_deref())
    }

    async fn base_ref_oid(&self, ctx: &Context<'_>) -> GitObjectId {
        let state = shared(ctx).state();
        let base = state.repo_by_id(self.repo.id).and_then(|r| r.branches.get(&self.pr.base_ref).cloned());
        GitObjectId(base.unwrap_or_default())
    }

    async fn head_ref_name(&self) -> &str {
        &self.pr.head_ref
    }

    async fn head_ref_oid(&self) -> GitObjectId {
        GitObjectId(self.pr.head_sha().to_owned())
    }

    async fn base_ref_name(&self) -> &str {
        &self.pr.base_ref
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.pr.created_at)
    }

    async fn updated_at(&self) -> DateTime {
        DateTime(self.pr.updated_at)
    }

    async fn merged_at(&self) -> Option<DateTime> {
        self.pr.merged_at.map(DateTime)
    }

    async fn auto_merge_request(&self) -> Option<AutoMergeRequest> {
        self.pr.auto_merge.map(|a| AutoMergeRequest {
            enabled_at: Some(DateTime(a.enabled_at)),
            enabled_by: self.pr.auto_merge_by.as_deref().map(Actor::user),
            merge_method: a.method.into(),
        })
    }

    async fn commits(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<PullRequestCommitConnection> {
        let nodes = self
            .pr
            .commits
            .iter()
            .zip(&self.checks)
            .map(|(commit, checks)| PullRequestCommit {
                commit: Commit { repo: self.repo.id, git: commit.clone(), checks: checks.clone() },
            })
            .collect();
        let args = PageArgs { first, after: after.as_deref(), last, before: before.as_deref() };
        Ok(paginate(nodes, args)?.into())
    }

    async fn review_threads(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<PullRequestReviewThreadConnection> {
        let nodes = self
            .pr
            .threads
            .iter()
            .map(|t| PullRequestReviewThread {
                repo: self.repo.id,
                number: self.pr.number,
                thread: t.clone(),
            })
            .collect();
        let args = PageArgs { first, after: after.as_deref(), last, before: before.as_deref() };
        Ok(paginate(nodes, args)?.into())
    }

    async fn reviews(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        states: Option<Vec<PullRequestReviewState>>,
    ) -> Result<Option<PullRequestReviewConnection>> {
        let nodes = self
            .pr
            .reviews
            .iter()
            .filter(|r| states.as_ref().is_none_or(|s| s.contains(&r.state.into())))
            .map(|r| PullRequestReview { review: r.clone(), commit: self.commit(&r.commit_sha) })
            .collect();
        let args = PageArgs { first, after: after.as_deref(), last, before: before.as_deref() };
        Ok(Some(paginate(nodes, args)?.into()))
    }

    async fn closing_issues_references(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Option<IssueConnection>> {
        let state = shared(ctx).state();
        let issues = state.repo_by_id(self.repo.id).map(|repo| &repo.issues);
        let nodes = self
            .pr
            .closes
            .iter()
            .filter_map(|n| issues?.get(n))
            .map(|i| Issue { repo: self.repo.id, issue: i.clone() })
            .collect();
        let args = PageArgs { first, after: after.as_deref(), last, before: before.as_deref() };
        Ok(Some(paginate(nodes, args)?.into()))
    }

    async fn labels(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Option<LabelConnection>> {
        label_connection(
            &self.pr.labels,
            PageArgs { first, after: after.as_deref(), last, before: before.as_deref() },
        )
    }
}

fn label_connection(names: &[String], args: PageArgs<'_>) -> Result<Option<LabelConnection>> {
    let nodes =
        names.iter().map(|name| Label { id: ids::label_id(name).into(), name: name.clone() }).collect();
    Ok(Some(paginate(nodes, args)?.into()))
}

/// `AutoMergeRequest`.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "AutoMergeRequest")]
pub(crate) struct AutoMergeRequest {
    enabled_at: Option<DateTime>,
    enabled_by: Option<Actor>,
    merge_method: PullRequestMergeMethod,
}

/// `MergeQueueEntry`.
#[derive(Debug, Clone)]
pub(crate) struct MergeQueueEntry {
    pub(crate) repo: u64,
    pub(crate) number: u64,
    pub(crate) entry: crate::model::QueueEntry,
    pub(crate) position: usize,
}

#[Object(name = "MergeQueueEntry")]
impl MergeQueueEntry {
    async fn id(&self) -> ID {
        ids::object_id("MQE", self.repo * 1_000_000 + self.number).into()
    }

    async fn state(&self) -> MergeQueueEntryState {
        self.entry.state.into()
    }

    async fn enqueued_at(&self) -> DateTime {
        DateTime(self.entry.enqueued_at)
    }

    async fn enqueuer(&self) -> Actor {
        Actor::user(&self.entry.enqueued_by)
    }

    async fn jump(&self) -> bool {
        self.entry.jump
    }

    async fn position(&self) -> i32 {
        int(self.position)
    }
}

/// `PullRequestCommit`.
#[derive(Debug, Clone)]
pub(crate) struct PullRequestCommit {
    commit: Commit,
}

#[Object(name = "PullRequestCommit")]
impl PullRequestCommit {
    async fn id(&self) -> ID {
        ids::object_id("PURC", u64::from_str_radix(&self.commit.git.sha[..12], 16).unwrap_or(0)).into()
    }

    async fn commit(&self) -> Commit {
        self.commit.clone()
    }
}

/// `Commit`.
#[derive(Debug, Clone)]
pub(crate) struct Commit {
    repo: u64,
    git: model::Commit,
    /// `None`: a commit the simulator has no checks entry for.
    checks: Option<Vec<NamedCheck>>,
}

#[Object(name = "Commit")]
impl Commit {
    async fn oid(&self) -> GitObjectId {
        GitObjectId(self.git.sha.clone())
    }

    async fn committed_date(&self) -> DateTime {
        DateTime(self.git.committed_at)
    }

    async fn message(&self) -> &str {
        &self.git.message
    }

    /// `null` when the commit has no check run and no status, as GitHub serves it.
    async fn status_check_rollup(&self) -> Option<StatusCheckRollup> {
        StatusCheckRollup::of(self.repo, &self.git.sha, self.checks.as_deref())
    }
}

/// `PullRequestReviewThread`.
#[derive(Debug, Clone)]
pub(crate) struct PullRequestReviewThread {
    pub(crate) repo: u64,
    pub(crate) number: u64,
    pub(crate) thread: model::ReviewThread,
}

#[Object(name = "PullRequestReviewThread")]
impl PullRequestReviewThread {
    async fn id(&self) -> ID {
        ids::thread_id(self.repo, self.number, self.thread.id).into()
    }

    async fn is_resolved(&self) -> bool {
        self.thread.resolved
    }

    async fn is_outdated(&self) -> bool {
        self.thread.outdated
    }

    async fn path(&self) -> &str {
        &self.thread.path
    }

    async fn line(&self) -> Option<i32> {
        Some(int(self.thread.line))
    }

    async fn comments(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<PullRequestReviewCommentConnection> {
        let nodes = self.thread.comments.iter().cloned().map(PullRequestReviewComment).collect();
        let args = PageArgs { first, after: after.as_deref(), last, before: before.as_deref() };
        Ok(paginate(nodes, args)?.into())
    }
}

/// `PullRequestReviewComment`.
#[derive(Debug, Clone)]
pub(crate) struct PullRequestReviewComment(model::ReviewComment);

#[Object(name = "PullRequestReviewComment")]
impl PullRequestReviewComment {
    async fn id(&self) -> ID {
        ids::object_id("PRRC", self.0.id).into()
    }

    async fn body(&self) -> &str {
        &self.0.body
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }

    async fn author(&self) -> Option<Actor> {
        Some(Actor::user(&self.0.author))
    }
}

/// `PullRequestReview`.
#[derive(Debug, Clone)]
pub(crate) struct PullRequestReview {
    review: model::Review,
    commit: Option<Commit>,
}

#[Object(name = "PullRequestReview")]
impl PullRequestReview {
    async fn id(&self) -> ID {
        ids::object_id("PRR", self.review.id).into()
    }

    async fn state(&self) -> PullRequestReviewState {
        self.review.state.into()
    }

    async fn body(&self) -> &str {
        &self.review.body
    }

    async fn submitted_at(&self) -> Option<DateTime> {
        Some(DateTime(self.review.submitted_at))
    }

    async fn author(&self) -> Option<Actor> {
        Some(Actor::user(&self.review.author))
    }

    /// The commit the review was submitted on (by commit id, what "is the latest change
    /// request on an older commit than the head" compares).
    async fn commit(&self) -> Option<Commit> {
        self.commit.clone()
    }
}

/// `Issue`.
#[derive(Debug, Clone)]
pub(crate) struct Issue {
    repo: u64,
    issue: model::Issue,
}

#[Object(name = "Issue")]
impl Issue {
    async fn id(&self) -> ID {
        ids::issue_id(self.repo, self.issue.number).into()
    }

    async fn number(&self) -> i32 {
        int(self.issue.number)
    }

    async fn title(&self) -> &str {
        &self.issue.title
    }

    async fn body(&self) -> &str {
        &self.issue.body
    }

    async fn state(&self) -> IssueState {
        self.issue.state.into()
    }

    async fn created_at(&self) -> DateTime {
        DateTime(self.issue.created_at)
    }

    async fn updated_at(&self) -> DateTime {
        DateTime(self.issue.updated_at)
    }

    async fn closed_at(&self) -> Option<DateTime> {
        self.issue.closed_at.map(DateTime)
    }

    async fn repository(&self, ctx: &Context<'_>) -> Result<Repository> {
        repository_by_id(ctx, self.repo)
    }

    async fn labels(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Option<LabelConnection>> {
        label_connection(
            &self.issue.labels,
            PageArgs { first, after: after.as_deref(), last, before: before.as_deref() },
        )
    }

    /// The issue this one is a sub-issue of (SCHEMA "The parent entity of the issue."), in
    /// whichever repository it lives.
    async fn parent(&self, ctx: &Context<'_>) -> Option<Issue> {
        let (repo, number) = self.issue.parent.as_ref()?;
        let state = shared(ctx).state();
        let target = state.find_repo(repo)?;
        let issue = target.issues.get(number)?.clone();
        Some(Issue { repo: target.database_id, issue })
    }

    /// SCHEMA "A list of sub-issues associated with the Issue."
    async fn sub_issues(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<IssueConnection> {
        let state = shared(ctx).state();
        let Some(repo) = state.repo_by_id(self.repo) else { return Err(VANISHED.into()) };
        let nodes = state
            .sub_issues(&repo.full_name(), self.issue.number)
            .into_iter()
            .filter_map(|(r, n)| {
                let target = state.find_repo(&r)?;
                Some(Issue { repo: target.database_id, issue: target.issues.get(&n)?.clone() })
            })
            .collect();
        let args = PageArgs { first, after: after.as_deref(), last, before: before.as_deref() };
        Ok(paginate(nodes, args)?.into())
    }

    /// SCHEMA "Summary of the state of an issue's sub-issues".
    async fn sub_issues_summary(&self, ctx: &Context<'_>) -> Result<SubIssuesSummary> {
        let state = shared(ctx).state();
        let Some(repo) = state.repo_by_id(self.repo) else { return Err(VANISHED.into()) };
        let summary = state.sub_issues_summary(&repo.full_name(), self.issue.number);
        Ok(SubIssuesSummary {
            total: int(summary.total),
            completed: int(summary.completed),
            percent_completed: int(summary.percent_completed()),
        })
    }
}

/// `SubIssuesSummary`.
#[derive(SimpleObject, Debug, Clone, Copy)]
#[graphql(name = "SubIssuesSummary")]
pub(crate) struct SubIssuesSummary {
    total: i32,
    completed: i32,
    percent_completed: i32,
}

/// `Label`.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "Label")]
pub(crate) struct Label {
    id: ID,
    name: String,
}

connection!(PullRequestConnection, "PullRequestConnection", PullRequest);
connection!(IssueConnection, "IssueConnection", Issue);
connection!(PullRequestCommitConnection, "PullRequestCommitConnection", PullRequestCommit);
connection!(PullRequestReviewThreadConnection, "PullRequestReviewThreadConnection", PullRequestReviewThread);
connection!(
    PullRequestReviewCommentConnection,
    "PullRequestReviewCommentConnection",
    PullRequestReviewComment
);
connection!(PullRequestReviewConnection, "PullRequestReviewConnection", PullRequestReview);
connection!(LabelConnection, "LabelConnection", Label);
