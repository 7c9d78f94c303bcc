//! The running node's self-update (feature `self-update`): the health gate at start, the
//! trial's health report, the check at start and every `update_interval`, and the restart
//! into the release installed. The steps are `jobrunner_updater`'s; this wires them to the
//! node's handle, systemd's STATUS line and `exec`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jobrunner_config::Settings;
use jobrunner_node::{CycleVerdict, NodeHandle, NodeState};
use jobrunner_updater::{Applied, InstallPrefix, Pending, StartGate, UpdateConfig};
use semver::Version;

use crate::headless::status;

/// What the start found.
pub(crate) enum Start {
    /// Run the node; the updates' task goes beside it.
    Run(Box<Updates>),
    /// The update on trial was rolled back before anything started: run the restored release.
    Restart(InstallPrefix),
}

/// The node's updates: its trial, if it is one, and the schedule.
pub(crate) struct Updates {
    prefix: InstallPrefix,
    running: Version,
    /// This binary is an update on its first start, to be confirmed or failed.
    trial: Option<Pending>,
    /// The schedule's configuration; `None` without `update_url` (an update by hand still
    /// goes through the trial).
    config: Option<UpdateConfig>,
    /// The running binary is one of the prefix's releases: the schedule may install and
    /// restart. Otherwise it only says what is available.
    from_prefix: bool,
    interval: Duration,
    deadline: Duration,
    /// The repositories configured: a healthy cycle reached GitHub for one of them at least.
    repos: usize,
}

/// Set when the node stops to run the release `current` points at.
#[derive(Clone, Default)]
pub(crate) struct RestartRequest(Arc<AtomicBool>);

impl RestartRequest {
    /// Stops the node to run the release `current` points at.
    pub(crate) fn ask(&self, node: &NodeHandle) {
        self.0.store(true, Ordering::SeqCst);
        node.shutdown();
    }

    /// Whether the node stopped to restart.
    pub(crate) fn asked(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The health gate, first thing at start: which release this binary is, whether it is an
/// update on trial, and the rollback when it is on its second start without a health report.
/// A prefix that cannot be read is logged and leaves the node running without updates'
/// trial: an unreadable prefix must not keep a node from polling.
pub(crate) fn at_start(settings: &Settings) -> anyhow::Result<Start> {
    let prefix = InstallPrefix::new(&settings.update_prefix);
    let from_prefix = std::env::current_exe().ok().and_then(|exe| prefix.release_of(&exe)).is_some();
    let running = prefix.running_version(crate::update::compiled_version());
    let trial = match prefix.start_gate(&running) {
        Ok(StartGate::Settled) => None,
        Ok(StartGate::OnTrial(pending)) => {
            tracing::info!(
                version = %pending.new,
                deadline_s = settings.update_health_deadline.as_secs(),
                "this release is an update on trial: it confirms once healthy"
            );
            status(&format!("update {} on trial", pending.new));
            Some(pending)
        }
        Ok(StartGate::NoWayBack(pending)) => {
            tracing::warn!(
                version = %pending.new,
                "this update started before without reporting healthy, and there is no earlier release to go back to: running it on trial again"
            );
            Some(pending)
        }
        Ok(StartGate::RolledBack(rolled)) => {
            tracing::error!(failed = %rolled.failed, restored = %rolled.restored, "{rolled}");
            status(&format!("update {} rolled back to {}", rolled.failed, rolled.restored));
            return Ok(Start::Restart(prefix));
        }
        Err(error) => {
            tracing::warn!(error = %error, "cannot read the install prefix: no update health gate on this start");
            None
        }
    };
    let config = match &settings.update_url {
        Some(_) => Some(crate::update::config(settings, &prefix, false)?),
        None => None,
    };
    Ok(Start::Run(Box::new(Updates {
        prefix,
        running,
        trial,
        config,
        from_prefix,
        interval: settings.update_interval,
        deadline: settings.update_health_deadline,
        repos: settings.repos.len(),
    })))
}

impl Updates {
    /// Only the trial's health report: no check on the schedule (a desktop checks when the
    /// user asks, and installs only when they confirm).
    pub(crate) fn without_schedule(mut self: Box<Self>) -> Box<Self> {
        self.config = None;
        self
    }

    /// Runs the trial's report, then the schedule, beside the node; asks `restart` when the
    /// node should stop to run another release.
    pub(crate) fn spawn(self, node: NodeHandle, restart: RestartRequest) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            if self.trial.is_some() && !self.report_health(&node).await {
                restart.ask(&node);
                return;
            }
            if self.config.is_some() {
                self.schedule(&node, &restart).await;
            }
        })
    }

    /// Waits for the trial's health (the store and bridge are up by now: the first cycle
    /// completing says the token works) and confirms it; `false` when the deadline passed and
    /// the update was rolled back, so the restored release must run.
    async fn report_health(&self, node: &NodeHandle) -> bool {
        let version = &self.running;
        let healthy = |state: &NodeState| healthy(state, self.repos);
        match tokio::time::timeout(self.deadline, node.wait_for(healthy)).await {
            Ok(Some(_)) => {
                match self.prefix.confirm_healthy() {
                    Ok(()) => {
                        tracing::info!(version = %version, "the update reported healthy: confirmed");
                        status(&format!("update {version} confirmed healthy"));
                    }
                    Err(error) => tracing::error!(error = %error, "cannot confirm the update healthy"),
                }
                true
            }
            // Stopped before its report: the next start finds the trial started, and rolls back.
            Ok(None) => true,
            Err(_) => {
                let why = format!(
                    "no health report within {}: no cycle reached GitHub",
                    humantime::format_duration(self.deadline)
                );
                match self.prefix.fail_trial(&why) {
                    Ok(Some(rolled)) => {
                        tracing::error!(failed = %rolled.failed, restored = %rolled.restored, why, "{rolled}");
                        status(&format!("update {} rolled back to {}", rolled.failed, rolled.restored));
                        false
                    }
                    Ok(None) => true,
                    Err(error) => {
                        tracing::error!(error = %error, why, "the update is unhealthy and cannot be rolled back");
                        true
                    }
                }
            }
        }
    }

    /// The check once the first cycle has ended, then every `update_interval`: an update found
    /// is installed and the node restarted into it.
    async fn schedule(&self, node: &NodeHandle, restart: &RestartRequest) {
        let Some(config) = &self.config else { return };
        // Between cycles, not racing the first one.
        if node.wait_for(|s| s.cycles_run >= 1).await.is_none() {
            return;
        }
        loop {
            if self.check_and_apply(config).await {
                restart.ask(node);
                return;
            }
            tokio::time::sleep(self.interval).await;
        }
    }

    /// `true` when an update was installed and the node should restart into it.
    async fn check_and_apply(&self, config: &UpdateConfig) -> bool {
        let now = chrono::Utc::now();
        let plan = match jobrunner_updater::check(config, now).await {
            Ok(plan) => plan,
            Err(error) => {
                tracing::warn!(error = %error, "update check failed: trying again at the next interval");
                return false;
            }
        };
        let Ok(choice) = &plan.action else {
            if let Err(why) = &plan.action {
                tracing::info!(installed = %plan.installed, channel = %plan.channel, "no update to install: {why}");
            }
            return false;
        };
        if !self.from_prefix {
            tracing::warn!(
                available = %choice.version,
                prefix = %self.prefix.root().display(),
                "an update is available, but this binary is not a release of the install prefix: \
                 install it with `core-ide update --apply` and run <prefix>/current/core-ide"
            );
            return false;
        }
        tracing::info!(version = %choice.version, "installing the update");
        status(&format!("installing update {}", choice.version));
        match jobrunner_updater::apply(config, now).await {
            Ok(Applied::Installed(pending)) => {
                tracing::info!(version = %pending.new, "update installed: restarting into it");
                status(&format!("update {} installed: restarting", pending.new));
                true
            }
            Ok(Applied::NothingToDo(why)) => {
                tracing::info!("no update to install: {why}");
                false
            }
            Err(error) => {
                tracing::error!(error = %error, "update failed: still on the installed release");
                status("update failed: still on the installed release");
                false
            }
        }
    }
}

/// Healthy: the latest cycle completed and GitHub answered for at least one of the `repos`
/// (the token accepted, the store written; a cycle skipping every repository for GitHub's
/// errors completes too, and proves nothing), or the poller is off (a desktop node): the store
/// and the bridge are all it can show.
fn healthy(state: &NodeState, repos: usize) -> bool {
    let completed = state.last_cycle().is_some_and(|c| matches!(c.verdict, CycleVerdict::Completed { .. }));
    state.paused || (completed && (repos == 0 || state.unhealthy().count() < repos))
}

/// Replaces this process with the release `current` points at, with the same arguments and
/// environment (so systemd sees the same main PID). Returns only on failure.
pub(crate) fn restart_into(prefix: &InstallPrefix) -> anyhow::Error {
    use std::os::unix::process::CommandExt as _;
    let binary = prefix.current_binary();
    tracing::info!(binary = %binary.display(), "restarting into the installed release");
    let error = std::process::Command::new(&binary).args(std::env::args_os().skip(1)).exec();
    anyhow::anyhow!("cannot restart into {}: {error}; start it by hand", binary.display())
}
