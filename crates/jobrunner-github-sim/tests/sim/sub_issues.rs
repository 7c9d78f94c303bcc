//! Sub-issue epics, checklist items in other repositories, and a person's edit between two
//! requests of the client.

use http::Method;
use jobrunner_github_sim::{SimState, StateHook};
use serde_json::json;

use crate::support::{REPO, start};

fn sub_issue_epic() -> SimState {
    SimState::default().with_sub_issue_epic(REPO, 30, &[(REPO, 31), ("octo/lib", 5)])
}

#[tokio::test]
async fn the_rest_issue_summarises_its_sub_issues_as_they_close() {
    let (sim, api) = start(sub_issue_epic()).await;
    let summary = |reply: crate::support::Reply| reply.json()["sub_issues_summary"].clone();
    assert_eq!(
        summary(api.get("/repos/octo/app/issues/30").await),
        json!({ "total": 2, "completed": 0, "percent_completed": 0 })
    );
    api.patch("/repos/octo/lib/issues/5", &json!({ "state": "closed" })).await;
    assert_eq!(
        summary(api.get("/repos/octo/app/issues/30").await),
        json!({ "total": 2, "completed": 1, "percent_completed": 50 })
    );
    // GitHub does not close a parent whose sub-issues are all closed.
    api.patch("/repos/octo/app/issues/31", &json!({ "state": "closed" })).await;
    assert_eq!(sim.with_state(|s| s.sub_issues_summary(REPO, 30).completed), 2);
    assert_eq!(api.get("/repos/octo/app/issues/30").await.json()["state"], "open");
}

#[tokio::test]
async fn graphql_serves_a_sub_issues_parent_across_repositories_and_the_parents_summary() {
    let (_sim, api) = start(sub_issue_epic()).await;
    let data = api
        .query(
            "{ repository(owner: \"octo\", name: \"lib\") { issue(number: 5) { parent { number \
             repository { nameWithOwner } subIssuesSummary { total completed percentCompleted } \
             subIssues(first: 10) { nodes { number repository { nameWithOwner } } } } } } }",
            json!({}),
        )
        .await;
    let parent = &data["repository"]["issue"]["parent"];
    assert_eq!(parent["number"], 30);
    assert_eq!(parent["repository"]["nameWithOwner"], "octo/app");
    assert_eq!(parent["subIssuesSummary"], json!({ "total": 2, "completed": 0, "percentCompleted": 0 }));
    assert_eq!(
        parent["subIssues"]["nodes"],
        json!([
            { "number": 31, "repository": { "nameWithOwner": "octo/app" } },
            { "number": 5, "repository": { "nameWithOwner": "octo/lib" } },
        ])
    );
}

#[tokio::test]
async fn an_issue_without_a_parent_has_none_and_an_empty_summary() {
    let (_sim, api) = start(SimState::default()).await;
    let data = api
        .query(
            "{ repository(owner: \"octo\", name: \"app\") { issue(number: 1) { parent { number } \
             subIssuesSummary { total completed percentCompleted } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["repository"]["issue"]["parent"], json!(null));
    assert_eq!(
        data["repository"]["issue"]["subIssuesSummary"],
        json!({ "total": 0, "completed": 0, "percentCompleted": 0 })
    );
}

#[tokio::test]
async fn an_epic_lists_children_of_other_repositories_and_creates_them_there() {
    let state = SimState::default().with_epic_items("octo/plan", 1, &["#2", "octo/app#40"]);
    assert!(state.epic_body("octo/plan", 1).contains("- [ ] #2 Child task\n- [ ] octo/app#40 Child task\n"));
    assert!(state.repo("octo/app").issues.contains_key(&40), "the child lives in its own repository");
    assert!(state.repo("octo/plan").issues.contains_key(&2));
}

#[tokio::test]
async fn a_person_saving_the_epic_right_before_a_request_is_seen_by_that_request() {
    let (sim, api) = start(SimState::default()).await;
    sim.before_request(StateHook::once(Method::GET, "/repos/{owner}/{repo}/issues/{number}", |s| {
        s.person_edits_epic(REPO, 1, "- [ ] #9 added by a person");
    }));
    let body = api.get("/repos/octo/app/issues/1").await.json()["body"].as_str().unwrap().to_owned();
    assert!(body.ends_with("- [ ] #9 added by a person\n"), "{body:?}");
    let again = api.get("/repos/octo/app/issues/1").await.json()["body"].as_str().unwrap().to_owned();
    assert_eq!(again, body, "once: the person saved one edit");
}
