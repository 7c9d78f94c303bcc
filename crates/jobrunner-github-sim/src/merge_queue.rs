//! A base branch's merge queue: the entries of the PRs queued on it. GitHub's queue builds a
//! merge group per entry, runs the required checks on it and merges the entries whose checks
//! pass, in order; an entry whose checks fail is removed ("dequeued") from the queue.

use crate::model::Timestamp;

/// Where a queued PR stands, as GitHub's `MergeQueueEntryState` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueState {
    /// Waiting for the merge group's checks.
    AwaitingChecks,
    /// Locked while the queue merges it.
    Locked,
    /// Its checks passed; it merges next.
    Mergeable,
    /// Queued, not yet in a merge group.
    Queued,
    /// Its checks failed; it will be removed.
    Unmergeable,
}

/// A PR's entry in its base branch's merge queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    /// When it was queued.
    pub enqueued_at: Timestamp,
    /// Who queued it.
    pub enqueued_by: String,
    /// Queued at the front (`jump: true`).
    pub jump: bool,
    /// Where it stands.
    pub state: QueueState,
    /// The head it was queued with.
    pub head_sha: String,
}

/// The 1-based position of PR `number` in the queue of `base`: entries that jumped first,
/// then by time queued.
pub(crate) fn position(repo: &crate::model::Repo, base: &str, number: u64) -> usize {
    let mut queued: Vec<(bool, Timestamp, u64)> = repo
        .pulls
        .values()
        .filter(|pr| pr.base_ref == base)
        .filter_map(|pr| pr.queue_entry.as_ref().map(|e| (!e.jump, e.enqueued_at, pr.number)))
        .collect();
    queued.sort_unstable();
    queued.iter().position(|&(_, _, n)| n == number).map_or(0, |i| i + 1)
}
