//! A scripted source, a recording forge, a store and a journal in a temp dir.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use jobrunner_core::{
    ActionResult, BudgetReading, CheckStatus, CommitSha, FailureClass, ForgeError, JobSource,
    MergeStateStatus, Mergeable, NodeId, PipelineSignal, PrState, RecordingForge, RepoName, RepoOwner,
};
use jobrunner_handlers::{HANDLER_NAMES, HandlerSettings, dispatcher};
use jobrunner_journal::{FsyncPolicy, JournalRecord, JournalWriter, ReadFilter, read_journal};
use jobrunner_runner::{Runner, RunnerConfig, SourcePair};
use jobrunner_store::{SqliteStore, Store};

/// A source that returns whatever the test sets, and remembers reports.
#[derive(Default)]
pub(crate) struct ScriptedSource {
    signals: Mutex<Vec<PipelineSignal>>,
    pub(crate) reports: Mutex<Vec<(u64, &'static str)>>,
    pub(crate) rechecks: Mutex<Vec<u64>>,
    pub(crate) restricted_to: Mutex<Vec<Option<Vec<jobrunner_core::RepoSlug>>>>,
    fail_with: Mutex<Option<FailureClass>>,
    /// Points each poll spends, and the total spent so far.
    points_per_poll: Mutex<u64>,
    spent: Mutex<u64>,
}

impl ScriptedSource {
    pub(crate) fn set(&self, signals: Vec<PipelineSignal>) {
        *self.signals.lock().unwrap() = signals;
    }

    /// Makes each poll spend `points` of a 5,000-point budget.
    pub(crate) fn charge_per_poll(&self, points: u64) {
        *self.points_per_poll.lock().unwrap() = points;
    }

    pub(crate) fn fail(&self, class: FailureClass) {
        *self.fail_with.lock().unwrap() = Some(class);
    }
}

#[async_trait]
impl JobSource for ScriptedSource {
    fn name(&self) -> &'static str {
        "scripted"
    }

    async fn poll(&self) -> Result<Vec<PipelineSignal>, ForgeError> {
        if let Some(class) = *self.fail_with.lock().unwrap() {
            return Err(ForgeError::new("poll", class, "scripted failure"));
        }
        *self.spent.lock().unwrap() += *self.points_per_poll.lock().unwrap();
        Ok(self.signals.lock().unwrap().clone())
    }

    fn restrict(&self, repos: Option<&[jobrunner_core::RepoSlug]>) {
        self.restricted_to.lock().unwrap().push(repos.map(<[_]>::to_vec));
    }

    async fn recheck(&self, _repo: &jobrunner_core::RepoSlug, pr: u64) {
        self.rechecks.lock().unwrap().push(pr);
    }

    fn budget(&self) -> Option<BudgetReading> {
        let spent = *self.spent.lock().unwrap();
        Some(BudgetReading { points_spent: spent, points_left: Some(5000 - spent) })
    }

    async fn report(&self, signal: &PipelineSignal, result: &ActionResult) -> Result<(), ForgeError> {
        self.reports.lock().unwrap().push((signal.pr_number, result.action));
        Ok(())
    }
}

/// PR #7 of octo/app, child #3 of epic #1: a draft with green checks (`publish_draft` acts).
pub(crate) fn draft_pr() -> PipelineSignal {
    PipelineSignal {
        repo_owner: RepoOwner::new("octo").unwrap(),
        repo_name: RepoName::new("app").unwrap(),
        epic_number: 1,
        child_number: 3,
        pr_number: 7,
        pr_state: PrState::Open,
        is_draft: true,
        mergeable: Mergeable::Mergeable,
        check_status: CheckStatus::Success,
        threads_total: 0,
        threads_resolved: 0,
        last_commit_sha: CommitSha::new("a".repeat(40)).unwrap(),
        last_commit_at: Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap(),
        last_review_at: None,
        child_open: true,
        parent_ticked: false,
        auto_merge_enabled: false,
        has_fix_commit_after_review: false,
        unresolved_threads: Vec::new(),
        merge_state: MergeStateStatus::Clean,
        required_checks: None,
        optional_checks_failing: false,
        review_decision: None,
        auto_merge_allowed: true,
        auto_merge_ours: false,
        merge_queue: false,
        in_merge_queue: false,
        author_is_agent: false,
        scope_label: false,
        stop_label: false,
        threads_unread: 0,
        failing_checks: None,
        memory: jobrunner_core::PrMemory::default(),
        epic_repo_owner: None,
        epic_repo_name: None,
        epic_kind: jobrunner_core::EpicKind::Checklist,
        epic_body_sha256: None,
        epic_open_children: None,
    }
}

/// The same PR conflicting at head `sha_digit` repeated.
pub(crate) fn conflicting_pr(sha_digit: char) -> PipelineSignal {
    PipelineSignal {
        is_draft: false,
        mergeable: Mergeable::Conflicting,
        last_commit_sha: CommitSha::new(sha_digit.to_string().repeat(40)).unwrap(),
        ..draft_pr()
    }
}

pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) source: Arc<ScriptedSource>,
    pub(crate) store: Arc<dyn Store>,
}

impl Fixture {
    pub(crate) async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Self::open_store(dir.path()).await;
        Self { dir, source: Arc::new(ScriptedSource::default()), store }
    }

    async fn open_store(dir: &Path) -> Arc<dyn Store> {
        Arc::new(SqliteStore::open(&dir.join("data"), &node()).await.expect("store opens"))
    }

    /// Closes and reopens the store, as a restart does.
    pub(crate) async fn restart(&mut self) {
        self.store = Self::open_store(self.dir.path()).await;
    }

    pub(crate) fn runner(&self, forge: Arc<RecordingForge>, dry_run: bool) -> Runner {
        let config = RunnerConfig { node: node(), dry_run };
        let settings = HandlerSettings { fix_command_limit: 2, ..HandlerSettings::default() };
        let dispatcher = dispatcher(&settings, &HANDLER_NAMES).unwrap();
        let journal = self.journal_writer();
        let source: Arc<dyn JobSource> = self.source.clone();
        Runner::new(
            vec![SourcePair::new(source, forge)],
            dispatcher,
            Arc::clone(&self.store),
            journal,
            config,
        )
    }

    pub(crate) fn journal_writer(&self) -> JournalWriter {
        JournalWriter::new(self.dir.path().join("journal"), FsyncPolicy::PerRecord)
    }

    pub(crate) fn journal(&self) -> Vec<JournalRecord> {
        read_journal(&self.dir.path().join("journal"), &ReadFilter::default()).unwrap().records
    }
}

pub(crate) fn node() -> NodeId {
    NodeId::new("node-a").unwrap()
}
