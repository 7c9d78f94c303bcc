//! The simulator's REST answers have GitHub's full shapes: each validates against the
//! response schema GitHub publishes for its endpoint (`@octokit/openapi`, vendored in
//! `tests/fixtures/github/openapi-responses.json`).

use http::Method;
use jobrunner_github_sim::{CheckState, PrSpec, Protection, SimState};
use serde_json::{Value, json};

use crate::support::{Api, REPO, start};

const RESPONSES: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/github/openapi-responses.json");

fn responses() -> Value {
    let text = std::fs::read_to_string(RESPONSES).expect("the vendored OpenAPI responses are readable");
    serde_json::from_str(&text).expect("the vendored OpenAPI responses are JSON")
}

/// Every way `answer` departs from GitHub's schema for `endpoint` (`"GET /repos/…"`).
fn problems(spec: &Value, endpoint: &str, status: u16, answer: &Value) -> Vec<String> {
    let expected = &spec["endpoints"][endpoint];
    assert!(expected.is_object(), "no vendored schema for {endpoint}");
    let mut found = Vec::new();
    if expected["status"] != json!(status) {
        found.push(format!("{endpoint}: status {status}, GitHub answers {}", expected["status"]));
    }
    let root = json!({ "components": spec["components"], "allOf": [expected["schema"]] });
    let validator = jsonschema::validator_for(&root).expect("GitHub's schema compiles");
    found.extend(validator.iter_errors(answer).map(|e| format!("{endpoint}: {} at {}", e, e.instance_path)));
    found
}

/// A state with every shape the simulator serves: protection, named checks and statuses,
/// auto-merge, labels, a merged PR, releases with and without assets.
fn rich() -> SimState {
    let protection =
        Protection { required_approvals: 1, required_checks: vec!["build".into()], ..Protection::default() };
    let mut state = SimState::default()
        .with_protection(REPO, "main", protection)
        .with_pr(
            REPO,
            PrSpec::new(20)
                .labels(&["bot", "needs-human"])
                .check_runs(&[("build", CheckState::Pending), ("lint", CheckState::Success)])
                .statuses(&[("deploy", CheckState::Failure)])
                .auto_merge(jobrunner_github_sim::MergeMethod::Squash),
        )
        .with_pr(REPO, PrSpec::new(21).check_runs(&[("build", CheckState::Success)]).approvals(1))
        .with_pr(REPO, PrSpec::new(22).no_checks())
        .with_sub_issue_epic(REPO, 30, &[(REPO, 31), ("octo/lib", 5)]);
    state.publish_release(REPO, "v1.0.0", false, &[]);
    state.publish_release(REPO, "v2.0.0-beta.1", true, &[("manifest.json", b"{}".to_vec())]);
    state
}

async fn check(
    api: &Api,
    spec: &Value,
    method: Method,
    path: &str,
    endpoint: &str,
    body: Option<&Value>,
) -> Vec<String> {
    let reply = api.send(method, path, &[], body).await.expect("an answer");
    problems(spec, endpoint, reply.status.as_u16(), &reply.json())
}

#[tokio::test]
async fn every_rest_answer_validates_against_githubs_response_schema() {
    let spec = responses();
    let (sim, api) = start(rich()).await;
    let head = sim.with_state(|s| s.pr(REPO, 20).head_sha().to_owned());
    let plain = sim.with_state(|s| s.pr(REPO, 22).head_sha().to_owned());
    let mut found = Vec::new();
    let gets = [
        ("/repos/octo/app/pulls?state=all", "GET /repos/{owner}/{repo}/pulls"),
        ("/repos/octo/app/pulls/20", "GET /repos/{owner}/{repo}/pulls/{pull_number}"),
        ("/repos/octo/app/pulls/14", "GET /repos/{owner}/{repo}/pulls/{pull_number}"),
        ("/repos/octo/app/issues?state=all", "GET /repos/{owner}/{repo}/issues"),
        ("/repos/octo/app/issues/1", "GET /repos/{owner}/{repo}/issues/{issue_number}"),
        ("/repos/octo/app/issues/20", "GET /repos/{owner}/{repo}/issues/{issue_number}"),
        ("/repos/octo/app/issues/30", "GET /repos/{owner}/{repo}/issues/{issue_number}"),
        ("/repos/octo/app/branches/main", "GET /repos/{owner}/{repo}/branches/{branch}"),
        (
            &format!("/repos/octo/app/commits/{head}/check-runs"),
            "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
        ),
        (
            &format!("/repos/octo/app/commits/{plain}/check-runs"),
            "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
        ),
        (&format!("/repos/octo/app/commits/{head}/status"), "GET /repos/{owner}/{repo}/commits/{ref}/status"),
        (
            &format!("/repos/octo/app/commits/{plain}/status"),
            "GET /repos/{owner}/{repo}/commits/{ref}/status",
        ),
        ("/rate_limit", "GET /rate_limit"),
        ("/repos/octo/app", "GET /repos/{owner}/{repo}"),
        ("/repos/octo/app/releases", "GET /repos/{owner}/{repo}/releases"),
    ];
    for (path, endpoint) in gets {
        found.extend(check(&api, &spec, Method::GET, path, endpoint, None).await);
    }
    let comment = json!({ "body": "fix the failing checks" });
    found.extend(
        check(
            &api,
            &spec,
            Method::POST,
            "/repos/octo/app/issues/20/comments",
            "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
            Some(&comment),
        )
        .await,
    );
    found.extend(
        check(
            &api,
            &spec,
            Method::GET,
            "/repos/octo/app/issues/20/comments",
            "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
            None,
        )
        .await,
    );
    let labels = json!({ "labels": ["needs-human"] });
    found.extend(
        check(
            &api,
            &spec,
            Method::POST,
            "/repos/octo/app/issues/11/labels",
            "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
            Some(&labels),
        )
        .await,
    );
    sim.with_state(|s| s.base_moves(REPO, &[]));
    found.extend(
        check(
            &api,
            &spec,
            Method::PUT,
            "/repos/octo/app/pulls/13/update-branch",
            "PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch",
            None,
        )
        .await,
    );
    found.extend(
        check(
            &api,
            &spec,
            Method::PUT,
            "/repos/octo/app/pulls/21/merge",
            "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge",
            None,
        )
        .await,
    );
    assert!(found.is_empty(), "answers depart from GitHub's schemas:\n{}", found.join("\n"));
}

#[test]
fn the_checker_notices_a_missing_required_field() {
    let spec = responses();
    let found = problems(
        &spec,
        "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge",
        200,
        &json!({ "merged": true }),
    );
    assert_eq!(found.len(), 2, "{found:?}");
}

#[tokio::test]
async fn the_pr_list_etag_moves_with_the_repository_objects_it_embeds() {
    let (sim, api) = start(SimState::default()).await;
    let first = api.get("/repos/octo/app/pulls").await;
    let etag = first.header("etag").unwrap().to_owned();
    assert_eq!(first.json()[0]["base"]["repo"]["full_name"], "octo/app");
    sim.with_state(|s| s.checks_finish(REPO, 13, CheckState::Failure));
    assert_eq!(
        api.get_if_none_match("/repos/octo/app/pulls", &etag).await.status,
        http::StatusCode::NOT_MODIFIED
    );
    // Closing an issue changes `open_issues_count` of `head.repo`/`base.repo` in every item.
    let closed = api.patch("/repos/octo/app/issues/2", &json!({ "state": "closed" })).await;
    assert_eq!(closed.status, http::StatusCode::OK);
    let after = api.get_if_none_match("/repos/octo/app/pulls", &etag).await;
    assert_eq!(after.status, http::StatusCode::OK, "the list's ETag changed");
    assert_eq!(
        after.json()[0]["base"]["repo"]["open_issues_count"],
        first.json()[0]["base"]["repo"]["open_issues_count"].as_u64().unwrap() - 1
    );
}
