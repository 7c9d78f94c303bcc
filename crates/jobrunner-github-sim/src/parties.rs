//! The other parties taking their turn at once: what `core-ide demo` plays between cycles.
//!
//! The coding agent answers a comment posted after a PR's head commit with a fix commit; CI
//! finishes the checks of every head still pending (green); GitHub's auto-merge merges every PR
//! that asked for it and is ready (or queues it on a merge-queue branch), and the merge queues
//! merge what passed. Each move is returned so a narrator can tell it.

use crate::checks::CheckState;
use crate::state::SimState;

/// One move of another party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartyMove {
    /// The agent pushed a fix commit answering a command.
    AgentPushed {
        /// `owner/name`.
        repo: String,
        /// The PR.
        pr: u64,
    },
    /// CI finished the head commit's checks green.
    ChecksPassed {
        /// `owner/name`.
        repo: String,
        /// The PR.
        pr: u64,
    },
    /// The reviewer who requested changes approved: the fix is in and every thread resolved.
    ReviewerApproved {
        /// `owner/name`.
        repo: String,
        /// The PR.
        pr: u64,
    },
    /// GitHub merged the PR: its auto-merge, or the merge queue.
    AutoMerged {
        /// `owner/name`.
        repo: String,
        /// The PR.
        pr: u64,
    },
}

impl SimState {
    /// Every other party takes one turn; returns what they did, agent first, then CI, then
    /// auto-merge (so a fix pushed this turn is not merged before its checks run).
    pub fn parties_act(&mut self) -> Vec<PartyMove> {
        let mut moves = Vec::new();
        let open: Vec<(String, u64)> = self
            .repos()
            .iter()
            .flat_map(|r| r.open_pr_numbers().into_iter().map(move |n| (r.full_name(), n)))
            .collect();
        for (repo, pr) in &open {
            let target = self.pr(repo, *pr);
            let head_at = target.head().committed_at;
            if target.comments.iter().any(|c| c.created_at > head_at) {
                self.agent_pushes_fix(repo, *pr);
                moves.push(PartyMove::AgentPushed { repo: repo.clone(), pr: *pr });
            }
        }
        for (repo, pr) in &open {
            let sha = self.pr(repo, *pr).head_sha().to_owned();
            let pending =
                matches!(self.repo(repo).check(&sha), Some(CheckState::Pending | CheckState::Expected));
            let pushed_now = moves.contains(&PartyMove::AgentPushed { repo: repo.clone(), pr: *pr });
            if pending && !pushed_now {
                self.checks_finish(repo, *pr, CheckState::Success);
                moves.push(PartyMove::ChecksPassed { repo: repo.clone(), pr: *pr });
            }
        }
        for (repo, pr) in &open {
            if self.reviewer_is_satisfied(repo, *pr) {
                self.review_approves(repo, *pr, crate::state::REVIEWER);
                moves.push(PartyMove::ReviewerApproved { repo: repo.clone(), pr: *pr });
            }
        }
        for (repo, pr) in &open {
            // GitHub's auto-merge reacts to the checks of a new head; the simulator gives it the
            // next turn, so a fix pushed now is never merged before its checks ran.
            let pushed_now = moves.contains(&PartyMove::AgentPushed { repo: repo.clone(), pr: *pr });
            if !pushed_now && self.pr(repo, *pr).is_open() && self.auto_merge_merges(repo, *pr) {
                moves.push(PartyMove::AutoMerged { repo: repo.clone(), pr: *pr });
            }
        }
        // GitHub's merge queues; a PR the queue merged is reported as merged by GitHub.
        let repos: Vec<String> = self.repos().iter().map(crate::model::Repo::full_name).collect();
        for repo in repos {
            for pr in self.merge_queue_runs(&repo).merged {
                moves.push(PartyMove::AutoMerged { repo: repo.clone(), pr });
            }
        }
        moves
    }

    /// A change request stays in force until its reviewer approves (or it is dismissed): the
    /// simulated reviewer approves once a commit followed the request and no thread is open.
    fn reviewer_is_satisfied(&self, repo: &str, pr: u64) -> bool {
        let target = self.pr(repo, pr);
        let latest = target.reviews.iter().rev().find(|r| r.author == crate::state::REVIEWER);
        latest.is_some_and(|review| {
            review.state == crate::model::ReviewState::ChangesRequested
                && target.head().committed_at > review.submitted_at
                && target.unresolved_threads() == 0
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::PrSpec;

    #[test]
    fn the_agent_answers_only_comments_newer_than_the_head() {
        let mut state = SimState::empty().with_repo("octo", "app").with_pr("octo/app", PrSpec::new(5));
        assert!(state.parties_act().iter().all(|m| !matches!(m, PartyMove::AgentPushed { .. })));
        let later = state.tick();
        state.pr_mut("octo/app", 5).comments.push(crate::model::Comment {
            id: 1,
            body: "fix merge conflict".into(),
            author: "core-ide-bot".into(),
            created_at: later,
        });
        let moves = state.parties_act();
        assert_eq!(moves[0], PartyMove::AgentPushed { repo: "octo/app".into(), pr: 5 });
        assert!(
            !moves.contains(&PartyMove::ChecksPassed { repo: "octo/app".into(), pr: 5 }),
            "CI runs next turn"
        );
        let next = state.parties_act();
        assert_eq!(next, [PartyMove::ChecksPassed { repo: "octo/app".into(), pr: 5 }]);
    }
}
