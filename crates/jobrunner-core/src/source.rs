//! The source port: where signals come from and where outcomes are reported.

use async_trait::async_trait;

use crate::forge::ForgeError;
use crate::handler::ActionResult;
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

    /// What the source (and the forge sharing its connection) has spent of the API budget so
    /// far, for the cycle records. `None` when the source spends no metered budget.
    fn budget(&self) -> Option<BudgetReading> {
        None
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
