//! Fetching over HTTP(S): the manifest and its signature into memory, a release's binary
//! streamed to a temporary file beside the install and checked against the manifest's size
//! and SHA-256.
//!
//! The client is hyper-util's, with the rustls connector and native roots that
//! jobrunner-notify already uses: no second HTTP stack in the binary.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use semver::Version;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt as _;
use url::Url;

use crate::error::{DownloadError, InstallError};
use crate::install::InstallPrefix;
use crate::manifest::{Asset, hex};
use jobrunner_core::error_chain;

/// The most a manifest or a signature may weigh: far above any real one, far below harm.
pub const DOCUMENT_LIMIT: usize = 4 * 1024 * 1024;

/// An HTTP(S) client for update manifests and binaries.
#[derive(Clone)]
pub struct Downloader {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    idle_timeout: Duration,
    progress: Option<Arc<ProgressFn>>,
}

/// Called as a binary downloads with the bytes received so far and the size the manifest
/// gives.
pub type ProgressFn = dyn Fn(u64, u64) + Send + Sync;

impl std::fmt::Debug for Downloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Downloader")
            .field("idle_timeout", &self.idle_timeout)
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}

impl Downloader {
    /// A client trusting the system's root certificates; plain `http` is allowed too (a
    /// manifest on a LAN mirror, the tests' loopback server): the signature and the digests,
    /// not the transport, are what make an update trusted.
    pub fn new() -> Result<Self, DownloadError> {
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| DownloadError::Client(e.to_string()))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { client, idle_timeout: Duration::from_secs(30), progress: None })
    }

    /// Reports each chunk of a [`Self::download`] to `progress` (a terminal's progress bar).
    #[must_use]
    pub fn on_progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// Gives up on a server that sends nothing for `timeout` (30 s by default).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The body at `url`, at most [`DOCUMENT_LIMIT`] bytes; `None` on HTTP 404.
    pub async fn fetch_document(&self, url: &Url) -> Result<Option<Vec<u8>>, DownloadError> {
        self.fetch_limited(url, &[]).await
    }

    /// A GitHub REST answer at `url`, read with `token` when there is one (sent to `url`'s
    /// host only); `None` on HTTP 404.
    pub async fn fetch_api(&self, url: &Url, token: Option<&str>) -> Result<Option<Vec<u8>>, DownloadError> {
        let mut headers = vec![
            (http::header::ACCEPT, "application/vnd.github+json".to_owned()),
            (http::HeaderName::from_static("x-github-api-version"), "2022-11-28".to_owned()),
        ];
        if let Some(token) = token {
            headers.push((http::header::AUTHORIZATION, format!("Bearer {token}")));
        }
        self.fetch_limited(url, &headers).await
    }

    async fn fetch_limited(&self, url: &Url, headers: &[Header]) -> Result<Option<Vec<u8>>, DownloadError> {
        let mut body = match self.get_with(url, headers).await {
            Err(DownloadError::Status { status: 404, .. }) => return Ok(None),
            other => other?,
        };
        let mut out = Vec::new();
        while let Some(chunk) = self.next_chunk(url, &mut body, out.len() as u64, 0).await? {
            out.extend_from_slice(&chunk);
            if out.len() > DOCUMENT_LIMIT {
                return Err(DownloadError::TooLarge { url: url.to_string(), limit: DOCUMENT_LIMIT });
            }
        }
        Ok(Some(out))
    }

    /// Downloads `asset` (the binary of `version`) to [`InstallPrefix::download_path`] and
    /// checks its size and SHA-256. On any failure nothing is left behind.
    pub async fn download(
        &self,
        asset: &Asset,
        version: &Version,
        prefix: &InstallPrefix,
    ) -> Result<(), DownloadError> {
        let path = prefix.download_path(version);
        let releases = path.parent().expect("the download path is inside releases/");
        let created_dir = !releases.exists();
        let result = self.download_to(asset, &path, releases).await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&path).await;
            if created_dir {
                // Only when empty: another release may have been installed meanwhile.
                let _ = tokio::fs::remove_dir(releases).await;
            }
        }
        result
    }

    async fn download_to(&self, asset: &Asset, path: &Path, releases: &Path) -> Result<(), DownloadError> {
        tokio::fs::create_dir_all(releases).await.map_err(|e| InstallError::io("create", releases, e))?;
        let mut file =
            tokio::fs::File::create(path).await.map_err(|e| InstallError::io("create", path, e))?;
        let mut body = self.get(&asset.url).await?;
        let mut hasher = Sha256::new();
        let mut received = 0u64;
        while let Some(chunk) = self.next_chunk(&asset.url, &mut body, received, asset.size).await? {
            received += chunk.len() as u64;
            if received > asset.size {
                return Err(DownloadError::WrongSize {
                    url: asset.url.to_string(),
                    received,
                    expected: asset.size,
                });
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(|e| InstallError::io("write", path, e))?;
            if let Some(progress) = &self.progress {
                progress(received, asset.size);
            }
        }
        if received != asset.size {
            return Err(DownloadError::WrongSize {
                url: asset.url.to_string(),
                received,
                expected: asset.size,
            });
        }
        let actual = hasher.finalize();
        if actual.as_slice() != asset.sha256 {
            return Err(DownloadError::WrongChecksum {
                url: asset.url.to_string(),
                actual: hex(&actual),
                expected: hex(&asset.sha256),
            });
        }
        file.sync_all().await.map_err(|e| InstallError::io("write", path, e))?;
        Ok(())
    }

    /// The body of a 200 answer to `GET url`.
    async fn get(&self, url: &Url) -> Result<Body, DownloadError> {
        self.get_with(url, &[]).await
    }

    /// The body of the 200 answer to `GET url` with `headers`, following up to
    /// [`MAX_REDIRECTS`] redirects (GitHub serves release assets through a `302` to object
    /// storage). A redirect to another origin drops `Authorization`; one from `https` to
    /// plain `http` is refused, so a redirect cannot take a download off TLS.
    async fn get_with(&self, url: &Url, headers: &[Header]) -> Result<Body, DownloadError> {
        let mut target = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let same_origin = target.origin() == url.origin();
            let mut request = http::Request::get(target.as_str())
                .header(http::header::USER_AGENT, concat!("core-ide/", env!("CARGO_PKG_VERSION")));
            for (name, value) in headers {
                if same_origin || name != http::header::AUTHORIZATION {
                    request = request.header(name, value);
                }
            }
            let request = request
                .body(Empty::new())
                .map_err(|e| DownloadError::Request { url: target.to_string(), why: e.to_string() })?;
            let response = tokio::time::timeout(self.idle_timeout, self.client.request(request))
                .await
                .map_err(|_| self.timeout(&target))?
                .map_err(|e| DownloadError::Request { url: target.to_string(), why: error_chain(&e) })?;
            let status = response.status();
            if status.is_redirection() && status != http::StatusCode::NOT_MODIFIED {
                target = redirect_target(&target, response.headers())?;
                continue;
            }
            if status != http::StatusCode::OK {
                return Err(DownloadError::Status { url: target.to_string(), status: status.as_u16() });
            }
            return Ok(response.into_body().map_err(|e| Box::new(e) as BodyError).boxed());
        }
        Err(DownloadError::Redirects { url: url.to_string(), limit: MAX_REDIRECTS })
    }

    /// The next data chunk of `body`, `None` at its end; `received` and `expected` (0 when
    /// unknown) are for the message when the connection breaks off.
    async fn next_chunk(
        &self,
        url: &Url,
        body: &mut Body,
        received: u64,
        expected: u64,
    ) -> Result<Option<Bytes>, DownloadError> {
        loop {
            let frame =
                tokio::time::timeout(self.idle_timeout, body.frame()).await.map_err(|_| self.timeout(url))?;
            match frame {
                None => return Ok(None),
                Some(Err(e)) => {
                    return Err(DownloadError::Truncated {
                        url: url.to_string(),
                        received,
                        expected,
                        why: error_chain(e.as_ref()),
                    });
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }

    fn timeout(&self, url: &Url) -> DownloadError {
        DownloadError::Timeout { url: url.to_string(), seconds: self.idle_timeout.as_secs() }
    }
}

/// Redirects followed before giving up: GitHub's asset downloads take one.
pub const MAX_REDIRECTS: usize = 5;

type Header = (http::HeaderName, String);

/// Where a redirect from `from` points.
fn redirect_target(from: &Url, headers: &http::HeaderMap) -> Result<Url, DownloadError> {
    let location = headers.get(http::header::LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
        DownloadError::Request { url: from.to_string(), why: "a redirect without a Location".into() }
    })?;
    let next = from.join(location).map_err(|e| DownloadError::Request {
        url: from.to_string(),
        why: format!("a redirect to a bad URL ({e})"),
    })?;
    if from.scheme() == "https" && next.scheme() != "https" {
        return Err(DownloadError::InsecureRedirect { url: from.to_string(), to: next.to_string() });
    }
    Ok(next)
}

type BodyError = Box<dyn std::error::Error + Send + Sync>;
type Body = http_body_util::combinators::BoxBody<Bytes, BodyError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn located(location: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::LOCATION, location.parse().unwrap());
        headers
    }

    #[test]
    fn a_relative_redirect_resolves_against_the_url_redirecting() {
        let from = Url::parse("https://github.com/octo/app/releases/download/v2.0.0/core-ide").unwrap();
        let next = redirect_target(&from, &located("/objects/1")).unwrap();
        assert_eq!(next.as_str(), "https://github.com/objects/1");
    }

    #[test]
    fn a_redirect_off_tls_is_refused() {
        let from = Url::parse("https://github.com/octo/app/releases/download/v2.0.0/core-ide").unwrap();
        let error = redirect_target(&from, &located("http://objects.example.com/1")).unwrap_err();
        assert!(matches!(error, DownloadError::InsecureRedirect { .. }), "{error:?}");
        assert!(error.to_string().contains("off TLS: refused"), "{error}");
    }

    #[test]
    fn a_redirect_without_a_location_is_an_error_naming_the_url() {
        let from = Url::parse("https://github.com/a").unwrap();
        let error = redirect_target(&from, &http::HeaderMap::new()).unwrap_err();
        assert!(error.to_string().contains("https://github.com/a"), "{error}");
    }
}
