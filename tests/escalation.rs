//! Failing checks, a silent agent and checks that never start, against the simulator over
//! several cycles: the real runner, GitHub adapter, SQLite state store and journal, in one
//! process, with the runner's clock moved by hand (no sleeps).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use jobrunner_core::{JobSource, NodeId, RepoSlug};
use jobrunner_github::{GitHubClient, GitHubConfig, GitHubForge, GitHubSource, Scope};
use jobrunner_github_sim::{CheckState, GitHubSim, PrSpec, SimHandle, SimState};
use jobrunner_handlers::{HANDLER_NAMES, HandlerSettings, dispatcher};
use jobrunner_journal::{FsyncPolicy, JournalWriter};
use jobrunner_runner::{Runner, RunnerConfig, SourcePair};
use jobrunner_store::{SqliteStore, Store, Waits};

const REPO: &str = "octo/app";

struct Pipeline {
    sim: SimHandle,
    runner: Runner,
    store: Arc<SqliteStore>,
    now: Arc<Mutex<DateTime<Utc>>>,
    _dir: tempfile::TempDir,
}

impl Pipeline {
    /// PR #10 closes child #2 of epic #1, as `pr` describes it.
    async fn start(pr: PrSpec) -> Self {
        let state = SimState::empty()
            .with_repo("octo", "app")
            .with_epic(REPO, 1, &[2])
            .with_pr(REPO, pr.closes(&[2]));
        let sim = GitHubSim::start(state).await.expect("simulator starts on loopback");
        let config = GitHubConfig::new(sim.base_url(), "sim-token", "epic", Scope::default(), Duration::ZERO);
        let client = Arc::new(GitHubClient::new(config).expect("client builds"));
        let repos = vec![RepoSlug::parse(REPO).unwrap()];
        let source: Arc<dyn JobSource> = Arc::new(GitHubSource::new(Arc::clone(&client), repos));
        let dir = tempfile::tempdir().unwrap();
        let node = NodeId::new("node-a").unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("data"), &node).await.unwrap());
        let journal = JournalWriter::new(dir.path().join("journal"), FsyncPolicy::Never);
        let now = Arc::new(Mutex::new(Utc::now()));
        let clock = Arc::clone(&now);
        let runner = Runner::new(
            vec![SourcePair::new(source, Arc::new(GitHubForge::new(client)))],
            dispatcher(&HandlerSettings::default(), &HANDLER_NAMES).unwrap(),
            Arc::clone(&store) as Arc<dyn Store>,
            journal,
            RunnerConfig { node, dry_run: false },
        )
        .with_clock(Arc::new(move || *clock.lock().unwrap()));
        Self { sim, runner, store, now, _dir: dir }
    }

    async fn cycle(&self) {
        self.runner.cycle().await.expect("cycle succeeds");
    }

    fn later(&self, minutes: i64) {
        *self.now.lock().unwrap() += TimeDelta::minutes(minutes);
    }

    /// The comments the pipeline posted on #10, by their first line.
    fn commands(&self) -> Vec<String> {
        self.sim.with_state(|s| {
            s.pr(REPO, 10)
                .comments
                .iter()
                .map(|c| c.body.lines().next().unwrap_or_default().to_owned())
                .collect()
        })
    }

    fn labels(&self) -> Vec<String> {
        self.sim.with_state(|s| s.pr(REPO, 10).labels.clone())
    }
}

#[tokio::test]
async fn failing_required_checks_get_one_ci_command_and_the_agents_fix_merges() {
    let pipeline = Pipeline::start(PrSpec::new(10).checks(CheckState::Failure)).await;
    pipeline.cycle().await;
    pipeline.cycle().await;
    assert_eq!(pipeline.commands(), ["fix the failing checks"], "once per head and failing set");
    for _ in 0..4 {
        pipeline.sim.with_state(SimState::parties_act);
        pipeline.cycle().await;
    }
    assert!(pipeline.sim.with_state(|s| !s.pr(REPO, 10).is_open()), "the fix's green checks merged it");
    assert_eq!(pipeline.commands(), ["fix the failing checks"]);
}

#[tokio::test]
async fn a_silent_agent_is_reminded_once_then_a_person_is_asked() {
    let pipeline = Pipeline::start(PrSpec::new(10).mergeable(Some(false))).await;
    pipeline.cycle().await;
    pipeline.later(29);
    pipeline.cycle().await;
    assert_eq!(pipeline.commands(), ["fix merge conflict"], "the agent still has time");
    pipeline.later(1);
    pipeline.cycle().await;
    assert_eq!(pipeline.commands(), ["fix merge conflict", "fix merge conflict"], "re-sent after 30m");
    pipeline.later(30);
    pipeline.cycle().await;
    assert_eq!(pipeline.labels(), ["needs-human"]);
    pipeline.later(120);
    pipeline.cycle().await;
    assert_eq!(pipeline.commands().len(), 2, "nothing more once a person is asked");
    let waits = pipeline.store.waits().await.unwrap();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].on, jobrunner_core::WaitingOn::Person, "stopped by the label: {waits:?}");
}

#[tokio::test]
async fn an_answer_before_the_timeout_needs_no_reminder() {
    let pipeline = Pipeline::start(PrSpec::new(10).checks(CheckState::Failure)).await;
    pipeline.cycle().await;
    pipeline.later(20);
    pipeline.sim.with_state(|s| s.agent_pushes_fix(REPO, 10));
    pipeline.cycle().await;
    pipeline.later(40);
    pipeline.cycle().await;
    assert_eq!(
        pipeline.commands(),
        ["fix the failing checks"],
        "the new head's checks are pending, not failing"
    );
    assert!(pipeline.labels().is_empty());
}

#[tokio::test]
async fn checks_that_never_start_ask_a_person_after_stuck_after() {
    let pipeline = Pipeline::start(PrSpec::new(10).checks(CheckState::Pending)).await;
    pipeline.cycle().await;
    pipeline.cycle().await;
    pipeline.later(119);
    pipeline.cycle().await;
    assert!(pipeline.labels().is_empty(), "within stuck_after");
    let waits = pipeline.store.waits().await.unwrap();
    assert_eq!(waits[0].on, jobrunner_core::WaitingOn::Checks, "{waits:?}");
    pipeline.later(1);
    pipeline.cycle().await;
    assert_eq!(pipeline.labels(), ["needs-human"]);
    assert!(pipeline.commands().is_empty(), "no comment: the agent cannot start CI");
}
