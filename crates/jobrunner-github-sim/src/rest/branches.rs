//! `GET /repos/{owner}/{repo}/branches/{branch}`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use serde_json::json;

use super::shapes;
use crate::clock::LogicalClock;
use crate::ids;
use crate::marker::{TextKind, mark};
use crate::reply;
use crate::shared::Shared;
use crate::state::HUMAN_LOGIN;

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
    let html = format!("{}/{}/{}", shared.base_url, target.owner, target.name);
    let protection = target.protection(&branch);
    let at = target.pushed_at.map_or_else(|| shapes::time(LogicalClock::epoch()), shapes::time);
    let message = mark(state.marker(), TextKind::CommitMessage, &format!("Update {branch}"));
    // A commit's author name is free text on GitHub: it carries the marker like the message.
    let name = mark(state.marker(), TextKind::Title, "The Octocat");
    let git_user = json!({ "name": name, "email": "octocat@users.noreply.github.com", "date": at });
    let required = protection.map(|p| p.required_checks.clone()).unwrap_or_default();
    let value = json!({
        "name": branch,
        "commit": {
            "sha": sha,
            "node_id": ids::object_id("C", u64::from_str_radix(&sha[..12.min(sha.len())], 16).unwrap_or(0)),
            "url": format!("{api}/commits/{sha}"),
            "html_url": format!("{html}/commit/{sha}"),
            "comments_url": format!("{api}/commits/{sha}/comments"),
            "commit": {
                "author": git_user,
                "committer": git_user,
                "message": message,
                "tree": { "sha": ids::sha(&format!("tree:{sha}")), "url": format!("{api}/git/trees/{sha}") },
                "url": format!("{api}/git/commits/{sha}"),
                "comment_count": 0,
            },
            "author": shapes::user(&shared.base_url, HUMAN_LOGIN),
            "committer": shapes::user(&shared.base_url, HUMAN_LOGIN),
            "parents": [],
        },
        "_links": { "self": format!("{api}/branches/{branch}"), "html": format!("{html}/tree/{branch}") },
        "protected": protection.is_some(),
        "protection": {
            "enabled": protection.is_some(),
            "required_status_checks": {
                "enforcement_level": if required.is_empty() { "off" } else { "non_admins" },
                "contexts": required,
                "checks": required.iter().map(|c| json!({ "context": c, "app_id": null })).collect::<Vec<_>>(),
            },
        },
        "protection_url": format!("{api}/branches/{branch}/protection"),
    });
    drop(state);
    reply::conditional_json(&headers, &value, None)
}
