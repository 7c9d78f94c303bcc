//! The merge step's mutations, accepted and refused as GitHub does: auto-merge on and off,
//! merging (GraphQL and REST), the merge queue, updating the branch.

use http::{Method, StatusCode};
use jobrunner_github_sim::{
    CheckState, IssueState, MergeMethod, MutationKind, PrSpec, PrState, Protection, QueueState, SimState,
    VIEWER_LOGIN,
};
use serde_json::{Value, json};

use crate::support::{Api, REPO, pr_id, start};

const ENABLE: &str = "mutation($id: ID!, $head: GitObjectID) { enablePullRequestAutoMerge(input: \
    {pullRequestId: $id, expectedHeadOid: $head, mergeMethod: SQUASH}) { actor { login } pullRequest { \
    autoMergeRequest { enabledBy { login } mergeMethod } } } }";
const DISABLE: &str = "mutation($id: ID!) { disablePullRequestAutoMerge(input: {pullRequestId: $id}) { \
    pullRequest { autoMergeRequest { enabledAt } } } }";
const MERGE: &str = "mutation($id: ID!, $head: GitObjectID) { mergePullRequest(input: {pullRequestId: $id, \
    expectedHeadOid: $head, mergeMethod: SQUASH}) { pullRequest { state merged } } }";
const ENQUEUE: &str = "mutation($id: ID!, $head: GitObjectID) { enqueuePullRequest(input: {pullRequestId: $id, \
    expectedHeadOid: $head}) { mergeQueueEntry { state position enqueuer { login } } } }";
const UPDATE: &str = "mutation($id: ID!, $head: GitObjectID) { updatePullRequestBranch(input: {pullRequestId: $id, \
    expectedHeadOid: $head, updateMethod: MERGE}) { pullRequest { headRefOid mergeStateStatus } } }";

/// Runs `document` on PR `number` and answers the whole JSON body.
async fn run(api: &Api, document: &str, number: u64, head: Option<&str>) -> Value {
    let id = pr_id(api, number).await;
    api.graphql(document, json!({ "id": id, "head": head })).await
}

/// GitHub's refusal: HTTP 200, the field `null`, one `UNPROCESSABLE` error with its path.
fn assert_refused(answer: &Value, field: &str, message: &str) {
    assert_eq!(answer["data"], json!({ field: null }), "{answer}");
    let error = &answer["errors"][0];
    assert_eq!(
        (error["type"].clone(), error["message"].clone(), error["path"].clone()),
        (json!("UNPROCESSABLE"), json!(message), json!([field])),
        "{answer}"
    );
    assert!(error["locations"].is_array());
}

fn review_required() -> Protection {
    Protection { required_approvals: 1, ..Protection::default() }
}

#[tokio::test]
async fn auto_merge_is_refused_where_github_would_merge_now_or_never() {
    let state = SimState::default()
        .with_pr(REPO, PrSpec::new(20).check_runs(&[("lint", CheckState::Failure)]))
        .with_pr(REPO, PrSpec::new(21).check_runs(&[("lint", CheckState::Pending)]))
        .with_repo("octo", "locked")
        .with_pr("octo/locked", PrSpec::new(5).checks(CheckState::Pending))
        .with_protection("octo/locked", "main", review_required())
        .with_auto_merge_allowed("octo/locked", false);
    let (sim, api) = start(state).await;
    let clean = run(&api, ENABLE, 13, None).await;
    assert_refused(&clean, "enablePullRequestAutoMerge", "Pull request Pull request is in clean status");
    let unstable = run(&api, ENABLE, 20, None).await;
    assert_refused(
        &unstable,
        "enablePullRequestAutoMerge",
        "Pull request Pull request is in unstable status",
    );
    assert_refused(
        &run(&api, ENABLE, 21, None).await,
        "enablePullRequestAutoMerge",
        "Pull request Pull request is in unstable status",
    );
    for number in [10, 11, 14] {
        let refused = run(&api, ENABLE, number, None).await;
        let message = "Pull request is not in the correct state to enable auto-merge";
        assert_refused(&refused, "enablePullRequestAutoMerge", message);
    }
    let id = api
        .query(
            "{ repository(owner: \"octo\", name: \"locked\") { pullRequest(number: 5) { id } } }",
            json!({}),
        )
        .await["repository"]["pullRequest"]["id"]
        .clone();
    let locked = api.graphql(ENABLE, json!({ "id": id })).await;
    assert_refused(&locked, "enablePullRequestAutoMerge", "Auto merge is not allowed for this repository");
    assert!(sim.counters().mutation_log.is_empty(), "a refusal changes nothing");
    assert!(sim.with_state(|s| {
        s.repos().iter().flat_map(|r| r.pulls.values()).all(|pr| pr.auto_merge.is_none() || pr.number == 5)
    }));
}

#[tokio::test]
async fn auto_merge_is_armed_on_a_blocked_pr_pinned_to_its_head_and_disarmed() {
    let (sim, api) = start(SimState::default().with_protection(REPO, "main", review_required())).await;
    let stale = run(&api, ENABLE, 13, Some(&"0".repeat(40))).await;
    assert_refused(&stale, "enablePullRequestAutoMerge", "Head sha didn't match expected head oid");
    let head = sim.with_state(|s| s.pr(REPO, 13).head_sha().to_owned());
    let armed = run(&api, ENABLE, 13, Some(&head)).await;
    assert!(armed.get("errors").is_none(), "{armed}");
    let payload = &armed["data"]["enablePullRequestAutoMerge"];
    assert_eq!(payload["actor"]["login"], VIEWER_LOGIN);
    assert_eq!(
        payload["pullRequest"]["autoMergeRequest"],
        json!({ "enabledBy": { "login": VIEWER_LOGIN }, "mergeMethod": "SQUASH" })
    );
    let rest = api.get("/repos/octo/app/pulls/13").await.json();
    assert_eq!(rest["auto_merge"]["enabled_by"]["login"], VIEWER_LOGIN);
    assert_eq!(rest["mergeable_state"], "blocked");

    let disarmed = run(&api, DISABLE, 13, None).await;
    assert_eq!(
        disarmed["data"]["disablePullRequestAutoMerge"]["pullRequest"]["autoMergeRequest"],
        Value::Null
    );
    assert_eq!(
        sim.counters().mutations(REPO, 13),
        [MutationKind::EnableAutoMerge, MutationKind::DisableAutoMerge]
    );
    assert_eq!(sim.counters().graphql_mutation_points, 3, "one point per mutation document, refused or not");
}

#[tokio::test]
async fn github_merges_an_armed_pr_once_its_protection_is_met() {
    let protection = Protection { required_checks: vec!["ci".into()], ..Protection::default() };
    let state = SimState::default()
        .with_protection(REPO, "main", protection)
        .with_pr(REPO, PrSpec::new(20).closes(&[30]).checks(CheckState::Pending));
    let (sim, api) = start(state).await;
    assert!(run(&api, ENABLE, 20, None).await.get("errors").is_none());
    assert!(!sim.with_state(|s| s.auto_merge_merges(REPO, 20)), "the required check is running");
    sim.with_state(|s| s.checks_finish(REPO, 20, CheckState::Success));
    assert!(sim.with_state(|s| s.auto_merge_merges(REPO, 20)));
    sim.with_state(|s| {
        assert_eq!(s.pr(REPO, 20).state, PrState::Merged);
        assert_eq!(s.issue(REPO, 30).state, IssueState::Closed);
    });
}

#[tokio::test]
async fn merge_pull_request_merges_a_clean_pr_pinned_to_its_head() {
    let (sim, api) = start(SimState::default()).await;
    let stale = run(&api, MERGE, 13, Some(&"0".repeat(40))).await;
    assert_refused(&stale, "mergePullRequest", "Head branch was modified. Review and try the merge again.");
    let head = sim.with_state(|s| s.pr(REPO, 13).head_sha().to_owned());
    let merged = run(&api, MERGE, 13, Some(&head)).await;
    assert_eq!(
        merged["data"]["mergePullRequest"]["pullRequest"],
        json!({ "state": "MERGED", "merged": true })
    );
    sim.with_state(|s| {
        assert_eq!(s.pr(REPO, 13).merged_with, Some(MergeMethod::Squash));
        assert_eq!(s.pr(REPO, 13).merged_by.as_deref(), Some(VIEWER_LOGIN));
        assert_eq!(s.issue(REPO, 5).state, IssueState::Closed, "the linked issue closes");
    });
    assert_eq!(sim.counters().mutations(REPO, 13), [MutationKind::Merge]);
    assert_refused(&run(&api, MERGE, 10, None).await, "mergePullRequest", "Pull Request is still a draft");
    assert_refused(&run(&api, MERGE, 11, None).await, "mergePullRequest", "Pull Request is not mergeable");
    assert_refused(&run(&api, MERGE, 14, None).await, "mergePullRequest", "Pull Request is not mergeable");
}

#[tokio::test]
async fn merge_pull_request_merges_unstable_and_refuses_blocked() {
    let protection = Protection { required_checks: vec!["build".into()], ..Protection::default() };
    let state = SimState::default()
        .with_protection(REPO, "main", protection)
        .with_pr(
            REPO,
            PrSpec::new(20).check_runs(&[("build", CheckState::Success), ("lint", CheckState::Failure)]),
        )
        .with_pr(REPO, PrSpec::new(21).check_runs(&[("build", CheckState::Pending)]));
    let (_sim, api) = start(state).await;
    let unstable = run(&api, MERGE, 20, None).await;
    assert_eq!(unstable["data"]["mergePullRequest"]["pullRequest"]["merged"], true, "{unstable}");
    let blocked = run(&api, MERGE, 21, None).await;
    assert_refused(&blocked, "mergePullRequest", "Required status check \"build\" is expected.");
}

#[tokio::test]
async fn rest_merge_answers_200_405_and_409_like_github() {
    let (sim, api) = start(SimState::default()).await;
    let moved = api
        .send(Method::PUT, "/repos/octo/app/pulls/13/merge", &[], Some(&json!({ "sha": "0".repeat(40) })))
        .await
        .unwrap();
    assert_eq!(moved.status, StatusCode::CONFLICT);
    assert_eq!(moved.json()["message"], "Head branch was modified. Review and try the merge again.");
    let draft = api.send(Method::PUT, "/repos/octo/app/pulls/10/merge", &[], None).await.unwrap();
    assert_eq!(
        (draft.status, draft.json()["message"].clone()),
        (StatusCode::METHOD_NOT_ALLOWED, json!("Pull Request is still a draft"))
    );
    let head = sim.with_state(|s| s.pr(REPO, 13).head_sha().to_owned());
    let body = json!({ "sha": head, "merge_method": "rebase" });
    let merged = api.send(Method::PUT, "/repos/octo/app/pulls/13/merge", &[], Some(&body)).await.unwrap();
    assert_eq!(merged.status, StatusCode::OK);
    let answer = merged.json();
    assert_eq!(
        (answer["merged"].clone(), answer["message"].clone()),
        (json!(true), json!("Pull Request successfully merged"))
    );
    assert_eq!(answer["sha"].as_str().map(str::len), Some(40));
    assert_eq!(api.get("/repos/octo/app/pulls/13").await.json()["merge_commit_sha"], answer["sha"]);
    let again = api.send(Method::PUT, "/repos/octo/app/pulls/13/merge", &[], None).await.unwrap();
    assert_eq!(again.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(sim.counters().mutations(REPO, 13), [MutationKind::Merge]);
    assert_eq!(sim.counters().per_endpoint["PUT /repos/{owner}/{repo}/pulls/{number}/merge"], 4);
}

fn queue_state() -> SimState {
    let protection =
        Protection { required_checks: vec!["ci".into()], merge_queue: true, ..Protection::default() };
    SimState::default()
        .with_protection(REPO, "main", protection)
        .with_pr(REPO, PrSpec::new(20).closes(&[30]))
        .with_pr(REPO, PrSpec::new(21).checks(CheckState::Pending))
}

#[tokio::test]
async fn a_merge_queue_branch_takes_enqueues_and_refuses_direct_merges() {
    let (sim, api) = start(queue_state()).await;
    let direct = run(&api, MERGE, 13, None).await;
    assert_refused(&direct, "mergePullRequest", "Changes must be made through the merge queue");
    let blocked = run(&api, ENQUEUE, 21, None).await;
    assert_refused(&blocked, "enqueuePullRequest", "Pull request Required status check \"ci\" is expected.");
    let queued = run(&api, ENQUEUE, 13, None).await;
    assert_eq!(
        queued["data"]["enqueuePullRequest"]["mergeQueueEntry"],
        json!({ "state": "QUEUED", "position": 1, "enqueuer": { "login": VIEWER_LOGIN } })
    );
    let second = run(&api, ENQUEUE, 20, None).await;
    assert_eq!(second["data"]["enqueuePullRequest"]["mergeQueueEntry"]["position"], 2);
    assert_refused(
        &run(&api, MERGE, 13, None).await,
        "mergePullRequest",
        "Pull Request is in the merge queue",
    );
    let read = api
        .query("{ repository(owner: \"octo\", name: \"app\") { pullRequest(number: 13) { isInMergeQueue isMergeQueueEnabled mergeQueueEntry { state } } } }", json!({}))
        .await;
    assert_eq!(
        read["repository"]["pullRequest"],
        json!({ "isInMergeQueue": true, "isMergeQueueEnabled": true, "mergeQueueEntry": { "state": "QUEUED" } })
    );

    sim.with_state(|s| s.queue_drops(REPO, 13));
    let run_once = sim.with_state(|s| s.merge_queue_runs(REPO));
    assert_eq!((run_once.merged, run_once.dropped), (vec![20], vec![]));
    sim.with_state(|s| {
        assert!(s.pr(REPO, 13).is_open() && s.pr(REPO, 13).queue_entry.is_none(), "dropped, not merged");
        assert_eq!(s.issue(REPO, 30).state, IssueState::Closed);
    });
    assert_eq!(sim.counters().mutations(REPO, 13), [MutationKind::Enqueue]);
}

#[tokio::test]
async fn the_queue_waits_on_running_checks_and_drops_failing_ones() {
    let (sim, _api) = start(queue_state()).await;
    sim.with_state(|s| {
        s.queue_adds(REPO, 21);
        s.queue_adds(REPO, 20);
        let waiting = s.merge_queue_runs(REPO);
        assert!(waiting.merged.is_empty() && waiting.dropped.is_empty(), "#21 holds the queue");
        assert_eq!(s.pr(REPO, 21).queue_entry.as_ref().map(|e| e.state), Some(QueueState::AwaitingChecks));
        s.checks_finish(REPO, 21, CheckState::Failure);
        let failed = s.merge_queue_runs(REPO);
        assert_eq!((failed.merged, failed.dropped), (vec![20], vec![21]));
    });
}

#[tokio::test]
async fn enqueue_is_refused_where_the_base_has_no_queue() {
    let (sim, api) = start(SimState::default()).await;
    assert_refused(
        &run(&api, ENQUEUE, 13, None).await,
        "enqueuePullRequest",
        "Merge queue is not enabled for this branch",
    );
    assert!(sim.counters().mutation_log.is_empty());
}

#[tokio::test]
async fn auto_merge_on_a_queue_branch_queues_the_pr_when_ready() {
    let (sim, api) = start(queue_state()).await;
    assert!(run(&api, ENABLE, 21, None).await.get("errors").is_none(), "BLOCKED on its check");
    sim.with_state(|s| {
        s.checks_finish(REPO, 21, CheckState::Success);
        assert!(!s.auto_merge_merges(REPO, 21), "queued, not merged");
        assert!(s.pr(REPO, 21).queue_entry.is_some());
        assert_eq!(s.merge_queue_runs(REPO).merged, [21]);
    });
}

#[tokio::test]
async fn updating_the_branch_brings_a_behind_head_up_to_date() {
    let protection = Protection { strict: true, required_checks: vec!["ci".into()], ..Protection::default() };
    let limits = jobrunner_github_sim::Limits { unknown_reads_after_change: 0, ..Default::default() };
    let (sim, api) =
        start(SimState::default().with_protection(REPO, "main", protection).with_limits(limits)).await;
    sim.with_state(|s| s.base_moves(REPO, &[]));
    let stale = run(&api, UPDATE, 13, Some(&"0".repeat(40))).await;
    assert_refused(&stale, "updatePullRequestBranch", "expected head sha didn't match current head ref.");
    let old = sim.with_state(|s| s.pr(REPO, 13).head_sha().to_owned());
    let updated = run(&api, UPDATE, 13, Some(&old)).await;
    let pr = &updated["data"]["updatePullRequestBranch"]["pullRequest"];
    assert_ne!(pr["headRefOid"], old.as_str());
    assert_eq!(pr["mergeStateStatus"], "BLOCKED", "up to date; the new head's checks run");

    sim.with_state(|s| s.base_moves(REPO, &[]));
    let mismatch = api
        .send(
            Method::PUT,
            "/repos/octo/app/pulls/13/update-branch",
            &[],
            Some(&json!({ "expected_head_sha": old })),
        )
        .await
        .unwrap();
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    let accepted = api.send(Method::PUT, "/repos/octo/app/pulls/13/update-branch", &[], None).await.unwrap();
    assert_eq!(accepted.status, StatusCode::ACCEPTED);
    assert_eq!(accepted.json()["message"], "Updating pull request branch.");
    assert_eq!(sim.counters().mutations(REPO, 13), [MutationKind::UpdateBranch, MutationKind::UpdateBranch]);
}

#[tokio::test]
async fn a_push_without_write_access_disables_auto_merge() {
    let (sim, api) = start(SimState::default().with_protection(REPO, "main", review_required())).await;
    assert!(run(&api, ENABLE, 13, None).await.get("errors").is_none());
    sim.with_state(|s| {
        s.agent_pushes_fix(REPO, 13);
        assert!(s.pr(REPO, 13).auto_merge.is_some(), "the agent has write access");
        s.outsider_pushes(REPO, 13);
        assert!(s.pr(REPO, 13).auto_merge.is_none(), "GitHub disabled it");
    });
}

#[tokio::test]
async fn a_merge_into_any_branch_moves_it_and_leaves_strict_prs_on_it_behind() {
    let strict = Protection { strict: true, ..Protection::default() };
    let limits = jobrunner_github_sim::Limits { unknown_reads_after_change: 0, ..Default::default() };
    let state = SimState::default()
        .with_limits(limits)
        .with_protection(REPO, "release", strict)
        .with_pr(REPO, PrSpec::new(20).base("release"))
        .with_pr(REPO, PrSpec::new(21).base("release"));
    let (sim, api) = start(state).await;
    let release = sim.with_state(|s| s.repo(REPO).branches["release"].clone());
    assert_eq!(release, sim.with_state(|s| s.repo(REPO).default_head().to_owned()), "branched off main");
    assert_eq!(run(&api, MERGE, 20, None).await["data"]["mergePullRequest"]["pullRequest"]["merged"], true);
    sim.with_state(|s| {
        assert_ne!(s.repo(REPO).branches["release"], release, "the merge moved release");
        let pr = s.pr(REPO, 21);
        assert_eq!(
            jobrunner_github_sim::merge_status(s.repo(REPO), pr, pr.mergeable),
            jobrunner_github_sim::MergeStatus::Behind
        );
        assert_eq!(
            s.issue(REPO, 2).state,
            IssueState::Open,
            "only merges into the default branch close issues"
        );
    });
}

#[tokio::test]
async fn dequeue_removes_a_queued_pr_and_refuses_one_that_is_not() {
    const DEQUEUE: &str =
        "mutation($id: ID!) { dequeuePullRequest(input: {id: $id}) { mergeQueueEntry { state } } }";
    let (sim, api) = start(queue_state()).await;
    assert_refused(
        &run(&api, DEQUEUE, 13, None).await,
        "dequeuePullRequest",
        "Pull request is not in the merge queue",
    );
    assert!(run(&api, ENQUEUE, 13, None).await.get("errors").is_none());
    let dequeued = run(&api, DEQUEUE, 13, None).await;
    assert_eq!(dequeued["data"]["dequeuePullRequest"]["mergeQueueEntry"]["state"], "QUEUED");
    sim.with_state(|s| assert!(s.pr(REPO, 13).queue_entry.is_none()));
    assert_eq!(sim.counters().mutations(REPO, 13), [MutationKind::Enqueue, MutationKind::Dequeue]);
}
