//! `PUT /repos/{owner}/{repo}/pulls/{number}/merge` and `PUT …/pulls/{number}/update-branch`,
//! answered as GitHub does: `200 {sha, merged, message}` or 405/409; `202 {message, url}` or
//! 422.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value, json};

use super::number;
use crate::error::ApiError;
use crate::model::MergeMethod;
use crate::reply::{self, Refusal};
use crate::shared::Shared;

/// A body that may be absent (GitHub's request bodies here are optional).
fn optional_object(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(Refusal::Unprocessable("the body must be a JSON object".to_owned())),
        Err(_) => Err(Refusal::BadJson),
    }
}

fn string<'a>(fields: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, Refusal> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(Refusal::Unprocessable(format!("{key} is not a string"))),
    }
}

fn merge_method(value: Option<&str>) -> Result<MergeMethod, Refusal> {
    match value {
        None | Some("merge") => Ok(MergeMethod::Merge),
        Some("squash") => Ok(MergeMethod::Squash),
        Some("rebase") => Ok(MergeMethod::Rebase),
        Some(other) => Err(Refusal::Unprocessable(format!(
            "merge_method {other:?} is not a member of [\"merge\", \"squash\", \"rebase\"]"
        ))),
    }
}

fn refused(error: ApiError) -> Response {
    match error {
        ApiError::NotFound => reply::not_found(),
        ApiError::Unprocessable(message) => reply::error(StatusCode::UNPROCESSABLE_ENTITY, &message),
        ApiError::NotMergeable(message) => reply::error(StatusCode::METHOD_NOT_ALLOWED, &message),
        ApiError::HeadMoved(message) => reply::error(StatusCode::CONFLICT, &message),
    }
}

/// `PUT …/pulls/{n}/merge` with `{sha, merge_method, commit_title, commit_message}`, all
/// optional.
pub(crate) async fn merge(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, n)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let parsed = optional_object(&body).and_then(|fields| {
        let sha = string(&fields, "sha")?.map(str::to_owned);
        Ok((sha, merge_method(string(&fields, "merge_method")?)?))
    });
    let (sha, method) = match parsed {
        Ok(parsed) => parsed,
        Err(refusal) => return refusal.into_response(),
    };
    let Some(number) = number(&n) else { return reply::not_found() };
    let result =
        shared.state().merge_pull_request(&format!("{owner}/{repo}"), number, sha.as_deref(), method);
    match result {
        Ok(merged) => {
            shared.record(merged.records);
            let body =
                json!({ "sha": merged.sha, "merged": true, "message": "Pull Request successfully merged" });
            reply::json_status(StatusCode::OK, &body)
        }
        Err(error) => refused(error),
    }
}

/// `PUT …/pulls/{n}/update-branch` with `{expected_head_sha}`, optional.
pub(crate) async fn update_branch(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, n)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let expected =
        match optional_object(&body).and_then(|f| Ok(string(&f, "expected_head_sha")?.map(str::to_owned))) {
            Ok(expected) => expected,
            Err(refusal) => return refusal.into_response(),
        };
    let Some(number) = number(&n) else { return reply::not_found() };
    let result = shared.state().update_branch(&format!("{owner}/{repo}"), number, expected.as_deref());
    match result {
        Ok(records) => {
            shared.record(records);
            let url = format!("{}/repos/{owner}/{repo}/pulls/{number}", shared.base_url);
            reply::json_status(
                StatusCode::ACCEPTED,
                &json!({ "message": "Updating pull request branch.", "url": url }),
            )
        }
        Err(error) => refused(error),
    }
}
