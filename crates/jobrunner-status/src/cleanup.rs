//! `core-status cleanup-orphans`: stale leftovers of interrupted writes under the data and
//! journal directories.
//!
//! Candidates are regular files named `*.tmp`, `*.part`, `*.lock` or `*.swp` older than the
//! maximum age, and with `caches`, empty or invalid files under `<data_dir>/cache/` (core-ide
//! keeps its ETag cache in the state database today, so that directory only holds leftovers).
//! A journal record file (`*.jsonl` under the journal directory) and the state database
//! (`state.db*`) are never candidates. Symbolic links are neither followed nor deleted, so
//! nothing outside the two directories is ever touched.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use schemars::JsonSchema;
use serde::Serialize;

/// The directory under the data directory where cache files would live.
pub const CACHE_DIR: &str = "cache";

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupOptions {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The journal directory.
    pub journal_dir: PathBuf,
    /// Files younger than this are left alone: a writer may still own them.
    pub max_age: Duration,
    /// Also look for empty or invalid cache files.
    pub caches: bool,
    /// Now.
    pub now: SystemTime,
}

/// Why a file is an orphan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrphanKind {
    /// `*.tmp`: a temporary file a write never renamed into place.
    Temporary,
    /// `*.part`: a partial download.
    Partial,
    /// `*.lock`: a lock file whose owner is gone.
    Lock,
    /// `*.swp`: an editor's swap file.
    Swap,
    /// An empty file under the cache directory.
    EmptyCache,
    /// A `*.json` file under the cache directory that does not parse.
    InvalidCache,
}

impl OrphanKind {
    /// How the kind reads in a listing.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Temporary => "temporary file",
            Self::Partial => "partial download",
            Self::Lock => "stale lock",
            Self::Swap => "editor swap file",
            Self::EmptyCache => "empty cache file",
            Self::InvalidCache => "invalid cache file",
        }
    }
}

/// A stale file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Orphan {
    /// The file.
    pub path: PathBuf,
    /// Why it is an orphan.
    pub kind: OrphanKind,
    /// Its size.
    pub bytes: u64,
    /// Seconds since it was last modified.
    pub age_secs: u64,
    /// The directory it was found under (the data or the journal directory).
    #[serde(skip)]
    root: PathBuf,
}

/// What a scan found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The orphans, by path.
    pub orphans: Vec<Orphan>,
    /// Directories that could not be listed, with the reason.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Finds the orphans under the data and journal directories. Missing directories hold none.
#[must_use]
pub fn scan(options: &CleanupOptions) -> Scan {
    let canonical = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    let places = Places {
        journal_dir: canonical(&options.journal_dir),
        cache_dir: canonical(&options.data_dir.join(CACHE_DIR)),
    };
    let mut scan = Scan::default();
    for root in roots(options) {
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => {
                    scan.unreadable.push((dir, error.to_string()));
                    continue;
                }
            };
            for entry in entries.filter_map(Result::ok) {
                // `file_type` does not follow symbolic links: a link is neither a file nor a
                // directory here, so it is never followed, listed or deleted.
                let Ok(file_type) = entry.file_type() else { continue };
                let path = entry.path();
                if file_type.is_dir() {
                    dirs.push(path);
                } else if file_type.is_file()
                    && let Some(orphan) = classify(&path, &root, &places, options)
                {
                    scan.orphans.push(orphan);
                }
            }
        }
    }
    scan.orphans.sort_by(|a, b| a.path.cmp(&b.path));
    scan
}

/// The directories to walk: both, unless one lies inside the other.
fn roots(options: &CleanupOptions) -> Vec<PathBuf> {
    let canonical = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
    let (data, journal) = (canonical(&options.data_dir), canonical(&options.journal_dir));
    if journal.starts_with(&data) {
        vec![data]
    } else if data.starts_with(&journal) {
        vec![journal]
    } else {
        vec![data, journal]
    }
}

/// Where journal records and cache files live, resolved once per scan.
struct Places {
    journal_dir: PathBuf,
    cache_dir: PathBuf,
}

fn classify(path: &Path, root: &Path, places: &Places, options: &CleanupOptions) -> Option<Orphan> {
    if is_protected(path, places) {
        return None;
    }
    let meta = fs::symlink_metadata(path).ok()?;
    let age = meta.modified().ok().and_then(|m| options.now.duration_since(m).ok()).unwrap_or_default();
    if age < options.max_age {
        return None;
    }
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
    let kind = match extension {
        "tmp" => OrphanKind::Temporary,
        "part" => OrphanKind::Partial,
        "lock" => OrphanKind::Lock,
        "swp" => OrphanKind::Swap,
        _ if options.caches && path.starts_with(&places.cache_dir) => {
            cache_kind(path, meta.len(), extension)?
        }
        _ => return None,
    };
    Some(Orphan {
        path: path.to_owned(),
        kind,
        bytes: meta.len(),
        age_secs: age.as_secs(),
        root: root.to_owned(),
    })
}

fn cache_kind(path: &Path, bytes: u64, extension: &str) -> Option<OrphanKind> {
    if bytes == 0 {
        return Some(OrphanKind::EmptyCache);
    }
    let text = fs::read(path).ok()?;
    (extension == "json" && serde_json::from_slice::<serde_json::Value>(&text).is_err())
        .then_some(OrphanKind::InvalidCache)
}

/// Journal record files and the state database, whatever else is true of them.
fn is_protected(path: &Path, places: &Places) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let record = path.extension().is_some_and(|e| e == "jsonl") && path.starts_with(&places.journal_dir);
    record || name.starts_with(jobrunner_store::STATE_DB_FILE)
}

impl Orphan {
    /// Deletes the file, after checking again that it is a regular file and that no part of
    /// its path below the directory it was found in became a symbolic link since the scan.
    pub fn delete(&self) -> io::Result<()> {
        let relative =
            self.path.strip_prefix(&self.root).map_err(|_| refused("outside the directory scanned"))?;
        let mut current = self.root.clone();
        for part in relative.components() {
            current.push(part);
            if fs::symlink_metadata(&current)?.file_type().is_symlink() {
                return Err(refused("a symbolic link appeared in its path"));
            }
        }
        if !fs::symlink_metadata(&self.path)?.is_file() {
            return Err(refused("no longer a regular file"));
        }
        fs::remove_file(&self.path)
    }

    /// `/data/x.tmp  temporary file, 12 B, 3d 2h old`.
    #[must_use]
    pub fn line(&self) -> String {
        let age = crate::format::coarse_duration(Duration::from_secs(self.age_secs));
        format!("{}  {}, {} B, {age} old", self.path.display(), self.kind.describe(), self.bytes)
    }
}

fn refused(why: &str) -> io::Error {
    io::Error::other(format!("not deleted: {why}"))
}
