//! Checks hang off commits: `GET …/commits/{ref}/check-runs` lists a commit's check runs and
//! `GET …/commits/{ref}/status` combines its commit statuses. A commit without CI answers
//! `total_count: 0` on both, and its combined status is `pending` (GitHub's quirk: no status
//! at all reads as pending).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use serde_json::{Value, json};

use super::shapes::{self, Urls};
use crate::checks::{CheckState, NamedCheck};
use crate::clock::Timestamp;
use crate::ids;
use crate::model::Repo;
use crate::reply::{self, Refusal};
use crate::shared::Shared;

/// What the simulator knows about one commit's checks.
struct CheckedCommit<'a> {
    sha: String,
    checks: &'a [NamedCheck],
    /// PRs whose head this commit is.
    pulls: Vec<&'a crate::model::PullRequest>,
    at: Option<Timestamp>,
}

/// Resolves a SHA or branch name to a known commit; `None` for unknown commits.
fn checked<'a>(repo: &'a Repo, git_ref: &str) -> Option<CheckedCommit<'a>> {
    let sha = repo.branches.get(git_ref).cloned().unwrap_or_else(|| git_ref.to_owned());
    let checks = repo.checks_of(&sha)?;
    let pulls: Vec<_> = repo.pulls.values().filter(|pr| pr.head_sha() == sha).collect();
    let at = repo.pulls.values().flat_map(|pr| &pr.commits).find(|c| c.sha == sha).map(|c| c.committed_at);
    Some(CheckedCommit { sha, checks, pulls, at })
}

fn lookup<'a>(repo: Option<&'a Repo>, git_ref: &str) -> Result<(&'a Repo, CheckedCommit<'a>), Refusal> {
    let repo = repo.ok_or(Refusal::NotFound)?;
    let commit = checked(repo, git_ref).ok_or_else(|| Refusal::NoCommit(git_ref.to_owned()))?;
    Ok((repo, commit))
}

/// The check runs of a commit.
pub(crate) async fn check_runs(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    commit_reply(&shared, &format!("{owner}/{repo}"), &git_ref, &headers, |base, target, commit| {
        let runs: Vec<Value> = commit
            .checks
            .iter()
            .filter(|c| c.kind.is_check_run())
            .map(|c| check_run(base, target, commit, c))
            .collect();
        json!({ "total_count": runs.len(), "check_runs": runs })
    })
}

/// Looks the commit up and answers `render`'s view of it, conditionally; or the refusal.
fn commit_reply(
    shared: &Shared,
    repo: &str,
    git_ref: &str,
    headers: &HeaderMap,
    render: impl FnOnce(&str, &Repo, &CheckedCommit<'_>) -> Value,
) -> Response {
    let state = shared.state();
    let (target, commit) = match lookup(state.find_repo(repo), git_ref) {
        Ok(found) => found,
        Err(refusal) => return refusal.into_response(),
    };
    let value = render(&shared.base_url, target, &commit);
    drop(state);
    reply::conditional_json(headers, &value, None)
}

fn check_run(base: &str, repo: &Repo, commit: &CheckedCommit<'_>, check: &NamedCheck) -> Value {
    let id = check_id(&commit.sha, &check.name, 12);
    let api = format!("{base}/repos/{}/{}", repo.owner, repo.name);
    let (status, conclusion) = match check.state {
        CheckState::Success => ("completed", Some("success")),
        CheckState::Failure | CheckState::Error => ("completed", Some("failure")),
        CheckState::Pending => ("in_progress", None),
        CheckState::Expected => ("queued", None),
    };
    let started = commit.at.map(shapes::time);
    json!({
        "id": id,
        "node_id": ids::object_id("CR", id),
        "head_sha": commit.sha,
        "external_id": "",
        "url": format!("{api}/check-runs/{id}"),
        "html_url": format!("{base}/{}/{}/runs/{id}", repo.owner, repo.name),
        "details_url": format!("{base}/{}/{}/runs/{id}", repo.owner, repo.name),
        "status": status,
        "conclusion": conclusion,
        "started_at": started,
        "completed_at": if conclusion.is_some() { started } else { None },
        "output": { "title": null, "summary": null, "text": null, "annotations_count": 0,
                    "annotations_url": format!("{api}/check-runs/{id}/annotations") },
        "name": check.name,
        "check_suite": { "id": id },
        // The GitHub App that created the run; the simulator names none.
        "app": null,
        "pull_requests": commit.pulls.iter().map(|pr| pr_ref(base, repo, pr)).collect::<Vec<_>>(),
    })
}

/// The minimal PR object check runs carry.
fn pr_ref(base: &str, repo: &Repo, pr: &crate::model::PullRequest) -> Value {
    let api = format!("{base}/repos/{}/{}", repo.owner, repo.name);
    let urls = Urls { base, repo };
    json!({
        "url": format!("{api}/pulls/{}", pr.number),
        "id": pr.id,
        "number": pr.number,
        "head": { "ref": pr.head_ref, "sha": pr.head_sha(), "repo": shapes::repository_ref(urls) },
        "base": { "ref": pr.base_ref, "sha": repo.branches.get(&pr.base_ref).cloned().unwrap_or_default(),
                  "repo": shapes::repository_ref(urls) },
    })
}

/// The combined status of a commit.
pub(crate) async fn status(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, git_ref)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    commit_reply(&shared, &format!("{owner}/{repo}"), &git_ref, &headers, |base, target, commit| {
        combined(Urls { base, repo: target }, commit)
    })
}

fn check_id(sha: &str, name: &str, len: usize) -> u64 {
    u64::from_str_radix(&ids::hex_digest(format!("{sha}/{name}").as_bytes(), len), 16).unwrap_or(1)
}

fn status_state(state: CheckState) -> &'static str {
    match state {
        CheckState::Success => "success",
        CheckState::Failure => "failure",
        CheckState::Error => "error",
        CheckState::Pending | CheckState::Expected => "pending",
    }
}

/// GitHub's combined status: `failure` if any status is an error or a failure, else
/// `pending` if any is pending or there is none at all, else `success`.
fn combined_state(statuses: &[&NamedCheck]) -> &'static str {
    if statuses.iter().any(|c| matches!(c.state, CheckState::Failure | CheckState::Error)) {
        "failure"
    } else if statuses.is_empty() || statuses.iter().any(|c| c.state != CheckState::Success) {
        "pending"
    } else {
        "success"
    }
}

fn combined(urls: Urls<'_>, commit: &CheckedCommit<'_>) -> Value {
    let repo = urls.repo;
    let api = format!("{}/repos/{}/{}", urls.base, repo.owner, repo.name);
    let at = commit.at.map(shapes::time);
    let own: Vec<&NamedCheck> = commit.checks.iter().filter(|c| c.kind.is_status()).collect();
    let statuses: Vec<Value> = own
        .iter()
        .map(|c| {
            let id = check_id(&commit.sha, &c.name, 10);
            json!({
                "id": id,
                "node_id": ids::object_id("SC", id),
                "url": format!("{api}/statuses/{}", commit.sha),
                "avatar_url": null,
                "state": status_state(c.state),
                "description": "CI",
                "target_url": null,
                "context": c.name,
                "created_at": at,
                "updated_at": at,
            })
        })
        .collect();
    json!({
        "state": combined_state(&own),
        "sha": commit.sha,
        "total_count": statuses.len(),
        "statuses": statuses,
        "repository": shapes::repository(urls),
        "commit_url": format!("{api}/commits/{}", commit.sha),
        "url": format!("{api}/commits/{}/status", commit.sha),
    })
}
