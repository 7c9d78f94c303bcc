//! The checks of one commit: named check runs (the Checks API) and commit statuses (the
//! Statuses API), each with its state. GitHub hangs both off the commit, not the pull request,
//! and rolls them up into one `StatusCheckRollup` state; a commit with neither has no rollup
//! at all (`statusCheckRollup: null`), which is how a repository without CI looks.

/// The state of the checks on one commit, as GitHub's `StatusState` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckState {
    /// A check errored.
    Error,
    /// A required status is expected but has not been reported.
    Expected,
    /// A check failed.
    Failure,
    /// Checks are still running.
    Pending,
    /// Every check passed.
    Success,
}

/// The name of the one check the single-state builders (`PrSpec::checks`,
/// `SimState::checks_finish`) model.
pub const LEGACY_CHECK: &str = "ci";

/// Which of GitHub's two APIs reports a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKind {
    /// A check run (Checks API, GraphQL `CheckRun`), what GitHub Actions reports.
    CheckRun,
    /// A commit status (Statuses API, GraphQL `StatusContext`), what older CI services post.
    Status,
    /// The simulator's historical single check `ci`, reported through both REST APIs so a
    /// client reading either sees it; GraphQL lists it once, as a `CheckRun`.
    Both,
}

impl CheckKind {
    /// Served by `GET …/commits/{ref}/check-runs` (and as a GraphQL `CheckRun`).
    #[must_use]
    pub fn is_check_run(self) -> bool {
        matches!(self, Self::CheckRun | Self::Both)
    }

    /// Served by `GET …/commits/{ref}/status`.
    #[must_use]
    pub fn is_status(self) -> bool {
        matches!(self, Self::Status | Self::Both)
    }
}

/// One named check on a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedCheck {
    /// The check run's `name` or the status's `context`.
    pub name: String,
    /// Which API reports it.
    pub kind: CheckKind,
    /// Its state.
    pub state: CheckState,
}

impl NamedCheck {
    /// A check run called `name`.
    #[must_use]
    pub fn check_run(name: &str, state: CheckState) -> Self {
        Self { name: name.to_owned(), kind: CheckKind::CheckRun, state }
    }

    /// A commit status with context `name`.
    #[must_use]
    pub fn status(name: &str, state: CheckState) -> Self {
        Self { name: name.to_owned(), kind: CheckKind::Status, state }
    }

    /// The single check `ci` of the single-state builders.
    #[must_use]
    pub fn legacy(state: CheckState) -> Self {
        Self { name: LEGACY_CHECK.to_owned(), kind: CheckKind::Both, state }
    }
}

/// GitHub's rollup of several checks into one state, `None` when there are none: any failure
/// fails it, then any error, then anything unfinished keeps it pending; all green is success.
#[must_use]
pub(crate) fn rollup(checks: &[NamedCheck]) -> Option<CheckState> {
    let has = |state: CheckState| checks.iter().any(|c| c.state == state);
    if checks.is_empty() {
        None
    } else if has(CheckState::Failure) {
        Some(CheckState::Failure)
    } else if has(CheckState::Error) {
        Some(CheckState::Error)
    } else if has(CheckState::Pending) {
        Some(CheckState::Pending)
    } else if has(CheckState::Expected) {
        Some(CheckState::Expected)
    } else {
        Some(CheckState::Success)
    }
}

/// The same checks, every one of them running again (a new commit re-runs CI).
#[must_use]
pub(crate) fn rerun(checks: &[NamedCheck]) -> Vec<NamedCheck> {
    checks.iter().map(|c| NamedCheck { state: CheckState::Pending, ..c.clone() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rollup_fails_on_any_failure_and_waits_on_anything_pending() {
        let green = NamedCheck::check_run("build", CheckState::Success);
        let pending = NamedCheck::status("lint", CheckState::Pending);
        let failed = NamedCheck::check_run("test", CheckState::Failure);
        assert_eq!(rollup(&[]), None);
        assert_eq!(rollup(std::slice::from_ref(&green)), Some(CheckState::Success));
        assert_eq!(rollup(&[green.clone(), pending.clone()]), Some(CheckState::Pending));
        assert_eq!(rollup(&[green, pending, failed]), Some(CheckState::Failure));
    }
}
