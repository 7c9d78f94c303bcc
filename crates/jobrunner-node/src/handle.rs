//! [`NodeHandle`]: how anything beside the loop steers a running node and reads its state.

use std::sync::Arc;

use jobrunner_core::RepoSlug;
use jobrunner_runner::{Command, Controller, CycleError, Explanation, ManualOutcome, Runner};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::NodeError;
use crate::state::{CycleSummary, NodeState, Phase};

/// Steers a running node and shows its state; cheap to clone, one per party (the signal
/// handler, the MCP bridge, the panel, the tray). Commands sent after the loop ended do
/// nothing.
#[derive(Clone)]
pub struct NodeHandle {
    controller: Controller,
    state: Arc<watch::Sender<NodeState>>,
    watched: watch::Receiver<NodeState>,
    runner: Arc<Runner>,
}

impl std::fmt::Debug for NodeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeHandle").field("control", &self.controller.control()).finish_non_exhaustive()
    }
}

impl NodeHandle {
    pub(crate) fn new(
        controller: Controller,
        state: Arc<watch::Sender<NodeState>>,
        watched: watch::Receiver<NodeState>,
        runner: Arc<Runner>,
    ) -> Self {
        Self { controller, state, watched, runner }
    }

    /// Reads `repo#pr` afresh and performs `handler`'s action on it through the node's ledger
    /// and journal, after any cycle in progress (see `Runner::act_now`).
    pub async fn act_now(
        &self,
        repo: &RepoSlug,
        pr: u64,
        handler: &str,
        force: bool,
    ) -> Result<ManualOutcome, CycleError> {
        self.runner.act_now(repo, pr, handler, force).await
    }

    /// Reads `repo#pr` afresh and says what the node would decide for it.
    pub async fn explain(&self, repo: &RepoSlug, pr: u64) -> Result<Vec<Explanation>, CycleError> {
        self.runner.explain(repo, pr).await
    }

    /// Asks the node to do `command`. Pause and resume show in [`NodeState::paused`] at once:
    /// it is what the node is asked to be, even while a cycle finishes.
    pub fn send(&self, command: Command) {
        self.controller.send(command);
        let paused = self.controller.control().paused;
        self.state.send_if_modified(|s| std::mem::replace(&mut s.paused, paused) != paused);
    }

    /// Runs a cycle at once, paused or not.
    pub fn poll_now(&self) {
        self.send(Command::PollNow);
    }

    /// Starts no cycle on the timer until resumed; a cycle in progress finishes.
    pub fn pause(&self) {
        self.send(Command::Pause);
    }

    /// Polls on the timer again, starting a cycle at once.
    pub fn resume(&self) {
        self.send(Command::Resume);
    }

    /// Stops the node after the cycle in progress (given the runner's shutdown grace).
    pub fn shutdown(&self) {
        self.send(Command::Shutdown);
    }

    /// The node's state now.
    #[must_use]
    pub fn state(&self) -> NodeState {
        self.watched.borrow().clone()
    }

    /// A receiver of every state change (the latest, when changes come faster than it reads).
    #[must_use]
    pub fn subscribe(&self) -> watch::Receiver<NodeState> {
        self.watched.clone()
    }

    /// Waits until the state satisfies `until` and returns it; `None` when the loop stopped
    /// first.
    pub async fn wait_for(&self, mut until: impl FnMut(&NodeState) -> bool) -> Option<NodeState> {
        let mut watched = self.watched.clone();
        let seen = watched.wait_for(|s| until(s) || s.phase == Phase::Stopped).await.ok()?.clone();
        until(&seen).then_some(seen)
    }

    /// Runs a cycle at once and waits for it: the summary of the first cycle to end after one
    /// in progress (which the request does not interrupt); `None` when the node stopped first.
    pub async fn poll_now_and_wait(&self) -> Option<CycleSummary> {
        let (run, cycling) = {
            let state = self.watched.borrow();
            (state.cycles_run, state.phase == Phase::Cycling)
        };
        let target = run + if cycling { 2 } else { 1 };
        self.poll_now();
        let state = self.wait_for(|s| s.cycles_run >= target).await?;
        state.last_cycle().cloned()
    }
}

/// The running loop's task: [`NodeRun::finish`] waits for it to end and says why it did.
#[derive(Debug)]
pub struct NodeRun {
    task: JoinHandle<Result<(), NodeError>>,
}

impl NodeRun {
    pub(crate) fn new(task: JoinHandle<Result<(), NodeError>>) -> Self {
        Self { task }
    }

    /// Waits for the loop to end: `Ok` after a shutdown, the error that stopped it otherwise.
    /// The fleet registration is given back before this returns.
    pub async fn finish(self) -> Result<(), NodeError> {
        match self.task.await {
            Ok(result) => result,
            Err(error) => Err(NodeError::LoopLost { why: error.to_string() }),
        }
    }
}
