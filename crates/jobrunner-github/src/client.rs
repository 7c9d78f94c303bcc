//! HTTP to GitHub through octocrab: conditional GETs, paced mutations, GraphQL, and failure
//! evidence stripped of bodies and tokens.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, TimeZone, Utc};
use http::header::{ETAG, IF_NONE_MATCH, LINK};
use http::{HeaderMap, Method, StatusCode};
use http_body_util::BodyExt;
use jobrunner_core::{FailureClass, ForgeError, RepoSlug};
use octocrab::Octocrab;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::failure::{FailureEvidence, TransportFailure, classify_failure};
use crate::link::next_link;
use crate::refusal::Refusal;

/// How to reach GitHub and how gently.
#[derive(Clone)]
pub struct GitHubConfig {
    /// REST base URL: `https://api.github.com`, `https://HOST/api/v3`, or a simulator.
    pub api_url: String,
    /// The token. Sent as a bearer header; never logged, never in an error.
    pub token: String,
    /// Label that marks epic issues.
    pub epic_label: String,
    /// Which PRs besides epic children are in scope, and which labels stop the pipeline.
    pub scope: crate::Scope,
    /// Deadline of one request.
    pub request_timeout: Duration,
    /// Minimum time between two mutations (GitHub asks for at least one second).
    pub min_mutation_gap: Duration,
    /// Rate-limit waits up to this long are slept inside a call; longer ones fail the call as
    /// `RateLimited` so the runner can sleep between cycles instead.
    pub max_inline_wait: Duration,
    /// Repositories polled at once.
    pub repo_concurrency: usize,
    /// Conditional REST requests per cycle for PRs still settling, shared evenly between the
    /// repositories. Beyond it, settling PRs are read in the cycle's GraphQL batch (1 point per
    /// 100 PRs) so a large fleet stays under GitHub's 900-per-minute REST secondary limit.
    pub settle_requests_per_cycle: usize,
    /// GraphQL points per cycle for the follow-up pages of review threads (PRs with more than
    /// the 50 threads the state query reads; about 1 point per 100 threads). Pages beyond it
    /// are read in later cycles; until then those PRs' merges wait.
    pub thread_points_per_cycle: u64,
    /// The largest response body read, in bytes; a longer one fails its request (see
    /// [`MAX_RESPONSE_BYTES`]).
    pub max_response_bytes: usize,
}

/// The default limit of one response body: 64 MiB. GitHub's largest answers here are a page of
/// 100 comments at the maximum 65,536 characters each (about 13 MB of ASCII, more with escaped
/// non-ASCII text) and a GraphQL page of 100 PRs (well under 10 MB); a body past the limit is
/// a broken or hostile `api_url`, and reading on would only grow the node's memory.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

impl GitHubConfig {
    /// GitHub at `api_url` with `token`, the operator's epic label, scope and mutation gap,
    /// and the adapter's own tuning: 30 s requests, inline waits up to 10 s, 8 repositories at
    /// once, 300 settling requests and 20 points of review-thread pages per cycle.
    ///
    /// What the operator configures has no default here: the caller passes it from the node's
    /// settings, which own those defaults, so the two cannot disagree.
    #[must_use]
    pub fn new(
        api_url: impl Into<String>,
        token: impl Into<String>,
        epic_label: impl Into<String>,
        scope: crate::Scope,
        min_mutation_gap: Duration,
    ) -> Self {
        Self {
            api_url: api_url.into(),
            token: token.into(),
            epic_label: epic_label.into(),
            scope,
            request_timeout: Duration::from_secs(30),
            min_mutation_gap,
            max_inline_wait: Duration::from_secs(10),
            repo_concurrency: 8,
            settle_requests_per_cycle: 300,
            thread_points_per_cycle: 20,
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }
}

impl GitHubConfig {
    /// The web host of the forge `api_url` belongs to, where its issue URLs live: `github.com`
    /// for `https://api.github.com`, `SUBDOMAIN.ghe.com` for `https://api.SUBDOMAIN.ghe.com`,
    /// `HOST` (with its port) for GitHub Enterprise Server's `https://HOST/api/v3`, and the
    /// API's own host for anything else (a simulator).
    #[must_use]
    pub fn web_host(&self) -> String {
        let url = self.api_url.trim_end_matches('/');
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host).to_ascii_lowercase();
        if path == "api/v3" {
            return authority;
        }
        authority.strip_prefix("api.").map_or_else(|| authority.clone(), str::to_owned)
    }

    /// The checklist grammar of this forge's epics: issue URLs on [`GitHubConfig::web_host`].
    #[must_use]
    pub fn checklist_grammar(&self) -> jobrunner_core::checklist::ChecklistGrammar {
        jobrunner_core::checklist::ChecklistGrammar::new(self.web_host())
    }
}

impl fmt::Debug for GitHubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubConfig")
            .field("api_url", &self.api_url)
            .field("token", &"<redacted>")
            .field("epic_label", &self.epic_label)
            .field("scope", &self.scope)
            .field("request_timeout", &self.request_timeout)
            .field("min_mutation_gap", &self.min_mutation_gap)
            .field("max_inline_wait", &self.max_inline_wait)
            .field("repo_concurrency", &self.repo_concurrency)
            .field("settle_requests_per_cycle", &self.settle_requests_per_cycle)
            .field("thread_points_per_cycle", &self.thread_points_per_cycle)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// The latest rate-limit headers GitHub sent, per resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimitSnapshot {
    /// `x-ratelimit-remaining` of the REST (`core`) resource.
    pub core_remaining: Option<u64>,
    /// `x-ratelimit-reset` of the REST resource.
    pub core_reset: Option<DateTime<Utc>>,
    /// `x-ratelimit-remaining` of the `graphql` resource.
    pub graphql_remaining: Option<u64>,
    /// `x-ratelimit-reset` of the `graphql` resource.
    pub graphql_reset: Option<DateTime<Utc>>,
}

/// The client's mutation gate, held: no other mutation of this client runs meanwhile.
pub(crate) struct MutationGate<'a> {
    _held: tokio::sync::MutexGuard<'a, Option<Instant>>,
}

/// A conditional GET's outcome.
pub(crate) enum Fetched {
    /// `304`: the cached copy is current (and free).
    NotModified,
    /// A fresh copy.
    Modified { etag: Option<String>, next: Option<String>, body: Vec<u8> },
}

/// A GraphQL answer: data, and the structural part of any errors.
pub(crate) struct GraphqlAnswer<T> {
    pub(crate) data: Option<T>,
    pub(crate) errors: Vec<GraphqlErrorInfo>,
    /// The answer's headers, for a rate limit reported as an error.
    pub(crate) headers: HeaderMap,
}

/// A GraphQL error without its message, which may echo input: the message is only matched
/// against GitHub's known refusals and dropped.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "RawGraphqlError")]
pub(crate) struct GraphqlErrorInfo {
    pub(crate) kind: Option<String>,
    pub(crate) refusal: Option<Refusal>,
    /// The answer's path to the field that failed, as aliases and indices (`["r0", "p7"]`).
    pub(crate) path: Vec<String>,
}

#[derive(Deserialize)]
struct RawGraphqlError {
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<String>,
    #[serde(default)]
    path: Vec<serde_json::Value>,
}

impl From<RawGraphqlError> for GraphqlErrorInfo {
    fn from(raw: RawGraphqlError) -> Self {
        let refusal = raw.message.as_deref().and_then(Refusal::from_message);
        let path = raw.path.iter().map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned)).collect();
        Self { kind: raw.kind, refusal, path }
    }
}

#[derive(Deserialize)]
struct GraphqlEnvelope<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<GraphqlErrorInfo>,
}

/// `data.rateLimit.cost` of a GraphQL answer whose document asked for it.
#[derive(Deserialize)]
struct CostProbe {
    data: CostData,
}

#[derive(Deserialize)]
struct CostData {
    #[serde(rename = "rateLimit")]
    rate_limit: Cost,
}

#[derive(Deserialize)]
struct Cost {
    cost: u64,
}

struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// A GitHub API client tuned for the runner: every call maps failures to a
/// [`FailureClass`], retries only what is safe to retry, and paces mutations.
pub struct GitHubClient {
    octo: Octocrab,
    config: GitHubConfig,
    rate: Mutex<RateLimitSnapshot>,
    /// Primary points this client spent: see [`GitHubClient::points_spent`].
    points_spent: std::sync::atomic::AtomicU64,
    /// GraphQL node ids of PRs, learnt while polling, needed by GraphQL-only mutations.
    node_ids: Mutex<HashMap<(RepoSlug, u64), String>>,
    last_mutation: tokio::sync::Mutex<Option<Instant>>,
    /// Where GraphQL is served: see [`graphql_url`].
    graphql_url: String,
}

impl fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHubClient").field("config", &self.config).finish_non_exhaustive()
    }
}

impl GitHubClient {
    /// A client for `config`; fails on a malformed URL or an empty token.
    pub fn new(config: GitHubConfig) -> Result<Self, ForgeError> {
        let invalid = |detail: String| ForgeError::new("connect", FailureClass::Validation, detail);
        if config.token.trim().is_empty() {
            return Err(ForgeError::new(
                "connect",
                FailureClass::Auth,
                "no GitHub token: set CORE_GITHUB_TOKEN or GITHUB_TOKEN",
            ));
        }
        let graphql_url = graphql_url(&config.api_url);
        if !config.token.bytes().all(|b| b.is_ascii_graphic()) {
            // octocrab panics building an `Authorization` header from a CR or LF; a caller
            // that skipped the settings' check gets an error instead.
            return Err(ForgeError::new(
                "connect",
                FailureClass::Auth,
                "the GitHub token holds a space, CR, LF or other character a header cannot carry: \
                 set CORE_GITHUB_TOKEN to the token alone",
            ));
        }
        let octo = Octocrab::builder()
            .base_uri(config.api_url.as_str())
            .map_err(|_| {
                invalid(format!("invalid API URL {:?}: expected http(s)://host[/path]", config.api_url))
            })?
            .personal_token(config.token.clone())
            .set_connect_timeout(Some(config.request_timeout))
            .set_read_timeout(Some(config.request_timeout))
            .set_write_timeout(Some(config.request_timeout))
            .build()
            .map_err(|_| invalid("the HTTP client could not be built".to_owned()))?;
        Ok(Self {
            octo,
            config,
            rate: Mutex::default(),
            points_spent: std::sync::atomic::AtomicU64::new(0),
            node_ids: Mutex::default(),
            last_mutation: tokio::sync::Mutex::new(None),
            graphql_url,
        })
    }

    /// The configuration (token redacted in `Debug`).
    #[must_use]
    pub fn config(&self) -> &GitHubConfig {
        &self.config
    }

    /// The latest rate-limit headers seen.
    #[must_use]
    pub fn rate_limit(&self) -> RateLimitSnapshot {
        self.rate.lock().expect("rate lock").clone()
    }

    /// Primary rate-limit points this client has spent since it was created, counted the way
    /// GitHub charges them: 1 per REST request answered with anything but `304 Not Modified`,
    /// and per GraphQL request its `rateLimit { cost }` when the document asks for it, else
    /// the minimum of 1. Other clients sharing the token are not included.
    #[must_use]
    pub fn points_spent(&self) -> u64 {
        self.points_spent.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn charge(&self, points: u64) {
        self.points_spent.fetch_add(points, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn remember_node_id(&self, repo: &RepoSlug, pr: u64, id: &str) {
        let mut ids = self.node_ids.lock().expect("node id lock");
        if ids.get(&(repo.clone(), pr)).is_none_or(|known| known != id) {
            ids.insert((repo.clone(), pr), id.to_owned());
        }
    }

    /// The PR's GraphQL node id: from the poll's cache, else one REST read.
    pub(crate) async fn pr_node_id(
        &self,
        operation: &'static str,
        repo: &RepoSlug,
        pr: u64,
    ) -> Result<String, ForgeError> {
        #[derive(Deserialize)]
        struct Pull {
            node_id: String,
        }
        if let Some(id) = self.node_ids.lock().expect("node id lock").get(&(repo.clone(), pr)) {
            return Ok(id.clone());
        }
        let pull: Pull = self.get_json(operation, &crate::routes::pull(repo, pr)).await?;
        self.remember_node_id(repo, pr, &pull.node_id);
        Ok(pull.node_id)
    }

    /// A conditional GET of `uri` (a path or an absolute `Link` URL), retried while transient.
    pub(crate) async fn get_conditional(
        &self,
        operation: &'static str,
        uri: &str,
        etag: Option<&str>,
    ) -> Result<Fetched, ForgeError> {
        let mut headers = HeaderMap::new();
        if let Some(value) = etag.and_then(|e| e.parse().ok()) {
            headers.insert(IF_NONE_MATCH, value);
        }
        let raw =
            self.retrying(operation, true, || self.send(operation, Method::GET, uri, &headers, None)).await?;
        if raw.status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        let header = |name| raw.headers.get(name).and_then(|v: &http::HeaderValue| v.to_str().ok());
        let etag = header(ETAG).map(str::to_owned);
        let next = header(LINK).and_then(next_link);
        Ok(Fetched::Modified { etag, next, body: raw.body })
    }

    /// A GET decoded as JSON.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        uri: &str,
    ) -> Result<T, ForgeError> {
        let headers = HeaderMap::new();
        let raw =
            self.retrying(operation, true, || self.send(operation, Method::GET, uri, &headers, None)).await?;
        decode(operation, &raw.body)
    }

    /// A paced REST mutation. `idempotent` mutations are retried after transient failures;
    /// the others only after a rate limit, which GitHub answers before doing anything.
    pub(crate) async fn mutate(
        &self,
        operation: &'static str,
        method: Method,
        uri: &str,
        body: &serde_json::Value,
        idempotent: bool,
    ) -> Result<(), ForgeError> {
        let gate = self.mutation_gate().await;
        self.mutate_holding(&gate, operation, method, uri, body, idempotent).await
    }

    /// Takes the mutation gate (paced like every mutation) and holds it until the guard is
    /// dropped: reads made meanwhile see no mutation of this node between them and
    /// [`mutate_holding`](Self::mutate_holding)'s write.
    pub(crate) async fn mutation_gate(&self) -> MutationGate<'_> {
        MutationGate { _held: self.pace().await }
    }

    /// [`mutate`](Self::mutate) under a gate the caller already holds.
    pub(crate) async fn mutate_holding(
        &self,
        _gate: &MutationGate<'_>,
        operation: &'static str,
        method: Method,
        uri: &str,
        body: &serde_json::Value,
        idempotent: bool,
    ) -> Result<(), ForgeError> {
        let headers = HeaderMap::new();
        self.retrying(operation, idempotent, || {
            self.send(operation, method.clone(), uri, &headers, Some(body))
        })
        .await
        .map(drop)
    }

    /// A GraphQL query (retried while transient), keeping partial data and error types.
    pub(crate) async fn graphql_query<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<GraphqlAnswer<T>, ForgeError> {
        let payload = serde_json::json!({ "query": query, "variables": variables });
        let headers = HeaderMap::new();
        let raw = self
            .retrying(operation, true, || {
                self.send(operation, Method::POST, &self.graphql_url, &headers, Some(&payload))
            })
            .await?;
        if let Ok(probe) = serde_json::from_slice::<CostProbe>(&raw.body) {
            // `send` charged the minimum of 1 already.
            self.charge(probe.data.rate_limit.cost.saturating_sub(1));
        }
        let envelope: GraphqlEnvelope<T> = decode(operation, &raw.body)?;
        Ok(GraphqlAnswer { data: envelope.data, errors: envelope.errors, headers: raw.headers })
    }

    /// A paced GraphQL mutation: any GraphQL error fails it with the error's class.
    pub(crate) async fn graphql_mutation(
        &self,
        operation: &'static str,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<(), ForgeError> {
        let _pace = self.pace().await;
        let payload = serde_json::json!({ "query": query, "variables": variables });
        let headers = HeaderMap::new();
        let send = || async {
            let raw = self.send(operation, Method::POST, &self.graphql_url, &headers, Some(&payload)).await?;
            let envelope: GraphqlEnvelope<serde_json::Value> = decode(operation, &raw.body)?;
            match envelope.errors.first() {
                None => Ok(()),
                Some(error) => Err(graphql_error(operation, error, Some(&raw.headers))),
            }
        };
        // Readying a ready PR, resolving a resolved thread, arming armed auto-merge or
        // disarming it change nothing, so a transient failure is retried. A merge, an enqueue
        // or a branch update whose answer was lost may have happened: the runner settles those
        // from the forge's state next cycle instead.
        let idempotent = !matches!(operation, "merge" | "enqueue" | "update_branch");
        self.retrying(operation, idempotent, send).await
    }

    /// Holds the mutation gate for the whole mutation, at least `min_mutation_gap` after the
    /// previous one: mutations are serial and spaced, as GitHub's secondary limits ask.
    async fn pace(&self) -> tokio::sync::MutexGuard<'_, Option<Instant>> {
        let mut last = self.last_mutation.lock().await;
        if let Some(previous) = *last {
            let ready = previous + self.config.min_mutation_gap;
            tokio::time::sleep_until(ready.into()).await;
        }
        *last = Some(Instant::now());
        last
    }

    async fn retrying<T, F, Fut>(
        &self,
        operation: &'static str,
        idempotent: bool,
        call: F,
    ) -> Result<T, ForgeError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ForgeError>>,
    {
        let max_wait = self.config.max_inline_wait;
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(200))
            .with_max_delay(Duration::from_secs(5))
            .with_max_times(3)
            .with_jitter();
        call.retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|e: &ForgeError| match e.class {
                FailureClass::RateLimited { retry_after } => retry_after <= max_wait,
                FailureClass::Transient => idempotent,
                _ => false,
            })
            .adjust(|e: &ForgeError, backoff| match e.class {
                FailureClass::RateLimited { retry_after } => Some(retry_after),
                _ => backoff,
            })
            .notify(|e: &ForgeError, wait| {
                tracing::warn!(operation, class = %e.class, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "retrying GitHub request");
            })
            .await
    }

    async fn send(
        &self,
        operation: &'static str,
        method: Method,
        uri: &str,
        headers: &HeaderMap,
        body: Option<&serde_json::Value>,
    ) -> Result<Raw, ForgeError> {
        let endpoint = endpoint(&method, uri);
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let request = self.octo.build_request(builder, body).map_err(|_| {
            ForgeError::new(operation, FailureClass::Validation, format!("{endpoint}: request not built"))
        })?;
        let response =
            self.octo.execute(request).await.map_err(|e| transport_error(operation, &endpoint, &e))?;
        let (parts, body) = response.into_parts();
        let limit = self.config.max_response_bytes;
        let body = http_body_util::Limited::new(body, limit)
            .collect()
            .await
            .map_err(|e| body_error(operation, &endpoint, &*e, limit))?
            .to_bytes()
            .to_vec();
        self.record_rate_limit(&parts.headers);
        if parts.status != StatusCode::NOT_MODIFIED {
            self.charge(1);
        }
        let raw = Raw { status: parts.status, headers: parts.headers, body };
        if raw.status.is_success() || raw.status == StatusCode::NOT_MODIFIED {
            return Ok(raw);
        }
        let evidence = evidence(&raw);
        let class = classify_failure(&evidence, Utc::now());
        Err(ForgeError::new(operation, class, format!("{endpoint} answered {}", raw.status.as_u16())))
    }

    fn record_rate_limit(&self, headers: &HeaderMap) {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let remaining = text("x-ratelimit-remaining").and_then(|v| v.parse().ok());
        let reset = text("x-ratelimit-reset").and_then(epoch);
        let mut rate = self.rate.lock().expect("rate lock");
        match text("x-ratelimit-resource") {
            Some("graphql") => {
                rate.graphql_remaining = remaining;
                rate.graphql_reset = reset;
            }
            Some("core") | None if remaining.is_some() => {
                rate.core_remaining = remaining;
                rate.core_reset = reset;
            }
            _ => {}
        }
    }
}

/// GitHub's GraphQL endpoint for a REST base: `https://api.github.com/graphql`, and on
/// GitHub Enterprise Server `https://HOST/api/graphql` for the REST base
/// `https://HOST/api/v3` (GHES docs, "About the GraphQL API": the endpoint is
/// `http(s)://HOSTNAME/api/graphql`).
fn graphql_url(api_url: &str) -> String {
    let base = api_url.trim_end_matches('/');
    match base.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{base}/graphql"),
    }
}

/// `GET /repos/...` without the query string: what an error may name.
fn endpoint(method: &Method, uri: &str) -> String {
    let path = uri.split('?').next().unwrap_or(uri);
    let path = path.find("://").map_or(path, |i| &path[i + 3..]).trim_start_matches(|c| c != '/');
    format!("{method} {path}")
}

fn epoch(value: &str) -> Option<DateTime<Utc>> {
    value.parse::<i64>().ok().and_then(|s| Utc.timestamp_opt(s, 0).single())
}

fn evidence(raw: &Raw) -> FailureEvidence {
    let text = |name: &str| raw.headers.get(name).and_then(|v| v.to_str().ok());
    // GitHub names secondary limits only in the message; it is read here and dropped.
    let body = String::from_utf8_lossy(&raw.body).to_ascii_lowercase();
    FailureEvidence {
        status: Some(raw.status.as_u16()),
        transport: None,
        retry_after: text("retry-after").and_then(|v| v.trim().parse().ok()).map(Duration::from_secs),
        rate_limit_remaining: text("x-ratelimit-remaining").and_then(|v| v.parse().ok()),
        rate_limit_reset: text("x-ratelimit-reset").and_then(epoch),
        secondary_rate_limit: body.contains("secondary rate limit"),
        graphql_error_type: None,
    }
}

/// A GraphQL error as a forge error: a refusal GitHub explained keeps our description of it;
/// a rate limit reported on a 200 honours the answer's rate-limit headers.
pub(crate) fn graphql_error(
    operation: &'static str,
    error: &GraphqlErrorInfo,
    headers: Option<&HeaderMap>,
) -> ForgeError {
    let kind = error.kind.as_deref().unwrap_or("untyped");
    if kind == "UNPROCESSABLE"
        && let Some(refusal) = error.refusal
    {
        return ForgeError::new(
            operation,
            refusal.class(),
            format!("GraphQL error {kind}: {}", refusal.describe()),
        );
    }
    let text = |name: &str| headers.and_then(|h| h.get(name)).and_then(|v| v.to_str().ok());
    let evidence = FailureEvidence {
        status: Some(200),
        graphql_error_type: error.kind.clone(),
        retry_after: text("retry-after").and_then(|v| v.trim().parse().ok()).map(Duration::from_secs),
        rate_limit_remaining: text("x-ratelimit-remaining").and_then(|v| v.parse().ok()),
        rate_limit_reset: text("x-ratelimit-reset").and_then(epoch),
        ..FailureEvidence::default()
    };
    ForgeError::new(operation, classify_failure(&evidence, Utc::now()), format!("GraphQL error {kind}"))
}

fn transport_error(
    operation: &'static str,
    endpoint: &str,
    error: &(dyn std::error::Error + 'static),
) -> ForgeError {
    let failure = transport_kind(error);
    let evidence = FailureEvidence { transport: Some(failure), ..FailureEvidence::default() };
    ForgeError::new(operation, classify_failure(&evidence, Utc::now()), format!("{endpoint}: {failure:?}"))
}

/// A body that could not be read: over `limit` (failed as a malformed answer, transient like
/// one, without reading further), or cut off in transport.
fn body_error(
    operation: &'static str,
    endpoint: &str,
    error: &(dyn std::error::Error + Send + Sync + 'static),
    limit: usize,
) -> ForgeError {
    if error.downcast_ref::<http_body_util::LengthLimitError>().is_none() {
        return transport_error(operation, endpoint, error);
    }
    let evidence = FailureEvidence {
        transport: Some(TransportFailure::MalformedResponse),
        ..FailureEvidence::default()
    };
    ForgeError::new(
        operation,
        classify_failure(&evidence, Utc::now()),
        format!(
            "{endpoint}: the answer is over {limit} bytes, the limit of one response; is api_url a GitHub API?"
        ),
    )
}

/// Walks the error chain for the most telling cause; only the kind survives, never a message.
fn transport_kind(error: &(dyn std::error::Error + 'static)) -> TransportFailure {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::TimedOut => TransportFailure::Timeout,
                std::io::ErrorKind::ConnectionRefused => TransportFailure::Connect,
                _ => TransportFailure::ConnectionReset,
            };
        }
        if e.to_string().to_ascii_lowercase().contains("timed out") {
            return TransportFailure::Timeout;
        }
        current = e.source();
    }
    TransportFailure::ConnectionReset
}

fn decode<T: DeserializeOwned>(operation: &'static str, body: &[u8]) -> Result<T, ForgeError> {
    serde_json::from_slice(body).map_err(|e| {
        let evidence = FailureEvidence {
            transport: Some(TransportFailure::MalformedResponse),
            ..FailureEvidence::default()
        };
        ForgeError::new(
            operation,
            classify_failure(&evidence, Utc::now()),
            format!("malformed response: {:?} at column {}", e.classify(), e.column()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_for(api_url: &str, token: &str) -> GitHubConfig {
        GitHubConfig::new(api_url, token, "epic", crate::Scope::default(), Duration::from_secs(1))
    }

    #[test]
    fn graphql_lives_beside_the_rest_base_and_at_api_graphql_on_enterprise_server() {
        assert_eq!(graphql_url("https://api.github.com"), "https://api.github.com/graphql");
        assert_eq!(graphql_url("https://ghe.example.com/api/v3/"), "https://ghe.example.com/api/graphql");
        assert_eq!(graphql_url("http://127.0.0.1:4000"), "http://127.0.0.1:4000/graphql");
    }

    #[test]
    fn endpoints_drop_query_strings_and_hosts() {
        assert_eq!(endpoint(&Method::GET, "/repos/o/r/pulls?state=open"), "GET /repos/o/r/pulls");
        assert_eq!(
            endpoint(&Method::GET, "http://127.0.0.1:9/repos/o/r/pulls?page=2"),
            "GET /repos/o/r/pulls"
        );
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let config = config_for("https://api.github.com", "ghp_secret_value");
        assert!(!format!("{config:?}").contains("ghp_secret_value"));
    }

    #[test]
    fn a_token_with_a_line_ending_is_an_error_not_a_panic() {
        let err = GitHubClient::new(config_for("https://api.github.com", "ghp_secret\r\n")).unwrap_err();
        assert_eq!(err.class, FailureClass::Auth);
        assert!(!err.to_string().contains("ghp_secret"), "{err}");
    }

    #[test]
    fn empty_token_is_an_auth_error_saying_how_to_set_one() {
        let err = GitHubClient::new(config_for("https://api.github.com", " ")).unwrap_err();
        assert_eq!(err.class, FailureClass::Auth);
        assert!(err.detail.contains("CORE_GITHUB_TOKEN"));
    }

    #[test]
    fn the_web_host_is_where_the_forges_issue_urls_live() {
        let host = |api_url: &str| config_for(api_url, "t").web_host();
        assert_eq!(host("https://api.github.com"), "github.com");
        assert_eq!(host("https://api.github.com/"), "github.com");
        assert_eq!(host("https://api.octo-corp.ghe.com"), "octo-corp.ghe.com");
        assert_eq!(host("https://GHE.example.com/api/v3"), "ghe.example.com");
        assert_eq!(host("https://ghe.example.com:8443/api/v3/"), "ghe.example.com:8443");
        assert_eq!(host("http://127.0.0.1:4010"), "127.0.0.1:4010");
    }
}
