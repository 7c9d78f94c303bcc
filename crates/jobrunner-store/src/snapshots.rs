//! The snapshot cache: what a source made of its latest answers, kept across restarts.
//!
//! GitHub does not charge a primary point for a `304 Not Modified`, so an idle cycle costs
//! nothing only if the source still knows, after a restart, the ETag of every page it reads
//! and what it derived from that page (a 304 carries no body). The GitHub source keeps both in
//! one snapshot per repository (and a few lists for `core-status`, such as the repositories it
//! could not poll), each a JSON document under a key of its choosing; the runner's
//! `StoreCache` is the `jobrunner_core::SourceCache` over this trait.
//!
//! Snapshots are structural summaries (numbers, ids, digests, ETags): never a response body
//! or any other free text. The table was `etags` (a key, an ETag and a payload) until schema
//! version 3 (PostgreSQL 5): the source keeps its ETags inside its snapshots, so that column
//! only ever held `''` and was dropped, the payloads kept.

use async_trait::async_trait;

use crate::StoreError;
use crate::columns::{json_text, parse_json};
use crate::statement::{Backend, Statement};

/// A source's snapshots, one JSON document per key (see the [module documentation](self)).
#[async_trait]
pub trait SnapshotCache: Send + Sync {
    /// The snapshot kept under `key`, `None` when there is none.
    async fn snapshot(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError>;

    /// Keeps `snapshot` under `key`, replacing any earlier one.
    async fn keep_snapshot(&self, key: &str, snapshot: &serde_json::Value) -> Result<(), StoreError>;
}

/// The snapshot under `$1`.
const GET: &str = "SELECT snapshot FROM source_snapshots WHERE cache_key = $1";

/// Keeps snapshot `$2` under `$1`, replacing any earlier one.
const KEEP: &str = "INSERT INTO source_snapshots (cache_key, snapshot) VALUES ($1, $2) \
     ON CONFLICT (cache_key) DO UPDATE SET snapshot = excluded.snapshot";

#[async_trait]
impl<B: Backend> SnapshotCache for B {
    async fn snapshot(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let row: Option<(String,)> =
            self.fetch_optional("read a source snapshot", Statement::new(GET).bind(key)).await?;
        row.map(|(snapshot,)| parse_json("source snapshot", &snapshot)).transpose()
    }

    async fn keep_snapshot(&self, key: &str, snapshot: &serde_json::Value) -> Result<(), StoreError> {
        let statement = Statement::new(KEEP).bind(key).bind(json_text(snapshot));
        self.execute("keep a source snapshot", statement).await?;
        Ok(())
    }
}
