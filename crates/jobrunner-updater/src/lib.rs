//! core-ide's self-update as a library: a signed manifest of releases, the release a node on a
//! channel should install, its download checked against the manifest, and an install that can
//! be rolled back when the new binary never reports healthy.
//!
//! The steps, each usable on its own:
//! 1. [`Downloader::fetch_document`] the manifest and `<manifest url>.minisig`;
//!    [`verify_manifest`] checks the signature (the standard `minisign` tool's, with the
//!    project's [`ReleaseKey`]); [`Manifest::parse`] refuses another schema or product, an
//!    expired manifest, malformed digests and sizes. [`fetch_manifest`] does all three.
//! 2. [`choose`] the release for this node's [`Channel`], [`TARGET`], running version and
//!    install history, or say why none ([`NoUpdate`]).
//! 3. [`Downloader::download`] it beside the install, checking size and SHA-256.
//! 4. [`InstallPrefix::install`] it and switch `current` atomically, leaving a `pending` marker;
//!    every start calls [`InstallPrefix::start_gate`] first; the new binary, on trial, calls
//!    [`InstallPrefix::confirm_healthy`] once it runs well or [`InstallPrefix::fail_trial`] at
//!    its deadline, and a second start still on trial rolls back.
//!
//! [`check`], [`apply`] and [`rollback`] are those steps as `core-ide update` runs them; the
//! command's flags and exit codes, the settings and the schedule are the binary's, and there is
//! no release source other than a manifest URL. It depends on no other
//! internal crate's IO; the format is in docs/updates.md.
#![deny(missing_docs)]

mod channel;
mod choice;
mod download;
mod error;
mod install;
mod manifest;
mod signature;
mod source;
#[cfg(feature = "testing")]
pub mod testing;
mod update;

pub use channel::{Channel, UnknownChannel, highest_on};
pub use choice::{Choice, NoUpdate, Situation, choose};
pub use download::{DOCUMENT_LIMIT, Downloader, MAX_REDIRECTS, ProgressFn};
pub use error::{DownloadError, InstallError, ManifestError, SignatureError};
pub use install::{BINARY, InstallPrefix, Pending, RolledBack, StartGate};
pub use manifest::{
    Asset, AssetEntry, Manifest, ManifestFile, PRODUCT, Release, ReleaseEntry, SCHEMA, json_schema,
};
pub use signature::{RELEASE_PUBLIC_KEY, ReleaseKey, verify_manifest};
pub use source::{Located, MANIFEST_ASSET, ManifestSource, SIGNATURE_ASSET};
pub use update::{
    Applied, Installed, Plan, SettingError, UpdateConfig, UpdateError, UpdateSettings, apply, apply_with,
    check, rollback,
};

use chrono::{DateTime, Utc};
use url::Url;

/// The target triple this binary was built for: the key of its assets in a manifest.
pub const TARGET: &str = env!("JOBRUNNER_UPDATER_TARGET");

/// Why a manifest could not be had: fetched, signed and checked.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The manifest or its signature could not be fetched.
    #[error(transparent)]
    Download(#[from] DownloadError),
    /// No manifest at the URL.
    #[error("no update manifest at {url} (HTTP 404): check the manifest URL")]
    NoManifest {
        /// The URL.
        url: String,
    },
    /// The signature does not prove the release key signed it.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The manifest is not one to act on.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// `github:OWNER/NAME` names no repository the token (or an anonymous caller) can read.
    #[error(
        "GitHub has no repository {repo} (HTTP 404), or it is private: check update_url, or give a token that can read it"
    )]
    NoRepository {
        /// `owner/name`.
        repo: String,
    },
    /// The releases list is not what GitHub answers.
    #[error("the releases of {repo} could not be read ({why}): check the API URL")]
    Releases {
        /// `owner/name`.
        repo: String,
        /// The parser's complaint.
        why: String,
    },
    /// None of the newest releases carries the manifest and its signature.
    #[error(
        "none of the {looked_at} newest releases of {repo} carries both manifest.json and manifest.json.minisig: attach them to the release (docs/updates.md)"
    )]
    NoManifestAsset {
        /// `owner/name`.
        repo: String,
        /// Releases looked at.
        looked_at: usize,
    },
}

/// Fetches the manifest at `url` and its signature at `<url>.minisig`, checks the signature
/// against `key` and the manifest at `now`.
pub async fn fetch_manifest(
    downloader: &Downloader,
    url: &Url,
    key: &ReleaseKey,
    now: DateTime<Utc>,
) -> Result<Manifest, FetchError> {
    let located = ManifestSource::Url(url.clone()).locate(downloader).await?;
    fetch_located(downloader, &located, key, now).await
}

/// Fetches the manifest and its signature where `located` says, checks the signature against
/// `key` and the manifest at `now`.
pub async fn fetch_located(
    downloader: &Downloader,
    located: &Located,
    key: &ReleaseKey,
    now: DateTime<Utc>,
) -> Result<Manifest, FetchError> {
    let url = &located.manifest;
    let json = downloader
        .fetch_document(url)
        .await?
        .ok_or_else(|| FetchError::NoManifest { url: url.to_string() })?;
    let signature = downloader.fetch_document(&located.signature).await?.unwrap_or_default();
    let signature = String::from_utf8_lossy(&signature);
    verify_manifest(&json, &signature, key, url.as_str())?;
    Ok(Manifest::parse(&json, url, now)?)
}
