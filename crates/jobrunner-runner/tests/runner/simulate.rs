//! `core-ide simulate` over large files.

use jobrunner_core::{PipelineSignal, PrState};
use jobrunner_handlers::{HANDLER_NAMES, HandlerSettings, dispatcher};
use jobrunner_runner::simulate::simulate;

use crate::fixture::draft_pr;

/// `count` merged PRs of one epic whose children are not ticked yet: each one ticks its item.
fn merged_children(count: u64) -> Vec<PipelineSignal> {
    (0..count)
        .map(|i| PipelineSignal {
            pr_number: 10_000 + i,
            child_number: 10 + i,
            pr_state: PrState::Merged,
            is_draft: false,
            ..draft_pr()
        })
        .collect()
}

#[tokio::test]
async fn thousands_of_signals_on_one_epic_simulate_in_linear_time() {
    let dispatcher = dispatcher(&HandlerSettings::default(), &HANDLER_NAMES).unwrap();
    let signals = merged_children(4_000);
    let started = std::time::Instant::now();
    let decisions = simulate(&dispatcher, &signals).await;
    let took = started.elapsed();
    assert_eq!(decisions.len(), 4_000);
    assert!(decisions.iter().all(|d| d.action == Some("tick_parent")), "{:?}", decisions[0]);
    assert!(
        decisions[3_999].effects.iter().any(|e| e == "edit the body of epic #1"),
        "{:?}",
        decisions[3_999]
    );
    // Re-reading a 4,000-item checklist per tick took 12 s in release, far longer in a debug
    // build; linear is well under a second. The bound leaves room for a loaded machine.
    assert!(took < std::time::Duration::from_secs(5), "{took:?} for 4,000 signals");
}
