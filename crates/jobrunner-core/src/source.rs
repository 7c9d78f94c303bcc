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
}
