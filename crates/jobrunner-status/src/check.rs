//! What a check reports: a [`CheckResult`] made from a [`Check`], the stable identity (id,
//! category, level) that docs/status-checks.md documents and operators silence.

use std::fmt::{self, Write};
use std::str::FromStr;

use schemars::JsonSchema;
use serde::Serialize;

/// How serious a result is, least serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nothing wrong in the category.
    Ok,
    /// Worth knowing; nothing to fix.
    Info,
    /// Works, but not as intended or not for long.
    Warn,
    /// Will not work as configured.
    Error,
}

impl Level {
    /// `ok`, `info`, `warn` or `error`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What part of a node a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// The env file, its sample, and the variables the binaries read.
    Env,
    /// The node's role in a fleet, its id, leases.
    Fleet,
    /// How the node would run: token, repositories, production settings, API budget.
    Runtime,
    /// The state store, the journal, what the node did last.
    Store,
    /// The systemd unit, writable directories, the binary the updater replaces.
    Installation,
    /// Self-update: the install prefix, the manifest, updates on trial or failed.
    Updates,
}

impl Category {
    /// Every category, in the order results are reported.
    pub const ALL: [Self; 6] =
        [Self::Env, Self::Fleet, Self::Runtime, Self::Store, Self::Installation, Self::Updates];

    /// The id prefix and the name used by `--category`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Env => "env",
            Self::Fleet => "fleet",
            Self::Runtime => "runtime",
            Self::Store => "store",
            Self::Installation => "installation",
            Self::Updates => "updates",
        }
    }

    /// The result saying nothing is wrong in this category.
    #[must_use]
    pub fn ok(self, message: impl Into<String>) -> CheckResult {
        let id = match self {
            Self::Env => "env.ok",
            Self::Fleet => "fleet.ok",
            Self::Runtime => "runtime.ok",
            Self::Store => "store.ok",
            Self::Installation => "installation.ok",
            Self::Updates => "updates.ok",
        };
        CheckResult {
            id,
            level: Level::Ok,
            category: self,
            message: message.into(),
            hint: None,
            silenced: false,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|c| c.as_str() == value).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
            format!("unknown category {value:?}: expected one of {}", names.join(", "))
        })
    }
}

/// A check's stable identity. Ids are `<category>.<E|W|I><NNN>` and never reused for a
/// different condition, so a silenced id keeps meaning the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// The id, such as `env.W003`.
    pub id: &'static str,
    /// Its category.
    pub category: Category,
    /// Its level.
    pub level: Level,
}

impl Check {
    /// A check at [`Level::Error`].
    #[must_use]
    pub const fn error(id: &'static str, category: Category) -> Self {
        Self { id, category, level: Level::Error }
    }

    /// A check at [`Level::Warn`].
    #[must_use]
    pub const fn warn(id: &'static str, category: Category) -> Self {
        Self { id, category, level: Level::Warn }
    }

    /// A check at [`Level::Info`].
    #[must_use]
    pub const fn info(id: &'static str, category: Category) -> Self {
        Self { id, category, level: Level::Info }
    }

    /// A result of this check: what was found, and how to fix it.
    #[must_use]
    pub fn result(&self, message: impl Into<String>, hint: impl Into<String>) -> CheckResult {
        CheckResult {
            id: self.id,
            level: self.level,
            category: self.category,
            message: message.into(),
            hint: Some(hint.into()),
            silenced: false,
        }
    }
}

/// One finding of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CheckResult {
    /// Stable id, such as `env.W003`; `<category>.ok` when nothing is wrong in the category.
    #[schemars(regex(pattern = r"^(env|fleet|runtime|store|installation|updates)\.([EWI][0-9]{3}|ok)$"))]
    pub id: &'static str,
    /// How serious it is.
    pub level: Level,
    /// What part of the node it concerns.
    pub category: Category,
    /// What was found, on one line.
    pub message: String,
    /// How to fix it; absent for `ok` results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Silenced by `--silence` or the `silenced` setting: shown in JSON, left out of the human
    /// output and of the exit code.
    pub silenced: bool,
}

/// Counts of the results, and whether they fail the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Summary {
    /// Errors, not silenced.
    pub errors: usize,
    /// Warnings, not silenced.
    pub warnings: usize,
    /// Infos, not silenced.
    pub infos: usize,
    /// Categories with nothing wrong.
    pub ok: usize,
    /// Results silenced, whatever their level.
    pub silenced: usize,
    /// The most serious level among the results not silenced.
    pub worst: Level,
    /// The level at which the run fails (`--fail-level`).
    pub fail_level: Level,
    /// True when a result not silenced is at or above the fail level: exit code 1.
    pub failed: bool,
}

impl Summary {
    /// Counts `results` against `fail_level`.
    #[must_use]
    pub fn of(results: &[CheckResult], fail_level: Level) -> Self {
        let active = || results.iter().filter(|r| !r.silenced);
        let count = |level| active().filter(|r| r.level == level).count();
        let worst = active().map(|r| r.level).max().unwrap_or(Level::Ok);
        Self {
            errors: count(Level::Error),
            warnings: count(Level::Warn),
            infos: count(Level::Info),
            ok: count(Level::Ok),
            silenced: results.iter().filter(|r| r.silenced).count(),
            worst,
            fail_level,
            failed: worst >= fail_level && worst > Level::Ok,
        }
    }

    /// `1 error, 2 warnings, 1 info, 3 ok (1 silenced)`.
    #[must_use]
    pub fn line(&self) -> String {
        let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut line = format!(
            "{}, {}, {}, {} ok",
            plural(self.errors, "error", "errors"),
            plural(self.warnings, "warning", "warnings"),
            plural(self.infos, "info", "infos"),
            self.ok
        );
        if self.silenced > 0 {
            let _ = write!(line, " ({} silenced)", self.silenced);
        }
        line
    }
}
