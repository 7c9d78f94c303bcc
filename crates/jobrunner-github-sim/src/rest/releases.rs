//! Releases: `GET /repos/{owner}/{repo}/releases` (the API, behind the gate) and the
//! `browser_download_url` of an asset, which GitHub serves from github.com with a `302` to
//! object storage (here: the same server, outside the gate, like a download that is not an API
//! call and costs no rate limit).
//!
//! Modelled from GitHub's REST reference ("List releases": newest first, `per_page` default 30
//! and at most 100, drafts only for callers with push access; "Get a release asset": "API
//! clients should handle both a 200 or 302 response").

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};

use super::{QueryPairs, param};
use crate::ids;
use crate::model::{Release, Repo};
use crate::reply;
use crate::rest::shapes;
use crate::shared::Shared;

/// The newest releases first; drafts are left out, as for a caller without push access (the
/// token of an agent or a node reading another project's releases).
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<QueryPairs>,
) -> Response {
    let state = shared.state();
    let Some(target) = state.find_repo(&format!("{owner}/{repo}")) else { return reply::not_found() };
    let per_page = param(&query, "per_page").and_then(|v| v.parse().ok()).unwrap_or(30usize).clamp(1, 100);
    let page: Vec<Value> = target
        .releases
        .iter()
        .rev()
        .filter(|r| !r.draft)
        .take(per_page)
        .map(|r| release(&shared.base_url, target, r))
        .collect();
    reply::json_status(StatusCode::OK, &Value::Array(page))
}

/// A release with every field of GitHub's `release` schema (@octokit/openapi), its assets with
/// those of `release-asset`, `digest` included (GitHub fills it with the upload's SHA-256 since
/// June 2025). The name and notes are free text a client must not act on: the simulator names
/// the release after its tag and leaves the notes empty.
fn release(base: &str, repo: &Repo, release: &Release) -> Value {
    let api = format!("{base}/repos/{}/{}", repo.owner, repo.name);
    let html = format!("{base}/{}/{}", repo.owner, repo.name);
    let at = shapes::time(release.published_at);
    let assets: Vec<Value> = release
        .assets
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "node_id": ids::object_id("RA", a.id),
                "name": a.name,
                "label": "",
                "state": "uploaded",
                "content_type": "application/octet-stream",
                "size": a.bytes.len(),
                "digest": format!("sha256:{}", sha256_hex(&a.bytes)),
                "download_count": 0,
                "created_at": at,
                "updated_at": at,
                "uploader": shapes::user(base, &repo.owner),
                "url": format!("{api}/releases/assets/{}", a.id),
                "browser_download_url": download_url(base, repo, &release.tag, &a.name),
            })
        })
        .collect();
    json!({
        "id": release.id,
        "node_id": ids::object_id("RE", release.id),
        "tag_name": release.tag,
        "target_commitish": repo.default_branch,
        "name": release.tag,
        "body": "",
        "draft": release.draft,
        "prerelease": release.prerelease,
        "immutable": false,
        "created_at": at,
        "updated_at": at,
        "published_at": at,
        "author": shapes::user(base, &repo.owner),
        "url": format!("{api}/releases/{}", release.id),
        "html_url": format!("{html}/releases/tag/{}", release.tag),
        "assets_url": format!("{api}/releases/{}/assets", release.id),
        "upload_url": format!("{base}/uploads/repos/{}/{}/releases/{}/assets{{?name,label}}", repo.owner, repo.name, release.id),
        "tarball_url": format!("{api}/tarball/{}", release.tag),
        "zipball_url": format!("{api}/zipball/{}", release.tag),
        "assets": assets,
    })
}

/// The asset's SHA-256 as GitHub's `digest` spells it after `sha256:`.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut hex, b| {
        let _ = std::fmt::Write::write_fmt(&mut hex, format_args!("{b:02x}"));
        hex
    })
}

/// Where github.com serves an asset: `/{owner}/{repo}/releases/download/{tag}/{name}`.
fn download_url(base: &str, repo: &Repo, tag: &str, name: &str) -> String {
    format!("{base}/{}/{}/releases/download/{tag}/{name}", repo.owner, repo.name)
}

/// github.com's answer to a `browser_download_url`: a `302` to the object store.
pub(crate) async fn download(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, tag, name)): Path<(String, String, String, String)>,
) -> Response {
    let state = shared.state();
    let asset = state.find_repo(&format!("{owner}/{repo}")).and_then(|target| {
        let release = target.releases.iter().find(|r| r.tag == tag)?;
        release.assets.iter().find(|a| a.name == name)
    });
    let Some(asset) = asset else { return StatusCode::NOT_FOUND.into_response() };
    let location = format!("{}/_objects/release-assets/{}", shared.base_url, asset.id);
    (StatusCode::FOUND, [(http::header::LOCATION, location)]).into_response()
}

/// The object store's answer: the bytes.
pub(crate) async fn object(State(shared): State<Arc<Shared>>, Path(id): Path<u64>) -> Response {
    let state = shared.state();
    let asset = state
        .repos()
        .iter()
        .flat_map(|repo| repo.releases.iter())
        .flat_map(|release| release.assets.iter())
        .find(|asset| asset.id == id);
    match asset {
        Some(asset) => {
            (StatusCode::OK, [(http::header::CONTENT_TYPE, "application/octet-stream")], asset.bytes.clone())
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
