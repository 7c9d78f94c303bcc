//! `GET /repos/{owner}/{repo}`: the repository (GitHub's `full-repository`), also what
//! `/repositories/{id}` serves after a rename.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use http::HeaderMap;
use serde_json::{Value, json};

use super::shapes::{self, Urls};
use crate::reply;
use crate::shared::Shared;

/// The repository with the fields `full-repository` adds to a repository object.
pub(crate) async fn get_one(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let state = shared.state();
    let Some(target) = state.find_repo(&format!("{owner}/{repo}")) else { return reply::not_found() };
    let mut value = shapes::repository(Urls { base: &shared.base_url, repo: target });
    if let Value::Object(map) = &mut value {
        let extra = json!({ "network_count": 0, "subscribers_count": 0, "has_discussions": false });
        if let Value::Object(extra) = extra {
            map.extend(extra);
        }
    }
    drop(state);
    reply::conditional_json(&headers, &value, None)
}
