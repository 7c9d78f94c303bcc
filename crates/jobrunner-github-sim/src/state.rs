//! [`SimState`]: everything the simulator serves, in one plain struct, with `with_*` builders
//! and read helpers for assertions.
//!
//! The scenario steps that play the other parties live in [`crate::scenario`], the changes
//! clients make through the API in [`crate::actions`], and the seeded states (`Default`,
//! [`SimState::workload`]) in [`crate::seed`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use jobrunner_core::{RepoSlug, checklist};

use crate::accounting::Limits;
use crate::checks::{CheckState, NamedCheck};
use crate::clock::{LogicalClock, Timestamp};
use crate::ids;
use crate::marker::{TextKind, mark};
use crate::model::{
    AutoMerge, Comment, Commit, Issue, IssueState, PrState, PullRequest, Repo, Review, ReviewComment,
    ReviewState, ReviewThread, StateReason,
};
use crate::protection::Protection;
use crate::spec::{PrSpec, ThreadSpec};

/// Login of the simulated human who writes issues and reviews, and the PRs built with
/// `PrSpec::author(HUMAN_LOGIN)`.
pub const HUMAN_LOGIN: &str = "octocat";
/// Login of the simulated coding agent: it commits the fix commits of `agent_pushes_fix`, and
/// authors the PRs built with `PrSpec::author(AGENT_LOGIN)` (PRs are by [`HUMAN_LOGIN`]
/// unless a spec says otherwise, as before the agent had a login).
pub const AGENT_LOGIN: &str = "coding-agent";
/// Login of the token's user (`viewer`) unless [`SimState::with_viewer`] says otherwise: who
/// the API client's comments, merges and auto-merge requests are attributed to.
pub const VIEWER_LOGIN: &str = "core-ide-bot";
pub(crate) const HUMAN: &str = HUMAN_LOGIN;
/// Login of the simulated reviewer.
pub(crate) const REVIEWER: &str = "hubot";

/// The whole simulated forge. See the crate docs for what [`SimState::default`] holds.
#[derive(Debug, Clone)]
pub struct SimState {
    repos: Vec<Repo>,
    /// Lower-cased `owner/name` to index in `repos`: GitHub resolves names case-insensitively.
    index: HashMap<String, usize>,
    /// Lower-cased former `owner/name`s to index in `repos`: renamed repositories.
    renamed: HashMap<String, usize>,
    clock: LogicalClock,
    next_id: u64,
    marker: Option<String>,
    tokens: Option<BTreeSet<String>>,
    limits: Limits,
    closes_linked_on_merge: bool,
    viewer: String,
}

impl SimState {
    /// No repositories; GitHub's limits; any non-empty token accepted.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            repos: Vec::new(),
            index: HashMap::new(),
            renamed: HashMap::new(),
            clock: LogicalClock::default(),
            next_id: 1000,
            marker: None,
            tokens: None,
            limits: Limits::default(),
            closes_linked_on_merge: true,
            viewer: VIEWER_LOGIN.to_owned(),
        }
    }

    /// Adds repository `owner/name` with default branch `main` (no-op if it exists).
    #[must_use]
    pub fn with_repo(mut self, owner: &str, name: &str) -> Self {
        self.ensure_repo(&format!("{owner}/{name}"));
        self
    }

    /// Adds (or replaces) epic `number` in `repo` (`owner/name`, created if missing): label
    /// `epic`, a body listing each child as a `- [ ] #N` line; missing children are created
    /// open.
    #[must_use]
    pub fn with_epic(mut self, repo: &str, number: u64, children: &[u64]) -> Self {
        let items: Vec<(u64, bool)> = children.iter().map(|&c| (c, false)).collect();
        self.insert_epic(repo, number, &items);
        self
    }

    /// Adds open child issue `number` to `repo` (no-op if it exists).
    #[must_use]
    pub fn with_child(mut self, repo: &str, number: u64) -> Self {
        self.ensure_child(repo, number);
        self
    }

    /// Adds pull request `spec.number` to `repo` (created if missing). A merged PR closes its
    /// linked issues (as completed) when it merged into the default branch and
    /// [`SimState::with_closes_linked_on_merge`] is on.
    #[must_use]
    pub fn with_pr(mut self, repo: &str, spec: PrSpec) -> Self {
        for &child in &spec.closes {
            self.ensure_child(repo, child);
        }
        let checks = spec.head_checks();
        let pr = self.build_pr(repo, spec);
        let closes_linked = pr.state == PrState::Merged && self.closes_on_merge_into(repo, &pr.base_ref);
        let (merged_at, closes) = (pr.merged_at, pr.closes.clone());
        let pushed_at = pr.head().committed_at;
        let target = self.repo_mut(repo);
        target.pushed_at = target.pushed_at.max(Some(pushed_at));
        let checks = if target.has_ci { checks } else { Vec::new() };
        target.checks.insert(pr.head_sha().to_owned(), checks);
        target.branches.insert(pr.head_ref.clone(), pr.head_sha().to_owned());
        target.pulls.insert(pr.number, pr);
        if closes_linked && let Some(at) = merged_at {
            self.close_issues(repo, &closes, at);
        }
        self
    }

    /// Plants `marker` in every free-text field served from now on, including what already
    /// exists: titles and comment, review and review-comment bodies get it appended; issue, epic
    /// and PR bodies get it on lines of their own before and after (checklist lines stay
    /// intact); commit messages get it in the message body; head branch names get it as a
    /// `marker/` prefix with characters a git ref cannot hold replaced by `-` (so a token like
    /// `MARKER-7f3a9c` appears verbatim). Call it once.
    #[must_use]
    pub fn with_marker(mut self, marker: &str) -> Self {
        self.marker = Some(marker.to_owned());
        for repo in &mut self.repos {
            mark_repo(repo, marker);
        }
        self
    }

    /// Accepts only these tokens (others get `401 Bad credentials`). Without this, any
    /// non-empty token is accepted.
    #[must_use]
    pub fn with_tokens(mut self, tokens: &[&str]) -> Self {
        self.tokens = Some(tokens.iter().map(|t| (*t).to_owned()).collect());
        self
    }

    /// Enforces these limits instead of GitHub's.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether merging a PR into the default branch closes its linked issues (GitHub: yes).
    #[must_use]
    pub fn with_closes_linked_on_merge(mut self, closes: bool) -> Self {
        self.closes_linked_on_merge = closes;
        self
    }

    /// Protects branch `branch` of `repo` (created if missing) with `protection`, replacing
    /// any earlier one.
    #[must_use]
    pub fn with_protection(mut self, repo: &str, branch: &str, protection: Protection) -> Self {
        self.ensure_repo(repo);
        self.repo_mut(repo).protections.insert(branch.to_owned(), protection);
        self
    }

    /// The repository setting "Allow auto-merge" of `repo` (created if missing). GitHub's
    /// default for a new repository is off; the simulator's is on, so states built before
    /// the setting existed keep accepting auto-merge.
    #[must_use]
    pub fn with_auto_merge_allowed(mut self, repo: &str, allowed: bool) -> Self {
        self.ensure_repo(repo);
        self.repo_mut(repo).auto_merge_allowed = allowed;
        self
    }

    /// `repo` (created if missing) has no CI: no commit in it, existing or future, has a
    /// check run or a status (whatever the PR specs say), so GraphQL's `statusCheckRollup` is
    /// `null` and REST's check-runs and combined status are empty.
    #[must_use]
    pub fn with_no_ci(mut self, repo: &str) -> Self {
        self.ensure_repo(repo);
        let target = self.repo_mut(repo);
        target.has_ci = false;
        for checks in target.checks.values_mut() {
            checks.clear();
        }
        self
    }

    /// Pre-receive hooks run on merges into `repo` (GitHub Enterprise Server): PRs that would
    /// read `CLEAN` read `HAS_HOOKS`.
    #[must_use]
    pub fn with_pre_receive_hooks(mut self, repo: &str, hooks: bool) -> Self {
        self.ensure_repo(repo);
        self.repo_mut(repo).pre_receive_hooks = hooks;
        self
    }

    /// The token's user (GraphQL `viewer`), to whom the client's writes are attributed.
    #[must_use]
    pub fn with_viewer(mut self, login: &str) -> Self {
        login.clone_into(&mut self.viewer);
        self
    }

    /// Login of the token's user.
    #[must_use]
    pub fn viewer(&self) -> &str {
        &self.viewer
    }

    /// The owner renames repository `old` to `new` (both `owner/name`; a new owner is a
    /// transfer). From now on REST requests naming `old` are redirected to
    /// `/repositories/{id}/…` and GraphQL resolves `old` to the repository (unless asked not
    /// to follow renames); state helpers take the new name. Panics when `old` is missing or
    /// `new` is taken.
    pub fn rename_repo(&mut self, old: &str, new: &str) {
        let index = self.index_of(old).unwrap_or_else(|| panic!("the simulator has no repository {old}"));
        assert!(self.index_of(new).is_none(), "repository {new} already exists");
        let (owner, name) =
            new.split_once('/').unwrap_or_else(|| panic!("repository {new} is not owner/name"));
        let target = &mut self.repos[index];
        let former = target.full_name();
        owner.clone_into(&mut target.owner);
        name.clone_into(&mut target.name);
        target.former_names.push(former.clone());
        self.tick();
        self.index.remove(&former.to_ascii_lowercase());
        self.index.insert(new.to_ascii_lowercase(), index);
        self.renamed.remove(&new.to_ascii_lowercase());
        self.renamed.insert(former.to_ascii_lowercase(), index);
    }

    /// Every request about repository `repo` is refused from now on: REST `403 Resource not
    /// accessible by integration`, GraphQL `FORBIDDEN` (a token or app that lost access).
    pub fn forbid_repo(&mut self, repo: &str) {
        self.repo_mut(repo).forbidden = true;
    }

    /// The repository that used to be called `old`, if it was renamed.
    #[must_use]
    pub fn renamed_from(&self, old: &str) -> Option<&Repo> {
        self.renamed.get(&old.to_ascii_lowercase()).map(|&i| &self.repos[i])
    }

    /// Current logical time.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Advances the logical clock by one second and returns the new time.
    pub fn tick(&mut self) -> Timestamp {
        self.clock.tick()
    }

    /// The limits in force.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Changes the limits of a running simulator (through `SimHandle::with_state`).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The marker, if set.
    #[must_use]
    pub fn marker(&self) -> Option<&str> {
        self.marker.as_deref()
    }

    /// Whether merges into the default branch close linked issues.
    #[must_use]
    pub fn closes_linked_on_merge(&self) -> bool {
        self.closes_linked_on_merge
    }

    /// Every repository, in the order added.
    #[must_use]
    pub fn repos(&self) -> &[Repo] {
        &self.repos
    }

    /// Repository `repo` (`owner/name`), if present.
    #[must_use]
    pub fn find_repo(&self, repo: &str) -> Option<&Repo> {
        self.index.get(&repo.to_ascii_lowercase()).map(|&i| &self.repos[i])
    }

    /// Repository `repo` (`owner/name`); panics naming it when absent (a test bug).
    #[must_use]
    pub fn repo(&self, repo: &str) -> &Repo {
        self.find_repo(repo).unwrap_or_else(|| panic!("the simulator has no repository {repo}"))
    }

    /// Publishes a release of `repo` tagged `tag` with `assets` (name, content), newest of all.
    pub fn publish_release(&mut self, repo: &str, tag: &str, prerelease: bool, assets: &[(&str, Vec<u8>)]) {
        let id = self.next_id();
        let assets = assets
            .iter()
            .map(|(name, bytes)| crate::model::ReleaseAsset {
                id: self.next_id(),
                name: (*name).to_owned(),
                bytes: bytes.clone(),
            })
            .collect();
        let published_at = self.tick();
        let release =
            crate::model::Release { id, tag: tag.to_owned(), prerelease, draft: false, published_at, assets };
        self.repo_mut(repo).releases.push(release);
    }

    /// Mutable repository `repo`; panics naming it when absent.
    pub fn repo_mut(&mut self, repo: &str) -> &mut Repo {
        let index = self.index_of(repo).unwrap_or_else(|| panic!("the simulator has no repository {repo}"));
        &mut self.repos[index]
    }

    /// Pull request `number` of `repo`; panics naming it when absent.
    #[must_use]
    pub fn pr(&self, repo: &str, number: u64) -> &PullRequest {
        self.repo(repo).pulls.get(&number).unwrap_or_else(|| panic!("{repo} has no pull request #{number}"))
    }

    /// Mutable pull request `number` of `repo`; panics naming it when absent.
    pub fn pr_mut(&mut self, repo: &str, number: u64) -> &mut PullRequest {
        self.repo_mut(repo)
            .pulls
            .get_mut(&number)
            .unwrap_or_else(|| panic!("{repo} has no pull request #{number}"))
    }

    /// Issue `number` of `repo`; panics naming it when absent.
    #[must_use]
    pub fn issue(&self, repo: &str, number: u64) -> &Issue {
        self.repo(repo).issues.get(&number).unwrap_or_else(|| panic!("{repo} has no issue #{number}"))
    }

    /// Mutable issue `number` of `repo`; panics naming it when absent.
    pub fn issue_mut(&mut self, repo: &str, number: u64) -> &mut Issue {
        self.repo_mut(repo).issues.get_mut(&number).unwrap_or_else(|| panic!("{repo} has no issue #{number}"))
    }

    /// Bodies of the comments on issue or PR `number`, oldest first; panics when neither exists.
    #[must_use]
    pub fn comments(&self, repo: &str, number: u64) -> Vec<String> {
        let target = self.repo(repo);
        let comments = match (target.issues.get(&number), target.pulls.get(&number)) {
            (Some(issue), _) => &issue.comments,
            (None, Some(pr)) => &pr.comments,
            (None, None) => panic!("{repo} has no issue or pull request #{number}"),
        };
        comments.iter().map(|c| c.body.clone()).collect()
    }

    /// Body of epic (issue) `number`; panics when absent.
    #[must_use]
    pub fn epic_body(&self, repo: &str, number: u64) -> &str {
        &self.issue(repo, number).body
    }

    /// Whether `child`'s box in epic `epic` is ticked (`None` when the epic does not list it),
    /// read with the same checklist grammar as the runner.
    #[must_use]
    pub fn is_ticked(&self, repo: &str, epic: u64, child: u64) -> Option<bool> {
        let slug = RepoSlug::parse(repo).unwrap_or_else(|e| panic!("{repo} is not a valid repository: {e}"));
        checklist::ChecklistGrammar::default().is_ticked(self.epic_body(repo, epic), &slug, child)
    }

    /// Whether `token` may call the API.
    pub(crate) fn accepts_token(&self, token: &str) -> bool {
        !token.is_empty() && self.tokens.as_ref().is_none_or(|allowed| allowed.contains(token))
    }

    /// Repository by its database id (node ids carry it).
    pub(crate) fn repo_by_id(&self, id: u64) -> Option<&Repo> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        self.repos.get(index)
    }

    /// Mutable repository by database id.
    pub(crate) fn repo_by_id_mut(&mut self, id: u64) -> Option<&mut Repo> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        self.repos.get_mut(index)
    }

    /// A fresh numeric id for a comment, review, thread or check run.
    pub(crate) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// `text` carrying the marker, if one is set.
    pub(crate) fn text(&self, kind: TextKind, text: &str) -> String {
        mark(self.marker.as_deref(), kind, text)
    }

    fn index_of(&self, repo: &str) -> Option<usize> {
        self.index.get(&repo.to_ascii_lowercase()).copied()
    }

    /// Adds `owner/name` if missing.
    pub(crate) fn ensure_repo(&mut self, repo: &str) {
        if self.index_of(repo).is_some() {
            return;
        }
        let (owner, name) =
            repo.split_once('/').unwrap_or_else(|| panic!("repository {repo} is not owner/name"));
        let database_id = u64::try_from(self.repos.len() + 1).expect("fewer than 2^64 repositories");
        let head = ids::sha(&format!("{repo}@main#0"));
        self.repos.push(Repo {
            owner: owner.to_owned(),
            name: name.to_owned(),
            database_id,
            default_branch: "main".to_owned(),
            branches: BTreeMap::from([("main".to_owned(), head.clone())]),
            checks: BTreeMap::from([(head, vec![NamedCheck::legacy(CheckState::Success)])]),
            protections: BTreeMap::new(),
            auto_merge_allowed: true,
            pre_receive_hooks: false,
            former_names: Vec::new(),
            forbidden: false,
            has_ci: true,
            pushed_at: None,
            issues: BTreeMap::new(),
            pulls: BTreeMap::new(),
            releases: Vec::new(),
        });
        self.index.insert(repo.to_ascii_lowercase(), self.repos.len() - 1);
    }

    /// Adds epic `number` listing `(child, ticked)` items, creating missing children.
    pub(crate) fn insert_epic(&mut self, repo: &str, number: u64, items: &[(u64, bool)]) {
        for &(child, _) in items {
            self.ensure_child(repo, child);
        }
        let lines: Vec<String> = items
            .iter()
            .map(|&(c, ticked)| format!("- [{}] #{c} Child task {c}", if ticked { 'x' } else { ' ' }))
            .collect();
        let body = format!("Tracking the work of this epic.\n\n{}\n", lines.join("\n"));
        let title = format!("Epic {number}: ship the milestone");
        self.insert_issue(repo, number, &title, &body, vec!["epic".to_owned()]);
    }

    pub(crate) fn ensure_child(&mut self, repo: &str, number: u64) {
        self.ensure_repo(repo);
        if !self.repo(repo).issues.contains_key(&number) {
            let body = format!("Part of the epic. Task {number} needs doing.");
            self.insert_issue(repo, number, &format!("Child task {number}"), &body, Vec::new());
        }
    }

    pub(crate) fn insert_issue(
        &mut self,
        repo: &str,
        number: u64,
        title: &str,
        body: &str,
        labels: Vec<String>,
    ) {
        self.ensure_repo(repo);
        let at = self.tick();
        let issue = Issue {
            number,
            id: self.next_id(),
            title: self.text(TextKind::Title, title),
            body: self.text(TextKind::Body, body),
            state: IssueState::Open,
            state_reason: None,
            labels,
            comments: Vec::new(),
            author: HUMAN.to_owned(),
            created_at: at,
            updated_at: at,
            closed_at: None,
            parent: None,
        };
        self.repo_mut(repo).issues.insert(number, issue);
    }

    /// Closes each listed issue as completed at `at` (a merge closing its linked issues).
    pub(crate) fn close_issues(&mut self, repo: &str, numbers: &[u64], at: Timestamp) {
        let target = self.repo_mut(repo);
        for issue in target.issues.values_mut().filter(|i| numbers.contains(&i.number)) {
            if issue.state == IssueState::Open {
                issue.state = IssueState::Closed;
                issue.state_reason = Some(StateReason::Completed);
                issue.closed_at = Some(at);
                issue.updated_at = at;
            }
        }
    }

    /// Whether a merge into `base` of `repo` closes linked issues.
    pub(crate) fn closes_on_merge_into(&self, repo: &str, base: &str) -> bool {
        self.closes_linked_on_merge && self.repo(repo).default_branch == base
    }

    fn build_pr(&mut self, repo: &str, spec: PrSpec) -> PullRequest {
        self.ensure_repo(repo);
        let created_at = self.tick();
        let commit = self.first_commit(repo, &spec);
        let review_at = spec.review_at.or_else(|| (!spec.threads.is_empty()).then(|| self.tick()));
        let threads: Vec<ReviewThread> =
            spec.threads.iter().enumerate().map(|(i, t)| self.build_thread(i, t, review_at)).collect();
        let mut reviews: Vec<Review> =
            review_at.map(|at| self.build_review(&threads, at, &commit.sha)).into_iter().collect();
        reviews.extend(self.build_verdicts(&spec, &commit.sha));
        let auto_merge = spec.auto_merge.map(|method| AutoMerge { enabled_at: self.tick(), method });
        let ended_at = (spec.state != PrState::Open).then(|| self.tick());
        let verdicts_at = reviews.iter().map(|r| r.submitted_at).max();
        let updated_at =
            latest(created_at, &commit, &threads, review_at.max(verdicts_at), auto_merge, ended_at);
        let (title, body, head) = (pr_title(&spec), pr_body(&spec), head_ref(&spec));
        let base = spec.base.clone().unwrap_or_else(|| self.repo(repo).default_branch.clone());
        // A base branch named by a spec starts where the default branch is.
        let default_head = self.repo(repo).default_head().to_owned();
        self.repo_mut(repo).branches.entry(base.clone()).or_insert(default_head);
        let auto_merge_by = auto_merge.map(|_| self.viewer.clone());
        PullRequest {
            number: spec.number,
            id: self.next_id(),
            title: self.text(TextKind::Title, &title),
            body: self.text(TextKind::Body, &body),
            author: spec.author.clone().unwrap_or_else(|| HUMAN.to_owned()),
            state: spec.state,
            draft: spec.draft,
            head_ref: self.text(TextKind::Branch, &head),
            base_sha: self.repo(repo).branches.get(&base).cloned().unwrap_or_default(),
            base_ref: base,
            commits: vec![commit],
            mergeable: spec.mergeable,
            unknown_reads: 0,
            threads,
            reviews,
            auto_merge: auto_merge.filter(|_| spec.state == PrState::Open),
            auto_merge_by: auto_merge_by.filter(|_| spec.state == PrState::Open),
            queue_entry: None,
            closes: spec.closes,
            labels: spec.labels,
            comments: Vec::new(),
            created_at,
            updated_at,
            merged_at: ended_at.filter(|_| spec.state == PrState::Merged),
            merged_by: None,
            merged_with: None,
            closed_at: ended_at,
        }
    }

    fn first_commit(&mut self, repo: &str, spec: &PrSpec) -> Commit {
        let committed_at = spec.commit_at.unwrap_or_else(|| self.tick());
        let subject = match spec.closes.first() {
            Some(child) => format!("Implement task {child}"),
            None => format!("Change for PR {}", spec.number),
        };
        Commit {
            sha: ids::sha(&format!("{repo}#{}@0", spec.number)),
            author: spec.author.clone().unwrap_or_else(|| HUMAN.to_owned()),
            message: self.text(TextKind::CommitMessage, &subject),
            committed_at,
        }
    }

    /// A thread with one comment at its own time or the review's.
    pub(crate) fn build_thread(
        &mut self,
        index: usize,
        spec: &ThreadSpec,
        review_at: Option<Timestamp>,
    ) -> ReviewThread {
        let created_at = spec.comment_at.or(review_at).unwrap_or_else(|| self.now());
        let comment = ReviewComment {
            id: self.next_id(),
            body: self.text(TextKind::Comment, "Please handle the error case here."),
            author: REVIEWER.to_owned(),
            created_at,
        };
        ReviewThread {
            id: self.next_id(),
            resolved: spec.resolved,
            path: "src/lib.rs".to_owned(),
            line: 10 + u32::try_from(index).unwrap_or(0),
            comments: vec![comment],
            outdated: false,
        }
    }

    /// The approving and change-requesting reviews `spec` asks for, on commit `sha`: one
    /// approval per reviewer `reviewer-1`, `reviewer-2`, …, then a change request by the
    /// reviewer.
    fn build_verdicts(&mut self, spec: &PrSpec, sha: &str) -> Vec<Review> {
        let mut verdicts: Vec<(String, ReviewState, &str)> = (1..=spec.approvals)
            .map(|i| (format!("reviewer-{i}"), ReviewState::Approved, "Looks good to me."))
            .collect();
        if spec.changes_requested {
            verdicts.push((REVIEWER.to_owned(), ReviewState::ChangesRequested, "Please change this first."));
        }
        verdicts
            .into_iter()
            .map(|(author, state, body)| {
                let submitted_at = self.tick();
                Review {
                    id: self.next_id(),
                    state,
                    body: self.text(TextKind::Comment, body),
                    author,
                    submitted_at,
                    commit_sha: sha.to_owned(),
                }
            })
            .collect()
    }

    /// The review that opened `threads`, submitted at `at` on commit `sha`.
    pub(crate) fn build_review(&mut self, threads: &[ReviewThread], at: Timestamp, sha: &str) -> Review {
        let state = if threads.iter().any(|t| !t.resolved) {
            ReviewState::ChangesRequested
        } else {
            ReviewState::Commented
        };
        Review {
            id: self.next_id(),
            state,
            body: self.text(TextKind::Comment, "A few changes before this can merge."),
            author: REVIEWER.to_owned(),
            submitted_at: at,
            commit_sha: sha.to_owned(),
        }
    }
}

fn pr_title(spec: &PrSpec) -> String {
    match spec.closes.first() {
        Some(child) => format!("Implement child task {child}"),
        None => format!("Change number {}", spec.number),
    }
}

fn pr_body(spec: &PrSpec) -> String {
    let closes: Vec<String> = spec.closes.iter().map(|c| format!("Closes #{c}.")).collect();
    format!("{}\n\nImplements the change described in the issue.", closes.join("\n"))
}

fn head_ref(spec: &PrSpec) -> String {
    spec.head.clone().unwrap_or_else(|| match spec.closes.first() {
        Some(child) => format!("fix/issue-{child}"),
        None => format!("change/pr-{}", spec.number),
    })
}

fn latest(
    created_at: Timestamp,
    commit: &Commit,
    threads: &[ReviewThread],
    review_at: Option<Timestamp>,
    auto_merge: Option<AutoMerge>,
    ended_at: Option<Timestamp>,
) -> Timestamp {
    let comments = threads.iter().flat_map(|t| t.comments.iter().map(|c| c.created_at));
    [created_at, commit.committed_at]
        .into_iter()
        .chain(comments)
        .chain(review_at)
        .chain(auto_merge.map(|a| a.enabled_at))
        .chain(ended_at)
        .max()
        .unwrap_or(created_at)
}

/// Rewrites every free-text field of `repo` to carry `marker`.
fn mark_repo(repo: &mut Repo, marker: &str) {
    let m = Some(marker);
    for issue in repo.issues.values_mut() {
        issue.title = mark(m, TextKind::Title, &issue.title);
        issue.body = mark(m, TextKind::Body, &issue.body);
        mark_comments(&mut issue.comments, marker);
    }
    let mut renamed = Vec::new();
    for pr in repo.pulls.values_mut() {
        pr.title = mark(m, TextKind::Title, &pr.title);
        pr.body = mark(m, TextKind::Body, &pr.body);
        let old = std::mem::take(&mut pr.head_ref);
        pr.head_ref = mark(m, TextKind::Branch, &old);
        renamed.push((old, pr.head_ref.clone()));
        mark_comments(&mut pr.comments, marker);
        for commit in &mut pr.commits {
            commit.message = mark(m, TextKind::CommitMessage, &commit.message);
        }
        for comment in pr.threads.iter_mut().flat_map(|t| t.comments.iter_mut()) {
            comment.body = mark(m, TextKind::Comment, &comment.body);
        }
        for review in &mut pr.reviews {
            review.body = mark(m, TextKind::Comment, &review.body);
        }
    }
    for (old, new) in renamed {
        if let Some(sha) = repo.branches.remove(&old) {
            repo.branches.insert(new, sha);
        }
    }
}

fn mark_comments(comments: &mut [Comment], marker: &str) {
    for comment in comments {
        comment.body = mark(Some(marker), TextKind::Comment, &comment.body);
    }
}
