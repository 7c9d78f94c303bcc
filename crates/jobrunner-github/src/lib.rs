//! The GitHub adapter: [`GitHubSource`] (a [`JobSource`](jobrunner_core::JobSource)) and
//! [`GitHubForge`] (the [`Forge`](jobrunner_core::Forge)), on octocrab.
//!
//! The source spends GitHub's API budget carefully: each cycle it asks conditional REST
//! requests (a `304 Not Modified` costs no point) whether anything changed — the open-PR list
//! pages, the epic list, the base branches, and the checks and mergeability of PRs still
//! settling — and fetches the full structural state of only the changed PRs, in one GraphQL
//! query per batch of up to [`MAX_PRS_PER_QUERY`] PRs across repositories. A cycle in which
//! nothing changed costs 0 points. With a [`SourceCache`](jobrunner_core::SourceCache)
//! (`GitHubSource::with_cache`) the ETags and structural state survive restarts, so the first
//! cycle after one costs a re-read of the open-PR list pages and little else.
//!
//! This crate is the only one that speaks HTTP to a forge. It never lets forge free text out:
//! responses are decoded into structural types, the epic body is read only to find checklist
//! items, and errors carry status codes and endpoints, never bodies or tokens.
#![deny(missing_docs)]

mod client;
mod documents;
mod epics;
mod failure;
mod forge;
mod link;
mod listing;
mod persist;
mod refusal;
mod routes;
mod scope;
mod source;
mod state;

pub use client::{GitHubClient, GitHubConfig, MAX_RESPONSE_BYTES, RateLimitSnapshot};
pub use documents::{
    FIXED_DOCUMENTS, MAX_PRS_PER_QUERY, StateFragment, ThreadPage, points_for, pull_request_states_query,
    pull_request_states_query_with_issues, resolve_threads_mutation, review_thread_pages_query,
};
pub use forge::GitHubForge;
pub use scope::Scope;
pub use source::{GitHubSource, Unhealthy};
