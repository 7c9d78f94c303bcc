//! What the adapter keeps between cycles, all structural: list items, epic checklists as
//! (child, ticked) pairs, and each PR's decoded GraphQL state. No title, body or branch text
//! is stored except base branch names, which only ever become request paths.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use jobrunner_core::checklist;
use jobrunner_core::{
    CheckStatus, CommitSha, Mergeable, PipelineSignal, PrState, RepoSlug, ThreadId, UnresolvedThread,
};
use serde::{Deserialize, Serialize};

/// An open PR as the REST list shows it: what tells us it changed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct PullListItem {
    pub(crate) number: u64,
    pub(crate) node_id: String,
    #[serde(default)]
    pub(crate) draft: bool,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) head: HeadRef,
    pub(crate) base: BaseRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct HeadRef {
    pub(crate) sha: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct BaseRef {
    #[serde(rename = "ref")]
    pub(crate) name: String,
}

/// A recently closed PR as the REST list shows it: merged ones may still need their epic
/// ticked and their child closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ClosedListItem {
    pub(crate) number: u64,
    pub(crate) node_id: String,
    pub(crate) merged_at: Option<DateTime<Utc>>,
}

/// An epic as the REST issue list shows it; the body is read for its checklist and dropped.
#[derive(Debug, Deserialize)]
pub(crate) struct EpicListItem {
    number: u64,
    body: Option<String>,
    #[serde(default)]
    pull_request: Option<serde::de::IgnoredAny>,
}

/// An epic's children in this repository, with their checkbox state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EpicChecklist {
    pub(crate) epic: u64,
    pub(crate) children: Vec<(u64, bool)>,
}

impl EpicListItem {
    /// The checklist of an epic issue (not of a PR carrying the label).
    pub(crate) fn checklist(self, repo: &RepoSlug) -> Option<EpicChecklist> {
        if self.pull_request.is_some() {
            return None;
        }
        let body = self.body.unwrap_or_default();
        let mut children: Vec<(u64, bool)> = Vec::new();
        for item in checklist::items(&body)
            .into_iter()
            .filter(|i| i.repo.as_ref().is_none_or(|(o, n)| repo.same_repo(o, n)))
        {
            match children.iter_mut().find(|(child, _)| *child == item.number) {
                // A child listed twice counts as ticked only when every box is ticked.
                Some((_, ticked)) => *ticked &= item.ticked,
                None => children.push((item.number, item.ticked)),
            }
        }
        Some(EpicChecklist { epic: self.number, children })
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
    head_ref_oid: String,
    auto_merge_request: Option<serde::de::IgnoredAny>,
    commits: Nodes<CommitNode>,
    reviews: Option<Nodes<ReviewNode>>,
    /// Absent from the closed-PR fragment.
    review_threads: Option<ThreadConnection>,
    closing_issues_references: Option<Nodes<ClosingIssue>>,
}

#[derive(Debug, Deserialize)]
struct Nodes<T> {
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
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewNode {
    submitted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadConnection {
    total_count: u32,
    #[serde(default)]
    nodes: Vec<Option<ThreadNode>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadNode {
    id: String,
    is_resolved: bool,
    comments: Nodes<CommentNode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CommentNode {
    created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClosingIssue {
    number: u64,
    state: IssueState,
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
    pub(crate) last_review_at: Option<DateTime<Utc>>,
    pub(crate) auto_merge: bool,
    pub(crate) threads_total: u32,
    pub(crate) unresolved: Vec<UnresolvedThread>,
    /// Children this PR closes in its own repository, with whether each is still open.
    pub(crate) closes: Vec<(u64, bool)>,
}

/// A node that could not become a [`PrDetail`]: an id or SHA that breaks the validated types.
#[derive(Debug)]
pub(crate) struct Undecodable(pub(crate) String);

impl PrNode {
    pub(crate) fn into_detail(self, repo: &RepoSlug) -> Result<PrDetail, Undecodable> {
        let bad = |what: &str| Undecodable(format!("{repo}#{}: {what}", self.number));
        let head_sha = CommitSha::new(self.head_ref_oid.clone()).map_err(|_| bad("head SHA"))?;
        let commit = self.commits.nodes.into_iter().flatten().last().map(|n| n.commit);
        let last_review_at =
            self.reviews.into_iter().flat_map(|r| r.nodes).flatten().filter_map(|r| r.submitted_at).max();
        let (total_count, threads): (u32, Vec<ThreadNode>) = self
            .review_threads
            .map_or((0, Vec::new()), |t| (t.total_count, t.nodes.into_iter().flatten().collect()));
        // More threads than one page shows: count what we can see, so counts and the
        // unresolved list agree; the rest are picked up as earlier ones get resolved.
        let threads_total = total_count.min(u32::try_from(threads.len()).unwrap_or(u32::MAX));
        let mut unresolved = Vec::new();
        for thread in threads.into_iter().filter(|t| !t.is_resolved) {
            let id = ThreadId::new(thread.id).map_err(|_| bad("thread id"))?;
            let last = thread.comments.nodes.into_iter().flatten().map(|c| c.created_at).max();
            unresolved
                .push(UnresolvedThread { id, last_comment_at: last.unwrap_or(DateTime::<Utc>::MIN_UTC) });
        }
        let own_repo = repo.to_string();
        let closes = self
            .closing_issues_references
            .into_iter()
            .flat_map(|c| c.nodes)
            .flatten()
            .filter(|i| {
                i.repository.as_ref().is_none_or(|r| r.name_with_owner.eq_ignore_ascii_case(&own_repo))
            })
            .map(|i| (i.number, i.state == IssueState::Open))
            .collect();
        Ok(PrDetail {
            node_id: self.id,
            state: self.state,
            is_draft: self.is_draft,
            mergeable: self.mergeable,
            head_sha,
            last_commit_at: commit.as_ref().map_or(DateTime::<Utc>::MIN_UTC, |c| c.committed_date),
            // No rollup yet means checks have not reported: not a pass.
            check_status: commit
                .and_then(|c| c.status_check_rollup)
                .map_or(CheckStatus::Pending, |r| r.state),
            last_review_at,
            auto_merge: self.auto_merge_request.is_some(),
            threads_total,
            unresolved,
            closes,
        })
    }
}

impl PrDetail {
    /// Applies a settling read. False when the PR moved on (new head, no longer open) and
    /// needs a full read instead.
    pub(crate) fn apply_settling(&mut self, node: SettlingNode) -> bool {
        if node.state != self.state || node.head_ref_oid != self.head_sha.as_str() {
            return false;
        }
        self.mergeable = node.mergeable;
        self.check_status = node
            .commits
            .nodes
            .into_iter()
            .flatten()
            .last()
            .and_then(|c| c.commit.status_check_rollup)
            .map_or(CheckStatus::Pending, |r| r.state);
        true
    }

    /// True while GitHub may still change the PR without bumping its `updated_at`.
    pub(crate) fn is_settling(&self) -> bool {
        self.state == PrState::Open
            && (self.mergeable == Mergeable::Unknown
                || matches!(self.check_status, CheckStatus::Pending | CheckStatus::Expected))
    }

    /// One signal per (epic, child) the PR closes, or one outside any epic.
    pub(crate) fn signals(&self, repo: &RepoSlug, pr: u64, epics: &[EpicChecklist]) -> Vec<PipelineSignal> {
        let mut links: Vec<(u64, u64, bool, bool)> = Vec::new();
        for &(child, child_open) in &self.closes {
            for epic in epics {
                if let Some(&(_, ticked)) = epic.children.iter().find(|(c, _)| *c == child) {
                    links.push((epic.epic, child, child_open, ticked));
                }
            }
        }
        if links.is_empty() {
            links.push((0, 0, false, false));
        }
        links
            .into_iter()
            .map(|(epic, child, child_open, ticked)| self.signal(repo, pr, epic, child, child_open, ticked))
            .collect()
    }

    fn signal(
        &self,
        repo: &RepoSlug,
        pr: u64,
        epic: u64,
        child: u64,
        child_open: bool,
        parent_ticked: bool,
    ) -> PipelineSignal {
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
            has_fix_commit_after_review: self.last_review_at.is_some_and(|r| self.last_commit_at > r),
            unresolved_threads: self.unresolved.clone(),
        }
    }

    /// True once nothing more can happen to a merged or closed PR.
    pub(crate) fn is_finished(&self, signals: &[PipelineSignal]) -> bool {
        match self.state {
            PrState::Open => false,
            PrState::Closed => true,
            PrState::Merged => signals.iter().all(|s| !s.in_epic() || (s.parent_ticked && !s.child_open)),
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
    pub(crate) finished: std::collections::BTreeSet<u64>,
    /// The repository reports CI as commit statuses, not check runs.
    pub(crate) uses_statuses: bool,
    /// The recently closed list was read at least once.
    pub(crate) closed_seen: bool,
    /// PRs to refresh next cycle whatever the conditional requests say.
    pub(crate) forced: std::collections::BTreeSet<u64>,
    /// The state was loaded from the source cache (or there was nothing to load).
    pub(crate) loaded: bool,
    /// How the open list looked before a restart, until the first cycle after it compares.
    pub(crate) restored_listings: Option<BTreeMap<u64, crate::persist::Listing>>,
    /// Branch ETags from before a restart, by base-name hash, until the branch is seen again.
    pub(crate) restored_branches: BTreeMap<u64, String>,
    /// Hash of the snapshot last saved, so an unchanged repository is not written again.
    pub(crate) saved: Option<u64>,
}

impl RepoState {
    pub(crate) fn open_prs(&self) -> BTreeMap<u64, &PullListItem> {
        self.pull_pages.iter().flat_map(|p| &p.items).map(|i| (i.number, i)).collect()
    }

    pub(crate) fn epics(&self) -> Vec<EpicChecklist> {
        self.epic_pages.iter().flat_map(|p| p.items.iter().cloned()).collect()
    }
}
