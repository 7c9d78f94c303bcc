//! The action journal: one JSON line per completed action, append-only.
//!
//! Records live at `<journal_dir>/<owner>/<repo>/<YYYY-MM-DD>.jsonl` (UTC date). A record
//! holds ids, SHAs-free structural fields, timestamps and counts only — never free text from
//! the forge — so the journal is safe to use as training data. The [`writer`] appends each
//! record with one `write` on an `O_APPEND` file and fsyncs per the configured policy; the
//! [`reader`] skips a line torn by a crash mid-write, with a warning, and the writer starts the
//! next record on a fresh line so one crash never corrupts later records.
//!
//! This crate is *not* a store: it never updates or deletes a record, and it knows nothing of
//! idempotency keys or cycles beyond the numbers it is given.
#![deny(missing_docs)]

mod path;
pub mod reader;
mod record;
pub mod writer;

pub use path::{journal_file, repo_dir};
pub use reader::{ReadFilter, ReadOutcome, ReadWarning, read_journal, read_lines};
pub use record::{JournalRecord, RecordResult, SignalSnapshot};
pub use writer::{FsyncPolicy, JournalWriter};

use std::path::PathBuf;

/// The JSON Schema of a journal record, as shipped in `docs/schema/journal-record.schema.json`.
#[must_use]
pub fn record_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(JournalRecord)).expect("a schema is plain JSON")
}

/// A journal operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// A repository owner or name that must not become a path.
    #[error("journal path for {what} {value:?} refused: {rule}")]
    UnsafeName {
        /// `owner` or `repo`.
        what: &'static str,
        /// The rejected value (truncated).
        value: String,
        /// What is accepted.
        rule: &'static str,
    },
    /// A filesystem operation failed.
    // The OS error is part of the message and deliberately not the error's `source()`: callers
    // print the whole chain on one line, and it would appear twice.
    #[error("journal {operation} {path}: {error}; check the journal directory's owner and permissions or choose another with --journal-dir", path = path.display())]
    Io {
        /// What was being done (`create directory`, `append to`, ...).
        operation: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// A record could not be encoded.
    #[error("journal record could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
}

impl JournalError {
    fn io(operation: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |error| Self::Io { operation, path, error }
    }
}
