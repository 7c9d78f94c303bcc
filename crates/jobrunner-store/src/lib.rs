//! The state store of a core-ide node: the only crate that speaks SQL.
//!
//! A node keeps here what must outlive a cycle or a restart: the idempotency ledger (each
//! action key claimed once, then confirmed or released: [`ledger`]), the ETag cache that makes
//! an idle cycle free ([`etags`]), the structural state last seen per PR, the count of fix
//! commands sent without progress ([`fix_commands`]), cycle records ([`cycles`]) and the node's
//! identity ([`identity`]). The [`Store`] trait is the port; [`SqliteStore`] is the embedded
//! implementation at `<data_dir>/state.db`.
//!
//! It is *not* a cache of forge text (the payloads it keeps are structural summaries chosen by
//! the adapter), not the journal (that is `jobrunner-journal`, append-only JSONL), and it makes
//! no decisions: what to claim, retry or settle is the runner's call.
//!
//! # Written for SQLite and PostgreSQL
//!
//! The fleet's PostgreSQL store will implement [`Store`] with the same migrations and the same
//! statements, so both are written in the SQL the two share:
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
//! [`SqliteStore`]'s module.
#![deny(missing_docs)]

mod columns;
pub mod cycles;
mod error;
pub mod etags;
pub mod fix_commands;
pub mod identity;
pub mod ledger;
mod migrations;
mod pr_states;
mod sqlite;
mod store;

pub use cycles::{CycleEnd, CycleOutcome, CycleRecord};
pub use error::{DatabaseCause, StoreError};
pub use etags::CachedEtag;
pub use identity::NodeRecord;
pub use ledger::{Claim, KeyStatus, Outcome};
pub use migrations::SCHEMA_VERSION;
pub use sqlite::{STATE_DB_FILE, SqliteStore};
pub use store::Store;
