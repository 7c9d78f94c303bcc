//! The issues endpoints: list (pull requests included, as GitHub does), get, edit, comment,
//! add labels. Issue numbers that are pull requests work on the PR, as on GitHub.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

use super::shapes::{self, Urls};
use super::{QueryPairs, directed, number, param};
use crate::actions::IssueEdit;
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::model::{Issue, IssueState, PullRequest, StateReason};
use crate::pagination::{PageRequest, link_header};
use crate::reply::{self, Refusal};
use crate::shared::Shared;
use crate::state::SimState;

/// An entry of the issues list: an issue, or a pull request seen as an issue.
#[derive(Clone, Copy)]
enum Entry<'a> {
    Issue(&'a Issue),
    Pull(&'a PullRequest),
}

impl Entry<'_> {
    fn number(self) -> u64 {
        match self {
            Self::Issue(i) => i.number,
            Self::Pull(p) => p.number,
        }
    }

    fn open(self) -> bool {
        match self {
            Self::Issue(i) => i.state == IssueState::Open,
            Self::Pull(p) => p.is_open(),
        }
    }

    fn label_names(&self) -> &[String] {
        match self {
            Self::Issue(i) => &i.labels,
            Self::Pull(p) => &p.labels,
        }
    }

    fn times(self) -> (Timestamp, Timestamp) {
        match self {
            Self::Issue(i) => (i.created_at, i.updated_at),
            Self::Pull(p) => (p.created_at, p.updated_at),
        }
    }

    fn comments(self) -> usize {
        match self {
            Self::Issue(i) => i.comments.len(),
            Self::Pull(p) => p.comments.len(),
        }
    }

    fn json(self, state: &SimState, urls: Urls<'_>) -> Value {
        match self {
            Self::Issue(i) => {
                shapes::issue(urls, i, state.sub_issues_summary(&urls.repo.full_name(), i.number))
            }
            Self::Pull(p) => shapes::pull_as_issue(urls, p),
        }
    }
}

/// Lists issues and PRs: `state`, `labels` (comma-separated, all required), `since`,
/// `sort` (created, updated, comments), `direction`, `per_page`, `page`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<QueryPairs>,
    headers: HeaderMap,
) -> Response {
    let state = shared.state();
    let Some(target) = state.find_repo(&format!("{owner}/{repo}")) else { return reply::not_found() };
    let filter = Filter::from_query(&query);
    let issues = target.issues.values().map(Entry::Issue);
    let mut entries: Vec<Entry<'_>> =
        issues.chain(target.pulls.values().map(Entry::Pull)).filter(|e| filter.keeps(*e)).collect();
    sort(&mut entries, &query);
    let page = PageRequest::from_query(&query);
    let urls = Urls { base: &shared.base_url, repo: target };
    let items: Vec<Value> = page.slice(&entries).iter().map(|e| e.json(&state, urls)).collect();
    let url = format!("{}/repos/{owner}/{repo}/issues", shared.base_url);
    let link = link_header(&url, &query, page, entries.len());
    drop(state);
    reply::conditional_json(&headers, &Value::Array(items), link)
}

struct Filter<'a> {
    state: &'a str,
    labels: Vec<&'a str>,
    since: Option<DateTime<Utc>>,
}

impl<'a> Filter<'a> {
    fn from_query(query: &'a [(String, String)]) -> Self {
        Self {
            state: param(query, "state").unwrap_or("open"),
            labels: param(query, "labels")
                .map(|l| l.split(',').filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
            since: param(query, "since")
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc)),
        }
    }

    fn keeps(&self, entry: Entry<'_>) -> bool {
        let state_ok = match self.state {
            "closed" => !entry.open(),
            "all" => true,
            _ => entry.open(),
        };
        let labels_ok = self.labels.iter().all(|l| entry.label_names().iter().any(|n| n == l));
        state_ok && labels_ok && self.since.is_none_or(|since| entry.times().1 >= since)
    }
}

fn sort(entries: &mut [Entry<'_>], query: &[(String, String)]) {
    let key = param(query, "sort").unwrap_or("created");
    entries.sort_by(|a, b| {
        let ordering = match key {
            "updated" => (a.times().1, a.number()).cmp(&(b.times().1, b.number())),
            "comments" => (a.comments(), a.number()).cmp(&(b.comments(), b.number())),
            _ => (a.times().0, a.number()).cmp(&(b.times().0, b.number())),
        };
        directed(ordering, query, true)
    });
}

/// One issue (or PR as an issue).
pub(crate) async fn get_one(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, n)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let state = shared.state();
    let Some(value) = issue_json(&state, &shared.base_url, &format!("{owner}/{repo}"), &n) else {
        return reply::not_found();
    };
    drop(state);
    reply::conditional_json(&headers, &value, None)
}

fn issue_json(state: &SimState, base: &str, slug: &str, n: &str) -> Option<Value> {
    let target = state.find_repo(slug)?;
    let n = number(n)?;
    let urls = Urls { base, repo: target };
    match (target.issues.get(&n), target.pulls.get(&n)) {
        (Some(issue), _) => Some(shapes::issue(urls, issue, state.sub_issues_summary(slug, n))),
        (None, Some(pr)) => Some(shapes::pull_as_issue(urls, pr)),
        (None, None) => None,
    }
}

/// `GET …/issues/{n}/comments`: an issue's or PR's comments, oldest first, with `since`,
/// `per_page` and `page`.
pub(crate) async fn list_comments(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, n)): Path<(String, String, String)>,
    Query(query): Query<QueryPairs>,
    headers: HeaderMap,
) -> Response {
    let slug = format!("{owner}/{repo}");
    let state = shared.state();
    let Some(target) = state.find_repo(&slug) else { return reply::not_found() };
    let Some(number) = number(&n) else { return reply::not_found() };
    let comments = match (target.issues.get(&number), target.pulls.get(&number)) {
        (Some(issue), _) => &issue.comments,
        (None, Some(pr)) => &pr.comments,
        (None, None) => return reply::not_found(),
    };
    let since = Filter::from_query(&query).since;
    let kept: Vec<_> = comments.iter().filter(|c| since.is_none_or(|t| c.created_at >= t)).collect();
    let page = PageRequest::from_query(&query);
    let urls = Urls { base: &shared.base_url, repo: target };
    let items: Vec<Value> = page.slice(&kept).iter().map(|c| shapes::comment(urls, number, c)).collect();
    let url = format!("{}/repos/{slug}/issues/{number}/comments", shared.base_url);
    let link = link_header(&url, &query, page, kept.len());
    drop(state);
    reply::conditional_json(&headers, &Value::Array(items), link)
}

/// `PATCH …/issues/{n}` with `{title?, body?, state?, state_reason?, labels?}`.
pub(crate) async fn edit(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, n)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let slug = format!("{owner}/{repo}");
    let edit = match json_object(&body).and_then(|fields| parse_edit(&fields)) {
        Ok(edit) => edit,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(number) = number(&n) else { return reply::not_found() };
    let result = shared.state().edit_issue(&slug, number, edit);
    match result {
        Ok(records) => shared.record(records),
        Err(error) => return refused(&error),
    }
    let value = issue_json(&shared.state(), &shared.base_url, &slug, &n);
    value.map_or_else(reply::not_found, |v| reply::json_status(StatusCode::OK, &v))
}

/// `POST …/issues/{n}/comments` with `{body}`; answers 201 with the comment.
pub(crate) async fn comment(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, n)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let slug = format!("{owner}/{repo}");
    let text = match json_object(&body).and_then(|fields| required_string(&fields, "body")) {
        Ok(text) => text,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(number) = number(&n) else { return reply::not_found() };
    let result = shared.state().add_comment(&slug, number, text);
    let (comment, records) = match result {
        Ok(done) => done,
        Err(error) => return refused(&error),
    };
    shared.record(records);
    let state = shared.state();
    let urls = Urls { base: &shared.base_url, repo: state.repo(&slug) };
    let value = shapes::comment(urls, number, &comment);
    drop(state);
    let location = value["url"].as_str().unwrap_or_default().to_owned();
    reply::created(&value, &location)
}

/// `POST …/issues/{n}/labels` with `{labels: [...]}` (or a bare array); answers every label.
pub(crate) async fn add_labels(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, n)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let slug = format!("{owner}/{repo}");
    let Ok(value) = serde_json::from_slice::<Value>(&body) else { return reply::bad_json() };
    let list = match &value {
        Value::Object(fields) => fields.get("labels").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let Some(labels) = label_names(&list) else {
        return reply::unprocessable("labels must be a list of names");
    };
    let Some(number) = number(&n) else { return reply::not_found() };
    let result = shared.state().add_labels(&slug, number, labels);
    let (now, records) = match result {
        Ok(done) => done,
        Err(error) => return refused(&error),
    };
    shared.record(records);
    let state = shared.state();
    let urls = Urls { base: &shared.base_url, repo: state.repo(&slug) };
    let value = Value::Array(now.iter().map(|name| shapes::label(urls, name)).collect());
    drop(state);
    reply::json_status(StatusCode::OK, &value)
}

fn refused(error: &ApiError) -> Response {
    match error {
        ApiError::NotFound => reply::not_found(),
        ApiError::Unprocessable(detail) => reply::unprocessable(detail),
        ApiError::NotMergeable(message) => reply::error(StatusCode::METHOD_NOT_ALLOWED, message),
        ApiError::HeadMoved(message) => reply::error(StatusCode::CONFLICT, message),
    }
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(invalid("the body must be a JSON object")),
        Err(_) => Err(Refusal::BadJson),
    }
}

fn invalid(detail: &str) -> Refusal {
    Refusal::Unprocessable(detail.to_owned())
}

fn required_string(fields: &Map<String, Value>, key: &str) -> Result<String, Refusal> {
    match fields.get(key) {
        Some(Value::String(text)) => Ok(text.clone()),
        _ => Err(invalid(&format!("For 'properties/{key}', a string is required."))),
    }
}

fn optional_string(fields: &Map<String, Value>, key: &str) -> Result<Option<String>, Refusal> {
    match fields.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(String::new())),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(invalid(&format!("For 'properties/{key}', {other} is not a string or null."))),
    }
}

fn parse_edit(fields: &Map<String, Value>) -> Result<IssueEdit, Refusal> {
    let state = match fields.get("state").and_then(Value::as_str) {
        None => None,
        Some("open") => Some(IssueState::Open),
        Some("closed") => Some(IssueState::Closed),
        Some(other) => {
            return Err(invalid(&format!("For 'properties/state', \"{other}\" is not one of open, closed.")));
        }
    };
    let state_reason = match fields.get("state_reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(reason)) => Some(StateReason::from_rest(reason).ok_or_else(|| {
            invalid(&format!("For 'properties/state_reason', \"{reason}\" is not a valid reason."))
        })?),
        Some(other) => {
            return Err(invalid(&format!("For 'properties/state_reason', {other} is not a string.")));
        }
    };
    let labels = match fields.get("labels") {
        None => None,
        Some(list) => Some(label_names(list).ok_or_else(|| invalid("labels must be a list of names"))?),
    };
    Ok(IssueEdit {
        title: optional_string(fields, "title")?,
        body: optional_string(fields, "body")?,
        state,
        state_reason,
        labels,
    })
}

/// Label names from `["a"]` or `[{"name": "a"}]`.
fn label_names(list: &Value) -> Option<Vec<String>> {
    list.as_array()?
        .iter()
        .map(|item| match item {
            Value::String(name) => Some(name.clone()),
            Value::Object(label) => label.get("name")?.as_str().map(str::to_owned),
            _ => None,
        })
        .collect()
}
