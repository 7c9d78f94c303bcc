//! The self-update part of [`Inputs`](crate::Inputs): the install prefix read from disk, and
//! the manifest fetched and verified as `core-ide update --check` does.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jobrunner_config::Settings;
use jobrunner_updater::{InstallPrefix, Installed, UpdateConfig, UpdateSettings};
use semver::Version;

use crate::inputs::{FailedVersion, InstalledVersions, ManifestState, UpdatesSnapshot};

/// How long fetching the manifest (and, for a `github:` source, the releases list) may take:
/// core-status must answer even when the update server does not.
const MANIFEST_LIMIT: Duration = Duration::from_secs(20);

/// The version of these binaries: core-status ships with the core-ide it describes, so it
/// stands for core-ide's while the prefix holds no release.
fn shipped_version() -> Version {
    env!("CARGO_PKG_VERSION").parse().expect("the package version is SemVer")
}

/// Reads the prefix and, with `update_url` set, the manifest at `now`.
pub(crate) async fn read(settings: &Settings, now: DateTime<Utc>) -> UpdatesSnapshot {
    let prefix = InstallPrefix::new(&settings.update_prefix);
    let installed = Installed::read(&prefix, &shipped_version()).map(versions).map_err(|e| e.to_string());
    let manifest = match settings.update_url.as_deref() {
        None => ManifestState::NotConfigured,
        Some(url) => offer(settings, url, now).await,
    };
    UpdatesSnapshot { prefix: settings.update_prefix.clone(), installed, manifest }
}

fn versions(here: Installed) -> InstalledVersions {
    InstalledVersions {
        installed: here.installed.to_string(),
        in_prefix: here.in_prefix,
        previous: here.previous.map(|v| v.to_string()),
        on_trial: here.pending.map(|p| p.new.to_string()),
        failed: here
            .failures
            .into_iter()
            .map(|(version, why)| FailedVersion { version: version.to_string(), why })
            .collect(),
    }
}

async fn offer(settings: &Settings, url: &str, now: DateTime<Utc>) -> ManifestState {
    let update = UpdateSettings {
        url,
        channel: &settings.update_channel,
        public_key: settings.update_public_key.as_deref(),
        prefix: &settings.update_prefix,
        api_url: &settings.api_url,
        token: settings.github_token.as_ref().map(|(_, token)| token.expose()),
    };
    let config = match UpdateConfig::from_settings(&update, shipped_version(), false) {
        Ok(config) => config,
        Err(error) => return ManifestState::Unusable(error.to_string()),
    };
    match tokio::time::timeout(MANIFEST_LIMIT, jobrunner_updater::check(&config, now)).await {
        Err(_) => ManifestState::Unusable(format!(
            "the update server did not answer within {} s",
            MANIFEST_LIMIT.as_secs()
        )),
        Ok(Err(error)) => ManifestState::Unusable(error.to_string()),
        Ok(Ok(plan)) => ManifestState::Read {
            available: plan.available.map(|v| v.to_string()),
            would_install: plan.action.as_ref().ok().map(|choice| choice.version.to_string()),
            why_not: plan.action.err().map(|why| why.to_string()),
        },
    }
}
