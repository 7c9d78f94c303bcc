//! The install prefix: releases side by side, a `current` symlink switched atomically, and the
//! health gate that rolls an update back when the new binary never says it is healthy.
//!
//! ```text
//! <prefix>/releases/<version>/core-ide   each installed release (0755)
//! <prefix>/releases/.tmp-<version>       a download in progress
//! <prefix>/current -> releases/<version> the release that runs
//! <prefix>/previous -> releases/<version> the release before it (what an OnFailure= unit runs)
//! <prefix>/pending                       new=<version> previous=<version> [started]: not yet healthy
//! <prefix>/failed                        versions that never reported healthy, one a line: `<version> <why>`
//! <prefix>/highest-installed             the highest version confirmed healthy
//! ```
//!
//! The health gate, as a start sees it ([`InstallPrefix::start_gate`]): the binary switched
//! to finds `pending` naming its own version. On its first start it marks the trial `started`
//! and must call [`InstallPrefix::confirm_healthy`] before its deadline, else it calls
//! [`InstallPrefix::fail_trial`]. A start that finds its trial already `started` is a second
//! start without a health report (it crashed, or was killed): it rolls back at once.

use std::fmt::Write as _;
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
    /// The new version has started once already (and has not confirmed yet).
    pub started: bool,
}

/// What a start of the binary finds in the prefix ([`InstallPrefix::start_gate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartGate {
    /// No update awaits this binary's health report: nothing pending, or the pending update is
    /// another version than the one running.
    Settled,
    /// This binary is the update, on its first start (now marked started): it must report
    /// healthy ([`InstallPrefix::confirm_healthy`]) or give up ([`InstallPrefix::fail_trial`]).
    OnTrial(Pending),
    /// This binary is the update and had started before without reporting healthy: `current`
    /// points at the previous release again, which is what should run now.
    RolledBack(RolledBack),
    /// This binary is the update, started before without reporting healthy, and there is no
    /// previous release to go back to (the first install into the prefix): it runs on trial
    /// again.
    NoWayBack(Pending),
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
        Ok(self.failures()?.into_iter().map(|(version, _)| version).collect())
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
        let started = text.lines().any(|l| l.trim() == "started");
        Ok(Some(Pending { new, previous: field("previous")?, started }))
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
        let pending =
            Pending { new: version.clone(), previous: previous.filter(|p| p != version), started: false };
        self.write_pending(&pending).map_err(undo)?;
        if let Err(e) = self.switch_to(version) {
            let _ = fs::remove_file(self.root.join("pending"));
            return Err(undo(e));
        }
        if let Some(previous) = &pending.previous {
            // Best effort: `previous` serves an OnFailure= unit; `pending` holds the truth.
            let _ = self.link("previous", previous);
        }
        Ok(pending)
    }

    fn write_pending(&self, pending: &Pending) -> Result<(), InstallError> {
        let mut marker = format!("new={}\n", pending.new);
        if let Some(previous) = &pending.previous {
            let _ = writeln!(marker, "previous={previous}");
        }
        if pending.started {
            marker.push_str("started\n");
        }
        self.write_atomically("pending", &marker)
    }

    /// The version of the binary at `exe` when it is one of this prefix's releases
    /// (`<prefix>/releases/<version>/core-ide`, through any symlink such as `current`): the
    /// prefix, not the version compiled in, says which release is running.
    #[must_use]
    pub fn release_of(&self, exe: &Path) -> Option<Version> {
        let exe = fs::canonicalize(exe).ok()?;
        let releases = fs::canonicalize(self.root.join("releases")).ok()?;
        let dir = exe.parent()?;
        if dir.parent()? != releases || exe.file_name()? != BINARY {
            return None;
        }
        Version::parse(dir.file_name()?.to_str()?).ok()
    }

    /// The version running: the release of this prefix the running executable is, else
    /// `compiled` (the version it was built as).
    #[must_use]
    pub fn running_version(&self, compiled: Version) -> Version {
        std::env::current_exe().ok().and_then(|exe| self.release_of(&exe)).unwrap_or(compiled)
    }

    /// Run first thing at every start of `running` (the version of this binary, see
    /// [`Self::release_of`]): whether it is an update on trial, and if it is on a second start
    /// without a health report, the rollback.
    pub fn start_gate(&self, running: &Version) -> Result<StartGate, InstallError> {
        let Some(pending) = self.pending()? else { return Ok(StartGate::Settled) };
        if &pending.new != running {
            return Ok(StartGate::Settled);
        }
        if !pending.started {
            let started = Pending { started: true, ..pending };
            self.write_pending(&started)?;
            return Ok(StartGate::OnTrial(started));
        }
        match &pending.previous {
            Some(previous) => Ok(StartGate::RolledBack(self.roll_back(
                &pending.new,
                previous,
                "started again without reporting healthy (it crashed or was stopped on trial)",
            )?)),
            None => Ok(StartGate::NoWayBack(pending)),
        }
    }

    /// The update on trial gives up (its deadline passed without a health report, say `why`):
    /// rolled back as [`Self::rollback_if_pending`] does.
    pub fn fail_trial(&self, why: &str) -> Result<Option<RolledBack>, InstallError> {
        let Some(pending) = self.pending()? else { return Ok(None) };
        let Some(previous) = pending.previous else {
            return Err(InstallError::NothingToRollBackTo { version: pending.new });
        };
        self.roll_back(&pending.new, &previous, why).map(Some)
    }

    /// Points `current` at `version`'s release atomically: a `current.new` symlink renamed over
    /// `current`, so a reader sees the old target or the new one, never none.
    pub fn switch_to(&self, version: &Version) -> Result<(), InstallError> {
        self.link("current", version)
    }

    /// Points the symlink `<prefix>/<name>` at `version`'s release atomically.
    fn link(&self, name: &str, version: &Version) -> Result<(), InstallError> {
        let staged = self.root.join(format!("{name}.new"));
        let _ = fs::remove_file(&staged);
        let target = Path::new("releases").join(version.to_string());
        std::os::unix::fs::symlink(&target, &staged)
            .map_err(|e| InstallError::io("create the symlink", &staged, e))?;
        let link = self.root.join(name);
        if let Err(e) = fs::rename(&staged, &link) {
            let _ = fs::remove_file(&staged);
            return Err(InstallError::io("switch", link, e));
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
        self.roll_back(&pending.new, &previous, "never reported healthy").map(Some)
    }

    /// Points `current` at `restored` and records `failed` as a version never to be chosen
    /// again, with `why`; any `pending` marker is removed. What [`Self::rollback_if_pending`]
    /// does, and `core-ide update --rollback` by hand.
    pub fn roll_back(
        &self,
        failed: &Version,
        restored: &Version,
        why: &str,
    ) -> Result<RolledBack, InstallError> {
        self.switch_to(restored)?;
        let path = self.root.join("failed");
        let mut text = read_optional(&path)?.unwrap_or_default();
        if !self.failed()?.contains(failed) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            // One line, whatever `why` holds: the file is read a line at a time.
            let why: String = why.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
            let _ = writeln!(text, "{failed} {why}");
            self.write_atomically("failed", &text)?;
        }
        remove_optional(&self.root.join("pending"))?;
        Ok(RolledBack { failed: failed.clone(), restored: restored.clone() })
    }

    /// Why each failed version failed, as [`Self::roll_back`] recorded it.
    pub fn failures(&self) -> Result<Vec<(Version, String)>, InstallError> {
        let path = self.root.join("failed");
        let Some(text) = read_optional(&path)? else { return Ok(Vec::new()) };
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (version, why) = l.split_once(' ').unwrap_or((l, ""));
                Version::parse(version).map(|v| (v, why.trim().to_owned())).map_err(|e| {
                    InstallError::Corrupt { path: path.clone(), why: format!("{version:?}: {e}") }
                })
            })
            .collect()
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
