//! runtime: token, repositories, production settings and the API budget.

use std::time::Duration;

use chrono::TimeDelta;
use jobrunner_config::Environment;
use jobrunner_status::{Assigned, Category, Inputs, checks};

use crate::support::{cycle, findings, healthy, message, open_store};

const RUNTIME: Category = Category::Runtime;

fn production() -> Inputs {
    let mut inputs = healthy();
    inputs.settings.environment = Environment::Production;
    inputs
}

fn rust_log(value: &str) -> Assigned {
    Assigned { value: value.to_owned(), origin: "/etc/core-ide/core-ide.env".to_owned() }
}

#[test]
fn a_healthy_node_reports_only_runtime_ok() {
    let results = checks::run_category(RUNTIME, &healthy());
    assert_eq!(
        results.iter().map(|r| r.message.as_str()).collect::<Vec<_>>(),
        ["token set, 1 repository, one cycle every 1m"]
    );
}

#[test]
fn no_token_is_an_error() {
    let mut inputs = healthy();
    inputs.settings.github_token = None;
    assert_eq!(findings(RUNTIME, &inputs), ["runtime.E001"]);
}

#[test]
fn no_repositories_is_an_error() {
    let mut inputs = healthy();
    inputs.settings.repos.clear();
    assert_eq!(findings(RUNTIME, &inputs), ["runtime.E002"]);
}

#[test]
fn an_mcp_bridge_beyond_loopback_without_a_token_is_an_error_and_with_one_is_quiet() {
    let mut inputs = healthy();
    inputs.settings.mcp = true;
    inputs.settings.mcp_bind = "0.0.0.0:9877".parse().unwrap();
    assert_eq!(findings(RUNTIME, &inputs), ["runtime.E003"]);
    inputs.settings.mcp_token = Some(jobrunner_config::Secret::new("t0ken".into()));
    assert_eq!(findings(RUNTIME, &inputs), Vec::<&str>::new());
    inputs.settings.mcp_token = None;
    inputs.settings.mcp = false;
    assert_eq!(findings(RUNTIME, &inputs), Vec::<&str>::new(), "no bridge, nothing to guard");
}

#[test]
fn a_production_node_in_dry_run_is_a_warning() {
    let mut inputs = production();
    inputs.settings.dry_run = true;
    assert_eq!(findings(RUNTIME, &inputs), ["runtime.W001"]);
}

#[test]
fn a_staging_node_in_dry_run_is_quiet() {
    let mut inputs = healthy();
    inputs.settings.environment = Environment::Staging;
    inputs.settings.dry_run = true;
    assert_eq!(findings(RUNTIME, &inputs), Vec::<&str>::new());
}

#[test]
fn a_production_node_logging_debug_for_one_crate_is_a_warning() {
    let mut inputs = production();
    inputs.env.log_filter = Some(rust_log("info,jobrunner_runner=debug"));
    assert_eq!(findings(RUNTIME, &inputs), ["runtime.W002"]);
    assert_eq!(
        message(RUNTIME, &inputs, "runtime.W002"),
        "production node logs at debug level (RUST_LOG=info,jobrunner_runner=debug from /etc/core-ide/core-ide.env)"
    );
}

#[test]
fn a_production_node_logging_info_or_a_developer_logging_trace_is_quiet() {
    let mut inputs = production();
    inputs.env.log_filter = Some(rust_log("info,jobrunner_github=warn"));
    assert_eq!(findings(RUNTIME, &inputs), Vec::<&str>::new());
    let mut inputs = healthy();
    inputs.env.log_filter = Some(rust_log("trace"));
    assert_eq!(findings(RUNTIME, &inputs), Vec::<&str>::new());
}

#[test]
fn a_poll_interval_under_ten_seconds_is_a_warning() {
    let mut inputs = healthy();
    inputs.settings.poll_interval = Duration::from_secs(9);
    assert_eq!(findings(RUNTIME, &inputs), ["runtime.W003"]);
}

#[test]
fn a_poll_interval_of_ten_seconds_is_quiet() {
    let mut inputs = healthy();
    inputs.settings.poll_interval = Duration::from_secs(10);
    assert_eq!(findings(RUNTIME, &inputs), Vec::<&str>::new());
}

#[test]
fn cycles_spending_150_points_a_minute_project_over_the_standalone_budget() {
    // The seed design's scan: 150 points every 60 s is 9,000 an hour, 1.8x the budget.
    let mut inputs = healthy();
    inputs.store = open_store(
        (1..=20_i64).rev().map(|n| cycle(n.unsigned_abs(), TimeDelta::minutes(21 - n), 150)).collect(),
    );
    assert_eq!(findings(RUNTIME, &inputs), ["runtime.W004"]);
    assert_eq!(
        message(RUNTIME, &inputs, "runtime.W004"),
        "projected 9,000 API points/hour (150.0 per cycle over the last 20 cycles, one cycle every 1m) exceeds this node's share of the token's budget, 5,000/hour"
    );
    let hint = checks::run_category(RUNTIME, &inputs).remove(0).hint.unwrap();
    assert_eq!(hint, "set CORE_POLL_INTERVAL to at least 1m 48s, or poll fewer repositories");
}

#[test]
fn the_budget_is_shared_by_the_nodes_spending_one_token() {
    let mut inputs = healthy();
    inputs.store =
        open_store(vec![cycle(2, TimeDelta::seconds(10), 30), cycle(1, TimeDelta::seconds(70), 30)]);
    assert_eq!(findings(RUNTIME, &inputs), Vec::<&str>::new(), "1,800/hour alone is fine");
    inputs.nodes_sharing_token = 4;
    assert_eq!(findings(RUNTIME, &inputs), ["runtime.W004"], "but not within a quarter of 5,000");
}

#[test]
fn cycles_within_the_budget_or_no_cycles_at_all_are_quiet() {
    let mut inputs = healthy();
    inputs.store = open_store(vec![cycle(1, TimeDelta::seconds(10), 83)]);
    assert_eq!(findings(RUNTIME, &inputs), Vec::<&str>::new(), "83 a minute is 4,980/hour");
    inputs.store = open_store(Vec::new());
    assert_eq!(findings(RUNTIME, &inputs), Vec::<&str>::new());
}

#[test]
fn repositories_the_node_cannot_poll_are_a_warning_naming_each_and_its_class() {
    let mut inputs = healthy();
    let repo = inputs.settings.repos[0].clone();
    let jobrunner_status::StoreSnapshot::Open { unhealthy, .. } = &mut inputs.store else { unreachable!() };
    let gone = jobrunner_core::RepoSlug::parse("octo/removed-from-config").unwrap();
    for (repo, class) in [
        (repo.clone(), jobrunner_core::FailureClass::NotFound),
        (gone, jobrunner_core::FailureClass::Forbidden),
    ] {
        unhealthy.push(jobrunner_core::UnhealthyRepo {
            repo,
            class,
            failures: 3,
            since: crate::support::now(),
        });
    }
    let text = message(RUNTIME, &inputs, "runtime.W005");
    assert!(
        text.starts_with(&format!("GitHub refuses polls of 1 repository: {repo} (not found, 3 failed polls")),
        "{text}"
    );
    assert!(!text.contains("removed-from-config"), "only repositories still configured: {text}");
}

#[test]
fn no_unhealthy_repository_is_quiet() {
    assert!(!findings(RUNTIME, &healthy()).contains(&"runtime.W005"));
}

#[test]
fn epic_items_the_pipeline_cannot_place_are_a_warning_naming_the_epic_and_the_item() {
    use jobrunner_core::checklist::{Unplaceable, UnplaceableEpicItem, UnplaceableItem};
    let mut inputs = healthy();
    let repo = inputs.settings.repos[0].clone();
    let jobrunner_status::StoreSnapshot::Open { unplaceable, .. } = &mut inputs.store else { unreachable!() };
    let gone = jobrunner_core::RepoSlug::parse("octo/removed-from-config").unwrap();
    unplaceable.push(UnplaceableEpicItem {
        repo: repo.clone(),
        epic: 7,
        item: UnplaceableItem { item: 3, why: Unplaceable::OtherHost },
    });
    unplaceable.push(UnplaceableEpicItem {
        repo: gone,
        epic: 1,
        item: UnplaceableItem { item: 1, why: Unplaceable::Ambiguous },
    });
    let text = message(RUNTIME, &inputs, "runtime.W006");
    assert_eq!(
        text,
        format!(
            "epic task-list items that name no child the pipeline can place, so it does not track them (1): \
             epic {repo}#7 item 3: its issue URL is on another host than the forge's"
        )
    );
}

#[test]
fn an_epic_whose_items_all_place_is_quiet() {
    assert!(!findings(RUNTIME, &healthy()).contains(&"runtime.W006"));
}
