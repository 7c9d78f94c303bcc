//! A stateful GitHub simulator served on loopback, for tests, benchmarks and `core-ide demo`.
//!
//! It serves the subset of GitHub's REST and GraphQL APIs the core-ide adapter uses, from one
//! in-memory [`SimState`]: repositories, epics with checklist bodies, child issues, and pull
//! requests with head SHA, draft flag, base branch, mergeability, check state, review threads,
//! auto-merge and comments. GraphQL runs on a real executor over a modelled subset of GitHub's
//! schema (same type, field, argument and enum names), so any query shape within the subset
//! works. It behaves like GitHub where that bites — mergeability is unknown for a while after a
//! push or base move, check results do not move a PR's `updated_at`, lists paginate with
//! `Link` headers, `If-None-Match` gets a free `304` — and accounts like GitHub: primary points
//! (REST 1 per request, GraphQL by the published connection formula), `x-ratelimit-*` headers,
//! secondary limits answered `403`/`429` with `retry-after`, and [`Counters`] tests can read.
//! [`FaultRule`]s inject server errors, delays, connection resets, secondary-limit hits,
//! malformed JSON and unknown mergeability, on a chosen request or at a seeded rate.
//!
//! The merge step follows GitHub: branch protection per base branch ([`Protection`]) drives
//! `mergeStateStatus`, `reviewDecision` and the refusals of `enablePullRequestAutoMerge`,
//! `mergePullRequest` (and REST `PUT …/merge`), `enqueuePullRequest` and
//! `updatePullRequestBranch`, with GitHub's error types and messages (`docs/github.md` cites the
//! source of each); commits carry named check runs and statuses, or none at all.
//!
//! It is *not* GitHub: it listens on `127.0.0.1` only, keeps nothing on disk, answers only the
//! endpoints listed below (others are `404`), and uses a
//! logical clock for every timestamp it serves (2026-01-01T00:00:00Z plus one second per state
//! change) so runs are reproducible; only rate-limit windows and `retry-after` use real time.
//!
//! # Use
//!
//! ```no_run
//! use jobrunner_github_sim::{CheckState, GitHubSim, SimState};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let sim = GitHubSim::start(SimState::default().with_marker("MARKER-7f3a9c")).await?;
//! let api = sim.base_url(); // REST at {api}/repos/..., GraphQL at POST {api}/graphql
//! // ... run the client against `api` with any non-empty token ...
//! sim.with_state(|s| s.checks_finish("octo/app", 12, CheckState::Success));
//! assert_eq!(sim.counters().not_modified, 0);
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # The default state
//!
//! [`SimState::default`] is one repository, `octo/app` (default branch `main`), with epic #1
//! (label `epic`) whose body lists children #2..#6 as `- [ ] #N` lines, and PRs #10..#14, each
//! closing one child: #10 (child #2) a draft with checks SUCCESS; #11 (#3) open and
//! CONFLICTING; #12 (#4) open with 2 unresolved review threads from a review newer than its
//! head commit; #13 (#5) ready, green, MERGEABLE, no threads, auto-merge off; #14 (#6) merged,
//! its child closed by the merge but still unticked in the epic.
//!
//! # Accounting, faults and waiting
//!
//! REST costs 1 primary point per request (`304` and `GET /rate_limit` free); GraphQL costs
//! GitHub's connection formula (minimum 1), charged before it runs and served in
//! `rateLimit { cost }`. Budgets are per token and resource (`core`, `graphql`), hourly, on
//! real time. Secondary limits per token and minute (REST points: GET 1, writes 5; GraphQL
//! points: query 1, mutation 5; content-creating requests: REST writes and GraphQL mutations,
//! also per hour) answer `403` with `retry-after`; more than `max_concurrent` requests in
//! flight answer `429`. [`SimHandle::inject`] adds [`FaultRule`]s, checked in order; each counts
//! the requests it matches and fires per its [`Trigger`]. [`SimHandle::wait_until`] waits for
//! a condition on the [`Counters`], re-checked after every answered request, so tests wait on
//! traffic instead of sleeping.
//!
//! # Endpoints
//!
//! REST: `GET /repos/{owner}/{repo}`, `GET /repos/{owner}/{repo}/pulls`, `GET …/pulls/{number}`, `PUT …/pulls/{number}/merge`,
//! `PUT …/pulls/{number}/update-branch`, `GET …/issues`,
//! `GET|PATCH …/issues/{number}`, `POST …/issues/{number}/comments`,
//! `POST …/issues/{number}/labels`, `GET …/branches/{branch}`,
//! `GET …/commits/{ref}/check-runs`, `GET …/commits/{ref}/status`, `GET /rate_limit`.
//! GraphQL: `POST /graphql` (see [`graphql_sdl`] for the modelled schema).
#![deny(missing_docs)]

mod accounting;
mod actions;
mod checks;
mod clock;
mod error;
mod etag;
mod faults;
mod gate;
mod graphql;
mod hooks;
mod ids;
mod marker;
mod merge_queue;
mod merge_state;
mod merging;
mod model;
mod pagination;
mod parties;
mod protection;
mod reply;
mod repo_access;
mod rest;
mod routes;
mod scenario;
mod seed;
mod server;
mod shared;
mod spec;
mod state;
mod sub_issues;

pub use accounting::{Counters, Limits, MutationKind, MutationRecord};
pub use checks::{CheckKind, CheckState, LEGACY_CHECK, NamedCheck};
pub use clock::{LogicalClock, Timestamp};
pub use faults::{Fault, FaultRule, RequestMatcher, Trigger};
pub use hooks::{HookStep, StateHook};
pub use merge_queue::QueueRun;
pub use merge_state::{MergeStatus, ReviewDecision, is_behind, merge_status, review_decision};
pub use model::{
    AutoMerge, Comment, Commit, Issue, IssueState, MergeMethod, PrState, PullRequest, QueueEntry, QueueState,
    Release, ReleaseAsset, Repo, Review, ReviewComment, ReviewState, ReviewThread, StateReason,
};
pub use parties::PartyMove;
pub use protection::Protection;
pub use seed::DEFAULT_REPO;
pub use server::{GitHubSim, SimHandle};
pub use spec::{PrSpec, ThreadSpec};
pub use state::{AGENT_LOGIN, HUMAN_LOGIN, SimState, VIEWER_LOGIN};
pub use sub_issues::SubIssuesSummary;

/// The SDL of the modelled subset of GitHub's GraphQL schema, as the executor serves it.
#[must_use]
pub fn graphql_sdl() -> String {
    graphql::schema::build_schema().sdl()
}
