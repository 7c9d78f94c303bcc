//! The `core-ide update` flow on top of the steps: what is installed and on offer ([`check`]),
//! installing the chosen release ([`apply`]), and going back by hand ([`rollback`]). The binary
//! only turns settings into an [`UpdateConfig`] and a result into an exit code.

use std::fmt;

use chrono::{DateTime, Utc};
use semver::Version;

use crate::channel::Channel;
use crate::choice::{Choice, NoUpdate, Situation, choose};
use crate::download::Downloader;
use crate::error::{DownloadError, InstallError};
use crate::install::{InstallPrefix, Pending, RolledBack};
use crate::signature::ReleaseKey;
use crate::source::ManifestSource;
use crate::{FetchError, fetch_located};

/// What an update acts on.
#[derive(Debug, Clone)]
pub struct UpdateConfig {
    /// Where the signed manifest is.
    pub source: ManifestSource,
    /// The channel followed.
    pub channel: Channel,
    /// The key the manifest must be signed with.
    pub key: ReleaseKey,
    /// Where releases are installed.
    pub prefix: InstallPrefix,
    /// The version of the running binary: what counts as installed while the prefix has none.
    pub running: Version,
    /// This build's target triple (normally [`crate::TARGET`]).
    pub target: String,
    /// Whether a release below the installed or highest installed one may be installed.
    pub allow_downgrade: bool,
}

/// The update settings as an operator writes them (`update_url`, `update_channel`,
/// `update_public_key`, `update_prefix`), before they are checked.
#[derive(Debug, Clone, Copy)]
pub struct UpdateSettings<'a> {
    /// `update_url`: the signed manifest's URL.
    pub url: &'a str,
    /// `update_channel`.
    pub channel: &'a str,
    /// `update_public_key`; `None`: the compiled-in release key.
    pub public_key: Option<&'a str>,
    /// `update_prefix`.
    pub prefix: &'a std::path::Path,
    /// The forge's REST API base URL, for `update_url = github:OWNER/NAME`.
    pub api_url: &'a str,
    /// The forge's token, to read a `github:` source's releases with.
    pub token: Option<&'a str>,
}

/// An update setting that cannot work, named with its variable and the fix.
#[derive(Debug, thiserror::Error)]
pub enum SettingError {
    /// `update_url` is not a URL.
    #[error("update_url {url:?} is not a URL ({why}): fix CORE_UPDATE_URL")]
    Url {
        /// The value.
        url: String,
        /// What the parser said.
        why: String,
    },
    /// `update_channel` is none of the channels.
    #[error("{0} (CORE_UPDATE_CHANNEL)")]
    Channel(#[from] crate::channel::UnknownChannel),
    /// `update_public_key` is not a key, or there is no key at all.
    #[error("{0} (CORE_UPDATE_PUBLIC_KEY)")]
    Key(#[from] crate::error::SignatureError),
}

impl UpdateConfig {
    /// The configuration `settings` describe, for this build's [`crate::TARGET`], with the
    /// running version read from the prefix ([`InstallPrefix::running_version`]).
    pub fn from_settings(
        settings: &UpdateSettings<'_>,
        compiled: Version,
        allow_downgrade: bool,
    ) -> Result<Self, SettingError> {
        let url = settings.url;
        let source = ManifestSource::parse(url, settings.api_url, settings.token)
            .map_err(|e| SettingError::Url { url: url.to_owned(), why: e.to_string() })?;
        let channel: Channel = settings.channel.parse()?;
        let key = match settings.public_key {
            Some(key) => ReleaseKey::from_base64(key),
            None => ReleaseKey::compiled_in(),
        }?;
        let prefix = InstallPrefix::new(settings.prefix);
        Ok(Self {
            running: prefix.running_version(compiled),
            source,
            channel,
            key,
            prefix,
            target: crate::TARGET.to_owned(),
            allow_downgrade,
        })
    }
}

/// Why an update could not be checked, installed or rolled back.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// The manifest could not be fetched, or is not to be trusted.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The release could not be downloaded, or does not match the manifest.
    #[error(transparent)]
    Download(#[from] DownloadError),
    /// The prefix could not be read or written.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// `--rollback` with no earlier release installed.
    #[error(
        "no release to roll back to in {prefix}: {installed} is the only one (or the lowest) installed there",
        prefix = prefix.display()
    )]
    NoPrevious {
        /// The prefix.
        prefix: std::path::PathBuf,
        /// The installed version.
        installed: Version,
    },
}

/// What [`check`] found: the versions and what [`apply`] would do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The channel followed.
    pub channel: Channel,
    /// The version `current` points at, or the running one when the prefix has none.
    pub installed: Version,
    /// Whether `installed` comes from the prefix (false: the running binary's version).
    pub in_prefix: bool,
    /// The release a rollback would go back to.
    pub previous: Option<Version>,
    /// An update installed and not yet confirmed healthy.
    pub pending: Option<Pending>,
    /// The highest release the manifest offers on the channel.
    pub available: Option<Version>,
    /// The release to install, or why none.
    pub action: Result<Choice, NoUpdate>,
}

impl Plan {
    /// Whether [`apply`] would install something.
    #[must_use]
    pub fn update_available(&self) -> bool {
        self.action.is_ok()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<Version>| v.as_ref().map_or_else(|| "none".to_owned(), ToString::to_string);
        let origin = if self.in_prefix { "" } else { " (the running binary; none in the prefix yet)" };
        writeln!(f, "installed: {}{origin}", self.installed)?;
        writeln!(f, "previous:  {}", show(&self.previous))?;
        writeln!(f, "available: {} on {}", show(&self.available), self.channel)?;
        if let Some(pending) = &self.pending {
            writeln!(f, "pending:   {} has not reported healthy yet", pending.new)?;
        }
        match &self.action {
            Ok(choice) => writeln!(f, "would install {} and switch current to it", choice.version),
            Err(why) => writeln!(f, "nothing to do: {why}"),
        }
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Installed and switched to; `current` now points at `pending.new`.
    Installed(Pending),
    /// Nothing to install, and why.
    NothingToDo(NoUpdate),
}

impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Installed(Pending { new, previous: Some(previous), .. }) => {
                write!(f, "installed {new} and switched current to it (from {previous}, kept for a rollback)")
            }
            Self::Installed(Pending { new, previous: None, .. }) => {
                write!(f, "installed {new} and switched current to it")
            }
            Self::NothingToDo(why) => write!(f, "nothing to do: {why}"),
        }
    }
}

/// What an install prefix holds, read without the network: what [`check`] reports besides the
/// manifest's offer, and what core-status shows when the manifest cannot be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The version `current` points at, or the running one when the prefix has none.
    pub installed: Version,
    /// Whether `installed` comes from the prefix (false: the running binary's version).
    pub in_prefix: bool,
    /// The highest release ever installed here: the floor of a downgrade.
    pub highest: Option<Version>,
    /// The release a rollback would go back to.
    pub previous: Option<Version>,
    /// An update installed and not yet confirmed healthy.
    pub pending: Option<Pending>,
    /// Versions that never reported healthy here, with why: never installed again.
    pub failures: Vec<(Version, String)>,
}

impl Installed {
    /// Reads `prefix`; `running` is what counts as installed while it holds no release.
    pub fn read(prefix: &InstallPrefix, running: &Version) -> Result<Self, InstallError> {
        let current = prefix.current()?;
        let in_prefix = current.is_some();
        let installed = current.unwrap_or_else(|| running.clone());
        let failures = prefix.failures()?;
        let failed: Vec<Version> = failures.iter().map(|(v, _)| v.clone()).collect();
        let pending = prefix.pending()?;
        let previous = previous_release(prefix, &installed, pending.as_ref(), &failed)?;
        Ok(Self { highest: prefix.highest_installed()?, installed, in_prefix, previous, pending, failures })
    }

    /// The versions that failed, without why.
    #[must_use]
    pub fn failed(&self) -> Vec<Version> {
        self.failures.iter().map(|(v, _)| v.clone()).collect()
    }
}

/// Fetches and checks the manifest and works out what [`apply`] would do at `now`.
pub async fn check(config: &UpdateConfig, now: DateTime<Utc>) -> Result<Plan, UpdateError> {
    let downloader = Downloader::new()?;
    let located = config.source.locate(&downloader).await?;
    let manifest = fetch_located(&downloader, &located, &config.key, now).await?;
    let here = Installed::read(&config.prefix, &config.running)?;
    let failed = here.failed();
    let situation = Situation {
        channel: config.channel,
        target: &config.target,
        current: &here.installed,
        highest_installed: here.highest.as_ref(),
        failed: &failed,
        allow_downgrade: config.allow_downgrade,
    };
    let action = choose(&manifest, &situation);
    let available =
        manifest.releases.iter().map(|r| &r.version).filter(|v| config.channel.takes(v)).max().cloned();
    let Installed { installed, in_prefix, previous, pending, .. } = here;
    Ok(Plan { channel: config.channel, installed, in_prefix, previous, pending, available, action })
}

/// Checks, then downloads, verifies, installs and switches to the chosen release.
pub async fn apply(config: &UpdateConfig, now: DateTime<Utc>) -> Result<Applied, UpdateError> {
    apply_with(config, now, &Downloader::new()?).await
}

/// [`apply`], downloading the release with `downloader` (one that reports progress, say).
pub async fn apply_with(
    config: &UpdateConfig,
    now: DateTime<Utc>,
    downloader: &Downloader,
) -> Result<Applied, UpdateError> {
    let plan = check(config, now).await?;
    let choice = match plan.action {
        Ok(choice) => choice,
        Err(why) => return Ok(Applied::NothingToDo(why)),
    };
    downloader.download(&choice.asset, &choice.version, &config.prefix).await?;
    Ok(Applied::Installed(config.prefix.install(&choice.version)?))
}

/// Switches `current` back to the previous release and marks the installed one failed, so it
/// is not chosen again.
pub fn rollback(prefix: &InstallPrefix) -> Result<RolledBack, UpdateError> {
    let no_previous =
        |installed: Version| UpdateError::NoPrevious { prefix: prefix.root().to_owned(), installed };
    let Some(installed) = prefix.current()? else {
        return Err(UpdateError::Install(InstallError::NothingInstalled {
            prefix: prefix.root().to_owned(),
        }));
    };
    let pending = prefix.pending()?;
    let failed = prefix.failed()?;
    let previous = previous_release(prefix, &installed, pending.as_ref(), &failed)?
        .ok_or_else(|| no_previous(installed.clone()))?;
    Ok(prefix.roll_back(&installed, &previous, "rolled back by hand (core-ide update --rollback)")?)
}

/// The release before `installed`: the pending update's previous one, else the highest
/// installed release below it that did not fail.
fn previous_release(
    prefix: &InstallPrefix,
    installed: &Version,
    pending: Option<&Pending>,
    failed: &[Version],
) -> Result<Option<Version>, InstallError> {
    if let Some(Pending { new, previous: Some(previous), .. }) = pending
        && new == installed
    {
        return Ok(Some(previous.clone()));
    }
    Ok(prefix.releases()?.into_iter().filter(|v| v < installed && !failed.contains(v)).max())
}
