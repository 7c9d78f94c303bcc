//! Contracts of the core-ide job runner.
//!
//! This crate is what every other crate agrees on: the structural [`PipelineSignal`] a
//! source builds per pull request, the [`JobHandler`] trait and the [`Dispatcher`] that picks
//! exactly one action per signal, the [`Forge`] port through which actions mutate a forge, the
//! [`JobSource`] port through which signals arrive, and the [`FailureClass`] of a failed
//! request, which the runner acts on (telling the class from a forge's answer is the
//! adapter's).
//!
//! It is *not* an adapter: it does no IO at all — no HTTP, no database, no files, no octocrab.
//! The epic checklist grammar ([`checklist`]) lives here because the source (to compute
//! `parent_ticked`) and the `tick_parent` handler (to edit the line) must agree on it.
//!
//! Nothing in this crate carries free text from the forge: signals hold numbers, enums,
//! validated names and opaque ids only.
#![deny(missing_docs)]

mod body_edit;
pub mod checklist;
pub mod crash_point;
mod dispatcher;
mod epic;
mod epic_kind;
mod error_chain;
mod failure;
mod forge;
mod forge_error;
mod handler;
mod merge_method;
mod names;
mod recording_forge;
mod registry;
mod signal;
mod source;

pub use body_edit::{BodyChange, BodyEdit, GuardedEdit};
pub use dispatcher::{Decision, Dispatcher};
pub use epic::epic_of_variant;
pub use epic_kind::EpicKind;
pub use error_chain::error_chain;
pub use failure::FailureClass;
pub use forge::Forge;
pub use forge_error::ForgeError;
pub use handler::{ActionId, ActionKey, ActionResult, JobHandler, Match, Settle};
pub use merge_method::MergeMethod;
pub use names::{BodyDigest, CommitSha, NameError, NodeId, RepoName, RepoOwner, RepoSlug, ThreadId};
pub use recording_forge::{ForgeCall, RecordingForge};
pub use registry::{HandlerRegistry, RegistryError};
pub use signal::{
    CheckStatus, MergeStateStatus, Mergeable, PipelineSignal, PrMemory, PrState, RequiredChecks,
    ReviewDecision, SignalError, UnresolvedThread, Waiting, WaitingOn, human_duration,
};
pub use source::{BudgetReading, CacheError, JobSource, SourceCache, UnhealthyRepo, unhealthy_key};

/// `n` and `noun`, pluralized with an `s` when `n` is not 1, for decision reasons.
#[must_use]
pub fn count(n: u32, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// The JSON Schema of [`PipelineSignal`], as shipped in `docs/schema/pipeline-signal.schema.json`
/// for the input of `core-ide simulate`.
#[must_use]
pub fn signal_schema() -> schemars::Schema {
    schemars::schema_for!(PipelineSignal)
}
