//! The read fields of the merge step: `mergeStateStatus` (and REST `mergeable_state`) and
//! `reviewDecision` derived from the PR and its base branch's protection, named checks with
//! `isRequired`, no CI, the viewer, authors, labels, the repository's auto-merge setting.

use jobrunner_github_sim::{AGENT_LOGIN, CheckState, Limits, PrSpec, Protection, SimState, VIEWER_LOGIN};
use serde_json::{Value, json};

use crate::support::{Api, REPO, start};

const MERGE_QUERY: &str = "query($n: Int!) { viewer { login } repository(owner: \"octo\", name: \"app\") { \
    autoMergeAllowed pullRequest(number: $n) { mergeable mergeStateStatus reviewDecision isDraft \
    isInMergeQueue isMergeQueueEnabled mergeQueueEntry { state } author { login } labels(first: 10) { nodes { name } } \
    autoMergeRequest { enabledAt enabledBy { login } mergeMethod } \
    reviews(last: 5) { nodes { state commit { oid } } } reviewThreads(first: 10) { nodes { isResolved isOutdated } } \
    commits(last: 1) { nodes { commit { oid statusCheckRollup { state contexts(first: 20) { totalCount nodes { \
      __typename ... on CheckRun { name status conclusion isRequired(pullRequestNumber: $n) } \
      ... on StatusContext { context state isRequired(pullRequestNumber: $n) } } } } } } } } } }";

async fn read(api: &Api, number: u64) -> Value {
    api.query(MERGE_QUERY, json!({ "n": number })).await
}

fn pr(data: &Value) -> &Value {
    &data["repository"]["pullRequest"]
}

fn rollup(data: &Value) -> &Value {
    &pr(data)["commits"]["nodes"][0]["commit"]["statusCheckRollup"]
}

async fn rest_state(api: &Api, number: u64) -> Value {
    api.get(&format!("/repos/octo/app/pulls/{number}")).await.json()["mergeable_state"].clone()
}

fn protected(protection: Protection) -> SimState {
    SimState::default().with_protection(REPO, "main", protection)
}

#[tokio::test]
async fn an_unprotected_green_pr_is_clean_with_no_review_decision() {
    let (_sim, api) =
        start(SimState::default().with_pr(REPO, PrSpec::new(20).author(AGENT_LOGIN).labels(&["bot"]))).await;
    let data = read(&api, 20).await;
    assert_eq!(data["viewer"]["login"], VIEWER_LOGIN);
    assert_eq!(data["repository"]["autoMergeAllowed"], true);
    let pr = pr(&data);
    assert_eq!((pr["mergeStateStatus"].clone(), pr["reviewDecision"].clone()), (json!("CLEAN"), Value::Null));
    assert_eq!(
        (pr["isInMergeQueue"].clone(), pr["isMergeQueueEnabled"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(pr["mergeQueueEntry"], Value::Null);
    assert_eq!(pr["author"]["login"], AGENT_LOGIN);
    assert_eq!(pr["labels"]["nodes"], json!([{ "name": "bot" }]));
    let rollup = rollup(&data);
    assert_eq!(rollup["state"], "SUCCESS");
    assert_eq!(
        rollup["contexts"],
        json!({ "totalCount": 1, "nodes": [{ "__typename": "CheckRun", "name": "ci", "status": "COMPLETED",
                "conclusion": "SUCCESS", "isRequired": false }] })
    );
    assert_eq!(rest_state(&api, 20).await, "clean");
}

#[tokio::test]
async fn required_reviews_block_until_approved_and_a_change_request_blocks() {
    let state = protected(Protection { required_approvals: 1, ..Protection::default() })
        .with_pr(REPO, PrSpec::new(20))
        .with_pr(REPO, PrSpec::new(21).approvals(1))
        .with_pr(REPO, PrSpec::new(22).approvals(2).changes_requested());
    let (sim, api) = start(state).await;
    for (number, status, decision) in
        [(20, "BLOCKED", "REVIEW_REQUIRED"), (21, "CLEAN", "APPROVED"), (22, "BLOCKED", "CHANGES_REQUESTED")]
    {
        let data = read(&api, number).await;
        assert_eq!(pr(&data)["mergeStateStatus"], status, "#{number}");
        assert_eq!(pr(&data)["reviewDecision"], decision, "#{number}");
    }
    assert_eq!(rest_state(&api, 20).await, "blocked");
    let head = sim.with_state(|s| s.pr(REPO, 21).head_sha().to_owned());
    assert_eq!(pr(&read(&api, 21).await)["reviews"]["nodes"][0]["commit"]["oid"], head.as_str());
    sim.with_state(|s| s.review_approves(REPO, 20, "reviewer-9"));
    assert_eq!(pr(&read(&api, 20).await)["mergeStateStatus"], "CLEAN");
}

#[tokio::test]
async fn required_checks_block_and_optional_ones_make_it_unstable() {
    let protection = Protection { required_checks: vec!["build".into()], ..Protection::default() };
    let checks = [("build", CheckState::Success), ("lint", CheckState::Failure)];
    let state = protected(protection)
        .with_pr(REPO, PrSpec::new(20).check_runs(&checks).statuses(&[("deploy", CheckState::Pending)]))
        .with_pr(REPO, PrSpec::new(21).check_runs(&[("lint", CheckState::Success)]));
    let (sim, api) = start(state).await;
    let data = read(&api, 20).await;
    assert_eq!(pr(&data)["mergeStateStatus"], "UNSTABLE", "required green, optional failing");
    assert_eq!(rollup(&data)["state"], "FAILURE");
    assert_eq!(
        rollup(&data)["contexts"]["nodes"],
        json!([
            { "__typename": "CheckRun", "name": "build", "status": "COMPLETED", "conclusion": "SUCCESS", "isRequired": true },
            { "__typename": "CheckRun", "name": "lint", "status": "COMPLETED", "conclusion": "FAILURE", "isRequired": false },
            { "__typename": "StatusContext", "context": "deploy", "state": "PENDING", "isRequired": false },
        ])
    );
    assert_eq!(rest_state(&api, 20).await, "unstable");
    assert_eq!(pr(&read(&api, 21).await)["mergeStateStatus"], "BLOCKED", "a required check never reported");

    sim.with_state(|s| s.check_run_finishes(REPO, 20, "build", CheckState::Failure));
    assert_eq!(pr(&read(&api, 20).await)["mergeStateStatus"], "BLOCKED");
    let sha = sim.with_state(|s| s.pr(REPO, 20).head_sha().to_owned());
    let runs = api.get(&format!("/repos/octo/app/commits/{sha}/check-runs")).await.json();
    let names: Vec<&str> =
        runs["check_runs"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!((runs["total_count"].clone(), names), (json!(2), vec!["build", "lint"]));
    let status = api.get(&format!("/repos/octo/app/commits/{sha}/status")).await.json();
    assert_eq!((status["state"].clone(), status["total_count"].clone()), (json!("pending"), json!(1)));
}

#[tokio::test]
async fn a_strict_branch_makes_a_pr_behind_after_the_base_moves() {
    let limits = Limits { unknown_reads_after_change: 0, ..Limits::default() };
    let protection = Protection { strict: true, required_checks: vec!["ci".into()], ..Protection::default() };
    let (sim, api) = start(protected(protection).with_limits(limits)).await;
    assert_eq!(pr(&read(&api, 13).await)["mergeStateStatus"], "CLEAN");
    sim.with_state(|s| s.base_moves(REPO, &[]));
    assert_eq!(pr(&read(&api, 13).await)["mergeStateStatus"], "BEHIND");
    assert_eq!(rest_state(&api, 13).await, "behind");
    sim.with_state(|s| s.agent_pushes_fix(REPO, 13));
    assert_eq!(pr(&read(&api, 13).await)["mergeStateStatus"], "BLOCKED", "up to date, checks re-running");
    sim.with_state(|s| s.checks_finish(REPO, 13, CheckState::Success));
    assert_eq!(pr(&read(&api, 13).await)["mergeStateStatus"], "CLEAN");
}

#[tokio::test]
async fn unresolved_conversations_block_only_under_conversation_resolution() {
    let (_sim, api) = start(SimState::default()).await;
    assert_eq!(pr(&read(&api, 12).await)["mergeStateStatus"], "CLEAN");
    assert_eq!(pr(&read(&api, 12).await)["reviewDecision"], "CHANGES_REQUESTED");
    let (sim, api) =
        start(protected(Protection { conversation_resolution: true, ..Protection::default() })).await;
    assert_eq!(pr(&read(&api, 12).await)["mergeStateStatus"], "BLOCKED");
    sim.with_state(|s| s.threads_become_outdated(REPO, 12));
    let data = read(&api, 12).await;
    assert_eq!(pr(&data)["reviewThreads"]["nodes"][0], json!({ "isResolved": false, "isOutdated": true }));
}

#[tokio::test]
async fn drafts_conflicts_and_unknown_mergeability_have_their_own_states() {
    let limits = Limits { unknown_reads_after_change: 1, ..Limits::default() };
    let (sim, api) = start(SimState::default().with_limits(limits).with_pre_receive_hooks(REPO, true)).await;
    assert_eq!(pr(&read(&api, 10).await)["mergeStateStatus"], "DRAFT");
    assert_eq!(rest_state(&api, 10).await, "draft");
    assert_eq!(pr(&read(&api, 11).await)["mergeStateStatus"], "DIRTY");
    assert_eq!(rest_state(&api, 11).await, "dirty");
    assert_eq!(pr(&read(&api, 13).await)["mergeStateStatus"], "HAS_HOOKS");
    sim.with_state(|s| s.agent_pushes_fix(REPO, 13));
    let unknown = read(&api, 13).await;
    assert_eq!(
        (pr(&unknown)["mergeable"].clone(), pr(&unknown)["mergeStateStatus"].clone()),
        (json!("UNKNOWN"), json!("UNKNOWN")),
        "one read serves both fields"
    );
    let computed = read(&api, 13).await;
    assert_eq!(pr(&computed)["mergeStateStatus"], "UNSTABLE", "checks run on the new head");
    assert_eq!(rest_state(&api, 14).await, "unknown", "a merged PR");
}

#[tokio::test]
async fn a_head_without_ci_has_no_rollup_and_githubs_empty_answers() {
    let (sim, api) = start(SimState::default().with_pr(REPO, PrSpec::new(20).no_checks())).await;
    let data = read(&api, 20).await;
    assert_eq!(*rollup(&data), Value::Null);
    assert_eq!(pr(&data)["mergeStateStatus"], "CLEAN");
    let sha = sim.with_state(|s| s.pr(REPO, 20).head_sha().to_owned());
    let runs = api.get(&format!("/repos/octo/app/commits/{sha}/check-runs")).await.json();
    assert_eq!(runs, json!({ "total_count": 0, "check_runs": [] }));
    let status = api.get(&format!("/repos/octo/app/commits/{sha}/status")).await.json();
    assert_eq!(
        (status["state"].clone(), status["total_count"].clone(), status["statuses"].clone()),
        (json!("pending"), json!(0), json!([]))
    );
    sim.with_state(|s| s.agent_pushes_fix(REPO, 20));
    assert_eq!(*rollup(&read(&api, 20).await), Value::Null, "a new head of a repository without CI");
}

#[tokio::test]
async fn the_pull_requests_own_rollup_is_its_heads() {
    let (sim, api) = start(SimState::default().with_pr(REPO, PrSpec::new(20).no_checks())).await;
    let query = "query($n: Int!) { repository(owner: \"octo\", name: \"app\") { pullRequest(number: $n) { \
                 statusCheckRollup { state } } } }";
    sim.with_state(|s| s.checks_finish(REPO, 13, CheckState::Failure));
    let failing = api.query(query, json!({ "n": 13 })).await;
    assert_eq!(failing["repository"]["pullRequest"]["statusCheckRollup"]["state"], "FAILURE");
    let none = api.query(query, json!({ "n": 20 })).await;
    assert_eq!(none["repository"]["pullRequest"]["statusCheckRollup"], Value::Null);
}

#[tokio::test]
async fn blocked_wins_over_behind_when_both_apply() {
    let limits = Limits { unknown_reads_after_change: 0, ..Limits::default() };
    let protection = Protection { strict: true, required_approvals: 1, ..Protection::default() };
    let state = protected(protection).with_limits(limits).with_pr(REPO, PrSpec::new(20).approvals(1));
    let (sim, api) = start(state).await;
    sim.with_state(|s| s.base_moves(REPO, &[]));
    assert_eq!(pr(&read(&api, 13).await)["mergeStateStatus"], "BLOCKED", "behind and unapproved");
    assert_eq!(pr(&read(&api, 20).await)["mergeStateStatus"], "BEHIND", "behind, approved");
}
