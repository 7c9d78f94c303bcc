//! Appending records: one `write` per record on an `O_APPEND` file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use crate::JournalError;
use crate::path::journal_file;
use crate::record::JournalRecord;

/// When appended records are forced to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// `fsync` after every record (and the directory after creating a file): a record the
    /// runner saw written survives a power cut.
    #[default]
    PerRecord,
    /// Leave flushing to the OS: faster, but the last seconds of records may be lost on a
    /// power cut (never on a process crash).
    Never,
}

impl FromStr for FsyncPolicy {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value {
            "per-record" => Ok(Self::PerRecord),
            "never" => Ok(Self::Never),
            _ => Err("per-record or never".to_owned()),
        }
    }
}

impl std::fmt::Display for FsyncPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::PerRecord => "per-record",
            Self::Never => "never",
        })
    }
}

/// Appends records under a journal directory.
#[derive(Debug)]
pub struct JournalWriter {
    dir: PathBuf,
    fsync: FsyncPolicy,
    // Serializes appends of this process so the torn-line check and the write are one step.
    append_lock: Mutex<()>,
}

impl JournalWriter {
    /// A writer under `dir` (created on first append).
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>, fsync: FsyncPolicy) -> Self {
        Self { dir: dir.into(), fsync, append_lock: Mutex::new(()) }
    }

    /// The journal directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the journal directory if needed and checks a file can be created in it, so an
    /// unusable directory stops a node at start rather than after its first action (which
    /// would then be performed but not journaled).
    pub fn check_writable(&self) -> Result<(), JournalError> {
        std::fs::create_dir_all(&self.dir).map_err(JournalError::io("create directory", &self.dir))?;
        let probe = self.dir.join(format!(".core-ide-probe-{}", std::process::id()));
        File::create(&probe).map_err(JournalError::io("create a file in", &self.dir))?;
        std::fs::remove_file(&probe).map_err(JournalError::io("remove", &probe))
    }

    /// Appends `record` to its repository's file for the record's UTC date and returns the
    /// file's path.
    pub fn append(&self, record: &JournalRecord) -> Result<PathBuf, JournalError> {
        let path = journal_file(&self.dir, &record.repo, record.ts.date_naive());
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        let _guard = self.append_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (mut file, created) = open_for_append(&path)?;
        if ends_torn(&file, &path)? {
            // A crash cut the previous record short: start ours on a fresh line so the torn
            // fragment stays one unreadable line instead of swallowing this record.
            line.insert(0, b'\n');
        }
        if jobrunner_core::crash_point::due(jobrunner_core::crash_point::MID_JOURNAL_APPEND) {
            let half = &line[..line.len() / 2];
            file.write_all(half)
                .and_then(|()| file.sync_data())
                .map_err(JournalError::io("append to", &path))?;
            jobrunner_core::crash_point::halt(jobrunner_core::crash_point::MID_JOURNAL_APPEND);
        }
        file.write_all(&line).map_err(JournalError::io("append to", &path))?;
        if self.fsync == FsyncPolicy::PerRecord {
            file.sync_data().map_err(JournalError::io("fsync", &path))?;
            if created {
                sync_dir(path.parent().unwrap_or(&self.dir))?;
            }
        }
        Ok(path)
    }
}

fn open_for_append(path: &Path) -> Result<(File, bool), JournalError> {
    let dir = path.parent().expect("a journal file always has a repository directory");
    std::fs::create_dir_all(dir).map_err(JournalError::io("create directory", dir))?;
    let created = !path.exists();
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(JournalError::io("open", path))?;
    Ok((file, created))
}

/// True when the file is not empty and its last byte is not a newline.
fn ends_torn(file: &File, path: &Path) -> Result<bool, JournalError> {
    let len = file.metadata().map_err(JournalError::io("inspect", path))?.len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1).map_err(JournalError::io("read the end of", path))?;
    Ok(last[0] != b'\n')
}

fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(JournalError::io("fsync directory", dir))
}
