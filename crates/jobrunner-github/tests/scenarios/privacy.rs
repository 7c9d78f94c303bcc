//! Forge free text (titles, bodies, comments, branch names, commit messages) never reaches a
//! signal, a decision, an action result or an error.

use std::fmt::Write as _;

use jobrunner_github_sim::SimState;

use crate::world::{REPO, World};

const MARKER: &str = "MARKER-7f3a9c";

#[tokio::test]
async fn marker_text_never_leaves_the_adapter() {
    let world = World::start(SimState::default().with_marker(MARKER)).await;
    let mut seen = String::new();
    for round in 0..3 {
        let signals = world.poll().await;
        seen.push_str(&serde_json::to_string(&signals).unwrap());
        for decision in world.dispatcher.plan(&signals) {
            let _ = write!(seen, "{decision:?}");
        }
        for result in world.act_on(&signals).await {
            let _ = write!(seen, "{result:?}");
        }
        if round == 0 {
            world.sim.with_state(|s| s.agent_pushes_fix(REPO, 12));
        }
    }
    let comments = world.sim.with_state(|s| s.comments(REPO, 11));
    assert!(!comments.is_empty(), "the run acted");
    assert!(world.sim.with_state(|s| s.epic_body(REPO, 1).contains(MARKER)), "the sim served marked text");
    assert!(!seen.contains(MARKER), "marker leaked: {seen}");
}
