//! Fault injection: each kind, on a chosen request or by count.

use std::time::Duration;

use http::{Method, StatusCode};
use jobrunner_github_sim::{Fault, FaultRule, RequestMatcher, SimState, Trigger};
use serde_json::{Value, json};

use crate::support::start;

const PULLS: &str = "/repos/octo/app/pulls";

#[tokio::test]
async fn server_error_answers_5xx_once_without_charging() {
    let (sim, api) = start(SimState::default()).await;
    sim.inject(FaultRule::once(Method::GET, PULLS, Fault::ServerError(502)));
    let failed = api.get(PULLS).await;
    assert_eq!(failed.status, StatusCode::BAD_GATEWAY);
    assert!(failed.json()["message"].is_string());
    assert_eq!(api.get(PULLS).await.status, StatusCode::OK);
    let counters = sim.counters();
    assert_eq!((counters.faults_injected, counters.rest_points, counters.requests), (1, 1, 2));
}

#[tokio::test]
async fn delay_makes_a_client_with_a_shorter_timeout_time_out() {
    let (sim, api) = start(SimState::default()).await;
    sim.inject(FaultRule::once(Method::GET, PULLS, Fault::Delay(Duration::from_secs(30))));
    assert!(api.send_within(Duration::from_millis(200), Method::GET, PULLS).await.is_none());
    let next = api.send_within(Duration::from_secs(10), Method::GET, PULLS).await;
    assert_eq!(next.expect("the next request is not delayed").status, StatusCode::OK);
}

#[tokio::test]
async fn connection_reset_drops_the_connection_without_an_answer() {
    let (sim, api) = start(SimState::default()).await;
    sim.inject(FaultRule::once(Method::GET, PULLS, Fault::ConnectionReset));
    let error = api.send(Method::GET, PULLS, &[], None).await.expect_err("no answer on a reset connection");
    let chain: Vec<String> = std::iter::successors(Some(&error as &dyn std::error::Error), |e| e.source())
        .map(ToString::to_string)
        .collect();
    let source = chain.join(" / ");
    assert!(
        source.contains("reset") || source.contains("closed") || source.contains("incomplete"),
        "unexpected transport error: {source}"
    );
    assert_eq!(api.get(PULLS).await.status, StatusCode::OK, "later requests are served");
}

#[tokio::test]
async fn secondary_limit_fault_answers_with_the_chosen_status_and_retry_after() {
    let (sim, api) = start(SimState::default()).await;
    sim.inject(FaultRule::new(
        RequestMatcher::path("/graphql"),
        Trigger::Once,
        Fault::SecondaryLimit { retry_after_secs: 7, status: 429 },
    ));
    let limited = api.post("/graphql", &json!({ "query": "{ rateLimit { cost } }" })).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.number("retry-after"), 7);
    assert_eq!(sim.counters().graphql_points, 0, "the refused query was not charged");
}

#[tokio::test]
async fn malformed_json_is_a_200_whose_body_does_not_parse() {
    let (sim, api) = start(SimState::default()).await;
    sim.inject(FaultRule::new(
        RequestMatcher::new(Method::GET, "/repos/{owner}/{repo}/pulls"),
        Trigger::Nth(2),
        Fault::MalformedJson,
    ));
    assert!(api.get(PULLS).await.json().is_array());
    let broken = api.get(PULLS).await;
    assert_eq!(broken.status, StatusCode::OK);
    assert!(serde_json::from_slice::<Value>(&broken.body).is_err());
    assert!(api.get(PULLS).await.json().is_array(), "only the 2nd matching request breaks");
}

#[tokio::test]
async fn mergeable_null_hides_mergeability_without_using_up_unknown_reads() {
    let (sim, api) = start(SimState::default()).await;
    sim.inject(FaultRule::new(RequestMatcher::any(), Trigger::EveryNth(2), Fault::MergeableNull));
    assert_eq!(api.get("/repos/octo/app/pulls/13").await.json()["mergeable"], true);
    assert_eq!(api.get("/repos/octo/app/pulls/13").await.json()["mergeable"], Value::Null);
    let query = "{ repository(owner: \"octo\", name: \"app\") { pullRequest(number: 13) { mergeable } } }";
    assert_eq!(api.query(query, json!({})).await["repository"]["pullRequest"]["mergeable"], "MERGEABLE");
    assert_eq!(api.query(query, json!({})).await["repository"]["pullRequest"]["mergeable"], "UNKNOWN");
}

#[tokio::test]
async fn rate_trigger_faults_the_same_requests_for_the_same_seed() {
    let mut patterns = Vec::new();
    for _ in 0..2 {
        let (sim, api) = start(SimState::default()).await;
        let rule = Trigger::Rate { per_mille: 300, seed: 42 };
        sim.inject(FaultRule::new(RequestMatcher::any(), rule, Fault::ServerError(500)));
        let mut pattern = Vec::new();
        for _ in 0..20 {
            pattern.push(api.get(PULLS).await.status == StatusCode::INTERNAL_SERVER_ERROR);
        }
        patterns.push(pattern);
    }
    assert_eq!(patterns[0], patterns[1]);
    assert!(patterns[0].iter().any(|f| *f) && !patterns[0].iter().all(|f| *f), "{:?}", patterns[0]);
}

#[tokio::test]
async fn the_rate_limit_variant_answers_graphql_with_type_rate_limit_and_no_budget_left() {
    let (sim, api) = start(SimState::default()).await;
    let query = "{ rateLimit { remaining } }";
    sim.inject(FaultRule::once(http::Method::POST, "/graphql", Fault::GraphqlRateLimitVariant));
    let reply = api.post("/graphql", &json!({ "query": query })).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["errors"][0]["type"], "RATE_LIMIT");
    assert_eq!(reply.number("x-ratelimit-remaining"), 0);
    assert!(reply.json().get("data").is_none());
    assert!(api.query(query, json!({})).await["rateLimit"]["remaining"].as_u64().unwrap() > 0, "once");
}
