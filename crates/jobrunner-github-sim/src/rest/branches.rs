//! `GET /repos/{owner}/{repo}/branches/{branch}`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde_json::json;

use crate::reply;
use crate::shared::Shared;

/// A branch and its head commit (branch names may contain `/`).
pub(crate) async fn get_one(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, branch)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let state = shared.state();
    let Some(target) = state.find_repo(&format!("{owner}/{repo}")) else { return reply::not_found() };
    let Some(sha) = target.branches.get(&branch) else {
        return reply::error(StatusCode::NOT_FOUND, "Branch not found");
    };
    let api = format!("{}/repos/{}/{}", shared.base_url, target.owner, target.name);
    let value = json!({
        "name": branch,
        "commit": { "sha": sha, "url": format!("{api}/commits/{sha}") },
        "_links": {
            "self": format!("{api}/branches/{branch}"),
            "html": format!("{}/{}/{}/tree/{branch}", shared.base_url, target.owner, target.name),
        },
        "protected": branch == target.default_branch,
        "protection_url": format!("{api}/branches/{branch}/protection"),
    });
    drop(state);
    reply::conditional_json(&headers, &value, None)
}
