//! [`StoreCache`]: the state store behind a source's [`SourceCache`], so what a source learnt
//! (ETags and structural summaries) outlives restarts in the same database as the ledger.

use std::sync::Arc;

use async_trait::async_trait;
use jobrunner_core::{CacheError, SourceCache};
use jobrunner_store::{SnapshotCache, Store};

/// A [`SourceCache`] over the store's snapshot cache: each value is one snapshot, kept as the
/// JSON it is.
pub struct StoreCache {
    store: Arc<dyn SnapshotCache>,
}

impl StoreCache {
    /// A cache in `store`.
    #[must_use]
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl SourceCache for StoreCache {
    async fn load(&self, key: &str) -> Result<Option<String>, CacheError> {
        let snapshot = self.store.snapshot(key).await.map_err(|e| CacheError(e.to_string()))?;
        Ok(snapshot.map(|snapshot| snapshot.to_string()))
    }

    async fn save(&self, key: &str, value: &str) -> Result<(), CacheError> {
        let snapshot = serde_json::from_str(value)
            .map_err(|e| CacheError(format!("value under {key:?} is not JSON: {e}")))?;
        self.store.keep_snapshot(key, &snapshot).await.map_err(|e| CacheError(e.to_string()))
    }
}
