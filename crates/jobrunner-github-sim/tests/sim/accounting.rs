//! Primary points like GitHub's: REST 1 per request, GraphQL by the connection formula, with
//! `x-ratelimit-*` headers on every answer and refusals once the budget is spent.

use http::StatusCode;
use jobrunner_github_sim::{Limits, SimState};
use serde_json::json;

use crate::support::start;

#[tokio::test]
async fn rest_requests_cost_one_point_each_and_say_so_in_headers() {
    let (sim, api) = start(SimState::default()).await;
    api.get("/repos/octo/app/pulls").await;
    api.get("/repos/octo/app/pulls/10").await;
    let third = api.get("/repos/octo/app/issues/1").await;
    assert_eq!(third.number("x-ratelimit-limit"), 5000);
    assert_eq!(third.number("x-ratelimit-used"), 3);
    assert_eq!(third.number("x-ratelimit-remaining"), 4997);
    assert!(third.number("x-ratelimit-reset") > 1_700_000_000);
    assert_eq!(third.header("x-ratelimit-resource"), Some("core"));

    let counters = sim.counters();
    assert_eq!((counters.rest_points, counters.graphql_points), (3, 0));
    assert_eq!(counters.per_token["tok"], 3);
    assert_eq!(counters.endpoint("GET /repos/{owner}/{repo}/pulls"), 1);
    assert_eq!(counters.endpoint("GET /repos/{owner}/{repo}/pulls/{number}"), 1);
    assert_eq!(counters.endpoint("GET /repos/{owner}/{repo}/issues/{number}"), 1);
}

#[tokio::test]
async fn rate_limit_endpoint_is_free() {
    let (sim, api) = start(SimState::default()).await;
    api.get("/repos/octo/app/pulls").await;
    let limits = api.get("/rate_limit").await.json();
    assert_eq!(limits["resources"]["core"]["used"], 1);
    assert_eq!(limits["resources"]["graphql"]["remaining"], 5000);
    assert_eq!(sim.counters().rest_points, 1);
}

#[tokio::test]
async fn graphql_cost_follows_githubs_connection_formula() {
    let (sim, api) = start(SimState::default()).await;
    // 1 (pullRequests) + 100 (reviewThreads per PR) + 100 * 100 (comments per thread) = 10101.
    let query = "{ repository(owner: \"octo\", name: \"app\") { pullRequests(first: 100) { nodes { \
                 reviewThreads(first: 100) { nodes { comments(first: 10) { nodes { body } } } } } } } \
                 rateLimit { cost remaining used limit nodeCount resetAt } }";
    let reply = api.post("/graphql", &json!({ "query": query })).await;
    let rate = &reply.json()["data"]["rateLimit"];
    assert_eq!(rate["cost"], 101);
    assert_eq!(rate["used"], 101);
    assert_eq!(rate["remaining"], 5000 - 101);
    assert_eq!(rate["nodeCount"], 100 + 100 * 100 + 100 * 100 * 10);
    assert_eq!(reply.header("x-ratelimit-resource"), Some("graphql"));
    assert_eq!(reply.number("x-ratelimit-used"), 101);
    let counters = sim.counters();
    assert_eq!((counters.graphql_points, counters.rest_points), (101, 0));
}

#[tokio::test]
async fn a_small_graphql_query_costs_one_point() {
    let (sim, api) = start(SimState::default()).await;
    let data = api.query("{ repository(owner: \"octo\", name: \"app\") { pullRequest(number: 10) { number } } rateLimit { cost } }", json!({})).await;
    assert_eq!(data["rateLimit"]["cost"], 1);
    assert_eq!(sim.counters().graphql_points, 1);
}

#[tokio::test]
async fn spent_primary_budget_is_refused_with_remaining_zero() {
    let limits = Limits { primary_per_hour: 2, graphql_per_hour: 1, ..Limits::default() };
    let (sim, api) = start(SimState::default().with_limits(limits)).await;
    api.get("/repos/octo/app/pulls").await;
    api.get("/repos/octo/app/pulls").await;
    let refused = api.get("/repos/octo/app/pulls").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.number("x-ratelimit-remaining"), 0);
    assert!(refused.json()["message"].as_str().unwrap().starts_with("API rate limit exceeded"));

    api.query("{ rateLimit { cost } }", json!({})).await;
    let limited = api.graphql("{ rateLimit { cost } }", json!({})).await;
    assert_eq!(limited["errors"][0]["type"], "RATE_LIMITED");
    assert_eq!(sim.counters().primary_rejections, 2);
}
