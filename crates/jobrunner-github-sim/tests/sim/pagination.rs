//! List endpoints paginate like GitHub: `per_page` up to 100 and `Link` headers; GraphQL
//! connections by cursor, `first` up to 100.

use std::collections::BTreeSet;

use jobrunner_github_sim::{PrSpec, SimState};
use serde_json::{Value, json};

use crate::support::start;

fn next_link(link: &str) -> Option<String> {
    link.split(", ").find(|l| l.ends_with("rel=\"next\"")).map(|l| l[1..l.find('>').unwrap()].to_owned())
}

#[tokio::test]
async fn pulls_paginate_250_prs_with_link_headers() {
    let state = (1..=250).fold(SimState::empty(), |s, n| s.with_pr("octo/app", PrSpec::new(1000 + n)));
    let (sim, api) = start(state).await;
    let base = sim.base_url();
    let first = api.get("/repos/octo/app/pulls?per_page=100").await;
    let link = first.header("link").expect("a Link header").to_owned();
    assert!(link.contains("page=2>; rel=\"next\""), "{link}");
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");

    let mut numbers = BTreeSet::new();
    let mut sizes = Vec::new();
    let mut page = Some(first);
    while let Some(reply) = page {
        let items = reply.json();
        sizes.push(items.as_array().unwrap().len());
        numbers.extend(items.as_array().unwrap().iter().map(|pr| pr["number"].as_u64().unwrap()));
        page = match reply.header("link").and_then(next_link) {
            Some(url) => Some(api.get(url.strip_prefix(&base).unwrap()).await),
            None => None,
        };
    }
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(numbers.len(), 250);
}

#[tokio::test]
async fn per_page_is_capped_at_100_and_defaults_to_30() {
    let state = (1..=120).fold(SimState::empty(), |s, n| s.with_pr("octo/app", PrSpec::new(n)));
    let (_sim, api) = start(state).await;
    assert_eq!(api.get("/repos/octo/app/pulls?per_page=500").await.json().as_array().unwrap().len(), 100);
    assert_eq!(api.get("/repos/octo/app/pulls").await.json().as_array().unwrap().len(), 30);
}

#[tokio::test]
async fn last_page_links_back_but_not_forward() {
    let state = (1..=5).fold(SimState::empty(), |s, n| s.with_pr("octo/app", PrSpec::new(n)));
    let (_sim, api) = start(state).await;
    let link = api.get("/repos/octo/app/pulls?per_page=2&page=3").await.header("link").unwrap().to_owned();
    assert!(link.contains("rel=\"prev\"") && link.contains("rel=\"first\""), "{link}");
    assert!(!link.contains("rel=\"next\""), "{link}");
}

#[tokio::test]
async fn issues_list_includes_pull_requests_unless_filtered_by_labels() {
    let (_sim, api) = start(SimState::default()).await;
    let all = api.get("/repos/octo/app/issues?state=all&per_page=100").await.json();
    let prs: Vec<&Value> =
        all.as_array().unwrap().iter().filter(|i| i.get("pull_request").is_some()).collect();
    assert_eq!(prs.len(), 5);
    assert_eq!(all.as_array().unwrap().len(), 11, "epic, 5 children, 5 PRs");
    let epics = api.get("/repos/octo/app/issues?labels=epic").await.json();
    let numbers: Vec<u64> = epics.as_array().unwrap().iter().map(|i| i["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [1]);
}

#[tokio::test]
async fn pulls_sort_by_updated_for_change_detection() {
    let (sim, api) = start(SimState::default()).await;
    sim.with_state(|s| s.review_adds_threads("octo/app", 10, 1));
    let newest =
        api.get("/repos/octo/app/pulls?state=all&sort=updated&direction=desc&per_page=1").await.json();
    assert_eq!(newest[0]["number"], 10);
}

#[tokio::test]
async fn review_threads_beyond_100_are_served_page_by_page_from_the_end_cursor() {
    let state = SimState::empty()
        .with_repo("octo", "app")
        .with_pr("octo/app", PrSpec::new(5).resolved_threads(129).threads(1));
    let (_sim, api) = start(state).await;
    let query = "query($first: Int!, $after: String) { repository(owner: \"octo\", name: \"app\") { pullRequest(number: 5) { \
                 reviewThreads(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id isResolved } } } } }";
    let page = |data: Value| data["repository"]["pullRequest"]["reviewThreads"].clone();
    let first = page(api.query(query, json!({ "first": 100, "after": null })).await);
    assert_eq!((first["totalCount"].as_u64(), first["nodes"].as_array().unwrap().len()), (Some(130), 100));
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let second =
        page(api.query(query, json!({ "first": 100, "after": first["pageInfo"]["endCursor"] })).await);
    let nodes = second["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 30, "the rest, and no more");
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    assert_eq!(nodes.last().unwrap()["isResolved"], false, "the newest thread comes last");
    let ids: BTreeSet<&str> = [&first, &second]
        .iter()
        .flat_map(|p| p["nodes"].as_array().unwrap())
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 130, "no thread twice, none left out");
    let too_many = api.graphql(query, json!({ "first": 101 })).await;
    assert_eq!(too_many["errors"][0]["type"], "EXCESSIVE_PAGINATION", "first is at most 100, as on GitHub");
}
