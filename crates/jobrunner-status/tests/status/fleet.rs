//! fleet: the role, and what a fleet node's settings must agree on.

use std::time::Duration;

use jobrunner_config::{Secret, Source};
use jobrunner_status::{Category, Inputs, checks};

use crate::support::{findings, healthy, message};

const FLEET: Category = Category::Fleet;

/// The healthy node, joined to a fleet with an explicit node id and default leases.
fn fleet_node() -> Inputs {
    let mut inputs = healthy();
    inputs.settings.database_url = Some(Secret::new("postgres://core:pw@db/core".into()));
    inputs
}

#[test]
fn a_standalone_node_reports_its_role_as_ok() {
    let results = checks::run_category(FLEET, &healthy());
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].id, "fleet.ok");
    assert_eq!(
        results[0].message,
        "standalone node node-a: no database URL, state in SQLite under /var/lib/core-ide/data"
    );
}

#[test]
fn a_fleet_node_with_coherent_settings_reports_its_role_as_ok() {
    let results = checks::run_category(FLEET, &fleet_node());
    assert_eq!(results.iter().map(|r| r.id).collect::<Vec<_>>(), ["fleet.ok"]);
    assert_eq!(results[0].message, "fleet node node-a: state shared in PostgreSQL");
}

#[test]
fn a_fleet_node_without_an_explicit_node_id_is_a_warning() {
    let mut inputs = fleet_node();
    inputs.settings.sources.insert("node_id", Source::Default);
    assert_eq!(findings(FLEET, &inputs), ["fleet.W001"]);
}

#[test]
fn a_standalone_node_may_use_its_host_name_as_node_id() {
    let mut inputs = healthy();
    inputs.settings.sources.insert("node_id", Source::Default);
    assert_eq!(findings(FLEET, &inputs), Vec::<&str>::new());
}

#[test]
fn a_lease_ttl_under_twice_the_poll_interval_is_an_error() {
    let mut inputs = fleet_node();
    inputs.settings.lease_ttl = Duration::from_secs(119);
    assert_eq!(findings(FLEET, &inputs), ["fleet.E001"]);
    assert!(
        message(FLEET, &inputs, "fleet.E001")
            .starts_with("lease TTL 1m 59s is shorter than twice the poll interval 1m")
    );
}

#[test]
fn a_lease_ttl_of_exactly_twice_the_poll_interval_is_quiet() {
    let mut inputs = fleet_node();
    inputs.settings.lease_ttl = Duration::from_secs(120);
    assert_eq!(findings(FLEET, &inputs), Vec::<&str>::new());
}

#[test]
fn a_standalone_node_holds_no_lease_to_check() {
    let mut inputs = healthy();
    inputs.settings.lease_ttl = Duration::from_secs(5);
    inputs.settings.heartbeat_interval = Duration::from_secs(60);
    assert_eq!(findings(FLEET, &inputs), Vec::<&str>::new());
}

#[test]
fn a_heartbeat_as_slow_as_the_lease_ttl_is_an_error() {
    let mut inputs = fleet_node();
    inputs.settings.heartbeat_interval = inputs.settings.lease_ttl;
    assert_eq!(findings(FLEET, &inputs), ["fleet.E002"]);
}

#[test]
fn a_heartbeat_just_under_the_lease_ttl_is_quiet() {
    let mut inputs = fleet_node();
    inputs.settings.heartbeat_interval = inputs.settings.lease_ttl.saturating_sub(Duration::from_secs(1));
    assert_eq!(findings(FLEET, &inputs), Vec::<&str>::new());
}
