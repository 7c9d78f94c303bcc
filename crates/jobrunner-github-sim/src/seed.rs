//! Seeded states: the realistic [`Default`] and the benchmark [`SimState::workload`].

use crate::checks::CheckState;
use crate::model::{MergeMethod, PrState};
use crate::spec::PrSpec;
use crate::state::SimState;

/// The default repository.
pub const DEFAULT_REPO: &str = "octo/app";

impl Default for SimState {
    /// One repository, `octo/app` (default branch `main`), with epic #1 (label `epic`) listing
    /// children #2..#6 as `- [ ] #N` lines, and one PR per child, each at a different stage:
    ///
    /// | PR  | closes | stage |
    /// |-----|--------|-------|
    /// | #10 | #2 | draft, checks SUCCESS, mergeable |
    /// | #11 | #3 | open, ready, checks SUCCESS, CONFLICTING |
    /// | #12 | #4 | open, ready, checks SUCCESS, MERGEABLE, 2 unresolved review threads from a review after the head commit (no newer commit) |
    /// | #13 | #5 | open, ready, checks SUCCESS, MERGEABLE, no threads, auto-merge off |
    /// | #14 | #6 | merged into `main`; child #6 closed as completed by the merge, its box in the epic still unticked |
    ///
    /// Every PR is based on `main`, has one commit, and its head branch is `fix/issue-N`.
    fn default() -> Self {
        SimState::empty()
            .with_repo("octo", "app")
            .with_epic(DEFAULT_REPO, 1, &[2, 3, 4, 5, 6])
            .with_pr(DEFAULT_REPO, PrSpec::new(10).closes(&[2]).draft(true))
            .with_pr(DEFAULT_REPO, PrSpec::new(11).closes(&[3]).mergeable(Some(false)))
            .with_pr(DEFAULT_REPO, PrSpec::new(12).closes(&[4]).threads(2))
            .with_pr(DEFAULT_REPO, PrSpec::new(13).closes(&[5]))
            .with_pr(DEFAULT_REPO, PrSpec::new(14).closes(&[6]).state(PrState::Merged))
    }
}

/// The stages [`SimState::workload`] spreads PRs over, in order.
const STAGES: usize = 9;

impl SimState {
    /// `repos` repositories `org/repo-000`, `org/repo-001`, … each with epic #1 listing one
    /// child per PR (children #2..=#(prs+1)) and `prs_per_repo` PRs numbered from
    /// `prs_per_repo + 2`, PR *i* closing child *i + 2*. PRs cycle through nine stages: draft
    /// with checks PENDING; draft with checks SUCCESS; CONFLICTING; 2 unresolved threads and no
    /// newer commit; 2 unresolved threads and a commit after the review; green and MERGEABLE;
    /// auto-merge on with checks PENDING; merged with the child's box unticked; merged with
    /// the box ticked. Deterministic, and fast enough for 1000 x 30.
    #[must_use]
    pub fn workload(repos: usize, prs_per_repo: usize) -> SimState {
        let mut state = SimState::empty();
        for r in 0..repos {
            let repo = format!("org/repo-{r:03}");
            // Children of the last stage are merged and already ticked; writing the box here
            // spares a Markdown parse per PR.
            let items: Vec<(u64, bool)> =
                (0..prs_per_repo).map(|i| (child_number(i), i % STAGES == 8)).collect();
            state.insert_epic(&repo, 1, &items);
            for i in 0..prs_per_repo {
                state = workload_pr(state, &repo, i, prs_per_repo);
            }
        }
        state
    }
}

fn child_number(i: usize) -> u64 {
    u64::try_from(i).expect("PR counts fit in u64") + 2
}

fn workload_pr(mut state: SimState, repo: &str, i: usize, prs: usize) -> SimState {
    let child = child_number(i);
    let spec = PrSpec::new(child + u64::try_from(prs).expect("PR counts fit in u64")).closes(&[child]);
    let spec = match i % STAGES {
        0 => spec.draft(true).checks(CheckState::Pending),
        1 => spec.draft(true),
        2 => spec.mergeable(Some(false)),
        3 => spec.threads(2),
        4 => {
            let review = state.tick();
            spec.threads(2).review_at(review).commit_at(state.tick())
        }
        5 => spec,
        6 => spec.auto_merge(MergeMethod::Squash).checks(CheckState::Pending),
        _ => spec.state(PrState::Merged),
    };
    state.with_pr(repo, spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IssueState;

    #[test]
    fn default_state_matches_its_documentation() {
        let state = SimState::default();
        let repo = state.repo(DEFAULT_REPO);
        assert_eq!(
            (repo.default_branch.as_str(), repo.issues[&1].labels.as_slice()),
            ("main", ["epic".to_owned()].as_slice())
        );
        for child in 2..=6 {
            assert_eq!(state.is_ticked(DEFAULT_REPO, 1, child), Some(false));
        }
        let pr = |n| state.pr(DEFAULT_REPO, n);
        assert!(pr(10).draft && pr(10).mergeable == Some(true));
        assert_eq!(repo.check(pr(10).head_sha()), Some(CheckState::Success));
        assert_eq!(pr(11).mergeable, Some(false));
        assert_eq!(pr(12).unresolved_threads(), 2);
        assert!(pr(12).last_review_at() > Some(pr(12).head().committed_at), "no commit after the review");
        assert!(!pr(13).draft && pr(13).threads.is_empty() && pr(13).auto_merge.is_none());
        assert_eq!(pr(14).state, PrState::Merged);
        assert_eq!(state.issue(DEFAULT_REPO, 6).state, IssueState::Closed, "the merge closed child #6");
        let closes: Vec<u64> = (10..=14).flat_map(|n| pr(n).closes.clone()).collect();
        assert_eq!(closes, [2, 3, 4, 5, 6]);
    }

    #[test]
    fn workload_of_1000_by_30_builds_30000_prs() {
        let state = SimState::workload(1000, 30);
        assert_eq!(state.repos().iter().map(|r| r.pulls.len()).sum::<usize>(), 30_000);
        assert_eq!(state.repos()[999].full_name(), "org/repo-999");
    }
}
