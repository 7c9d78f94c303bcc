//! [`UpdateHooks`]: how the tray checks for and installs updates without knowing the updater.
//! The binary owns self-update (its feature, its manifest, its restart); it hands the desktop
//! two callbacks, and the menu has update entries only when it does.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What an update check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateCheck {
    /// Nothing newer on the channel.
    UpToDate {
        /// The version installed.
        installed: String,
    },
    /// A newer release the channel takes.
    Available {
        /// Its version.
        version: String,
    },
    /// The check could not be made.
    Failed {
        /// Why, as the updater says it.
        why: String,
    },
}

/// A boxed future, for callbacks.
type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Checks the update manifest.
pub type CheckUpdate = Arc<dyn Fn() -> Boxed<UpdateCheck> + Send + Sync>;

/// Installs the version given and, on success, has the node restart into it; `Err` says why
/// it could not.
pub type InstallUpdate = Arc<dyn Fn(String) -> Boxed<Result<(), String>> + Send + Sync>;

/// The binary's update callbacks.
#[derive(Clone)]
pub struct UpdateHooks {
    /// "Check for updates".
    pub check: CheckUpdate,
    /// "Install update X.Y.Z", on the user's click.
    pub install: InstallUpdate,
}

impl std::fmt::Debug for UpdateHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateHooks").finish_non_exhaustive()
    }
}

/// Where the tray's update entries are.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum UpdateView {
    /// Not checked since the start.
    NotChecked,
    /// A check runs.
    Checking,
    /// The latest check found nothing newer.
    UpToDate(String),
    /// The latest check found this version.
    Available(String),
    /// This version is being installed.
    Installing(String),
    /// The latest check or install failed.
    Failed(String),
}

impl UpdateView {
    /// The tooltip's update line.
    pub(crate) fn line(&self) -> Option<String> {
        match self {
            Self::NotChecked => None,
            Self::Checking => Some("checking for updates".to_owned()),
            Self::UpToDate(installed) => Some(format!("up to date ({installed})")),
            Self::Available(version) => {
                Some(format!("update {version} available: Install update in the menu"))
            }
            Self::Installing(version) => Some(format!("installing update {version}")),
            Self::Failed(why) => Some(format!("update failed: {why}")),
        }
    }
}

impl From<UpdateCheck> for UpdateView {
    fn from(check: UpdateCheck) -> Self {
        match check {
            UpdateCheck::UpToDate { installed } => Self::UpToDate(installed),
            UpdateCheck::Available { version } => Self::Available(version),
            UpdateCheck::Failed { why } => Self::Failed(why),
        }
    }
}
