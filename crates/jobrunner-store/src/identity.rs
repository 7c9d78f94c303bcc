//! The node's identity: which node a store belongs to, and since when.

use chrono::{DateTime, Utc};
use jobrunner_core::NodeId;

/// A node as the store recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRecord {
    /// The node's id.
    pub id: NodeId,
    /// When the node first opened this store.
    pub created_at: DateTime<Utc>,
}

/// Records `$1` as the store's node unless one is recorded already. One statement, so two
/// processes creating the same fresh store cannot both become its node. SQLite only: a fleet's
/// database records every node.
pub(crate) const REGISTER_FIRST_NODE: &str =
    "INSERT INTO nodes (node, created_at) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM nodes)";

/// Records node `$1` (first seen at `$2`) unless it is recorded already: a fleet's database
/// records every node that ever connected. PostgreSQL only.
pub(crate) const REGISTER_NODE: &str =
    "INSERT INTO nodes (node, created_at) VALUES ($1, $2) ON CONFLICT (node) DO NOTHING";

/// Every recorded node, oldest first.
pub(crate) const NODES: &str = "SELECT node, created_at FROM nodes ORDER BY created_at, node";

/// The record of node `$1`.
pub(crate) const NODE: &str = "SELECT node, created_at FROM nodes WHERE node = $1";
