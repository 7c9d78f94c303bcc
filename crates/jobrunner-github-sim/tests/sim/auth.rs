//! Authentication: no or empty token is 401; with `with_tokens`, only those tokens pass.

use http::{Method, StatusCode};
use jobrunner_github_sim::{GitHubSim, SimState};
use serde_json::json;

use crate::support::Api;

#[tokio::test]
async fn requests_without_a_token_get_401() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let anonymous = Api::with_token(&sim, None);
    let refused = anonymous.get("/repos/octo/app/pulls").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["message"], "Requires authentication");
    let graphql = anonymous.post("/graphql", &json!({ "query": "{ rateLimit { cost } }" })).await;
    assert_eq!(graphql.status, StatusCode::UNAUTHORIZED);
    let empty =
        Api::with_token(&sim, Some("")).send(Method::GET, "/repos/octo/app/pulls", &[], None).await.unwrap();
    assert_eq!(empty.status, StatusCode::UNAUTHORIZED);
    let counters = sim.counters();
    assert_eq!((counters.unauthorized, counters.rest_points), (3, 0));
}

#[tokio::test]
async fn only_configured_tokens_pass_when_tokens_are_set() {
    let sim = GitHubSim::start(SimState::default().with_tokens(&["good"])).await.unwrap();
    let bad = Api::with_token(&sim, Some("tok")).get("/repos/octo/app/pulls").await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad.json()["message"], "Bad credentials");
    let good = Api::with_token(&sim, Some("good")).get("/repos/octo/app/pulls").await;
    assert_eq!(good.status, StatusCode::OK);
    assert_eq!(sim.counters().per_token.get("good"), Some(&1));
}
