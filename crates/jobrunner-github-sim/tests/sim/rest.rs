//! REST shapes and errors: what GitHub answers for unknown objects and bad bodies, and the
//! fields clients rely on.

use http::{Method, StatusCode};
use jobrunner_github_sim::SimState;
use serde_json::{Value, json};

use crate::support::start;

#[tokio::test]
async fn unknown_repository_or_number_is_404_with_githubs_message() {
    let (_sim, api) = start(SimState::default()).await;
    for path in [
        "/repos/octo/nope/pulls",
        "/repos/octo/app/pulls/99",
        "/repos/octo/app/issues/99",
        "/repos/octo/app/pulls/abc",
        "/nowhere",
    ] {
        let reply = api.get(path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.json()["message"], "Not Found", "{path}");
    }
}

#[tokio::test]
async fn bad_json_is_400_and_a_wrong_shape_is_422() {
    let (sim, api) = start(SimState::default()).await;
    let garbage = api.send(Method::PATCH, "/repos/octo/app/issues/1", &[], None).await.unwrap();
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    assert_eq!(garbage.json()["message"], "Problems parsing JSON");
    let wrong = api.post("/repos/octo/app/issues/1/comments", &json!({ "text": "no body field" })).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_state = api.patch("/repos/octo/app/issues/1", &json!({ "state": "gone" })).await;
    assert_eq!(bad_state.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(sim.counters().mutation_log.is_empty());
}

#[tokio::test]
async fn a_pull_request_carries_the_fields_clients_read() {
    let (_sim, api) = start(SimState::default()).await;
    let pr = api.get("/repos/octo/app/pulls/10").await.json();
    for field in [
        "url",
        "id",
        "node_id",
        "number",
        "state",
        "draft",
        "title",
        "body",
        "created_at",
        "updated_at",
        "merged",
    ] {
        assert!(pr.get(field).is_some(), "missing {field}");
    }
    assert_eq!(
        (pr["draft"].clone(), pr["state"].clone(), pr["user"]["login"].clone()),
        (json!(true), json!("open"), json!("octocat"))
    );
    assert_eq!(pr["head"]["ref"], "fix/issue-2");
    assert_eq!(pr["head"]["sha"].as_str().unwrap().len(), 40);
    assert_eq!(pr["base"]["ref"], "main");
    assert_eq!(pr["merged_at"], Value::Null);
    let merged = api.get("/repos/octo/app/pulls/14").await.json();
    assert_eq!((merged["state"].clone(), merged["merged"].clone()), (json!("closed"), json!(true)));
    assert!(merged["merged_at"].is_string() && merged["closed_at"].is_string());
}

#[tokio::test]
async fn issues_carry_labels_state_reason_and_pr_links() {
    let (_sim, api) = start(SimState::default()).await;
    let epic = api.get("/repos/octo/app/issues/1").await.json();
    assert_eq!(epic["labels"][0]["name"], "epic");
    assert_eq!(epic["state_reason"], Value::Null);
    let closed_child = api.get("/repos/octo/app/issues/6").await.json();
    assert_eq!(
        (closed_child["state"].clone(), closed_child["state_reason"].clone()),
        (json!("closed"), json!("completed"))
    );
    let pr_as_issue = api.get("/repos/octo/app/issues/12").await.json();
    assert!(pr_as_issue["pull_request"]["url"].as_str().unwrap().ends_with("/repos/octo/app/pulls/12"));
}

#[tokio::test]
async fn branches_and_commit_checks_resolve_shas_and_names() {
    let (_sim, api) = start(SimState::default()).await;
    let branch = api.get("/repos/octo/app/branches/fix/issue-4").await.json();
    let sha = branch["commit"]["sha"].as_str().unwrap().to_owned();
    assert_eq!(api.get("/repos/octo/app/pulls/12").await.json()["head"]["sha"], sha.as_str());
    let runs = api.get(&format!("/repos/octo/app/commits/{sha}/check-runs")).await.json();
    assert_eq!(runs["check_runs"][0]["head_sha"], sha.as_str());
    assert_eq!(runs["check_runs"][0]["status"], "completed");
    assert_eq!(runs["check_runs"][0]["pull_requests"][0]["number"], 12);
    let status = api.get("/repos/octo/app/commits/main/status").await.json();
    assert_eq!((status["state"].clone(), status["total_count"].clone()), (json!("success"), json!(1)));
    let unknown = api.get(&format!("/repos/octo/app/commits/{}/check-runs", "0".repeat(40))).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.get("/repos/octo/app/branches/nope").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn issues_since_keeps_only_recently_updated_entries() {
    let (sim, api) = start(SimState::default()).await;
    let cutoff = sim.with_state(|s| {
        let cutoff = s.tick();
        s.review_adds_threads("octo/app", 13, 1);
        cutoff
    });
    let since = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let recent = api.get(&format!("/repos/octo/app/issues?state=all&since={since}")).await.json();
    let numbers: Vec<u64> =
        recent.as_array().unwrap().iter().map(|i| i["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [13]);
}
