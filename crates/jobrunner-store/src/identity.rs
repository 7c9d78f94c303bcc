//! The node's identity: which node a store belongs to, and since when; and the schema version
//! its database is at.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobrunner_core::NodeId;

use crate::StoreError;
use crate::columns::{parse_node, parse_timestamp};
use crate::statement::{Backend, Statement};

/// Which node a store serves, and which schema its database is at.
#[async_trait]
pub trait Identity: Send + Sync {
    /// The node this store serves, as recorded when it was first opened.
    async fn node(&self) -> Result<NodeRecord, StoreError>;

    /// The schema version the database is migrated to.
    async fn schema_version(&self) -> Result<i64, StoreError>;
}

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

/// The highest migration applied, in the table sqlx keeps in both databases.
const SCHEMA_VERSION: &str = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";

#[async_trait]
impl<B: Backend> Identity for B {
    async fn node(&self) -> Result<NodeRecord, StoreError> {
        let statement = Statement::new(NODE).bind(self.node_id().as_str());
        let (node, created_at): (String, String) = self.fetch_one("read the node", statement).await?;
        Ok(NodeRecord {
            id: parse_node(&node)?,
            created_at: parse_timestamp("node creation time", &created_at)?,
        })
    }

    async fn schema_version(&self) -> Result<i64, StoreError> {
        let (version,): (Option<i64>,) =
            self.fetch_one("read the schema version", Statement::new(SCHEMA_VERSION)).await?;
        Ok(version.unwrap_or(0))
    }
}
