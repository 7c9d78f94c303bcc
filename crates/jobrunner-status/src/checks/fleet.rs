//! The node's role, the settings a fleet node needs to be coherent, and the fleet as its
//! database shows it.
//!
//! A node without `CORE_DATABASE_URL` is standalone (state in SQLite); with one it is a fleet
//! node sharing PostgreSQL. The first checks need only the settings; the others read
//! [`Inputs::fleet`], what [`gather`](crate::gather()) read of the database: whether it
//! answers, its clock, the live nodes and the leases.
//!
//! Coordination (liveness, lease expiry) runs on the database's clock, so a node's clock skew
//! never moves a lease; it misaligns the times nodes write (journal lines, cycle records, logs).
//!
//! A check is a function below appended to `RULES` (the fleet node's checks, in order), its id
//! the next free number with a line in docs/status-checks.md.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use jobrunner_core::NodeId;
use jobrunner_store::CLOCK_SKEW_BOUND;

use crate::check::{Category, Check, CheckResult};
use crate::format::{ago, coarse_duration, duration};
use crate::inputs::{FleetDatabase, FleetRead, FleetSnapshot, Inputs, Role};

const C: Category = Category::Fleet;

/// A fleet node without an explicit node id.
pub const NO_NODE_ID: Check = Check::warn("fleet.W001", C);
/// Lease TTL shorter than twice the poll interval.
pub const LEASE_TOO_SHORT: Check = Check::error("fleet.E001", C);
/// Heartbeat interval not shorter than the lease TTL.
pub const HEARTBEAT_TOO_SLOW: Check = Check::error("fleet.E002", C);
/// The fleet's database cannot be reached.
pub const DATABASE_UNREACHABLE: Check = Check::error("fleet.E003", C);
/// The node id is live in the fleet from another machine.
pub const DUPLICATE_NODE_ID: Check = Check::error("fleet.E004", C);
/// A clock off the database's by more than [`CLOCK_SKEW_BOUND`].
pub const CLOCK_SKEW: Check = Check::warn("fleet.W002", C);
/// Leases held by nodes that stopped heartbeating.
pub const DEAD_LEASE_HOLDERS: Check = Check::warn("fleet.W003", C);

/// Every check of this category.
pub const CHECKS: &[Check] = &[
    NO_NODE_ID,
    LEASE_TOO_SHORT,
    HEARTBEAT_TOO_SLOW,
    DATABASE_UNREACHABLE,
    DUPLICATE_NODE_ID,
    CLOCK_SKEW,
    DEAD_LEASE_HOLDERS,
];

/// The checks of a fleet node, in order.
const RULES: &[fn(&Inputs) -> Option<CheckResult>] =
    &[node_id, lease_ttl, heartbeat, unreachable, duplicate_node_id, clock_skew, dead_lease_holders];

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
            Role::Fleet => fleet_ok(inputs),
        }));
    }
    results
}

fn fleet_ok(inputs: &Inputs) -> String {
    let node = &inputs.settings.node_id;
    match inputs.fleet.as_ref().map(|f| &f.database) {
        Some(FleetDatabase::Read(read)) => {
            let repos = &inputs.settings.repos;
            let leased = read.valid_leases().filter(|l| repos.contains(&l.repo)).count();
            format!(
                "fleet node {node}: {}, {leased} of {} leased",
                count(read.live.len(), "live node", "live nodes"),
                count(repos.len(), "repository", "repositories"),
            )
        }
        Some(FleetDatabase::Refused) => {
            format!("fleet node {node}: its database cannot be used (see the store checks)")
        }
        _ => format!("fleet node {node}: state shared in PostgreSQL"),
    }
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
    (ttl <= minimum).then(|| {
        LEASE_TOO_SHORT.result(
            format!(
                "lease TTL {} is not more than twice the poll interval {}: leases lapse between cycles and repositories change hands; core-ide refuses to start with it",
                duration(ttl),
                duration(poll)
            ),
            format!("set CORE_LEASE_TTL to more than {}, or shorten CORE_POLL_INTERVAL", duration(minimum)),
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

/// The fleet's database, when it was read.
fn fleet_read(inputs: &Inputs) -> Option<(&FleetSnapshot, &FleetRead)> {
    let fleet = inputs.fleet.as_ref()?;
    match &fleet.database {
        FleetDatabase::Read(read) => Some((fleet, read)),
        _ => None,
    }
}

fn unreachable(inputs: &Inputs) -> Option<CheckResult> {
    let fleet = inputs.fleet.as_ref()?;
    let FleetDatabase::Unreachable { detail } = &fleet.database else { return None };
    Some(DATABASE_UNREACHABLE.result(
        format!(
            "cannot reach the fleet's database {}: {detail}; nodes poll and act on nothing until it answers \
             (they fail closed, and reconnect on their own)",
            fleet.url
        ),
        "start PostgreSQL, or check CORE_DATABASE_URL and the network between this machine and the database",
    ))
}

fn duplicate_node_id(inputs: &Inputs) -> Option<CheckResult> {
    let (fleet, read) = fleet_read(inputs)?;
    let here = fleet.hostname.as_deref()?;
    let node = &inputs.settings.node_id;
    let other = read.live.iter().find(|m| m.node == *node && !m.host.is_empty() && m.host != here)?;
    Some(DUPLICATE_NODE_ID.result(
        format!(
            "node id {node} is live in the fleet from host {} (heartbeat {}), but this machine is {here}: \
             two machines share one id, and the one that starts second is refused at every start (exit 2)",
            other.host,
            ago(read.database_now.signed_duration_since(other.heartbeat_at)),
        ),
        "give each node its own CORE_NODE_ID",
    ))
}

fn clock_skew(inputs: &Inputs) -> Option<CheckResult> {
    let (fleet, read) = fleet_read(inputs)?;
    let bound = TimeDelta::from_std(CLOCK_SKEW_BOUND).unwrap_or(TimeDelta::MAX);
    let mut off: Vec<String> = Vec::new();
    let mut hosts: Vec<String> = Vec::new();
    for member in &read.live {
        if let Some(skew) = member.clock_skew.filter(|s| s.abs() > bound) {
            let host = if member.host.is_empty() { "an unnamed host" } else { member.host.as_str() };
            off.push(format!("{} on {host} {}", member.node, signed_seconds(skew)));
            if !hosts.iter().any(|h| h == host) {
                hosts.push(host.to_owned());
            }
        }
    }
    if let Some(here) = this_machine_off(read, bound) {
        let host = fleet.hostname.as_deref().unwrap_or("this machine");
        off.push(format!("this machine ({host}, core-status's reading) {}", signed_seconds(here)));
        if !hosts.iter().any(|h| h == host) {
            hosts.push(host.to_owned());
        }
    }
    if off.is_empty() {
        return None;
    }
    Some(CLOCK_SKEW.result(
        format!(
            "clocks off the database's by more than {} (+ ahead of it, - behind): {}; coordination \
             (liveness, lease expiry) runs on the database's clock, so leases are unaffected, but journal \
             lines, cycle records and logs carry each node's own clock and stop lining up across the fleet",
            duration(CLOCK_SKEW_BOUND),
            off.join(", ")
        ),
        format!("run NTP (chrony or systemd-timesyncd) on {}", hosts.join(", ")),
    ))
}

/// This machine's clock minus the database's, when it is off by more than `bound`. The
/// database read its clock at some moment of the round trip: only a skew beyond the bound
/// whichever moment that was counts.
fn this_machine_off(read: &FleetRead, bound: TimeDelta) -> Option<TimeDelta> {
    let half = TimeDelta::from_std(read.round_trip / 2).ok()?;
    let here = read.now.checked_add_signed(half)?.signed_duration_since(read.database_now);
    (here.abs() > bound.checked_add(&half)?).then_some(here)
}

fn dead_lease_holders(inputs: &Inputs) -> Option<CheckResult> {
    let (_, read) = fleet_read(inputs)?;
    if read.dead_holders.is_empty() {
        return None;
    }
    // Per dead node: how many leases it holds and when the last of them lapses.
    let mut held: BTreeMap<&NodeId, (usize, DateTime<Utc>)> = BTreeMap::new();
    for lease in read.leases.iter().filter(|l| read.dead_holders.contains(&l.holder)) {
        let entry = held.entry(&lease.holder).or_insert((0, lease.expires_at));
        entry.0 += 1;
        entry.1 = entry.1.max(lease.expires_at);
    }
    let nodes: Vec<String> = held
        .iter()
        .map(|(node, (leases, last))| {
            let this = if **node == inputs.settings.node_id { ", this node" } else { "" };
            let until = last.signed_duration_since(read.database_now);
            let when = match until.to_std() {
                Ok(left) if !left.is_zero() => format!("{} in {}", expires(*leases), coarse_duration(left)),
                _ => format!("{} {}", expired(*leases), ago(-until)),
            };
            format!("{node} ({}{this}; {when})", count(*leases, "repository", "repositories"))
        })
        .collect();
    let takeover = if read.live.is_empty() {
        "no live node is there to take them over"
    } else {
        "live nodes take them over once they expire"
    };
    Some(DEAD_LEASE_HOLDERS.result(
        format!("leases held by nodes that stopped heartbeating: {}; {takeover}", nodes.join(", ")),
        format!(
            "nothing, if the repositories move to live nodes within one lease TTL ({}); if they stay, \
             no live node is running (start one) or the live nodes do not configure those repositories \
             (CORE_REPOS)",
            duration(inputs.settings.lease_ttl)
        ),
    ))
}

fn expires(leases: usize) -> &'static str {
    if leases == 1 { "it expires" } else { "the last expires" }
}

fn expired(leases: usize) -> &'static str {
    if leases == 1 { "it expired" } else { "all expired" }
}

/// `1 repository`, `2 repositories`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `+2.5s`, `-12.0s`: a skew to a tenth of a second, its sign saying which clock is ahead.
fn signed_seconds(delta: TimeDelta) -> String {
    let tenths = delta.num_milliseconds() / 100;
    let sign = if tenths < 0 { '-' } else { '+' };
    format!("{sign}{}.{}s", tenths.abs() / 10, tenths.abs() % 10)
}
