//! Why a node could not be built or had to stop.

use jobrunner_core::RegistryError;
use jobrunner_journal::JournalError;
use jobrunner_runner::CycleError;
use jobrunner_store::StoreError;

/// A node that cannot start, or a loop that stopped on an error it cannot go on after.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// No token to call GitHub with.
    #[error("no GitHub token: export {env} (or GITHUB_TOKEN), e.g. in the systemd unit's EnvironmentFile")]
    NoToken {
        /// The variable the token is read from.
        env: &'static str,
    },
    /// Nothing to poll.
    #[error("no repositories to poll: set --repos owner/name,... or CORE_REPOS")]
    NoRepositories,
    /// The fleet's timing settings contradict each other.
    #[error("{0}")]
    FleetTiming(String),
    /// Another live process of the fleet uses this node's id.
    #[error("{0}")]
    NodeIdTaken(StoreError),
    /// The embedded store cannot be opened (another process holds it, the directory is not
    /// writable, the database is from a newer version).
    #[error("{0}")]
    StoreUnavailable(StoreError),
    /// The fleet's database failed.
    #[error(transparent)]
    Fleet(StoreError),
    /// The GitHub client cannot be built from the settings (a bad API URL).
    #[error("{0}")]
    GitHub(String),
    /// The handler settings name a handler that does not exist.
    #[error(transparent)]
    Handlers(#[from] RegistryError),
    /// The journal directory cannot be written: found before the first action, which would
    /// otherwise be performed but not journaled.
    #[error("{0}")]
    JournalNotWritable(JournalError),
    /// A cycle failed in a way the node cannot go on after (the store or the journal).
    #[error(transparent)]
    Cycle(#[from] CycleError),
    /// The node's loop ended without saying how (its task panicked or was cancelled).
    #[error("the node's loop ended unexpectedly ({why}): this is a bug, please report it")]
    LoopLost {
        /// What the runtime said.
        why: String,
    },
}

impl NodeError {
    /// A setting or the machine is wrong, not the run: the operator fixes it before starting
    /// again (`core-ide` exits 2 for these, like a bad flag).
    #[must_use]
    pub fn is_setup_problem(&self) -> bool {
        matches!(
            self,
            Self::NoToken { .. }
                | Self::NoRepositories
                | Self::FleetTiming(_)
                | Self::NodeIdTaken(_)
                | Self::StoreUnavailable(_)
                | Self::GitHub(_)
                | Self::Handlers(_)
                | Self::JournalNotWritable(_)
        )
    }
}
