//! Which release to install, or why none: the decision between a checked manifest and what
//! this machine runs and has run.

use semver::Version;

use crate::channel::Channel;
use crate::manifest::{Asset, Manifest};

/// What the choice depends on besides the manifest.
#[derive(Debug, Clone)]
pub struct Situation<'a> {
    /// The channel this node follows.
    pub channel: Channel,
    /// This build's target triple (normally [`crate::TARGET`]).
    pub target: &'a str,
    /// The version running now.
    pub current: &'a Version,
    /// The highest version ever confirmed healthy here (`<prefix>/highest-installed`).
    pub highest_installed: Option<&'a Version>,
    /// Versions that were installed and never reported healthy (`<prefix>/failed`).
    pub failed: &'a [Version],
    /// Whether going below the running or highest installed version is wanted.
    pub allow_downgrade: bool,
}

/// The release to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Its version.
    pub version: Version,
    /// Its binary for this target.
    pub asset: Asset,
}

/// Why nothing is to be installed. Not a failure: the message is what `--check` prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoUpdate {
    /// The channel's highest release is the running one.
    #[error("{current} is the newest {channel} release")]
    AlreadyNewest {
        /// The running version.
        current: Version,
        /// The channel.
        channel: Channel,
    },
    /// The channel's highest release has no binary for this target.
    #[error("{version} has no binary for {target}: wait for it to be published, or install by hand")]
    NoAssetForTarget {
        /// The release.
        version: Version,
        /// This target triple.
        target: String,
    },
    /// The channel's highest release is below the running one or the highest installed here
    /// (a release withdrawn from the manifest, a switch to a more conservative channel).
    #[error("{version} is below {floor}, installed here before: allow the downgrade to install it")]
    Downgrade {
        /// The release the channel offers.
        version: Version,
        /// The running or highest installed version.
        floor: Version,
    },
    /// The channel's highest release failed its health check here before.
    #[error(
        "{version} was installed before and never reported healthy: it is not retried; wait for a newer release"
    )]
    PreviouslyFailed {
        /// The failed release.
        version: Version,
    },
}

/// The release to install from `manifest` in `situation`, or why there is none.
///
/// The channel's highest release decides (see [`crate::channel::highest_on`]); a failed version
/// is skipped for the next one down, but is what is reported when nothing newer remains.
pub fn choose(manifest: &Manifest, situation: &Situation<'_>) -> Result<Choice, NoUpdate> {
    let current = situation.current;
    let mut on_channel: Vec<_> =
        manifest.releases.iter().filter(|r| situation.channel.takes(&r.version)).collect();
    on_channel.sort_by(|a, b| b.version.cmp(&a.version));
    let skipped_failed = on_channel
        .iter()
        .take_while(|r| situation.failed.contains(&r.version))
        .map(|r| r.version.clone())
        .next();
    let Some(best) = on_channel.into_iter().find(|r| !situation.failed.contains(&r.version)) else {
        return Err(no_newer(situation, skipped_failed));
    };
    if best.version == *current {
        return Err(no_newer(situation, skipped_failed));
    }
    let floor = situation.highest_installed.filter(|h| *h > current).unwrap_or(current);
    if best.version < *floor && !situation.allow_downgrade {
        if let Some(version) = skipped_failed.filter(|f| f > current) {
            return Err(NoUpdate::PreviouslyFailed { version });
        }
        return Err(NoUpdate::Downgrade { version: best.version.clone(), floor: floor.clone() });
    }
    let Some(asset) = best.targets.get(situation.target) else {
        return Err(NoUpdate::NoAssetForTarget {
            version: best.version.clone(),
            target: situation.target.to_owned(),
        });
    };
    Ok(Choice { version: best.version.clone(), asset: asset.clone() })
}

fn no_newer(situation: &Situation<'_>, skipped_failed: Option<Version>) -> NoUpdate {
    match skipped_failed {
        Some(version) if version > *situation.current => NoUpdate::PreviouslyFailed { version },
        _ => NoUpdate::AlreadyNewest { current: situation.current.clone(), channel: situation.channel },
    }
}
