//! What the open-PR list says about each PR, and the [`Listing`] kept of it to tell, between
//! cycles and across restarts, which PRs changed.
//!
//! A module of its own because the in-memory state holds listings, the snapshot saves them and
//! the source compares them: kept in the state or the snapshot, those two would import each other.

use chrono::{DateTime, Utc};
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
