use std::sync::Arc;

use jobrunner_core::{FailureClass, ForgeCall, RecordingForge, RepoSlug};
use jobrunner_runner::{ActionOutcome, CycleError};

use crate::fixture::{Fixture, conflicting_pr, draft_pr};

fn repo() -> RepoSlug {
    RepoSlug::parse("octo/app").unwrap()
}

#[tokio::test]
async fn an_action_is_performed_journaled_and_reported_once() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let forge = Arc::new(RecordingForge::new());
    let runner = fixture.runner(Arc::clone(&forge), false);

    let first = runner.cycle().await.unwrap();
    assert_eq!(first.actions[0].outcome, ActionOutcome::Performed);
    let second = runner.cycle().await.unwrap();
    assert_eq!(second.actions[0].outcome, ActionOutcome::AlreadyClaimed);

    assert_eq!(forge.calls(), [ForgeCall::MarkReady { repo: repo(), pr: 7 }], "performed once");
    let journal = fixture.journal();
    assert_eq!(journal.len(), 1);
    assert_eq!(
        (journal[0].pr, journal[0].action.as_str(), journal[0].cycle),
        (7, "publish_draft", first.cycle)
    );
    assert!(!journal[0].dry_run);
    assert_eq!(*fixture.source.reports.lock().unwrap(), [(7, "publish_draft")]);
}

#[tokio::test]
async fn a_claimed_key_is_not_performed_again_after_a_restart() {
    let mut fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let forge = Arc::new(RecordingForge::new());
    fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    fixture.restart().await;
    let report = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert_eq!(report.actions[0].outcome, ActionOutcome::AlreadyClaimed);
    assert_eq!(forge.calls().len(), 1);
}

#[tokio::test]
async fn dry_run_mutates_nothing_claims_nothing_and_journals_nothing() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let forge = Arc::new(RecordingForge::new());
    let report = fixture.runner(Arc::clone(&forge), true).cycle().await.unwrap();
    assert_eq!(report.actions[0].outcome, ActionOutcome::DryRun);
    assert_eq!(report.actions[0].reason, "draft with checks SUCCESS");
    assert!(forge.calls().is_empty());
    assert!(fixture.journal().is_empty());
    let live = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert_eq!(live.actions[0].outcome, ActionOutcome::Performed, "dry-run claimed nothing");
}

#[tokio::test]
async fn a_transient_failure_is_retried_next_cycle() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let failing = Arc::new(RecordingForge::new().failing_with(FailureClass::Transient));
    let report = fixture.runner(failing, false).cycle().await.unwrap();
    assert_eq!(report.actions[0].outcome, ActionOutcome::Failed(FailureClass::Transient));
    assert!(fixture.journal().is_empty(), "only completed actions are journaled");
    let forge = Arc::new(RecordingForge::new());
    let retry = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert_eq!(retry.actions[0].outcome, ActionOutcome::Performed);
}

#[tokio::test]
async fn a_permanent_failure_is_recorded_and_never_retried() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let failing = Arc::new(RecordingForge::new().failing_with(FailureClass::Validation));
    fixture.runner(failing, false).cycle().await.unwrap();
    let forge = Arc::new(RecordingForge::new());
    let again = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert_eq!(again.actions[0].outcome, ActionOutcome::AlreadyClaimed);
    assert!(forge.calls().is_empty());
}

#[tokio::test]
async fn an_auth_failure_stops_the_cycle_loudly_and_keeps_the_key_open() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let refused = Arc::new(RecordingForge::new().failing_with(FailureClass::Auth));
    let error = fixture.runner(refused, false).cycle().await.unwrap_err();
    assert!(matches!(error, CycleError::Auth { .. }), "{error}");
    assert!(error.to_string().contains("CORE_GITHUB_TOKEN"), "{error}");
    let forge = Arc::new(RecordingForge::new());
    let later = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert_eq!(later.actions[0].outcome, ActionOutcome::Performed);
}

#[tokio::test]
async fn a_failed_poll_fails_the_cycle_with_its_class() {
    let fixture = Fixture::new().await;
    fixture.source.fail(FailureClass::RateLimited { retry_after: std::time::Duration::from_secs(30) });
    let error = fixture.runner(Arc::new(RecordingForge::new()), false).cycle().await.unwrap_err();
    assert_eq!(error.class(), FailureClass::RateLimited { retry_after: std::time::Duration::from_secs(30) });
}

#[tokio::test]
async fn after_the_limit_of_unanswered_fix_commands_the_pr_is_labelled_instead() {
    let fixture = Fixture::new().await;
    let forge = Arc::new(RecordingForge::new());
    let runner = fixture.runner(Arc::clone(&forge), false);
    for head in ['1', '2', '3', '4'] {
        fixture.source.set(vec![conflicting_pr(head)]);
        runner.cycle().await.unwrap();
    }
    let calls = forge.calls();
    let comments = calls.iter().filter(|c| matches!(c, ForgeCall::Comment { .. })).count();
    let labels: Vec<_> = calls.iter().filter(|c| matches!(c, ForgeCall::AddLabel { .. })).collect();
    assert_eq!(comments, 2, "the limit is 2 commands without progress: {calls:?}");
    assert_eq!(labels.len(), 1, "labelled once: {calls:?}");
    assert_eq!(*labels[0], ForgeCall::AddLabel { repo: repo(), number: 7, label: "needs-human".into() });
}

#[tokio::test]
async fn a_claim_left_by_a_crash_is_performed_when_its_effect_is_not_visible() {
    let mut fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let decided = jobrunner_handlers::dispatcher(
        &jobrunner_handlers::HandlerSettings::default(),
        &jobrunner_handlers::HANDLER_NAMES,
    )
    .unwrap()
    .decide(&draft_pr());
    let key = decided.key.unwrap();
    fixture.store.claim(&key, &crate::fixture::node(), chrono::Utc::now()).await.unwrap();
    fixture.restart().await;

    let forge = Arc::new(RecordingForge::new());
    let report = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert_eq!(report.actions[0].outcome, ActionOutcome::Performed);
    assert_eq!(forge.calls(), [ForgeCall::MarkReady { repo: repo(), pr: 7 }]);
    assert!(fixture.store.unconfirmed(&crate::fixture::node()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_fix_command_left_unconfirmed_by_a_crash_is_never_posted_twice() {
    let mut fixture = Fixture::new().await;
    fixture.source.set(vec![conflicting_pr('1')]);
    let decided = jobrunner_handlers::dispatcher(
        &jobrunner_handlers::HandlerSettings::default(),
        &jobrunner_handlers::HANDLER_NAMES,
    )
    .unwrap()
    .decide(&conflicting_pr('1'));
    fixture.store.claim(&decided.key.unwrap(), &crate::fixture::node(), chrono::Utc::now()).await.unwrap();
    fixture.restart().await;

    let forge = Arc::new(RecordingForge::new());
    let report = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert_eq!(report.actions[0].outcome, ActionOutcome::AlreadyClaimed);
    assert!(forge.calls().is_empty(), "the comment may already be there: {:?}", forge.calls());
}

#[tokio::test]
async fn the_cycle_record_keeps_the_points_the_cycle_spent_and_the_budget_left() {
    let fixture = Fixture::new().await;
    fixture.source.charge_per_poll(7);
    let runner = fixture.runner(Arc::new(RecordingForge::new()), false);
    runner.cycle().await.unwrap();
    runner.cycle().await.unwrap();
    let cycles = fixture.store.recent_cycles(&crate::fixture::node(), 2).await.unwrap();
    let recorded: Vec<(u64, Option<u64>)> =
        cycles.iter().map(|c| c.end.as_ref().map(|e| (e.points_spent, e.rate_limit_left)).unwrap()).collect();
    assert_eq!(recorded, [(7, Some(4986)), (7, Some(4993))], "newest first, each cycle's own points");
}
