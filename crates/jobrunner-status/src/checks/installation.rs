//! How the node is installed: its systemd unit, the directories it writes, the install prefix
//! the updater writes. core-ide logs to stdout (journald), so there is no log directory to check.

use crate::check::{Category, Check, CheckResult};
use crate::inputs::{Access, Inputs};
use crate::systemd::UNIT_NAME;

const C: Category = Category::Installation;

/// Production without a systemd unit.
pub const NO_UNIT: Check = Check::warn("installation.W001", C);
/// Production with the unit installed but not enabled.
pub const UNIT_DISABLED: Check = Check::warn("installation.W002", C);
/// The install prefix is not writable for the updater (with an update source set).
pub const BINARY_NOT_WRITABLE: Check = Check::warn("installation.W003", C);
/// The data directory is not writable.
pub const DATA_DIR_NOT_WRITABLE: Check = Check::error("installation.E001", C);
/// The journal directory is not writable.
pub const JOURNAL_DIR_NOT_WRITABLE: Check = Check::error("installation.E002", C);
/// No core-ide binary was found.
pub const NO_BINARY: Check = Check::info("installation.I001", C);

/// Every check of this category.
pub const CHECKS: &[Check] = &[
    NO_UNIT,
    UNIT_DISABLED,
    BINARY_NOT_WRITABLE,
    DATA_DIR_NOT_WRITABLE,
    JOURNAL_DIR_NOT_WRITABLE,
    NO_BINARY,
];

/// Runs the installation checks.
#[must_use]
pub fn run(inputs: &Inputs) -> Vec<CheckResult> {
    let mut results = Vec::new();
    if inputs.production() {
        match &inputs.systemd.unit {
            None => results.push(NO_UNIT.result(
                format!("production node without a systemd unit: no {UNIT_NAME} in the unit directories"),
                "install deploy/core-ide.service to /etc/systemd/system/ and `systemctl enable --now core-ide`",
            )),
            Some(unit) if !inputs.systemd.enabled => results.push(UNIT_DISABLED.result(
                format!("production node whose unit {} is not enabled: it will not start on boot", unit.path.display()),
                "systemctl enable --now core-ide",
            )),
            Some(_) => {}
        }
    }
    let install = &inputs.install;
    results.extend(not_writable(&install.data_dir, DATA_DIR_NOT_WRITABLE, "data directory", "CORE_DATA_DIR"));
    results.extend(not_writable(
        &install.journal_dir,
        JOURNAL_DIR_NOT_WRITABLE,
        "journal directory",
        "CORE_JOURNAL_DIR",
    ));
    if install.binary.is_none() {
        results.push(NO_BINARY.result(
            "no core-ide binary found (not in the unit's ExecStart, beside core-status, nor on PATH)",
            "pass --binary PATH to name the binary the service runs",
        ));
    }
    if let Some(Access { path, problem: Some(reason) }) = &install.update_prefix {
        results.push(BINARY_NOT_WRITABLE.result(
            format!("the updater cannot install into {}: {reason}", path.display()),
            "give the service's user write access to the install prefix, set CORE_UPDATE_PREFIX to one it \
             can write, or unset CORE_UPDATE_URL and update by package",
        ));
    }
    if results.is_empty() {
        let updater = if install.update_prefix.is_some() { "; the updater can write its prefix" } else { "" };
        results.push(C.ok(format!("data and journal directories writable{updater}")));
    }
    results
}

fn not_writable(access: &Access, check: Check, what: &str, var: &str) -> Option<CheckResult> {
    let reason = access.problem.as_ref()?;
    Some(check.result(
        format!("{what} {} is not writable: {reason}", access.path.display()),
        format!("give the service's user write access, or set {var} to a writable directory"),
    ))
}
