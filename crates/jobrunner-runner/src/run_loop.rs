//! The poll loop: cycles paced by [`Pace`] until shutdown is asked for.

use jobrunner_core::FailureClass;
use tokio::sync::watch;

use crate::cycle::{CycleError, CycleReport, Runner};

/// What the loop tells its observer after each cycle (for service-manager notifications).
#[derive(Debug, Clone, Copy)]
pub enum CycleEvent<'a> {
    /// A cycle completed.
    Completed(&'a CycleReport),
    /// A cycle failed; the loop goes on unless the error must stop the node.
    Failed(&'a CycleError),
}
use crate::pace::Pace;

impl Runner {
    /// Runs cycles until `shutdown` turns true. A cycle in progress is finished (the current
    /// action completes, its journal record is written) before returning. Returns the first
    /// error that must stop the node: an auth refusal, a store or journal failure.
    pub async fn run(
        &self,
        mut pace: Pace,
        mut shutdown: watch::Receiver<bool>,
        observe: &mut (dyn FnMut(CycleEvent<'_>) + Send),
    ) -> Result<(), CycleError> {
        let mut last_fingerprint = None;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            let outcome = self.cycle().await;
            observe(match &outcome {
                Ok(report) => CycleEvent::Completed(report),
                Err(error) => CycleEvent::Failed(error),
            });
            let wait = match outcome {
                Ok(report) => {
                    let changed = report.performed() > 0 || last_fingerprint != Some(report.fingerprint);
                    last_fingerprint = Some(report.fingerprint);
                    pace.after_cycle(changed)
                }
                Err(error @ (CycleError::Auth { .. } | CycleError::Store(_) | CycleError::Journal(_))) => {
                    return Err(error);
                }
                Err(error) => {
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
