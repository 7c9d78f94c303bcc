//! Running the pipeline: signals in, one decision per signal, actions through a forge.
//!
//! Today this crate holds [`simulate`]: the real dispatcher run over signals read from a file,
//! against a recording forge, for `core-ide simulate`. The poll loop (sources, idempotency
//! ledger, journal appends, back-off) joins it with the runner issue.
//!
//! It is *not* a forge adapter and holds no handler logic: decisions come from the
//! [`Dispatcher`](jobrunner_core::Dispatcher) it is given.
#![deny(missing_docs)]

pub mod simulate;
