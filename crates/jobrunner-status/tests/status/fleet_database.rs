//! fleet, against a real PostgreSQL: what gather reads of a fleet node's database, and what
//! the checks and the dashboard make of it. Other nodes are played by `PgStore` handles
//! registering, heartbeating and leasing as core-ide's do.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use jobrunner_config::{ConfigArgs, Host};
use jobrunner_core::{NodeId, RepoSlug};
use jobrunner_status::dashboard::{Pipeline, StoreState};
use jobrunner_status::render::{self, RenderOptions};
use jobrunner_status::{
    Category, FleetDatabase, GatherOptions, Inputs, KnownVar, Level, StatusReport, StoreSnapshot, checks,
    gather,
};
use jobrunner_store::testing::{TestDatabase, with_password};
use jobrunner_store::{CycleEnd, CycleLog, CycleOutcome, FleetStore, PgStore};

use crate::support::{findings, message};

const FLEET: Category = Category::Fleet;
const STORE: Category = Category::Store;
/// The default lease TTL, which the nodes here register and lease with.
const TTL: Duration = Duration::from_secs(180);
/// A host name no test machine has.
const OTHER_HOST: &str = "another-machine.example";
const PASSWORD: &str = "pw-never-shown-7f3a";

/// A fleet node's configuration under a temporary directory: an env file with `vars`, the
/// database URL and node-a's id, and an empty systemd root.
struct Node {
    dir: tempfile::TempDir,
}

impl Node {
    fn new(url: &str, vars: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut env = format!(
            "CORE_DATABASE_URL={url}\nCORE_NODE_ID=node-a\nCORE_REPOS=octo/app\nCORE_DATA_DIR={}\nCORE_JOURNAL_DIR={}\n",
            root.join("data").display(),
            root.join("journal").display()
        );
        for var in vars {
            env.push_str(var);
            env.push('\n');
        }
        std::fs::write(root.join("core-ide.env"), env).unwrap();
        std::fs::create_dir(root.join("systemd")).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    async fn gather(&self) -> Inputs {
        gather(GatherOptions {
            config: ConfigArgs::default(),
            env_file: Some(self.path("core-ide.env")),
            env_sample: Some(self.path("core-ide.env.sample")),
            systemd_root: self.path("systemd"),
            binary: None,
            known: KnownVar::of_binaries(&[]),
            now: Utc::now(),
        })
        .await
        .unwrap()
    }
}

fn id(node: &str) -> NodeId {
    NodeId::new(node).unwrap()
}

fn repos(names: &[&str]) -> Vec<RepoSlug> {
    names.iter().map(|r| RepoSlug::parse(r).unwrap()).collect()
}

/// A node of the fleet as core-ide runs one: connected, registered from `host`, heartbeated.
async fn join(url: &str, node: &str, host: &str, ttl: Duration) -> PgStore {
    let store = PgStore::connect(url, &id(node)).await.unwrap();
    store.register_node(&id(node), host, ttl).await.unwrap();
    store.heartbeat(&id(node)).await.unwrap();
    store
}

/// Everything core-status prints for `inputs`, in JSON and for people.
fn all_output(inputs: &Inputs) -> String {
    let report = StatusReport::new(inputs, "0.1.0", checks::run(inputs, &[], &[]), Level::Error, false);
    let json = serde_json::to_string_pretty(&report).unwrap();
    json + &render::human(&report, RenderOptions { color: false, verbose: true })
}

#[tokio::test]
async fn a_fleet_nodes_store_and_fleet_are_read_from_its_database_without_showing_the_password() {
    let database = TestDatabase::create().await;
    let (url, password) = with_password(database.url(), PASSWORD);
    let here = Host::current().hostname.unwrap_or_default();
    let a = join(&url, "node-a", &here, TTL).await;
    let b = join(database.url(), "node-b", "build-8", TTL).await;
    let configured = repos(&["octo/app", "octo/lib"]);
    let leased_by_a = a.acquire_leases(&id("node-a"), &configured, TTL).await.unwrap();
    assert_eq!(b.acquire_leases(&id("node-b"), &configured, TTL).await.unwrap().len(), 1);
    let cycle = a.start_cycle(&id("node-a"), Utc::now()).await.unwrap();
    let end = CycleEnd {
        at: Utc::now(),
        outcome: CycleOutcome::Ok,
        actions: 0,
        points_spent: 3,
        rate_limit_left: Some(4_997),
    };
    a.end_cycle(cycle, &end).await.unwrap();

    let node = Node::new(&url, &["CORE_REPOS=octo/app,octo/lib"]);
    let inputs = node.gather().await;
    assert_eq!(findings(FLEET, &inputs), Vec::<&str>::new());
    assert_eq!(
        message(FLEET, &inputs, "fleet.ok"),
        "fleet node node-a: 2 live nodes, 2 of 2 repositories leased"
    );
    let StoreSnapshot::Open { location, schema_version, node: recorded, cycles, .. } = &inputs.store else {
        panic!("{:?}", inputs.store)
    };
    assert_eq!(location, a.url());
    assert!(location.contains("***"), "{location}");
    assert_eq!(*schema_version, jobrunner_store::POSTGRES_SCHEMA_VERSION);
    assert_eq!((recorded.as_str(), cycles.len()), ("node-a", 1));
    assert!(
        findings(STORE, &inputs).iter().all(|id| !id.starts_with("store.E")),
        "{:?}",
        findings(STORE, &inputs)
    );

    let pipeline = Pipeline::new(&inputs);
    assert_eq!(pipeline.store, StoreState::Ok);
    assert_eq!(pipeline.last_cycle.unwrap().number, cycle);
    let fleet = pipeline.fleet.unwrap();
    assert_eq!(fleet.live_nodes, ["node-a", "node-b"]);
    assert_eq!(fleet.leased_here, leased_by_a.iter().map(ToString::to_string).collect::<Vec<_>>());
    assert!(!all_output(&inputs).contains(&password), "the password shows");

    a.close().await;
    b.close().await;
    database.drop_database().await;
}

#[tokio::test]
async fn the_node_id_live_from_another_machine_is_a_duplicate() {
    let database = TestDatabase::create().await;
    let impostor = join(database.url(), "node-a", OTHER_HOST, TTL).await;
    let inputs = Node::new(database.url(), &[]).gather().await;
    assert_eq!(findings(FLEET, &inputs), ["fleet.E004"]);
    assert!(
        message(FLEET, &inputs, "fleet.E004")
            .starts_with(&format!("node id node-a is live in the fleet from host {OTHER_HOST} (heartbeat ")),
        "{}",
        message(FLEET, &inputs, "fleet.E004")
    );
    impostor.close().await;
    database.drop_database().await;
}

#[tokio::test]
async fn a_node_that_stopped_heartbeating_while_its_lease_is_held_is_reported() {
    let database = TestDatabase::create().await;
    // Liveness by a 3 s TTL (the node's settings), the lease taken for an hour.
    let short = Duration::from_secs(3);
    let b = join(database.url(), "node-b", "build-8", short).await;
    b.acquire_leases(&id("node-b"), &repos(&["octo/app"]), Duration::from_secs(3600)).await.unwrap();
    let node = Node::new(
        database.url(),
        &["CORE_LEASE_TTL=3s", "CORE_POLL_INTERVAL=1s", "CORE_HEARTBEAT_INTERVAL=1s"],
    );
    // Liveness runs on the database's clock: only waiting past the TTL makes node-b dead.
    tokio::time::sleep(short + Duration::from_millis(500)).await;
    let inputs = node.gather().await;
    assert_eq!(findings(FLEET, &inputs), ["fleet.W003"]);
    let text = message(FLEET, &inputs, "fleet.W003");
    assert!(
        text.starts_with(
            "leases held by nodes that stopped heartbeating: node-b (1 repository; it expires in 59m"
        ),
        "{text}"
    );
    assert!(text.ends_with("; no live node is there to take them over"), "{text}");
    b.close().await;
    database.drop_database().await;
}

#[tokio::test]
async fn a_database_on_a_closed_port_is_one_error_and_never_shows_the_password() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("postgres://core:{PASSWORD}@127.0.0.1:{port}/core");
    let inputs = Node::new(&url, &[]).gather().await;
    let Some(FleetDatabase::Unreachable { .. }) = inputs.fleet.as_ref().map(|f| &f.database) else {
        panic!("{:?}", inputs.fleet)
    };
    assert_eq!(findings(FLEET, &inputs), ["fleet.E003"]);
    let text = message(FLEET, &inputs, "fleet.E003");
    assert!(
        text.starts_with(&format!(
            "cannot reach the fleet's database postgres://core:***@127.0.0.1:{port}/core: "
        )),
        "{text}"
    );
    assert!(
        !findings(STORE, &inputs).contains(&"store.E001"),
        "reported once: {:?}",
        findings(STORE, &inputs)
    );
    assert_eq!(Pipeline::new(&inputs).store, StoreState::Unreachable);
    let output = all_output(&inputs);
    assert!(output.contains("fleet.E003") && !output.contains(PASSWORD), "{output}");
}

#[tokio::test]
async fn a_database_no_node_used_yet_is_read_without_being_migrated() {
    let database = TestDatabase::create().await;
    let inputs = Node::new(database.url(), &[]).gather().await;
    assert!(matches!(inputs.store, StoreSnapshot::NotCreated { .. }), "{:?}", inputs.store);
    assert!(findings(STORE, &inputs).contains(&"store.I003"), "{:?}", findings(STORE, &inputs));
    assert!(message(STORE, &inputs, "store.I003").contains("no node has used it yet"));
    assert_eq!(findings(FLEET, &inputs), Vec::<&str>::new());
    assert!(message(FLEET, &inputs, "fleet.ok").contains("0 live nodes"));
    // Version 0 means no table at all: core-status neither migrated nor recorded anything.
    let (pg, version) = PgStore::inspect(database.url(), &id("node-a")).await.unwrap();
    pg.close().await;
    assert_eq!(version, 0, "core-status wrote to the fleet's database");
    database.drop_database().await;
}
