//! Building answers the way GitHub shapes them: JSON with strong ETags and `304`s, GitHub's
//! error bodies, and the rate-limit headers every answer carries.

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LINK, LOCATION, RETRY_AFTER, VARY};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};

use crate::accounting::RateSnapshot;
use crate::etag;

const JSON: &str = "application/json; charset=utf-8";

/// Why a request is answered with an error instead of what it asked for. Small and typed, so
/// helpers return it and the handler turns it into GitHub's answer at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// 404 `Not Found`.
    NotFound,
    /// 400 `Problems parsing JSON`.
    BadJson,
    /// 422 with what was wrong.
    Unprocessable(String),
    /// 422 `No commit found for SHA: …`.
    NoCommit(String),
    /// 401 with GitHub's message.
    Unauthorized(&'static str),
    /// 403: the primary budget is spent.
    PrimaryExhausted,
    /// A secondary limit, with the status and `retry-after` seconds.
    Secondary(StatusCode, u64),
    /// GraphQL's 200 `RATE_LIMITED`.
    GraphqlRateLimited,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::NotFound => not_found(),
            Self::BadJson => bad_json(),
            Self::Unprocessable(detail) => unprocessable(&detail),
            Self::NoCommit(sha) => {
                error(StatusCode::UNPROCESSABLE_ENTITY, &format!("No commit found for SHA: {sha}"))
            }
            Self::Unauthorized(message) => error(StatusCode::UNAUTHORIZED, message),
            Self::PrimaryExhausted => primary_exhausted(),
            Self::Secondary(status, retry_after) => secondary_limited(status, retry_after),
            Self::GraphqlRateLimited => graphql_errors(&json!({
                "type": "RATE_LIMITED",
                "message": "API rate limit exceeded for user ID 1.",
            })),
        }
    }
}

/// `200 {"errors": [error]}`: GitHub's answer to a GraphQL document it will not run.
pub(crate) fn graphql_errors(error: &Value) -> Response {
    json_status(StatusCode::OK, &json!({ "errors": [error] }))
}

/// Marks an answer that must not be sent: the connection is dropped instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// A `GET` answer: 200 with a strong ETag (and `Link` when paginated), or a bodiless 304
/// without `Link` when `If-None-Match` names the ETag.
pub(crate) fn conditional_json(request: &HeaderMap, value: &Value, link: Option<String>) -> Response {
    let body = serde_json::to_vec(value).expect("JSON values always serialize");
    let tag = etag::etag_of(&body);
    let tag_header = HeaderValue::from_str(&tag).expect("an ETag is quoted hex");
    if request.get(IF_NONE_MATCH).is_some_and(|wanted| etag::matches(wanted, &tag)) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(ETAG, tag_header);
        return response;
    }
    let mut response = bytes(StatusCode::OK, body);
    let headers = response.headers_mut();
    headers.insert(ETAG, tag_header);
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, max-age=60, s-maxage=60"));
    headers.insert(VARY, HeaderValue::from_static("Accept, Authorization, Cookie, X-GitHub-OTP"));
    if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(LINK, link);
    }
    response
}

/// JSON with `status` and no ETag (writes, errors).
pub(crate) fn json_status(status: StatusCode, value: &Value) -> Response {
    bytes(status, serde_json::to_vec(value).expect("JSON values always serialize"))
}

/// `201 Created` with `Location`.
pub(crate) fn created(value: &Value, location: &str) -> Response {
    let mut response = json_status(StatusCode::CREATED, value);
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

/// GitHub's error body: `{"message", "documentation_url", "status"}`.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.as_str(),
    });
    json_status(status, &body)
}

/// `404 {"message":"Not Found"}`.
pub(crate) fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

/// Fallback for routes the simulator does not serve.
pub(crate) async fn not_found_handler() -> Response {
    not_found()
}

/// `400 Problems parsing JSON`.
pub(crate) fn bad_json() -> Response {
    error(StatusCode::BAD_REQUEST, "Problems parsing JSON")
}

/// `422 Validation Failed` naming what was wrong.
pub(crate) fn unprocessable(detail: &str) -> Response {
    let body = json!({
        "message": format!("Invalid request.\n\n{detail}"),
        "documentation_url": "https://docs.github.com/rest",
        "status": "422",
    });
    json_status(StatusCode::UNPROCESSABLE_ENTITY, &body)
}

/// A secondary rate limit answer with `retry-after`.
pub(crate) fn secondary_limited(status: StatusCode, retry_after_secs: u64) -> Response {
    let message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. \
                   If you reach out to GitHub Support for help, please include the request ID \
                   0000:0000:0000000:0000000:00000000.";
    let mut response = error(status, message);
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// The primary budget is spent (REST).
pub(crate) fn primary_exhausted() -> Response {
    let message = "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please \
                   include the request ID 0000:0000:0000000:0000000:00000000.";
    error(StatusCode::FORBIDDEN, message)
}

/// An injected server error.
pub(crate) fn server_error(status: StatusCode) -> Response {
    error(status, status.canonical_reason().unwrap_or("Server Error"))
}

/// An answer whose body stops mid-JSON (status 200, JSON content type).
pub(crate) fn malformed(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.status = StatusCode::OK;
    parts.headers.remove(http::header::CONTENT_LENGTH);
    parts.headers.remove(ETAG);
    parts.headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    Response::from_parts(parts, Body::from(r#"{"message": "truncat"#))
}

/// An answer that is never sent: the server drops the connection.
pub(crate) fn drop_connection() -> Response {
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

/// Adds `x-ratelimit-limit/remaining/used/reset/resource`.
pub(crate) fn with_rate_headers(mut response: Response, rate: &RateSnapshot) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(rate.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(rate.remaining));
    headers.insert("x-ratelimit-used", HeaderValue::from(rate.used));
    headers.insert("x-ratelimit-reset", HeaderValue::from(rate.reset));
    headers.insert("x-ratelimit-resource", HeaderValue::from_static(rate.resource.as_str()));
    response
}

fn bytes(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}
