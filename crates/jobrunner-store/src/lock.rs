//! [`DataDirLock`]: one process per data directory.
//!
//! Two processes on one SQLite store (an operator's `--once` beside the service) would each
//! settle the other's claims in flight as crash leftovers and journal an action twice. An
//! advisory lock on a file in the directory, held as long as the store is open, makes the
//! second one stop before it reads anything; the file holds the PID of the holder so the
//! refusal can name it. The lock is the kernel's (`flock`), so it is released however the
//! holder ends, `kill -9` included: no stale lock file to clean up.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::StoreError;

/// The lock file inside the data directory.
pub const LOCK_FILE: &str = "core-ide.lock";

/// The exclusive hold of a data directory, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DataDirLock {
    /// Kept open: closing it would release the lock.
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the lock of `data_dir` (which must exist), or fails with
    /// [`StoreError::DataDirBusy`] naming the process holding it.
    pub fn acquire(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join(LOCK_FILE);
        let unusable = |source: std::io::Error| StoreError::DataDir { path: path.clone(), source };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(unusable)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::DataDirBusy { dir: data_dir.to_owned(), holder: holder(&mut file) });
            }
            Err(TryLockError::Error(source)) => return Err(unusable(source)),
        }
        // The PID is only a hint for the refusal message: the lock itself is what excludes.
        file.set_len(0)
            .and_then(|()| file.write_all(format!("{}\n", std::process::id()).as_bytes()))
            .map_err(unusable)?;
        Ok(Self { _file: file, path })
    }

    /// The lock file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The PID the holder wrote, if it got that far.
fn holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(32).read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_hold_is_refused_naming_the_holder_and_freed_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        let refused = DataDirLock::acquire(dir.path()).unwrap_err();
        let StoreError::DataDirBusy { holder, .. } = &refused else { panic!("{refused}") };
        assert_eq!(*holder, Some(std::process::id()));
        assert!(refused.to_string().contains(&format!("PID {}", std::process::id())), "{refused}");
        drop(first);
        DataDirLock::acquire(dir.path()).expect("free again once the holder is gone");
    }
}
