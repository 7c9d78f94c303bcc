//! Failing checks, a silent agent and stuck checks: the CI command, one re-send, then a
//! person is asked. Each test gives the PR and what the runner remembers of it (`memory`).

use jobrunner_core::{Decision, PipelineSignal, RequiredChecks, WaitingOn};
use jobrunner_handlers::{HANDLER_NAMES, HandlerSettings, dispatcher};

use crate::support::{SignalExt, open_pr};

/// The defaults: `agent_timeout` 30m, `stuck_after` 2h, `fix_command_limit` 3.
fn decide(signal: &PipelineSignal) -> Decision {
    signal.check_consistency().expect("test signals are consistent");
    dispatcher(&HandlerSettings::default(), &HANDLER_NAMES).unwrap().decide(signal)
}

fn action(decision: &Decision) -> String {
    decision.key.as_ref().map_or_else(|| "no action".to_owned(), |k| k.action.to_string())
}

fn failing(digest: &str) -> PipelineSignal {
    let mut signal = open_pr().by_agent().deciding_checks(RequiredChecks::Failure);
    signal.failing_checks = Some(digest.to_owned());
    signal
}

#[test]
fn failing_required_checks_get_the_ci_command_keyed_by_the_failing_set() {
    let first = decide(&failing("00aa00aa00aa00aa"));
    assert_eq!(action(&first), "send_fix_command/ci 00aa00aa00aa00aa", "{}", first.reason);
    let other = decide(&failing("11bb11bb11bb11bb"));
    assert_ne!(first.key, other.key, "another set of failing checks is another command");
}

#[test]
fn a_failing_optional_check_sends_nothing_and_blocks_nothing() {
    let mut signal = open_pr().by_agent().deciding_checks(RequiredChecks::Success);
    signal.optional_checks_failing = true;
    assert_eq!(action(&decide(&signal)), "enable_auto_merge/merge");
}

#[test]
fn a_command_within_agent_timeout_waits_on_the_agent_and_says_for_how_long() {
    let signal = failing("00aa00aa00aa00aa").command_sent("ci 00aa00aa00aa00aa", 1).minutes_later(10);
    let decision = decide(&signal);
    assert_eq!(decision.action, None, "{}", decision.reason);
    assert_eq!(decision.waiting, Some(WaitingOn::Agent));
    assert!(decision.reason.contains("ci 00aa00aa00aa00aa command sent 11m ago"), "{}", decision.reason);
    assert!(decision.reason.contains("re-sent after 30m"), "{}", decision.reason);
}

#[test]
fn a_command_unanswered_for_agent_timeout_is_sent_once_more() {
    let signal = failing("00aa00aa00aa00aa").command_sent("ci 00aa00aa00aa00aa", 1).minutes_later(30);
    let decision = decide(&signal);
    assert_eq!(action(&decision), "send_fix_command/ci 00aa00aa00aa00aa/resend", "{}", decision.reason);
    assert_eq!(decision.key.unwrap().head_sha, signal.last_commit_sha, "per head");
}

#[test]
fn a_review_command_is_re_sent_the_same_way() {
    let signal = open_pr().by_agent().review_threads(12, &[12]).command_sent("review", 1).minutes_later(45);
    assert_eq!(action(&decide(&signal)), "send_fix_command/review/resend");
}

#[test]
fn an_unanswered_re_send_asks_a_person() {
    let signal = failing("00aa00aa00aa00aa").command_sent("ci 00aa00aa00aa00aa/resend", 2);
    // Sent a minute before the runner looked: 29 minutes now, 30 a minute later.
    let waiting = decide(&signal.clone().minutes_later(28));
    assert_eq!(waiting.waiting, Some(WaitingOn::Agent), "{}", waiting.reason);
    assert!(waiting.reason.contains("a person is asked"), "{}", waiting.reason);
    let stuck = decide(&signal.minutes_later(29));
    assert_eq!(action(&stuck), "needs_human/agent_silent", "{}", stuck.reason);
    assert!(stuck.reason.contains("labelled \"needs-human\""), "{}", stuck.reason);
}

#[test]
fn the_limit_of_commands_without_progress_asks_a_person_instead_of_another() {
    let mut signal = failing("22cc22cc22cc22cc");
    signal.memory.commands_without_progress = 3;
    assert_eq!(action(&decide(&signal)), "needs_human/no_progress");
    let key = decide(&signal).key.unwrap();
    assert_eq!(key.head_sha.as_str(), "0".repeat(40), "once per PR, whatever the head");
}

#[test]
fn checks_pending_past_stuck_after_ask_a_person() {
    let pending = open_pr().by_agent().deciding_checks(RequiredChecks::Pending);
    let waiting = decide(&pending.clone().waiting_for(WaitingOn::Checks, 119));
    assert_eq!(waiting.waiting, Some(WaitingOn::Checks), "{}", waiting.reason);
    assert!(waiting.reason.ends_with("(waiting on checks for 1h 59m)"), "{}", waiting.reason);
    let stuck = decide(&pending.waiting_for(WaitingOn::Checks, 120));
    assert_eq!(action(&stuck), "needs_human/checks_stuck", "{}", stuck.reason);
    assert!(stuck.reason.contains("checks pending for 2h"), "{}", stuck.reason);
}

#[test]
fn without_the_runners_clock_no_time_based_rule_applies() {
    let mut signal = failing("00aa00aa00aa00aa").command_sent("ci 00aa00aa00aa00aa", 1);
    signal.memory.observed_at = None;
    let decision = decide(&signal);
    assert_eq!(decision.waiting, Some(WaitingOn::Agent), "{}", decision.reason);
    assert_eq!(decision.action, None);
}

#[test]
fn a_stop_label_is_a_wait_on_a_person() {
    let decision = decide(&failing("00aa00aa00aa00aa").with_stop_label());
    assert_eq!((decision.action, decision.waiting), (None, Some(WaitingOn::Person)));
}

#[test]
fn failing_checks_on_a_pr_this_pipeline_armed_withdraw_auto_merge_before_the_ci_command() {
    let armed = failing("00aa00aa00aa00aa").armed_by_us();
    assert_eq!(action(&decide(&armed)), "enable_auto_merge/disarm");
    let mut disarmed = armed;
    disarmed.auto_merge_enabled = false;
    assert_eq!(action(&decide(&disarmed)), "send_fix_command/ci 00aa00aa00aa00aa");
}
