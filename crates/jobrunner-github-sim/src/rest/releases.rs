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
use crate::model::{Release, Repo};
use crate::reply;
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

fn release(base: &str, repo: &Repo, release: &Release) -> Value {
    let api = format!("{base}/repos/{}/{}", repo.owner, repo.name);
    let assets: Vec<Value> = release
        .assets
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "name": a.name,
                "label": "",
                "state": "uploaded",
                "content_type": "application/octet-stream",
                "size": a.bytes.len(),
                "download_count": 0,
                "url": format!("{api}/releases/assets/{}", a.id),
                "browser_download_url": download_url(base, repo, &release.tag, &a.name),
            })
        })
        .collect();
    json!({
        "id": release.id,
        "tag_name": release.tag,
        "name": release.tag,
        "draft": release.draft,
        "prerelease": release.prerelease,
        "url": format!("{api}/releases/{}", release.id),
        "html_url": format!("{base}/{}/{}/releases/tag/{}", repo.owner, repo.name, release.tag),
        "assets_url": format!("{api}/releases/{}/assets", release.id),
        "assets": assets,
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
