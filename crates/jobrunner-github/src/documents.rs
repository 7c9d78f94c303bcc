//! The GraphQL documents the adapter sends. Each lives in `graphql/*.graphql`; the three that
//! vary in size (PR states across repositories, the follow-up pages of review threads, thread
//! resolution) are composed here from those files. Tests validate every document against
//! GitHub's published schema.

use std::fmt::Write as _;

use jobrunner_core::{RepoSlug, ThreadId};

/// The PR state fragment.
pub(crate) const PULL_REQUEST_STATE: &str = include_str!("../graphql/pull_request_state.graphql");
/// The lighter fragment for closed and merged PRs.
pub(crate) const CLOSED_PULL_REQUEST_STATE: &str =
    include_str!("../graphql/closed_pull_request_state.graphql");
/// The smallest fragment, for PRs waiting on checks or mergeability.
pub(crate) const SETTLING_PULL_REQUEST_STATE: &str =
    include_str!("../graphql/settling_pull_request_state.graphql");
/// Shared by the state fragments: the head commit.
const HEAD_COMMIT: &str = include_str!("../graphql/head_commit.graphql");
/// Shared by the open fragment and the follow-up query: one page of review threads.
const REVIEW_THREAD_PAGE: &str = include_str!("../graphql/review_thread_page.graphql");
/// Shared by the open and closed fragments: the issues a PR closes.
const CLOSING_ISSUES: &str = include_str!("../graphql/closing_issues.graphql");
/// Marks a draft ready for review.
pub(crate) const MARK_READY_FOR_REVIEW: &str = include_str!("../graphql/mark_ready_for_review.graphql");
/// Enables auto-merge.
pub(crate) const ENABLE_AUTO_MERGE: &str = include_str!("../graphql/enable_auto_merge.graphql");
/// Disables auto-merge.
pub(crate) const DISABLE_AUTO_MERGE: &str = include_str!("../graphql/disable_auto_merge.graphql");
/// Merges now.
pub(crate) const MERGE_PULL_REQUEST: &str = include_str!("../graphql/merge_pull_request.graphql");
/// Adds to the merge queue.
pub(crate) const ENQUEUE_PULL_REQUEST: &str = include_str!("../graphql/enqueue_pull_request.graphql");
/// Brings the branch up to date with its base.
pub(crate) const UPDATE_PULL_REQUEST_BRANCH: &str =
    include_str!("../graphql/update_pull_request_branch.graphql");

/// Every fixed document, by file name, for the schema validation test.
pub const FIXED_DOCUMENTS: [(&str, &str); 7] = [
    ("mark_ready_for_review.graphql", MARK_READY_FOR_REVIEW),
    ("enable_auto_merge.graphql", ENABLE_AUTO_MERGE),
    ("disable_auto_merge.graphql", DISABLE_AUTO_MERGE),
    ("merge_pull_request.graphql", MERGE_PULL_REQUEST),
    ("enqueue_pull_request.graphql", ENQUEUE_PULL_REQUEST),
    ("update_pull_request_branch.graphql", UPDATE_PULL_REQUEST_BRANCH),
    ("resolve_review_thread.graphql", RESOLVE_REVIEW_THREAD),
];
/// Resolves one review thread (the one-thread form of [`resolve_threads_mutation`]).
pub(crate) const RESOLVE_REVIEW_THREAD: &str = include_str!("../graphql/resolve_review_thread.graphql");

/// PRs per state query: 100 PRs cost 54 points by GitHub's formula, well inside one query's
/// node limit, and keep the first cycle of a large fleet to a few queries.
pub const MAX_PRS_PER_QUERY: usize = 100;

/// Which fragment a PR is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StateFragment {
    /// Everything a signal of an open PR needs (56 requests by GitHub's formula).
    Open,
    /// What a merged or closed PR still needs (2 requests).
    Closed,
    /// Mergeability, merge state and checks of a PR still settling (2 requests).
    Settling,
}

impl StateFragment {
    fn name(self) -> &'static str {
        match self {
            Self::Open => "PullRequestState",
            Self::Closed => "ClosedPullRequestState",
            Self::Settling => "SettlingPullRequestState",
        }
    }

    fn definition(self) -> &'static str {
        match self {
            Self::Open => PULL_REQUEST_STATE,
            Self::Closed => CLOSED_PULL_REQUEST_STATE,
            Self::Settling => SETTLING_PULL_REQUEST_STATE,
        }
    }
}

/// One query for the state of `prs` (by repository), with aliases `r<i>` per repository and
/// `p<number>` per PR, and the rate-limit cost of the query itself.
///
/// Owner and name are validated types (no quotes or backslashes), so they are safe as string
/// literals; numbers are integers.
#[must_use]
pub fn pull_request_states_query(prs: &[(RepoSlug, Vec<(u64, StateFragment)>)]) -> String {
    pull_request_states_query_with_issues(prs, &[])
}

/// [`pull_request_states_query`], also reading whether each of `issues` (by repository) is
/// open, with aliases `i<j>` per repository and `c<number>` per issue: the listed children of
/// the epics of merged PRs, so `close_epic` knows when all are closed. `issue(number:)` is no
/// connection, so this adds nothing to the query's cost.
#[must_use]
pub fn pull_request_states_query_with_issues(
    prs: &[(RepoSlug, Vec<(u64, StateFragment)>)],
    issues: &[(RepoSlug, Vec<u64>)],
) -> String {
    let mut query = String::from(
        "query PullRequestStates {\n  rateLimit {\n    cost\n    remaining\n    resetAt\n  }\n  viewer {\n    login\n  }\n",
    );
    let mut used = Vec::new();
    for (index, (repo, numbers)) in prs.iter().enumerate() {
        let _ = writeln!(
            query,
            "  r{index}: repository(owner: \"{}\", name: \"{}\") {{\n    nameWithOwner\n    autoMergeAllowed",
            repo.owner, repo.name
        );
        for (number, fragment) in numbers {
            let name = fragment.name();
            let _ = writeln!(query, "    p{number}: pullRequest(number: {number}) {{\n      ...{name}");
            if *fragment != StateFragment::Closed {
                push_check_contexts(&mut query, *number);
            }
            query.push_str("    }\n");
            if !used.contains(fragment) {
                used.push(*fragment);
            }
        }
        query.push_str("  }\n");
    }
    for (index, (repo, numbers)) in issues.iter().enumerate() {
        let _ =
            writeln!(query, "  i{index}: repository(owner: \"{}\", name: \"{}\") {{", repo.owner, repo.name);
        for number in numbers {
            let _ = writeln!(query, "    c{number}: issue(number: {number}) {{\n      state\n    }}");
        }
        query.push_str("  }\n");
    }
    query.push_str("}\n");
    // GraphQL rejects a document that defines a fragment it does not use.
    used.sort_unstable();
    for fragment in &used {
        query.push('\n');
        query.push_str(fragment.definition());
    }
    if !used.is_empty() {
        query.push('\n');
        query.push_str(HEAD_COMMIT);
    }
    if used.iter().any(|f| *f != StateFragment::Settling) {
        query.push('\n');
        query.push_str(CLOSING_ISSUES);
    }
    if used.contains(&StateFragment::Open) {
        query.push('\n');
        query.push_str(REVIEW_THREAD_PAGE);
    }
    query
}

/// The largest page GitHub serves (`first` is 1..100 on every connection).
const MAX_PAGE: u32 = 100;

/// One follow-up page of a PR's review threads: the next `first` threads after cursor `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadPage {
    /// The PR.
    pub number: u64,
    /// Page size, 1..=100.
    pub first: u32,
    /// `pageInfo.endCursor` of the page read before (opaque, GitHub's).
    pub after: String,
}

impl ThreadPage {
    /// The page after `after` of PR `number`, sized to the `unread` threads GitHub counted
    /// beyond it (each thread asked for costs a request even if the page comes back short), at
    /// least 1 and at most GitHub's 100.
    #[must_use]
    pub fn new(number: u64, unread: u32, after: String) -> Self {
        Self { number, first: unread.clamp(1, MAX_PAGE), after }
    }

    /// Requests this page implies by GitHub's formula: 1 for the threads, 1 per thread for
    /// its last comment.
    #[must_use]
    pub fn requests(&self) -> u64 {
        1 + u64::from(self.first)
    }
}

/// The points a document implying `requests` requests costs: GitHub divides by 100, rounds to
/// the nearest whole number, and charges at least 1.
#[must_use]
pub fn points_for(requests: u64) -> u64 {
    (requests.saturating_add(50) / 100).max(1)
}

/// One query for the follow-up pages of review threads of several PRs across repositories,
/// with aliases `r<i>` per repository and `p<number>` per PR, and the cursors as variables
/// `a0`, `a1`, ... (they are GitHub's opaque text, so they never become part of the document).
#[must_use]
pub fn review_thread_pages_query(pages: &[(RepoSlug, Vec<ThreadPage>)]) -> (String, serde_json::Value) {
    let mut params = Vec::new();
    let mut body = String::new();
    let mut variables = serde_json::Map::new();
    for (index, (repo, prs)) in pages.iter().enumerate() {
        let _ =
            writeln!(body, "  r{index}: repository(owner: \"{}\", name: \"{}\") {{", repo.owner, repo.name);
        for page in prs {
            let variable = format!("a{}", variables.len());
            let _ = writeln!(
                body,
                "    p{}: pullRequest(number: {}) {{\n      reviewThreads(first: {}, after: ${variable}) {{\n        ...ReviewThreadPage\n      }}\n    }}",
                page.number, page.number, page.first
            );
            params.push(format!("${variable}: String!"));
            variables.insert(variable, page.after.clone().into());
        }
        body.push_str("  }\n");
    }
    let params = if params.is_empty() { String::new() } else { format!("({})", params.join(", ")) };
    let document = format!(
        "query ReviewThreadPages{params} {{\n  rateLimit {{\n    cost\n    remaining\n    resetAt\n  }}\n{body}}}\n\n{REVIEW_THREAD_PAGE}"
    );
    (document, serde_json::Value::Object(variables))
}

/// The head commit, with its checks and whether each is required for PR `number`:
/// `isRequired` takes the PR as an argument, so this part of the selection is written per PR,
/// beside the fragment, as one `commits` connection.
fn push_check_contexts(query: &mut String, number: u64) {
    let _ = writeln!(
        query,
        "      commits(last: 1) {{ nodes {{ commit {{ ...HeadCommit statusCheckRollup {{ contexts(first: 100) {{ \
         totalCount nodes {{ __typename ... on CheckRun {{ name status conclusion isRequired(pullRequestNumber: {number}) }} \
         ... on StatusContext {{ context state isRequired(pullRequestNumber: {number}) }} }} }} }} }} }} }}"
    );
}

/// One mutation resolving every thread in `threads`, with variables `t0`, `t1`, ...
#[must_use]
pub fn resolve_threads_mutation(threads: &[ThreadId]) -> (String, serde_json::Value) {
    let field = RESOLVE_REVIEW_THREAD
        .split_once("{\n")
        .and_then(|(_, rest)| rest.rsplit_once('}'))
        .map(|(body, _)| body.trim_end().to_owned())
        .expect("resolve_review_thread.graphql is one mutation with one field");
    let mut params = Vec::new();
    let mut fields = String::new();
    let mut variables = serde_json::Map::new();
    for (i, thread) in threads.iter().enumerate() {
        params.push(format!("$t{i}: ID!"));
        let _ =
            writeln!(fields, "{}", field.replace("$t0", &format!("$t{i}")).replace("t0:", &format!("t{i}:")));
        variables.insert(format!("t{i}"), thread.as_str().into());
    }
    let document = format!("mutation ResolveReviewThreads({}) {{\n{fields}}}\n", params.join(", "));
    (document, serde_json::Value::Object(variables))
}
