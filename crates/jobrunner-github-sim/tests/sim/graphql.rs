//! GraphQL answers any query shape within the modelled subset, and errors look like GitHub's.

use jobrunner_github_sim::SimState;
use serde_json::{Value, json};

use crate::support::start;

#[tokio::test]
async fn any_query_shape_within_the_subset_works() {
    let (_sim, api) = start(SimState::default()).await;
    let query = "query Scan($owner: String!, $name: String!, $n: Int = 3) {
        repo: repository(owner: $owner, name: $name) {
            nameWithOwner owner { login }
            open: pullRequests(first: $n, states: [OPEN], orderBy: {field: UPDATED_AT, direction: DESC}) {
                totalCount pageInfo { hasNextPage endCursor } nodes { ...Pr }
            }
            epic: issue(number: 1) { number state labels(first: 5) { nodes { name } } }
        }
    }
    fragment Pr on PullRequest {
        number isDraft state baseRefName
        ... on PullRequest { closingIssuesReferences(first: 5) { nodes { number state } } }
        reviewThreads(first: 10) { totalCount nodes { isResolved comments(last: 1) { nodes { createdAt } } } }
        reviews(last: 1) { nodes { state submittedAt } }
    }";
    let data = api.query(query, json!({ "owner": "octo", "name": "app" })).await;
    let repo = &data["repo"];
    assert_eq!(repo["nameWithOwner"], "octo/app");
    assert_eq!(repo["owner"]["login"], "octo");
    assert_eq!(repo["open"]["totalCount"], 4);
    assert_eq!(repo["open"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(repo["open"]["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(repo["epic"]["labels"]["nodes"][0]["name"], "epic");
    let threads: Vec<&Value> =
        repo["open"]["nodes"].as_array().unwrap().iter().filter(|pr| pr["number"] == 12).collect();
    if let Some(pr) = threads.first() {
        assert_eq!(pr["reviewThreads"]["totalCount"], 2);
        assert_eq!(pr["reviews"]["nodes"][0]["state"], "CHANGES_REQUESTED");
    }
}

#[tokio::test]
async fn pages_follow_end_cursors() {
    let (_sim, api) = start(SimState::default()).await;
    let query = "query($after: String) { repository(owner: \"octo\", name: \"app\") { \
                 pullRequests(first: 2, after: $after, states: [OPEN, MERGED]) { pageInfo { hasNextPage endCursor } nodes { number } } } }";
    let mut after = Value::Null;
    let mut numbers = Vec::new();
    loop {
        let page = api.query(query, json!({ "after": after })).await["repository"]["pullRequests"].clone();
        numbers.extend(page["nodes"].as_array().unwrap().iter().map(|n| n["number"].as_u64().unwrap()));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(numbers, [10, 11, 12, 13, 14]);
}

#[tokio::test]
async fn not_found_errors_carry_githubs_type_at_the_top_level() {
    let (_sim, api) = start(SimState::default()).await;
    let answer = api.graphql("{ repository(owner: \"octo\", name: \"nope\") { id } }", json!({})).await;
    assert_eq!(answer["data"]["repository"], Value::Null);
    let error = &answer["errors"][0];
    assert_eq!(error["type"], "NOT_FOUND");
    assert_eq!(error["path"], json!(["repository"]));
    assert_eq!(error["message"], "Could not resolve to a Repository with the name 'octo/nope'.");
    assert!(error.get("extensions").is_none());
}

#[tokio::test]
async fn connections_without_first_or_last_are_refused_like_github() {
    let (sim, api) = start(SimState::default()).await;
    let answer = api
        .graphql(
            "{ repository(owner: \"octo\", name: \"app\") { pullRequests { nodes { number } } } }",
            json!({}),
        )
        .await;
    assert_eq!(answer["errors"][0]["type"], "MISSING_PAGINATION_BOUNDARIES");
    let too_many = api.graphql("{ repository(owner: \"octo\", name: \"app\") { pullRequests(first: 101) { nodes { number } } } }", json!({})).await;
    assert_eq!(too_many["errors"][0]["type"], "EXCESSIVE_PAGINATION");
    assert_eq!(sim.counters().graphql_points, 0);
}

#[tokio::test]
async fn unknown_fields_fail_validation() {
    let (_sim, api) = start(SimState::default()).await;
    let answer =
        api.graphql("{ repository(owner: \"octo\", name: \"app\") { stargazerCount } }", json!({})).await;
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("stargazerCount"), "{answer}");
}
