//! Conditional requests: strong ETags per page, `If-None-Match` answered 304 for free and
//! without a `Link` header.

use http::StatusCode;
use jobrunner_github_sim::SimState;

use crate::support::{REPO, start};

const PAGE: &str = "/repos/octo/app/pulls?state=all&per_page=2";

#[tokio::test]
async fn etag_round_trip_answers_304_free_and_without_link() {
    let (sim, api) = start(SimState::default()).await;
    let first = api.get(PAGE).await;
    assert_eq!(first.status, StatusCode::OK);
    let etag = first.header("etag").expect("an ETag").to_owned();
    assert!(etag.starts_with('"'), "strong ETag: {etag}");
    assert!(first.header("link").is_some(), "5 PRs at 2 per page paginate");

    let again = api.get_if_none_match(PAGE, &etag).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header("link"), None, "a 304 carries no Link header");
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert_eq!(again.number("x-ratelimit-used"), 1, "the 304 was free");

    let counters = sim.counters();
    assert_eq!((counters.requests, counters.rest_points, counters.not_modified), (2, 1, 1));
}

#[tokio::test]
async fn etag_changes_when_the_served_page_changes() {
    let (sim, api) = start(SimState::default()).await;
    let path = "/repos/octo/app/pulls/12";
    let etag = api.get(path).await.header("etag").unwrap().to_owned();
    sim.with_state(|s| s.review_adds_threads(REPO, 12, 1));
    let changed = api.get_if_none_match(path, &etag).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn each_page_has_its_own_etag() {
    let (_sim, api) = start(SimState::default()).await;
    let one = api.get(PAGE).await;
    let two = api.get(&format!("{PAGE}&page=2")).await;
    assert_ne!(one.header("etag"), two.header("etag"));
    let stale = api.get_if_none_match(&format!("{PAGE}&page=2"), one.header("etag").unwrap()).await;
    assert_eq!(stale.status, StatusCode::OK);
}
