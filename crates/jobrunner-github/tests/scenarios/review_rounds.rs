//! "Did the agent answer the review?" is decided by commit id: the head is another commit
//! than the one the latest review round was made on. Clocks and the agent's own replies do
//! not decide it.

use jobrunner_github_sim::{AGENT_LOGIN, HUMAN_LOGIN, PrSpec, SimState};

use crate::world::{REPO, World, commands, signal_for};

fn reviewed_pr() -> SimState {
    SimState::empty().with_repo("octo", "app").with_pr(REPO, PrSpec::new(5).threads(2))
}

async fn world() -> World {
    World::start_with(reviewed_pr(), |config| {
        config.scope.agent_logins = vec![HUMAN_LOGIN.to_owned(), AGENT_LOGIN.to_owned()];
    })
    .await
}

#[tokio::test]
async fn the_agents_own_reply_in_a_thread_does_not_make_its_fix_look_missing() {
    let world = world().await;
    assert_eq!(world.cycle().await, [(5, "send_fix_command", true)]);
    world.sim.with_state(|s| {
        s.agent_pushes_fix(REPO, 5);
        // The agent answers in the thread: GitHub records that as a COMMENTED review of its
        // own, later than its commit.
        let at = s.tick();
        let head = s.pr(REPO, 5).head_sha().to_owned();
        let pr = s.pr_mut(REPO, 5);
        let id = pr.reviews.iter().map(|r| r.id).max().unwrap_or(0) + 1;
        pr.reviews.push(jobrunner_github_sim::Review {
            id,
            state: jobrunner_github_sim::ReviewState::Commented,
            body: "Done.".to_owned(),
            author: AGENT_LOGIN.to_owned(),
            submitted_at: at,
            commit_sha: head,
        });
    });
    let signals = world.poll().await;
    assert!(signal_for(&signals, 5).has_fix_commit_after_review, "the round was answered by the new commit");
    world.act_on(&signals).await;
    world.sim.with_state(|s| assert_eq!(commands(s, 5), ["fix the code reviews"], "commanded once"));
}

#[tokio::test]
async fn a_fix_with_an_old_committer_date_still_answers_the_round() {
    let world = world().await;
    world.cycle().await;
    world.sim.with_state(|s| {
        s.agent_pushes_fix(REPO, 5);
        // A rebase or cherry-pick keeps the original committer date, older than the review.
        let reviewed_at = s.pr(REPO, 5).reviews.iter().map(|r| r.submitted_at).max().unwrap();
        let pr = s.pr_mut(REPO, 5);
        pr.commits.last_mut().unwrap().committed_at = reviewed_at - chrono::Duration::hours(3);
    });
    let signals = world.poll().await;
    assert!(signal_for(&signals, 5).has_fix_commit_after_review);
    world.act_on(&signals).await;
    world.sim.with_state(|s| assert_eq!(commands(s, 5), ["fix the code reviews"], "no second command"));
}

#[tokio::test]
async fn a_change_request_on_the_head_gets_the_review_command_without_any_thread() {
    let state = SimState::empty().with_repo("octo", "app").with_pr(REPO, PrSpec::new(5).changes_requested());
    let world = World::start(state).await;
    let signals = world.poll().await;
    assert_eq!(signal_for(&signals, 5).unresolved_count(), 0);
    world.act_on(&signals).await;
    world.sim.with_state(|s| assert_eq!(commands(s, 5), ["fix the code reviews"]));
}
