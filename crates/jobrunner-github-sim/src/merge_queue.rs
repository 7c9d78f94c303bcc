//! A base branch's merge queue at work. GitHub's queue builds a merge group per entry, runs the
//! required checks on it and merges the entries whose checks pass, in order; an entry whose
//! checks fail is removed ("dequeued") from the queue. The entries are the PRs' own data
//! ([`QueueEntry`](crate::model::QueueEntry)), so the model does not import the queue's behaviour.

use crate::checks::CheckState;
use crate::clock::Timestamp;
use crate::model::{QueueState, Repo};

/// The 1-based position of PR `number` in the queue of `base`: entries that jumped first,
/// then by time queued.
pub(crate) fn position(repo: &Repo, base: &str, number: u64) -> usize {
    let mut queued: Vec<(bool, Timestamp, u64)> = repo
        .pulls
        .values()
        .filter(|pr| pr.base_ref == base)
        .filter_map(|pr| pr.queue_entry.as_ref().map(|e| (!e.jump, e.enqueued_at, pr.number)))
        .collect();
    queued.sort_unstable();
    queued.iter().position(|&(_, _, n)| n == number).map_or(0, |i| i + 1)
}

/// What one run of a repository's merge queues did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueRun {
    /// PRs merged, in merge order.
    pub merged: Vec<u64>,
    /// PRs removed from the queue because a required check failed or they conflict.
    pub dropped: Vec<u64>,
}

impl crate::state::SimState {
    /// GitHub's merge queue takes a turn on every queue of `repo`: entries in queue order
    /// whose required checks (of the base branch's protection) pass merge; an entry with a
    /// required check failing, or conflicting, is removed; the first entry still waiting on a
    /// check holds the ones behind it (`AWAITING_CHECKS`), since a queue merges in order.
    /// The merge group's checks are modelled by the PR head's checks.
    pub fn merge_queue_runs(&mut self, repo: &str) -> QueueRun {
        let mut run = QueueRun::default();
        let bases: Vec<String> = self
            .repo(repo)
            .protections
            .iter()
            .filter(|(_, p)| p.merge_queue)
            .map(|(b, _)| b.clone())
            .collect();
        for base in bases {
            for number in self.queue_order(repo, &base) {
                match self.queue_verdict(repo, number) {
                    Verdict::Merge => {
                        self.merge(repo, number);
                        run.merged.push(number);
                    }
                    Verdict::Drop => {
                        self.queue_drops(repo, number);
                        run.dropped.push(number);
                    }
                    Verdict::Wait => {
                        if let Some(entry) = self.pr_mut(repo, number).queue_entry.as_mut() {
                            entry.state = QueueState::AwaitingChecks;
                        }
                        break;
                    }
                }
            }
        }
        run
    }

    /// A person adds PR `pr` to its base branch's merge queue (the "Merge when ready" button),
    /// at the end of the queue.
    pub fn queue_adds(&mut self, repo: &str, pr: u64) {
        self.join_queue(repo, pr, crate::state::HUMAN_LOGIN, false);
    }

    /// GitHub removes PR `pr` from its merge queue (its merge group failed CI, or a person
    /// removed it); auto-merge is not re-armed.
    pub fn queue_drops(&mut self, repo: &str, pr: u64) {
        let at = self.tick();
        let target = self.pr_mut(repo, pr);
        if target.queue_entry.take().is_some() {
            target.updated_at = at;
        }
    }

    /// Numbers of the PRs queued on `base`, in queue order.
    fn queue_order(&self, repo: &str, base: &str) -> Vec<u64> {
        let target = self.repo(repo);
        let mut queued: Vec<(usize, u64)> = target
            .pulls
            .values()
            .filter(|pr| pr.base_ref == base && pr.queue_entry.is_some())
            .map(|pr| (position(target, base, pr.number), pr.number))
            .collect();
        queued.sort_unstable();
        queued.into_iter().map(|(_, n)| n).collect()
    }

    fn queue_verdict(&self, repo: &str, number: u64) -> Verdict {
        let target = self.repo(repo);
        let pr = &target.pulls[&number];
        if pr.mergeable == Some(false) {
            return Verdict::Drop;
        }
        let required = target.protection(&pr.base_ref).map(|p| p.required_checks.clone()).unwrap_or_default();
        let checks = target.checks_of(pr.head_sha()).unwrap_or_default();
        let states: Vec<Option<CheckState>> =
            required.iter().map(|name| checks.iter().find(|c| &c.name == name).map(|c| c.state)).collect();
        if states.iter().any(|s| matches!(s, Some(CheckState::Failure | CheckState::Error))) {
            Verdict::Drop
        } else if states.iter().all(|s| *s == Some(CheckState::Success)) {
            Verdict::Merge
        } else {
            Verdict::Wait
        }
    }
}

/// What the queue does with its next entry.
enum Verdict {
    Merge,
    Drop,
    Wait,
}
