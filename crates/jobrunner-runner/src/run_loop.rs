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

impl Runner {
    /// Runs cycles until `shutdown` turns true. A cycle in progress is finished (the current
    /// action completes, its journal record is written) before returning. Returns the first
    /// error that must stop the node: an auth refusal, a store or journal failure. A lost
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
            let outcome = self.cycle().await;
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
                    if matches!(
                        error,
                        CycleError::Auth { .. } | CycleError::Store(_) | CycleError::Journal(_)
                    ) {
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
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
