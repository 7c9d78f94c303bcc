//! The poll loop: cycles paced by [`Pace`] until shutdown is asked for.

use std::time::{Duration, Instant};

use jobrunner_core::FailureClass;
use tokio::sync::watch;

use crate::cycle::{CycleError, CycleReport, Runner};
use crate::pace::Pace;

/// What the loop tells its observer after each cycle (for service-manager notifications).
#[derive(Debug, Clone, Copy)]
pub enum CycleEvent<'a> {
    /// A cycle completed.
    Completed(&'a CycleReport),
    /// A cycle failed; the loop goes on unless the error must stop the node.
    Failed(&'a CycleError),
    /// The state database is gone: the node polls and acts on nothing and retries after
    /// `retry_in`. The loop is healthy (a watchdog should be fed), the node is idle by design.
    StoreLost {
        /// Why the last attempt failed.
        error: &'a CycleError,
        /// How long the database has been gone, as this node saw it: zero at the first
        /// failed attempt.
        down_for: Duration,
        /// The wait before the next attempt.
        retry_in: Duration,
    },
}

/// How long a cycle in progress may go on after shutdown was asked for before it is dropped:
/// long enough for an action under way to finish and be journaled, well inside systemd's stop
/// timeout (`TimeoutStopSec=60` in the shipped unit).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Completes [`SHUTDOWN_GRACE`] after `shutdown` turns true; never when the sender is gone.
async fn grace_after_shutdown(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(SHUTDOWN_GRACE).await;
}

impl Runner {
    /// Runs cycles until `shutdown` turns true. A cycle in progress is given [`SHUTDOWN_GRACE`]
    /// to finish (the current action completes, its journal record is written), then dropped,
    /// cancelling its requests. Returns the first error that must stop the node: a store or
    /// journal failure. A refused token is reported and retried. A lost
    /// database connection is not one: the node fails closed (no polling, no acting),
    /// retries with a growing wait, and resumes when the database answers.
    pub async fn run(
        &self,
        mut pace: Pace,
        mut shutdown: watch::Receiver<bool>,
        observe: &mut (dyn FnMut(CycleEvent<'_>) + Send),
    ) -> Result<(), CycleError> {
        let mut last_fingerprint = None;
        let mut outage: Option<Instant> = None;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            let cycle = self.cycle();
            tokio::pin!(cycle);
            let outcome = tokio::select! {
                outcome = &mut cycle => outcome,
                () = grace_after_shutdown(&mut shutdown) => {
                    // Dropping the cycle cancels its requests in flight: a hanging API would
                    // otherwise hold the node for every attempt's full timeout, past the unit's
                    // stop timeout. What the cycle left claimed is settled at the next start,
                    // as after a crash.
                    tracing::warn!(
                        grace_s = SHUTDOWN_GRACE.as_secs(),
                        "the cycle in progress did not finish within the shutdown grace: its requests are cancelled; \
                         anything it left claimed is settled at the next start"
                    );
                    return Ok(());
                }
            };
            let wait = match &outcome {
                Err(error @ CycleError::Store(lost)) if lost.is_connection_lost() => {
                    let down_for = outage.map_or(Duration::ZERO, |since| since.elapsed());
                    outage.get_or_insert_with(Instant::now);
                    let retry_in = pace.after_store_lost();
                    observe(CycleEvent::StoreLost { error, down_for, retry_in });
                    retry_in
                }
                Ok(report) => {
                    if let Some(since) = outage.take() {
                        tracing::info!(
                            down_for_s = since.elapsed().as_secs(),
                            "the state database answers again: polling and acting resume"
                        );
                    }
                    observe(CycleEvent::Completed(report));
                    let changed = report.performed() > 0 || last_fingerprint != Some(report.fingerprint);
                    last_fingerprint = Some(report.fingerprint);
                    pace.after_cycle(changed)
                }
                Err(error) => {
                    observe(CycleEvent::Failed(error));
                    // A refused token is the operator's to fix, but the node keeps running and
                    // retrying (it acts nothing meanwhile): GitHub refuses tokens transiently
                    // too, and a service that exits would only be restarted to fail again.
                    if matches!(error, CycleError::Store(_) | CycleError::Journal(_)) {
                        return outcome.map(|_| ());
                    }
                    tracing::warn!(error = %error, "cycle failed; retrying after the wait");
                    let retry_after = match error.class() {
                        FailureClass::RateLimited { retry_after } => Some(retry_after),
                        _ => None,
                    };
                    pace.after_failure(retry_after)
                }
            };
            // Asked during the cycle: the grace above has already seen the change, so
            // `changed` below would not fire for it.
            if *shutdown.borrow() {
                return Ok(());
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
