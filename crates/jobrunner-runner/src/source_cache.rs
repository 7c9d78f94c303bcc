//! [`StoreCache`]: the state store behind a source's [`SourceCache`], so what a source learnt
//! (ETags and structural summaries) outlives restarts in the same database as the ledger.

use std::sync::Arc;

use async_trait::async_trait;
use jobrunner_core::{CacheError, SourceCache};
use jobrunner_store::{CachedEtag, Store};

/// A [`SourceCache`] over the store's ETag cache: each value is one entry, its JSON the
/// entry's payload.
pub struct StoreCache {
    store: Arc<dyn Store>,
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
        let entry = self.store.etag(key).await.map_err(|e| CacheError(e.to_string()))?;
        Ok(entry.map(|e| e.payload.to_string()))
    }

    async fn save(&self, key: &str, value: &str) -> Result<(), CacheError> {
        let payload = serde_json::from_str(value)
            .map_err(|e| CacheError(format!("value under {key:?} is not JSON: {e}")))?;
        // The source keeps its ETags inside the value; the entry's own ETag column is unused.
        let entry = CachedEtag { etag: String::new(), payload };
        self.store.put_etag(key, &entry).await.map_err(|e| CacheError(e.to_string()))
    }
}
