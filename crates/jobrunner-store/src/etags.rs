//! The ETag cache: what a conditional request needs to be answered `304 Not Modified`.
//!
//! GitHub does not charge a primary point for a 304, so an idle cycle costs nothing only if the
//! ETag of every page survives restarts; the adapter keeps beside it the structural summary it
//! derived from the page, since a 304 carries no body.

use async_trait::async_trait;

use crate::StoreError;
use crate::columns::{json_text, parse_json};
use crate::statement::{Backend, Statement};

/// The ETag cache (see the [module documentation](self)).
#[async_trait]
pub trait EtagCache: Send + Sync {
    /// The cached ETag under `key` (the adapter's choice of key, such as a request URL).
    async fn etag(&self, key: &str) -> Result<Option<CachedEtag>, StoreError>;

    /// Caches `value` under `key`, replacing any earlier entry.
    async fn put_etag(&self, key: &str, value: &CachedEtag) -> Result<(), StoreError>;
}

/// A cached ETag and what the adapter derived from its response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedEtag {
    /// The `ETag` header of the response.
    pub etag: String,
    /// The structural summary the adapter keeps (numbers, ids, next-page links): never a
    /// response body or any other free text.
    pub payload: serde_json::Value,
}

/// The entry under `$1`.
const GET: &str = "SELECT etag, payload FROM etags WHERE cache_key = $1";

/// Stores the entry under `$1`, replacing any earlier one.
const PUT: &str = "INSERT INTO etags (cache_key, etag, payload) VALUES ($1, $2, $3) \
     ON CONFLICT (cache_key) DO UPDATE SET etag = excluded.etag, payload = excluded.payload";

#[async_trait]
impl<B: Backend> EtagCache for B {
    async fn etag(&self, key: &str) -> Result<Option<CachedEtag>, StoreError> {
        let row: Option<(String, String)> =
            self.fetch_optional("read a cached ETag", Statement::new(GET).bind(key)).await?;
        let Some((etag, payload)) = row else { return Ok(None) };
        Ok(Some(CachedEtag { etag, payload: parse_json("cached ETag payload", &payload)? }))
    }

    async fn put_etag(&self, key: &str, value: &CachedEtag) -> Result<(), StoreError> {
        let statement =
            Statement::new(PUT).bind(key).bind(value.etag.as_str()).bind(json_text(&value.payload));
        self.execute("cache an ETag", statement).await?;
        Ok(())
    }
}
