use std::sync::Arc;

use jobrunner_core::{ActionKey, ActionResult, FailureClass, Forge, ForgeCall, RecordingForge, RepoSlug};
use jobrunner_handlers::{HANDLER_NAMES, HandlerSettings, dispatcher};
use jobrunner_journal::JournalRecord;
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
    assert!(second.actions.is_empty(), "the settled key is passed over: {:?}", second.actions);

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
    assert!(report.actions.is_empty(), "done before the restart: {:?}", report.actions);
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
async fn a_comment_whose_answer_was_lost_is_not_posted_again_when_its_marker_shows() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![conflicting_pr('1')]);
    let lost = Arc::new(RecordingForge::new().failing_with(FailureClass::Transient));
    let report = fixture.runner(lost, false).cycle().await.unwrap();
    assert_eq!(report.actions[0].outcome, ActionOutcome::Failed(FailureClass::Transient));
    // GitHub did post it: only the answer was lost.
    let forge = Arc::new(RecordingForge::new());
    let posted = format!("fix merge conflict\n\n{}", report.actions[0].key.comment_marker());
    forge.comment(&repo(), 7, &posted).await.unwrap();

    let next = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert_eq!(next.actions[0].outcome, ActionOutcome::AlreadyClaimed, "settled from the marker");
    assert_eq!(forge.calls().len(), 1, "never posted twice: {:?}", forge.calls());
    assert_eq!(fixture.journal().len(), 1, "journaled once, when settled");
}

#[tokio::test]
async fn a_comment_that_failed_and_was_not_posted_is_posted_next_cycle() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![conflicting_pr('1')]);
    let failing = Arc::new(RecordingForge::new().failing_with(FailureClass::Transient));
    fixture.runner(failing, false).cycle().await.unwrap();
    let forge = Arc::new(RecordingForge::new());
    let next = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert_eq!(next.actions[0].outcome, ActionOutcome::Performed);
    assert_eq!(forge.calls().len(), 1, "{:?}", forge.calls());
}

#[tokio::test]
async fn a_permanent_failure_is_recorded_and_never_retried() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let failing = Arc::new(RecordingForge::new().failing_with(FailureClass::Validation));
    fixture.runner(failing, false).cycle().await.unwrap();
    let forge = Arc::new(RecordingForge::new());
    let again = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert!(again.actions.is_empty(), "refused for good on this head: {:?}", again.actions);
    assert!(forge.calls().is_empty());
}

#[tokio::test]
async fn an_auth_failure_stops_the_cycle_loudly_and_keeps_the_key_open() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let refused = Arc::new(RecordingForge::new().failing_with(FailureClass::Auth));
    let error = fixture.runner(refused, false).cycle().await.unwrap_err();
    assert!(matches!(error, CycleError::Auth { .. }), "{error}");
    // Which setting holds the token is the binary's to say (core-ide names CORE_GITHUB_TOKEN).
    assert!(error.to_string().contains("no action is taken until the node is given one"), "{error}");
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

/// The key `signal` decides, claimed as a crash would leave it: in a cycle that never ended.
async fn crash_after_claiming(fixture: &mut Fixture, signal: &jobrunner_core::PipelineSignal) -> ActionKey {
    let key = dispatcher(&HandlerSettings::default(), &HANDLER_NAMES).unwrap().decide(signal).key.unwrap();
    fixture.store.start_cycle(&crate::fixture::node(), chrono::Utc::now()).await.unwrap();
    fixture.store.keep_claimed_signal(&key.repo, key.pr, signal).await.unwrap();
    fixture.store.claim(&key, &crate::fixture::node(), chrono::Utc::now()).await.unwrap();
    key
}

#[tokio::test]
async fn a_fix_command_claimed_but_not_posted_before_a_crash_is_posted_once() {
    let mut fixture = Fixture::new().await;
    fixture.source.set(vec![conflicting_pr('1')]);
    crash_after_claiming(&mut fixture, &conflicting_pr('1')).await;
    fixture.restart().await;

    let forge = Arc::new(RecordingForge::new());
    let report = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert_eq!(report.actions[0].outcome, ActionOutcome::Performed);
    assert_eq!(forge.calls().len(), 1, "{:?}", forge.calls());
    assert_eq!(fixture.journal().len(), 1);
}

#[tokio::test]
async fn a_fix_command_posted_before_a_crash_is_journaled_and_never_posted_again() {
    let mut fixture = Fixture::new().await;
    fixture.source.set(vec![conflicting_pr('1')]);
    let key = crash_after_claiming(&mut fixture, &conflicting_pr('1')).await;
    fixture.restart().await;
    let forge = Arc::new(RecordingForge::new());
    let posted = format!("fix merge conflict\n\n{}", key.comment_marker());
    forge.comment(&repo(), 7, &posted).await.unwrap();

    let report = fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert_eq!(report.actions[0].outcome, ActionOutcome::AlreadyClaimed);
    assert_eq!(forge.calls().len(), 1, "only the comment from before the crash: {:?}", forge.calls());
    let journal = fixture.journal();
    assert_eq!(
        journal.iter().map(|r| (r.pr, r.action.as_str())).collect::<Vec<_>>(),
        [(7, "send_fix_command")]
    );
}

#[tokio::test]
async fn an_action_whose_effect_shows_after_a_crash_is_journaled_from_the_kept_signal() {
    let mut fixture = Fixture::new().await;
    crash_after_claiming(&mut fixture, &draft_pr()).await;
    fixture.restart().await;
    // The draft was published before the crash: the fresh read shows it ready.
    let published =
        jobrunner_core::PipelineSignal { is_draft: false, auto_merge_enabled: true, ..draft_pr() };
    fixture.source.set(vec![published]);

    let forge = Arc::new(RecordingForge::new());
    fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert!(forge.calls().is_empty(), "{:?}", forge.calls());
    let journal = fixture.journal();
    assert_eq!(journal.len(), 1);
    assert_eq!(
        (journal[0].action.as_str(), journal[0].signals.is_draft),
        ("publish_draft", true),
        "the decision's state"
    );
    assert!(fixture.store.unconfirmed(&crate::fixture::node()).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_action_journaled_before_a_crash_is_confirmed_without_a_second_line() {
    let mut fixture = Fixture::new().await;
    let key = crash_after_claiming(&mut fixture, &draft_pr()).await;
    let crashed = fixture.store.recent_cycles(&crate::fixture::node(), 1).await.unwrap()[0].number;
    let result = ActionResult {
        action: "publish_draft",
        key,
        success: true,
        duration_ms: 3,
        error: None,
        body_change: None,
    };
    let line =
        JournalRecord::new(&draft_pr(), &result, crashed, crate::fixture::node(), false, chrono::Utc::now());
    fixture.journal_writer().append(&line).unwrap();
    fixture.restart().await;
    fixture.source.set(vec![jobrunner_core::PipelineSignal {
        is_draft: false,
        auto_merge_enabled: true,
        ..draft_pr()
    }]);

    let forge = Arc::new(RecordingForge::new());
    fixture.runner(Arc::clone(&forge), false).cycle().await.unwrap();
    assert!(forge.calls().is_empty());
    assert_eq!(fixture.journal().len(), 1, "the line from before the crash, no second one");
    assert!(fixture.store.unconfirmed(&crate::fixture::node()).await.unwrap().is_empty());
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

#[tokio::test]
async fn the_first_cycle_after_a_crash_has_the_unsettled_prs_read_afresh() {
    let mut fixture = Fixture::new().await;
    crash_after_claiming(&mut fixture, &draft_pr()).await;
    fixture.restart().await;
    fixture.source.set(vec![draft_pr()]);
    let runner = fixture.runner(Arc::new(RecordingForge::new()), false);
    runner.cycle().await.unwrap();
    runner.cycle().await.unwrap();
    assert_eq!(*fixture.source.rechecks.lock().unwrap(), [7], "once, before the first poll");
}

/// A work split: the repositories leased (or a failure), and a dead node's claims to settle.
struct Leased(Result<Vec<RepoSlug>, ()>, Vec<ActionKey>);

#[async_trait::async_trait]
impl jobrunner_runner::WorkSplit for Leased {
    async fn assign(&self) -> Result<Vec<RepoSlug>, jobrunner_store::StoreError> {
        self.0
            .clone()
            .map_err(|()| jobrunner_store::StoreError::RegistrationLost { node_id: crate::fixture::node() })
    }

    async fn orphaned(&self, _leased: &[RepoSlug]) -> Result<Vec<ActionKey>, jobrunner_store::StoreError> {
        Ok(self.1.clone())
    }
}

#[tokio::test]
async fn a_fleet_node_polls_only_the_repositories_it_leases() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let runner = fixture
        .runner(Arc::new(RecordingForge::new()), false)
        .with_work_split(Arc::new(Leased(Ok(vec![repo()]), Vec::new())));
    runner.cycle().await.unwrap();
    assert_eq!(*fixture.source.restricted_to.lock().unwrap(), [Some(vec![repo()])]);
}

#[tokio::test]
async fn a_node_that_cannot_get_its_share_polls_and_performs_nothing() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    fixture.source.charge_per_poll(1);
    let forge = Arc::new(RecordingForge::new());
    let runner =
        fixture.runner(Arc::clone(&forge), false).with_work_split(Arc::new(Leased(Err(()), Vec::new())));
    assert!(matches!(runner.cycle().await, Err(CycleError::Store(_))));
    assert!(forge.calls().is_empty(), "fails closed");
    let cycles = fixture.store.recent_cycles(&crate::fixture::node(), 1).await.unwrap();
    assert_eq!(cycles[0].end.as_ref().unwrap().points_spent, 0, "nothing was polled");
}

#[tokio::test]
async fn a_dead_nodes_unperformed_claim_is_released_and_performed_by_the_node_leasing_the_repo() {
    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let key =
        dispatcher(&HandlerSettings::default(), &HANDLER_NAMES).unwrap().decide(&draft_pr()).key.unwrap();
    // The split hands over a dead node's claim already taken over: claimed by this node.
    fixture.store.claim(&key, &crate::fixture::node(), chrono::Utc::now()).await.unwrap();
    let forge = Arc::new(RecordingForge::new());
    let split = Arc::new(Leased(Ok(vec![repo()]), vec![key]));
    let report = fixture.runner(Arc::clone(&forge), false).with_work_split(split).cycle().await.unwrap();
    assert_eq!(report.actions[0].outcome, ActionOutcome::Performed);
    assert_eq!(forge.calls(), [ForgeCall::MarkReady { repo: repo(), pr: 7 }]);
}

/// A fleet split whose database is gone for its first `0` calls.
struct Outage(std::sync::atomic::AtomicU32);

#[async_trait::async_trait]
impl jobrunner_runner::WorkSplit for Outage {
    async fn assign(&self) -> Result<Vec<RepoSlug>, jobrunner_store::StoreError> {
        let down = self.0.fetch_update(
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
            |left| left.checked_sub(1),
        );
        match down {
            Ok(_) => Err(jobrunner_store::StoreError::PostgresLost {
                operation: "lease repositories",
                source: "connection refused".into(),
            }),
            Err(_) => Ok(vec![repo()]),
        }
    }
}

#[tokio::test]
async fn a_lost_database_fails_closed_and_the_loop_resumes_once_it_answers() {
    use jobrunner_runner::{CycleEvent, Pace};

    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let forge = Arc::new(RecordingForge::new());
    let runner = fixture
        .runner(Arc::clone(&forge), false)
        .with_work_split(Arc::new(Outage(std::sync::atomic::AtomicU32::new(2))));
    let (stop, control) = jobrunner_runner::Controller::new(false);
    let mut events = Vec::new();
    let pace = Pace::new(std::time::Duration::from_millis(50), std::time::Duration::from_millis(50), 3);
    let outcome = runner
        .run(pace, control, &mut |event| {
            if matches!(event, CycleEvent::Waiting { .. } | CycleEvent::Starting) {
                return;
            }
            events.push(match event {
                CycleEvent::StoreLost { down_for, .. } => format!("lost, down {}", !down_for.is_zero()),
                CycleEvent::Completed(report) => format!("completed, {} performed", report.performed()),
                CycleEvent::Failed(error) => format!("failed: {error}"),
                CycleEvent::Waiting { .. } | CycleEvent::Starting => unreachable!("passed over above"),
            });
            if matches!(event, CycleEvent::Completed(_)) {
                stop.send(jobrunner_runner::Command::Shutdown);
            }
        })
        .await;
    assert!(outcome.is_ok(), "an outage does not stop the node: {outcome:?}");
    assert_eq!(events, ["lost, down false", "lost, down true", "completed, 1 performed"]);
    assert_eq!(forge.calls(), [ForgeCall::MarkReady { repo: repo(), pr: 7 }], "acts only once it is back");
}

/// A source whose poll asks for shutdown, then never answers: an API that hangs.
struct Hanging(jobrunner_runner::Controller);

#[async_trait::async_trait]
impl jobrunner_core::JobSource for Hanging {
    fn name(&self) -> &'static str {
        "hanging"
    }

    async fn poll(&self) -> Result<Vec<jobrunner_core::PipelineSignal>, jobrunner_core::ForgeError> {
        self.0.send(jobrunner_runner::Command::Shutdown);
        std::future::pending().await
    }

    async fn report(
        &self,
        _signal: &jobrunner_core::PipelineSignal,
        _result: &ActionResult,
    ) -> Result<(), jobrunner_core::ForgeError> {
        Ok(())
    }
}

#[tokio::test]
async fn shutdown_while_the_api_hangs_cancels_the_cycle_after_the_grace() {
    use jobrunner_runner::{Pace, Runner, RunnerConfig, SHUTDOWN_GRACE, SourcePair};

    let fixture = Fixture::new().await;
    let (stop, control) = jobrunner_runner::Controller::new(false);
    let config = RunnerConfig { node: crate::fixture::node(), dry_run: false };
    let runner = Runner::new(
        vec![SourcePair::new(Arc::new(Hanging(stop)), Arc::new(RecordingForge::new()))],
        dispatcher(&HandlerSettings::default(), &HANDLER_NAMES).unwrap(),
        Arc::clone(&fixture.store),
        fixture.journal_writer(),
        config,
    );
    let started = std::time::Instant::now();
    let pace = Pace::new(std::time::Duration::from_secs(60), std::time::Duration::from_secs(60), 3);
    let outcome = tokio::time::timeout(SHUTDOWN_GRACE * 4, runner.run(pace, control, &mut |_| {})).await;
    assert!(matches!(outcome, Ok(Ok(()))), "stopped cleanly, not held by the hanging poll: {outcome:?}");
    assert!(started.elapsed() >= SHUTDOWN_GRACE, "the cycle had its grace first");
}

#[tokio::test]
async fn a_settled_key_lets_the_next_handler_act_on_the_pr_the_same_cycle() {
    use jobrunner_core::{MergeStateStatus, ReviewDecision};
    let fixture = Fixture::new().await;
    // Changes requested on a PR this node armed auto-merge on: first the agent hears of it,
    // then, with the command settled, the auto-merge is withdrawn at once, not after a push.
    let mut signal = draft_pr();
    signal.is_draft = false;
    signal.merge_state = MergeStateStatus::Blocked;
    signal.review_decision = Some(ReviewDecision::ChangesRequested);
    signal.auto_merge_enabled = true;
    signal.auto_merge_ours = true;
    fixture.source.set(vec![signal]);
    let forge = Arc::new(RecordingForge::new());
    let runner = fixture.runner(Arc::clone(&forge), false);
    let first = runner.cycle().await.unwrap();
    assert_eq!(first.actions[0].action, "send_fix_command");
    let second = runner.cycle().await.unwrap();
    assert_eq!(second.actions.len(), 1, "{:?}", second.actions);
    assert_eq!(
        (second.actions[0].action, &second.actions[0].outcome),
        ("enable_auto_merge", &ActionOutcome::Performed)
    );
    assert!(matches!(forge.calls().last(), Some(ForgeCall::DisableAutoMerge { pr: 7, .. })));
    assert!(runner.cycle().await.unwrap().actions.is_empty(), "then nothing, both keys settled");
}

#[tokio::test]
async fn a_tick_already_done_does_not_use_up_the_prs_action_so_the_other_childs_tick_acts() {
    use jobrunner_core::PrState;
    let fixture = Fixture::new().await;
    // PR #7 merged and closes children #3 and #4 of epic #1; the source still reads both
    // boxes unticked in the second cycle (its epic list not re-read yet).
    let merged = jobrunner_core::PipelineSignal { pr_state: PrState::Merged, is_draft: false, ..draft_pr() };
    let second = jobrunner_core::PipelineSignal { child_number: 4, ..merged.clone() };
    fixture.source.set(vec![merged, second]);
    let forge = Arc::new(RecordingForge::new().with_issue_body(&repo(), 1, "- [ ] #3\n- [ ] #4\n"));
    let runner = fixture.runner(Arc::clone(&forge), false);

    let first = runner.cycle().await.unwrap();
    let acted: Vec<_> = first.actions.iter().map(|a| (a.key.action.to_string(), &a.outcome)).collect();
    assert_eq!(acted, [("tick_parent/epic 1 child 3".to_owned(), &ActionOutcome::Performed)]);
    let next = runner.cycle().await.unwrap();
    let acted: Vec<_> = next.actions.iter().map(|a| (a.key.action.to_string(), &a.outcome)).collect();
    assert_eq!(
        acted,
        [("tick_parent/epic 1 child 4".to_owned(), &ActionOutcome::Performed)],
        "the done tick was passed over"
    );
    assert!(
        matches!(forge.calls().last(), Some(ForgeCall::EditIssueBody { body, .. }) if body == "- [x] #3\n- [x] #4\n")
    );
    let journal = fixture.journal();
    assert_eq!(journal.iter().map(|r| r.child).collect::<Vec<_>>(), [3, 4]);
    let digests = |r: &JournalRecord| (r.body_sha256_before.clone(), r.body_sha256_after.clone());
    let (before, after) = (
        jobrunner_core::BodyDigest::of("- [x] #3\n- [ ] #4\n"),
        jobrunner_core::BodyDigest::of("- [x] #3\n- [x] #4\n"),
    );
    assert_eq!(digests(&journal[1]), (Some(before), Some(after)), "the record names the body it rewrote");
}

#[tokio::test]
async fn a_paused_loop_polls_only_on_a_command_and_resume_and_poll_now_start_a_cycle_at_once() {
    use jobrunner_runner::{Command, Controller, CycleEvent, Pace};

    let fixture = Fixture::new().await;
    fixture.source.set(vec![draft_pr()]);
    let runner = fixture.runner(Arc::new(RecordingForge::new()), false);
    let (controller, control) = Controller::new(true);
    // An hour between cycles: only a command can explain a cycle within the test.
    let hour = std::time::Duration::from_secs(3600);
    let mut events = Vec::new();
    let mut drive = |event: CycleEvent<'_>| {
        if matches!(event, CycleEvent::Starting) {
            return;
        }
        let (seen, next) = match event {
            CycleEvent::Waiting { paused: true, .. } if events.is_empty() => {
                ("paused".to_owned(), Some(Command::PollNow))
            }
            CycleEvent::Waiting { paused: true, .. } if events.len() == 2 => {
                ("paused".to_owned(), Some(Command::Resume))
            }
            CycleEvent::Waiting { paused: false, .. } => ("waiting".to_owned(), Some(Command::Pause)),
            CycleEvent::Waiting { paused: true, .. } => ("paused".to_owned(), Some(Command::Shutdown)),
            CycleEvent::Completed(report) => (format!("cycle {}", report.cycle), None),
            other => (format!("{other:?}"), None),
        };
        events.push(seen);
        if let Some(command) = next {
            controller.send(command);
        }
    };
    let run = runner.run(Pace::new(hour, hour, 3), control, &mut drive);
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(60), run).await;
    assert!(matches!(outcome, Ok(Ok(()))), "the loop stops on the shutdown command: {outcome:?}");
    assert_eq!(events, ["paused", "cycle 1", "paused", "cycle 2", "waiting", "paused"]);
}
