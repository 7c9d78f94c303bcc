//! Release channels: which versions a node following a channel may install, read from the
//! `SemVer` pre-release tag.

use std::fmt;
use std::str::FromStr;

use semver::Version;

/// How far ahead of the stable releases a node follows.
///
/// | channel | takes |
/// | --- | --- |
/// | stable | no pre-release: `1.4.0` |
/// | beta | stable, `-beta.N`, `-rc.N` |
/// | alpha | beta's, `-alpha.N` |
/// | dev | every version, `-dev.N` and any other tag |
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Channel {
    /// Releases only.
    #[default]
    Stable,
    /// Release candidates and betas too.
    Beta,
    /// Alphas too.
    Alpha,
    /// Everything published.
    Dev,
}

impl Channel {
    /// Every channel, most conservative first.
    pub const ALL: [Self; 4] = [Self::Stable, Self::Beta, Self::Alpha, Self::Dev];

    /// The least channel that takes `version`.
    #[must_use]
    pub fn of(version: &Version) -> Self {
        if version.pre.is_empty() {
            return Self::Stable;
        }
        // The tag's first identifier: `beta` of `beta.2`, `rc` of `rc.1`.
        match version.pre.as_str().split('.').next().unwrap_or_default() {
            "beta" | "rc" => Self::Beta,
            "alpha" => Self::Alpha,
            _ => Self::Dev,
        }
    }

    /// Whether a node on this channel may install `version`.
    #[must_use]
    pub fn takes(self, version: &Version) -> bool {
        Self::of(version) <= self
    }

    /// The channel's name in settings and messages.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stable => "stable",
            Self::Beta => "beta",
            Self::Alpha => "alpha",
            Self::Dev => "dev",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel name that is none of stable, beta, alpha, dev.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown update channel {0:?}: use stable, beta, alpha or dev")]
pub struct UnknownChannel(pub String);

impl FromStr for Channel {
    type Err = UnknownChannel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| UnknownChannel(s.to_owned()))
    }
}

/// The highest of `versions` that `channel` takes. Filters first: `SemVer` orders pre-release
/// tags alphabetically, so `-dev.5` sorts above `-beta.9` and a plain maximum would hand a
/// beta node a dev build.
pub fn highest_on<'a>(
    channel: Channel,
    versions: impl IntoIterator<Item = &'a Version>,
) -> Option<&'a Version> {
    versions.into_iter().filter(|v| channel.takes(v)).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    #[test]
    fn each_channel_takes_its_tags_and_the_more_conservative_ones() {
        // version, then whether stable, beta, alpha, dev take it.
        let table = [
            ("1.0.0", [true, true, true, true]),
            ("1.1.0-rc.1", [false, true, true, true]),
            ("1.1.0-beta.9", [false, true, true, true]),
            ("1.1.0-alpha.3", [false, false, true, true]),
            ("1.1.0-dev.5", [false, false, false, true]),
            ("1.1.0-nightly.20260101", [false, false, false, true]),
            ("1.1.0-betax", [false, false, false, true]),
        ];
        for (version, takes) in table {
            for (channel, expected) in Channel::ALL.into_iter().zip(takes) {
                assert_eq!(channel.takes(&v(version)), expected, "{channel} takes {version}");
            }
        }
    }

    #[test]
    fn the_highest_is_taken_after_filtering_by_channel() {
        let versions =
            ["1.0.0", "1.1.0-alpha.1", "1.1.0-beta.9", "1.1.0-dev.5", "1.1.0-rc.1", "0.9.0"].map(v);
        let table = [
            (Channel::Stable, Some("1.0.0")),
            // `-dev.5` sorts above `-beta.9`; `-rc.1` above both betas.
            (Channel::Beta, Some("1.1.0-rc.1")),
            (Channel::Alpha, Some("1.1.0-rc.1")),
            (Channel::Dev, Some("1.1.0-rc.1")),
        ];
        for (channel, expected) in table {
            assert_eq!(highest_on(channel, &versions), expected.map(v).as_ref(), "{channel}");
        }
        let no_rc = ["1.0.0", "1.1.0-beta.9", "1.1.0-dev.5"].map(v);
        assert_eq!(highest_on(Channel::Beta, &no_rc), Some(&v("1.1.0-beta.9")));
        assert_eq!(highest_on(Channel::Dev, &no_rc), Some(&v("1.1.0-dev.5")));
        assert_eq!(highest_on(Channel::Stable, &[v("2.0.0-rc.1")]), None);
    }

    #[test]
    fn channel_names_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(channel.as_str().parse::<Channel>(), Ok(channel));
        }
        assert_eq!("nightly".parse::<Channel>(), Err(UnknownChannel("nightly".into())));
    }
}
