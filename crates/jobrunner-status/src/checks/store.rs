//! The state store, the journal, and what the node did last.
//!
//! The state store is `state.db` for a standalone node and the fleet's PostgreSQL database for
//! a fleet node. A fleet database that cannot be reached is the fleet's `fleet.E003` alone:
//! the checks here that need the store stay quiet then, so one outage is one error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::TimeDelta;
use jobrunner_journal::ReadWarning;

use crate::check::{Category, Check, CheckResult};
use crate::checks::env::line_numbers;
use crate::format::{ago, duration};
use crate::inputs::{IDLE_INTERVAL, Inputs, Role, StoreProblem, StoreSnapshot};

const C: Category = Category::Store;

/// The state database cannot be opened.
pub const UNOPENABLE: Check = Check::error("store.E001", C);
/// The schema is newer than this binary.
pub const NEWER_SCHEMA: Check = Check::error("store.E002", C);
/// The schema is not migrated.
pub const NOT_MIGRATED: Check = Check::error("store.E003", C);
/// The store belongs to another node id.
pub const OTHER_NODE: Check = Check::error("store.E004", C);
/// The journal directory cannot be read.
pub const JOURNAL_UNREADABLE: Check = Check::error("store.E005", C);
/// The last cycle is stale while the node is meant to run.
pub const STALE_CYCLE: Check = Check::warn("store.W001", C);
/// No handler is enabled.
pub const NO_HANDLERS: Check = Check::warn("store.W002", C);
/// GitHub refused actions for good in the last day.
pub const REFUSED_ACTIONS: Check = Check::warn("store.W003", C);
/// No notification channel.
pub const NO_NOTIFICATIONS: Check = Check::info("store.I001", C);
/// PRs waiting on a person.
pub const WAITING_ON_A_PERSON: Check = Check::info("store.I004", C);
/// Torn or unreadable journal lines.
pub const JOURNAL_SKIPPED_LINES: Check = Check::info("store.I002", C);
/// No state database yet.
pub const NOT_CREATED: Check = Check::info("store.I003", C);

/// Every check of this category.
pub const CHECKS: &[Check] = &[
    UNOPENABLE,
    NEWER_SCHEMA,
    NOT_MIGRATED,
    OTHER_NODE,
    JOURNAL_UNREADABLE,
    STALE_CYCLE,
    NO_HANDLERS,
    REFUSED_ACTIONS,
    NO_NOTIFICATIONS,
    WAITING_ON_A_PERSON,
    JOURNAL_SKIPPED_LINES,
    NOT_CREATED,
];

/// Cycles a node may miss before its last one counts as stale.
const STALE_AFTER_INTERVALS: u32 = 3;

/// Keys a refusal message names before it counts the rest.
const REFUSED_NAMED: usize = 5;

/// Actions GitHub refused for good: each is recorded once and never retried on its head, so
/// the PR waits until a person changes what GitHub objected to (a repository setting, the
/// token's access, the merge method).
fn refused_actions(inputs: &Inputs) -> Option<CheckResult> {
    let StoreSnapshot::Open { refused, .. } = &inputs.store else { return None };
    if refused.is_empty() {
        return None;
    }
    let named: Vec<String> =
        refused.iter().take(REFUSED_NAMED).map(|r| format!("{} ({})", r.key, r.class)).collect();
    let more = refused.len().saturating_sub(REFUSED_NAMED);
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    Some(REFUSED_ACTIONS.result(
        format!(
            "{} refused for good in the last day, not retried on their heads: {}{more}",
            jobrunner_core::count(u32::try_from(refused.len()).unwrap_or(u32::MAX), "action"),
            named.join(", ")
        ),
        "the node's log names GitHub's reason for each key (journalctl -u core-ide | grep KEY): fix the repository setting, the token's access or merge_method; a new head is tried again",
    ))
}

/// PRs named before the rest are counted.
const WAITING_NAMED: usize = 5;

/// PRs only a person can move on: the operator hears of them here, with how long each waited.
fn waiting_on_a_person(inputs: &Inputs) -> Option<CheckResult> {
    let StoreSnapshot::Open { waiting, .. } = &inputs.store else { return None };
    if waiting.is_empty() {
        return None;
    }
    let named: Vec<String> = waiting
        .iter()
        .take(WAITING_NAMED)
        .map(|w| {
            let lasted = (inputs.now - w.since).to_std().unwrap_or_default();
            format!("{}#{} for {} ({})", w.repo, w.pr, jobrunner_core::human_duration(lasted), w.reason)
        })
        .collect();
    let more = waiting.len().saturating_sub(WAITING_NAMED);
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    Some(WAITING_ON_A_PERSON.result(
        format!(
            "{} waiting on a person: {}{more}",
            jobrunner_core::count(u32::try_from(waiting.len()).unwrap_or(u32::MAX), "PR"),
            named.join("; ")
        ),
        "each reason says what the PR needs: remove a stop label once it is handled, review, or change the setting named",
    ))
}

/// Runs the store checks.
#[must_use]
pub fn run(inputs: &Inputs) -> Vec<CheckResult> {
    let mut results = database(inputs);
    results.extend(stale_cycle(inputs));
    results.extend(refused_actions(inputs));
    results.extend(waiting_on_a_person(inputs));
    if inputs.settings.enabled_handlers.is_empty() {
        results.push(NO_HANDLERS.result(
            "no handler is enabled: the node polls but never acts",
            "set CORE_HANDLERS (or handlers = [...]) to the handlers to run, or unset it for all of them",
        ));
    }
    if inputs.settings.slack_webhook_url.is_none() && inputs.settings.discord_webhook_url.is_none() {
        results.push(NO_NOTIFICATIONS.result(
            "no notification channel: nobody hears of a restart",
            "set CORE_SLACK_WEBHOOK_URL or CORE_DISCORD_WEBHOOK_URL and run `core-status notify-startup` from the unit",
        ));
    }
    results.extend(journal(inputs));
    if results.is_empty() {
        results.push(
            C.ok(match &inputs.store {
                StoreSnapshot::Open { location, schema_version, .. } => {
                    format!("{location} at schema version {schema_version}, journal readable")
                }
                StoreSnapshot::Unusable { problem: StoreProblem::Unreachable, .. } => {
                    "journal readable; the state store, the fleet's database, cannot be reached (fleet.E003)"
                        .to_owned()
                }
                _ => "store and journal readable".to_owned(),
            }),
        );
    }
    results
}

fn database(inputs: &Inputs) -> Vec<CheckResult> {
    let role = inputs.role();
    match &inputs.store {
        StoreSnapshot::NotCreated { location } if role == Role::Fleet => vec![NOT_CREATED.result(
            format!("the fleet's database {location} is empty: no node has used it yet"),
            "start core-ide: the first node creates the tables (core-status only reads)",
        )],
        StoreSnapshot::NotCreated { location } => vec![NOT_CREATED.result(
            format!("no state database at {location}: the node has not run with this data directory"),
            "start core-ide (or check CORE_DATA_DIR points at the node's data directory)",
        )],
        StoreSnapshot::Unusable { location, problem, detail } => {
            let fleet = role == Role::Fleet;
            let (check, hint) = match problem {
                // Reported once, by the fleet's checks (fleet.E003).
                StoreProblem::Unreachable => return Vec::new(),
                StoreProblem::Unopenable if fleet => (
                    UNOPENABLE,
                    "see the message: check the database user's rights, or point CORE_DATABASE_URL at the fleet's own database",
                ),
                StoreProblem::Unopenable => (UNOPENABLE, "see the message: check the file, or move it aside"),
                StoreProblem::NewerSchema => {
                    (NEWER_SCHEMA, "upgrade core-ide and core-status to the newer release")
                }
                StoreProblem::NotMigrated if fleet => (
                    NOT_MIGRATED,
                    "check that the database user may create tables, or restore the database from a backup",
                ),
                StoreProblem::NotMigrated => {
                    (NOT_MIGRATED, "restore the database from a backup, or move it aside")
                }
            };
            vec![check.result(format!("state database {location}: {detail}"), hint)]
        }
        StoreSnapshot::Open { location, schema_version, node, .. } => {
            let mut results = Vec::new();
            if *schema_version < role.schema_version() {
                results.push(NOT_MIGRATED.result(
                    format!(
                        "state database {location} is at schema version {schema_version}, this core-ide needs {}",
                        role.schema_version()
                    ),
                    "start core-ide once: it migrates the database on start",
                ));
            }
            if *node != inputs.settings.node_id {
                results.push(OTHER_NODE.result(
                    format!(
                        "state database {location} belongs to node {node}, but the node id is {} (from {})",
                        inputs.settings.node_id, inputs.settings.sources["node_id"]
                    ),
                    format!(
                        "set CORE_NODE_ID={node}, or point CORE_DATA_DIR at this node's own data directory"
                    ),
                ));
            }
            results
        }
    }
}

fn stale_cycle(inputs: &Inputs) -> Option<CheckResult> {
    let StoreSnapshot::Open { cycles, .. } = &inputs.store else { return None };
    if !inputs.meant_to_run() {
        return None;
    }
    let longest_gap = inputs.settings.poll_interval.max(IDLE_INTERVAL);
    let limit = longest_gap * STALE_AFTER_INTERVALS;
    let why = if inputs.systemd.enabled { "its unit is enabled" } else { "it is a production node" };
    let Some(last) = cycles.first() else {
        return Some(STALE_CYCLE.result(
            format!("no cycle recorded, yet the node is meant to run ({why})"),
            "check `systemctl status core-ide` and `journalctl -u core-ide`",
        ));
    };
    let at = last.end.map_or(last.started_at, |end| end.at);
    let age = inputs.now.signed_duration_since(at);
    (age > TimeDelta::from_std(limit).unwrap_or(TimeDelta::MAX)).then(|| {
        STALE_CYCLE.result(
            format!(
                "last cycle #{} was {}, more than {} ({STALE_AFTER_INTERVALS} x {}), yet the node is meant to run ({why})",
                last.number,
                ago(age),
                duration(limit),
                duration(longest_gap)
            ),
            "check `systemctl status core-ide` and `journalctl -u core-ide`",
        )
    })
}

fn journal(inputs: &Inputs) -> Vec<CheckResult> {
    let dir = inputs.journal.dir.display();
    let window = match &inputs.journal.read {
        Ok(window) => window,
        Err(reason) => {
            return vec![JOURNAL_UNREADABLE.result(
                format!("cannot read the journal under {dir}: {reason}"),
                "check CORE_JOURNAL_DIR and the directory's permissions",
            )];
        }
    };
    let mut by_file: BTreeMap<&PathBuf, Vec<usize>> = BTreeMap::new();
    for warning in &window.warnings {
        let (ReadWarning::TornLine { path, line } | ReadWarning::UnreadableLine { path, line, .. }) = warning
        else {
            // Not about lines: a directory named like a journal file holds no records to lose.
            continue;
        };
        by_file.entry(path).or_default().push(*line);
    }
    by_file
        .into_iter()
        .map(|(path, lines)| {
            JOURNAL_SKIPPED_LINES.result(
                format!(
                    "the journal reader skips {} of {} (torn by a crash, or not a record)",
                    line_numbers(&lines),
                    path.display()
                ),
                "nothing to do: later records are intact; keep the file for the record",
            )
        })
        .collect()
}
