//! The node's role and the settings a fleet node needs to be coherent.
//!
//! A node without `CORE_DATABASE_URL` is standalone (state in SQLite); with one it is a fleet
//! node sharing PostgreSQL. The checks here need only the settings.
//!
//! **Extension point for the fleet's database checks** (duplicate live node ids, clock skew
//! against the database, database unreachable): they need what the PostgreSQL store reports.
//! Add that as a field of [`Inputs`] filled by [`gather`](crate::gather()) (for example the
//! live nodes, the database's clock and the connection error), add a function below that reads
//! it, append it to `RULES` (the fleet node's checks, in order), and give its ids the next free
//! numbers (`fleet.E003`, ...) with a line each in docs/status-checks.md.

use std::time::Duration;

use crate::check::{Category, Check, CheckResult};
use crate::inputs::{Inputs, Role};
use crate::render::duration;

const C: Category = Category::Fleet;

/// A fleet node without an explicit node id.
pub const NO_NODE_ID: Check = Check::warn("fleet.W001", C);
/// Lease TTL shorter than twice the poll interval.
pub const LEASE_TOO_SHORT: Check = Check::error("fleet.E001", C);
/// Heartbeat interval not shorter than the lease TTL.
pub const HEARTBEAT_TOO_SLOW: Check = Check::error("fleet.E002", C);

/// Every check of this category.
pub const CHECKS: &[Check] = &[NO_NODE_ID, LEASE_TOO_SHORT, HEARTBEAT_TOO_SLOW];

/// The checks of a fleet node, in order.
const RULES: &[fn(&Inputs) -> Option<CheckResult>] = &[node_id, lease_ttl, heartbeat];

/// Runs the fleet checks; a standalone node only gets its role confirmed.
#[must_use]
pub fn run(inputs: &Inputs) -> Vec<CheckResult> {
    let mut results: Vec<CheckResult> = match inputs.role() {
        Role::Standalone => Vec::new(),
        Role::Fleet => RULES.iter().filter_map(|rule| rule(inputs)).collect(),
    };
    if results.is_empty() {
        results.push(C.ok(match inputs.role() {
            Role::Standalone => format!(
                "standalone node {}: no database URL, state in SQLite under {}",
                inputs.settings.node_id,
                inputs.settings.data_dir.display()
            ),
            Role::Fleet => format!("fleet node {}: state shared in PostgreSQL", inputs.settings.node_id),
        }));
    }
    results
}

fn node_id(inputs: &Inputs) -> Option<CheckResult> {
    let explicit =
        inputs.settings.sources.get("node_id").is_some_and(|s| *s != jobrunner_config::Source::Default);
    (!explicit).then(|| {
        NO_NODE_ID.result(
            format!(
                "fleet node without a node id: it uses the host name {:?}, which may change or repeat",
                inputs.settings.node_id.as_str()
            ),
            "set CORE_NODE_ID to a stable id, unique in the fleet",
        )
    })
}

fn lease_ttl(inputs: &Inputs) -> Option<CheckResult> {
    let (ttl, poll) = (inputs.settings.lease_ttl, inputs.settings.poll_interval);
    let minimum = poll.saturating_mul(2);
    (ttl < minimum).then(|| {
        LEASE_TOO_SHORT.result(
            format!(
                "lease TTL {} is shorter than twice the poll interval {}: leases lapse between cycles and repositories change hands",
                duration(ttl),
                duration(poll)
            ),
            format!("set CORE_LEASE_TTL to at least {}, or shorten CORE_POLL_INTERVAL", duration(minimum)),
        )
    })
}

fn heartbeat(inputs: &Inputs) -> Option<CheckResult> {
    let (beat, ttl) = (inputs.settings.heartbeat_interval, inputs.settings.lease_ttl);
    (beat >= ttl).then(|| {
        HEARTBEAT_TOO_SLOW.result(
            format!(
                "heartbeat interval {} is not shorter than the lease TTL {}: a live node's leases expire",
                duration(beat),
                duration(ttl)
            ),
            format!(
                "set CORE_HEARTBEAT_INTERVAL to at most a third of the lease TTL ({})",
                duration((ttl / 3).max(Duration::from_secs(1)))
            ),
        )
    })
}
