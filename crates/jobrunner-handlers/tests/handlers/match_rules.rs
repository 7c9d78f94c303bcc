//! Every rule of the handler table, pinned as "given this signal, the dispatcher decides X".

use crate::support::{SignalExt, open_pr};
use jobrunner_core::{CheckStatus, Decision, Dispatcher, Mergeable, PipelineSignal};
use jobrunner_handlers::{HANDLER_NAMES, HandlerSettings, dispatcher};

fn all_handlers() -> Dispatcher {
    dispatcher(&HandlerSettings::default(), &HANDLER_NAMES).unwrap()
}

fn decide(signal: &PipelineSignal) -> Decision {
    signal.check_consistency().expect("test signals are consistent");
    all_handlers().decide(signal)
}

#[track_caller]
fn assert_acts(signal: &PipelineSignal, handler: &str) -> Decision {
    let decision = decide(signal);
    assert_eq!(decision.action, Some(handler), "reason: {}", decision.reason);
    assert!(decision.key.is_some());
    decision
}

#[track_caller]
fn assert_waits(signal: &PipelineSignal, reason_part: &str) {
    let decision = decide(signal);
    assert_eq!(decision.action, None, "expected no action, got {:?}: {}", decision.action, decision.reason);
    assert!(decision.key.is_none());
    assert!(decision.reason.contains(reason_part), "reason {:?} lacks {reason_part:?}", decision.reason);
}

// Stage 8: tick_parent.

#[test]
fn merged_pr_with_unticked_child_ticks_the_parent() {
    let decision = assert_acts(&open_pr().merged(), "tick_parent");
    assert_eq!(decision.reason, "PR merged and child #3 is unticked in epic #1");
}

#[test]
fn merged_pr_takes_tick_parent_before_closing_the_child() {
    assert_acts(&open_pr().merged(), "tick_parent");
}

// Stage 9: close_child.

#[test]
fn merged_pr_with_ticked_parent_and_open_child_closes_the_child() {
    assert_acts(&open_pr().merged().parent_ticked(), "close_child");
}

#[test]
fn merged_pr_whose_parent_is_ticked_and_child_closed_is_complete() {
    assert_waits(&open_pr().merged().parent_ticked().child_closed(), "flow complete");
}

#[test]
fn merged_pr_with_unticked_parent_and_closed_child_still_ticks() {
    assert_acts(&open_pr().merged().child_closed(), "tick_parent");
}

#[test]
fn merged_pr_linked_to_no_epic_needs_nothing() {
    assert_waits(&open_pr().merged().no_epic(), "PR merged outside any epic");
}

#[test]
fn closed_unmerged_pr_needs_nothing() {
    assert_waits(&open_pr().closed(), "PR closed without merge");
}

// Stage 4: send_fix_command for conflicts.

#[test]
fn conflicting_pr_gets_the_conflict_command() {
    let decision = assert_acts(&open_pr().mergeable(Mergeable::Conflicting), "send_fix_command");
    assert_eq!(decision.key.unwrap().action.to_string(), "send_fix_command/conflict");
}

#[test]
fn conflicting_draft_gets_the_conflict_command_before_publishing() {
    assert_acts(&open_pr().draft().mergeable(Mergeable::Conflicting), "send_fix_command");
}

#[test]
fn conflict_outranks_unanswered_reviews() {
    let signal = open_pr().mergeable(Mergeable::Conflicting).review_threads(20, &[20]);
    let decision = assert_acts(&signal, "send_fix_command");
    assert_eq!(decision.key.unwrap().action.to_string(), "send_fix_command/conflict");
}

// Stage 5: resolve_threads.

#[test]
fn threads_answered_by_a_later_commit_are_resolved() {
    let signal = open_pr().review_threads(20, &[15, 20]).pushed_at(30);
    let decision = assert_acts(&signal, "resolve_threads");
    assert_eq!(
        decision.reason,
        "the agent answered the review and checks pass: 2 of 2 unresolved threads outdated or answered"
    );
}

#[test]
fn threads_commented_after_the_fix_commit_wait_for_the_agent() {
    let mut signal = open_pr().review_threads(20, &[20]).pushed_at(30);
    signal.unresolved_threads[0].last_comment_at = crate::support::at(40);
    assert_waits(&signal, "commented on after the head commit");
}

#[test]
fn a_persons_thread_the_fix_did_not_touch_is_left_to_them() {
    let mut signal = open_pr().review_threads(20, &[15]).pushed_at(30);
    signal.unresolved_threads[0].outdated = false;
    assert_waits(&signal, "left to their reviewers");
    let everyone = HandlerSettings { resolve_human_threads: true, ..HandlerSettings::default() };
    let decision = dispatcher(&everyone, &HANDLER_NAMES).unwrap().decide(&signal);
    assert_eq!(decision.action, Some("resolve_threads"), "{}", decision.reason);
}

#[test]
fn a_thread_the_agent_answered_last_is_resolved_whatever_its_lines() {
    let mut signal = open_pr().review_threads(20, &[35]).pushed_at(30);
    signal.unresolved_threads[0].outdated = false;
    signal.unresolved_threads[0].answered_by_agent = true;
    assert_acts(&signal, "resolve_threads");
}

#[test]
fn threads_wait_for_the_heads_checks_before_they_are_resolved() {
    let signal = open_pr().review_threads(20, &[15]).pushed_at(30).checks(CheckStatus::Pending);
    assert_waits(&signal, "wait for the head's checks (checks PENDING)");
}

// Stage 6: send_fix_command for reviews.

#[test]
fn unresolved_threads_without_a_later_commit_get_the_review_command() {
    let signal = open_pr().review_threads(20, &[20, 20, 19]);
    let decision = assert_acts(&signal, "send_fix_command");
    let key = decision.key.unwrap();
    assert_eq!(key.action.to_string(), "send_fix_command/review");
    assert_eq!(key.review_at, Some(crate::support::at(20)));
    assert_eq!(decision.reason, "3 unresolved review threads and no commit since the latest review");
}

#[test]
fn a_new_review_on_the_same_head_makes_a_new_review_key() {
    let first = assert_acts(&open_pr().review_threads(20, &[20]), "send_fix_command");
    let second =
        assert_acts(&open_pr().review_threads(20, &[20]).review_threads(25, &[25]), "send_fix_command");
    assert_ne!(first.key, second.key);
}

// Stage 3: publish_draft.

#[test]
fn draft_with_green_checks_is_published() {
    assert_acts(&open_pr().draft(), "publish_draft");
}

#[test]
fn draft_with_pending_checks_waits() {
    assert_waits(
        &open_pr().draft().checks(CheckStatus::Pending),
        "draft waits for checks SUCCESS (checks PENDING)",
    );
}

#[test]
fn draft_with_failing_checks_gets_the_ci_command() {
    let decision = decide(&open_pr().draft().checks(CheckStatus::Failure));
    assert_eq!(decision.key.unwrap().action.to_string(), "send_fix_command/ci", "{}", decision.reason);
}

// Stage 7: enable_auto_merge.

#[test]
fn ready_green_clean_pr_is_merged_directly() {
    let decision = assert_acts(&open_pr(), "enable_auto_merge");
    assert_eq!(decision.reason, "CLEAN, checks pass: merge now (squash)");
    assert_eq!(decision.key.unwrap().action.to_string(), "enable_auto_merge/merge");
}

#[test]
fn resolved_threads_do_not_block_auto_merge() {
    assert_acts(&open_pr().resolved_threads(4), "enable_auto_merge");
}

#[test]
fn unknown_mergeability_never_enables_auto_merge() {
    assert_waits(&open_pr().mergeable(Mergeable::Unknown), "mergeability UNKNOWN");
}

#[test]
fn unknown_mergeability_sends_no_conflict_command() {
    let decision = decide(&open_pr().draft().mergeable(Mergeable::Unknown).checks(CheckStatus::Pending));
    assert_eq!(decision.action, None);
}

#[test]
fn threads_resolved_but_checks_pending_waits() {
    assert_waits(
        &open_pr().resolved_threads(2).checks(CheckStatus::Pending),
        "merge waits for checks (required checks PENDING",
    );
}

#[test]
fn auto_merge_already_on_waits_for_github() {
    assert_waits(&open_pr().auto_merge_on(), "waiting for GitHub to merge");
}

#[test]
fn agent_pr_linked_to_no_epic_still_flows() {
    assert_acts(&open_pr().no_epic().by_agent().draft(), "publish_draft");
    assert_acts(&open_pr().no_epic().by_agent(), "enable_auto_merge");
}

// Configuration.

#[test]
fn disabled_handler_is_skipped_and_named_in_the_reason() {
    let only_publish = dispatcher(&HandlerSettings::default(), &["publish_draft"]).unwrap();
    let decision = only_publish.decide(&open_pr());
    assert_eq!(decision.action, None);
    assert!(decision.reason.starts_with("enable_auto_merge would act"), "{}", decision.reason);
    assert!(decision.reason.ends_with("but is disabled in configuration"), "{}", decision.reason);
}

#[test]
fn disabled_higher_handler_lets_a_lower_one_act() {
    let no_fix = dispatcher(&HandlerSettings::default(), &["resolve_threads", "publish_draft"]).unwrap();
    let signal = open_pr().draft().mergeable(Mergeable::Conflicting);
    assert_eq!(no_fix.decide(&signal).action, Some("publish_draft"));
}

#[test]
fn unknown_handler_name_is_rejected_with_the_known_names() {
    let Err(err) = dispatcher(&HandlerSettings::default(), &["publish_drafts"]) else {
        panic!("an unknown handler name was accepted");
    };
    assert_eq!(
        err.to_string(),
        "unknown handler \"publish_drafts\": known handlers are tick_parent, close_child, close_epic, needs_human, send_fix_command, resolve_threads, publish_draft, enable_auto_merge"
    );
}

// One action per PR per cycle.

#[test]
fn second_signal_for_the_same_pr_is_deferred() {
    let mut second_child = open_pr().merged();
    second_child.child_number = 4;
    let decisions = all_handlers().plan(&[open_pr().merged(), second_child, open_pr().no_epic()]);
    assert_eq!(decisions[0].action, Some("tick_parent"));
    assert_eq!(decisions[1].action, None);
    assert!(decisions[1].reason.starts_with("deferred to next cycle: tick_parent"));
    assert_eq!(decisions[2].action, None, "PR 7 already acts this cycle");
}

#[test]
fn every_signal_gets_exactly_one_decision_in_input_order() {
    let mut other = open_pr().draft();
    other.pr_number = 8;
    let decisions = all_handlers().plan(&[other, open_pr()]);
    let prs: Vec<_> = decisions.iter().map(|d| (d.pr, d.action)).collect();
    assert_eq!(prs, vec![(8, Some("publish_draft")), (7, Some("enable_auto_merge"))]);
}

#[test]
fn a_handler_asked_for_by_name_acts_when_its_rule_matches() {
    let decision = all_handlers().decide_for(&open_pr().draft(), "publish_draft", false).unwrap();
    assert_eq!(decision.action, Some("publish_draft"));
}

#[test]
fn a_handler_asked_for_by_name_whose_rule_does_not_match_is_refused_with_why_unless_forced() {
    let dispatcher = all_handlers();
    let refused = dispatcher.decide_for(&open_pr(), "publish_draft", false).unwrap_err();
    assert!(refused.starts_with("publish_draft does not apply") && refused.contains("force"), "{refused}");
    let forced = dispatcher.decide_for(&open_pr(), "publish_draft", true).unwrap();
    assert_eq!(forced.action, Some("publish_draft"));
    assert!(forced.reason.starts_with("forced although"), "{}", forced.reason);
    assert!(forced.key.is_some_and(|k| k.action.is("publish_draft")));
}

#[test]
fn a_stop_label_refuses_a_handler_asked_for_by_name_even_when_forced() {
    let mut stopped = open_pr().draft();
    stopped.stop_label = true;
    let refused = all_handlers().decide_for(&stopped, "publish_draft", true).unwrap_err();
    assert!(refused.contains("stop label"), "{refused}");
}

#[test]
fn an_unknown_handler_asked_for_by_name_is_refused_naming_the_known_ones() {
    let refused = all_handlers().decide_for(&open_pr(), "merge_everything", true).unwrap_err();
    assert!(refused.contains("merge_everything") && refused.contains("publish_draft"), "{refused}");
}
