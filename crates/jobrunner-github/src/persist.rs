//! What the source keeps across restarts: one JSON snapshot per repository in the
//! [`SourceCache`](jobrunner_core::SourceCache), so the first cycle after a restart is answered
//! by 304s instead of a full read.
//!
//! The snapshot is structural, like the in-memory state, with one difference: branch names are
//! forge text, so they are not written. The open-PR list pages (whose items carry base branch
//! names) are read again after a restart, one request per page; what each PR looked like in the
//! list is kept as a [`Listing`] with the base branch as a hash, and branch ETags are kept under
//! that hash, so a base branch that moved while the node was down is still noticed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::epics::EpicChecklist;
use crate::state::{ClosedListItem, Page, PrDetail, PullListItem, RepoState};

/// Bumped whenever the snapshot's shape changes; an older snapshot is ignored (one full read).
const VERSION: u32 = 3;

/// What tells that a PR in the open list changed: compared between cycles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Listing {
    node_id: String,
    draft: bool,
    updated_at: DateTime<Utc>,
    head_sha: String,
    /// [`base_key`] of the base branch's name.
    base: u64,
}

impl Listing {
    pub(crate) fn of(item: &PullListItem) -> Self {
        Self {
            node_id: item.node_id.clone(),
            draft: item.draft,
            updated_at: item.updated_at,
            head_sha: item.head.sha.clone(),
            base: base_key(&item.base.name),
        }
    }
}

/// A stable 64-bit FNV-1a hash of a branch name: the same in every process and release.
pub(crate) fn base_key(name: &str) -> u64 {
    name.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// One repository's state as saved.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Snapshot {
    version: u32,
    listed: BTreeMap<u64, Listing>,
    closed_pages: Vec<Page<ClosedListItem>>,
    epic_pages: Vec<Page<EpicChecklist>>,
    /// Branch ETags by [`base_key`].
    branch_etags: BTreeMap<u64, String>,
    settle_etags: BTreeMap<String, String>,
    details: BTreeMap<u64, PrDetail>,
    finished: BTreeSet<u64>,
    forced: BTreeSet<u64>,
    status_heads: BTreeSet<String>,
    closed_seen: bool,
    /// Epic children of this repository: open or not, when last read.
    child_open: BTreeMap<u64, bool>,
}

impl Snapshot {
    pub(crate) fn of(state: &RepoState) -> Self {
        Self {
            version: VERSION,
            listed: state.open_prs().into_iter().map(|(n, item)| (n, Listing::of(item))).collect(),
            closed_pages: state.closed_pages.clone(),
            epic_pages: state.epic_pages.clone(),
            branch_etags: state
                .branch_etags
                .iter()
                .map(|(name, etag)| (base_key(name), etag.clone()))
                .collect(),
            settle_etags: state.settle_etags.clone(),
            details: state.details.clone(),
            finished: state.finished.clone(),
            forced: state.forced.clone(),
            status_heads: state.status_heads.clone(),
            closed_seen: state.closed_seen,
            child_open: state.child_open.clone(),
        }
    }

    /// The snapshot in `json`, unless it is of another version or shape.
    pub(crate) fn parse(json: &str) -> Option<Self> {
        serde_json::from_str::<Self>(json).ok().filter(|s| s.version == VERSION)
    }

    /// Restores a repository's state; the open-PR pages stay empty, to be read again.
    pub(crate) fn restore(self, state: &mut RepoState) {
        state.restored_listings = Some(self.listed);
        state.restored_branches = self.branch_etags;
        state.closed_pages = self.closed_pages;
        state.epic_pages = self.epic_pages;
        state.settle_etags = self.settle_etags;
        state.details = self.details;
        state.finished = self.finished;
        // PRs asked for before the load (a crash's unsettled actions) stay asked for.
        state.forced.extend(self.forced);
        state.status_heads = self.status_heads;
        state.closed_seen = self.closed_seen;
        state.child_open = self.child_open;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_keys_are_stable_across_releases() {
        // Saved snapshots hold these values: changing the function would forget every ETag.
        assert_eq!(base_key(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(base_key("main"), base_key("main"));
        assert_ne!(base_key("main"), base_key("master"));
    }
}
