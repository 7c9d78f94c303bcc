//! A simulator, the adapter on it, and the real dispatcher: one cycle is poll, plan, perform,
//! report — what the runner will do, without its store.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jobrunner_core::{
    ActionKey, ActionResult, CacheError, Dispatcher, ForgeError, JobSource, PipelineSignal, RepoSlug,
    SourceCache,
};
use jobrunner_github::{GitHubClient, GitHubConfig, GitHubForge, GitHubSource, Scope};
use jobrunner_github_sim::{GitHubSim, SimHandle, SimState};
use jobrunner_handlers::{HANDLER_NAMES, HandlerSettings, dispatcher};

pub(crate) const REPO: &str = "octo/app";

pub(crate) struct World {
    pub(crate) sim: SimHandle,
    pub(crate) source: GitHubSource,
    pub(crate) forge: GitHubForge,
    pub(crate) dispatcher: Dispatcher,
    /// Keys already performed: the runner's idempotency ledger, in memory.
    performed: Mutex<HashSet<ActionKey>>,
}

/// Test timings: no pacing between mutations, short deadlines, short inline waits.
pub(crate) fn test_config(api_url: String) -> GitHubConfig {
    let mut config = GitHubConfig::new(api_url, "sim-token", "epic", Scope::default(), Duration::ZERO);
    config.request_timeout = Duration::from_millis(500);
    config.max_inline_wait = Duration::from_secs(2);
    // These scenarios pin the adapter, not the scope: the simulator's PRs are by its human,
    // counted here as the agent. `scope.rs` pins the default scope.
    config.scope.agent_logins = vec![jobrunner_github_sim::HUMAN_LOGIN.to_owned()];
    config
}

impl World {
    pub(crate) async fn start(state: SimState) -> Self {
        Self::start_with(state, |_| {}).await
    }

    pub(crate) async fn start_with(state: SimState, tune: impl FnOnce(&mut GitHubConfig)) -> Self {
        Self::start_full(state, tune, None).await
    }

    /// A world whose source keeps its state in `cache`.
    pub(crate) async fn start_cached(state: SimState, cache: Arc<MemoryCache>) -> Self {
        Self::start_full(state, |_| {}, Some(cache)).await
    }

    /// A new source on the same simulator and cache: the node after a restart.
    pub(crate) fn restarted_source(&self, cache: Arc<MemoryCache>) -> GitHubSource {
        let repos = self.sim.with_state(|s| {
            s.repos().iter().map(|r| RepoSlug::parse(&r.full_name()).expect("valid")).collect::<Vec<_>>()
        });
        let client = Arc::new(GitHubClient::new(test_config(self.sim.base_url())).expect("client builds"));
        GitHubSource::new(client, repos).with_cache(cache)
    }

    /// A world whose source is configured with `repos`, which need not be the simulator's
    /// (a renamed, missing or forbidden one).
    pub(crate) async fn start_repos(state: SimState, repos: &[&str]) -> Self {
        let repos = repos.iter().map(|r| RepoSlug::parse(r).expect("valid test repo names")).collect();
        Self::start_configured(state, repos, |_| {}, None).await
    }

    async fn start_full(
        state: SimState,
        tune: impl FnOnce(&mut GitHubConfig),
        cache: Option<Arc<MemoryCache>>,
    ) -> Self {
        let repos: Vec<RepoSlug> = state
            .repos()
            .iter()
            .map(|r| RepoSlug::parse(&r.full_name()).expect("sim repo names are valid"))
            .collect();
        Self::start_configured(state, repos, tune, cache).await
    }

    async fn start_configured(
        state: SimState,
        repos: Vec<RepoSlug>,
        tune: impl FnOnce(&mut GitHubConfig),
        cache: Option<Arc<MemoryCache>>,
    ) -> Self {
        let sim = GitHubSim::start(state).await.expect("simulator starts on loopback");
        let mut config = test_config(sim.base_url());
        tune(&mut config);
        let client = Arc::new(GitHubClient::new(config).expect("client builds"));
        let mut source = GitHubSource::new(Arc::clone(&client), repos);
        if let Some(cache) = cache {
            source = source.with_cache(cache);
        }
        let forge = GitHubForge::new(client);
        let dispatcher = dispatcher(&HandlerSettings::default(), &HANDLER_NAMES).expect("all handlers");
        Self { sim, source, forge, dispatcher, performed: Mutex::default() }
    }

    pub(crate) async fn poll(&self) -> Vec<PipelineSignal> {
        self.source.poll().await.expect("poll succeeds")
    }

    /// One cycle; returns the actions performed, as (PR, handler, success).
    pub(crate) async fn cycle(&self) -> Vec<(u64, &'static str, bool)> {
        let signals = self.poll().await;
        self.act_on(&signals).await.into_iter().map(|r| (r.key.pr, r.action, r.success)).collect()
    }

    pub(crate) async fn act_on(&self, signals: &[PipelineSignal]) -> Vec<ActionResult> {
        let mut results = Vec::new();
        // As the runner does: performed keys are passed over before one action per PR counts.
        let performed = self.performed.lock().unwrap().clone();
        let plan = self.dispatcher.plan_skipping(signals, &|key: &ActionKey| performed.contains(key));
        for (signal, decision) in signals.iter().zip(plan) {
            if std::env::var_os("WORLD_DEBUG").is_some() {
                eprintln!("#{} {:?}: {}", signal.pr_number, decision.action, decision.reason);
            }
            let Some(key) = decision.key.clone() else { continue };
            if !self.performed.lock().unwrap().insert(key) {
                continue;
            }
            if let Some(result) = self.dispatcher.perform(&decision, signal, &self.forge).await {
                // As the runner does: a retryable failure (a conflict, a 5xx) releases the key.
                if result.error.as_ref().is_some_and(|e| e.class.is_retryable()) {
                    self.performed.lock().unwrap().remove(&result.key);
                }
                self.source.report(signal, &result).await.expect("report");
                results.push(result);
            }
        }
        results
    }

    /// Exactly `cycles` cycles, returning every action.
    pub(crate) async fn run(&self, cycles: usize) -> Vec<(u64, &'static str, bool)> {
        let mut all = Vec::new();
        for _ in 0..cycles {
            all.extend(self.cycle().await);
        }
        all
    }

    /// Cycles until one performs nothing (at most `limit`), returning every action.
    pub(crate) async fn settle(&self, limit: usize) -> Vec<(u64, &'static str, bool)> {
        let mut all = Vec::new();
        for _ in 0..limit {
            let actions = self.cycle().await;
            if actions.is_empty() {
                return all;
            }
            all.extend(actions);
        }
        panic!("still acting after {limit} cycles: {all:?}");
    }

    /// The poll's failure: the poll's own error, or the class a repository's failure left it
    /// unhealthy with (a repository's errors no longer fail the others' poll).
    pub(crate) async fn poll_error(&self) -> ForgeError {
        if let Err(error) = self.source.poll().await {
            return error;
        }
        let (repo, unhealthy) =
            self.source.unhealthy().into_iter().next().expect("the poll fails or a repository is unhealthy");
        ForgeError::new("poll", unhealthy.class, format!("{repo} unhealthy"))
    }
}

pub(crate) fn signal_for(signals: &[PipelineSignal], pr: u64) -> &PipelineSignal {
    signals.iter().find(|s| s.pr_number == pr).unwrap_or_else(|| panic!("no signal for PR {pr}"))
}

/// The commands posted on `pr`: each comment's first line, without the key marker below it.
pub(crate) fn commands(state: &jobrunner_github_sim::SimState, pr: u64) -> Vec<String> {
    state.comments(REPO, pr).iter().map(|c| c.lines().next().unwrap_or_default().to_owned()).collect()
}

/// A [`SourceCache`] in memory, standing in for the store.
#[derive(Default)]
pub(crate) struct MemoryCache {
    values: Mutex<std::collections::BTreeMap<String, String>>,
}

impl MemoryCache {
    /// Everything saved, as one text.
    pub(crate) fn contents(&self) -> String {
        self.values.lock().unwrap().iter().flat_map(|(k, v)| [k.as_str(), "=", v.as_str(), "\n"]).collect()
    }
}

#[async_trait::async_trait]
impl SourceCache for MemoryCache {
    async fn load(&self, key: &str) -> Result<Option<String>, CacheError> {
        Ok(self.values.lock().unwrap().get(key).cloned())
    }

    async fn save(&self, key: &str, value: &str) -> Result<(), CacheError> {
        self.values.lock().unwrap().insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}
