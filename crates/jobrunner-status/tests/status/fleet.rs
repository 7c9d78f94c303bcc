//! fleet: the role, what a fleet node's settings must agree on, and what its database shows.

use std::time::Duration;

use chrono::TimeDelta;
use jobrunner_config::{Secret, Source};
use jobrunner_core::{NodeId, RepoSlug};
use jobrunner_status::dashboard::Pipeline;
use jobrunner_status::render::{self, RenderOptions};
use jobrunner_status::{
    Category, FleetDatabase, FleetRead, FleetSnapshot, Inputs, Level, StatusReport, checks,
};
use jobrunner_store::{FleetMember, RepoLease};

use crate::support::{findings, healthy, message, now};

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
fn a_lease_ttl_of_exactly_twice_the_poll_interval_is_an_error() {
    let mut inputs = fleet_node();
    inputs.settings.lease_ttl = Duration::from_secs(120);
    assert_eq!(findings(FLEET, &inputs), ["fleet.E001"]);
    assert!(
        message(FLEET, &inputs, "fleet.E001")
            .starts_with("lease TTL 2m is not more than twice the poll interval 1m")
    );
}

#[test]
fn a_lease_ttl_just_over_twice_the_poll_interval_is_quiet() {
    let mut inputs = fleet_node();
    inputs.settings.lease_ttl = Duration::from_secs(121);
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

/// The healthy fleet node whose database showed `live`, `leases` and `dead_holders`, its clock
/// agreeing with the database's, on the machine `support::host` names.
fn read_fleet(live: Vec<FleetMember>, leases: Vec<RepoLease>, dead_holders: &[&str]) -> Inputs {
    let mut inputs = fleet_node();
    inputs.fleet = Some(FleetSnapshot {
        url: URL.to_owned(),
        hostname: Some(HERE.to_owned()),
        database: FleetDatabase::Read(FleetRead {
            database_now: now(),
            now: now(),
            round_trip: Duration::from_millis(4),
            live,
            leases,
            dead_holders: dead_holders.iter().map(|n| NodeId::new(*n).unwrap()).collect(),
        }),
    });
    inputs
}

const URL: &str = "postgres://core:***@db/core";
const HERE: &str = "build-7";

/// A live node on `host` whose last heartbeat measured `skew_ms`.
fn member(node: &str, host: &str, skew_ms: Option<i64>) -> FleetMember {
    FleetMember {
        node: NodeId::new(node).unwrap(),
        registered_at: now() - TimeDelta::hours(1),
        heartbeat_at: now() - TimeDelta::seconds(5),
        host: host.to_owned(),
        clock_skew: skew_ms.map(TimeDelta::milliseconds),
    }
}

/// `holder`'s lease of `repo`, lapsing `expires_in` after the database's now.
fn lease(repo: &str, holder: &str, expires_in: TimeDelta) -> RepoLease {
    RepoLease {
        repo: RepoSlug::parse(repo).unwrap(),
        holder: NodeId::new(holder).unwrap(),
        acquired_at: now() - TimeDelta::hours(2),
        expires_at: now() + expires_in,
    }
}

/// The fleet's read, to change one field of it.
fn read_of(inputs: &mut Inputs) -> &mut FleetRead {
    match inputs.fleet.as_mut().map(|f| &mut f.database) {
        Some(FleetDatabase::Read(read)) => read,
        other => panic!("{other:?}"),
    }
}

/// node-a here and node-b on build-8, both on time, node-a leasing the one repository.
fn two_node_fleet() -> Inputs {
    read_fleet(
        vec![member("node-a", HERE, Some(12)), member("node-b", "build-8", Some(-40))],
        vec![lease("octo/app", "node-a", TimeDelta::minutes(2))],
        &[],
    )
}

#[test]
fn a_fleet_read_from_its_database_reports_live_nodes_and_leased_repositories_as_ok() {
    let results = checks::run_category(FLEET, &two_node_fleet());
    assert_eq!(results.iter().map(|r| r.id).collect::<Vec<_>>(), ["fleet.ok"]);
    assert_eq!(results[0].message, "fleet node node-a: 2 live nodes, 1 of 1 repository leased");
}

#[test]
fn expired_leases_and_leases_of_repositories_not_configured_are_not_counted_as_leased() {
    let mut inputs = two_node_fleet();
    inputs.settings.repos.push(RepoSlug::parse("octo/lib").unwrap());
    let read = read_of(&mut inputs);
    read.leases = vec![
        lease("octo/app", "node-b", TimeDelta::seconds(-1)),
        lease("octo/lib", "node-a", TimeDelta::minutes(1)),
        lease("other/repo", "node-b", TimeDelta::minutes(1)),
    ];
    assert_eq!(
        message(FLEET, &inputs, "fleet.ok"),
        "fleet node node-a: 2 live nodes, 1 of 2 repositories leased"
    );
}

#[test]
fn an_unreachable_database_is_an_error_naming_the_masked_url_and_the_cause() {
    let mut inputs = fleet_node();
    inputs.fleet = Some(FleetSnapshot {
        url: URL.to_owned(),
        hostname: Some(HERE.to_owned()),
        database: FleetDatabase::Unreachable { detail: "Connection refused (os error 111)".into() },
    });
    assert_eq!(findings(FLEET, &inputs), ["fleet.E003"]);
    assert_eq!(
        message(FLEET, &inputs, "fleet.E003"),
        "cannot reach the fleet's database postgres://core:***@db/core: Connection refused (os error 111); \
         nodes poll and act on nothing until it answers (they fail closed, and reconnect on their own)"
    );
}

#[test]
fn a_database_the_store_refuses_is_left_to_the_store_checks() {
    let mut inputs = fleet_node();
    inputs.fleet =
        Some(FleetSnapshot { url: URL.to_owned(), hostname: None, database: FleetDatabase::Refused });
    assert_eq!(findings(FLEET, &inputs), Vec::<&str>::new());
    assert_eq!(
        message(FLEET, &inputs, "fleet.ok"),
        "fleet node node-a: its database cannot be used (see the store checks)"
    );
}

#[test]
fn the_node_id_live_from_another_host_is_an_error() {
    let mut inputs = two_node_fleet();
    read_of(&mut inputs).live[0].host = "build-9".into();
    assert_eq!(findings(FLEET, &inputs), ["fleet.E004"]);
    assert_eq!(
        message(FLEET, &inputs, "fleet.E004"),
        "node id node-a is live in the fleet from host build-9 (heartbeat 5s ago), but this machine is build-7: \
         two machines share one id, and the one that starts second is refused at every start (exit 2)"
    );
}

#[test]
fn the_node_id_live_from_this_host_is_quiet() {
    assert_eq!(findings(FLEET, &two_node_fleet()), Vec::<&str>::new());
}

#[test]
fn a_registration_without_a_host_or_a_machine_without_a_name_cannot_be_a_duplicate() {
    let mut unnamed_registration = two_node_fleet();
    read_of(&mut unnamed_registration).live[0].host = String::new();
    assert_eq!(findings(FLEET, &unnamed_registration), Vec::<&str>::new());
    let mut unnamed_machine = two_node_fleet();
    read_of(&mut unnamed_machine).live[0].host = "build-9".into();
    unnamed_machine.fleet.as_mut().unwrap().hostname = None;
    assert_eq!(findings(FLEET, &unnamed_machine), Vec::<&str>::new());
}

#[test]
fn a_node_clock_off_the_database_by_more_than_the_bound_is_a_warning() {
    let mut inputs = two_node_fleet();
    read_of(&mut inputs).live[1].clock_skew = Some(TimeDelta::milliseconds(-2_540));
    assert_eq!(findings(FLEET, &inputs), ["fleet.W002"]);
    let result = checks::run_category(FLEET, &inputs).remove(0);
    assert_eq!(
        result.message,
        "clocks off the database's by more than 2s (+ ahead of it, - behind): node-b on build-8 -2.5s; \
         coordination (liveness, lease expiry) runs on the database's clock, so leases are unaffected, but \
         journal lines, cycle records and logs carry each node's own clock and stop lining up across the fleet"
    );
    assert_eq!(result.hint.as_deref(), Some("run NTP (chrony or systemd-timesyncd) on build-8"));
}

#[test]
fn a_skew_of_exactly_the_bound_or_not_yet_measured_is_quiet() {
    let mut inputs = two_node_fleet();
    read_of(&mut inputs).live[0].clock_skew = Some(TimeDelta::seconds(2));
    read_of(&mut inputs).live[1].clock_skew = None;
    assert_eq!(findings(FLEET, &inputs), Vec::<&str>::new());
}

#[test]
fn this_machines_clock_off_the_database_is_a_warning() {
    let mut inputs = two_node_fleet();
    let read = read_of(&mut inputs);
    read.database_now = now() - TimeDelta::seconds(3);
    read.round_trip = Duration::from_millis(200);
    assert_eq!(findings(FLEET, &inputs), ["fleet.W002"]);
    assert!(
        message(FLEET, &inputs, "fleet.W002")
            .contains(": this machine (build-7, core-status's reading) +3.1s; coordination"),
        "{}",
        message(FLEET, &inputs, "fleet.W002")
    );
}

#[test]
fn this_machines_clock_within_the_bound_once_the_round_trip_is_allowed_for_is_quiet() {
    // 2.4 s apart as read, but the database may have read its clock up to a second later.
    let mut inputs = two_node_fleet();
    let read = read_of(&mut inputs);
    read.database_now = now() + TimeDelta::milliseconds(2_400);
    read.round_trip = Duration::from_secs(1);
    assert_eq!(findings(FLEET, &inputs), Vec::<&str>::new());
}

#[test]
fn leases_held_by_nodes_that_stopped_heartbeating_are_a_warning_per_node() {
    let mut inputs = two_node_fleet();
    let read = read_of(&mut inputs);
    read.leases = vec![
        lease("octo/app", "node-c", TimeDelta::seconds(30)),
        lease("octo/lib", "node-c", TimeDelta::seconds(90)),
        lease("octo/web", "node-d", TimeDelta::minutes(-3)),
    ];
    read.dead_holders = vec![NodeId::new("node-c").unwrap(), NodeId::new("node-d").unwrap()];
    assert_eq!(findings(FLEET, &inputs), ["fleet.W003"]);
    let result = checks::run_category(FLEET, &inputs).remove(0);
    assert_eq!(
        result.message,
        "leases held by nodes that stopped heartbeating: node-c (2 repositories; the last expires in 1m 30s), \
         node-d (1 repository; it expired 3m ago); live nodes take them over once they expire"
    );
    assert_eq!(
        result.hint.as_deref(),
        Some(
            "nothing, if the repositories move to live nodes within one lease TTL (3m); if they stay, no live \
             node is running (start one) or the live nodes do not configure those repositories (CORE_REPOS)"
        )
    );
}

#[test]
fn this_nodes_own_leases_after_it_stopped_with_no_live_node_left_say_so() {
    let inputs =
        read_fleet(Vec::new(), vec![lease("octo/app", "node-a", TimeDelta::minutes(1))], &["node-a"]);
    assert_eq!(findings(FLEET, &inputs), ["fleet.W003"]);
    assert_eq!(
        message(FLEET, &inputs, "fleet.W003"),
        "leases held by nodes that stopped heartbeating: node-a (1 repository, this node; it expires in 1m); \
         no live node is there to take them over"
    );
}

#[test]
fn leases_of_live_nodes_are_quiet() {
    let mut inputs = two_node_fleet();
    read_of(&mut inputs).leases.push(lease("octo/lib", "node-b", TimeDelta::minutes(-1)));
    assert_eq!(findings(FLEET, &inputs), Vec::<&str>::new());
}

#[test]
fn the_dashboard_shows_the_live_nodes_and_this_nodes_leases() {
    let inputs = two_node_fleet();
    let pipeline = Pipeline::new(&inputs);
    let fleet = pipeline.fleet.clone().unwrap();
    assert_eq!(fleet.live_nodes, ["node-a", "node-b"]);
    assert_eq!(fleet.leased_here, ["octo/app"]);
    assert_eq!((fleet.repos_leased, fleet.repos), (1, 1));
    let report = StatusReport::new(&inputs, "0.1.0", Vec::new(), Level::Error, false);
    let text = render::human(&report, RenderOptions::default());
    let line = text.lines().find(|l| l.trim_start().starts_with("fleet ")).unwrap();
    assert_eq!(
        line.trim(),
        "fleet           2 live nodes: node-a, node-b; 1 of 1 repos leased, here octo/app"
    );
}

#[test]
fn a_standalone_node_and_an_unread_database_show_no_fleet_line() {
    assert!(Pipeline::new(&healthy()).fleet.is_none());
    assert!(Pipeline::new(&fleet_node()).fleet.is_none());
}
