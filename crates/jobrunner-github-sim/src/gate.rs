//! The gate every request passes before and after its handler: counting, the concurrency limit,
//! authentication, fault injection, REST primary and secondary limits, charging, and the
//! `x-ratelimit-*` headers. GraphQL requests are charged by their handler, which alone knows
//! the query's cost.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::AUTHORIZATION;
use http::{HeaderMap, Method, StatusCode};

use crate::accounting::{Resource, SecondaryCost};
use crate::faults::{Fault, RequestInfo};
use crate::reply::{self, Refusal};
use crate::repo_access;
use crate::shared::Shared;

/// What the gate learned about a request, for its handler.
#[derive(Debug, Clone)]
pub(crate) struct RequestCtx {
    /// The caller's token.
    pub(crate) token: String,
    /// Serve every mergeability as unknown (the `MergeableNull` fault).
    pub(crate) mergeable_null: bool,
}

/// Decrements the in-flight count when the request is done, however it ends.
struct InFlight<'a>(&'a Shared);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Shared) -> (Self, u32) {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        (Self(shared), now)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The middleware.
pub(crate) async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let response = admit_and_run(&shared, request, next).await;
    shared.bump_activity();
    response
}

/// Where a request goes, as the gate sees it.
struct Route {
    method: Method,
    path: String,
    /// The route template (`{*x}` wildcards written `{x}`); `None` for unknown routes.
    template: Option<String>,
    resource: Resource,
}

impl Route {
    fn of(request: &Request) -> Self {
        let template = request.extensions().get::<MatchedPath>().map(|m| m.as_str().replace("{*", "{"));
        let path = request.uri().path().to_owned();
        let resource = if path == "/graphql" { Resource::Graphql } else { Resource::Core };
        Self { method: request.method().clone(), path, template, resource }
    }

    /// The `"METHOD /route/template"` counter key.
    fn endpoint(&self) -> String {
        format!("{} {}", self.method, self.template.as_deref().unwrap_or("(unmatched)"))
    }

    /// REST requests spend a primary point (`/rate_limit` is free; GraphQL pays by cost).
    fn charged(&self) -> bool {
        self.resource == Resource::Core && self.path != "/rate_limit"
    }
}

async fn admit_and_run(shared: &Shared, mut request: Request, next: Next) -> Response {
    let (_in_flight, concurrent) = InFlight::enter(shared);
    let route = Route::of(&request);
    shared.ledger().count_request(&route.endpoint());
    let token = match authenticate(shared, request.headers()) {
        Ok(token) => token,
        Err(refusal) => return unauthorized(shared, refusal),
    };
    shared.ledger().count_repo_request(&route.path, &token);
    if concurrent > shared.state().limits().max_concurrent {
        shared.ledger().counters.secondary_rejections += 1;
        let refused = reply::secondary_limited(StatusCode::TOO_MANY_REQUESTS, 60);
        return rate_headers(shared, &token, route.resource, refused);
    }
    let fault = pick_fault(shared, &route);
    if let Some(answer) = fault_answer(fault).await {
        let mut answer = rate_headers(shared, &token, route.resource, answer);
        if fault == Some(Fault::GraphqlRateLimitVariant) {
            answer.headers_mut().insert("x-ratelimit-remaining", http::HeaderValue::from(0));
        }
        return answer;
    }
    if route.charged()
        && let Err(refusal) = admit_rest(shared, &token, &route.method)
    {
        return rate_headers(shared, &token, route.resource, refusal.into_response());
    }
    let refused = repo_access::refusal(&shared.state(), &shared.base_url, &route.method, request.uri());
    if let Some(answer) = refused {
        account(shared, &token, route.charged(), false);
        return rate_headers(shared, &token, route.resource, answer);
    }
    run_hooks(shared, &route);
    let mergeable_null = fault == Some(Fault::MergeableNull);
    request.extensions_mut().insert(RequestCtx { token: token.clone(), mergeable_null });
    let response = next.run(request).await;
    let not_modified = response.status() == StatusCode::NOT_MODIFIED;
    account(shared, &token, route.charged() && !not_modified, not_modified);
    let response = rate_headers(shared, &token, route.resource, response);
    match fault {
        Some(Fault::MalformedJson) => reply::malformed(response),
        Some(Fault::AnswerLost) => reply::drop_connection(),
        Some(Fault::ServerErrorAfterEffect(status)) => {
            rate_headers(shared, &token, route.resource, server_error(status))
        }
        _ => response,
    }
}

/// Makes the moves of the hooks that fire on this request, before it is served. The hook
/// lock is released before the state's is taken: no two locks are held at once.
fn run_hooks(shared: &Shared, route: &Route) {
    let info = RequestInfo { method: &route.method, path: &route.path, template: route.template.as_deref() };
    let steps = shared.hooks().firing(&info);
    for step in steps {
        step(&mut shared.state());
    }
}

fn pick_fault(shared: &Shared, route: &Route) -> Option<Fault> {
    let info = RequestInfo { method: &route.method, path: &route.path, template: route.template.as_deref() };
    let fault = shared.faults().pick(&info);
    if fault.is_some() {
        shared.ledger().counters.faults_injected += 1;
        // A delayed request is in flight for a while; waiters may be waiting for exactly that.
        shared.bump_activity();
    }
    fault
}

/// The answer a fault gives instead of the handler's, if any; a delay is waited out here and
/// the request then goes on.
async fn fault_answer(fault: Option<Fault>) -> Option<Response> {
    match fault? {
        Fault::ServerError(status) => Some(server_error(status)),
        Fault::ConnectionReset => Some(reply::drop_connection()),
        Fault::SecondaryLimit { retry_after_secs, status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
            Some(reply::secondary_limited(status, retry_after_secs))
        }
        Fault::Delay(delay) => {
            tokio::time::sleep(delay).await;
            None
        }
        Fault::GraphqlRateLimitVariant => Some(reply::graphql_errors(&serde_json::json!({
            "type": "RATE_LIMIT",
            "code": "graphql_rate_limit",
            "message": "API rate limit already exceeded for user ID 1.",
        }))),
        Fault::MalformedJson
        | Fault::MergeableNull
        | Fault::AnswerLost
        | Fault::ServerErrorAfterEffect(_) => None,
    }
}

/// The caller's token, or why it is refused.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<String, Refusal> {
    match bearer(headers) {
        Some(token) if shared.state().accepts_token(token) => Ok(token.to_owned()),
        Some(_) => Err(Refusal::Unauthorized("Bad credentials")),
        None => Err(Refusal::Unauthorized("Requires authentication")),
    }
}

/// The `401`, charged to the unauthenticated budget like GitHub does.
fn unauthorized(shared: &Shared, refusal: Refusal) -> Response {
    let limits = *shared.state().limits();
    let rate = {
        let mut ledger = shared.ledger();
        ledger.counters.unauthorized += 1;
        ledger.charge(None, Resource::Core, 1, false);
        ledger.rate(None, Resource::Core, &limits)
    };
    reply::with_rate_headers(refusal.into_response(), &rate)
}

/// `Authorization: token X` or `Bearer X`; `None` when absent or empty.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (matches!(scheme.to_ascii_lowercase().as_str(), "token" | "bearer") && !token.is_empty()).then_some(token)
}

/// Checks the REST primary budget and secondary limits before the handler runs.
fn admit_rest(shared: &Shared, token: &str, method: &Method) -> Result<(), Refusal> {
    let limits = *shared.state().limits();
    let mut ledger = shared.ledger();
    if ledger.rate(Some(token), Resource::Core, &limits).remaining == 0 {
        ledger.counters.primary_rejections += 1;
        return Err(Refusal::PrimaryExhausted);
    }
    let read = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let cost =
        SecondaryCost { resource: Resource::Core, points: if read { 1 } else { 5 }, content_creating: !read };
    ledger
        .admit_secondary(token, cost, &limits)
        .map_err(|wait| Refusal::Secondary(StatusCode::FORBIDDEN, wait))
}

fn account(shared: &Shared, token: &str, charge: bool, not_modified: bool) {
    let mut ledger = shared.ledger();
    if charge {
        ledger.charge(Some(token), Resource::Core, 1, false);
    }
    if not_modified {
        ledger.counters.not_modified += 1;
    }
}

fn rate_headers(shared: &Shared, token: &str, resource: Resource, response: Response) -> Response {
    let limits = *shared.state().limits();
    let rate = shared.ledger().rate(Some(token), resource, &limits);
    reply::with_rate_headers(response, &rate)
}

fn server_error(status: u16) -> Response {
    reply::server_error(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
}
