//! How GitHub answers a request that names a repository it will not serve as asked: a
//! renamed repository redirects (REST `301` for reads, `307` for writes, to
//! `/repositories/{id}/…`), `/repositories/{id}/…` serves what `/repos/{owner}/{repo}/…` does,
//! and a forbidden repository answers `403` with a message that is not a rate limit.

use axum::response::Response;
use http::header::LOCATION;
use http::{HeaderValue, Method, StatusCode, Uri};
use serde_json::json;

use crate::reply;
use crate::state::SimState;

/// GitHub's message when a token or app may not see a repository's resources.
pub(crate) const NOT_ACCESSIBLE: &str = "Resource not accessible by integration";

/// `/repositories/{id}/rest?query` as `/repos/{owner}/{name}/rest?query`, the route that
/// serves it; `None` for other paths and unknown ids (which then answer `404`).
pub(crate) fn by_id_path(state: &SimState, uri: &Uri) -> Option<Uri> {
    let rest = uri.path().strip_prefix("/repositories/")?;
    let (id, tail) = rest.split_once('/').map_or((rest, ""), |(id, tail)| (id, tail));
    let repo = state.repo_by_id(id.parse().ok()?)?;
    let mut path = format!("/repos/{}/{}", repo.owner, repo.name);
    if !tail.is_empty() {
        path.push('/');
        path.push_str(tail);
    }
    if let Some(query) = uri.query() {
        path.push('?');
        path.push_str(query);
    }
    path.parse().ok()
}

/// The answer GitHub gives instead of serving `/repos/{owner}/{repo}/…`, if any: the redirect
/// of a renamed repository, or the `403` of a forbidden one.
pub(crate) fn refusal(state: &SimState, base: &str, method: &Method, uri: &Uri) -> Option<Response> {
    let rest = uri.path().strip_prefix("/repos/")?;
    let mut parts = rest.splitn(3, '/');
    let slug = format!("{}/{}", parts.next()?, parts.next()?);
    let tail = parts.next();
    if let Some(repo) = state.find_repo(&slug) {
        return repo.forbidden.then(|| reply::error(StatusCode::FORBIDDEN, NOT_ACCESSIBLE));
    }
    let repo = state.renamed_from(&slug)?;
    let mut location = format!("{base}/repositories/{}", repo.database_id);
    if let Some(tail) = tail {
        location.push('/');
        location.push_str(tail);
    }
    if let Some(query) = uri.query() {
        location.push('?');
        location.push_str(query);
    }
    Some(moved(method, &location))
}

/// `301` for `GET`/`HEAD`, `307` for other methods, both with the body GitHub sends.
fn moved(method: &Method, location: &str) -> Response {
    let status = if matches!(*method, Method::GET | Method::HEAD) {
        StatusCode::MOVED_PERMANENTLY
    } else {
        StatusCode::TEMPORARY_REDIRECT
    };
    let body = json!({
        "message": "Moved Permanently",
        "url": location,
        "documentation_url": "https://docs.github.com/v3/#http-redirects",
    });
    let mut response = reply::json_status(status, &body);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}
