//! How a PR is merged. The forge port takes it and handlers choose it, so it lives apart from
//! both: inside either, the port and the handler contract would import each other.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How auto-merge merges, spelled as GraphQL `PullRequestMergeMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MergeMethod {
    /// A merge commit.
    Merge,
    /// One squashed commit: the default, since agent PRs carry many small fix commits.
    #[default]
    Squash,
    /// Rebased commits.
    Rebase,
}

impl MergeMethod {
    /// The GraphQL spelling.
    #[must_use]
    pub fn as_graphql(self) -> &'static str {
        match self {
            Self::Merge => "MERGE",
            Self::Squash => "SQUASH",
            Self::Rebase => "REBASE",
        }
    }
}

impl fmt::Display for MergeMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_graphql().to_ascii_lowercase())
    }
}

impl FromStr for MergeMethod {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value.to_ascii_lowercase().as_str() {
            "merge" => Ok(Self::Merge),
            "squash" => Ok(Self::Squash),
            "rebase" => Ok(Self::Rebase),
            _ => Err("one of merge, squash, rebase".to_owned()),
        }
    }
}
