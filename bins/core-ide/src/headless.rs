//! `core-ide [--headless|--desktop] [--once]`: builds the node from the settings and runs it
//! until SIGTERM or SIGINT (or the tray's Quit), telling systemd how it goes. Desktop mode
//! (`desktop.rs`) is the same run, started paused, with the tray beside it.

use jobrunner_bridge::{Bridge, BridgeConfig, StatusChecks};
use jobrunner_config::Settings;
use jobrunner_core::FailureClass;
use jobrunner_node::{CycleEvent, Node, NodeHandle};
use jobrunner_runner::CycleError;
use sd_notify::NotifyState;

use crate::InputError;
use crate::desktop::Launch;

/// How a run ended.
pub(crate) enum Outcome {
    /// Stopped as asked (SIGTERM), or `--once` with a good cycle.
    Stopped,
    /// `--once` with a failed cycle.
    Failed,
    /// Stopped to run the release the install prefix's `current` now points at.
    #[cfg(feature = "self-update")]
    Restart(jobrunner_updater::InstallPrefix),
}

pub(crate) async fn run(settings: &Settings, once: bool, checks: StatusChecks) -> anyhow::Result<Outcome> {
    let launch = crate::desktop::resolve(settings, once)?;
    #[cfg(feature = "self-update")]
    let updates = match crate::self_update::at_start(settings)? {
        // A desktop checks on the user's click ("Check for updates"), and installs only on
        // another; the trial's health report runs all the same.
        crate::self_update::Start::Run(updates) if launch == Launch::Desktop => {
            Some(updates.without_schedule())
        }
        crate::self_update::Start::Run(updates) => (!once).then_some(updates),
        crate::self_update::Start::Restart(prefix) => return Ok(Outcome::Restart(prefix)),
    };
    // A desktop's poller is off until the developer starts it.
    let node = Node::from_settings(settings).await?.paused(launch == Launch::Desktop);
    let mut systemd = SystemdNotifier::default();
    if once {
        return Ok(run_once(node, systemd).await);
    }
    let signals = signal_handlers();
    let (handle, run) = node.run(move |event| systemd.observe(event));
    #[cfg(feature = "self-update")]
    let handle_for_updates = handle.clone();
    let bridge = match serve_bridge(settings, &handle, checks).await {
        Ok(bridge) => bridge,
        Err(error) => {
            handle.shutdown();
            let _ = run.finish().await;
            return Err(error);
        }
    };
    #[cfg(feature = "self-update")]
    let restart = crate::self_update::RestartRequest::default();
    #[cfg(feature = "desktop")]
    let desktop = match launch {
        Launch::Desktop => {
            #[cfg(feature = "self-update")]
            let hooks = Some(crate::desktop::update_hooks(settings, &handle, &restart));
            #[cfg(not(feature = "self-update"))]
            let hooks = None;
            let panel = bridge.as_ref().map(Bridge::panel_url);
            crate::desktop::start(settings, &handle, panel, hooks).await
        }
        Launch::Headless => None,
    };
    tokio::spawn(async move {
        wait_for_signal(signals).await;
        tracing::info!(
            grace_s = jobrunner_runner::SHUTDOWN_GRACE.as_secs(),
            "stopping after the current cycle"
        );
        handle.shutdown();
    });
    // Up: the store is open, the journal writable, SIGTERM handled. GitHub's answers are not
    // a condition of readiness: an outage or a refused token at boot would otherwise have the
    // unit killed by its start timeout; they are reported through STATUS instead. An update's
    // health gate is a separate report, with its own deadline (docs/updates.md).
    SystemdNotifier::ready();
    #[cfg(feature = "self-update")]
    let updates = updates.map(|updates| updates.spawn(handle_for_updates, restart.clone()));
    let result = run.finish().await;
    #[cfg(feature = "desktop")]
    if let Some(desktop) = desktop {
        desktop.shutdown().await;
    }
    if let Some(bridge) = bridge {
        bridge.shutdown().await;
    }
    #[cfg(feature = "self-update")]
    if let Some(updates) = updates {
        updates.abort();
    }
    SystemdNotifier::stopping();
    result?;
    #[cfg(feature = "self-update")]
    if restart.asked() {
        return Ok(Outcome::Restart(jobrunner_updater::InstallPrefix::new(&settings.update_prefix)));
    }
    Ok(Outcome::Stopped)
}

/// `--once`: one cycle, reported to systemd as a whole run (READY, the cycle, STOPPING).
async fn run_once(node: Node, mut systemd: SystemdNotifier) -> Outcome {
    SystemdNotifier::ready();
    let outcome = node.cycle().await;
    systemd.observe(match &outcome {
        Ok(report) => CycleEvent::Completed(report),
        Err(error) => CycleEvent::Failed(error),
    });
    SystemdNotifier::stopping();
    node.leave().await;
    if outcome.is_ok() { Outcome::Stopped } else { Outcome::Failed }
}

/// The MCP bridge (and the panel) beside the node, unless `--no-mcp`. A bridge that cannot be served (the port
/// taken, a non-loopback address without a token) stops the start: the operator asked for it.
async fn serve_bridge(
    settings: &Settings,
    node: &NodeHandle,
    checks: StatusChecks,
) -> anyhow::Result<Option<Bridge>> {
    if !settings.mcp {
        return Ok(None);
    }
    let config = BridgeConfig {
        bind: settings.mcp_bind,
        read_only: settings.mcp_read_only,
        token: settings.mcp_token.as_ref().map(|t| t.expose().to_owned()),
        checks: Some(checks),
    };
    let bridge = jobrunner_bridge::serve(config, node.clone(), settings.journal_dir.clone())
        .await
        .map_err(|e| InputError(e.to_string()))?;
    Ok(Some(bridge))
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
            CycleEvent::Waiting { .. } | CycleEvent::Starting => {}
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

/// A STATUS line for `systemctl status`: what the node is doing about an update.
#[cfg(feature = "self-update")]
pub(crate) fn status(line: &str) {
    notify(&[NotifyState::Status(line)]);
}

fn notify(states: &[NotifyState<'_>]) {
    if let Err(error) = sd_notify::notify(states) {
        tracing::warn!(error = %error, "systemd notification failed");
    }
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
