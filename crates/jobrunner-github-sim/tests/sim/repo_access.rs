//! Repositories GitHub will not serve as asked: renamed (REST redirects to
//! `/repositories/{id}/…`, GraphQL follows the rename), missing (404, `NOT_FOUND`) and
//! forbidden (403 that is not a rate limit, `FORBIDDEN`).

use http::{Method, StatusCode};
use jobrunner_github_sim::SimState;
use serde_json::{Value, json};

use crate::support::{pr_id, start};

const BY_NAME: &str = "query($owner: String!, $name: String!, $follow: Boolean) { \
    repository(owner: $owner, name: $name, followRenames: $follow) { nameWithOwner } }";

#[tokio::test]
async fn a_renamed_repository_redirects_rest_and_graphql_follows_the_rename() {
    let (sim, api) = start(SimState::default()).await;
    sim.with_state(|s| s.rename_repo("octo/app", "octo/web"));
    let base = sim.base_url();

    let moved = api.get("/repos/octo/app/pulls?state=open&per_page=100").await;
    assert_eq!(moved.status, StatusCode::MOVED_PERMANENTLY);
    let location = format!("{base}/repositories/1/pulls?state=open&per_page=100");
    assert_eq!(moved.header("location"), Some(location.as_str()));
    assert_eq!(
        moved.json(),
        json!({ "message": "Moved Permanently", "url": location,
                "documentation_url": "https://docs.github.com/v3/#http-redirects" })
    );
    let followed = api.get("/repositories/1/pulls?state=open&per_page=100").await;
    assert_eq!(followed.status, StatusCode::OK);
    let current = api.get("/repos/octo/web/pulls?state=open&per_page=100").await;
    assert_eq!(followed.json(), current.json());
    assert_eq!(followed.header("etag"), current.header("etag"));
    assert_eq!(api.get("/repositories/1/pulls/13").await.json()["number"], 13);
    let root = api.get("/repos/octo/app").await;
    assert_eq!(
        (root.status, root.header("location")),
        (StatusCode::MOVED_PERMANENTLY, Some(format!("{base}/repositories/1").as_str())),
        "the recorded rename: GET /repos/{{old}} answers 301 to /repositories/{{id}}"
    );
    assert_eq!(api.get("/repositories/1").await.json()["full_name"], "octo/web");

    let write = api
        .send(Method::POST, "/repos/octo/app/issues/11/comments", &[], Some(&json!({ "body": "hi" })))
        .await
        .unwrap();
    assert_eq!(write.status, StatusCode::TEMPORARY_REDIRECT, "writes are redirected with 307");
    assert_eq!(write.header("location"), Some(format!("{base}/repositories/1/issues/11/comments").as_str()));
    assert!(sim.counters().mutation_log.is_empty(), "a redirect changes nothing");

    let vars = |follow: Value| json!({ "owner": "octo", "name": "app", "follow": follow });
    let data = api.query(BY_NAME, vars(Value::Null)).await;
    assert_eq!(data["repository"]["nameWithOwner"], "octo/web");
    let strict = api.graphql(BY_NAME, vars(json!(false))).await;
    assert_eq!(strict["data"], json!({ "repository": null }));
    assert_eq!(strict["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(strict["errors"][0]["path"], json!(["repository"]));
}

#[tokio::test]
async fn a_missing_repository_is_404_and_graphql_not_found() {
    let (_sim, api) = start(SimState::default()).await;
    let missing = api.get("/repos/octo/gone/pulls").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["message"], "Not Found");
    assert!(missing.json()["documentation_url"].is_string());
    let answer = api.graphql(BY_NAME, json!({ "owner": "octo", "name": "gone" })).await;
    assert_eq!(answer["data"], json!({ "repository": null }));
    assert_eq!(answer["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(
        answer["errors"][0]["message"],
        "Could not resolve to a Repository with the name 'octo/gone'."
    );
    assert_eq!(api.get("/repositories/99/pulls").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_forbidden_repository_is_403_without_a_rate_limit_and_graphql_forbidden() {
    let state = SimState::default().with_repo("octo", "other");
    let (sim, api) = start(state).await;
    let id = pr_id(&api, 13).await;
    sim.with_state(|s| s.forbid_repo("octo/app"));

    let refused = api.get("/repos/octo/app/pulls").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json()["message"], "Resource not accessible by integration");
    assert!(refused.header("retry-after").is_none());
    assert!(refused.number("x-ratelimit-remaining") > 0, "not a rate limit");
    assert_eq!(api.get("/repositories/1/pulls").await.status, StatusCode::FORBIDDEN);
    assert_eq!(api.get("/repos/octo/other/pulls").await.status, StatusCode::OK, "others are served");

    let answer = api.graphql(BY_NAME, json!({ "owner": "octo", "name": "app" })).await;
    assert_eq!(answer["data"], json!({ "repository": null }));
    assert_eq!(
        (answer["errors"][0]["type"].clone(), answer["errors"][0]["message"].clone()),
        (json!("FORBIDDEN"), json!("Resource not accessible by integration"))
    );
    let mutation = "mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { clientMutationId } }";
    let write = api.graphql(mutation, json!({ "id": id })).await;
    assert_eq!(write["data"], json!({ "markPullRequestReadyForReview": null }));
    assert_eq!(write["errors"][0]["type"], "FORBIDDEN");
    assert!(sim.counters().mutation_log.is_empty());
}
