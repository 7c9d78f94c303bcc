//! Desktop mode: `--desktop`, or `mode = auto` with `DISPLAY` or `WAYLAND_DISPLAY` set. The
//! same node as headless, started paused (the poller is a developer's toggle), with the bridge
//! and panel, and (feature `desktop`) the tray icon and notifications of `jobrunner_desktop`.

use jobrunner_config::{Mode, Settings};

use crate::InputError;

/// How this run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Launch {
    Headless,
    Desktop,
}

/// The launch the settings and the display ask for. `--desktop` in a build without the
/// `desktop` feature is an [`InputError`] (exit 2) naming it; `auto` with a display runs
/// headless there. `--once` is one cycle, never a tray.
pub(crate) fn resolve(settings: &Settings, once: bool) -> anyhow::Result<Launch> {
    let display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if settings.mode.resolve(display) != Mode::Desktop || once {
        return Ok(Launch::Headless);
    }
    if cfg!(feature = "desktop") {
        return Ok(Launch::Desktop);
    }
    if settings.mode == Mode::Desktop {
        return Err(InputError(
            "desktop mode needs a core-ide built with the `desktop` feature: `cargo build --release -p core-ide \
             --features desktop`, or run it headless (--headless)"
                .to_owned(),
        )
        .into());
    }
    tracing::info!(
        "a display is set, but this core-ide is built without the `desktop` feature: running headless"
    );
    Ok(Launch::Headless)
}

/// The tray and notifications beside `node`; every problem is one log line, and the node runs
/// on with its panel.
#[cfg(feature = "desktop")]
pub(crate) async fn start(
    settings: &Settings,
    node: &jobrunner_node::NodeHandle,
    panel_url: Option<String>,
    updates: Option<jobrunner_desktop::UpdateHooks>,
) -> Option<jobrunner_desktop::Desktop> {
    let options = jobrunner_desktop::DesktopOptions {
        panel_url: panel_url.clone(),
        journal_dir: settings.journal_dir.clone(),
        updates,
    };
    match jobrunner_desktop::start(node.clone(), options).await {
        Ok(desktop) => {
            if let Some(missing) = desktop.without_tray() {
                tracing::warn!("{missing}");
            } else {
                tracing::info!(panel = panel_url, "desktop mode: tray icon shown, poller off until started");
            }
            Some(desktop)
        }
        Err(error) => {
            tracing::warn!("{error}");
            None
        }
    }
}

/// The tray's "Check for updates" and "Install update X.Y.Z": the manifest `core-ide update
/// --check` reads, and on the user's click the install and a restart into it.
#[cfg(all(feature = "desktop", feature = "self-update"))]
pub(crate) fn update_hooks(
    settings: &Settings,
    node: &jobrunner_node::NodeHandle,
    restart: &crate::self_update::RestartRequest,
) -> jobrunner_desktop::UpdateHooks {
    use std::sync::Arc;

    use jobrunner_desktop::UpdateCheck;
    use jobrunner_updater::{Applied, InstallPrefix};

    let prefix = InstallPrefix::new(&settings.update_prefix);
    let from_prefix = std::env::current_exe().ok().and_then(|exe| prefix.release_of(&exe)).is_some();
    // A setting that cannot work is said at each click, as `core-ide update --check` says it.
    let config = crate::update::config(settings, &prefix, false).map_err(|e| e.to_string());
    let checked = config.clone();
    let check: jobrunner_desktop::CheckUpdate = Arc::new(move || {
        let config = checked.clone();
        Box::pin(async move {
            let config = match config {
                Ok(config) => config,
                Err(why) => return UpdateCheck::Failed { why },
            };
            match jobrunner_updater::check(&config, chrono::Utc::now()).await {
                Ok(plan) => match &plan.action {
                    Ok(choice) => UpdateCheck::Available { version: choice.version.to_string() },
                    Err(_) => UpdateCheck::UpToDate { installed: plan.installed.to_string() },
                },
                Err(error) => UpdateCheck::Failed { why: error.to_string() },
            }
        })
    });
    let (node, restart, root) = (node.clone(), restart.clone(), prefix.root().to_path_buf());
    let install: jobrunner_desktop::InstallUpdate = Arc::new(move |version| {
        let (config, node, restart, root) = (config.clone(), node.clone(), restart.clone(), root.clone());
        Box::pin(async move {
            let config = config?;
            if !from_prefix {
                return Err(format!(
                    "this core-ide is not a release of the install prefix {}: install {version} with \
                     `core-ide update --apply` and run <prefix>/current/core-ide",
                    root.display()
                ));
            }
            match jobrunner_updater::apply(&config, chrono::Utc::now()).await {
                Ok(Applied::Installed(pending)) => {
                    tracing::info!(version = %pending.new, "update installed from the tray: restarting into it");
                    restart.ask(&node);
                    Ok(())
                }
                Ok(Applied::NothingToDo(why)) => Err(why.to_string()),
                Err(error) => Err(error.to_string()),
            }
        })
    });
    jobrunner_desktop::UpdateHooks { check, install }
}
