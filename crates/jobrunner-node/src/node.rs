//! [`Node`]: a node wired from the settings, run as a task steered through its handle.

use std::sync::Arc;

use chrono::Utc;
use jobrunner_config::Settings;
use jobrunner_core::{Forge, JobSource};
use jobrunner_github::{GitHubClient, GitHubConfig, GitHubForge, GitHubSource};
use jobrunner_journal::JournalWriter;
use jobrunner_runner::{
    Controller, CycleError, CycleEvent, CycleReport, Pace, Runner, RunnerConfig, SourcePair, StoreCache,
};
use jobrunner_store::{SqliteStore, Store};
use tokio::sync::watch;

use crate::fleet::Membership;
use crate::handle::{NodeHandle, NodeRun};
use crate::state::{NodeMode, NodeState, Phase};
use crate::{NodeError, pacing};

/// A node, built and not yet running: its runner, its store, its fleet membership when the
/// store is the fleet's, and the pace of its loop.
pub struct Node {
    runner: Runner,
    membership: Option<Membership>,
    pace: Pace,
    paused: bool,
    state: NodeState,
}

impl Node {
    /// Wires a node from `settings`: the GitHub source and forge at `api_url`, the store
    /// (the fleet's PostgreSQL when `database_url` is set, with this node registered and
    /// heartbeating; else SQLite in `data_dir`, held by this process alone), the journal and
    /// the handlers. Errors name the setting to fix.
    pub async fn from_settings(settings: &Settings) -> Result<Self, NodeError> {
        let Some((_, token)) = &settings.github_token else {
            return Err(NodeError::NoToken { env: "CORE_GITHUB_TOKEN" });
        };
        if settings.repos.is_empty() {
            return Err(NodeError::NoRepositories);
        }
        let (store, membership): (Arc<dyn Store>, _) = match &settings.database_url {
            Some(url) => {
                let (store, membership) = Membership::join(settings, url.expose()).await?;
                (store, Some(membership))
            }
            None => (open_sqlite(settings).await?, None),
        };
        let client = GitHubClient::new(github_config(settings, token.expose()))
            .map_err(|e| NodeError::GitHub(e.to_string()))?;
        let mut runner = runner(settings, Arc::new(client), store)?;
        if let Some(membership) = &membership {
            runner = runner.with_work_split(membership.leases(settings.repos.clone(), settings.lease_ttl));
        }
        let mode = if membership.is_some() { NodeMode::Fleet } else { NodeMode::Standalone };
        let state = NodeState::new(
            settings.node_id.clone(),
            mode,
            settings.environment.as_str(),
            settings.dry_run,
            false,
        );
        Ok(Self {
            runner,
            pace: pacing::pace_for(settings, membership.is_some()),
            membership,
            paused: false,
            state,
        })
    }

    /// Starts the loop paused when `paused`: no cycle on the timer, only on
    /// [`Command::PollNow`](crate::Command::PollNow) or after
    /// [`Command::Resume`](crate::Command::Resume) (a desktop's poller is off until switched on).
    #[must_use]
    pub fn paused(mut self, paused: bool) -> Self {
        self.paused = paused;
        self.state.paused = paused;
        self
    }

    /// Paces the loop by `pace` instead of the settings' interval and idle back-off.
    #[must_use]
    pub fn with_pace(mut self, pace: Pace) -> Self {
        self.pace = pace;
        self
    }

    /// The state the node starts in.
    #[must_use]
    pub fn state(&self) -> &NodeState {
        &self.state
    }

    /// Runs one cycle outside the loop (`core-ide --once`).
    pub async fn cycle(&self) -> Result<CycleReport, CycleError> {
        self.runner.cycle().await
    }

    /// Gives the node's fleet registration and leases back at once (instead of when they
    /// expire); nothing to do for a standalone node. [`Node::run`] does this when its loop ends.
    pub async fn leave(self) {
        if let Some(membership) = self.membership {
            membership.leave().await;
        }
    }

    /// Starts the loop as a task on the current runtime. `observe` hears every event of the
    /// loop (the binary feeds systemd from it) after the node's state has taken it in.
    /// The handle steers the loop and shows its state; [`NodeRun::finish`] waits for its end.
    pub fn run(self, observe: impl FnMut(CycleEvent<'_>) + Send + 'static) -> (NodeHandle, NodeRun) {
        let (controller, control) = Controller::new(self.paused);
        let (state, watched) = watch::channel(self.state.clone());
        let state = Arc::new(state);
        let Self { runner, membership, pace, .. } = self;
        let runner = Arc::new(runner);
        let task = tokio::spawn(run_loop(
            Arc::clone(&runner),
            membership,
            pace,
            control,
            Arc::clone(&state),
            observe,
        ));
        (NodeHandle::new(controller, state, watched, runner), NodeRun::new(task))
    }
}

/// The loop's task: the runner's loop with every event folded into the state, then the fleet
/// left and the state marked stopped.
async fn run_loop(
    runner: Arc<Runner>,
    membership: Option<Membership>,
    pace: Pace,
    control: watch::Receiver<jobrunner_runner::Control>,
    state: Arc<watch::Sender<NodeState>>,
    mut observe: impl FnMut(CycleEvent<'_>) + Send + 'static,
) -> Result<(), NodeError> {
    let stopped = Arc::clone(&state);
    let (cycles, cycles_seen) = watch::channel(0u64);
    let waits = tokio::spawn(refresh_waits(Arc::clone(runner.store()), Arc::clone(&state), cycles_seen));
    // Owned, not borrowed: the loop's observer must be Send for every event's lifetime.
    let (sources, leases) = (Arc::clone(&runner), membership.as_ref().map(Membership::lease_book));
    let mut fold = move |event: CycleEvent<'_>| {
        let ended = matches!(event, CycleEvent::Completed(_) | CycleEvent::Failed(_));
        let health = ended.then(|| sources.health());
        let held = leases.as_ref().map(crate::fleet::LeaseBook::held);
        state.send_modify(|s| {
            s.observe(&event, Utc::now());
            if let Some(health) = health {
                s.set_sources(health);
            }
            if held.is_some() {
                s.leases = held;
            }
        });
        if ended {
            cycles.send_modify(|n| *n += 1);
        }
        observe(event);
    };
    let result = runner.run(pace, control, &mut fold).await;
    waits.abort();
    if let Some(membership) = membership {
        membership.leave().await;
    }
    stopped.send_modify(|s| {
        s.phase = Phase::Stopped;
        s.next_cycle_due = None;
    });
    Ok(result?)
}

/// Reads the store's waits into the state at start and after every cycle: a wait is recorded
/// inside the cycle, and the loop's observer cannot wait on the store.
async fn refresh_waits(
    store: Arc<dyn Store>,
    state: Arc<watch::Sender<NodeState>>,
    mut cycles: watch::Receiver<u64>,
) {
    loop {
        match store.waits().await {
            Ok(waits) => state.send_modify(|s| s.set_waits(&waits)),
            Err(error) => tracing::debug!(error = %error, "reading the waits for the node's state failed"),
        }
        if cycles.changed().await.is_err() {
            return;
        }
    }
}

/// The GitHub client's settings, every value from `settings`.
fn github_config(settings: &Settings, token: &str) -> GitHubConfig {
    let scope = jobrunner_github::Scope {
        agent_logins: settings.agent_logins.clone(),
        scope_label: settings.scope_label.clone(),
        stop_labels: settings.stop_labels.clone(),
    };
    GitHubConfig::new(
        settings.api_url.clone(),
        token,
        settings.epic_label.clone(),
        scope,
        settings.mutation_gap,
    )
}

/// The embedded store of a standalone node.
async fn open_sqlite(settings: &Settings) -> Result<Arc<dyn Store>, NodeError> {
    let store = SqliteStore::open_exclusive(&settings.data_dir, &settings.node_id)
        .await
        .map_err(NodeError::StoreUnavailable)?;
    Ok(Arc::new(store))
}

/// The runner over GitHub (its source and forge sharing one client), the store and the journal.
fn runner(
    settings: &Settings,
    client: Arc<GitHubClient>,
    store: Arc<dyn Store>,
) -> Result<Runner, NodeError> {
    let cache = Arc::new(StoreCache::new(Arc::clone(&store)));
    let source: Arc<dyn JobSource> =
        Arc::new(GitHubSource::new(Arc::clone(&client), settings.repos.clone()).with_cache(cache));
    let forge: Arc<dyn Forge> = Arc::new(GitHubForge::new(client));
    let dispatcher = jobrunner_handlers::dispatcher(&settings.handlers, &settings.enabled_handlers)?;
    let journal = JournalWriter::new(&settings.journal_dir, settings.journal_fsync);
    if !settings.dry_run {
        // Found now, not after the first action, which would be performed but not journaled.
        journal.check_writable().map_err(NodeError::JournalNotWritable)?;
    }
    let config = RunnerConfig { node: settings.node_id.clone(), dry_run: settings.dry_run };
    Ok(Runner::new(vec![SourcePair::new(source, forge)], dispatcher, store, journal, config))
}
