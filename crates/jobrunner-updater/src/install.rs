//! The install prefix: releases side by side, a `current` symlink switched atomically, and the
//! health gate that rolls an update back when the new binary never says it is healthy.
//!
//! ```text
//! <prefix>/releases/<version>/core-ide   each installed release (0755)
//! <prefix>/releases/.tmp-<version>       a download in progress
//! <prefix>/current -> releases/<version> the release that runs
//! <prefix>/pending                       new=<version> previous=<version>: switched, not yet healthy
//! <prefix>/failed                        versions that never reported healthy, one a line
//! <prefix>/highest-installed             the highest version confirmed healthy
//! ```

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use semver::Version;

use crate::error::InstallError;

/// The binary's file name inside a release directory.
pub const BINARY: &str = "core-ide";

/// An install prefix (`/opt/core-ide`, `~/.local/share/core-ide`).
#[derive(Debug, Clone)]
pub struct InstallPrefix {
    root: PathBuf,
}

/// An update switched to and not yet confirmed healthy (`<prefix>/pending`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The version switched to.
    pub new: Version,
    /// The version switched from, if any.
    pub previous: Option<Version>,
}

/// What [`InstallPrefix::rollback_if_pending`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledBack {
    /// The version that never reported healthy, now marked failed.
    pub failed: Version,
    /// The version `current` points at again.
    pub restored: Version,
}

impl std::fmt::Display for RolledBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} never reported healthy: back on {}, and {} will not be installed again",
            self.failed, self.restored, self.failed
        )
    }
}

impl InstallPrefix {
    /// The prefix at `root`; nothing is read or created yet.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The prefix's directory.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<prefix>/releases/<version>`.
    #[must_use]
    pub fn release_dir(&self, version: &Version) -> PathBuf {
        self.root.join("releases").join(version.to_string())
    }

    /// Where a download of `version` is written before it is checked (beside the releases, so
    /// that installing it is a rename on the same file system).
    #[must_use]
    pub fn download_path(&self, version: &Version) -> PathBuf {
        self.root.join("releases").join(format!(".tmp-{version}"))
    }

    /// The binary `current` points at: what a service unit runs.
    #[must_use]
    pub fn current_binary(&self) -> PathBuf {
        self.root.join("current").join(BINARY)
    }

    /// The version `current` points at, if any.
    pub fn current(&self) -> Result<Option<Version>, InstallError> {
        let link = self.root.join("current");
        let target = match fs::read_link(&link) {
            Ok(target) => target,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(InstallError::io("read the symlink", link, e)),
        };
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        Version::parse(name).map(Some).map_err(|e| InstallError::Corrupt {
            path: link,
            why: format!("points at {}, not releases/<version> ({e})", target.display()),
        })
    }

    /// The highest version confirmed healthy here.
    pub fn highest_installed(&self) -> Result<Option<Version>, InstallError> {
        Ok(self.read_versions("highest-installed")?.into_iter().max())
    }

    /// Versions that never reported healthy.
    pub fn failed(&self) -> Result<Vec<Version>, InstallError> {
        self.read_versions("failed")
    }

    /// The update awaiting its health confirmation, if any.
    pub fn pending(&self) -> Result<Option<Pending>, InstallError> {
        let path = self.root.join("pending");
        let Some(text) = read_optional(&path)? else { return Ok(None) };
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .map(|v| Version::parse(v.trim()))
                .transpose()
                .map_err(|e| InstallError::Corrupt { path: path.clone(), why: format!("{key}: {e}") })
        };
        let new = field("new")?
            .ok_or_else(|| InstallError::Corrupt { path: path.clone(), why: "no new=".into() })?;
        Ok(Some(Pending { new, previous: field("previous")? }))
    }

    /// Installs the checked download of `version` (at [`Self::download_path`]) and switches
    /// `current` to it, keeping the previous release. A `pending` marker naming both is written
    /// before the switch: until [`Self::confirm_healthy`] removes it, the next start rolls back.
    ///
    /// On any failure before the switch the prefix is left as it was (the download removed).
    pub fn install(&self, version: &Version) -> Result<Pending, InstallError> {
        let download = self.download_path(version);
        let result = self.install_download(version, &download);
        if result.is_err() {
            let _ = fs::remove_file(&download);
        }
        result
    }

    fn install_download(&self, version: &Version, download: &Path) -> Result<Pending, InstallError> {
        let previous = self.current()?;
        let dir = self.release_dir(version);
        let existed = dir.exists();
        fs::create_dir_all(&dir).map_err(|e| InstallError::io("create", &dir, e))?;
        let undo = |e: InstallError| {
            if !existed {
                let _ = fs::remove_dir_all(&dir);
            }
            e
        };
        let binary = dir.join(BINARY);
        fs::set_permissions(download, fs::Permissions::from_mode(0o755))
            .map_err(|e| undo(InstallError::io("make executable", download, e)))?;
        fs::rename(download, &binary).map_err(|e| undo(InstallError::io("move into place", &binary, e)))?;
        let pending = Pending { new: version.clone(), previous: previous.filter(|p| p != version) };
        let marker = match &pending.previous {
            Some(previous) => format!("new={}\nprevious={previous}\n", pending.new),
            None => format!("new={}\n", pending.new),
        };
        self.write_atomically("pending", &marker).map_err(undo)?;
        if let Err(e) = self.switch_to(version) {
            let _ = fs::remove_file(self.root.join("pending"));
            return Err(undo(e));
        }
        Ok(pending)
    }

    /// Points `current` at `version`'s release atomically: a `current.new` symlink renamed over
    /// `current`, so a reader sees the old target or the new one, never none.
    pub fn switch_to(&self, version: &Version) -> Result<(), InstallError> {
        let staged = self.root.join("current.new");
        let _ = fs::remove_file(&staged);
        let target = Path::new("releases").join(version.to_string());
        std::os::unix::fs::symlink(&target, &staged)
            .map_err(|e| InstallError::io("create the symlink", &staged, e))?;
        let current = self.root.join("current");
        if let Err(e) = fs::rename(&staged, &current) {
            let _ = fs::remove_file(&staged);
            return Err(InstallError::io("switch", current, e));
        }
        self.sync_root();
        Ok(())
    }

    /// The running binary is healthy: removes the `pending` marker and records its version as
    /// the highest installed when it is.
    pub fn confirm_healthy(&self) -> Result<(), InstallError> {
        let confirmed = match self.pending()? {
            Some(pending) => Some(pending.new),
            None => self.current()?,
        };
        if let Some(version) = confirmed
            && self.highest_installed()?.is_none_or(|h| version > h)
        {
            self.write_atomically("highest-installed", &format!("{version}\n"))?;
        }
        remove_optional(&self.root.join("pending"))
    }

    /// Run at start: when a `pending` marker is still there the binary switched to never
    /// reported healthy, so `current` goes back to the previous release and the new version is
    /// recorded as failed, never to be chosen again. `None` when nothing was pending.
    pub fn rollback_if_pending(&self) -> Result<Option<RolledBack>, InstallError> {
        let Some(pending) = self.pending()? else { return Ok(None) };
        let Some(previous) = pending.previous else {
            return Err(InstallError::NothingToRollBackTo { version: pending.new });
        };
        self.roll_back(&pending.new, &previous).map(Some)
    }

    /// Points `current` at `restored` and records `failed` as a version never to be chosen
    /// again; any `pending` marker is removed. What [`Self::rollback_if_pending`] does, and
    /// `core-ide update --rollback` by hand.
    pub fn roll_back(&self, failed: &Version, restored: &Version) -> Result<RolledBack, InstallError> {
        self.switch_to(restored)?;
        let mut failed_versions = self.failed()?;
        if !failed_versions.contains(failed) {
            failed_versions.push(failed.clone());
        }
        let text = failed_versions.iter().map(|v| format!("{v}\n")).collect::<Vec<_>>().concat();
        self.write_atomically("failed", &text)?;
        remove_optional(&self.root.join("pending"))?;
        Ok(RolledBack { failed: failed.clone(), restored: restored.clone() })
    }

    /// The versions installed under `releases/` (downloads in progress and other names
    /// skipped), lowest first.
    pub fn releases(&self) -> Result<Vec<Version>, InstallError> {
        let dir = self.root.join("releases");
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(InstallError::io("read", dir, e)),
        };
        let mut versions: Vec<Version> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().join(BINARY).is_file())
            .filter_map(|e| Version::parse(e.file_name().to_str()?).ok())
            .collect();
        versions.sort();
        Ok(versions)
    }

    fn read_versions(&self, name: &str) -> Result<Vec<Version>, InstallError> {
        let path = self.root.join(name);
        let Some(text) = read_optional(&path)? else { return Ok(Vec::new()) };
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                Version::parse(l)
                    .map_err(|e| InstallError::Corrupt { path: path.clone(), why: format!("{l:?}: {e}") })
            })
            .collect()
    }

    /// Writes `<prefix>/<name>` through a temporary file and a rename: never half written.
    fn write_atomically(&self, name: &str, text: &str) -> Result<(), InstallError> {
        let path = self.root.join(name);
        let staged = self.root.join(format!(".{name}.new"));
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&staged)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&staged);
            return Err(InstallError::io("write", &staged, e));
        }
        fs::rename(&staged, &path).map_err(|e| {
            let _ = fs::remove_file(&staged);
            InstallError::io("write", &path, e)
        })?;
        self.sync_root();
        Ok(())
    }

    /// Makes the prefix's renames durable; best effort (a failure here loses no data that a
    /// crash would not).
    fn sync_root(&self) {
        if let Ok(dir) = fs::File::open(&self.root) {
            let _ = dir.sync_all();
        }
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, InstallError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(InstallError::io("read", path, e)),
    }
}

fn remove_optional(path: &Path) -> Result<(), InstallError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(InstallError::io("remove", path, e)),
    }
}
