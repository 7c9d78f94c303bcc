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

use serde::{Deserialize, Serialize};

use crate::epics::EpicChecklist;
use crate::listing::{Listing, base_key};
use crate::state::{ClosedListItem, Page, PrDetail, RepoState};

/// Bumped whenever the snapshot's shape changes; an older snapshot is ignored (one full read).
const VERSION: u32 = 3;

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
