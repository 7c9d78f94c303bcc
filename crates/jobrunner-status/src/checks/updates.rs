//! Self-update (docs/updates.md): whether the node can update itself as configured, and what
//! waits: a newer release, an update on trial, versions that failed their health gate.

use crate::check::{Category, Check, CheckResult};
use crate::inputs::{Inputs, InstalledVersions, ManifestState};

const C: Category = Category::Updates;

/// A newer release is on offer.
pub const AVAILABLE: Check = Check::info("updates.I001", C);
/// An update was switched to and has not reported healthy.
pub const ON_TRIAL: Check = Check::warn("updates.W001", C);
/// Versions failed their health gate here.
pub const FAILED_VERSIONS: Check = Check::warn("updates.W002", C);
/// The unit runs a binary outside the install prefix: installed updates never run.
pub const UNIT_BYPASSES_PREFIX: Check = Check::warn("updates.W003", C);
/// The install prefix cannot be read.
pub const PREFIX_UNREADABLE: Check = Check::warn("updates.W004", C);
/// The manifest cannot be fetched or trusted, or the update settings cannot work.
pub const MANIFEST_UNUSABLE: Check = Check::error("updates.E001", C);

/// Every check of this category.
pub const CHECKS: &[Check] =
    &[MANIFEST_UNUSABLE, ON_TRIAL, FAILED_VERSIONS, UNIT_BYPASSES_PREFIX, PREFIX_UNREADABLE, AVAILABLE];

/// Runs the update checks.
#[must_use]
pub fn run(inputs: &Inputs) -> Vec<CheckResult> {
    let updates = &inputs.updates;
    let prefix = updates.prefix.display();
    let mut results = Vec::new();
    if let ManifestState::Unusable(why) = &updates.manifest {
        results.push(MANIFEST_UNUSABLE.result(
            format!("the node cannot update itself: {why}"),
            "fix CORE_UPDATE_URL, CORE_UPDATE_CHANNEL or CORE_UPDATE_PUBLIC_KEY as the message says, \
             then `core-ide update --check`; unset CORE_UPDATE_URL to update by package instead",
        ));
    }
    match &updates.installed {
        Err(why) => results.push(PREFIX_UNREADABLE.result(
            format!("the install prefix {prefix} cannot be read: {why}"),
            "give the service's user access to it, or set CORE_UPDATE_PREFIX to the prefix it installs into",
        )),
        Ok(versions) => results.extend(prefix_findings(versions, &prefix.to_string())),
    }
    results.extend(unit_bypasses_prefix(inputs));
    if let ManifestState::Read { would_install: Some(version), .. } = &updates.manifest {
        let installed = updates.installed.as_ref().map_or("this build", |v| v.installed.as_str());
        results.push(AVAILABLE.result(
            format!(
                "update {version} is available on the {} channel (installed: {installed})",
                channel(inputs)
            ),
            "a headless node installs it at its next check (every CORE_UPDATE_INTERVAL); \
             `core-ide update --apply` installs it now",
        ));
    }
    if results.is_empty() {
        results.push(C.ok(ok_message(inputs)));
    }
    results
}

fn prefix_findings(versions: &InstalledVersions, prefix: &str) -> Vec<CheckResult> {
    let mut results = Vec::new();
    if let Some(version) = &versions.on_trial {
        results.push(ON_TRIAL.result(
            format!("update {version} in {prefix} has not reported healthy yet"),
            "a running node confirms it within CORE_UPDATE_HEALTH_DEADLINE; if core-ide is stopped, start it: \
             a start that does not report healthy rolls back (`core-ide update --rollback` goes back now)",
        ));
    }
    if !versions.failed.is_empty() {
        let list: Vec<String> =
            versions.failed.iter().map(|f| format!("{} ({})", f.version, f.why)).collect();
        results.push(FAILED_VERSIONS.result(
            format!("rolled back from versions that never reported healthy: {}", list.join("; ")),
            format!(
                "they are never installed again: publish a fixed release with a higher version \
                 (the list is {prefix}/failed)"
            ),
        ));
    }
    results
}

/// With an update source, a unit whose `ExecStart` is not `<prefix>/current/core-ide` runs a
/// binary updates never replace.
fn unit_bypasses_prefix(inputs: &Inputs) -> Option<CheckResult> {
    inputs.settings.update_url.as_ref()?;
    let unit = inputs.systemd.unit.as_ref()?;
    let runs = unit.exec_start.as_ref()?;
    let current = inputs.updates.prefix.join("current").join(jobrunner_updater::BINARY);
    (runs != &current).then(|| {
        UNIT_BYPASSES_PREFIX.result(
            format!(
                "updates install into {} but {} runs {}: they would never run",
                inputs.updates.prefix.display(),
                unit.path.display(),
                runs.display()
            ),
            format!(
                "set ExecStart={} --headless as deploy/core-ide.service does, or unset CORE_UPDATE_URL",
                current.display()
            ),
        )
    })
}

fn channel(inputs: &Inputs) -> &str {
    &inputs.settings.update_channel
}

fn ok_message(inputs: &Inputs) -> String {
    let installed = inputs.updates.installed.as_ref().map_or("?", |v| v.installed.as_str());
    match &inputs.updates.manifest {
        ManifestState::NotConfigured => {
            format!(
                "{installed} installed; no update source (CORE_UPDATE_URL unset): updates come by package"
            )
        }
        ManifestState::Read { why_not: Some(why), .. } => {
            format!("{installed} installed; nothing to install: {why}")
        }
        ManifestState::Read { .. } | ManifestState::Unusable(_) => format!("{installed} installed"),
    }
}
