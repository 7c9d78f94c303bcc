//! A repository without CI: no commit has a check run or a status, so GraphQL's rollup is
//! `null`, REST's check-runs are empty and the combined status is GitHub's `pending` with no
//! statuses; nothing waits on checks and a green-by-absence PR is `CLEAN`.

use jobrunner_github_sim::{CheckState, PartyMove, PrSpec, SimState};
use serde_json::json;

use crate::support::start;

const REPO: &str = "octo/plain";

fn plain() -> SimState {
    SimState::empty()
        .with_no_ci(REPO)
        .with_epic(REPO, 1, &[2])
        .with_pr(REPO, PrSpec::new(3).closes(&[2]).checks(CheckState::Pending))
}

#[tokio::test]
async fn no_commit_of_a_repository_without_ci_has_checks() {
    let (sim, api) = start(plain()).await;
    let query = "{ repository(owner: \"octo\", name: \"plain\") { pullRequest(number: 3) { mergeStateStatus \
                 commits(last: 1) { nodes { commit { statusCheckRollup { state } } } } } } }";
    let data = api.query(query, json!({})).await;
    let pr = &data["repository"]["pullRequest"];
    assert_eq!(pr["mergeStateStatus"], "CLEAN");
    assert_eq!(pr["commits"]["nodes"][0]["commit"]["statusCheckRollup"], json!(null));
    let head = sim.with_state(|s| s.pr(REPO, 3).head_sha().to_owned());
    for git_ref in ["main", head.as_str()] {
        let runs = api.get(&format!("/repos/octo/plain/commits/{git_ref}/check-runs")).await.json();
        assert_eq!(runs, json!({ "total_count": 0, "check_runs": [] }), "{git_ref}");
        let status = api.get(&format!("/repos/octo/plain/commits/{git_ref}/status")).await.json();
        assert_eq!((status["state"].clone(), status["total_count"].clone()), (json!("pending"), json!(0)));
    }

    sim.with_state(|s| {
        s.agent_pushes_fix(REPO, 3);
        s.checks_finish(REPO, 3, CheckState::Success);
        let head = s.pr(REPO, 3).head_sha().to_owned();
        assert_eq!(s.repo(REPO).checks_of(&head), Some(&[][..]), "CI never reports");
        assert!(s.parties_act().iter().all(|m| !matches!(m, PartyMove::ChecksPassed { .. })));
    });
    let id = pr_id_in(&api).await;
    let merge =
        "mutation($id: ID!) { mergePullRequest(input: {pullRequestId: $id}) { pullRequest { merged } } }";
    let merged = api.query(merge, json!({ "id": id })).await;
    assert_eq!(merged["mergePullRequest"]["pullRequest"]["merged"], true);
}

async fn pr_id_in(api: &crate::support::Api) -> String {
    let data = api
        .query(
            "{ repository(owner: \"octo\", name: \"plain\") { pullRequest(number: 3) { id } } }",
            json!({}),
        )
        .await;
    data["repository"]["pullRequest"]["id"].as_str().unwrap().to_owned()
}
