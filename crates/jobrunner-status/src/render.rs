//! The human output of `core-status`.

use std::fmt::Write;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::check::{CheckResult, Level};
use crate::dashboard::{CycleView, Handlers, Pipeline, Profile, StoreState};
use crate::report::StatusReport;

// Public here before `format` existed: callers of `render::duration` and the like keep working.
pub use crate::format::{ago, coarse_duration, duration, thousands};

/// How to render the human output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours: only on a terminal, and never with `NO_COLOR` set.
    pub color: bool,
    /// Show `ok` results too.
    pub verbose: bool,
}

impl RenderOptions {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty
    /// (<https://no-color.org>).
    #[must_use]
    pub fn color_for(stdout_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        stdout_is_terminal && no_color.is_none_or(std::ffi::OsStr::is_empty)
    }
}

/// The report as people read it: the dashboard sections (unless left out), the checks, and a
/// summary line.
#[must_use]
pub fn human(report: &StatusReport, options: RenderOptions) -> String {
    let paint = Paint(options.color);
    let mut out = String::new();
    if let Some(profile) = &report.profile {
        profile_section(&mut out, paint, profile);
    }
    if let Some(pipeline) = &report.pipeline {
        pipeline_section(&mut out, paint, pipeline, report.generated_at);
    }
    if let Some(handlers) = &report.handlers {
        handlers_section(&mut out, paint, handlers);
    }
    checks_section(&mut out, paint, &report.checks, options.verbose);
    let summary = &report.summary;
    let verdict = if summary.failed {
        paint.level(summary.worst, &format!("fails at --fail-level {}", summary.fail_level))
    } else {
        format!("passes --fail-level {}", summary.fail_level)
    };
    let _ = writeln!(out, "{}: {verdict}", summary.line());
    out
}

fn heading(out: &mut String, paint: Paint, title: &str) {
    let _ = writeln!(out, "{}", paint.bold(title));
}

fn row(out: &mut String, label: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "  {label:<15} {value}");
}

fn profile_section(out: &mut String, paint: Paint, p: &Profile) {
    heading(out, paint, "Profile");
    row(out, "node id", &p.node_id);
    row(out, "role", &p.role);
    let mode = if p.mode == p.mode_in_effect {
        p.mode.clone()
    } else {
        format!("{} ({} here)", p.mode, p.mode_in_effect)
    };
    row(out, "mode", mode);
    row(out, "environment", &p.environment);
    row(out, "version", version_line(p));
    row(out, "repos", if p.repos.is_empty() { "none".to_owned() } else { p.repos.join(", ") });
    row(out, "poll interval", duration(Duration::from_secs(p.poll_interval_secs)));
    row(out, "dry-run", if p.dry_run { "on: decides, performs nothing" } else { "off" });
    row(out, "config file", p.config_file.as_deref().unwrap_or("none"));
    row(out, "env file", &p.env_file);
    row(out, "data dir", &p.data_dir);
    row(out, "journal dir", &p.journal_dir);
    out.push('\n');
}

/// `1.0.0 (stable channel), previous 0.9.0, available 2.1.0`: the installed release when the
/// prefix holds one, else the binaries' version; `available` only when it is another version.
fn version_line(p: &Profile) -> String {
    let v = &p.updates;
    let installed = v.installed.as_deref().unwrap_or(&p.version);
    let trial = if v.on_trial.as_deref() == Some(installed) { ", on trial" } else { "" };
    let mut line = format!("{installed} ({} channel{trial})", p.update_channel);
    if let Some(previous) = &v.previous {
        let _ = write!(line, ", previous {previous}");
    }
    if let Some(available) = v.available.as_deref().filter(|a| *a != installed) {
        let _ = write!(line, ", available {available}");
    }
    line
}

fn pipeline_section(out: &mut String, paint: Paint, p: &Pipeline, now: DateTime<Utc>) {
    heading(out, paint, "Pipeline");
    let last = match (&p.last_cycle, p.store) {
        (None, StoreState::Ok) => "none recorded".to_owned(),
        (None, StoreState::NotCreated) => "none: no state database yet".to_owned(),
        (None, StoreState::Unreachable) => {
            "unknown: the fleet's database cannot be reached (see fleet.E003)".to_owned()
        }
        (None, _) => "unknown: the store could not be read (see the store checks)".to_owned(),
        (Some(c), store) => {
            let mut line = cycle_line(c, now);
            if store == StoreState::OtherNode {
                line.push_str(" [recorded by another node id]");
            }
            line
        }
    };
    row(out, "last cycle", last);
    if let Some(fleet) = &p.fleet {
        let live = match fleet.live_nodes.len() {
            0 => "no live node".to_owned(),
            n => {
                format!("{n} live {}: {}", if n == 1 { "node" } else { "nodes" }, fleet.live_nodes.join(", "))
            }
        };
        let here = if fleet.leased_here.is_empty() {
            "none leased here".to_owned()
        } else {
            format!("here {}", fleet.leased_here.join(", "))
        };
        row(out, "fleet", format!("{live}; {} of {} repos leased, {here}", fleet.repos_leased, fleet.repos));
    }
    row(
        out,
        "actions today",
        match p.actions_today_total {
            0 => "none in the journal".to_owned(),
            n => format!("{n} in the journal"),
        },
    );
    for (handler, count) in &p.actions_today {
        let _ = writeln!(out, "  {:<15}   {handler:<18} {count}", "");
    }
    if p.dry_run_records_today > 0 {
        let _ = writeln!(out, "  {:<15}   {:<18} {}", "", "(dry-run records)", p.dry_run_records_today);
    }
    row(
        out,
        "rate limit",
        match (p.rate_limit_left, p.rate_limit_cycle) {
            (Some(left), Some(cycle)) => format!("{} points left (after cycle #{cycle})", thousands(left)),
            _ => "not reported yet".to_owned(),
        },
    );
    row(
        out,
        "API use",
        match p.projected_points_per_hour {
            Some(hour) => format!(
                "projected {} points/hour of this node's {}",
                thousands(hour),
                thousands(p.budget_share_per_hour)
            ),
            None => format!(
                "no cycle to project from; this node's share is {}/hour",
                thousands(p.budget_share_per_hour)
            ),
        },
    );
    row(
        out,
        "notifications",
        if p.notification_channels.is_empty() {
            "none".to_owned()
        } else {
            p.notification_channels.join(", ")
        },
    );
    out.push('\n');
}

fn cycle_line(c: &CycleView, now: DateTime<Utc>) -> String {
    let outcome = match &c.failure {
        Some(failure) => format!("failed ({failure})"),
        None => c.outcome.clone(),
    };
    let when = c.ended_at.unwrap_or(c.started_at);
    let mut line =
        format!("#{} {outcome}, {} ({})", c.number, ago(now.signed_duration_since(when)), timestamp(when));
    if let (Some(actions), Some(points)) = (c.actions, c.points_spent) {
        let _ = write!(line, ": {actions} {}, {points} API points", plural(actions, "action", "actions"));
    }
    line
}

fn handlers_section(out: &mut String, paint: Paint, h: &Handlers) {
    heading(out, paint, "Handlers");
    row(out, "priority", if h.enabled.is_empty() { "none enabled".to_owned() } else { h.enabled.join(", ") });
    for (index, chain) in h.chains.iter().enumerate() {
        let line = chain.line();
        let line = if chain.complete { line } else { format!("{line}  [stops at a disabled handler]") };
        row(out, if index == 0 { "chains" } else { "" }, line);
    }
    out.push('\n');
}

fn checks_section(out: &mut String, paint: Paint, checks: &[CheckResult], verbose: bool) {
    heading(out, paint, "Checks");
    let shown: Vec<&CheckResult> =
        checks.iter().filter(|c| !c.silenced && (verbose || c.level > Level::Ok)).collect();
    if shown.is_empty() {
        let _ = writeln!(out, "  nothing to report (--verbose shows the ok results)");
    }
    for check in shown {
        let tag = paint.level(check.level, &format!("{:<5}", check.level.as_str()));
        let _ = writeln!(out, "  {tag} {:<17} {}", check.id, check.message);
        if let Some(hint) = &check.hint {
            let _ = writeln!(out, "  {:<5} {:<17} {}", "", "", paint.dim(&format!("fix: {hint}")));
        }
    }
    out.push('\n');
}

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }

    fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    fn dim(self, text: &str) -> String {
        self.wrap("2", text)
    }

    fn level(self, level: Level, text: &str) -> String {
        let code = match level {
            Level::Ok => "32",
            Level::Info => "36",
            Level::Warn => "33",
            Level::Error => "1;31",
        };
        self.wrap(code, text)
    }
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn plural<'a>(n: u32, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_needs_a_terminal_and_no_non_empty_no_color() {
        use std::ffi::OsStr;
        assert!(RenderOptions::color_for(true, None));
        assert!(RenderOptions::color_for(true, Some(OsStr::new(""))));
        assert!(!RenderOptions::color_for(true, Some(OsStr::new("1"))));
        assert!(!RenderOptions::color_for(false, None));
    }
}
