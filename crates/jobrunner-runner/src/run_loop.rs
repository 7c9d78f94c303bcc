//! The poll loop: cycles paced by [`Pace`], steered by [`Command`]s (poll now, pause,
//! resume, shut down) from whoever holds a [`Controller`]: the binary's signal handler today,
//! the MCP bridge, the panel and the tray later.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jobrunner_core::FailureClass;
use tokio::sync::watch;

use crate::cycle::{CycleError, CycleReport, Runner};
use crate::pace::Pace;

/// What a running node can be asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Run a cycle at once, paused or not (a paused node runs just that one).
    PollNow,
    /// Start no cycle until resumed; a cycle in progress finishes.
    Pause,
    /// Poll again, starting a cycle at once.
    Resume,
    /// Stop after the cycle in progress (given [`SHUTDOWN_GRACE`]).
    Shutdown,
}

/// What the loop is asked to be: every [`Command`] sent so far, folded. The loop reads the
/// latest, so commands sent faster than it looks are never queued up behind each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Control {
    /// No cycle starts on the timer.
    pub paused: bool,
    /// The loop returns.
    pub shutdown: bool,
    /// Poll-now requests so far: a cycle runs when it moved since the loop last looked.
    pub poll_now: u64,
}

impl Control {
    fn apply(&mut self, command: Command) {
        match command {
            Command::PollNow => self.poll_now = self.poll_now.wrapping_add(1),
            Command::Pause => self.paused = true,
            Command::Resume => self.paused = false,
            Command::Shutdown => self.shutdown = true,
        }
    }
}

/// Sends [`Command`]s to a running loop; cheap to clone, one per party that steers the node.
#[derive(Debug, Clone)]
pub struct Controller(Arc<watch::Sender<Control>>);

impl Controller {
    /// A controller and the receiver [`Runner::run`] takes; `paused` is the state the loop
    /// starts in (a desktop node starts with its poller off).
    #[must_use]
    pub fn new(paused: bool) -> (Self, watch::Receiver<Control>) {
        let (sender, receiver) = watch::channel(Control { paused, ..Control::default() });
        (Self(Arc::new(sender)), receiver)
    }

    /// Asks the loop to do `command`; a loop that has returned ignores it.
    pub fn send(&self, command: Command) {
        self.0.send_modify(|control| control.apply(command));
    }

    /// What the loop is asked to be now.
    #[must_use]
    pub fn control(&self) -> Control {
        *self.0.borrow()
    }
}

/// What the loop tells its observer after each cycle (for service-manager notifications).
#[derive(Debug, Clone, Copy)]
pub enum CycleEvent<'a> {
    /// The loop waits for its next turn: the timer, or, when `paused`, a command only.
    Waiting {
        /// No cycle starts until [`Command::Resume`] or [`Command::PollNow`].
        paused: bool,
        /// When not paused: the time until the timer starts the next cycle.
        next_in: Duration,
    },
    /// A cycle starts: on the timer, on poll-now or on resume.
    Starting,
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

/// Completes [`SHUTDOWN_GRACE`] after shutdown is asked for; never when the sender is gone.
async fn grace_after_shutdown(control: &mut watch::Receiver<Control>) {
    if control.wait_for(|c| c.shutdown).await.is_err() {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(SHUTDOWN_GRACE).await;
}

impl Runner {
    /// Runs cycles until [`Command::Shutdown`]: on the pace's timer unless paused, and at once
    /// on [`Command::PollNow`] or [`Command::Resume`]. A cycle in progress is given [`SHUTDOWN_GRACE`]
    /// to finish (the current action completes, its journal record is written), then dropped,
    /// cancelling its requests. Returns the first error that must stop the node: a store or
    /// journal failure. A refused token is reported and retried. A lost
    /// database connection is not one: the node fails closed (no polling, no acting),
    /// retries with a growing wait, and resumes when the database answers.
    pub async fn run(
        &self,
        mut pace: Pace,
        mut control: watch::Receiver<Control>,
        observe: &mut (dyn FnMut(CycleEvent<'_>) + Send),
    ) -> Result<(), CycleError> {
        let mut last_fingerprint = None;
        let mut outage: Option<Instant> = None;
        // From zero, not from what the receiver holds now: a poll-now sent between the
        // controller's creation and the loop's start (a task not yet scheduled) is served.
        let mut served = 0;
        let mut wait = Duration::ZERO;
        loop {
            if !next_turn(&mut control, wait, &mut served, observe).await {
                return Ok(());
            }
            observe(CycleEvent::Starting);
            let cycle = self.cycle();
            tokio::pin!(cycle);
            let outcome = tokio::select! {
                outcome = &mut cycle => outcome,
                () = grace_after_shutdown(&mut control) => {
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
            wait = match &outcome {
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
        }
    }
}

/// Waits for the loop's next cycle: `wait` on the timer unless paused, or at once on poll-now
/// or resume. False when the loop must return (shutdown, or paused with nobody left to resume).
async fn next_turn(
    control: &mut watch::Receiver<Control>,
    wait: Duration,
    served: &mut u64,
    observe: &mut (dyn FnMut(CycleEvent<'_>) + Send),
) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    let mut was_paused = None;
    loop {
        let now = *control.borrow_and_update();
        if now.shutdown {
            return false;
        }
        if now.poll_now != *served {
            *served = now.poll_now;
            return true;
        }
        if was_paused == Some(true) && !now.paused {
            return true;
        }
        if was_paused != Some(now.paused) {
            let next_in = deadline.saturating_duration_since(tokio::time::Instant::now());
            observe(CycleEvent::Waiting { paused: now.paused, next_in });
        }
        was_paused = Some(now.paused);
        let timer = async {
            if now.paused {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep_until(deadline).await;
        };
        tokio::select! {
            () = timer => return true,
            changed = control.changed() => if changed.is_err() {
                // Every controller is gone: the timer alone steers the loop now.
                if now.paused {
                    return false;
                }
                tokio::time::sleep_until(deadline).await;
                return true;
            },
        }
    }
}
