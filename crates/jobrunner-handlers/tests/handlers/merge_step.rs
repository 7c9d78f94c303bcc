//! The merge step and the scope gate: "given what GitHub says of the PR, the step is X".

use jobrunner_core::JobHandler as _;
use jobrunner_core::{
    ActionKey, CheckStatus, Decision, Dispatcher, MergeStateStatus as State, PipelineSignal, RequiredChecks,
};
use jobrunner_handlers::{EnableAutoMerge, HANDLER_NAMES, HandlerSettings, dispatcher};

use crate::support::{SignalExt, open_pr};

fn decide_with(settings: &HandlerSettings, signal: &PipelineSignal) -> Decision {
    signal.check_consistency().expect("test signals are consistent");
    let dispatcher: Dispatcher = dispatcher(settings, &HANDLER_NAMES).unwrap();
    dispatcher.decide(signal)
}

/// The agent pushed a commit after the latest review round.
fn answered(mut signal: PipelineSignal) -> PipelineSignal {
    signal.has_fix_commit_after_review = true;
    signal
}

fn decide(signal: &PipelineSignal) -> Decision {
    decide_with(&HandlerSettings::default(), signal)
}

#[track_caller]
fn assert_step(signal: &PipelineSignal, step: &str) -> Decision {
    let decision = decide(signal);
    let action = decision.key.as_ref().map(|k| k.action.to_string());
    assert_eq!(action.as_deref(), Some(step), "reason: {}", decision.reason);
    decision
}

#[track_caller]
fn assert_waits(signal: &PipelineSignal, reason_part: &str) {
    let decision = decide(signal);
    assert_eq!(decision.action, None, "expected a wait, got {:?}: {}", decision.action, decision.reason);
    assert!(decision.reason.contains(reason_part), "reason {:?} lacks {reason_part:?}", decision.reason);
}

#[test]
fn has_hooks_and_unstable_with_passing_required_checks_merge_directly() {
    assert_step(&open_pr().merge_state(State::HasHooks), "enable_auto_merge/merge");
    let optional_red = open_pr().merge_state(State::Unstable).checks(CheckStatus::Failure);
    assert_step(&optional_red.deciding_checks(RequiredChecks::Success), "enable_auto_merge/merge");
}

#[test]
fn unstable_with_deciding_checks_pending_waits_since_github_refuses_auto_merge() {
    let pending = open_pr().merge_state(State::Unstable).checks(CheckStatus::Pending);
    assert_waits(&pending, "GitHub refuses auto-merge on a UNSTABLE PR");
}

#[test]
fn blocked_pr_with_pending_checks_gets_auto_merge_armed_early() {
    let blocked = open_pr().merge_state(State::Blocked).checks(CheckStatus::Pending);
    let decision = assert_step(&blocked, "enable_auto_merge/arm");
    assert!(decision.reason.starts_with("BLOCKED: arm auto-merge (squash)"), "{}", decision.reason);
}

#[test]
fn blocked_pr_in_a_repository_without_auto_merge_waits_with_the_fix() {
    let blocked = open_pr().merge_state(State::Blocked).auto_merge_disallowed();
    assert_waits(&blocked, "does not allow auto-merge");
}

#[test]
fn behind_pr_gets_its_branch_updated_unless_configured_not_to() {
    assert_step(&open_pr().merge_state(State::Behind), "enable_auto_merge/update_branch");
    let no_update = HandlerSettings { update_branch: false, ..HandlerSettings::default() };
    let decision = decide_with(&no_update, &open_pr().merge_state(State::Behind));
    assert_eq!(decision.key.unwrap().action.to_string(), "enable_auto_merge/arm", "{}", decision.reason);
}

#[test]
fn a_merge_queue_branch_gets_an_enqueue_not_a_merge() {
    assert_step(&open_pr().queue_branch(), "enable_auto_merge/enqueue");
    assert_waits(&open_pr().queue_branch().in_queue(), "in the merge queue");
}

#[test]
fn change_requests_block_every_merge_action() {
    // The agent answered the round (a later commit): the reviewer has to look again.
    assert_waits(&answered(open_pr().changes_requested()), "a reviewer requested changes");
    assert_waits(&answered(open_pr().merge_state(State::Blocked).changes_requested()), "requested changes");
}

#[test]
fn auto_merge_we_armed_is_disarmed_when_a_blocker_appears() {
    let threads = open_pr().merge_state(State::Blocked).armed_by_us().review_threads(20, &[20]);
    let decision = decide(&threads);
    // The review command comes first; with the threads answered by a push it is the disarm.
    assert_eq!(decision.action, Some("send_fix_command"), "{}", decision.reason);
    // Failing checks withdraw auto-merge before the CI command goes out.
    let failing =
        open_pr().merge_state(State::Blocked).armed_by_us().deciding_checks(RequiredChecks::Failure);
    assert_step(&failing, "enable_auto_merge/disarm");
    let changes = answered(open_pr().merge_state(State::Blocked).armed_by_us().changes_requested());
    assert_step(&changes, "enable_auto_merge/disarm");
}

#[test]
fn auto_merge_a_person_armed_is_left_alone() {
    let mut theirs = answered(open_pr().merge_state(State::Blocked).changes_requested());
    theirs.auto_merge_enabled = true;
    assert_waits(&theirs, "requested changes");
}

#[test]
fn arming_again_after_a_disarm_is_a_new_key_once_the_review_moved() {
    let blocked = open_pr().merge_state(State::Blocked);
    let first = decide(&blocked).key.unwrap();
    let mut later = blocked.clone();
    later.last_review_at = Some(crate::support::at(50));
    let again = decide(&later).key.unwrap();
    assert_ne!(first, again);
}

#[test]
fn a_head_without_ci_counts_as_passing_unless_checks_are_required() {
    let no_ci = open_pr().deciding_checks(RequiredChecks::NoneConfigured);
    assert_step(&no_ci, "enable_auto_merge/merge");
    let required = HandlerSettings { require_checks: true, ..HandlerSettings::default() };
    let decision = decide_with(&required, &no_ci);
    assert_eq!(decision.action, None);
    assert!(decision.reason.contains("require_checks"), "{}", decision.reason);
    let draft = open_pr().draft().deciding_checks(RequiredChecks::NoneConfigured);
    assert_eq!(decide(&draft).reason, "draft with no checks configured");
}

#[test]
fn unknown_merge_state_waits() {
    assert_waits(&open_pr().merge_state(State::Unknown), "merge state UNKNOWN");
}

#[test]
fn a_persons_pr_outside_any_epic_is_out_of_scope_for_every_handler() {
    for signal in [
        open_pr().no_epic(),
        open_pr().no_epic().draft(),
        open_pr().no_epic().mergeable(jobrunner_core::Mergeable::Conflicting),
    ] {
        let decision = decide(&signal);
        assert_eq!(decision.action, None);
        assert!(decision.reason.starts_with("out of scope"), "{}", decision.reason);
    }
    assert_step(&open_pr().no_epic().with_scope_label(), "enable_auto_merge/merge");
}

#[test]
fn a_stop_label_halts_every_handler_even_on_an_epic_child() {
    for signal in [
        open_pr().with_stop_label(),
        open_pr().merged().with_stop_label(),
        open_pr().draft().with_stop_label(),
    ] {
        let decision = decide(&signal);
        assert_eq!(decision.action, None);
        assert!(decision.reason.starts_with("stopped: a stop label"), "{}", decision.reason);
    }
}

#[test]
fn each_step_is_seen_done_by_its_own_effect_after_a_crash() {
    let handler = EnableAutoMerge::new(jobrunner_core::MergeMethod::Squash, true, false);
    let signal = open_pr();
    let key = |variant: &str| {
        ActionKey::for_signal(&signal, jobrunner_core::ActionId::variant("enable_auto_merge", variant))
    };
    assert!(!handler.effect_visible(&key("merge"), &signal));
    assert!(handler.effect_visible(&key("merge"), &signal.clone().merged()));
    assert!(handler.effect_visible(&key("enqueue"), &signal.clone().in_queue()));
    assert!(handler.effect_visible(&key("arm"), &signal.clone().armed_by_us()));
    assert!(handler.effect_visible(&key("update_branch"), &signal.clone().pushed_at(55)));
    assert!(!handler.effect_visible(&key("update_branch"), &signal));
    assert!(handler.effect_visible(&key("disarm"), &signal));
    assert!(!handler.effect_visible(&key("disarm"), &signal.clone().armed_by_us()));
}

#[test]
fn a_change_request_without_threads_gets_the_review_command_once_per_round() {
    let asked = open_pr().merge_state(State::Blocked).changes_requested();
    let decision = decide(&asked);
    assert_eq!(decision.action, Some("send_fix_command"), "{}", decision.reason);
    assert_eq!(decision.reason, "a reviewer requested changes and no commit since the latest review");
    assert_waits(&answered(asked), "a reviewer requested changes");
}
