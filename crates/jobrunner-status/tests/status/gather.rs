//! gather: the node's files read the way its service sees them.

use std::path::{Path, PathBuf};

use jobrunner_config::{ConfigArgs, Source};
use jobrunner_core::NodeId;
use jobrunner_status::systemd::{UNIT_DIRS, UNIT_NAME};
use jobrunner_status::{FileState, GatherOptions, KnownVar, StatusError, StoreSnapshot, gather};
use jobrunner_store::{CycleLog, SqliteStore};

use crate::support::now;

/// A node image under a temporary root: a unit naming an env file, the env file, no sample.
struct Image {
    root: tempfile::TempDir,
}

impl Image {
    fn new(env_text: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("var/lib/core-ide/data");
        let unit = format!(
            "[Service]\nExecStart=/usr/local/bin/core-ide --headless\nEnvironmentFile=-/etc/core-ide/core-ide.env\n\
             Environment=CORE_DATA_DIR={} CORE_JOURNAL_DIR={}\n",
            data.display(),
            root.path().join("var/lib/core-ide/journal").display()
        );
        write(&root.path().join(UNIT_DIRS[0]).join(UNIT_NAME), &unit);
        write(&root.path().join("etc/core-ide/core-ide.env"), env_text);
        Self { root }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    fn options(&self) -> GatherOptions {
        GatherOptions {
            config: ConfigArgs::default(),
            env_file: None,
            env_sample: None,
            systemd_root: self.root.path().to_owned(),
            binary: None,
            known: KnownVar::of_binaries(&[]),
            now: now(),
        }
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn settings_come_from_the_units_env_file_and_environment() {
    let image = Image::new("CORE_GITHUB_TOKEN=ghp_from_file\nCORE_POLL_INTERVAL=2m\nCORE_NODE_ID=node-a\n");
    let inputs = gather(image.options()).await.unwrap();
    let env_file = image.path("etc/core-ide/core-ide.env");
    assert_eq!(inputs.env.env_file.path, env_file);
    assert_eq!(inputs.env.sample.path, image.path("etc/core-ide/core-ide.env.sample"));
    assert_eq!(inputs.env.sample.state, FileState::Missing);
    assert_eq!(inputs.settings.poll_interval, std::time::Duration::from_secs(120));
    assert_eq!(
        inputs.settings.sources["poll_interval"],
        Source::EnvFile { path: env_file, var: "CORE_POLL_INTERVAL" }
    );
    assert_eq!(inputs.settings.data_dir, image.path("var/lib/core-ide/data"));
    assert!(inputs.settings.github_token.is_some());
    assert!(matches!(inputs.store, StoreSnapshot::NotCreated { .. }));
    assert!(inputs.install.data_dir.problem.is_none(), "{:?}", inputs.install.data_dir);
}

#[tokio::test]
async fn an_env_file_named_on_the_command_line_that_cannot_be_read_stops_gathering() {
    let image = Image::new("");
    let mut options = image.options();
    options.env_file = Some(image.path("etc"));
    let error = gather(options).await.unwrap_err();
    assert!(matches!(error, StatusError::Unreadable { what: "env file", .. }), "{error}");
    assert!(
        error.to_string().starts_with(&format!("cannot read env file {}: ", image.path("etc").display()))
    );
}

#[tokio::test]
async fn a_bad_setting_in_the_env_file_stops_gathering_naming_the_file() {
    let image = Image::new("CORE_POLL_INTERVAL=fortnightly\n");
    let error = gather(image.options()).await.unwrap_err().to_string();
    assert!(
        error.starts_with(&format!(
            "invalid value \"fortnightly\" for poll_interval (from CORE_POLL_INTERVAL in {})",
            image.path("etc/core-ide/core-ide.env").display()
        )),
        "{error}"
    );
}

#[tokio::test]
async fn the_store_is_read_with_its_cycles_even_when_it_belongs_to_another_node() {
    let image = Image::new("CORE_NODE_ID=node-a\n");
    let data = image.path("var/lib/core-ide/data");
    let other = NodeId::new("node-b").unwrap();
    let store = SqliteStore::open(&data, &other).await.unwrap();
    store.start_cycle(&other, now()).await.unwrap();
    store.close().await.unwrap();
    let inputs = gather(image.options()).await.unwrap();
    let StoreSnapshot::Open { node, cycles, schema_version, .. } = &inputs.store else {
        panic!("{:?}", inputs.store)
    };
    assert_eq!(
        (node.as_str(), cycles.len(), *schema_version),
        ("node-b", 1, jobrunner_store::SCHEMA_VERSION)
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_reported_unusable_and_left_as_it_was() {
    let image = Image::new("CORE_NODE_ID=node-a\n");
    let db = image.path("var/lib/core-ide/data/state.db");
    write(&db, "not sqlite at all");
    let inputs = gather(image.options()).await.unwrap();
    assert!(
        matches!(
            &inputs.store,
            StoreSnapshot::Unusable { problem: jobrunner_status::StoreProblem::Unopenable, .. }
        ),
        "{:?}",
        inputs.store
    );
    assert_eq!(std::fs::read_to_string(db).unwrap(), "not sqlite at all");
}

#[tokio::test]
async fn a_data_directory_under_a_regular_file_is_not_writable() {
    let image = Image::new("");
    write(&image.path("blocker"), "");
    let mut options = image.options();
    options.env_file = Some(image.path("etc/core-ide/core-ide.env"));
    let blocked = image.path("blocker/data");
    write(&image.path("etc/core-ide/core-ide.env"), &format!("CORE_DATA_DIR={}\n", blocked.display()));
    // The unit's Environment= sits below the env file.
    let inputs = gather(options).await.unwrap();
    assert_eq!(inputs.settings.data_dir, blocked);
    let problem = inputs.install.data_dir.problem.unwrap();
    assert_eq!(problem, format!("{} is not a directory", image.path("blocker").display()));
}
