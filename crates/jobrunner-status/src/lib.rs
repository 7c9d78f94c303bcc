//! What `core-status` knows about a core-ide node: consistency checks, the dashboard's data, and
//! the maintenance of orphaned files.
//!
//! [`gather()`] reads the machine once into [`Inputs`] — the settings as the node's service
//! sees them (env file and systemd unit included), the env file and its sample, the variables
//! the binaries read, the state store (for a fleet node, its PostgreSQL database, where the
//! fleet's members and leases are read too), the recent journal, the systemd unit, writable
//! directories, the self-update prefix and manifest — and everything else is a function of that data: each [`checks`] module turns
//! it into [`CheckResult`]s with stable ids (documented in docs/status-checks.md), the
//! [`dashboard`] into the profile, pipeline state and handler chains, and a [`StatusReport`]
//! holds all of it for `--json` (schema: [`report_schema`]) or [`render::human`].
//!
//! This crate is *not* the runner's health: it never polls the forge for pull requests (it
//! reads a `github:` update source's releases, as `core-ide update --check` does), performs or
//! decides an action, nor sends notifications (that is `jobrunner-notify`, wired by the `core-status`
//! binary), nor registers, heartbeats or leases in a fleet. It writes nothing except what
//! [`gather()`] documents (a starting core-ide's migrations and node record, writability
//! probes) and what [`cleanup`] is asked to delete.
#![deny(missing_docs)]

mod check;
pub mod checks;
pub mod cleanup;
pub mod dashboard;
mod env_file;
mod error;
mod format;
mod gather;
mod inputs;
pub mod render;
mod report;
pub mod systemd;

pub use check::{Category, Check, CheckResult, Level, Summary};
pub use env_file::{EnvEntry, EnvFile};
pub use error::StatusError;
pub use gather::{DEFAULT_ENV_FILE, GatherOptions, gather};
pub use inputs::{
    Access, Assigned, EnvFileInput, EnvInputs, FailedVersion, FileState, FleetDatabase, FleetRead,
    FleetSnapshot, IDLE_INTERVAL, Inputs, Installation, InstalledVersions, JournalSnapshot, JournalWindow,
    KnownVar, ManifestState, PRIMARY_BUDGET_PER_HOUR, Role, StoreProblem, StoreSnapshot, UpdatesSnapshot,
};
pub use report::{StatusReport, report_schema};
