//! The REST endpoints, one module per area, answering from [`SimState`](crate::SimState) in
//! GitHub's shapes ([`shapes`]).

pub(crate) mod branches;
pub(crate) mod commits;
pub(crate) mod issues;
pub(crate) mod merge;
pub(crate) mod pulls;
pub(crate) mod rate_limit;
pub(crate) mod releases;
pub(crate) mod repos;
pub(crate) mod shapes;

use std::cmp::Ordering;

/// Query pairs in request order (kept in order for `Link` headers).
pub(crate) type QueryPairs = Vec<(String, String)>;

/// The last value of query parameter `key`.
pub(crate) fn param<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// An issue or PR number from a path segment; `None` (so 404) for anything else.
pub(crate) fn number(segment: &str) -> Option<u64> {
    segment.parse().ok()
}

/// Applies `direction` (default `desc` when `default_desc`) to an ascending ordering.
pub(crate) fn directed(ordering: Ordering, query: &[(String, String)], default_desc: bool) -> Ordering {
    let desc = param(query, "direction").map_or(default_desc, |d| d == "desc");
    if desc { ordering.reverse() } else { ordering }
}
