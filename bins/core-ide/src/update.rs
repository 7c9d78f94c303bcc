//! `core-ide update`: the settings turned into an update configuration, the flow of
//! `jobrunner_updater` run, its result printed and mapped to the exit codes of docs/updates.md.

use std::process::ExitCode;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jobrunner_config::Settings;
use jobrunner_updater::{Downloader, InstallPrefix, UpdateConfig, UpdateSettings};

use crate::InputError;

/// `--check`'s exit code when an update is available.
const UPDATE_AVAILABLE: u8 = 10;

/// What was asked.
#[derive(Clone, Copy)]
pub(crate) enum Action {
    Check,
    Apply {
        allow_downgrade: bool,
    },
    /// `if_pending`: only an update that has not reported healthy.
    Rollback {
        if_pending: bool,
    },
}

pub(crate) fn run(settings: &Settings, action: Action) -> anyhow::Result<ExitCode> {
    let prefix = InstallPrefix::new(&settings.update_prefix);
    if let Action::Rollback { if_pending } = action {
        if if_pending && prefix.pending()?.is_none() {
            println!("nothing to roll back: no update awaits its health report");
            return Ok(ExitCode::SUCCESS);
        }
        let rolled = jobrunner_updater::rollback(&prefix)?;
        println!(
            "rolled back: current is {} again; {} is marked failed and will not be installed again",
            rolled.restored, rolled.failed
        );
        return Ok(ExitCode::SUCCESS);
    }
    let allow_downgrade = matches!(action, Action::Apply { allow_downgrade: true });
    let config = config(settings, &prefix, allow_downgrade)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let now = chrono::Utc::now();
    match action {
        Action::Check => {
            let plan = runtime.block_on(jobrunner_updater::check(&config, now))?;
            print!("{plan}");
            Ok(if plan.update_available() { ExitCode::from(UPDATE_AVAILABLE) } else { ExitCode::SUCCESS })
        }
        Action::Apply { .. } => {
            let (downloader, bar) = with_progress_bar(Downloader::new()?);
            let applied = runtime.block_on(jobrunner_updater::apply_with(&config, now, &downloader));
            bar.finish_and_clear();
            println!("{}", applied?);
            Ok(ExitCode::SUCCESS)
        }
        Action::Rollback { .. } => unreachable!("handled above"),
    }
}

/// `downloader` drawing the download on a progress bar: on stderr when it is a terminal, else
/// hidden (indicatif draws nothing off a terminal), so scripts and logs see only the result.
fn with_progress_bar(downloader: Downloader) -> (Downloader, ProgressBar) {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "downloading {bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec}",
        )
        .expect("the template is valid"),
    );
    let drawn = bar.clone();
    let downloader = downloader.on_progress(move |received, total| {
        drawn.set_length(total);
        drawn.set_position(received);
    });
    (downloader, bar)
}

/// The version this binary was built as.
pub(crate) fn compiled_version() -> semver::Version {
    env!("CARGO_PKG_VERSION").parse().expect("the package version is SemVer")
}

/// The update configuration of `settings`; a setting that cannot work is an [`InputError`]
/// (exit 2) naming its variable.
pub(crate) fn config(
    settings: &Settings,
    prefix: &InstallPrefix,
    allow_downgrade: bool,
) -> anyhow::Result<UpdateConfig> {
    let url = settings.update_url.as_deref().ok_or_else(|| {
        InputError(
            "no update manifest configured: set CORE_UPDATE_URL (or --update-url) to the signed manifest's URL"
                .to_owned(),
        )
    })?;
    let update = UpdateSettings {
        url,
        channel: &settings.update_channel,
        public_key: settings.update_public_key.as_deref(),
        prefix: prefix.root(),
        api_url: &settings.api_url,
        token: settings.github_token.as_ref().map(|(_, token)| token.expose()),
    };
    UpdateConfig::from_settings(&update, compiled_version(), allow_downgrade)
        .map_err(|e| InputError(e.to_string()).into())
}
