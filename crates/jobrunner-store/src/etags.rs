//! The ETag cache: what a conditional request needs to be answered `304 Not Modified`.
//!
//! GitHub does not charge a primary point for a 304, so an idle cycle costs nothing only if the
//! ETag of every page survives restarts; the adapter keeps beside it the structural summary it
//! derived from the page, since a 304 carries no body.

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
pub(crate) const GET: &str = "SELECT etag, payload FROM etags WHERE cache_key = $1";

/// Stores the entry under `$1`, replacing any earlier one.
pub(crate) const PUT: &str = "INSERT INTO etags (cache_key, etag, payload) VALUES ($1, $2, $3) \
     ON CONFLICT (cache_key) DO UPDATE SET etag = excluded.etag, payload = excluded.payload";
