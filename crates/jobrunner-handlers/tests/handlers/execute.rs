//! What each handler does to the forge when it acts.

use crate::support::{SignalExt, open_pr};
use jobrunner_core::{
    Dispatcher, FailureClass, ForgeCall, MergeMethod, Mergeable, PipelineSignal, RecordingForge, RepoSlug,
    ThreadId,
};
use jobrunner_handlers::{HANDLER_NAMES, HandlerSettings, dispatcher};

fn repo() -> RepoSlug {
    RepoSlug::parse("octo/app").unwrap()
}

async fn act(dispatcher: &Dispatcher, signal: &PipelineSignal, forge: &RecordingForge) -> Vec<ForgeCall> {
    let decision = dispatcher.decide(signal);
    let result = dispatcher.perform(&decision, signal, forge).await.expect("the signal acts");
    assert!(result.success, "{:?}", result.error);
    forge.take_calls()
}

fn all_handlers(settings: &HandlerSettings) -> Dispatcher {
    dispatcher(settings, &HANDLER_NAMES).unwrap()
}

#[tokio::test]
async fn publish_draft_marks_the_pr_ready() {
    let calls =
        act(&all_handlers(&HandlerSettings::default()), &open_pr().draft(), &RecordingForge::new()).await;
    assert_eq!(calls, vec![ForgeCall::MarkReady { repo: repo(), pr: 7 }]);
}

#[tokio::test]
async fn fix_commands_use_the_configured_texts() {
    let settings = HandlerSettings {
        conflict_command: "@agent rebase please".into(),
        review_command: "@agent address reviews".into(),
        merge_method: MergeMethod::Rebase,
        ..HandlerSettings::default()
    };
    let dispatcher = all_handlers(&settings);
    let forge = RecordingForge::new();
    let conflicting = open_pr().mergeable(Mergeable::Conflicting);
    let conflict = act(&dispatcher, &conflicting, &forge).await;
    let marker = dispatcher.decide(&conflicting).key.unwrap().comment_marker();
    assert_eq!(
        conflict,
        vec![ForgeCall::Comment {
            repo: repo(),
            number: 7,
            body: format!("@agent rebase please\n\n{marker}")
        }]
    );
    let reviewed = open_pr().review_threads(20, &[20]);
    let review = act(&dispatcher, &reviewed, &forge).await;
    let marker = dispatcher.decide(&reviewed).key.unwrap().comment_marker();
    assert_eq!(
        review,
        vec![ForgeCall::Comment {
            repo: repo(),
            number: 7,
            body: format!("@agent address reviews\n\n{marker}")
        }]
    );
    let merge = act(&dispatcher, &open_pr(), &forge).await;
    let head = open_pr().last_commit_sha;
    assert_eq!(merge, vec![ForgeCall::Merge { repo: repo(), pr: 7, head, method: MergeMethod::Rebase }]);
}

#[tokio::test]
async fn resolve_threads_resolves_only_threads_older_than_the_commit_in_one_call() {
    let mut signal = open_pr().review_threads(20, &[15, 20, 20]).pushed_at(30);
    signal.unresolved_threads[2].last_comment_at = crate::support::at(35);
    let calls = act(&all_handlers(&HandlerSettings::default()), &signal, &RecordingForge::new()).await;
    let threads = vec![ThreadId::new("PRRT_20_0").unwrap(), ThreadId::new("PRRT_20_1").unwrap()];
    assert_eq!(calls, vec![ForgeCall::ResolveThreads { repo: repo(), threads }]);
}

#[tokio::test]
async fn tick_parent_rewrites_only_the_child_checkbox() {
    let body = "## Plan\n\n- [x] #2 done\n- [ ] #3 lexer\n\n```\n- [ ] #3\n```\n> - [ ] #3\n";
    let forge = RecordingForge::new().with_issue_body(&repo(), 1, body);
    let calls = act(&all_handlers(&HandlerSettings::default()), &open_pr().merged(), &forge).await;
    let expected = "## Plan\n\n- [x] #2 done\n- [x] #3 lexer\n\n```\n- [ ] #3\n```\n> - [ ] #3\n";
    assert_eq!(calls, vec![ForgeCall::EditIssueBody { repo: repo(), issue: 1, body: expected.into() }]);
}

#[tokio::test]
async fn tick_parent_on_an_already_ticked_epic_changes_nothing() {
    let forge = RecordingForge::new().with_issue_body(&repo(), 1, "- [x] #3\n");
    let calls = act(&all_handlers(&HandlerSettings::default()), &open_pr().merged(), &forge).await;
    assert!(calls.is_empty(), "{calls:?}");
}

#[tokio::test]
async fn tick_parent_fails_as_stale_when_the_child_left_the_epic() {
    let forge = RecordingForge::new().with_issue_body(&repo(), 1, "- [ ] #99\n");
    let dispatcher = all_handlers(&HandlerSettings::default());
    let signal = open_pr().merged();
    let result = dispatcher.perform(&dispatcher.decide(&signal), &signal, &forge).await.unwrap();
    assert!(!result.success);
    assert_eq!(result.error.unwrap().class, FailureClass::Conflict);
    assert!(forge.calls().is_empty());
}

#[tokio::test]
async fn close_child_closes_the_child_issue() {
    let calls = act(
        &all_handlers(&HandlerSettings::default()),
        &open_pr().merged().parent_ticked(),
        &RecordingForge::new(),
    )
    .await;
    assert_eq!(calls, vec![ForgeCall::CloseIssue { repo: repo(), issue: 3 }]);
}

#[tokio::test]
async fn a_failing_forge_yields_a_failed_result_with_its_class() {
    let forge = RecordingForge::new().failing_with(FailureClass::Transient);
    let dispatcher = all_handlers(&HandlerSettings::default());
    let signal = open_pr().draft();
    let result = dispatcher.perform(&dispatcher.decide(&signal), &signal, &forge).await.unwrap();
    assert!(!result.success);
    assert_eq!(result.action, "publish_draft");
    assert_eq!(result.error.unwrap().class, FailureClass::Transient);
}

#[tokio::test]
async fn a_decision_without_action_performs_nothing() {
    let dispatcher = all_handlers(&HandlerSettings::default());
    let signal = open_pr().closed();
    let forge = RecordingForge::new();
    assert!(dispatcher.perform(&dispatcher.decide(&signal), &signal, &forge).await.is_none());
    assert!(forge.calls().is_empty());
}
