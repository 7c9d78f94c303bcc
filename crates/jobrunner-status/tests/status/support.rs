//! A healthy node to start each scenario from: every category reports only its `ok` result.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};
use jobrunner_config::{ConfigArgs, Host, Secret, Settings};
use jobrunner_core::NodeId;
use jobrunner_status::systemd::Systemd;
use jobrunner_status::{
    Access, Category, EnvFile, EnvFileInput, EnvInputs, FileState, Inputs, Installation, InstalledVersions,
    JournalSnapshot, JournalWindow, KnownVar, ManifestState, StoreSnapshot, UpdatesSnapshot, checks,
};
use jobrunner_store::{CycleEnd, CycleOutcome, CycleRecord};

pub(crate) const NOW: &str = "2026-11-22T12:00:00Z";
pub(crate) const NODE: &str = "node-a";
pub(crate) const ENV_FILE: &str = "/etc/core-ide/core-ide.env";
pub(crate) const SAMPLE: &str = include_str!("../../../../deploy/core-ide.env.sample");

/// The config file of the healthy node.
pub(crate) const CONFIG: &str = r#"
    node_id = "node-a"
    repos = ["octo/app"]
    data_dir = "/var/lib/core-ide/data"
    journal_dir = "/var/lib/core-ide/journal"
"#;

pub(crate) fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

pub(crate) fn host() -> Host {
    Host {
        home: Some(PathBuf::from("/home/op")),
        hostname: Some("build-7".into()),
        token: Some(("CORE_GITHUB_TOKEN", Secret::new("ghp_test".into()))),
    }
}

/// Settings from a config file's text on [`host`], with a Slack webhook so the store's
/// "no notification channel" stays quiet.
pub(crate) fn settings(config: &str) -> Settings {
    let mut settings = Settings::from_layers(
        Some((Path::new("/etc/core-ide/config.toml"), config)),
        &ConfigArgs::default(),
        &host(),
    )
    .unwrap();
    settings.slack_webhook_url = Some(Secret::new("https://hooks.slack.com/services/T/B/x".into()));
    settings
}

/// The env file a careful operator writes from the sample: what the sample sets, filled in.
pub(crate) const ENV_TEXT: &str = "CORE_GITHUB_TOKEN=ghp_test\nCORE_REPOS=octo/app\n";

pub(crate) fn env_file(text: &str) -> EnvFileInput {
    EnvFileInput {
        path: PathBuf::from(ENV_FILE),
        state: FileState::Read { file: EnvFile::parse(text), world_readable: false },
    }
}

pub(crate) fn sample(text: &str) -> EnvFileInput {
    EnvFileInput {
        path: PathBuf::from(format!("{ENV_FILE}.sample")),
        state: FileState::Read { file: EnvFile::parse(text), world_readable: true },
    }
}

/// Cycle `number`, ended `ago` before [`NOW`] after spending `points`.
pub(crate) fn cycle(number: u64, ago: TimeDelta, points: u64) -> CycleRecord {
    let at = now() - ago;
    CycleRecord {
        node: NodeId::new(NODE).unwrap(),
        number,
        started_at: at - TimeDelta::seconds(2),
        end: Some(CycleEnd {
            at,
            outcome: CycleOutcome::Ok,
            actions: 1,
            points_spent: points,
            rate_limit_left: Some(4_900),
        }),
    }
}

pub(crate) fn open_store(cycles: Vec<CycleRecord>) -> StoreSnapshot {
    StoreSnapshot::Open {
        location: "/var/lib/core-ide/data/state.db".to_owned(),
        schema_version: jobrunner_store::SCHEMA_VERSION,
        node: NodeId::new(NODE).unwrap(),
        cycles,
        refused: Vec::new(),
        unhealthy: Vec::new(),
        unplaceable: Vec::new(),
        waiting: Vec::new(),
    }
}

/// A standalone development node with a complete env file, a recent cheap cycle, a readable
/// journal and writable directories.
pub(crate) fn healthy() -> Inputs {
    Inputs {
        settings: settings(CONFIG),
        now: now(),
        env: EnvInputs {
            env_file: env_file(ENV_TEXT),
            sample: sample(SAMPLE),
            process_vars: ["HOME", "PATH", "CORE_REPOS"].into_iter().map(str::to_owned).collect(),
            log_filter: None,
            known: KnownVar::of_binaries(&[]),
        },
        systemd: Systemd::default(),
        store: open_store(vec![cycle(7, TimeDelta::seconds(30), 2)]),
        fleet: None,
        journal: JournalSnapshot {
            dir: PathBuf::from("/var/lib/core-ide/journal"),
            read: Ok(JournalWindow::default()),
        },
        install: Installation {
            data_dir: Access::writable("/var/lib/core-ide/data"),
            journal_dir: Access::writable("/var/lib/core-ide/journal"),
            binary: Some(PathBuf::from("/usr/local/bin/core-ide")),
            update_prefix: None,
        },
        nodes_sharing_token: 1,
        display_present: false,
        updates: UpdatesSnapshot {
            prefix: PathBuf::from("/opt/core-ide"),
            installed: Ok(InstalledVersions {
                installed: "1.0.0".into(),
                in_prefix: true,
                previous: Some("0.9.0".into()),
                on_trial: None,
                failed: Vec::new(),
            }),
            manifest: ManifestState::NotConfigured,
        },
    }
}

/// The ids a category reports, `ok` results left out.
pub(crate) fn findings(category: Category, inputs: &Inputs) -> Vec<&'static str> {
    checks::run_category(category, inputs)
        .into_iter()
        .filter(|r| r.id != ok_id(category))
        .map(|r| r.id)
        .collect()
}

/// The one result of `category` with `id`; panics when there is not exactly one.
pub(crate) fn message(category: Category, inputs: &Inputs, id: &str) -> String {
    let results: Vec<_> = checks::run_category(category, inputs).into_iter().filter(|r| r.id == id).collect();
    assert_eq!(results.len(), 1, "{id}: {results:?}");
    results[0].message.clone()
}

fn ok_id(category: Category) -> &'static str {
    category.ok("").id
}
