//! A core-ide node as a library: everything `core-ide` runs, wired from the [`Settings`] and
//! steered through a handle.
//!
//! [`Node::from_settings`] builds the GitHub source and forge, the state store (SQLite, or the
//! fleet's PostgreSQL with this node's membership: registration, heartbeats, repository
//! leases), the journal, the handlers and the pacing. [`Node::run`] starts the poll loop and
//! returns a cloneable [`NodeHandle`]: it sends [`Command`]s (poll now, pause, resume, shut
//! down) and carries a watch channel of [`NodeState`], what a panel, an MCP bridge or a tray
//! shows of the node. The binary's signal handler is one more sender of the same commands.
//!
//! ```no_run
//! # async fn embed(settings: jobrunner_config::Settings) -> Result<(), jobrunner_node::NodeError> {
//! let node = jobrunner_node::Node::from_settings(&settings).await?.paused(true);
//! let (handle, run) = node.run(|_event| {});
//! // Paused: nothing is polled until asked.
//! if let Some(cycle) = handle.poll_now_and_wait().await {
//!     for action in cycle.actions() {
//!         println!("{} #{}: {} ({})", action.repo, action.pr, action.action, action.outcome);
//!     }
//! }
//! handle.shutdown();
//! run.finish().await
//! # }
//! ```
//!
//! It is *not* the command line (argument parsing, exit codes, logging set-up and systemd
//! notifications stay in the `core-ide` binary) and holds no pipeline logic: cycles are
//! [`jobrunner_runner::Runner`]'s, decisions the handlers'.
//!
//! [`Settings`]: jobrunner_config::Settings
#![deny(missing_docs)]

mod error;
mod fleet;
mod handle;
mod node;
mod pacing;
mod state;

pub use error::NodeError;
pub use handle::{NodeHandle, NodeRun};
pub use jobrunner_runner::{Command, CycleEvent, Explanation, ManualOutcome};
pub use node::Node;
pub use pacing::{IDLE_CYCLES_BEFORE_BACKOFF, IDLE_INTERVAL};
pub use state::{
    ActionSummary, CycleSummary, CycleVerdict, LAST_CYCLES, NodeMode, NodeState, PersonWait, Phase,
    SourceState,
};
