//! The [`Store`] trait: everything a node keeps between cycles, behind one port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use jobrunner_core::{ActionKey, CommitSha, NodeId, RepoSlug};

use crate::{
    CachedEtag, Claim, CycleEnd, CycleRecord, FixCommands, NodeRecord, Outcome, PrWait, RefusedAction,
    StoreError,
};

/// A node's state store: idempotency ledger, ETag cache, per-PR state, fix-command counts,
/// cycle records and identity.
///
/// A store handle serves one node, the one it was opened for. Every method is one atomic step:
/// when it returns `Ok`, the change is committed (and with SQLite, on disk). The trait is
/// object-safe, so the runner holds an `Arc<dyn Store>` and tests can swap implementations.
///
/// Later capabilities (the fleet's leases and heartbeats, which only the PostgreSQL store
/// serves) come as a separate trait extending this one, or as provided methods with defaults,
/// so existing implementations and callers keep compiling.
#[async_trait]
pub trait Store: Send + Sync {
    /// The node this store serves, as recorded when it was first opened.
    async fn node(&self) -> Result<NodeRecord, StoreError>;

    /// Claims `key` for `node` unless anyone claimed it before, in one atomic step: of any
    /// number of concurrent claims of one key, exactly one gets [`Claim::Claimed`]. Dry runs
    /// claim nothing.
    async fn claim(&self, key: &ActionKey, node: &NodeId, at: DateTime<Utc>) -> Result<Claim, StoreError>;

    /// Who holds `key` and where it stands, `None` when nobody claimed it: the runner skips a
    /// decision whose key is settled already, so the next handler may act on the PR instead.
    async fn holder_of(&self, key: &ActionKey) -> Result<Option<Claim>, StoreError>;

    /// The actions recorded as failed for good since `since` (by any node of the store),
    /// newest first, at most `limit`: what `core-status` shows as refused.
    async fn refused_since(&self, since: DateTime<Utc>, limit: u32)
    -> Result<Vec<RefusedAction>, StoreError>;

    /// Records the outcome of a key this store's node claimed. The key stays taken for good,
    /// so a permanently failed action is skipped like a done one. Errors when the key is not
    /// claimed by this node (any more) or already confirmed.
    async fn confirm(&self, key: &ActionKey, outcome: Outcome, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Forgets a claimed, unconfirmed key so a later cycle may claim it again: for retryable
    /// failures, and for crash leftovers the forge shows were never performed. Only this
    /// store's node's claim is released: releasing a key nobody holds, or another node holds,
    /// does nothing; releasing a confirmed key is an error.
    async fn release(&self, key: &ActionKey) -> Result<(), StoreError>;

    /// The keys `node` claimed and never confirmed or released, oldest first: after a crash,
    /// the actions that may or may not have happened. Settle each by re-reading the forge.
    async fn unconfirmed(&self, node: &NodeId) -> Result<Vec<ActionKey>, StoreError>;

    /// Records a fix command sent on `pr` at `head_sha` and returns the number of commands
    /// without progress: every command since the last [`reset_fix_commands`](Self::reset_fix_commands),
    /// whatever its head SHA (see [`fix_commands`](crate::fix_commands)).
    async fn record_fix_command(
        &self,
        repo: &RepoSlug,
        pr: u64,
        head_sha: &CommitSha,
        rule: &str,
        at: DateTime<Utc>,
    ) -> Result<u32, StoreError>;

    /// Every PR's fix commands since its last progress: what the runner tells handlers of
    /// commands gone unanswered.
    async fn fix_commands(&self) -> Result<Vec<FixCommands>, StoreError>;

    /// Every waiting PR, oldest wait first (see [`pr_waits`](crate::pr_waits)).
    async fn waits(&self) -> Result<Vec<PrWait>, StoreError>;

    /// Records that a PR waits, replacing its earlier wait.
    async fn put_wait(&self, wait: &PrWait) -> Result<(), StoreError>;

    /// Forgets a PR's wait: it acts, or has nothing left to wait for.
    async fn clear_wait(&self, repo: &RepoSlug, pr: u64) -> Result<(), StoreError>;

    /// Reports progress on `pr` (another action was performed on it): the commands sent so
    /// far are forgotten and the next one counts 1.
    async fn reset_fix_commands(&self, repo: &RepoSlug, pr: u64) -> Result<(), StoreError>;

    /// The number of fix commands without progress on `pr` (0 when none was sent).
    async fn fix_commands_without_progress(&self, repo: &RepoSlug, pr: u64) -> Result<u32, StoreError>;

    /// The cached ETag under `key` (the adapter's choice of key, such as a request URL).
    async fn etag(&self, key: &str) -> Result<Option<CachedEtag>, StoreError>;

    /// Caches `value` under `key`, replacing any earlier entry.
    async fn put_etag(&self, key: &str, value: &CachedEtag) -> Result<(), StoreError>;

    /// The structural state last stored for `pr`.
    async fn pr_state(&self, repo: &RepoSlug, pr: u64) -> Result<Option<serde_json::Value>, StoreError>;

    /// Stores the structural state of `pr`, replacing any earlier one.
    async fn put_pr_state(
        &self,
        repo: &RepoSlug,
        pr: u64,
        state: &serde_json::Value,
    ) -> Result<(), StoreError>;

    /// Starts a cycle of `node` and returns its number: one more than the node's previous
    /// cycle, across restarts.
    async fn start_cycle(&self, node: &NodeId, at: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Ends cycle `cycle` of the node this store serves. Errors when that cycle was never
    /// started or has already ended.
    async fn end_cycle(&self, cycle: u64, end: &CycleEnd) -> Result<(), StoreError>;

    /// The latest `limit` cycles of `node`, newest first.
    async fn recent_cycles(&self, node: &NodeId, limit: u32) -> Result<Vec<CycleRecord>, StoreError>;

    /// The schema version the database is migrated to.
    async fn schema_version(&self) -> Result<i64, StoreError>;
}
