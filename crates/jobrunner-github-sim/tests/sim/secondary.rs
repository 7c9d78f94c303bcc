//! Secondary limits: content-creating requests per minute and concurrent requests, refused
//! with `retry-after`.

use std::time::Duration;

use http::{Method, StatusCode};
use jobrunner_github_sim::{Fault, FaultRule, Limits, RequestMatcher, SimState, Trigger};
use serde_json::json;

use crate::support::start;

#[tokio::test]
async fn third_content_creating_post_in_a_minute_is_refused_with_retry_after() {
    let limits = Limits { content_creating_per_minute: 2, ..Limits::default() };
    let (sim, api) = start(SimState::default().with_limits(limits)).await;
    for _ in 0..2 {
        let created =
            api.post("/repos/octo/app/issues/11/comments", &json!({ "body": "fix merge conflict" })).await;
        assert_eq!(created.status, StatusCode::CREATED);
    }
    let refused =
        api.post("/repos/octo/app/issues/11/comments", &json!({ "body": "fix merge conflict" })).await;
    assert!(
        matches!(refused.status, StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS),
        "{}",
        refused.status
    );
    let retry_after = refused.number("retry-after");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(refused.json()["message"].as_str().unwrap().contains("secondary rate limit"));
    assert_eq!(sim.with_state(|s| s.comments("octo/app", 11).len()), 2, "the refused comment was not posted");
    assert_eq!(sim.counters().secondary_rejections, 1);
    assert_eq!(
        api.get("/repos/octo/app/pulls").await.status,
        StatusCode::OK,
        "reads are not content-creating"
    );
}

#[tokio::test]
async fn graphql_mutations_count_as_content_creating() {
    let limits = Limits { content_creating_per_minute: 1, ..Limits::default() };
    let (_sim, api) = start(SimState::default().with_limits(limits)).await;
    let mutation = "mutation { resolveReviewThread(input: {threadId: \"nope\"}) { thread { id } } }";
    let first = api.post("/graphql", &json!({ "query": mutation })).await;
    assert_eq!(first.status, StatusCode::OK);
    let second = api.post("/graphql", &json!({ "query": mutation })).await;
    assert_eq!(second.status, StatusCode::FORBIDDEN);
    assert!(second.header("retry-after").is_some());
}

#[tokio::test]
async fn requests_over_the_concurrency_limit_get_429() {
    let limits = Limits { max_concurrent: 1, ..Limits::default() };
    let (sim, api) = start(SimState::default().with_limits(limits)).await;
    // The first request is held long enough to still be in flight when the second arrives.
    sim.inject(FaultRule::new(
        RequestMatcher::new(Method::GET, "/repos/octo/app/pulls"),
        Trigger::Once,
        Fault::Delay(Duration::from_secs(30)),
    ));
    let held = api.get("/repos/octo/app/pulls");
    let second = async {
        sim.wait_until(|c| c.faults_injected == 1).await;
        api.get("/repos/octo/app/issues").await
    };
    tokio::select! {
        _ = held => panic!("the held request answered before its delay"),
        refused = second => {
            assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
            assert!(refused.header("retry-after").is_some());
        }
    }
}
