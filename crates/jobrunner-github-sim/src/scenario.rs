//! Scenario steps: the other parties of the pipeline (the coding agent, CI, reviewers, other
//! merges, GitHub's auto-merge), acting on the state the way GitHub shows their effects.
//!
//! What bumps a PR's `updated_at` follows GitHub: a push, a review and a merge do; check
//! results and mergeability changes do not (checks hang off the commit, mergeability is
//! computed in the background).

use jobrunner_core::RepoSlug;
use jobrunner_core::checklist::{self, TickOutcome};

use crate::checks::{self, CheckState, NamedCheck};
use crate::clock::Timestamp;
use crate::ids;
use crate::marker::TextKind;
use crate::merge_state::merge_status;
use crate::model::{Commit, PrState, Review, ReviewState};
use crate::spec::ThreadSpec;
use crate::state::{AGENT_LOGIN, REVIEWER, SimState};

/// Login of a contributor without write access to the repository.
const OUTSIDER_LOGIN: &str = "outside-contributor";

impl SimState {
    /// The agent pushes a fix commit to PR `pr`: a new head SHA and commit message, committed
    /// now by [`AGENT_LOGIN`], the same checks as the old head running again (PENDING; none
    /// when the repository has no CI), mergeability UNKNOWN for the next
    /// `unknown_reads_after_change` reads and then MERGEABLE (the fix merges the base branch,
    /// resolving conflicts and bringing the head up to date), and the PR's `updated_at`
    /// bumped; the unresolved threads become outdated (the fix changed their lines). Returns
    /// the new head SHA.
    pub fn agent_pushes_fix(&mut self, repo: &str, pr: u64) -> String {
        let message = self.text(TextKind::CommitMessage, "Address the review and merge the base branch");
        let sha = self.push_commit(repo, pr, AGENT_LOGIN, message);
        // The fix changes the lines the open threads comment on: GitHub marks them outdated.
        for thread in self.pr_mut(repo, pr).threads.iter_mut().filter(|t| !t.resolved) {
            thread.outdated = true;
        }
        sha
    }

    /// Someone without write access to the repository (a fork's contributor) pushes a commit
    /// to PR `pr`: like [`SimState::agent_pushes_fix`], and GitHub disables auto-merge ("if
    /// someone who does not have write permissions to the repository pushes new changes to
    /// the head branch … auto-merge will be disabled", GitHub's docs). Returns the new head.
    pub fn outsider_pushes(&mut self, repo: &str, pr: u64) -> String {
        let message = self.text(TextKind::CommitMessage, "Tweak the change");
        let sha = self.push_commit(repo, pr, OUTSIDER_LOGIN, message);
        let target = self.pr_mut(repo, pr);
        target.auto_merge = None;
        target.auto_merge_by = None;
        sha
    }

    /// A new head commit on PR `pr` that contains the base branch's head, with the old
    /// head's checks re-running; returns its SHA.
    pub(crate) fn push_commit(&mut self, repo: &str, pr: u64, author: &str, message: String) -> String {
        let at = self.tick();
        let unknown = self.limits().unknown_reads_after_change;
        let base_ref = self.pr(repo, pr).base_ref.clone();
        let base_sha = self.repo(repo).branches.get(&base_ref).cloned().unwrap_or_default();
        let old_head = self.pr(repo, pr).head_sha().to_owned();
        let rerun = checks::rerun(self.repo(repo).checks_of(&old_head).unwrap_or_default());
        let target = self.pr_mut(repo, pr);
        let sha = ids::sha(&format!("{repo}#{pr}@{}", target.commits.len()));
        target.commits.push(Commit {
            sha: sha.clone(),
            author: author.to_owned(),
            message,
            committed_at: at,
        });
        target.updated_at = at;
        target.mergeable = Some(true);
        target.unknown_reads = unknown;
        target.base_sha = base_sha;
        // A push removes the PR from the merge queue: the queued head is gone.
        target.queue_entry = None;
        let head_ref = target.head_ref.clone();
        let repo = self.repo_mut(repo);
        repo.pushed_at = Some(at);
        repo.checks.insert(sha.clone(), rerun);
        repo.branches.insert(head_ref, sha.clone());
        sha
    }

    /// CI finishes on the head commit of PR `pr`: every check on it concludes `conclusion`
    /// (a head without checks gets the one check `ci`, unless the repository has no CI at
    /// all). The PR's `updated_at` does not move.
    pub fn checks_finish(&mut self, repo: &str, pr: u64, conclusion: CheckState) {
        self.tick();
        if !self.repo(repo).has_ci {
            return;
        }
        let sha = self.pr(repo, pr).head_sha().to_owned();
        let checks = self.repo_mut(repo).checks.entry(sha).or_default();
        if checks.is_empty() {
            checks.push(NamedCheck::legacy(conclusion));
        }
        for check in checks {
            check.state = conclusion;
        }
    }

    /// One named check on the head of PR `pr` concludes (or reports) `state`; a name the head
    /// has not seen yet is added as a check run. The PR's `updated_at` does not move.
    pub fn check_run_finishes(&mut self, repo: &str, pr: u64, name: &str, state: CheckState) {
        self.tick();
        let sha = self.pr(repo, pr).head_sha().to_owned();
        let checks = self.repo_mut(repo).checks.entry(sha).or_default();
        match checks.iter_mut().find(|c| c.name == name) {
            Some(check) => check.state = state,
            None => checks.push(NamedCheck::check_run(name, state)),
        }
    }

    /// A reviewer (`reviewer`) approves PR `pr` on its head commit; bumps `updated_at`.
    pub fn review_approves(&mut self, repo: &str, pr: u64, reviewer: &str) {
        self.add_verdict(repo, pr, reviewer, ReviewState::Approved, "Looks good to me.");
    }

    /// The reviewer requests changes on PR `pr`'s head commit without opening threads; bumps
    /// `updated_at`.
    pub fn review_requests_changes(&mut self, repo: &str, pr: u64) {
        self.add_verdict(repo, pr, REVIEWER, ReviewState::ChangesRequested, "Please change this first.");
    }

    /// The lines every thread of PR `pr` comments on changed: GitHub marks them outdated.
    pub fn threads_become_outdated(&mut self, repo: &str, pr: u64) {
        self.tick();
        for thread in &mut self.pr_mut(repo, pr).threads {
            thread.outdated = true;
        }
    }

    fn add_verdict(&mut self, repo: &str, pr: u64, reviewer: &str, state: ReviewState, body: &str) {
        let at = self.tick();
        let review = Review {
            id: self.next_id(),
            state,
            body: self.text(TextKind::Comment, body),
            author: reviewer.to_owned(),
            submitted_at: at,
            commit_sha: self.pr(repo, pr).head_sha().to_owned(),
        };
        let target = self.pr_mut(repo, pr);
        target.reviews.push(review);
        target.updated_at = at;
    }

    /// A reviewer submits a review now that opens `n` unresolved threads with one comment
    /// each; bumps `updated_at`.
    pub fn review_adds_threads(&mut self, repo: &str, pr: u64, n: usize) {
        let at = self.tick();
        let offset = self.pr(repo, pr).threads.len();
        let spec = ThreadSpec { resolved: false, comment_at: Some(at) };
        let threads: Vec<_> = (0..n).map(|i| self.build_thread(offset + i, &spec, Some(at))).collect();
        let head = self.pr(repo, pr).head_sha().to_owned();
        let review = self.build_review(&threads, at, &head);
        let target = self.pr_mut(repo, pr);
        target.threads.extend(threads);
        target.reviews.push(review);
        target.updated_at = at;
    }

    /// The default branch moves (someone else merged): every open PR based on it reads as
    /// UNKNOWN for the next `unknown_reads_after_change` reads, then the PRs listed in
    /// `conflicting` compute CONFLICTING and the others MERGEABLE. No `updated_at` moves.
    pub fn base_moves(&mut self, repo: &str, conflicting: &[u64]) {
        let at = self.tick();
        let branch = self.repo(repo).default_branch.clone();
        self.move_branch(repo, &branch, at);
        let unknown = self.limits().unknown_reads_after_change;
        let target = self.repo_mut(repo);
        let base = target.default_branch.clone();
        for pr in target.pulls.values_mut().filter(|pr| pr.is_open() && pr.base_ref == base) {
            pr.mergeable = Some(!conflicting.contains(&pr.number));
            pr.unknown_reads = unknown;
        }
    }

    /// GitHub's auto-merge acts on PR `pr`: when it is open, auto-merge is on and its merge
    /// state under its base branch's protection is one GitHub merges in (`CLEAN`, `HAS_HOOKS`, or
    /// `UNSTABLE`: required reviews and checks are met, only checks that are not required fail
    /// or run; mergeability as GitHub has computed it, whatever clients have read), it merges
    /// now (`merged_at`, `closed_at` and `updated_at` set), its base branch moves (other open
    /// PRs on that base read UNKNOWN for a while), and its linked issues close as completed
    /// when it merged into the default branch and [`SimState::with_closes_linked_on_merge`]
    /// is on. On a merge-queue branch it is queued instead (see `merge_queue_runs`). Returns
    /// whether it merged.
    pub fn auto_merge_merges(&mut self, repo: &str, pr: u64) -> bool {
        let target = self.pr(repo, pr);
        let status = merge_status(self.repo(repo), target, target.mergeable);
        let ready = target.is_open() && target.auto_merge.is_some() && status.is_immediately_mergeable();
        if !ready {
            return false;
        }
        let queue = self.repo(repo).protection(&target.base_ref).is_some_and(|p| p.merge_queue);
        if queue {
            // "Merge when ready" on a merge-queue branch: GitHub adds the PR to the queue once
            // its requirements are met; the queue merges it.
            if target.queue_entry.is_none() {
                let by = target.auto_merge_by.clone().unwrap_or_else(|| self.viewer().to_owned());
                self.join_queue(repo, pr, &by, false);
            }
            return false;
        }
        self.merge(repo, pr);
        true
    }

    /// A human ticks `child`'s box in epic `epic` (the runner's `tick_parent`, done by hand).
    pub fn human_ticks(&mut self, repo: &str, epic: u64, child: u64) {
        let slug = RepoSlug::parse(repo).unwrap_or_else(|e| panic!("{repo} is not a valid repository: {e}"));
        let at = self.tick();
        let issue = self.issue_mut(repo, epic);
        if let TickOutcome::Ticked(body) =
            checklist::ChecklistGrammar::default().tick(&issue.body, &slug, child)
        {
            issue.body = body;
            issue.updated_at = at;
        }
    }

    /// Builder form of [`SimState::human_ticks`].
    #[must_use]
    pub fn with_ticked(mut self, repo: &str, epic: u64, child: u64) -> Self {
        self.human_ticks(repo, epic, child);
        self
    }

    pub(crate) fn merge(&mut self, repo: &str, pr: u64) {
        let at = self.tick();
        let target = self.pr_mut(repo, pr);
        target.state = PrState::Merged;
        target.merged_at = Some(at);
        target.closed_at = Some(at);
        target.updated_at = at;
        target.auto_merge = None;
        target.auto_merge_by = None;
        target.queue_entry = None;
        let (base, closes) = (target.base_ref.clone(), target.closes.clone());
        // The merge commit moves the base branch, whichever it is.
        self.move_branch(repo, &base, at);
        self.recompute_mergeability(repo, &base);
        if self.closes_on_merge_into(repo, &base) {
            self.close_issues(repo, &closes, at);
        }
    }

    /// Branch `branch` gets a new head commit (with green checks where there is CI).
    fn move_branch(&mut self, repo: &str, branch: &str, at: Timestamp) {
        let target = self.repo_mut(repo);
        let sha = ids::sha(&format!("{repo}@{branch}#{at}"));
        let checks = if target.has_ci { vec![NamedCheck::legacy(CheckState::Success)] } else { Vec::new() };
        target.checks.insert(sha.clone(), checks);
        target.pushed_at = Some(at);
        target.branches.insert(branch.to_owned(), sha);
    }

    /// Open PRs on `base` go back to UNKNOWN for a while, keeping what they will compute.
    fn recompute_mergeability(&mut self, repo: &str, base: &str) {
        let unknown = self.limits().unknown_reads_after_change;
        for pr in self.repo_mut(repo).pulls.values_mut().filter(|pr| pr.is_open() && pr.base_ref == base) {
            pr.unknown_reads = unknown;
        }
    }
}
