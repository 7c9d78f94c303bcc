//! `GET /repos/{owner}/{repo}/pulls` and `GET /repos/{owner}/{repo}/pulls/{number}`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::HeaderMap;
use serde_json::Value;

use super::shapes::{self, Urls};
use super::{QueryPairs, directed, number, param};
use crate::gate::RequestCtx;
use crate::model::PullRequest;
use crate::pagination::{PageRequest, link_header};
use crate::reply;
use crate::shared::Shared;

/// Lists pull requests: `state` (open, closed, all), `base`, `sort` (created, updated),
/// `direction`, `per_page`, `page`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<QueryPairs>,
    headers: HeaderMap,
) -> Response {
    let state = shared.state();
    let Some(target) = state.find_repo(&format!("{owner}/{repo}")) else { return reply::not_found() };
    let wanted = param(&query, "state").unwrap_or("open");
    let base = param(&query, "base");
    let mut prs: Vec<&PullRequest> = target
        .pulls
        .values()
        .filter(|pr| in_state(pr, wanted) && base.is_none_or(|b| pr.base_ref == b))
        .collect();
    sort(&mut prs, &query);
    let page = PageRequest::from_query(&query);
    let urls = Urls { base: &shared.base_url, repo: target };
    let repository = shapes::repository(urls);
    let items: Vec<Value> =
        page.slice(&prs).iter().map(|pr| shapes::pull_in(urls, pr, &repository)).collect();
    let url = format!("{}/repos/{owner}/{repo}/pulls", shared.base_url);
    let link = link_header(&url, &query, page, prs.len());
    drop(state);
    reply::conditional_json(&headers, &Value::Array(items), link)
}

/// One pull request with its mergeability; each call is a read of it (see
/// [`PullRequest::read_mergeable`]).
pub(crate) async fn get_one(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, n)): Path<(String, String, String)>,
    Extension(ctx): Extension<RequestCtx>,
    headers: HeaderMap,
) -> Response {
    let slug = format!("{owner}/{repo}");
    let mut state = shared.state();
    let Some(n) = number(&n).filter(|n| state.find_repo(&slug).is_some_and(|r| r.pulls.contains_key(n)))
    else {
        return reply::not_found();
    };
    let mergeable = if ctx.mergeable_null { None } else { state.pr_mut(&slug, n).read_mergeable() };
    let target = state.repo(&slug);
    let value =
        shapes::pull_detail(Urls { base: &shared.base_url, repo: target }, &target.pulls[&n], mergeable);
    drop(state);
    reply::conditional_json(&headers, &value, None)
}

fn in_state(pr: &PullRequest, wanted: &str) -> bool {
    match wanted {
        "closed" => !pr.is_open(),
        "all" => true,
        _ => pr.is_open(),
    }
}

/// GitHub's default: newest first when sorting by creation, else ascending.
fn sort(prs: &mut [&PullRequest], query: &[(String, String)]) {
    let by_updated = param(query, "sort") == Some("updated");
    prs.sort_by(|a, b| {
        let ordering = if by_updated {
            (a.updated_at, a.number).cmp(&(b.updated_at, b.number))
        } else {
            (a.created_at, a.number).cmp(&(b.created_at, b.number))
        };
        directed(ordering, query, !by_updated)
    });
}
