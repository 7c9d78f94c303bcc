//! `core-ide update`: the settings turned into an update configuration, the flow of
//! `jobrunner_updater` run, its result printed and mapped to the exit codes of docs/updates.md.

use std::process::ExitCode;

use anyhow::Context as _;
use jobrunner_config::Settings;
use jobrunner_updater::{Channel, InstallPrefix, ReleaseKey, TARGET, UpdateConfig};

use crate::InputError;

/// `--check`'s exit code when an update is available.
const UPDATE_AVAILABLE: u8 = 10;

/// What was asked.
#[derive(Clone, Copy)]
pub(crate) enum Action {
    Check,
    Apply { allow_downgrade: bool },
    Rollback,
}

pub(crate) fn run(settings: &Settings, action: Action) -> anyhow::Result<ExitCode> {
    let prefix = InstallPrefix::new(&settings.update_prefix);
    if let Action::Rollback = action {
        let rolled = jobrunner_updater::rollback(&prefix)?;
        println!(
            "rolled back: current is {} again; {} is marked failed and will not be installed again",
            rolled.restored, rolled.failed
        );
        return Ok(ExitCode::SUCCESS);
    }
    let allow_downgrade = matches!(action, Action::Apply { allow_downgrade: true });
    let config = config(settings, prefix, allow_downgrade)?;
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
            let applied = runtime.block_on(jobrunner_updater::apply(&config, now))?;
            println!("{applied}");
            Ok(ExitCode::SUCCESS)
        }
        Action::Rollback => unreachable!("handled above"),
    }
}

/// The update configuration of `settings`; a setting that cannot work is an [`InputError`]
/// (exit 2) naming its variable.
fn config(settings: &Settings, prefix: InstallPrefix, allow_downgrade: bool) -> anyhow::Result<UpdateConfig> {
    let url = settings.update_url.as_deref().ok_or_else(|| {
        InputError(
            "no update manifest configured: set CORE_UPDATE_URL (or --update-url) to the signed manifest's URL"
                .to_owned(),
        )
    })?;
    let manifest_url = url::Url::parse(url)
        .map_err(|e| InputError(format!("update_url {url:?} is not a URL ({e}): fix CORE_UPDATE_URL")))?;
    let channel: Channel = settings
        .update_channel
        .parse()
        .map_err(|e: jobrunner_updater::UnknownChannel| InputError(format!("{e} (CORE_UPDATE_CHANNEL)")))?;
    let key = match &settings.update_public_key {
        Some(key) => ReleaseKey::from_base64(key),
        None => ReleaseKey::compiled_in(),
    }
    .map_err(|e| InputError(format!("{e} (CORE_UPDATE_PUBLIC_KEY)")))?;
    Ok(UpdateConfig {
        manifest_url,
        channel,
        key,
        prefix,
        running: env!("CARGO_PKG_VERSION").parse().expect("the package version is SemVer"),
        target: TARGET.to_owned(),
        allow_downgrade,
    })
}
