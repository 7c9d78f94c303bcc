//! The source port: where signals come from and where outcomes are reported.

use async_trait::async_trait;

use crate::forge_error::ForgeError;
use crate::handler::ActionResult;
use crate::names::RepoSlug;
use crate::signal::PipelineSignal;

/// A place that produces pipeline signals: a forge adapter, a file, a test double.
#[async_trait]
pub trait JobSource: Send + Sync {
    /// A short stable name for logs and the journal (`github`).
    fn name(&self) -> &str;

    /// Returns the current signals, one per (epic, child, PR).
    async fn poll(&self) -> Result<Vec<PipelineSignal>, ForgeError>;

    /// Hears the outcome of an action taken on one of its signals, so it can re-check that PR
    /// next cycle instead of waiting for a change notification.
    async fn report(&self, signal: &PipelineSignal, result: &ActionResult) -> Result<(), ForgeError>;

    /// Asks for a fresh read of one PR in the next poll, whatever the source remembers of it:
    /// the runner asks it for PRs whose action a crash left unsettled, whose effect may not
    /// show in remembered state. The default does nothing (sources that always read afresh).
    async fn recheck(&self, repo: &RepoSlug, pr: u64) {
        let _ = (repo, pr);
    }

    /// Narrows the next polls to `repos` (the repositories this node leases in a fleet), or
    /// widens them back to every configured repository with `None`. The default ignores it:
    /// such a source polls everything, which spends budget but never acts twice (the ledger
    /// sees to that).
    fn restrict(&self, repos: Option<&[RepoSlug]>) {
        let _ = repos;
    }

    /// What the source (and the forge sharing its connection) has spent of the API budget so
    /// far, for the cycle records. `None` when the source spends no metered budget.
    fn budget(&self) -> Option<BudgetReading> {
        None
    }

    /// Whether `repo` is one this source polls (when not restricted): the runner acts on a
    /// repository through the forge paired with the source that covers it. The default covers
    /// every repository (a single-source node).
    fn covers(&self, repo: &RepoSlug) -> bool {
        let _ = repo;
        true
    }

    /// The repositories this source skips for now (403, 404, repeated failures) until their
    /// back-off is over. The default has none.
    fn unhealthy_repos(&self) -> Vec<UnhealthyRepo> {
        Vec::new()
    }
}

/// A source's API spending, as cumulative totals since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BudgetReading {
    /// Primary rate-limit points spent since the source was created, by this process.
    pub points_spent: u64,
    /// Points left in the tightest primary budget (the lesser of REST and GraphQL), when the
    /// forge said.
    pub points_left: Option<u64>,
}

impl BudgetReading {
    /// The points spent between `earlier` and this reading.
    #[must_use]
    pub fn spent_since(&self, earlier: &Self) -> u64 {
        self.points_spent.saturating_sub(earlier.points_spent)
    }
}

/// Where a source keeps what it learnt across restarts (ETags and the structural summaries
/// beside them), so the first cycle after a restart costs about what an idle one does.
///
/// Values are JSON text the source chose, structural only: never a title, body, comment or
/// branch name. The runner backs it with the state store.
#[async_trait]
pub trait SourceCache: Send + Sync {
    /// The value saved under `key`, if any.
    async fn load(&self, key: &str) -> Result<Option<String>, CacheError>;

    /// Saves `value` under `key`, replacing any earlier one.
    async fn save(&self, key: &str, value: &str) -> Result<(), CacheError>;
}

/// A [`SourceCache`] that could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("source cache: {0}")]
pub struct CacheError(pub String);

/// A repository a source could not poll (404, 403, errors), as it keeps the list in its
/// [`SourceCache`] under [`unhealthy_key`] for `core-status` to show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UnhealthyRepo {
    /// The repository, as configured.
    pub repo: RepoSlug,
    /// The class of its latest failure.
    pub class: crate::failure::FailureClass,
    /// Failed polls in a row.
    pub failures: u32,
    /// When its failures began.
    pub since: chrono::DateTime<chrono::Utc>,
}

/// The cache key under which the source named `source` (`JobSource::name`) keeps its
/// unhealthy repositories.
#[must_use]
pub fn unhealthy_key(source: &str) -> String {
    format!("unhealthy {source}")
}
