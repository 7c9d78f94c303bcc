//! The state store of a core-ide node: the only crate that speaks SQL.
//!
//! A node keeps here what must outlive a cycle or a restart, one trait per concern: the
//! idempotency ledger (each action key claimed once, then confirmed or released, and the
//! signal each claim was decided on: [`Ledger`]), the snapshots a source keeps so an idle
//! cycle is free ([`SnapshotCache`]), the count of fix commands sent without progress
//! ([`FixCounts`]), what waiting PRs wait on ([`Waits`]), cycle records ([`CycleLog`]) and the
//! node's identity ([`Identity`]). [`Store`] is all of them at once, the port the runner
//! holds, with two implementations:
//! - [`SqliteStore`], the embedded store of a single node at `<data_dir>/state.db`;
//! - [`PgStore`], a fleet node's store in the PostgreSQL database all nodes share
//!   (`CORE_DATABASE_URL`): same tables, same statements, same meaning, and the ledger's
//!   insert-if-absent claim makes each key claimed by exactly one node of the fleet.
//!
//! [`PgStore`] also implements [`FleetStore`], the fleet's coordination ([`fleet`]): node
//! membership with heartbeats (a live node id cannot be taken twice), repo leases split fairly
//! between the live nodes without thrash, and the database clock, all computed with the
//! database's `now()` so nodes with skewed clocks agree.
//!
//! It is *not* a cache of forge text (the payloads it keeps are structural summaries chosen by
//! the adapter), not the journal (that is `jobrunner-journal`, append-only JSONL), and it makes
//! no decisions: what to claim, retry or settle is the runner's call.
//!
//! # Written for SQLite and PostgreSQL
//!
//! Each concern is implemented once for both stores, in its module beside its statements, over
//! a private `Backend` trait each store implements in a few lines (run a statement, map its
//! failure). The tables have the same definition in both databases (each has its own migration
//! sequence, PostgreSQL's first migration being SQLite's schema statement for statement), so
//! the statements are written in the SQL the two share:
//! - binds are `$1`-style (SQLite accepts `$N` and sqlx-sqlite binds it by number);
//! - columns are TEXT and BIGINT only: timestamps are fixed-width RFC 3339 UTC text with
//!   microseconds (text order is time order), JSON is text, unsigned counts are checked into
//!   `i64` rather than wrapped;
//! - upserts are `INSERT ... ON CONFLICT ... DO NOTHING / DO UPDATE SET ... = excluded....`,
//!   results come back with `RETURNING`, and each write is one statement, so atomicity never
//!   depends on a transaction's isolation level;
//! - the optional review time of an action key is `''` when absent, because NULLs are
//!   distinct in keys of both databases.
//!
//! The SQLite-only statements (the node-identity rule, `sqlite_master`, `PRAGMA`) live in
//! [`SqliteStore`]'s module. The fleet's tables and statements are PostgreSQL's alone
//! (`TIMESTAMPTZ`, `now()`, arrays, a table lock for lease rebalancing) and live in [`fleet`].
//!
//! # Tests
//!
//! With the `test-support` feature, `testing::TestDatabase` gives each test a fresh database
//! on a real PostgreSQL server (never skipped when there is none: the test fails and says how
//! to start one with `scripts/postgres-for-tests.sh`).
#![deny(missing_docs)]

mod columns;
pub mod cycles;
mod error;
pub mod fix_commands;
pub mod fleet;
pub mod identity;
pub mod ledger;
mod lock;
mod migrations;
mod postgres;
mod postgres_url;
pub mod pr_waits;
pub mod snapshots;
mod sqlite;
mod statement;
mod store;
#[cfg(feature = "test-support")]
pub mod testing;

pub use cycles::{CycleEnd, CycleLog, CycleOutcome, CycleRecord};
pub use error::{DatabaseCause, StoreError};
pub use fix_commands::{FixCommands, FixCounts};
pub use fleet::{CLOCK_SKEW_BOUND, FleetMember, FleetStore, RepoLease};
pub use identity::{Identity, NodeRecord};
pub use ledger::{Claim, KeyStatus, Ledger, Outcome, RefusedAction};
pub use lock::{DataDirLock, LOCK_FILE};
pub use migrations::{POSTGRES_SCHEMA_VERSION, SCHEMA_VERSION};
pub use postgres::PgStore;
pub use pr_waits::{PrWait, Waits};
pub use snapshots::SnapshotCache;
pub use sqlite::{STATE_DB_FILE, SqliteStore};
pub use store::Store;
