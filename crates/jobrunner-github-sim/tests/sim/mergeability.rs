//! Mergeability and checks behave like GitHub's: unknown for a while after a push or a base
//! move, then computed; neither checks nor mergeability move a PR's `updated_at`.

use jobrunner_github_sim::{
    AutoMerge, CheckState, IssueState, Limits, MergeMethod, PrState, Protection, SimState,
};
use serde_json::{Value, json};

use crate::support::{Api, REPO, start};

const PR_QUERY: &str = "query($n: Int!) { repository(owner: \"octo\", name: \"app\") { pullRequest(number: $n) { \
     mergeable updatedAt headRefOid commits(last: 1) { nodes { commit { oid statusCheckRollup { state } } } } } } }";

async fn graphql_pr(api: &Api, number: u64) -> Value {
    api.query(PR_QUERY, json!({ "n": number })).await["repository"]["pullRequest"].clone()
}

async fn rest_mergeable(api: &Api, number: u64) -> Value {
    api.get(&format!("/repos/octo/app/pulls/{number}")).await.json()["mergeable"].clone()
}

#[tokio::test]
async fn mergeable_is_unknown_after_a_push_then_computed() {
    let (sim, api) = start(SimState::default()).await;
    let before = api.get("/repos/octo/app/pulls/13").await.json();
    assert_eq!(
        (before["mergeable"].clone(), before["mergeable_state"].clone()),
        (json!(true), json!("clean"))
    );

    let sha = sim.with_state(|s| s.agent_pushes_fix(REPO, 13));
    let unknown = api.get("/repos/octo/app/pulls/13").await.json();
    assert_eq!(unknown["mergeable"], Value::Null);
    assert_eq!(unknown["mergeable_state"], "unknown");
    assert_eq!(unknown["head"]["sha"], sha.as_str());
    assert_ne!(unknown["updated_at"], before["updated_at"], "a push bumps updated_at");
    let computed = api.get("/repos/octo/app/pulls/13").await.json();
    assert_eq!(computed["mergeable"], true);
    assert_eq!(computed["mergeable_state"], "unstable", "checks are pending on the new head");
}

#[tokio::test]
async fn graphql_reads_count_toward_the_unknown_window() {
    let limits = Limits { unknown_reads_after_change: 2, ..Limits::default() };
    let (sim, api) = start(SimState::default().with_limits(limits)).await;
    sim.with_state(|s| s.agent_pushes_fix(REPO, 13));
    assert_eq!(graphql_pr(&api, 13).await["mergeable"], "UNKNOWN");
    assert_eq!(rest_mergeable(&api, 13).await, Value::Null);
    assert_eq!(graphql_pr(&api, 13).await["mergeable"], "MERGEABLE");
}

#[tokio::test]
async fn checks_finishing_does_not_move_updated_at() {
    let (sim, api) = start(SimState::default()).await;
    sim.with_state(|s| s.agent_pushes_fix(REPO, 13));
    let pushed = graphql_pr(&api, 13).await;
    assert_eq!(pushed["commits"]["nodes"][0]["commit"]["statusCheckRollup"]["state"], "PENDING");

    sim.with_state(|s| s.checks_finish(REPO, 13, CheckState::Failure));
    let finished = graphql_pr(&api, 13).await;
    assert_eq!(finished["commits"]["nodes"][0]["commit"]["statusCheckRollup"]["state"], "FAILURE");
    assert_eq!(finished["updatedAt"], pushed["updatedAt"]);
    let sha = finished["headRefOid"].as_str().unwrap();
    let runs = api.get(&format!("/repos/octo/app/commits/{sha}/check-runs")).await.json();
    assert_eq!(
        (runs["total_count"].clone(), runs["check_runs"][0]["conclusion"].clone()),
        (json!(1), json!("failure"))
    );
    let status = api.get(&format!("/repos/octo/app/commits/{sha}/status")).await.json();
    assert_eq!(status["state"], "failure");
}

#[tokio::test]
async fn base_move_makes_listed_prs_conflict_after_an_unknown_read() {
    let (sim, api) = start(SimState::default()).await;
    let main_before = api.get("/repos/octo/app/branches/main").await.json()["commit"]["sha"].clone();
    let updated_before = api.get("/repos/octo/app/pulls/13").await.json()["updated_at"].clone();

    sim.with_state(|s| s.base_moves(REPO, &[13]));
    assert_eq!(rest_mergeable(&api, 13).await, Value::Null);
    let after = api.get("/repos/octo/app/pulls/13").await.json();
    assert_eq!(
        (after["mergeable"].clone(), after["mergeable_state"].clone()),
        (json!(false), json!("dirty"))
    );
    assert_eq!(after["updated_at"], updated_before, "a base move does not bump updated_at");
    assert_eq!(graphql_pr(&api, 12).await["mergeable"], "UNKNOWN");
    assert_eq!(graphql_pr(&api, 12).await["mergeable"], "MERGEABLE");
    let main_after = api.get("/repos/octo/app/branches/main").await.json()["commit"]["sha"].clone();
    assert_ne!(main_before, main_after);
}

#[tokio::test]
async fn auto_merge_merges_only_when_enabled_green_and_mergeable() {
    // A required review keeps #13 BLOCKED, where GitHub accepts auto-merge.
    let protection = Protection { required_approvals: 1, ..Protection::default() };
    let (sim, api) = start(SimState::default().with_protection(REPO, "main", protection)).await;
    assert!(!sim.with_state(|s| s.auto_merge_merges(REPO, 13)), "auto-merge is off");
    let id = crate::support::pr_id(&api, 13).await;
    let enable = "mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: SQUASH}) { \
                  pullRequest { autoMergeRequest { mergeMethod enabledAt } } } }";
    let enabled = api.query(enable, json!({ "id": id })).await;
    assert_eq!(
        enabled["enablePullRequestAutoMerge"]["pullRequest"]["autoMergeRequest"]["mergeMethod"],
        "SQUASH"
    );
    assert!(!sim.with_state(|s| s.auto_merge_merges(REPO, 13)), "still blocked on the review");

    sim.with_state(|s| s.review_approves(REPO, 13, "reviewer-1"));
    assert!(sim.with_state(|s| s.auto_merge_merges(REPO, 13)));
    sim.with_state(|s| {
        assert_eq!(s.pr(REPO, 13).state, PrState::Merged);
        assert!(s.pr(REPO, 13).merged_at.is_some());
        assert_eq!(s.issue(REPO, 5).state, IssueState::Closed, "linked issue closed");
        assert_eq!(s.is_ticked(REPO, 1, 5), Some(false), "GitHub does not tick the epic");
    });
    assert_eq!(rest_mergeable(&api, 10).await, Value::Null, "the base moved under the other PRs");
    let merged = api.get("/repos/octo/app/pulls/13").await.json();
    assert_eq!((merged["state"].clone(), merged["merged"].clone()), (json!("closed"), json!(true)));
}

#[tokio::test]
async fn auto_merge_leaves_linked_issues_open_when_configured() {
    let state = SimState::default().with_closes_linked_on_merge(false);
    let (sim, _api) = start(state).await;
    sim.with_state(|s| {
        let enabled_at = s.tick();
        s.pr_mut(REPO, 13).auto_merge = Some(AutoMerge { enabled_at, method: MergeMethod::Merge });
    });
    assert!(sim.with_state(|s| s.auto_merge_merges(REPO, 13)));
    sim.with_state(|s| assert_eq!(s.issue(REPO, 5).state, IssueState::Open));
}
