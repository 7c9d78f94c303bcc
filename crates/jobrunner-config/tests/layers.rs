//! Settings as an operator meets them: defaults, a file, flags, and one-line errors.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Command, FromArgMatches};
use jobrunner_config::{
    ConfigArgs, ConfigError, Environment, Host, Mode, Secret, Settings, Source, env_vars,
};
use jobrunner_core::MergeMethod;

fn command() -> Command {
    ConfigArgs::augment_args(Command::new("core-ide").subcommand(Command::new("simulate")))
}

fn args(flags: &[&str]) -> ConfigArgs {
    let matches =
        command().try_get_matches_from(std::iter::once("core-ide").chain(flags.iter().copied())).unwrap();
    ConfigArgs::from_arg_matches(&matches).unwrap()
}

fn host() -> Host {
    Host { home: Some(PathBuf::from("/home/op")), hostname: Some("build-7".into()), token: None }
}

fn load(file: Option<&str>, flags: &[&str]) -> Result<Settings, ConfigError> {
    Settings::from_layers(file.map(|text| (Path::new("/etc/core-ide.toml"), text)), &args(flags), &host())
}

fn error(file: Option<&str>, flags: &[&str]) -> String {
    load(file, flags).unwrap_err().to_string()
}

#[test]
fn defaults_need_no_file_and_no_flags() {
    let settings = load(None, &[]).unwrap();
    assert_eq!(settings.poll_interval, Duration::from_secs(60));
    assert!(settings.repos.is_empty());
    assert!(!settings.dry_run);
    assert_eq!(settings.mode, Mode::Auto);
    assert_eq!(settings.journal_dir, Path::new("/home/op/.core/journal"));
    assert_eq!(settings.data_dir, Path::new("/home/op/.core/data"));
    assert_eq!(settings.node_id.as_str(), "build-7");
    assert_eq!(settings.enabled_handlers.len(), 8);
    assert_eq!(settings.handlers.merge_method, MergeMethod::Squash);
    assert_eq!(settings.handlers.conflict_command, "fix merge conflict");
    assert_eq!(settings.environment, Environment::Development);
    assert!(settings.database_url.is_none());
    assert_eq!(settings.lease_ttl, Duration::from_secs(180), "at least twice the default poll interval");
    assert_eq!(settings.heartbeat_interval, Duration::from_secs(15));
    assert!(settings.slack_webhook_url.is_none() && settings.discord_webhook_url.is_none());
    assert!(settings.silenced.is_empty());
    assert!(settings.sources.values().all(|s| *s == Source::Default));
}

#[test]
fn the_handlers_own_defaults_are_the_registrys() {
    // Tests across the workspace build handlers from `HandlerSettings::default()`: it must be
    // what a node without configuration runs, or they pin behaviour no node has.
    assert_eq!(load(None, &[]).unwrap().handlers, jobrunner_handlers::HandlerSettings::default());
}

#[test]
fn fleet_timing_needs_a_lease_ttl_over_twice_the_poll_interval_and_a_faster_heartbeat() {
    assert_eq!(load(None, &[]).unwrap().fleet_timing_problem(), None, "the defaults work");
    let short = load(None, &["--poll-interval", "1m", "--lease-ttl", "2m"]).unwrap();
    let problem = short.fleet_timing_problem().expect("exactly twice is too short");
    assert!(problem.starts_with("lease_ttl 2m must be more than twice poll_interval 1m"), "{problem}");
    assert!(problem.contains("CORE_LEASE_TTL"), "says how to fix it: {problem}");
    let slow = load(None, &["--lease-ttl", "3m", "--heartbeat-interval", "3m"]).unwrap();
    let problem = slow.fleet_timing_problem().expect("a heartbeat as slow as the TTL");
    assert!(problem.contains("CORE_HEARTBEAT_INTERVAL"), "{problem}");
}

#[test]
fn file_overrides_defaults_and_flags_override_the_file() {
    let file = r#"
        poll_interval = "5m"
        repos = ["octo/app", "octo/lib"]
        dry_run = true
        merge_method = "rebase"
        handlers = "publish_draft,tick_parent"
    "#;
    let settings = load(Some(file), &["--poll-interval", "90", "--dry-run=false"]).unwrap();
    assert_eq!(settings.poll_interval, Duration::from_secs(90));
    assert!(!settings.dry_run);
    assert_eq!(settings.repos.iter().map(ToString::to_string).collect::<Vec<_>>(), ["octo/app", "octo/lib"]);
    assert_eq!(settings.handlers.merge_method, MergeMethod::Rebase);
    assert_eq!(
        settings.enabled_handlers,
        ["tick_parent", "publish_draft"],
        "priority order, not listed order"
    );
    assert_eq!(settings.sources["poll_interval"], Source::Flag("--poll-interval".into()));
    assert_eq!(settings.sources["repos"], Source::File("/etc/core-ide.toml".into()));
}

#[test]
fn flags_work_after_a_subcommand() {
    let settings = load(None, &["simulate", "--repos", "octo/app", "--dry-run"]).unwrap();
    assert!(settings.dry_run);
    assert_eq!(settings.repos.len(), 1);
}

#[test]
fn headless_and_desktop_flags_set_the_mode() {
    assert_eq!(load(None, &["--headless"]).unwrap().mode, Mode::Headless);
    assert_eq!(load(Some("mode = \"headless\""), &["--desktop"]).unwrap().mode, Mode::Desktop);
    assert!(command().try_get_matches_from(["core-ide", "--headless", "--desktop"]).is_err());
    assert_eq!(Mode::Auto.resolve(false), Mode::Headless);
    assert_eq!(Mode::Auto.resolve(true), Mode::Desktop);
}

#[test]
fn bad_flag_value_names_key_value_flag_and_what_is_accepted() {
    assert_eq!(
        error(None, &["--poll-interval", "soon"]),
        "invalid value \"soon\" for poll_interval (from --poll-interval): expected a duration such as 30s, 5m or 1h, between 1s and 24h"
    );
    assert_eq!(
        error(None, &["--merge-method", "octopus"]),
        "invalid value \"octopus\" for merge_method (from --merge-method): expected one of merge, squash, rebase"
    );
}

#[test]
fn bad_file_value_names_the_file() {
    assert_eq!(
        error(Some("journal_fsync = \"sometimes\""), &[]),
        "invalid value \"sometimes\" for journal_fsync (from config file /etc/core-ide.toml): expected per-record or never"
    );
    assert_eq!(
        error(Some("dry_run = \"maybe\""), &[]),
        "invalid value \"maybe\" for dry_run (from config file /etc/core-ide.toml): expected true or false"
    );
}

#[test]
fn every_kind_of_bad_value_is_rejected() {
    let cases: &[(&str, &str)] = &[
        ("--poll-interval", "0s"),
        ("--poll-interval", "25h"),
        ("--repos", "octo"),
        ("--repos", "octo/.."),
        ("--repos", "octo/app,../etc"),
        ("--mode", "tray"),
        ("--journal-dir", ""),
        ("--node-id", "-bad"),
        ("--handlers", "publish_draft,merge_everything"),
        ("--conflict-command", "   "),
    ];
    for (flag, value) in cases {
        let message = error(None, &[&format!("{flag}={value}")]);
        assert!(message.starts_with("invalid value"), "{flag}={value}: {message}");
        assert!(message.contains(&format!("(from {flag})")), "{message}");
        assert!(!message.contains('\n'), "one line: {message}");
    }
}

#[test]
fn repositories_differing_only_in_case_are_refused_as_one_github_repository() {
    let message = error(None, &["--repos", "octo/app,OCTO/app"]);
    assert!(message.starts_with("invalid value \"octo/app,OCTO/app\" for repos (from --repos)"), "{message}");
    assert!(message.contains("octo/app and OCTO/app differ only in case"), "{message}");
    let settings = load(None, &["--repos", "Octo/App,octo/lib,Octo/App"]).unwrap();
    assert_eq!(
        settings.repos.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["octo/app", "octo/lib"],
        "an exact repetition is harmless; names are held in GitHub's case-insensitive canonical form"
    );
}

#[test]
fn a_token_with_a_carriage_return_is_refused_at_load_without_showing_it() {
    for token in ["ghp_crlf_secret\r", "ghp_crlf\nsecret", "ghp crlf secret"] {
        let host = Host { token: Some(("CORE_GITHUB_TOKEN", Secret::new(token.into()))), ..host() };
        let message = Settings::from_layers(None, &args(&[]), &host).unwrap_err().to_string();
        assert!(
            message
                .starts_with("invalid value for the GitHub token (from CORE_GITHUB_TOKEN; value not shown"),
            "{message}"
        );
        assert!(!message.contains("secret\r") && !message.contains("crlf"), "{message}");
        assert!(!message.contains('\n') && !message.contains('\r'), "one line: {message}");
    }
    assert!(load(None, &[]).is_ok(), "no token loads; the runner says how to set one");
}

#[test]
fn unknown_file_key_lists_the_known_keys() {
    let message = error(Some("pol_interval = \"60s\""), &[]);
    assert!(
        message.starts_with(
            "unknown key \"pol_interval\" in /etc/core-ide.toml: known keys are poll_interval, mutation_gap, repos,"
        ),
        "{message}"
    );
}

#[test]
fn toml_syntax_error_is_one_line() {
    let message = error(Some("poll_interval = \n\"60s"), &[]);
    assert!(message.starts_with("config file /etc/core-ide.toml is not valid TOML:"), "{message}");
    assert!(!message.contains('\n'), "{message}");
}

#[test]
fn toml_syntax_errors_give_the_position_never_the_line_that_may_hold_a_secret() {
    let files = [
        // An env file given to --config by mistake.
        "CORE_REPOS=octo/app\nCORE_GITHUB_TOKEN=ghp_leaked0123456789\n",
        "CORE_GITHUB_TOKEN=\"ghp_leaked0123456789\"\nCORE_GITHUB_TOKEN=\"x\"\n",
        // A malformed database_url line.
        "poll_interval = \"60s\"\ndatabase_url = postgres://core:hunter2leaked@db/core\n",
        "database_url = \"postgres://core:hunter2leaked@db/core\n",
        "ghp_leaked0123456789\n",
        "[ghp_leaked0123456789\n",
        "x = \"\\q ghp_leaked0123456789\"\n",
    ];
    for text in files {
        let message = error(Some(text), &[]);
        assert!(message.starts_with("config file /etc/core-ide.toml is not valid TOML: line "), "{message}");
        assert!(!message.contains("leaked"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
    assert!(
        error(Some("a = 1\nb = \n"), &[]).contains("line 2, column 5"),
        "{}",
        error(Some("a = 1\nb = \n"), &[])
    );
}

#[test]
fn rendering_lines_over_65535_characters_does_not_panic() {
    let command = "x".repeat(65_536);
    let repos: Vec<String> = (0..10_000).map(|i| format!("octo/repo-{i}")).collect();
    let settings = load(None, &["--conflict-command", &command, "--repos", &repos.join(",")]).unwrap();
    let text = settings.render_toml();
    let line = text.lines().find(|l| l.starts_with("conflict_command = ")).unwrap();
    assert!(
        line.contains(&command) && line.ends_with("\"  # --conflict-command"),
        "{}",
        &line[line.len() - 40..]
    );
    let repos_line = text.lines().find(|l| l.starts_with("repos = ")).unwrap();
    assert!(repos_line.len() > 65_535 && repos_line.ends_with("  # --repos"));
    let short = text.lines().find(|l| l.starts_with("dry_run = ")).unwrap();
    let node = text.lines().find(|l| l.starts_with("node_id = ")).unwrap();
    assert_eq!(short.find("  # "), node.find("  # "), "short lines stay aligned:\n{short}\n{node}");
}

#[test]
fn plain_http_api_urls_are_refused_unless_the_host_is_loopback() {
    let message = error(None, &["--api-url", "http://ghe.example.com/api/v3"]);
    assert!(message.contains("expected an https URL: http:// sends the token in clear"), "{message}");
    assert!(error(None, &["--api-url", "http://127.0.0.1.evil.example"]).contains("in clear"));
    for local in
        ["http://127.0.0.1:9", "http://localhost:8080/api/v3", "http://[::1]:80", "HTTPS://ghe.example.com"]
    {
        assert!(load(None, &["--api-url", local]).is_ok(), "{local}");
    }
}

#[test]
fn credentials_in_the_api_url_are_refused_without_showing_them() {
    for url in [
        "https://x-access-token:ghp_inurl0123@api.github.com",
        "http://op:hunter2@127.0.0.1:9/api",
        "https://ghp_inurl0123@ghe.example.com/api/v3",
    ] {
        let message = error(None, &["--api-url", url]);
        assert!(message.starts_with("api_url (from --api-url) holds credentials"), "{message}");
        assert!(!message.contains("ghp_inurl") && !message.contains("hunter2"), "{message}");
    }
    assert!(
        load(None, &["--api-url", "https://ghe.example.com/api/v3/users/@me"]).is_ok(),
        "an @ in the path is not a credential"
    );
}

#[test]
fn wrong_toml_types_are_named() {
    assert!(error(Some("repos = [1, 2]"), &[]).contains("expected an array of strings"));
    assert!(error(Some("[poll_interval]\nx = 1"), &[]).contains("expected a string, number or boolean"));
}

#[test]
fn rendered_config_shows_sources_and_redacts_the_token() {
    let host =
        Host { token: Some(("CORE_GITHUB_TOKEN", Secret::new("ghp_supersecret123".into()))), ..host() };
    let settings = Settings::from_layers(None, &args(&["--repos", "octo/app"]), &host).unwrap();
    let text = settings.render_toml();
    assert!(!text.contains("ghp_supersecret123"), "{text}");
    assert!(!format!("{settings:?}").contains("ghp_supersecret123"));
    assert!(text.contains("# github token: set from CORE_GITHUB_TOKEN (redacted)"), "{text}");
    let repos_line = text.lines().find(|l| l.starts_with("repos = ")).unwrap();
    assert!(
        repos_line.starts_with("repos = [\"octo/app\"]") && repos_line.ends_with("# --repos"),
        "{repos_line}"
    );
    let reparsed: toml::Table = text.parse().expect("the rendered config is valid TOML");
    assert_eq!(reparsed["poll_interval"].as_str(), Some("1m"));
}

#[test]
fn every_env_var_of_the_arguments_is_in_the_registry() {
    let registry: Vec<&str> = env_vars().iter().map(|v| v.name).collect();
    let from_clap: Vec<String> = command()
        .get_arguments()
        .filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned()))
        .collect();
    assert!(from_clap.len() >= 12);
    for var in &from_clap {
        assert!(registry.contains(&var.as_str()), "{var} is read but not registered");
    }
    assert!(registry.contains(&"CORE_GITHUB_TOKEN") && registry.contains(&"GITHUB_TOKEN"));
}

#[test]
fn api_url_accepts_enterprise_paths_and_rejects_other_schemes() {
    let settings = load(None, &["--api-url", "https://ghe.example.com/api/v3/"]).unwrap();
    assert_eq!(settings.api_url, "https://ghe.example.com/api/v3");
    assert!(error(None, &["--api-url", "ftp://x"]).contains("expected an http(s) URL"));
    assert!(error(None, &["--epic-label", "a,b"]).contains("expected a label name"));
}

const ENV_FILE: &str = "/etc/core-ide/core-ide.env";

fn with_env_file(flags: &[&str], vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let args = args(flags).with_env_file(Path::new(ENV_FILE), vars.iter().copied());
    Settings::from_layers(None, &args, &host())
}

#[test]
fn env_file_values_sit_below_flags_and_the_last_assignment_wins() {
    let settings = with_env_file(
        &["--repos", "octo/app"],
        &[
            ("CORE_REPOS", "octo/ignored"),
            ("CORE_POLL_INTERVAL", "30s"),
            ("CORE_POLL_INTERVAL", "2m"),
            ("CORE_ENV", "production"),
            ("UNRELATED", "x"),
        ],
    )
    .unwrap();
    assert_eq!(settings.repos.iter().map(ToString::to_string).collect::<Vec<_>>(), ["octo/app"]);
    assert_eq!(settings.poll_interval, Duration::from_secs(120));
    assert_eq!(settings.environment, Environment::Production);
    assert_eq!(
        settings.sources["poll_interval"].to_string(),
        "CORE_POLL_INTERVAL in /etc/core-ide/core-ide.env"
    );
}

#[test]
fn fleet_and_notification_settings_parse_from_the_environment() {
    let settings = with_env_file(
        &["--lease-ttl", "2m", "--heartbeat-interval", "20s"],
        &[
            ("CORE_DATABASE_URL", "postgres://core:hunter2@db.internal:5432/core"),
            ("CORE_SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/xyz"),
            ("CORE_DISCORD_WEBHOOK_URL", "http://127.0.0.1:8080/api/webhooks/1/abc"),
            ("CORE_SILENCED", "env.W003, runtime.I001,env.W003"),
        ],
    )
    .unwrap();
    assert_eq!(
        settings.database_url.as_ref().map(Secret::expose),
        Some("postgres://core:hunter2@db.internal:5432/core")
    );
    assert_eq!(settings.lease_ttl, Duration::from_secs(120));
    assert_eq!(settings.heartbeat_interval, Duration::from_secs(20));
    assert!(settings.slack_webhook_url.is_some() && settings.discord_webhook_url.is_some());
    assert_eq!(settings.silenced, ["env.W003", "runtime.I001"]);
}

#[test]
fn a_bad_secret_names_the_key_and_its_source_but_never_the_value() {
    let cases = [
        ("CORE_DATABASE_URL", "mysql://root:hunter2@db/core", "database_url"),
        ("CORE_DATABASE_URL", "postgres://hunter2@", "database_url"),
        ("CORE_SLACK_WEBHOOK_URL", "http://hooks.example.com/services/hunter2", "slack_webhook_url"),
        ("CORE_DISCORD_WEBHOOK_URL", "https://discord.com", "discord_webhook_url"),
        (
            "CORE_DISCORD_WEBHOOK_URL",
            "https://user:hunter2@discord.com/api/webhooks/1",
            "discord_webhook_url",
        ),
    ];
    for (var, value, key) in cases {
        let message = with_env_file(&[], &[(var, value)]).unwrap_err().to_string();
        assert!(
            message
                .starts_with(&format!("invalid value for {key} (from {var} in {ENV_FILE}; value not shown")),
            "{message}"
        );
        assert!(!message.contains("hunter2") && !message.contains('\n'), "{message}");
    }
}

#[test]
fn secrets_in_the_config_file_are_refused() {
    let message = error(Some("database_url = \"postgres://core:hunter2@db/core\""), &[]);
    assert_eq!(
        message,
        "database_url in /etc/core-ide.toml is a secret and is not read from the config file: set \
         CORE_DATABASE_URL in the environment instead (the service's EnvironmentFile, mode 0600)"
    );
}

#[test]
fn silenced_checks_come_from_a_file_array_and_must_look_like_check_ids() {
    let settings = load(Some("silenced = [\"env.W003\", \"store.I001\"]"), &[]).unwrap();
    assert_eq!(settings.silenced, ["env.W003", "store.I001"]);
    for bad in ["W003", "env.X003", "env.W03", "Env.W003"] {
        let message = error(Some(&format!("silenced = [\"{bad}\"]")), &[]);
        assert!(message.contains("expected comma-separated check ids such as env.W003"), "{message}");
    }
}

#[test]
fn environment_accepts_three_names() {
    assert_eq!(load(None, &["--environment", "staging"]).unwrap().environment, Environment::Staging);
    assert_eq!(
        error(None, &["--environment", "prod"]),
        "invalid value \"prod\" for environment (from --environment): expected development, staging or production"
    );
}

#[test]
fn rendered_config_says_which_secrets_are_set_without_their_values() {
    let settings = with_env_file(&[], &[("CORE_DATABASE_URL", "postgres://core:hunter2@db/core")]).unwrap();
    let text = settings.render_toml();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!format!("{settings:?}").contains("hunter2"));
    assert!(
        text.contains("# database_url: set from CORE_DATABASE_URL in /etc/core-ide/core-ide.env (redacted)"),
        "{text}"
    );
    assert!(text.contains("# slack_webhook_url: not set (CORE_SLACK_WEBHOOK_URL)"), "{text}");
    let reparsed: toml::Table = text.parse().expect("the rendered config is valid TOML");
    assert_eq!(reparsed["lease_ttl"].as_str(), Some("3m"));
    assert!(!reparsed.contains_key("database_url"));
}

#[test]
fn the_fix_command_limit_must_be_between_1_and_20() {
    let message = error(Some("fix_command_limit = \"0\""), &[]);
    assert!(message.contains("invalid value \"0\" for fix_command_limit"), "{message}");
    assert!(message.contains("a whole number from 1 to 20"), "{message}");
}

#[test]
fn the_agent_budget_and_its_label_come_from_configuration() {
    let settings = load(Some("fix_command_limit = 5\nneeds_human_label = \"agent-stuck\""), &[]).unwrap();
    assert_eq!(
        (settings.handlers.fix_command_limit, settings.handlers.needs_human_label.as_str()),
        (5, "agent-stuck")
    );
    let defaults = load(None, &[]).unwrap();
    assert_eq!(
        (defaults.handlers.fix_command_limit, defaults.handlers.needs_human_label.as_str()),
        (3, "needs-human")
    );
}

#[test]
fn update_settings_default_to_no_updates_on_stable_in_opt() {
    let settings = load(None, &[]).unwrap();
    assert_eq!(settings.update_url, None, "no manifest URL: no updates");
    assert_eq!(settings.update_channel, "stable");
    assert_eq!(settings.update_public_key, None, "the compiled-in key");
    assert_eq!(settings.update_prefix, Path::new("/opt/core-ide"));
    assert_eq!(settings.update_interval, Duration::from_secs(6 * 3600));

    let key = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
    let settings = load(
        Some("update_channel = \"Beta\"\nupdate_interval = \"1d\""),
        &[
            "--update-url",
            "https://releases.example.com/core-ide/manifest.json",
            "--update-public-key",
            key,
            "--update-prefix",
            "~/.local/share/core-ide",
        ],
    )
    .unwrap();
    assert_eq!(settings.update_url.as_deref(), Some("https://releases.example.com/core-ide/manifest.json"));
    assert_eq!(settings.update_channel, "beta");
    assert_eq!(settings.update_public_key.as_deref(), Some(key));
    assert_eq!(settings.update_prefix, Path::new("/home/op/.local/share/core-ide"));
    assert_eq!(settings.update_interval, Duration::from_secs(24 * 3600));
    assert_eq!(
        load(None, &["--update-url", "http://127.0.0.1:8080/manifest.json"]).unwrap().update_url.as_deref(),
        Some("http://127.0.0.1:8080/manifest.json"),
        "plain http for a loopback publisher"
    );
    assert_eq!(
        load(None, &["--update-url", "github:Octo/core-ide"]).unwrap().update_url.as_deref(),
        Some("github:octo/core-ide"),
        "a repository's GitHub releases, its name as GitHub compares it"
    );
}

#[test]
fn bad_update_settings_name_the_value_and_what_is_accepted() {
    assert_eq!(
        error(None, &["--update-channel", "nightly"]),
        "invalid value \"nightly\" for update_channel (from --update-channel): expected stable, beta, alpha or dev"
    );
    let message = error(None, &["--update-url", "http://releases.example.com/manifest.json"]);
    assert!(message.contains("expected an https URL of the signed manifest"), "{message}");
    let message = error(None, &["--update-public-key", "untrusted comment: minisign public key"]);
    assert!(message.contains("the base64 key line of a minisign .pub file"), "{message}");
    for (flag, value) in [
        ("--update-url", "ftp://releases.example.com/manifest.json"),
        ("--update-url", "https://releases.example.com"),
        ("--update-url", "https://user:pw@releases.example.com/manifest.json"),
        ("--update-url", "github:octo"),
        ("--update-url", "github:../etc/passwd"),
        ("--update-public-key", "RWQ"),
        ("--update-prefix", ""),
        ("--update-interval", "1m"),
        ("--update-interval", "8d"),
        ("--update-interval", "often"),
    ] {
        let message = error(None, &[&format!("{flag}={value}")]);
        assert!(message.starts_with("invalid value"), "{flag}={value}: {message}");
        assert!(message.contains(&format!("(from {flag})")), "{message}");
    }
}
