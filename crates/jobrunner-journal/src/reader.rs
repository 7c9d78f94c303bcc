//! Reading records back, skipping lines a crash left unreadable.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use jobrunner_core::RepoSlug;

use crate::JournalError;
use crate::record::JournalRecord;

/// Which records to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadFilter {
    /// Only this repository.
    pub repo: Option<RepoSlug>,
    /// Only files dated on or after this UTC day.
    pub since: Option<NaiveDate>,
}

/// A line that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadWarning {
    /// The file's last line has no newline and does not parse: a crash cut it short.
    TornLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// A complete line that does not parse as a record (a torn line followed by later
    /// appends, or a line written by something else).
    UnreadableLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Why it does not parse.
        error: String,
    },
    /// An entry named like a journal file that is not a regular file (a directory, a socket):
    /// skipped, so it cannot fail the whole read.
    NotAFile {
        /// The entry.
        path: PathBuf,
    },
}

impl std::fmt::Display for ReadWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TornLine { path, line } => {
                write!(f, "skipped torn last line {line} of {} (a crash cut it short)", path.display())
            }
            Self::UnreadableLine { path, line, error } => {
                write!(f, "skipped unreadable line {line} of {}: {error}", path.display())
            }
            Self::NotAFile { path } => {
                write!(f, "skipped {}: named like a journal file but not a regular file", path.display())
            }
        }
    }
}

/// Records read, oldest first, and the lines skipped.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    /// The records, ordered by timestamp.
    pub records: Vec<JournalRecord>,
    /// Lines that were skipped, in file order.
    pub warnings: Vec<ReadWarning>,
}

/// Reads every record under `journal_dir` that passes `filter`. A missing directory reads as
/// an empty journal.
pub fn read_journal(journal_dir: &Path, filter: &ReadFilter) -> Result<ReadOutcome, JournalError> {
    let mut outcome = ReadOutcome::default();
    for file in journal_files(journal_dir, filter)? {
        // `is_file` follows symlinks, as reading does.
        if file.is_file() {
            read_file(&file, &mut outcome)?;
        } else {
            outcome.warnings.push(ReadWarning::NotAFile { path: file });
        }
    }
    outcome.records.sort_by_key(|r| r.ts);
    Ok(outcome)
}

fn journal_files(journal_dir: &Path, filter: &ReadFilter) -> Result<Vec<PathBuf>, JournalError> {
    let mut repo_dirs = Vec::new();
    for owner in subdirs(journal_dir)? {
        // GitHub names are case-insensitive and a journal written before names were held in
        // lower case may sit under `Octo/App`: the filter matches directories in any case.
        if filter.repo.as_ref().is_some_and(|r| !dir_name_is(&owner, r.owner.as_str())) {
            continue;
        }
        for repo in subdirs(&owner)? {
            if filter.repo.as_ref().is_none_or(|r| dir_name_is(&repo, r.name.as_str())) {
                repo_dirs.push(repo);
            }
        }
    }
    let mut files = Vec::new();
    for dir in repo_dirs {
        for entry in list(&dir)? {
            let date = entry
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".jsonl"))
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            if date.is_some_and(|d| filter.since.is_none_or(|since| d >= since)) {
                files.push(entry);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn dir_name_is(dir: &Path, name: &str) -> bool {
    dir.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.eq_ignore_ascii_case(name))
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>, JournalError> {
    Ok(list(dir)?.into_iter().filter(|p| p.is_dir()).collect())
}

fn list(dir: &Path) -> Result<Vec<PathBuf>, JournalError> {
    match fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.map(|e| e.path()).map_err(JournalError::io("list", dir))).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(JournalError::io("list", dir)(e)),
    }
}

fn read_file(path: &Path, outcome: &mut ReadOutcome) -> Result<(), JournalError> {
    let bytes = fs::read(path).map_err(JournalError::io("read", path))?;
    read_lines(path, &bytes, outcome);
    Ok(())
}

/// The records of one journal file's `bytes` (named `path` in warnings), appended to
/// `outcome` in file order: what [`read_journal`] does with each file, without the
/// filesystem (the journal reader's fuzz target calls it).
pub fn read_lines(path: &Path, bytes: &[u8], outcome: &mut ReadOutcome) {
    let ends_with_newline = bytes.last() == Some(&b'\n');
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    // `split` yields an empty tail after a final newline: it is not a line.
    let count = if ends_with_newline { lines.len() - 1 } else { lines.len() };
    for (index, line) in lines.iter().take(count).enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<JournalRecord>(line) {
            Ok(record) => outcome.records.push(record),
            Err(_) if index + 1 == count && !ends_with_newline => {
                outcome.warnings.push(ReadWarning::TornLine { path: path.to_owned(), line: index + 1 });
            }
            Err(error) => outcome.warnings.push(ReadWarning::UnreadableLine {
                path: path.to_owned(),
                line: index + 1,
                // Category and column only: serde_json's message may quote the line's text.
                error: format!("{:?} error at column {}", error.classify(), error.column()),
            }),
        }
    }
}
