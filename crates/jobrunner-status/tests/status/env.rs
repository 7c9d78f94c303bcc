//! env: the env file against its sample, and both against what the binaries read.

use jobrunner_status::{Category, FileState, Inputs, KnownVar};

use crate::support::{ENV_TEXT, SAMPLE, env_file, findings, healthy, message, sample};

const ENV: Category = Category::Env;

fn with_env_file(text: &str) -> Inputs {
    let mut inputs = healthy();
    inputs.env.env_file = env_file(text);
    inputs
}

fn with_sample(text: &str) -> Inputs {
    let mut inputs = healthy();
    inputs.env.sample = sample(text);
    inputs
}

#[test]
fn a_healthy_node_reports_only_env_ok() {
    let results = jobrunner_status::checks::run_category(ENV, &healthy());
    assert_eq!(results.iter().map(|r| r.id).collect::<Vec<_>>(), ["env.ok"]);
}

#[test]
fn a_missing_env_file_is_an_error_naming_the_sample_to_copy() {
    let mut inputs = healthy();
    inputs.env.env_file.state = FileState::Missing;
    assert_eq!(findings(ENV, &inputs), ["env.E001"]);
    assert_eq!(message(ENV, &inputs, "env.E001"), "env file /etc/core-ide/core-ide.env is missing");
}

#[test]
fn an_unreadable_env_file_is_an_error_with_the_reason() {
    let mut inputs = healthy();
    inputs.env.env_file.state = FileState::Unreadable("Permission denied (os error 13)".into());
    assert_eq!(findings(ENV, &inputs), ["env.E002"]);
    assert!(message(ENV, &inputs, "env.E002").ends_with("Permission denied (os error 13)"));
}

#[test]
fn an_env_file_with_only_what_it_needs_is_neither_missing_nor_unreadable() {
    assert_eq!(findings(ENV, &with_env_file(ENV_TEXT)), Vec::<&str>::new());
}

#[test]
fn a_missing_sample_is_a_warning() {
    let mut inputs = healthy();
    inputs.env.sample.state = FileState::Missing;
    assert_eq!(findings(ENV, &inputs), ["env.W001"]);
}

#[test]
fn a_variable_the_sample_sets_but_the_env_file_lacks_is_a_warning() {
    let inputs = with_env_file("CORE_GITHUB_TOKEN=ghp_test\n");
    assert_eq!(findings(ENV, &inputs), ["env.W002"]);
    assert!(message(ENV, &inputs, "env.W002").contains("lacks CORE_REPOS"));
}

#[test]
fn a_variable_the_sample_only_comments_may_be_left_out_of_the_env_file() {
    // The sample's `#CORE_POLL_INTERVAL=60s` documents an optional variable.
    assert!(SAMPLE.contains("#CORE_POLL_INTERVAL="));
    assert_eq!(findings(ENV, &with_env_file(ENV_TEXT)), Vec::<&str>::new());
}

#[test]
fn a_variable_the_env_file_sets_but_the_sample_does_not_list_is_a_warning() {
    let inputs = with_env_file(&format!("{ENV_TEXT}NO_COLOR=1\n"));
    assert_eq!(findings(ENV, &inputs), ["env.W003"]);
    assert!(message(ENV, &inputs, "env.W003").contains("sets NO_COLOR that"));
}

#[test]
fn setting_a_variable_the_sample_documents_as_optional_is_quiet() {
    assert_eq!(findings(ENV, &with_env_file(&format!("{ENV_TEXT}CORE_LEASE_TTL=2m\n"))), Vec::<&str>::new());
}

#[test]
fn a_sample_that_omits_a_variable_the_binaries_read_is_a_warning() {
    let inputs = with_sample(&SAMPLE.replace("#RUST_LOG=info\n", ""));
    assert_eq!(findings(ENV, &inputs), ["env.W004"]);
    assert!(message(ENV, &inputs, "env.W004").contains("omits RUST_LOG that the binaries read"));
}

#[test]
fn variables_the_session_provides_need_not_be_in_the_sample() {
    assert!(!SAMPLE.contains("DISPLAY") && !SAMPLE.contains("NOTIFY_SOCKET"));
    assert_eq!(findings(ENV, &healthy()), Vec::<&str>::new());
}

#[test]
fn a_variable_the_binaries_read_through_a_clap_argument_is_known() {
    let command =
        clap::Command::new("core-status").arg(clap::Arg::new("x").long("x").env("CORE_STATUS_EXTRA"));
    let known = KnownVar::of_binaries(&[&command]);
    assert!(known.iter().any(|k| k.name == "CORE_STATUS_EXTRA" && k.in_env_file));
    let mut inputs = healthy();
    inputs.env.known = known;
    assert_eq!(findings(ENV, &inputs), ["env.W004"], "the sample must now list it too");
}

#[test]
fn a_sample_variable_nothing_reads_is_a_warning() {
    let inputs = with_sample(&format!("{SAMPLE}#CORE_TURBO=1\n"));
    assert_eq!(findings(ENV, &inputs), ["env.W005"]);
    assert!(message(ENV, &inputs, "env.W005").contains("lists CORE_TURBO, which nothing reads"));
}

#[test]
fn comment_prose_in_the_sample_is_not_a_variable() {
    let inputs = with_sample(&format!("{SAMPLE}# Tip: CORE_REPOS takes owner/name pairs = easy.\n"));
    assert_eq!(findings(ENV, &inputs), Vec::<&str>::new());
}

#[test]
fn an_unknown_core_variable_in_the_environment_names_the_closest_known_one() {
    let mut inputs = healthy();
    inputs.env.process_vars.insert("CORE_POLL_INTERVL".into());
    assert_eq!(findings(ENV, &inputs), ["env.W006"]);
    assert_eq!(
        message(ENV, &inputs, "env.W006"),
        "unknown variable CORE_POLL_INTERVL in the environment: nothing reads it (closest known: CORE_POLL_INTERVAL)"
    );
}

#[test]
fn an_unknown_core_variable_in_the_env_file_is_reported_once_there() {
    let inputs = with_env_file(&format!("{ENV_TEXT}CORE_DRYRUN=true\n"));
    assert_eq!(findings(ENV, &inputs), ["env.W006"], "not also as missing from the sample (env.W003)");
    assert!(message(ENV, &inputs, "env.W006").contains("CORE_DRYRUN in /etc/core-ide/core-ide.env"));
    assert!(message(ENV, &inputs, "env.W006").contains("closest known: CORE_DRY_RUN"));
}

#[test]
fn known_and_foreign_variables_in_the_environment_are_quiet() {
    let mut inputs = healthy();
    inputs.env.process_vars.extend([
        "CORE_ENV".to_owned(),
        "CORE_CONFIG".to_owned(),
        "CARGO_HOME".to_owned(),
    ]);
    assert_eq!(findings(ENV, &inputs), Vec::<&str>::new());
}

#[test]
fn an_export_line_systemd_ignores_is_a_warning_with_its_line_number() {
    let inputs = with_env_file(&format!("{ENV_TEXT}export RUST_LOG=info\n"));
    assert_eq!(findings(ENV, &inputs), ["env.W007"]);
    assert_eq!(message(ENV, &inputs, "env.W007"), "/etc/core-ide/core-ide.env: systemd ignores line 3");
}

#[test]
fn blank_lines_and_comments_in_the_env_file_are_quiet() {
    let inputs = with_env_file(&format!("# the node's secrets\n\n{ENV_TEXT}\n; done\n"));
    assert_eq!(findings(ENV, &inputs), Vec::<&str>::new());
}

#[test]
fn a_world_readable_env_file_is_a_warning() {
    let mut inputs = healthy();
    let FileState::Read { world_readable, .. } = &mut inputs.env.env_file.state else { unreachable!() };
    *world_readable = true;
    assert_eq!(findings(ENV, &inputs), ["env.W008"]);
}

#[test]
fn a_world_readable_sample_is_quiet() {
    let inputs = healthy();
    assert!(matches!(inputs.env.sample.state, FileState::Read { world_readable: true, .. }));
    assert_eq!(findings(ENV, &inputs), Vec::<&str>::new());
}
