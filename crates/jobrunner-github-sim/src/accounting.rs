//! Accounting like GitHub's: primary points per token and resource, secondary limits, and the
//! counters tests read.
//!
//! Primary points: REST 1 per request (a `304 Not Modified` and `GET /rate_limit` are free),
//! GraphQL by the connection formula in [`crate::graphql::cost`] (minimum 1); each token has an
//! hourly budget per resource (`core`, `graphql`) whose window opens on first use. Secondary
//! limits per token and minute: REST points (a GET 1, any other method 5), GraphQL points (a
//! query 1, a mutation 5), content-creating requests (REST POST/PATCH/PUT/DELETE and GraphQL
//! mutations) per minute and per hour; and at most `max_concurrent` requests in flight. Windows
//! run on real time (GitHub's `x-ratelimit-reset` and `retry-after` are wall-clock).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::clock::Timestamp;

/// The budgets the simulator enforces. `Default` is GitHub's published numbers for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// REST primary points per hour and token.
    pub primary_per_hour: u32,
    /// GraphQL primary points per hour and token.
    pub graphql_per_hour: u32,
    /// Content-creating requests per minute and token (secondary limit).
    pub content_creating_per_minute: u32,
    /// Content-creating requests per hour and token (secondary limit).
    pub content_creating_per_hour: u32,
    /// REST secondary points per minute and token (GET 1, other methods 5).
    pub rest_points_per_minute: u32,
    /// GraphQL secondary points per minute and token (query 1, mutation 5).
    pub graphql_points_per_minute: u32,
    /// Requests in flight at once, over all tokens (secondary limit, answered 429).
    pub max_concurrent: u32,
    /// Reads that see mergeability as unknown after a push or base move, before the computed
    /// value shows.
    pub unknown_reads_after_change: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            primary_per_hour: 5000,
            graphql_per_hour: 5000,
            content_creating_per_minute: 80,
            content_creating_per_hour: 500,
            rest_points_per_minute: 900,
            graphql_points_per_minute: 2000,
            max_concurrent: 100,
            unknown_reads_after_change: 1,
        }
    }
}

/// A change a client made through the API, as recorded in [`Counters::mutation_log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MutationKind {
    /// GraphQL `markPullRequestReadyForReview`.
    MarkReady,
    /// GraphQL `enablePullRequestAutoMerge`.
    EnableAutoMerge,
    /// GraphQL `resolveReviewThread` (recorded against the thread's PR).
    ResolveThread,
    /// GraphQL `disablePullRequestAutoMerge`.
    DisableAutoMerge,
    /// GraphQL `mergePullRequest` or REST `PUT …/pulls/{n}/merge`.
    Merge,
    /// GraphQL `enqueuePullRequest`.
    Enqueue,
    /// GraphQL `dequeuePullRequest`.
    Dequeue,
    /// GraphQL `updatePullRequestBranch` or REST `PUT …/pulls/{n}/update-branch`.
    UpdateBranch,
    /// REST `POST …/issues/{n}/comments`.
    Comment,
    /// REST `PATCH …/issues/{n}` changing the title or body.
    EditIssueBody,
    /// REST `PATCH …/issues/{n}` with `state: closed`.
    CloseIssue,
    /// REST `POST …/issues/{n}/labels` (or `labels` in a PATCH).
    AddLabels,
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutationRecord {
    /// `owner/name`.
    pub repo: String,
    /// The PR or issue number the change is recorded against.
    pub number: u64,
    /// What changed.
    pub kind: MutationKind,
    /// Logical time of the change.
    pub at: Timestamp,
}

/// A snapshot of what clients did, for assertions and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Every request that reached the simulator, whatever its answer.
    pub requests: u64,
    /// REST primary points charged.
    pub rest_points: u64,
    /// GraphQL primary points charged (queries and mutations).
    pub graphql_points: u64,
    /// The part of [`Counters::graphql_points`] charged for mutation documents.
    pub graphql_mutation_points: u64,
    /// `304 Not Modified` answers (free).
    pub not_modified: u64,
    /// Requests per `"METHOD /route/template"`, e.g. `"GET /repos/{owner}/{repo}/pulls"`,
    /// `"POST /graphql"`; unknown routes count under `"METHOD (unmatched)"`.
    pub per_endpoint: BTreeMap<String, u64>,
    /// Primary points (REST + GraphQL) per token.
    pub per_token: BTreeMap<String, u64>,
    /// Authenticated REST requests per repository (`owner/name`) and token: who polled what.
    /// GraphQL requests, which span repositories, are not attributed.
    pub per_repo_token: BTreeMap<String, BTreeMap<String, u64>>,
    /// Every change made through the API, in order.
    pub mutation_log: Vec<MutationRecord>,
    /// Requests refused by a secondary limit (real ones, not injected faults).
    pub secondary_rejections: u64,
    /// Requests refused because the primary budget was spent.
    pub primary_rejections: u64,
    /// Requests answered `401`.
    pub unauthorized: u64,
    /// Requests a fault rule fired on.
    pub faults_injected: u64,
}

impl Counters {
    /// Primary points over both resources.
    #[must_use]
    pub fn primary_points(&self) -> u64 {
        self.rest_points + self.graphql_points
    }

    /// Authenticated REST requests per repository, over all tokens.
    #[must_use]
    pub fn per_repo_requests(&self) -> BTreeMap<String, u64> {
        self.per_repo_token.iter().map(|(repo, tokens)| (repo.clone(), tokens.values().sum())).collect()
    }

    /// Requests to one endpoint, by its `"METHOD /route/template"` key; 0 when never called.
    #[must_use]
    pub fn endpoint(&self, key: &str) -> u64 {
        self.per_endpoint.get(key).copied().unwrap_or(0)
    }

    /// The changes recorded against PR or issue `number` of `repo` (`owner/name`), in order.
    #[must_use]
    pub fn mutations(&self, repo: &str, number: u64) -> Vec<MutationKind> {
        self.mutation_log.iter().filter(|m| m.repo == repo && m.number == number).map(|m| m.kind).collect()
    }
}

/// Which primary budget a request spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Resource {
    /// REST.
    Core,
    /// GraphQL.
    Graphql,
}

impl Resource {
    /// The `x-ratelimit-resource` spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Core => "core",
            Self::Graphql => "graphql",
        }
    }
}

/// What a request costs against the secondary limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SecondaryCost {
    pub(crate) resource: Resource,
    pub(crate) points: u32,
    pub(crate) content_creating: bool,
}

/// A primary budget's state, as the `x-ratelimit-*` headers and `rateLimit` serve it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateSnapshot {
    pub(crate) resource: Resource,
    pub(crate) limit: u32,
    pub(crate) used: u32,
    pub(crate) remaining: u32,
    /// Unix seconds when the window resets.
    pub(crate) reset: u64,
}

/// Budget of requests that carry no valid token (GitHub's unauthenticated limit).
const ANONYMOUS_PER_HOUR: u32 = 60;
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// A fixed window that opens on first use and restarts once it has run out.
#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    length: Duration,
    used: u32,
}

impl Window {
    fn new(length: Duration) -> Self {
        Self { started: Instant::now(), length, used: 0 }
    }

    fn current(&mut self) -> &mut Self {
        if self.started.elapsed() >= self.length {
            *self = Self::new(self.length);
        }
        self
    }

    fn ends_in(&self) -> Duration {
        self.length.saturating_sub(self.started.elapsed())
    }
}

#[derive(Debug)]
struct SecondaryWindows {
    rest_points: Window,
    graphql_points: Window,
    content_minute: Window,
    content_hour: Window,
}

impl Default for SecondaryWindows {
    fn default() -> Self {
        Self {
            rest_points: Window::new(MINUTE),
            graphql_points: Window::new(MINUTE),
            content_minute: Window::new(MINUTE),
            content_hour: Window::new(HOUR),
        }
    }
}

/// Budgets and counters behind one lock.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub(crate) counters: Counters,
    primary: HashMap<(String, Resource), Window>,
    secondary: HashMap<String, SecondaryWindows>,
}

impl Ledger {
    /// Counts a request under its endpoint key.
    /// Attributes an authenticated REST request under `/repos/{owner}/{name}/...`.
    pub(crate) fn count_repo_request(&mut self, path: &str, token: &str) {
        let mut parts = path.strip_prefix("/repos/").unwrap_or_default().splitn(3, '/');
        if let (Some(owner), Some(name)) = (parts.next(), parts.next())
            && !owner.is_empty()
            && !name.is_empty()
        {
            let tokens = self.counters.per_repo_token.entry(format!("{owner}/{name}")).or_default();
            *tokens.entry(token.to_owned()).or_default() += 1;
        }
    }

    pub(crate) fn count_request(&mut self, endpoint: &str) {
        self.counters.requests += 1;
        *self.counters.per_endpoint.entry(endpoint.to_owned()).or_default() += 1;
    }

    /// The primary budget of `token` for `resource`; `None` is the unauthenticated budget.
    pub(crate) fn rate(&mut self, token: Option<&str>, resource: Resource, limits: &Limits) -> RateSnapshot {
        let limit = budget(token, resource, limits);
        let window = self.primary_window(token, resource);
        let reset = unix_seconds_in(window.ends_in());
        RateSnapshot {
            resource,
            limit,
            used: window.used,
            remaining: limit.saturating_sub(window.used),
            reset,
        }
    }

    /// Spends `points` of the primary budget and counts them (when a token spent them).
    pub(crate) fn charge(&mut self, token: Option<&str>, resource: Resource, points: u32, mutation: bool) {
        let window = self.primary_window(token, resource);
        window.used = window.used.saturating_add(points);
        // The unauthenticated budget is GitHub's, not the client's: it stays out of the counters.
        let Some(token) = token else { return };
        let points = u64::from(points);
        match resource {
            Resource::Core => self.counters.rest_points += points,
            Resource::Graphql => self.counters.graphql_points += points,
        }
        if mutation {
            self.counters.graphql_mutation_points += points;
        }
        *self.counters.per_token.entry(token.to_owned()).or_default() += points;
    }

    /// Admits a request against the secondary limits of `token`, spending its cost, or refuses
    /// it with the seconds to wait (`retry-after`).
    pub(crate) fn admit_secondary(
        &mut self,
        token: &str,
        cost: SecondaryCost,
        limits: &Limits,
    ) -> Result<(), u64> {
        let windows = self.secondary.entry(token.to_owned()).or_default();
        let (points, points_limit) = match cost.resource {
            Resource::Core => (&mut windows.rest_points, limits.rest_points_per_minute),
            Resource::Graphql => (&mut windows.graphql_points, limits.graphql_points_per_minute),
        };
        let mut wait = exceeded(points.current(), cost.points, points_limit);
        if cost.content_creating {
            wait = wait
                .max(exceeded(windows.content_minute.current(), 1, limits.content_creating_per_minute))
                .max(exceeded(windows.content_hour.current(), 1, limits.content_creating_per_hour));
        }
        if let Some(wait) = wait {
            self.counters.secondary_rejections += 1;
            return Err(retry_after_secs(wait));
        }
        let points = match cost.resource {
            Resource::Core => &mut windows.rest_points,
            Resource::Graphql => &mut windows.graphql_points,
        };
        points.used = points.used.saturating_add(cost.points);
        if cost.content_creating {
            windows.content_minute.used += 1;
            windows.content_hour.used += 1;
        }
        Ok(())
    }

    /// Forgets every budget (counters stay): a fresh hour and minute for everyone.
    pub(crate) fn reset_budgets(&mut self) {
        self.primary.clear();
        self.secondary.clear();
    }

    fn primary_window(&mut self, token: Option<&str>, resource: Resource) -> &mut Window {
        let key = (token.unwrap_or_default().to_owned(), resource);
        self.primary.entry(key).or_insert_with(|| Window::new(HOUR)).current()
    }
}

fn budget(token: Option<&str>, resource: Resource, limits: &Limits) -> u32 {
    match (token, resource) {
        (None, _) => ANONYMOUS_PER_HOUR,
        (Some(_), Resource::Core) => limits.primary_per_hour,
        (Some(_), Resource::Graphql) => limits.graphql_per_hour,
    }
}

/// `Some(time until the window restarts)` when spending `cost` more would pass `limit`.
fn exceeded(window: &Window, cost: u32, limit: u32) -> Option<Duration> {
    (window.used.saturating_add(cost) > limit).then(|| window.ends_in())
}

/// Whole seconds to wait, at least 1 (GitHub never says `retry-after: 0`).
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

fn unix_seconds_in(wait: Duration) -> u64 {
    let at = SystemTime::now() + wait;
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits { content_creating_per_minute: 2, rest_points_per_minute: 12, ..Limits::default() }
    }

    const POST: SecondaryCost = SecondaryCost { resource: Resource::Core, points: 5, content_creating: true };
    const GET: SecondaryCost = SecondaryCost { resource: Resource::Core, points: 1, content_creating: false };

    #[test]
    fn third_content_creating_request_in_a_minute_is_refused_with_a_wait() {
        let mut ledger = Ledger::default();
        assert_eq!(ledger.admit_secondary("t", POST, &limits()), Ok(()));
        assert_eq!(ledger.admit_secondary("t", POST, &limits()), Ok(()));
        let wait = ledger.admit_secondary("t", POST, &limits()).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(ledger.counters.secondary_rejections, 1);
        assert_eq!(ledger.admit_secondary("other", POST, &limits()), Ok(()), "limits are per token");
    }

    #[test]
    fn rest_points_per_minute_count_gets_as_one_and_writes_as_five() {
        let mut ledger = Ledger::default();
        let limits = Limits { content_creating_per_minute: 100, ..limits() };
        for _ in 0..2 {
            ledger.admit_secondary("t", POST, &limits).unwrap();
        }
        assert_eq!(ledger.admit_secondary("t", GET, &limits), Ok(()));
        assert_eq!(ledger.admit_secondary("t", GET, &limits), Ok(()));
        assert!(ledger.admit_secondary("t", GET, &limits).is_err(), "12 points spent");
    }

    #[test]
    fn primary_budget_is_per_token_and_resource() {
        let mut ledger = Ledger::default();
        let limits = Limits::default();
        ledger.charge(Some("a"), Resource::Core, 3, false);
        ledger.charge(Some("a"), Resource::Graphql, 2, true);
        assert_eq!(ledger.rate(Some("a"), Resource::Core, &limits).remaining, 4997);
        assert_eq!(ledger.rate(Some("a"), Resource::Graphql, &limits).used, 2);
        assert_eq!(ledger.rate(Some("b"), Resource::Core, &limits).used, 0);
        assert_eq!(ledger.rate(None, Resource::Core, &limits).limit, 60);
        assert_eq!(ledger.counters.per_token["a"], 5);
        assert_eq!(ledger.counters.graphql_mutation_points, 2);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(60)), 60);
    }
}
