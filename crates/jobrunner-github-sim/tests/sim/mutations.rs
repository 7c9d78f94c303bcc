//! Changes made through the API are applied like GitHub applies them and recorded per PR or
//! issue, in order, at logical times.

use http::StatusCode;
use jobrunner_github_sim::{IssueState, LogicalClock, MutationKind, Protection, SimState, StateReason};
use serde_json::json;

use crate::support::{REPO, pr_id, start};

#[tokio::test]
async fn aliased_graphql_mutations_are_each_applied_and_recorded_per_pr() {
    // A required review keeps #13 BLOCKED, where GitHub accepts auto-merge.
    let protection = Protection { required_approvals: 1, ..Protection::default() };
    let (sim, api) = start(SimState::default().with_protection(REPO, "main", protection)).await;
    let threads = api
        .query("{ repository(owner: \"octo\", name: \"app\") { pullRequest(number: 12) { reviewThreads(first: 10) { nodes { id isResolved } } } } }", json!({}))
        .await;
    let ids: Vec<String> = threads["repository"]["pullRequest"]["reviewThreads"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.iter().all(|id| id.starts_with("PRRT_kwDO")));
    let (draft, green) = (pr_id(&api, 10).await, pr_id(&api, 13).await);
    let document = "mutation($a: ID!, $b: ID!, $draft: ID!, $green: ID!) { \
        first: resolveReviewThread(input: {threadId: $a}) { thread { id isResolved } } \
        second: resolveReviewThread(input: {threadId: $b}) { thread { isResolved } } \
        ready: markPullRequestReadyForReview(input: {pullRequestId: $draft, clientMutationId: \"m1\"}) { clientMutationId pullRequest { id isDraft } } \
        auto: enablePullRequestAutoMerge(input: {pullRequestId: $green, mergeMethod: REBASE}) { pullRequest { autoMergeRequest { mergeMethod } } } }";
    let data = api.query(document, json!({ "a": ids[0], "b": ids[1], "draft": draft, "green": green })).await;
    assert_eq!(data["first"]["thread"], json!({ "id": ids[0], "isResolved": true }));
    assert_eq!(data["ready"]["pullRequest"]["isDraft"], false);
    assert_eq!(data["ready"]["clientMutationId"], "m1");
    assert_eq!(data["auto"]["pullRequest"]["autoMergeRequest"]["mergeMethod"], "REBASE");

    let counters = sim.counters();
    assert_eq!(counters.mutations(REPO, 12), [MutationKind::ResolveThread, MutationKind::ResolveThread]);
    assert_eq!(counters.mutations(REPO, 10), [MutationKind::MarkReady]);
    assert_eq!(counters.mutations(REPO, 13), [MutationKind::EnableAutoMerge]);
    assert!(counters.mutation_log.windows(2).all(|w| w[0].at < w[1].at), "chronological at logical times");
    assert!(counters.mutation_log[0].at > LogicalClock::epoch());
    assert_eq!(counters.graphql_mutation_points, 1, "one mutation document costs the minimum");
    sim.with_state(|s| {
        assert_eq!(s.pr(REPO, 12).unresolved_threads(), 0);
        assert!(!s.pr(REPO, 10).draft);
    });
}

#[tokio::test]
async fn rest_writes_are_applied_and_recorded_against_the_issue_number() {
    let (sim, api) = start(SimState::default()).await;
    let comment =
        api.post("/repos/octo/app/issues/11/comments", &json!({ "body": "fix merge conflict" })).await;
    assert_eq!(comment.status, StatusCode::CREATED);
    assert!(comment.header("location").is_some());
    assert_eq!(comment.json()["body"], "fix merge conflict");

    let body = sim.with_state(|s| s.epic_body(REPO, 1).replacen("- [ ] #6", "- [x] #6", 1));
    let edited = api.patch("/repos/octo/app/issues/1", &json!({ "body": body })).await;
    assert_eq!(edited.status, StatusCode::OK);
    let closed = api
        .patch("/repos/octo/app/issues/5", &json!({ "state": "closed", "state_reason": "completed" }))
        .await;
    assert_eq!(
        (closed.json()["state"].clone(), closed.json()["state_reason"].clone()),
        (json!("closed"), json!("completed"))
    );
    let labels = api.post("/repos/octo/app/issues/11/labels", &json!({ "labels": ["needs-human"] })).await;
    assert_eq!(labels.json()[0]["name"], "needs-human");

    let counters = sim.counters();
    assert_eq!(counters.mutations(REPO, 11), [MutationKind::Comment, MutationKind::AddLabels]);
    assert_eq!(counters.mutations(REPO, 1), [MutationKind::EditIssueBody]);
    assert_eq!(counters.mutations(REPO, 5), [MutationKind::CloseIssue]);
    sim.with_state(|s| {
        assert_eq!(s.comments(REPO, 11), ["fix merge conflict"]);
        assert_eq!(s.is_ticked(REPO, 1, 6), Some(true));
        assert_eq!(s.issue(REPO, 5).state, IssueState::Closed);
        assert_eq!(s.issue(REPO, 5).state_reason, Some(StateReason::Completed));
        assert_eq!(s.pr(REPO, 11).labels, ["needs-human"]);
    });
}

#[tokio::test]
async fn unknown_node_ids_are_not_found_like_github() {
    let (sim, api) = start(SimState::default()).await;
    let answer = api
        .graphql("mutation { markPullRequestReadyForReview(input: {pullRequestId: \"PR_kwDOnope\"}) { pullRequest { id } } }", json!({}))
        .await;
    assert_eq!(answer["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(answer["errors"][0]["path"], json!(["markPullRequestReadyForReview"]));
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("PR_kwDOnope"));
    assert!(sim.counters().mutation_log.is_empty());
}
