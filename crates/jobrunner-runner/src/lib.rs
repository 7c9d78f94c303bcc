//! Running the pipeline: signals in, one decision per signal, actions through a forge.
//!
//! [`Runner::cycle`] is one poll cycle: sources -> signals -> dispatcher -> ledger claim in the
//! store -> forge -> outcome -> journal -> report, with exactly one action per PR per cycle and
//! no key ever performed twice. [`simulate`] runs the real dispatcher over signals read from a
//! file, against a recording forge, for `core-ide simulate`.
//!
//! It is *not* a forge adapter and holds no handler logic: decisions come from the
//! [`Dispatcher`](jobrunner_core::Dispatcher) it is given.
#![deny(missing_docs)]

mod cycle;
mod manual;
mod memory;
mod pace;
mod recovery;
mod run_loop;
pub mod simulate;
mod source_cache;
mod work_split;

pub use cycle::{
    ActionOutcome, ActionReport, Clock, CycleError, CycleReport, Runner, RunnerConfig, SourceHealth,
    SourcePair,
};
pub use manual::{Explanation, ManualOutcome};
pub use pace::Pace;
pub use run_loop::{Command, Control, Controller, CycleEvent, SHUTDOWN_GRACE};
pub use source_cache::StoreCache;
pub use work_split::WorkSplit;
