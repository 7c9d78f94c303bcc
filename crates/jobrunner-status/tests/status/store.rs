//! store: the state database, the last cycle, handlers, notifications and the journal.

use std::path::PathBuf;

use chrono::TimeDelta;
use jobrunner_config::{Environment, Secret};
use jobrunner_core::NodeId;
use jobrunner_journal::ReadWarning;
use jobrunner_status::dashboard::StoreState;
use jobrunner_status::systemd::{Systemd, UnitFile};
use jobrunner_status::{Category, Inputs, JournalWindow, StoreProblem, StoreSnapshot, checks};

use crate::support::{cycle, findings, healthy, message, open_store};

const STORE: Category = Category::Store;
const DB: &str = "/var/lib/core-ide/data/state.db";

fn unusable(problem: StoreProblem) -> Inputs {
    let mut inputs = healthy();
    inputs.store =
        StoreSnapshot::Unusable { location: DB.into(), problem, detail: "what the store said".into() };
    inputs
}

fn enabled_unit(inputs: &mut Inputs) {
    inputs.systemd = Systemd {
        unit: Some(UnitFile { path: "/etc/systemd/system/core-ide.service".into(), ..UnitFile::default() }),
        enabled: true,
    };
}

#[test]
fn a_healthy_store_reports_only_store_ok() {
    let results = checks::run_category(STORE, &healthy());
    assert_eq!(results.iter().map(|r| r.id).collect::<Vec<_>>(), ["store.ok"]);
}

#[test]
fn an_unopenable_database_is_an_error_with_the_stores_message() {
    let inputs = unusable(StoreProblem::Unopenable);
    assert_eq!(findings(STORE, &inputs), ["store.E001"]);
    assert_eq!(message(STORE, &inputs, "store.E001"), format!("state database {DB}: what the store said"));
}

#[test]
fn a_database_from_a_newer_core_ide_is_an_error() {
    assert_eq!(findings(STORE, &unusable(StoreProblem::NewerSchema)), ["store.E002"]);
}

#[test]
fn a_database_whose_migrations_fail_is_an_error() {
    assert_eq!(findings(STORE, &unusable(StoreProblem::NotMigrated)), ["store.E003"]);
}

#[test]
fn a_database_below_this_releases_schema_is_an_error() {
    let mut inputs = healthy();
    let StoreSnapshot::Open { schema_version, .. } = &mut inputs.store else { unreachable!() };
    *schema_version -= 1;
    assert_eq!(findings(STORE, &inputs), ["store.E003"]);
}

#[test]
fn a_database_of_another_node_is_an_error_naming_both_ids() {
    let mut inputs = healthy();
    let StoreSnapshot::Open { node, .. } = &mut inputs.store else { unreachable!() };
    *node = NodeId::new("node-b").unwrap();
    assert_eq!(findings(STORE, &inputs), ["store.E004"]);
    assert_eq!(
        message(STORE, &inputs, "store.E004"),
        format!(
            "state database {DB} belongs to node node-b, but the node id is node-a (from config file /etc/core-ide/config.toml)"
        )
    );
}

#[test]
fn an_unreadable_journal_directory_is_an_error() {
    let mut inputs = healthy();
    inputs.journal.read =
        Err("journal list /var/lib/core-ide/journal: Permission denied (os error 13)".into());
    assert_eq!(findings(STORE, &inputs), ["store.E005"]);
}

#[test]
fn an_enabled_node_whose_last_cycle_is_older_than_three_idle_intervals_is_a_warning() {
    let mut inputs = healthy();
    enabled_unit(&mut inputs);
    inputs.store = open_store(vec![cycle(7, TimeDelta::minutes(16), 0)]);
    assert_eq!(findings(STORE, &inputs), ["store.W001"]);
    assert_eq!(
        message(STORE, &inputs, "store.W001"),
        "last cycle #7 was 16m ago, more than 15m (3 x 5m), yet the node is meant to run (its unit is enabled)"
    );
}

#[test]
fn a_production_node_without_any_cycle_is_a_warning() {
    let mut inputs = healthy();
    inputs.settings.environment = Environment::Production;
    inputs.store = open_store(Vec::new());
    assert_eq!(findings(STORE, &inputs), ["store.W001"]);
}

#[test]
fn an_idle_node_cycling_every_five_minutes_is_quiet() {
    let mut inputs = healthy();
    enabled_unit(&mut inputs);
    inputs.store = open_store(vec![cycle(7, TimeDelta::minutes(14), 0)]);
    assert_eq!(findings(STORE, &inputs), Vec::<&str>::new());
}

#[test]
fn an_old_last_cycle_on_a_node_not_meant_to_run_is_quiet() {
    let mut inputs = healthy();
    inputs.store = open_store(vec![cycle(7, TimeDelta::days(3), 0)]);
    assert_eq!(findings(STORE, &inputs), Vec::<&str>::new());
}

#[test]
fn no_enabled_handler_is_a_warning() {
    let mut inputs = healthy();
    inputs.settings.enabled_handlers.clear();
    assert_eq!(findings(STORE, &inputs), ["store.W002"]);
}

#[test]
fn one_enabled_handler_is_quiet() {
    let mut inputs = healthy();
    inputs.settings.enabled_handlers = vec!["publish_draft".into()];
    assert_eq!(findings(STORE, &inputs), Vec::<&str>::new());
}

#[test]
fn no_notification_channel_is_an_info() {
    let mut inputs = healthy();
    inputs.settings.slack_webhook_url = None;
    assert_eq!(findings(STORE, &inputs), ["store.I001"]);
}

#[test]
fn a_discord_webhook_alone_is_a_notification_channel() {
    let mut inputs = healthy();
    inputs.settings.discord_webhook_url = inputs.settings.slack_webhook_url.take();
    assert_eq!(findings(STORE, &inputs), Vec::<&str>::new());
}

#[test]
fn torn_journal_lines_are_an_info_per_file_with_the_line_numbers() {
    let mut inputs = healthy();
    let file = PathBuf::from("/var/lib/core-ide/journal/octo/app/2026-11-22.jsonl");
    inputs.journal.read = Ok(JournalWindow {
        warnings: vec![
            ReadWarning::UnreadableLine {
                path: file.clone(),
                line: 3,
                error: "Syntax error at column 9".into(),
            },
            ReadWarning::TornLine { path: file.clone(), line: 9 },
        ],
        ..JournalWindow::default()
    });
    assert_eq!(findings(STORE, &inputs), ["store.I002"]);
    assert_eq!(
        message(STORE, &inputs, "store.I002"),
        format!(
            "the journal reader skips lines 3, 9 of {} (torn by a crash, or not a record)",
            file.display()
        )
    );
}

#[test]
fn a_journal_without_skipped_lines_is_quiet() {
    let mut inputs = healthy();
    inputs.journal.read = Ok(JournalWindow { warnings: Vec::new(), ..JournalWindow::default() });
    assert_eq!(findings(STORE, &inputs), Vec::<&str>::new());
}

#[test]
fn no_database_yet_is_an_info() {
    let mut inputs = healthy();
    inputs.store = StoreSnapshot::NotCreated { location: DB.into() };
    assert_eq!(findings(STORE, &inputs), ["store.I003"]);
}

/// The healthy node as a fleet node: its store is the fleet's database.
fn fleet_node(store: StoreSnapshot) -> Inputs {
    let mut inputs = healthy();
    inputs.settings.database_url = Some(Secret::new("postgres://core:pw@db/core".into()));
    inputs.store = store;
    inputs
}

const FLEET_DB: &str = "postgres://core:***@db/core";

fn fleet_store(schema_version: i64) -> StoreSnapshot {
    StoreSnapshot::Open {
        location: FLEET_DB.into(),
        schema_version,
        node: NodeId::new("node-a").unwrap(),
        cycles: vec![cycle(7, TimeDelta::seconds(30), 2)],
        refused: Vec::new(),
        unhealthy: Vec::new(),
        unplaceable: Vec::new(),
        waiting: Vec::new(),
    }
}

#[test]
fn a_fleet_nodes_store_is_its_database_at_postgresqls_schema_version() {
    let inputs = fleet_node(fleet_store(jobrunner_store::POSTGRES_SCHEMA_VERSION));
    assert_eq!(
        message(STORE, &inputs, "store.ok"),
        format!(
            "{FLEET_DB} at schema version {}, journal readable",
            jobrunner_store::POSTGRES_SCHEMA_VERSION
        )
    );
    assert_eq!(StoreState::of(&inputs), StoreState::Ok);
}

#[test]
fn a_fleet_database_below_postgresqls_schema_version_is_an_error() {
    let below = jobrunner_store::POSTGRES_SCHEMA_VERSION - 1;
    let inputs = fleet_node(fleet_store(below));
    assert_eq!(findings(STORE, &inputs), ["store.E003"]);
    assert_eq!(StoreState::of(&inputs), StoreState::Unusable);
}

#[test]
fn an_unreachable_fleet_database_is_left_to_fleet_e003() {
    let inputs = fleet_node(StoreSnapshot::Unusable {
        location: FLEET_DB.into(),
        problem: StoreProblem::Unreachable,
        detail: "Connection refused (os error 111)".into(),
    });
    assert_eq!(findings(STORE, &inputs), Vec::<&str>::new());
    assert_eq!(
        message(STORE, &inputs, "store.ok"),
        "journal readable; the state store, the fleet's database, cannot be reached (fleet.E003)"
    );
    assert_eq!(StoreState::of(&inputs), StoreState::Unreachable);
}

#[test]
fn a_fleet_database_the_store_refuses_is_an_error_pointing_at_the_database_url() {
    let mut inputs = fleet_node(StoreSnapshot::Unusable {
        location: FLEET_DB.into(),
        problem: StoreProblem::Unopenable,
        detail: "what the store said".into(),
    });
    assert_eq!(findings(STORE, &inputs), ["store.E001"]);
    let result = checks::run_category(STORE, &inputs).remove(0);
    assert_eq!(result.message, format!("state database {FLEET_DB}: what the store said"));
    assert!(result.hint.unwrap().contains("CORE_DATABASE_URL"));
    inputs.settings.database_url = None;
    let standalone = checks::run_category(STORE, &inputs).remove(0);
    assert_eq!(standalone.hint.as_deref(), Some("see the message: check the file, or move it aside"));
}

fn refused(pr: u64, action: &str) -> jobrunner_store::RefusedAction {
    jobrunner_store::RefusedAction {
        key: jobrunner_core::ActionKey {
            repo: jobrunner_core::RepoSlug::parse("octo/app").unwrap(),
            pr,
            action: jobrunner_core::ActionId::parse(action),
            head_sha: jobrunner_core::CommitSha::new("a".repeat(40)).unwrap(),
            review_at: None,
        },
        class: jobrunner_core::FailureClass::Permanent,
        at: crate::support::now(),
    }
}

#[test]
fn actions_github_refused_for_good_are_a_warning_naming_their_keys() {
    let mut inputs = healthy();
    let StoreSnapshot::Open { refused: list, .. } = &mut inputs.store else { unreachable!() };
    *list = (0..7).map(|pr| refused(pr, "enable_auto_merge/merge")).collect();
    let text = message(STORE, &inputs, "store.W003");
    assert!(text.starts_with("7 actions refused for good in the last day"), "{text}");
    assert!(text.contains("octo/app#0:enable_auto_merge/merge@aaaa"), "{text}");
    assert!(text.ends_with("and 2 more"), "{text}");
}

#[test]
fn no_refused_action_is_quiet() {
    assert!(!findings(STORE, &healthy()).contains(&"store.W003"));
}

#[test]
fn prs_waiting_on_a_person_are_listed_with_how_long_they_waited() {
    let mut inputs = healthy();
    let now = inputs.now;
    let repo = inputs.settings.repos[0].clone();
    let StoreSnapshot::Open { waiting, .. } = &mut inputs.store else { unreachable!() };
    waiting.push(jobrunner_store::PrWait {
        repo: repo.clone(),
        pr: 12,
        on: jobrunner_core::WaitingOn::Person,
        head_sha: jobrunner_core::CommitSha::new("a".repeat(40)).unwrap(),
        since: now - TimeDelta::minutes(125),
        reason: "stopped: a stop label is on the PR; remove it to let the pipeline act".to_owned(),
    });
    assert_eq!(
        message(STORE, &inputs, "store.I004"),
        format!(
            "1 PR waiting on a person: {repo}#12 for 2h 5m (stopped: a stop label is on the PR; remove it to let the pipeline act)"
        )
    );
}

#[test]
fn no_pr_waiting_on_a_person_is_quiet() {
    assert!(!findings(STORE, &healthy()).contains(&"store.I004"));
}
