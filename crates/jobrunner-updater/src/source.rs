//! Where the signed manifest is: a URL (its signature beside it at `<url>.minisig`), or the
//! `manifest.json` and `manifest.json.minisig` assets of a repository's newest GitHub release,
//! found through the same REST API base URL the forge adapter uses.
//!
//! GitHub's behaviour modelled (docs/github.md, "Releases"): `GET /repos/{owner}/{repo}/releases`
//! lists releases newest first, prereleases included, drafts only for callers with push
//! access; every asset has a `browser_download_url`, which answers with a `302` to object
//! storage, so downloads follow redirects.

use serde::Deserialize;
use url::Url;

use crate::FetchError;
use crate::download::Downloader;
use crate::error::DownloadError;

/// The asset names a release carries its manifest under.
pub const MANIFEST_ASSET: &str = "manifest.json";
/// The manifest's signature asset.
pub const SIGNATURE_ASSET: &str = "manifest.json.minisig";

/// How many of the newest releases are looked at for a manifest: a project attaching it to
/// every release finds it in the first.
const RELEASES_LOOKED_AT: u32 = 10;

/// Where the manifest is published.
#[derive(Debug, Clone)]
pub enum ManifestSource {
    /// The manifest at this URL, its signature at `<url>.minisig`.
    Url(Url),
    /// The newest release of a GitHub repository that carries the manifest and its signature.
    GitHubReleases {
        /// The REST API base URL (`https://api.github.com`, or the simulator's).
        api: Url,
        /// `owner/name`.
        repo: String,
        /// A token to read the releases with (the forge's); `None` reads them anonymously.
        /// Sent to the API host only, never after a redirect to another host.
        token: Option<String>,
    },
}

/// The manifest's and its signature's URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The manifest; relative asset URLs resolve against it.
    pub manifest: Url,
    /// Its `.minisig`.
    pub signature: Url,
}

impl ManifestSource {
    /// `update_url` as an operator writes it: a URL, or `github:OWNER/NAME` read through `api`.
    pub fn parse(value: &str, api: &str, token: Option<&str>) -> Result<Self, url::ParseError> {
        match value.strip_prefix("github:") {
            Some(repo) => Ok(Self::GitHubReleases {
                api: Url::parse(api)?,
                repo: repo.to_owned(),
                token: token.map(str::to_owned),
            }),
            None => Url::parse(value).map(Self::Url),
        }
    }

    /// Where the manifest and its signature are now.
    pub async fn locate(&self, downloader: &Downloader) -> Result<Located, FetchError> {
        match self {
            Self::Url(url) => {
                let signature = Url::parse(&format!("{url}.minisig")).expect("a URL with a suffix is a URL");
                Ok(Located { manifest: url.clone(), signature })
            }
            Self::GitHubReleases { api, repo, token } => {
                newest_release(downloader, api, repo, token.as_deref()).await
            }
        }
    }
}

impl std::fmt::Display for ManifestSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Url(url) => write!(f, "{url}"),
            Self::GitHubReleases { repo, .. } => write!(f, "github:{repo}"),
        }
    }
}

/// A release as the list shows it; its name, tag and notes are free text and not read.
#[derive(Deserialize)]
struct Release {
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    assets: Vec<ReleaseAsset>,
}

#[derive(Deserialize)]
struct ReleaseAsset {
    name: String,
    browser_download_url: String,
}

async fn newest_release(
    downloader: &Downloader,
    api: &Url,
    repo: &str,
    token: Option<&str>,
) -> Result<Located, FetchError> {
    let base = api.as_str().trim_end_matches('/');
    let url =
        Url::parse(&format!("{base}/repos/{repo}/releases?per_page={RELEASES_LOOKED_AT}")).map_err(|e| {
            DownloadError::Request { url: format!("{base}/repos/{repo}/releases"), why: e.to_string() }
        })?;
    let body = downloader
        .fetch_api(&url, token)
        .await?
        .ok_or_else(|| FetchError::NoRepository { repo: repo.to_owned() })?;
    let releases: Vec<Release> = serde_json::from_slice(&body)
        .map_err(|e| FetchError::Releases { repo: repo.to_owned(), why: e.to_string() })?;
    releases
        .iter()
        .filter(|release| !release.draft)
        .find_map(|release| {
            let asset = |name: &str| release.assets.iter().find(|a| a.name == name);
            let (manifest, signature) = (asset(MANIFEST_ASSET)?, asset(SIGNATURE_ASSET)?);
            Some(Located {
                manifest: Url::parse(&manifest.browser_download_url).ok()?,
                signature: Url::parse(&signature.browser_download_url).ok()?,
            })
        })
        .ok_or_else(|| FetchError::NoManifestAsset { repo: repo.to_owned(), looked_at: releases.len() })
}
