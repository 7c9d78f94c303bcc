//! What the adapter keeps between cycles, all structural: list items, epic checklists as
//! (child, ticked) pairs, and each PR's decoded GraphQL state. No title, body or branch text
//! is stored except base branch names, which only ever become request paths.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use jobrunner_core::checklist;
use jobrunner_core::{
    BodyDigest, CheckStatus, CommitSha, EpicKind, MergeStateStatus, Mergeable, PipelineSignal, PrState,
    RepoSlug, RequiredChecks, ReviewDecision, ThreadId, UnresolvedThread,
};

use crate::epics::{Closes, EpicChecklist, EpicIndex, ListedChild};
use crate::listing::{Listing, PullListItem};
use crate::scope::Scope;
use serde::{Deserialize, Serialize};

/// A recently closed PR as the REST list shows it: merged ones may still need their epic
/// ticked and their child closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ClosedListItem {
    pub(crate) number: u64,
    pub(crate) node_id: String,
    pub(crate) merged_at: Option<DateTime<Utc>>,
}

/// An epic as the REST issue list shows it; the body is read for its checklist and its digest
/// and dropped.
#[derive(Debug, Deserialize)]
pub(crate) struct EpicListItem {
    number: u64,
    body: Option<String>,
    #[serde(default)]
    pull_request: Option<serde::de::IgnoredAny>,
    /// OPENAPI `issue.sub_issues_summary`.
    #[serde(default)]
    sub_issues_summary: Option<SubIssuesSummary>,
}

#[derive(Debug, Deserialize)]
struct SubIssuesSummary {
    total: u32,
    completed: u32,
}

impl EpicListItem {
    /// The checklist of an epic issue (not of a PR carrying the label) of `repo`: every item
    /// naming a child, in this repository or another.
    /// Items that mention something like a reference but name no child are kept apart.
    pub(crate) fn checklist(
        self,
        repo: &RepoSlug,
        grammar: &checklist::ChecklistGrammar,
    ) -> Option<EpicChecklist> {
        if self.pull_request.is_some() {
            return None;
        }
        let body = self.body.unwrap_or_default();
        let parsed = grammar.parse(&body, repo);
        let mut children: Vec<ListedChild> = Vec::new();
        for item in parsed.items {
            let child_repo = match &item.repo {
                None => None,
                Some((owner, name)) if repo.same_repo(owner, name) => None,
                // A reference whose names GitHub would not accept names no child.
                Some((owner, name)) => match RepoSlug::parse(&format!("{owner}/{name}")) {
                    Ok(other) => Some(other),
                    Err(_) => continue,
                },
            };
            match children.iter_mut().find(|c| c.number == item.number && c.repo == child_repo) {
                // A child listed twice counts as ticked only when every box is ticked.
                Some(listed) => listed.ticked &= item.ticked,
                None => {
                    children.push(ListedChild { repo: child_repo, number: item.number, ticked: item.ticked });
                }
            }
        }
        Some(EpicChecklist {
            epic: self.number,
            children,
            unplaceable: parsed.unplaceable,
            body_sha256: Some(BodyDigest::of(&body)),
            sub_issues: self.sub_issues_summary.map(|s| (s.total, s.completed)),
        })
    }
}

/// GraphQL `PullRequestState` fragment, decoded.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PrNode {
    id: String,
    number: u64,
    state: PrState,
    is_draft: bool,
    mergeable: Mergeable,
    /// Absent from the closed-PR fragment.
    #[serde(default)]
    merge_state_status: MergeStateStatus,
    #[serde(default)]
    is_in_merge_queue: bool,
    #[serde(default)]
    is_merge_queue_enabled: bool,
    #[serde(default)]
    review_decision: Option<ReviewDecision>,
    head_ref_oid: String,
    #[serde(default)]
    author: Option<Actor>,
    /// Read only to compare with the configured labels, then dropped.
    #[serde(default)]
    labels: Option<Nodes<LabelNode>>,
    auto_merge_request: Option<AutoMergeNode>,
    commits: Nodes<CommitNode>,
    reviews: Option<Nodes<ReviewNode>>,
    /// Absent from the closed-PR fragment.
    review_threads: Option<ThreadConnection>,
    closing_issues_references: Option<Nodes<ClosingIssue>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Actor {
    pub(crate) login: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LabelNode {
    pub(crate) name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AutoMergeNode {
    enabled_by: Option<Actor>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Nodes<T> {
    #[serde(default = "Vec::new")]
    nodes: Vec<Option<T>>,
}

#[derive(Debug, Deserialize)]
struct CommitNode {
    commit: Commit,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Commit {
    committed_date: DateTime<Utc>,
    status_check_rollup: Option<Rollup>,
}

#[derive(Debug, Deserialize)]
struct Rollup {
    state: CheckStatus,
    /// Present where the query asked for them (open and settling PRs).
    contexts: Option<Contexts>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Contexts {
    total_count: usize,
    #[serde(default)]
    nodes: Vec<Option<CheckContext>>,
}

/// One check on the head: a check run (Actions, apps) or a commit status.
#[derive(Debug, Deserialize)]
#[serde(tag = "__typename")]
enum CheckContext {
    #[serde(rename_all = "camelCase")]
    CheckRun {
        #[serde(default)]
        name: String,
        status: String,
        conclusion: Option<String>,
        is_required: bool,
    },
    #[serde(rename_all = "camelCase")]
    StatusContext {
        #[serde(default)]
        context: String,
        state: String,
        is_required: bool,
    },
    #[serde(other)]
    Other,
}

/// How one check stands for a merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Pending,
    Fail,
}

impl CheckContext {
    /// The check's name: it only ever reaches a digest, never the signal.
    fn name(&self) -> &str {
        match self {
            Self::CheckRun { name, .. } => name,
            Self::StatusContext { context, .. } => context,
            Self::Other => "",
        }
    }

    fn verdict(&self) -> Option<(bool, Verdict)> {
        Some(match self {
            Self::CheckRun { status, conclusion, is_required, .. } => {
                let verdict = if status != "COMPLETED" {
                    Verdict::Pending
                } else if matches!(conclusion.as_deref(), Some("SUCCESS" | "NEUTRAL" | "SKIPPED")) {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                };
                (*is_required, verdict)
            }
            Self::StatusContext { state, is_required, .. } => {
                let verdict = match state.as_str() {
                    "SUCCESS" => Verdict::Pass,
                    "PENDING" | "EXPECTED" => Verdict::Pending,
                    _ => Verdict::Fail,
                };
                (*is_required, verdict)
            }
            Self::Other => return None,
        })
    }
}

impl Rollup {
    /// The checks that decide a merge, and whether a check that does not is failing. The
    /// required ones decide; where the base requires none, every check does, so a
    /// repository without branch protection still waits for its CI.
    fn deciding(&self) -> Checks {
        let from_state = match self.state {
            CheckStatus::Success => RequiredChecks::Success,
            CheckStatus::Pending | CheckStatus::Expected => RequiredChecks::Pending,
            CheckStatus::Failure | CheckStatus::Error => RequiredChecks::Failure,
        };
        let rollup_only = Checks { deciding: from_state, optional_failing: false, failing: None };
        let Some(contexts) = &self.contexts else { return rollup_only };
        let checks: Vec<(&CheckContext, bool, Verdict)> = contexts
            .nodes
            .iter()
            .flatten()
            .filter_map(|c| c.verdict().map(|(required, verdict)| (c, required, verdict)))
            .collect();
        if checks.is_empty() || contexts.total_count > checks.len() {
            // More checks than one page: GitHub's rollup over all of them decides.
            return rollup_only;
        }
        let any_required = checks.iter().any(|(_, required, _)| *required);
        let deciding: Vec<_> = checks.iter().filter(|(_, required, _)| *required || !any_required).collect();
        let optional_failing =
            any_required && checks.iter().any(|(_, required, v)| !*required && *v == Verdict::Fail);
        let failing: Vec<&str> =
            deciding.iter().filter(|(_, _, v)| *v == Verdict::Fail).map(|(c, _, _)| c.name()).collect();
        Checks {
            deciding: fold(deciding.iter().map(|(_, _, v)| *v)),
            optional_failing,
            failing: digest_of_names(failing),
        }
    }
}

fn fold(verdicts: impl Iterator<Item = Verdict>) -> RequiredChecks {
    let verdicts: Vec<Verdict> = verdicts.collect();
    if verdicts.contains(&Verdict::Fail) {
        RequiredChecks::Failure
    } else if verdicts.contains(&Verdict::Pending) {
        RequiredChecks::Pending
    } else {
        RequiredChecks::Success
    }
}

/// How a head's checks stand for a merge.
struct Checks {
    deciding: RequiredChecks,
    optional_failing: bool,
    /// The digest of the failing deciding checks' names.
    failing: Option<String>,
}

/// 16 hex digits of the sha256 of the sorted, distinct names: the same failures give the same
/// digest, and no name (text a repository chose) leaves the adapter.
fn digest_of_names(mut names: Vec<&str>) -> Option<String> {
    use sha2::Digest as _;
    use std::fmt::Write as _;
    if names.is_empty() {
        return None;
    }
    names.sort_unstable();
    names.dedup();
    let digest = sha2::Sha256::digest(names.join("\n").as_bytes());
    Some(digest.iter().take(8).fold(String::with_capacity(16), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

/// The deciding checks of a head commit: none configured when GitHub has no rollup for it.
fn checks_of(rollup: Option<&Rollup>) -> (CheckStatus, Checks) {
    match rollup {
        None => (
            CheckStatus::Pending,
            Checks { deciding: RequiredChecks::NoneConfigured, optional_failing: false, failing: None },
        ),
        Some(rollup) => (rollup.state, rollup.deciding()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewNode {
    #[serde(default)]
    state: Option<String>,
    submitted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    author: Option<Actor>,
    #[serde(default)]
    commit: Option<ReviewCommit>,
}

#[derive(Debug, Deserialize)]
struct ReviewCommit {
    oid: String,
}

/// The review round the agent must answer: the latest review that requested changes or
/// commented, by someone other than the PR's author and the agents (the agent's own reply in
/// a thread is a COMMENTED review of its own; it asks nothing).
fn latest_review_round<'a>(
    reviews: &'a [ReviewNode],
    author: Option<&str>,
    context: Context<'_>,
) -> Option<&'a ReviewNode> {
    reviews
        .iter()
        .filter(|r| matches!(r.state.as_deref(), Some("CHANGES_REQUESTED" | "COMMENTED")))
        .filter(|r| {
            r.author.as_ref().is_none_or(|a| {
                !context.scope.is_agent(&a.login)
                    && author.is_none_or(|pr_author| !pr_author.eq_ignore_ascii_case(&a.login))
            })
        })
        .max_by_key(|r| r.submitted_at)
}

/// One page of a PR's review threads (`ReviewThreadPage`), decoded.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ThreadConnection {
    total_count: u32,
    #[serde(default)]
    nodes: Vec<Option<ThreadNode>>,
    #[serde(default)]
    page_info: Option<ThreadPageInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadPageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadNode {
    id: String,
    is_resolved: bool,
    #[serde(default)]
    is_outdated: bool,
    comments: Nodes<CommentNode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentNode {
    created_at: DateTime<Utc>,
    #[serde(default)]
    author: Option<Actor>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClosingIssue {
    number: u64,
    state: IssueState,
    repository: Option<IssueRepository>,
    /// The issue it is a sub-issue of.
    #[serde(default)]
    parent: Option<ParentIssue>,
}

#[derive(Debug, Deserialize)]
struct ParentIssue {
    number: u64,
    repository: Option<IssueRepository>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IssueRepository {
    name_with_owner: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum IssueState {
    Open,
    Closed,
}

/// GraphQL `SettlingPullRequestState` fragment, decoded.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SettlingNode {
    state: PrState,
    mergeable: Mergeable,
    #[serde(default)]
    merge_state_status: MergeStateStatus,
    #[serde(default)]
    is_in_merge_queue: bool,
    head_ref_oid: String,
    commits: Nodes<RollupCommitNode>,
}

#[derive(Debug, Deserialize)]
struct RollupCommitNode {
    commit: RollupCommit,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RollupCommit {
    status_check_rollup: Option<Rollup>,
}

/// A PR's structural state after the last GraphQL refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PrDetail {
    pub(crate) node_id: String,
    pub(crate) state: PrState,
    pub(crate) is_draft: bool,
    pub(crate) mergeable: Mergeable,
    pub(crate) head_sha: CommitSha,
    pub(crate) last_commit_at: DateTime<Utc>,
    pub(crate) check_status: CheckStatus,
    #[serde(default = "pending_checks")]
    pub(crate) required_checks: RequiredChecks,
    #[serde(default)]
    pub(crate) optional_checks_failing: bool,
    /// Digest of the failing deciding checks' names.
    #[serde(default)]
    pub(crate) failing_checks: Option<String>,
    #[serde(default)]
    pub(crate) merge_state: MergeStateStatus,
    #[serde(default)]
    pub(crate) review_decision: Option<ReviewDecision>,
    #[serde(default)]
    pub(crate) in_merge_queue: bool,
    #[serde(default)]
    pub(crate) merge_queue: bool,
    #[serde(default)]
    pub(crate) auto_merge_allowed: bool,
    #[serde(default)]
    pub(crate) auto_merge_ours: bool,
    #[serde(default)]
    pub(crate) author_is_agent: bool,
    #[serde(default)]
    pub(crate) scope_label: bool,
    #[serde(default)]
    pub(crate) stop_label: bool,
    pub(crate) last_review_at: Option<DateTime<Utc>>,
    /// Whether the head is a later commit than the latest review round's, when that round
    /// names its commit.
    #[serde(default)]
    pub(crate) review_answered: Option<bool>,
    pub(crate) auto_merge: bool,
    /// Threads read so far, over every page read.
    pub(crate) threads_total: u32,
    /// Threads GitHub counts beyond the pages read: until every page is read (or when a
    /// follow-up read failed or was cut by its budget), one of them may be open.
    #[serde(default)]
    pub(crate) threads_unread: u32,
    /// `endCursor` of the last page of threads read while GitHub has more: where the follow-up
    /// read continues (an opaque cursor of GitHub's, sent back as a variable, never shown).
    #[serde(default)]
    pub(crate) threads_after: Option<String>,
    pub(crate) unresolved: Vec<UnresolvedThread>,
    /// Children this PR closes in its own repository, with whether each is still open.
    pub(crate) closes: Vec<(u64, bool)>,
    /// The parent issue of each child that is a sub-issue: (child, parent's repository,
    /// parent's number).
    #[serde(default)]
    pub(crate) parents: Vec<(u64, RepoSlug, u64)>,
}

fn pending_checks() -> RequiredChecks {
    RequiredChecks::Pending
}

/// What the answer around a PR's node says: the repository's setting and the token's user.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    pub(crate) auto_merge_allowed: bool,
    pub(crate) viewer: Option<&'a str>,
    pub(crate) scope: &'a Scope,
}

/// A node that could not become a [`PrDetail`]: an id or SHA that breaks the validated types.
#[derive(Debug)]
pub(crate) struct Undecodable(pub(crate) String);

impl PrNode {
    pub(crate) fn into_detail(self, repo: &RepoSlug, context: Context<'_>) -> Result<PrDetail, Undecodable> {
        let bad = |what: &str| Undecodable(format!("{repo}#{}: {what}", self.number));
        let head_sha = CommitSha::new(self.head_ref_oid.clone()).map_err(|_| bad("head SHA"))?;
        let commit = self.commits.nodes.into_iter().flatten().last().map(|n| n.commit);
        let reviews: Vec<ReviewNode> = self.reviews.into_iter().flat_map(|r| r.nodes).flatten().collect();
        let round = latest_review_round(&reviews, self.author.as_ref().map(|a| a.login.as_str()), context);
        // Answered when the head is another commit than the one the round reviewed: decided
        // by commit id, never by clocks (a rebase keeps old committer dates).
        let review_answered =
            round.and_then(|r| r.commit.as_ref()).map(|c| !c.oid.eq_ignore_ascii_case(head_sha.as_str()));
        let last_review_at = round.and_then(|r| r.submitted_at);
        let own_repo = repo.to_string();
        let closing: Vec<ClosingIssue> = self
            .closing_issues_references
            .into_iter()
            .flat_map(|c| c.nodes)
            .flatten()
            .filter(|i| {
                i.repository.as_ref().is_none_or(|r| r.name_with_owner.eq_ignore_ascii_case(&own_repo))
            })
            .collect();
        let closes = closing.iter().map(|i| (i.number, i.state == IssueState::Open)).collect();
        let parents = closing
            .iter()
            .filter_map(|i| {
                let parent = i.parent.as_ref()?;
                let parent_repo = match &parent.repository {
                    Some(r) => RepoSlug::parse(&r.name_with_owner).ok()?,
                    None => repo.clone(),
                };
                Some((i.number, parent_repo, parent.number))
            })
            .collect();
        let (check_status, checks) = checks_of(commit.as_ref().and_then(|c| c.status_check_rollup.as_ref()));
        let labels: Vec<String> =
            self.labels.into_iter().flat_map(|l| l.nodes).flatten().map(|l| l.name).collect();
        let author = self.author.map(|a| a.login);
        let armed_by = self.auto_merge_request.as_ref().and_then(|a| a.enabled_by.as_ref()).map(|a| &a.login);
        PrDetail {
            node_id: self.id,
            state: self.state,
            is_draft: self.is_draft,
            mergeable: self.mergeable,
            head_sha,
            last_commit_at: commit.as_ref().map_or(DateTime::<Utc>::MIN_UTC, |c| c.committed_date),
            check_status,
            required_checks: checks.deciding,
            optional_checks_failing: checks.optional_failing,
            failing_checks: checks.failing,
            merge_state: self.merge_state_status,
            review_decision: self.review_decision,
            in_merge_queue: self.is_in_merge_queue,
            merge_queue: self.is_merge_queue_enabled,
            auto_merge_allowed: context.auto_merge_allowed,
            auto_merge_ours: armed_by
                .zip(context.viewer)
                .is_some_and(|(by, viewer)| by.eq_ignore_ascii_case(viewer)),
            author_is_agent: author.as_deref().is_some_and(|login| context.scope.is_agent(login)),
            scope_label: context.scope.has_scope_label(&labels),
            stop_label: context.scope.has_stop_label(&labels),
            last_review_at,
            review_answered,
            auto_merge: self.auto_merge_request.is_some(),
            threads_total: 0,
            threads_unread: 0,
            threads_after: None,
            unresolved: Vec::new(),
            closes,
            parents,
        }
        .with_first_thread_page(self.review_threads, context.scope)
        .map_err(|_| bad("thread id"))
    }
}

impl PrDetail {
    fn with_first_thread_page(
        mut self,
        page: Option<ThreadConnection>,
        scope: &Scope,
    ) -> Result<Self, Undecodable> {
        if let Some(page) = page {
            self.add_thread_page(page, scope)?;
        }
        Ok(self)
    }

    /// Adds one page of review threads (the first, or a follow-up continuing at
    /// [`PrDetail::threads_after`]): its unresolved threads join the list, and the counts say
    /// how many GitHub has beyond the pages read. A thread id that breaks the validated type
    /// leaves the detail as it was.
    pub(crate) fn add_thread_page(
        &mut self,
        page: ThreadConnection,
        scope: &Scope,
    ) -> Result<(), Undecodable> {
        let threads: Vec<ThreadNode> = page.nodes.into_iter().flatten().collect();
        let mut unresolved = Vec::new();
        for thread in threads.iter().filter(|t| !t.is_resolved) {
            let id = ThreadId::new(thread.id.clone()).map_err(|_| Undecodable("thread id".to_owned()))?;
            let last = thread.comments.nodes.iter().flatten().max_by_key(|c| c.created_at);
            let answered_by_agent =
                last.and_then(|c| c.author.as_ref()).is_some_and(|a| scope.is_agent(&a.login));
            unresolved.push(UnresolvedThread {
                id,
                last_comment_at: last.map_or(DateTime::<Utc>::MIN_UTC, |c| c.created_at),
                outdated: thread.is_outdated,
                answered_by_agent,
            });
        }
        self.unresolved.extend(unresolved);
        let read = u32::try_from(threads.len()).unwrap_or(u32::MAX);
        // Count what we have seen, so counts and the unresolved list agree.
        self.threads_total = self.threads_total.saturating_add(read);
        let more = page.page_info.as_ref().is_some_and(|p| p.has_next_page);
        self.threads_after = page.page_info.and_then(|p| p.end_cursor).filter(|_| more);
        // A page GitHub says is followed by more counts at least one unread thread, even when
        // its total has not caught up with a thread added meanwhile.
        self.threads_unread = page.total_count.saturating_sub(self.threads_total).max(u32::from(more));
        Ok(())
    }

    /// The follow-up page of threads to read next, when GitHub has more than were read.
    pub(crate) fn next_thread_page(&self, number: u64) -> Option<crate::documents::ThreadPage> {
        let after = self.threads_after.clone().filter(|_| self.state == PrState::Open)?;
        Some(crate::documents::ThreadPage::new(number, self.threads_unread, after))
    }

    /// Applies a settling read. False when the PR moved on (new head, no longer open) and
    /// needs a full read instead.
    pub(crate) fn apply_settling(&mut self, node: SettlingNode) -> bool {
        if node.state != self.state || node.head_ref_oid != self.head_sha.as_str() {
            return false;
        }
        self.mergeable = node.mergeable;
        self.merge_state = node.merge_state_status;
        self.in_merge_queue = node.is_in_merge_queue;
        let rollup =
            node.commits.nodes.into_iter().flatten().last().and_then(|c| c.commit.status_check_rollup);
        let (check_status, checks) = checks_of(rollup.as_ref());
        self.check_status = check_status;
        self.required_checks = checks.deciding;
        self.optional_checks_failing = checks.optional_failing;
        self.failing_checks = checks.failing;
        true
    }

    /// True while GitHub may still change the PR without bumping its `updated_at`.
    pub(crate) fn is_settling(&self) -> bool {
        self.state == PrState::Open
            && (self.mergeable == Mergeable::Unknown
                || self.merge_state == MergeStateStatus::Unknown
                || self.checks_pending())
    }

    /// Checks still to report on the head (not a head without any CI).
    pub(crate) fn checks_pending(&self) -> bool {
        self.required_checks == RequiredChecks::Pending
            || (self.required_checks != RequiredChecks::NoneConfigured
                && matches!(self.check_status, CheckStatus::Pending | CheckStatus::Expected))
    }

    /// One signal per (epic, child) the PR closes, or one outside any epic.
    pub(crate) fn signals(&self, repo: &RepoSlug, pr: u64, epics: &EpicIndex<'_>) -> Vec<PipelineSignal> {
        let closes = Closes { children: &self.closes, parents: &self.parents };
        let links = epics.links(repo, closes);
        if links.is_empty() {
            return vec![self.signal(repo, pr, None)];
        }
        links.iter().map(|link| self.signal(repo, pr, Some(link))).collect()
    }

    fn signal(&self, repo: &RepoSlug, pr: u64, link: Option<&crate::epics::EpicLink>) -> PipelineSignal {
        let (epic, child) = link.map_or((0, 0), |l| (l.epic, l.child));
        let (child_open, parent_ticked) = link.map_or((false, false), |l| (l.child_open, l.ticked));
        let epic_repo = link.map(|l| &l.epic_repo).filter(|r| *r != repo);
        let unresolved = u32::try_from(self.unresolved.len()).unwrap_or(u32::MAX);
        PipelineSignal {
            repo_owner: repo.owner.clone(),
            repo_name: repo.name.clone(),
            epic_number: epic,
            child_number: child,
            pr_number: pr,
            pr_state: self.state,
            is_draft: self.is_draft,
            mergeable: self.mergeable,
            check_status: self.check_status,
            threads_total: self.threads_total.max(unresolved),
            threads_resolved: self.threads_total.max(unresolved) - unresolved,
            last_commit_sha: self.head_sha.clone(),
            last_commit_at: self.last_commit_at,
            last_review_at: self.last_review_at,
            child_open,
            parent_ticked,
            auto_merge_enabled: self.auto_merge,
            has_fix_commit_after_review: self
                .review_answered
                .unwrap_or_else(|| self.last_review_at.is_some_and(|r| self.last_commit_at > r)),
            unresolved_threads: self.unresolved.clone(),
            merge_state: self.merge_state,
            required_checks: Some(self.required_checks),
            optional_checks_failing: self.optional_checks_failing,
            review_decision: self.review_decision,
            auto_merge_allowed: self.auto_merge_allowed,
            auto_merge_ours: self.auto_merge_ours,
            merge_queue: self.merge_queue,
            in_merge_queue: self.in_merge_queue,
            author_is_agent: self.author_is_agent,
            scope_label: self.scope_label,
            stop_label: self.stop_label,
            threads_unread: self.threads_unread,
            failing_checks: self.failing_checks.clone(),
            memory: jobrunner_core::PrMemory::default(),
            epic_repo_owner: epic_repo.map(|r| r.owner.clone()),
            epic_repo_name: epic_repo.map(|r| r.name.clone()),
            epic_kind: link.map_or(EpicKind::Checklist, |l| l.kind),
            epic_body_sha256: link.and_then(|l| l.body_sha256.clone()),
            epic_open_children: link.and_then(|l| l.open_children),
        }
    }

    /// True once nothing more can happen to a merged or closed PR.
    pub(crate) fn is_finished(&self, signals: &[PipelineSignal]) -> bool {
        match self.state {
            PrState::Open => false,
            PrState::Closed => true,
            // An epic whose children are all closed waits for close_epic (it then leaves the
            // open epics, and the PR its flow); one whose children are not all known yet
            // waits for their states.
            PrState::Merged => signals.iter().all(|s| {
                !s.in_epic()
                    || ((s.parent_ticked || s.epic_kind == EpicKind::SubIssue)
                        && !s.child_open
                        && s.epic_open_children.is_some_and(|open| open > 0))
            }),
        }
    }
}

/// Cached pages of one paginated list: ETag, the next link GitHub sent with the 200 (a 304
/// carries none), and the decoded items.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Page<T> {
    pub(crate) url: String,
    pub(crate) etag: Option<String>,
    pub(crate) next: Option<String>,
    pub(crate) items: Vec<T>,
}

/// Everything the source remembers about one repository.
#[derive(Debug, Default)]
pub(crate) struct RepoState {
    pub(crate) pull_pages: Vec<Page<PullListItem>>,
    /// The first page of recently closed PRs (most recently updated first).
    pub(crate) closed_pages: Vec<Page<ClosedListItem>>,
    pub(crate) epic_pages: Vec<Page<EpicChecklist>>,
    /// Base branch name -> ETag of its branch resource.
    pub(crate) branch_etags: BTreeMap<String, String>,
    /// Settling check URL -> ETag.
    pub(crate) settle_etags: BTreeMap<String, String>,
    pub(crate) details: BTreeMap<u64, PrDetail>,
    /// PRs whose flow is over: no more refreshes or signals.
    pub(crate) finished: BTreeSet<u64>,
    /// Heads whose CI reports as commit statuses, not check runs: their combined status is
    /// watched instead. Per head, since a repository may move from one to the other.
    pub(crate) status_heads: BTreeSet<String>,
    /// The recently closed list was read at least once.
    pub(crate) closed_seen: bool,
    /// PRs to refresh next cycle whatever the conditional requests say.
    pub(crate) forced: std::collections::BTreeSet<u64>,
    /// The state was loaded from the source cache (or there was nothing to load).
    pub(crate) loaded: bool,
    /// How the open list looked before a restart, until the first cycle after it compares.
    pub(crate) restored_listings: Option<BTreeMap<u64, Listing>>,
    /// Branch ETags from before a restart, by base-name hash, until the branch is seen again.
    pub(crate) restored_branches: BTreeMap<u64, String>,
    /// Hash of the snapshot last saved, so an unchanged repository is not written again.
    pub(crate) saved: Option<u64>,
    /// Issues of this repository listed in an epic: open or not, when last read.
    pub(crate) child_open: BTreeMap<u64, bool>,
}

impl RepoState {
    pub(crate) fn open_prs(&self) -> BTreeMap<u64, &PullListItem> {
        self.pull_pages.iter().flat_map(|p| &p.items).map(|i| (i.number, i)).collect()
    }

    pub(crate) fn epics(&self) -> Vec<EpicChecklist> {
        self.epic_pages.iter().flat_map(|p| p.items.iter().cloned()).collect()
    }
}
