//! With a marker set, every free-text field served carries it (so a test can grep the
//! runner's output for leaks), while epic checklists stay parseable and branches valid refs.

use jobrunner_github_sim::SimState;
use serde_json::{Value, json};

use crate::support::{REPO, start};

const MARKER: &str = "MARKER-7f3a9c";

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn marker_appears_in_every_served_free_text_field() {
    let (sim, api) = start(SimState::default().with_marker(MARKER)).await;
    sim.with_state(|s| s.review_adds_threads(REPO, 13, 1));
    let pulls = api.get("/repos/octo/app/pulls?state=all").await.json();
    for pr in pulls.as_array().unwrap() {
        for field in [&pr["title"], &pr["body"], &pr["head"]["ref"]] {
            assert!(field.as_str().unwrap().contains(MARKER), "PR {}: {field}", pr["number"]);
        }
    }
    let branch = api.get("/repos/octo/app/branches/main").await.json();
    for field in [&branch["commit"]["commit"]["message"], &branch["commit"]["commit"]["author"]["name"]] {
        assert!(field.as_str().unwrap().contains(MARKER), "branch commit: {field}");
    }
    let issues = api.get("/repos/octo/app/issues?state=all&per_page=100").await.json();
    for issue in issues.as_array().unwrap() {
        assert!(issue["title"].as_str().unwrap().contains(MARKER));
        assert!(issue["body"].as_str().unwrap().contains(MARKER));
    }
    let query = "{ repository(owner: \"octo\", name: \"app\") { pullRequests(first: 10, states: [OPEN, MERGED]) { nodes { \
                 title body headRefName commits(first: 5) { nodes { commit { message } } } \
                 reviews(first: 5) { nodes { body } } \
                 reviewThreads(first: 5) { nodes { comments(first: 5) { nodes { body } } } } } } } }";
    let data = api.query(query, json!({})).await;
    for pr in data["repository"]["pullRequests"]["nodes"].as_array().unwrap() {
        let mut texts = Vec::new();
        strings(pr, &mut texts);
        assert!(texts.iter().all(|t| t.contains(MARKER)), "a text without the marker: {texts:?}");
    }
}

#[tokio::test]
async fn marked_epic_body_keeps_its_checklist() {
    let (sim, api) = start(SimState::default().with_marker(MARKER)).await;
    let body = api.get("/repos/octo/app/issues/1").await.json()["body"].as_str().unwrap().to_owned();
    assert!(body.contains(MARKER));
    for child in 2..=6 {
        assert!(body.contains(&format!("\n- [ ] #{child} ")), "{body}");
        assert_eq!(sim.with_state(|s| s.is_ticked(REPO, 1, child)), Some(false));
    }
}

#[tokio::test]
async fn marked_branch_names_are_served_by_the_branches_endpoint() {
    let (_sim, api) = start(SimState::default().with_marker(MARKER)).await;
    let head = api.get("/repos/octo/app/pulls/10").await.json()["head"]["ref"].as_str().unwrap().to_owned();
    assert_eq!(head, format!("{MARKER}/fix/issue-2"));
    let branch = api.get(&format!("/repos/octo/app/branches/{head}")).await.json();
    assert_eq!(branch["name"], head.as_str());
}
