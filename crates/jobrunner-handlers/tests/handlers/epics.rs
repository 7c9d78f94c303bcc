//! The epic stages: a key per (epic, child), the guarded tick, children in another repository
//! than their epic, sub-issues, and closing the epic.

use std::collections::HashSet;

use crate::support::{SignalExt, open_pr};
use jobrunner_core::{
    ActionKey, BodyDigest, Dispatcher, EpicKind, FailureClass, ForgeCall, JobHandler, PipelineSignal,
    RecordingForge, RepoName, RepoOwner, RepoSlug,
};
use jobrunner_handlers::{CloseEpic, HANDLER_NAMES, HandlerSettings, dispatcher};

fn all_handlers() -> Dispatcher {
    dispatcher(&HandlerSettings::default(), &HANDLER_NAMES).unwrap()
}

fn app() -> RepoSlug {
    RepoSlug::parse("octo/app").unwrap()
}

fn plan() -> RepoSlug {
    RepoSlug::parse("octo/plan").unwrap()
}

/// The signal's epic lives in octo/plan, not in the PR's octo/app.
fn epic_in_plan(mut signal: PipelineSignal) -> PipelineSignal {
    signal.epic_repo_owner = Some(RepoOwner::new("octo").unwrap());
    signal.epic_repo_name = Some(RepoName::new("plan").unwrap());
    signal
}

fn sub_issue(mut signal: PipelineSignal) -> PipelineSignal {
    signal.epic_kind = EpicKind::SubIssue;
    signal
}

fn open_children(mut signal: PipelineSignal, open: u32) -> PipelineSignal {
    signal.epic_open_children = Some(open);
    signal
}

fn child(mut signal: PipelineSignal, number: u64) -> PipelineSignal {
    signal.child_number = number;
    signal
}

#[test]
fn a_pr_closing_two_children_ticks_each_one_cycle_after_the_other() {
    let (first, second) = (open_pr().merged(), child(open_pr().merged(), 4));
    let decisions = all_handlers().plan(&[first.clone(), second.clone()]);
    let key = decisions[0].key.clone().unwrap();
    assert_eq!(key.action.to_string(), "tick_parent/epic 1 child 3");
    assert_eq!(decisions[1].action, None, "one action per PR per cycle");
    // Next cycle the first tick is settled (done) but the source still reads the box as it
    // was: the second child's tick, a key of its own, acts.
    let settled: HashSet<ActionKey> = [key].into();
    let next = all_handlers().plan_skipping(&[first, second], &|k: &ActionKey| settled.contains(k));
    assert_eq!(next[0].action, None, "{}", next[0].reason);
    assert_eq!(
        next[1].key.as_ref().map(|k| k.action.to_string()),
        Some("tick_parent/epic 1 child 4".to_owned())
    );
}

#[test]
fn close_child_keys_name_the_epic_and_the_child() {
    let decision = all_handlers().decide(&child(open_pr().merged().parent_ticked(), 4));
    assert_eq!(decision.key.unwrap().action.to_string(), "close_child/epic 1 child 4");
}

#[tokio::test]
async fn tick_parent_writes_only_over_the_body_it_decided_on() {
    let decided = "- [ ] #3\n";
    let now = "- [ ] #3\n- [ ] #9 added by a person\n";
    let forge = RecordingForge::new().with_issue_body(&app(), 1, now);
    let mut signal = open_pr().merged();
    signal.epic_body_sha256 = Some(BodyDigest::of(decided));
    let dispatcher = all_handlers();
    let result = dispatcher.perform(&dispatcher.decide(&signal), &signal, &forge).await.unwrap();
    assert_eq!(result.error.map(|e| e.class), Some(FailureClass::Conflict));
    assert!(forge.calls().is_empty(), "nothing written over the person's edit: {:?}", forge.calls());
}

#[tokio::test]
async fn a_guarded_tick_reports_the_body_digests_before_and_after() {
    let body = "- [ ] #3\n- [ ] #9\n";
    let forge = RecordingForge::new().with_issue_body(&app(), 1, body);
    let mut signal = open_pr().merged();
    signal.epic_body_sha256 = Some(BodyDigest::of(body));
    let dispatcher = all_handlers();
    let result = dispatcher.perform(&dispatcher.decide(&signal), &signal, &forge).await.unwrap();
    let change = result.body_change.expect("a tick rewrote the epic body");
    assert_eq!((change.before, change.after), (BodyDigest::of(body), BodyDigest::of("- [x] #3\n- [ ] #9\n")));
}

#[tokio::test]
async fn a_child_in_another_repository_is_ticked_in_the_epics_and_closed_in_its_own() {
    // octo/plan#1 lists its own #3 and octo/app#3: only the latter is the PR's child.
    let body = "- [ ] #3 plan's own task\n- [ ] octo/app#3 the app's task\n";
    let forge = RecordingForge::new().with_issue_body(&plan(), 1, body);
    let dispatcher = all_handlers();
    let signal = epic_in_plan(open_pr().merged());
    let decision = dispatcher.decide(&signal);
    assert_eq!(decision.key.as_ref().unwrap().action.to_string(), "tick_parent/epic octo/plan#1 child 3");
    assert_eq!(decision.reason, "PR merged and child #3 is unticked in epic octo/plan#1");
    dispatcher.perform(&decision, &signal, &forge).await.unwrap();
    let ticked = "- [ ] #3 plan's own task\n- [x] octo/app#3 the app's task\n";
    assert_eq!(
        forge.take_calls(),
        [ForgeCall::EditIssueBody { repo: plan(), issue: 1, body: ticked.into() }]
    );

    let ticked = epic_in_plan(open_pr().merged().parent_ticked());
    dispatcher.perform(&dispatcher.decide(&ticked), &ticked, &forge).await.unwrap();
    assert_eq!(forge.take_calls(), [ForgeCall::CloseIssue { repo: app(), issue: 3 }]);
}

#[test]
fn a_sub_issue_has_no_box_to_tick_and_is_closed_once_its_pr_merged() {
    let decision = all_handlers().decide(&sub_issue(open_pr().merged()));
    assert_eq!(decision.action, Some("close_child"), "{}", decision.reason);
    assert_eq!(decision.reason, "PR merged, epic #1 has it as a sub-issue, child #3 still open");
    let done = all_handlers().decide(&sub_issue(open_pr().merged().child_closed()));
    assert_eq!(done.reason, "flow complete: PR merged, sub-issue closed");
}

#[tokio::test]
async fn close_epic_closes_an_epic_whose_children_are_all_closed() {
    let dispatcher = all_handlers();
    for signal in [
        open_children(open_pr().merged().parent_ticked().child_closed(), 0),
        open_children(sub_issue(open_pr().merged().child_closed()), 0),
    ] {
        let decision = dispatcher.decide(&signal);
        assert_eq!(decision.action, Some("close_epic"), "{}", decision.reason);
        assert_eq!(decision.key.as_ref().unwrap().action.to_string(), "close_epic/epic 1");
        let forge = RecordingForge::new();
        dispatcher.perform(&decision, &signal, &forge).await.unwrap();
        assert_eq!(forge.calls(), [ForgeCall::CloseIssue { repo: app(), issue: 1 }]);
    }
}

#[tokio::test]
async fn close_epic_closes_an_epic_of_another_repository_there() {
    let signal = epic_in_plan(open_children(open_pr().merged().parent_ticked().child_closed(), 0));
    let forge = RecordingForge::new();
    let dispatcher = all_handlers();
    let decision = dispatcher.decide(&signal);
    let key = decision.key.clone().unwrap();
    assert_eq!(
        (key.repo.to_string(), key.pr, key.action.to_string()),
        ("octo/plan".to_owned(), 1, "close_epic/epic 1".to_owned())
    );
    dispatcher.perform(&decision, &signal, &forge).await.unwrap();
    assert_eq!(forge.calls(), [ForgeCall::CloseIssue { repo: plan(), issue: 1 }]);
}

#[test]
fn two_prs_of_one_epic_decide_one_and_the_same_close() {
    let first = open_children(open_pr().merged().parent_ticked().child_closed(), 0);
    let second = PipelineSignal { pr_number: 8, child_number: 4, ..first.clone() };
    let decisions = all_handlers().plan(&[first, second]);
    assert_eq!(decisions[0].key, decisions[1].key, "one key: the ledger closes the epic once");
}

#[test]
fn an_epic_with_open_children_stays_open_and_says_how_many() {
    let decision =
        all_handlers().decide(&open_children(open_pr().merged().parent_ticked().child_closed(), 2));
    assert_eq!(
        (decision.action, decision.reason.as_str()),
        (None, "epic #1 stays open: 2 of its children still open")
    );
}

#[test]
fn an_epic_whose_children_are_not_known_is_left_alone() {
    let decision = all_handlers().decide(&open_pr().merged().parent_ticked().child_closed());
    assert_eq!(decision.reason, "flow complete: PR merged, epic ticked, child closed");
}

#[test]
fn close_epic_waits_for_the_childs_own_steps_first() {
    let unticked = open_children(open_pr().merged().child_closed(), 0);
    assert_eq!(all_handlers().decide(&unticked).action, Some("tick_parent"));
}

#[tokio::test]
async fn a_closed_epic_is_confirmed_by_asking_the_forge() {
    let signal = epic_in_plan(open_children(open_pr().merged().parent_ticked().child_closed(), 0));
    let key = CloseEpic::key(&signal);
    let forge = RecordingForge::new();
    assert_eq!(CloseEpic.effect_on_forge(&key, &forge).await.unwrap(), Some(false), "still open");
    CloseEpic.execute(&signal, &forge).await.unwrap();
    assert_eq!(CloseEpic.effect_on_forge(&key, &forge).await.unwrap(), Some(true), "closed");
}
