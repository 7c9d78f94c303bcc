//! The benchmark workload: many repositories, every stage, deterministic, served.

use jobrunner_github_sim::{PrState, SimState};
use serde_json::json;

use crate::support::start;

#[tokio::test]
async fn workload_100_by_30_builds_and_serves() {
    let state = SimState::workload(100, 30);
    assert_eq!(state.repos().len(), 100);
    assert_eq!(state.repos().iter().map(|r| r.pulls.len()).sum::<usize>(), 3000);
    let repo = state.repo("org/repo-042");
    assert!(repo.pulls.values().any(|pr| pr.draft));
    assert!(repo.pulls.values().any(|pr| pr.mergeable == Some(false)));
    assert!(repo.pulls.values().any(|pr| pr.state == PrState::Merged));
    assert!(repo.pulls.values().any(|pr| pr.auto_merge.is_some()));
    assert!(repo.pulls.values().any(|pr| pr.unresolved_threads() > 0));

    let (_sim, api) = start(state).await;
    let pulls = api.get("/repos/org/repo-042/pulls?state=all&per_page=100").await.json();
    assert_eq!(pulls.as_array().unwrap().len(), 30);
    let query = "{ repository(owner: \"org\", name: \"repo-099\") { pullRequests(first: 50) { totalCount nodes { \
                 number closingIssuesReferences(first: 1) { nodes { number } } } } issue(number: 1) { body } } }";
    let data = api.query(query, json!({})).await;
    assert_eq!(data["repository"]["pullRequests"]["totalCount"], 30);
    let first = &data["repository"]["pullRequests"]["nodes"][0];
    assert_eq!(first["number"], 32);
    assert_eq!(first["closingIssuesReferences"]["nodes"][0]["number"], 2);
    assert!(data["repository"]["issue"]["body"].as_str().unwrap().contains("- [ ] #2 "));
}

#[tokio::test]
async fn workload_is_deterministic() {
    let (a, b) = (SimState::workload(3, 12), SimState::workload(3, 12));
    let heads = |s: &SimState| -> Vec<(String, String)> {
        s.repos()
            .iter()
            .flat_map(|r| r.pulls.values().map(|pr| (pr.head_sha().to_owned(), pr.updated_at.to_rfc3339())))
            .collect()
    };
    assert_eq!(heads(&a), heads(&b));
    assert_eq!(a.now(), b.now());
}

#[tokio::test]
async fn workload_ticks_the_box_of_fully_done_children() {
    let state = SimState::workload(1, 9);
    // Stage 8 (the ninth PR, closing child #10) is merged with its box ticked; stage 7 is not.
    assert_eq!(state.is_ticked("org/repo-000", 1, 10), Some(true));
    assert_eq!(state.is_ticked("org/repo-000", 1, 9), Some(false));
}
