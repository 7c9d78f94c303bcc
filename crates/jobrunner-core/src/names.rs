//! Validated names and ids: the only strings a signal may carry.
//!
//! Each type checks its value against GitHub's rules when it is built or deserialized, so a
//! value that could escape a path, smuggle free text or address the wrong repository never
//! gets past the edge of the program.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// A value that failed validation, with what is accepted instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {value:?}: {rule}")]
pub struct NameError {
    /// What kind of value was checked (`repository owner`, `commit SHA`, ...).
    pub what: &'static str,
    /// The rejected value, truncated to 120 characters so a hostile value cannot flood a log.
    pub value: String,
    /// The rule the value breaks, phrased as what is accepted.
    pub rule: &'static str,
}

impl NameError {
    fn new(what: &'static str, value: &str, rule: &'static str) -> Self {
        let value = value.chars().take(120).collect();
        Self { what, value, rule }
    }
}

macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident, $what:literal, $schema_name:literal, $pattern:literal, $max:literal, $check:path, $rule:literal) => {
        validated_string!($(#[$doc])* $name, $what, $schema_name, $pattern, $max, $check, $rule, std::convert::identity);
    };
    ($(#[$doc:meta])* $name:ident, $what:literal, $schema_name:literal, $pattern:literal, $max:literal, $check:path, $rule:literal, $canon:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates `value`; the error names the value and what is accepted.
            pub fn new(value: impl Into<String>) -> Result<Self, NameError> {
                let value = value.into();
                if $check(&value) {
                    Ok(Self($canon(value)))
                } else {
                    Err(NameError::new($what, &value, $rule))
                }
            }

            /// The validated value.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, NameError> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = NameError;
            fn from_str(value: &str) -> Result<Self, NameError> {
                Self::new(value)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                $schema_name.into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "string",
                    "description": $rule,
                    "pattern": $pattern,
                    "maxLength": $max,
                })
            }
        }
    };
}

validated_string!(
    /// A GitHub account or organization name (`octo-org`), held in lower case: GitHub's names
    /// are case-insensitive, so the canonical form is what keys and paths are built from.
    RepoOwner,
    "repository owner",
    "RepoOwner",
    "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$",
    39,
    is_valid_owner,
    "1 to 39 ASCII letters, digits or hyphens, not starting or ending with a hyphen",
    canonical_case
);

validated_string!(
    /// A GitHub repository name without its owner (`core-ide`), held in lower case like
    /// [`RepoOwner`].
    RepoName,
    "repository name",
    "RepoName",
    "^(?!\\.\\.?$)[A-Za-z0-9._-]{1,100}$",
    100,
    is_valid_repo_name,
    "1 to 100 ASCII letters, digits, '.', '-' or '_', and not '.' or '..'",
    canonical_case
);

/// GitHub compares owner and repository names case-insensitively, so `Octo/App` and
/// `octo/app` are one repository there. Every key, lease, journal path and filter is built from
/// these types, so holding them in one canonical case (lower) is what keeps the ledger from
/// seeing two repositories where GitHub sees one and performing each action twice.
fn canonical_case(mut value: String) -> String {
    value.make_ascii_lowercase();
    value
}

validated_string!(
    /// A full commit SHA: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
    CommitSha,
    "commit SHA",
    "CommitSha",
    "^[0-9a-f]{40}(?:[0-9a-f]{24})?$",
    64,
    is_valid_sha,
    "40 or 64 lower-case hex digits (a full commit SHA)"
);

validated_string!(
    /// An opaque GraphQL node id of a review thread (`PRRT_kwDOAB...`).
    ThreadId,
    "review thread id",
    "ThreadId",
    "^[A-Za-z0-9_=-]{1,128}$",
    128,
    is_valid_node_id,
    "1 to 128 ASCII letters, digits, '_', '-' or '=' (a GraphQL node id)"
);

validated_string!(
    /// The id of a node of the fleet (`node-a`, a host name): it names the node in the journal,
    /// the store and logs.
    NodeId,
    "node id",
    "NodeId",
    "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    64,
    is_valid_node_name,
    "1 to 64 ASCII letters, digits, '.', '-' or '_', starting with a letter or digit"
);

validated_string!(
    /// The SHA-256 of an issue body as 64 lower-case hex digits: how a decision remembers the
    /// epic body it was made on without keeping the text (see `body_edit`).
    BodyDigest,
    "body digest",
    "BodyDigest",
    "^[0-9a-f]{64}$",
    64,
    is_valid_digest,
    "64 lower-case hex digits (a SHA-256)"
);

fn is_valid_digest(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_valid_node_name(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value.as_bytes()[0].is_ascii_alphanumeric()
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn is_valid_owner(value: &str) -> bool {
    (1..=39).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
}

fn is_valid_repo_name(value: &str) -> bool {
    (1..=100).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && value != "."
        && value != ".."
}

fn is_valid_sha(value: &str) -> bool {
    matches!(value.len(), 40 | 64) && value.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_valid_node_id(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'='))
}

/// A repository as `owner/name`, both parts validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoSlug {
    /// The account or organization.
    pub owner: RepoOwner,
    /// The repository name.
    pub name: RepoName,
}

impl RepoSlug {
    /// Builds a slug from already validated parts.
    #[must_use]
    pub fn new(owner: RepoOwner, name: RepoName) -> Self {
        Self { owner, name }
    }

    /// Parses `owner/name`; the error names the value and the expected form.
    pub fn parse(value: &str) -> Result<Self, NameError> {
        let Some((owner, name)) = value.split_once('/') else {
            return Err(NameError::new(
                "repository",
                value,
                "expected owner/name, for example octo-org/core-ide",
            ));
        };
        Ok(Self::new(RepoOwner::new(owner)?, RepoName::new(name)?))
    }

    /// True when `other` names the same repository; GitHub compares names case-insensitively.
    #[must_use]
    pub fn same_repo(&self, owner: &str, name: &str) -> bool {
        self.owner.as_str().eq_ignore_ascii_case(owner) && self.name.as_str().eq_ignore_ascii_case(name)
    }
}

impl fmt::Display for RepoSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl std::str::FromStr for RepoSlug {
    type Err = NameError;
    fn from_str(value: &str) -> Result<Self, NameError> {
        Self::parse(value)
    }
}

impl Serialize for RepoSlug {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RepoSlug {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::parse(&value).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for RepoSlug {
    fn schema_name() -> Cow<'static, str> {
        "RepoSlug".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "owner/name of a GitHub repository",
            "pattern": "^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?/(?!\\.\\.?$)[A-Za-z0-9._-]{1,100}$",
            "maxLength": 140,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_rejects_path_tricks_and_overlong_names() {
        for bad in ["", "..", "a/b", "-lead", "trail-", "a\0b", "a b", &"x".repeat(40)] {
            let err = RepoOwner::new(bad).unwrap_err();
            assert_eq!(err.what, "repository owner", "{bad:?}");
        }
        assert!(RepoOwner::new("octo-org").is_ok());
        assert!(RepoOwner::new("x".repeat(39)).is_ok());
    }

    #[test]
    fn repo_name_rejects_dot_dirs_separators_and_nul() {
        for bad in ["", ".", "..", "a/b", "a\\b", "a\0b", "ünï", &"x".repeat(101)] {
            assert!(RepoName::new(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["core-ide", ".github", "a..b", "x_y.z", &"x".repeat(100)] {
            assert!(RepoName::new(good).is_ok(), "{good:?} rejected");
        }
    }

    #[test]
    fn slug_error_names_the_value_and_the_form() {
        let err = RepoSlug::parse("no-slash").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid repository \"no-slash\": expected owner/name, for example octo-org/core-ide"
        );
        let err = RepoSlug::parse("octo/..").unwrap_err();
        assert!(err.to_string().contains("\"..\""), "{err}");
    }

    #[test]
    fn sha_must_be_full_lower_case_hex() {
        assert!(CommitSha::new("a".repeat(40)).is_ok());
        assert!(CommitSha::new("b".repeat(64)).is_ok());
        assert!(CommitSha::new("abc1234").is_err());
        assert!(CommitSha::new("A".repeat(40)).is_err());
    }

    #[test]
    fn rejected_values_are_truncated_in_errors() {
        let err = RepoOwner::new("y".repeat(10_000)).unwrap_err();
        assert_eq!(err.value.len(), 120);
    }

    #[test]
    fn names_differing_only_in_case_are_one_repository() {
        let upper = RepoSlug::parse("OCTO/App.Core").unwrap();
        let lower = RepoSlug::parse("octo/app.core").unwrap();
        assert_eq!(upper, lower);
        assert_eq!(upper.to_string(), "octo/app.core");
        let from_json: RepoSlug = serde_json::from_str("\"Octo/APP.core\"").unwrap();
        assert_eq!(from_json, lower);
    }

    #[test]
    fn slug_round_trips_through_serde() {
        let slug: RepoSlug = serde_json::from_str("\"octo/core-ide\"").unwrap();
        assert_eq!(serde_json::to_string(&slug).unwrap(), "\"octo/core-ide\"");
    }
}
