//! `core-ide [--headless] [--once]`: wires the GitHub adapter, the store, the journal and the
//! runner from the settings, and runs cycles until SIGTERM or SIGINT.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jobrunner_config::{Mode, Settings};
use jobrunner_core::{FailureClass, Forge, JobSource, RepoSlug};
use jobrunner_github::{GitHubClient, GitHubConfig, GitHubForge, GitHubSource};
use jobrunner_journal::JournalWriter;
use jobrunner_runner::{Command, Controller, CycleError, CycleEvent, Pace, Runner, RunnerConfig, StoreCache};
use jobrunner_store::{SqliteStore, Store};
use sd_notify::NotifyState;

use crate::InputError;
use crate::fleet::Membership;

/// Idle back-off: after this many cycles without change the interval grows to five minutes.
const IDLE_CYCLES_BEFORE_BACKOFF: u32 = 3;
const IDLE_INTERVAL: Duration = Duration::from_secs(300);

pub(crate) async fn run(settings: &Settings, once: bool) -> anyhow::Result<bool> {
    let display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if settings.mode.resolve(display) == Mode::Desktop {
        tracing::warn!("the desktop tray app is not built yet: running headless");
    }
    let (runner, membership) = wire(settings).await?;
    let mut systemd = SystemdNotifier::default();
    if once {
        SystemdNotifier::ready();
        let outcome = runner.cycle().await;
        systemd.observe(match &outcome {
            Ok(report) => CycleEvent::Completed(report),
            Err(error) => CycleEvent::Failed(error),
        });
        SystemdNotifier::stopping();
        if let Some(membership) = membership {
            membership.leave().await;
        }
        return Ok(outcome.is_ok());
    }
    let (controller, control) = Controller::new(false);
    let signals = signal_handlers();
    tokio::spawn(async move {
        wait_for_signal(signals).await;
        tracing::info!(
            grace_s = jobrunner_runner::SHUTDOWN_GRACE.as_secs(),
            "stopping after the current cycle"
        );
        controller.send(Command::Shutdown);
    });
    // Up: the store is open, the journal writable, SIGTERM handled. GitHub's answers are not
    // a condition of readiness: an outage or a refused token at boot would otherwise have the
    // unit killed by its start timeout; they are reported through STATUS instead.
    SystemdNotifier::ready();
    // A fleet node idling longer than half its lease TTL would lose its repositories between
    // two cycles, and the fleet would hand them round every cycle.
    let idle = if membership.is_some() { IDLE_INTERVAL.min(settings.lease_ttl / 2) } else { IDLE_INTERVAL };
    let pace = Pace::new(settings.poll_interval, idle, IDLE_CYCLES_BEFORE_BACKOFF);
    let result = runner.run(pace, control, &mut |event| systemd.observe(event)).await;
    SystemdNotifier::stopping();
    if let Some(membership) = membership {
        membership.leave().await;
    }
    result?;
    Ok(true)
}

/// Tells systemd (when `NOTIFY_SOCKET` is set) READY once the node is up, WATCHDOG after every
/// cycle that ran (good or failed: the loop is alive) and every attempt while the database is
/// gone, a STATUS line while GitHub or the database is in trouble (cleared by the next good
/// cycle), STOPPING on the way out; logs every cycle.
#[derive(Default)]
struct SystemdNotifier {
    /// A STATUS line about trouble is showing.
    trouble_status: bool,
}

impl SystemdNotifier {
    fn ready() {
        notify(&[NotifyState::Ready, NotifyState::Status("up: polling")]);
    }

    fn observe(&mut self, event: CycleEvent<'_>) {
        match event {
            CycleEvent::Waiting { .. } => {}
            CycleEvent::Completed(report) => {
                tracing::info!(
                    cycle = report.cycle,
                    signals = report.signals,
                    actions = report.performed(),
                    "cycle done"
                );
                let mut states = vec![NotifyState::Watchdog];
                if std::mem::replace(&mut self.trouble_status, false) {
                    states.push(NotifyState::Status("polling"));
                }
                notify(&states);
            }
            CycleEvent::Failed(error) => {
                // Which setting holds the token is the binary's to say, not the runner's.
                let fix = matches!(error, CycleError::Auth { .. })
                    .then_some("set CORE_GITHUB_TOKEN (or GITHUB_TOKEN)");
                tracing::error!(error = %error, fix, "cycle failed");
                // The class only: structural, never a token or forge text.
                let status = match error {
                    CycleError::Auth { .. } => refused_token(),
                    CycleError::Poll { error, .. } if error.class == FailureClass::Auth => refused_token(),
                    CycleError::Poll { error, .. } => {
                        format!("GitHub trouble ({}): not acting, retrying", error.class)
                    }
                    CycleError::Store(_) | CycleError::Journal(_) => {
                        "state or journal failed: stopping".to_owned()
                    }
                };
                self.trouble_status = true;
                notify(&[NotifyState::Watchdog, NotifyState::Status(&status)]);
            }
            CycleEvent::StoreLost { error, down_for, retry_in } => {
                let (down_for_s, retry_in_ms) = (down_for.as_secs(), retry_in.as_millis());
                let message = "state database unreachable: not polling or acting until it answers";
                if down_for.is_zero() {
                    tracing::error!(error = %error, retry_in_ms, "{message}");
                } else {
                    tracing::warn!(error = %error, down_for_s, retry_in_ms, "{message}");
                }
                // Failing closed is the loop working as meant: keep the watchdog fed, and
                // say why on `systemctl status`.
                self.trouble_status = true;
                notify(&[NotifyState::Watchdog, NotifyState::Status("database unreachable: not acting")]);
            }
        }
    }

    fn stopping() {
        notify(&[NotifyState::Stopping]);
    }
}

fn refused_token() -> String {
    "GitHub refuses the token: not acting; fix CORE_GITHUB_TOKEN".to_owned()
}

fn notify(states: &[NotifyState<'_>]) {
    if let Err(error) = sd_notify::notify(states) {
        tracing::warn!(error = %error, "systemd notification failed");
    }
}

async fn wire(settings: &Settings) -> anyhow::Result<(Runner, Option<Membership>)> {
    let Some((_, token)) = &settings.github_token else {
        return Err(InputError(
            "no GitHub token: export CORE_GITHUB_TOKEN (or GITHUB_TOKEN), e.g. in the systemd unit's EnvironmentFile".into(),
        )
        .into());
    };
    if settings.repos.is_empty() {
        return Err(
            InputError("no repositories to poll: set --repos owner/name,... or CORE_REPOS".into()).into()
        );
    }
    let github = GitHubConfig::new(
        settings.api_url.clone(),
        token.expose(),
        settings.epic_label.clone(),
        scope_of(settings),
        settings.mutation_gap,
    );
    let target = Target {
        github,
        repos: settings.repos.clone(),
        data_dir: &settings.data_dir,
        journal_dir: &settings.journal_dir,
    };
    let (store, membership): (Arc<dyn Store>, _) = match &settings.database_url {
        Some(url) => {
            let (store, membership) = Membership::join(settings, url.expose()).await?;
            (store, Some(membership))
        }
        None => (open_sqlite(settings, target.data_dir).await?, None),
    };
    let mut runner = build_runner(settings, target, store).await?;
    if let Some(membership) = &membership {
        runner = runner.with_work_split(membership.leases(settings.repos.clone(), settings.lease_ttl));
    }
    Ok((runner, membership))
}

/// The embedded store of a standalone node.
pub(crate) async fn open_sqlite(settings: &Settings, data_dir: &Path) -> anyhow::Result<Arc<dyn Store>> {
    let store = SqliteStore::open_exclusive(data_dir, &settings.node_id)
        .await
        .map_err(|e| InputError(e.to_string()))?;
    Ok(Arc::new(store))
}

/// Where a runner acts and keeps its state: the one thing `core-ide` and `core-ide demo`
/// wire differently.
pub(crate) struct Target<'a> {
    pub(crate) github: GitHubConfig,
    pub(crate) repos: Vec<RepoSlug>,
    pub(crate) data_dir: &'a Path,
    pub(crate) journal_dir: &'a Path,
}

/// The runner over GitHub (or the simulator), a store and the journal.
pub(crate) async fn build_runner(
    settings: &Settings,
    target: Target<'_>,
    store: Arc<dyn Store>,
) -> anyhow::Result<Runner> {
    let client = Arc::new(GitHubClient::new(target.github).map_err(|e| InputError(e.to_string()))?);
    let cache = Arc::new(StoreCache::new(Arc::clone(&store)));
    let source: Arc<dyn JobSource> =
        Arc::new(GitHubSource::new(Arc::clone(&client), target.repos).with_cache(cache));
    let forge: Arc<dyn Forge> = Arc::new(GitHubForge::new(client));
    let dispatcher = jobrunner_handlers::dispatcher(&settings.handlers, &settings.enabled_handlers)?;
    let journal = JournalWriter::new(target.journal_dir, settings.journal_fsync);
    if !settings.dry_run {
        // Found now, not after the first action, which would be performed but not journaled.
        journal.check_writable().map_err(|e| InputError(e.to_string()))?;
    }
    let config = RunnerConfig { node: settings.node_id.clone(), dry_run: settings.dry_run };
    Ok(Runner::new(vec![source], dispatcher, forge, store, journal, config))
}

/// SIGTERM's handler, installed before READY so that a stop right after it is handled.
fn signal_handlers() -> tokio::signal::unix::Signal {
    use tokio::signal::unix::{SignalKind, signal};
    signal(SignalKind::terminate()).expect("SIGTERM handler installs")
}

async fn wait_for_signal(mut term: tokio::signal::unix::Signal) {
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// JSON logs to stdout for journald and log shippers; `RUST_LOG` filters (default `info`).
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stdout).try_init();
}

/// The PRs the GitHub source puts in scope besides epic children, and the stop labels.
pub(crate) fn scope_of(settings: &Settings) -> jobrunner_github::Scope {
    jobrunner_github::Scope {
        agent_logins: settings.agent_logins.clone(),
        scope_label: settings.scope_label.clone(),
        stop_labels: settings.stop_labels.clone(),
    }
}
