//! The update manifest: the wire format (what the release tooling writes and the JSON Schema
//! documents) and the checked [`Manifest`] the rest of the crate works with.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use semver::Version;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::ManifestError;

/// The only manifest schema this version understands.
pub const SCHEMA: u32 = 1;

/// The product name a manifest must carry: a manifest for another program is refused.
pub const PRODUCT: &str = "core-ide";

/// The manifest as published (`manifest.json`), before any check.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "core-ide update manifest")]
pub struct ManifestFile {
    /// The manifest format's version: 1.
    pub schema: u32,
    /// The program the releases are of: `core-ide`.
    pub name: String,
    /// When the manifest stops being trusted (RFC 3339). A stale manifest replayed by a mirror
    /// is refused after this instant, so the release tooling re-signs it before then.
    pub expires: DateTime<Utc>,
    /// The releases on offer, in any order.
    pub releases: Vec<ReleaseEntry>,
}

/// One release in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseEntry {
    /// The release's `SemVer` version; its pre-release tag (`-beta.2`, `-alpha.1`, `-dev.5`)
    /// sets the channels that see it.
    pub version: String,
    /// The release's binaries, keyed by Rust target triple (`x86_64-unknown-linux-gnu`).
    pub targets: BTreeMap<String, AssetEntry>,
}

/// One binary of a release.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetEntry {
    /// Where the binary is: absolute, or relative to the manifest's own URL.
    pub url: String,
    /// The binary's SHA-256, 64 lowercase hex digits.
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: String,
    /// The binary's size in bytes.
    #[schemars(range(min = 1))]
    pub size: u64,
}

/// A manifest that passed every check: this schema, this product, not expired, every version,
/// URL, digest and size well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// When the manifest stops being trusted.
    pub expires: DateTime<Utc>,
    /// The releases on offer, highest version first.
    pub releases: Vec<Release>,
}

/// One release of a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The release's version.
    pub version: Version,
    /// Its binaries by target triple.
    pub targets: BTreeMap<String, Asset>,
}

/// One binary, with what it must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Where to download it from (relative URLs already resolved).
    pub url: Url,
    /// Its SHA-256.
    pub sha256: [u8; 32],
    /// Its size in bytes.
    pub size: u64,
}

impl Manifest {
    /// Parses and checks `json`, fetched from `manifest_url`, at the instant `now`.
    ///
    /// The signature is not checked here: see [`crate::verify_manifest`], which callers run on
    /// the same bytes first.
    pub fn parse(json: &[u8], manifest_url: &Url, now: DateTime<Utc>) -> Result<Self, ManifestError> {
        let de = &mut serde_json::Deserializer::from_slice(json);
        let file: ManifestFile = serde_path_to_error::deserialize(de).map_err(|e| {
            ManifestError::Malformed { path: e.path().to_string(), why: e.into_inner().to_string() }
        })?;
        Self::check(file, manifest_url, now)
    }

    /// Checks an already deserialized manifest.
    pub fn check(file: ManifestFile, manifest_url: &Url, now: DateTime<Utc>) -> Result<Self, ManifestError> {
        if file.schema != SCHEMA {
            return Err(ManifestError::Schema { found: file.schema });
        }
        if file.name != PRODUCT {
            return Err(ManifestError::Name { found: file.name });
        }
        if file.expires <= now {
            return Err(ManifestError::Expired { expires: file.expires, now });
        }
        let mut releases = file
            .releases
            .into_iter()
            .map(|entry| release(entry, manifest_url))
            .collect::<Result<Vec<_>, _>>()?;
        releases.sort_by(|a, b| b.version.cmp(&a.version));
        if let Some(twice) = releases.windows(2).find(|pair| pair[0].version == pair[1].version) {
            return Err(ManifestError::DuplicateVersion { version: twice[0].version.clone() });
        }
        Ok(Self { expires: file.expires, releases })
    }
}

fn release(entry: ReleaseEntry, manifest_url: &Url) -> Result<Release, ManifestError> {
    let version = Version::parse(&entry.version)
        .map_err(|e| ManifestError::Version { found: entry.version.clone(), why: e.to_string() })?;
    let targets = entry
        .targets
        .into_iter()
        .map(|(target, asset)| {
            let checked = check_asset(&asset, manifest_url).map_err(|why| ManifestError::Asset {
                version: version.clone(),
                target: target.clone(),
                why,
            })?;
            Ok((target, checked))
        })
        .collect::<Result<_, ManifestError>>()?;
    Ok(Release { version, targets })
}

fn check_asset(asset: &AssetEntry, manifest_url: &Url) -> Result<Asset, String> {
    let url = manifest_url.join(&asset.url).map_err(|e| {
        format!(
            "url {:?} is not a URL ({e}): give an absolute URL or one relative to the manifest",
            asset.url
        )
    })?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!("url {url} is not http(s): assets are downloaded over HTTPS"));
    }
    let sha256 = parse_sha256(&asset.sha256).ok_or_else(|| {
        format!(
            "sha256 {:?} is not 64 lowercase hex digits: write the output of `sha256sum` for the binary",
            asset.sha256
        )
    })?;
    if asset.size == 0 {
        return Err("size 0: write the binary's size in bytes (`stat -c %s`)".to_owned());
    }
    Ok(Asset { url, sha256, size: asset.size })
}

fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

/// Lowercase hex of a digest, as manifests write it.
pub(crate) fn hex(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    digest.iter().fold(String::with_capacity(digest.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// The JSON Schema of [`ManifestFile`], as shipped in `docs/schema/update-manifest.schema.json`.
#[must_use]
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ManifestFile)).expect("a schema serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://example.org/updates/manifest.json").unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-06-01T00:00:00Z".parse().unwrap()
    }

    fn manifest(edit: impl FnOnce(&mut serde_json::Value)) -> Result<Manifest, ManifestError> {
        let mut doc = serde_json::json!({
            "schema": 1, "name": "core-ide", "expires": "2026-07-01T00:00:00Z",
            "releases": [{"version": "1.2.0", "targets": {"x86_64-unknown-linux-gnu": {
                "url": "v1.2.0/core-ide", "sha256": "ab".repeat(32), "size": 10}}}]
        });
        edit(&mut doc);
        Manifest::parse(&serde_json::to_vec(&doc).unwrap(), &url(), now())
    }

    #[test]
    fn relative_asset_urls_resolve_against_the_manifest_url() {
        let m = manifest(|_| {}).unwrap();
        let asset = &m.releases[0].targets["x86_64-unknown-linux-gnu"];
        assert_eq!(asset.url.as_str(), "https://example.org/updates/v1.2.0/core-ide");
        assert_eq!(asset.sha256, [0xab; 32]);
    }

    #[test]
    fn refusals_name_the_value_and_the_fix() {
        type Edit = fn(&mut serde_json::Value);
        let cases: [(&str, Edit); 7] = [
            ("schema 2", |d| d["schema"] = 2.into()),
            ("\"other\"", |d| d["name"] = "other".into()),
            ("expired at 2026-05-01", |d| d["expires"] = "2026-05-01T00:00:00Z".into()),
            ("\"xyz\" is not 64 lowercase hex", |d| {
                d["releases"][0]["targets"]["x86_64-unknown-linux-gnu"]["sha256"] = "xyz".into();
            }),
            ("size 0", |d| d["releases"][0]["targets"]["x86_64-unknown-linux-gnu"]["size"] = 0.into()),
            ("releases[0].targets.x86_64-unknown-linux-gnu.size", |d| {
                d["releases"][0]["targets"]["x86_64-unknown-linux-gnu"]["size"] = (-1).into();
            }),
            ("\"1.2\"", |d| d["releases"][0]["version"] = "1.2".into()),
        ];
        for (expected, edit) in cases {
            let message = manifest(edit).unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
    }

    #[test]
    fn hex_round_trips() {
        let digest = [0x01, 0xfe, 0x7a];
        assert_eq!(hex(&digest), "01fe7a");
        assert_eq!(parse_sha256(&"0f".repeat(32)), Some([0x0f; 32]));
        assert_eq!(parse_sha256(&"0F".repeat(32)), None);
    }
}
