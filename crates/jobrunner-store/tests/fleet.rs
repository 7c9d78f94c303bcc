//! The fleet's coordination against a real PostgreSQL: membership (a live id cannot be taken
//! twice, an expired one can), repo leases (a fair split that survives joins, departures and
//! concurrent calls without thrash) and the database clock. One fresh database per test.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use jobrunner_core::{NodeId, RepoSlug};
use jobrunner_store::testing::{OwnServer, TestDatabase};
use jobrunner_store::{FleetStore, Identity, Ledger, PgStore, StoreError};

/// Long enough that nothing expires during a test that does not wait for it.
const LONG: Duration = Duration::from_secs(600);

fn node(id: &str) -> NodeId {
    NodeId::new(id).unwrap()
}

fn repos(count: usize) -> Vec<RepoSlug> {
    (0..count).map(|i| RepoSlug::parse(&format!("octo/repo-{i:02}")).unwrap()).collect()
}

async fn connect(database: &TestDatabase, id: &str) -> PgStore {
    PgStore::connect(database.url(), &node(id)).await.unwrap()
}

/// A node of the fleet: its id and its own store handle, registered.
struct Member {
    id: NodeId,
    store: PgStore,
}

impl Member {
    async fn join(database: &TestDatabase, id: &str, ttl: Duration) -> Self {
        let store = connect(database, id).await;
        store.register_node(&node(id), "test-host", ttl).await.unwrap();
        Self { id: node(id), store }
    }

    async fn acquire(&self, repos: &[RepoSlug], ttl: Duration) -> BTreeSet<RepoSlug> {
        self.store.acquire_leases(&self.id, repos, ttl).await.unwrap().into_iter().collect()
    }

    /// What a running node does each cycle: heartbeat, then lease.
    async fn cycle(&self, repos: &[RepoSlug], ttl: Duration) -> BTreeSet<RepoSlug> {
        self.store.heartbeat(&self.id).await.unwrap();
        self.acquire(repos, ttl).await
    }
}

/// Runs cycles of every member in turn until no holding changes; returns the final holdings.
async fn settle(
    members: &[&Member],
    repos: &[RepoSlug],
    ttl: Duration,
) -> BTreeMap<NodeId, BTreeSet<RepoSlug>> {
    let mut held: BTreeMap<NodeId, BTreeSet<RepoSlug>> = BTreeMap::new();
    for _ in 0..10 {
        let mut changed = false;
        for member in members {
            let now = member.cycle(repos, ttl).await;
            changed |= held.insert(member.id.clone(), now.clone()).as_ref() != Some(&now);
        }
        if !changed {
            return held;
        }
    }
    panic!("no steady split after 10 rounds: {held:?}");
}

/// Every repo is held by exactly one of `held`, and the lease table agrees.
async fn assert_each_repo_once(
    store: &PgStore,
    held: &BTreeMap<NodeId, BTreeSet<RepoSlug>>,
    repos: &[RepoSlug],
) {
    let mut owner = BTreeMap::new();
    for (node, holding) in held {
        for repo in holding {
            assert!(owner.insert(repo.clone(), node.clone()).is_none(), "{repo} held twice: {held:?}");
        }
    }
    assert_eq!(owner.keys().cloned().collect::<Vec<_>>(), repos, "every repo held");
    let table: BTreeMap<RepoSlug, NodeId> =
        store.leases().await.unwrap().into_iter().map(|lease| (lease.repo, lease.holder)).collect();
    assert_eq!(table, owner, "the lease table says the same");
}

fn counts(held: &BTreeMap<NodeId, BTreeSet<RepoSlug>>) -> Vec<usize> {
    held.values().map(BTreeSet::len).collect()
}

// Leases.

#[tokio::test]
async fn three_nodes_split_twelve_repos_four_each_and_every_repo_once() {
    let database = TestDatabase::create().await;
    let repos = repos(12);
    let (a, b, c) = (
        Member::join(&database, "node-a", LONG).await,
        Member::join(&database, "node-b", LONG).await,
        Member::join(&database, "node-c", LONG).await,
    );
    let held = settle(&[&a, &b, &c], &repos, LONG).await;
    assert_eq!(counts(&held), [4, 4, 4], "{held:?}");
    assert_each_repo_once(&a.store, &held, &repos).await;

    // Steady: more cycles move nothing, and renewals keep when each lease was taken.
    let before = a.store.leases().await.unwrap();
    assert_eq!(settle(&[&c, &b, &a], &repos, LONG).await, held);
    let after = a.store.leases().await.unwrap();
    for (old, new) in before.iter().zip(&after) {
        assert_eq!((&old.repo, &old.holder, old.acquired_at), (&new.repo, &new.holder, new.acquired_at));
        assert!(new.expires_at >= old.expires_at, "renewed");
    }
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cycles_of_many_nodes_never_hand_one_repo_to_two() {
    let database = TestDatabase::create().await;
    let repos = Arc::new(repos(30));
    let mut members = Vec::new();
    for n in 0..6 {
        members.push(Arc::new(Member::join(&database, &format!("node-{n}"), LONG).await));
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(members.len()));
    let mut cycling = tokio::task::JoinSet::new();
    for member in &members {
        let (member, repos, barrier) = (Arc::clone(member), Arc::clone(&repos), Arc::clone(&barrier));
        cycling.spawn(async move {
            let mut last = BTreeSet::new();
            for _ in 0..8 {
                barrier.wait().await;
                last = member.cycle(&repos, LONG).await;
            }
            (member.id.clone(), last)
        });
    }
    // After the last barrier every call has returned: the last holdings are simultaneous.
    let held: BTreeMap<NodeId, BTreeSet<RepoSlug>> = cycling.join_all().await.into_iter().collect();
    let mut seen = BTreeSet::new();
    for holding in held.values() {
        for repo in holding {
            assert!(seen.insert(repo.clone()), "{repo} handed to two nodes: {held:?}");
        }
    }
    let members: Vec<&Member> = members.iter().map(AsRef::as_ref).collect();
    let held = settle(&members, &repos, LONG).await;
    assert_eq!(counts(&held), [5; 6], "{held:?}");
    assert_each_repo_once(&members[0].store, &held, &repos).await;
    database.drop_database().await;
}

#[tokio::test]
async fn a_node_that_stops_renewing_loses_its_repos_after_the_ttl_and_the_survivors_take_them() {
    let ttl = Duration::from_secs(2);
    let database = TestDatabase::create().await;
    let repos = repos(12);
    let (a, b, c) = (
        Member::join(&database, "node-a", ttl).await,
        Member::join(&database, "node-b", ttl).await,
        Member::join(&database, "node-c", ttl).await,
    );
    let before = settle(&[&a, &b, &c], &repos, ttl).await;
    let c_repos = before[&c.id].clone();
    assert_eq!(c_repos.len(), 4);

    // c stops (no heartbeat, no lease renewal). Within the TTL nobody takes its repos.
    tokio::time::sleep(ttl / 2).await;
    for member in [&a, &b] {
        let held = member.cycle(&repos, ttl).await;
        assert_eq!(held, before[&member.id], "c's leases are still valid");
    }
    tokio::time::sleep(ttl / 2 + Duration::from_millis(300)).await;
    assert_eq!(
        a.store.dead_lease_holders(ttl).await.unwrap(),
        std::slice::from_ref(&c.id),
        "c is dead and holds leases"
    );
    let live: Vec<NodeId> = a.store.live_nodes(ttl).await.unwrap().into_iter().map(|m| m.node).collect();
    assert_eq!(live, [a.id.clone(), b.id.clone()]);

    let after = settle(&[&a, &b], &repos, ttl).await;
    assert_eq!(counts(&after), [6, 6], "{after:?}");
    assert_each_repo_once(&a.store, &after, &repos).await;
    for member in [&a, &b] {
        assert!(before[&member.id].is_subset(&after[&member.id]), "survivors keep what they had");
    }
    assert!(a.store.dead_lease_holders(ttl).await.unwrap().is_empty());

    // c comes back: it must register again (its registration expired, the id is free).
    c.store.register_node(&c.id, "test-host", ttl).await.unwrap();
    let rejoined = settle(&[&a, &b, &c], &repos, ttl).await;
    assert_eq!(counts(&rejoined), [4, 4, 4], "{rejoined:?}");
    database.drop_database().await;
}

#[tokio::test]
async fn a_joining_node_gets_its_share_from_the_others_without_thrash() {
    let database = TestDatabase::create().await;
    let repos = repos(12);
    let (a, b) =
        (Member::join(&database, "node-a", LONG).await, Member::join(&database, "node-b", LONG).await);
    let before = settle(&[&a, &b], &repos, LONG).await;
    assert_eq!(counts(&before), [6, 6]);

    let c = Member::join(&database, "node-c", LONG).await;
    assert!(c.acquire(&repos, LONG).await.is_empty(), "nothing is free until the others give some up");
    let after = settle(&[&a, &b, &c], &repos, LONG).await;
    assert_eq!(counts(&after), [4, 4, 4], "{after:?}");
    assert_each_repo_once(&a.store, &after, &repos).await;
    for member in [&a, &b] {
        assert!(after[&member.id].is_subset(&before[&member.id]), "{} only gave up repos", member.id);
    }
    database.drop_database().await;
}

#[tokio::test]
async fn repos_dropped_from_the_configuration_are_released_and_leases_can_be_released() {
    let database = TestDatabase::create().await;
    let a = Member::join(&database, "node-a", LONG).await;
    let all = repos(4);
    assert_eq!(a.acquire(&all, LONG).await.len(), 4, "a lone node takes everything");
    assert_eq!(a.acquire(&all[..2], LONG).await, all[..2].iter().cloned().collect());
    let leased: Vec<RepoSlug> = a.store.leases().await.unwrap().into_iter().map(|lease| lease.repo).collect();
    assert_eq!(leased, &all[..2]);
    a.store.release_leases(&a.id).await.unwrap();
    assert!(a.store.leases().await.unwrap().is_empty());
    database.drop_database().await;
}

// Membership.

#[tokio::test]
async fn a_live_node_id_is_refused_to_a_second_process() {
    let database = TestDatabase::create().await;
    let first = Member::join(&database, "node-a", LONG).await;
    let second = connect(&database, "node-a").await;
    let error = second.register_node(&node("node-a"), "test-host", LONG).await.unwrap_err();
    assert!(matches!(&error, StoreError::NodeIdTaken { node_id } if *node_id == node("node-a")), "{error:?}");
    assert_eq!(
        error.to_string(),
        "node id node-a is in use by a live node (it heartbeated within the TTL): give every node its own \
         --node-id, or wait until the other registration expires"
    );
    let refused = second.acquire_leases(&node("node-a"), &repos(2), LONG).await.unwrap_err();
    assert!(matches!(refused, StoreError::RegistrationLost { .. }), "{refused:?}");
    first.store.heartbeat(&first.id).await.unwrap();
    first.store.register_node(&first.id, "test-host", LONG).await.unwrap();
    first.store.heartbeat(&first.id).await.unwrap();
    database.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_processes_registering_one_id_at_once_exactly_one_wins() {
    let database = TestDatabase::create().await;
    let mut stores = Vec::new();
    for _ in 0..8 {
        stores.push(connect(&database, "node-a").await);
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(stores.len()));
    let mut registering = tokio::task::JoinSet::new();
    for store in stores {
        let barrier = Arc::clone(&barrier);
        registering.spawn(async move {
            barrier.wait().await;
            store.register_node(&node("node-a"), "test-host", LONG).await
        });
    }
    let results = registering.join_all().await;
    assert_eq!(results.iter().filter(|result| result.is_ok()).count(), 1, "{results:?}");
    assert!(
        results.iter().all(|result| matches!(result, Ok(()) | Err(StoreError::NodeIdTaken { .. }))),
        "{results:?}"
    );
    database.drop_database().await;
}

#[tokio::test]
async fn an_expired_registration_is_taken_over_and_the_old_process_stops() {
    let ttl = Duration::from_secs(1);
    let database = TestDatabase::create().await;
    let old = Member::join(&database, "node-a", ttl).await;
    assert_eq!(old.acquire(&repos(3), ttl).await.len(), 3);
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;

    let new = Member::join(&database, "node-a", ttl).await;
    let lost = old.store.heartbeat(&old.id).await.unwrap_err();
    assert!(matches!(&lost, StoreError::RegistrationLost { node_id } if *node_id == old.id), "{lost:?}");
    assert!(lost.to_string().contains("stop acting"), "{lost}");
    let refused = old.store.acquire_leases(&old.id, &repos(3), ttl).await.unwrap_err();
    assert!(matches!(refused, StoreError::RegistrationLost { .. }), "{refused:?}");
    old.store.deregister(&old.id).await.unwrap();
    assert_eq!(
        new.cycle(&repos(3), ttl).await.len(),
        3,
        "the new process leases; the old one removed nothing"
    );
    database.drop_database().await;
}

#[tokio::test]
async fn heartbeats_keep_a_node_live_and_deregistering_frees_its_id_and_repos() {
    let ttl = Duration::from_secs(1);
    let database = TestDatabase::create().await;
    let a = Member::join(&database, "node-a", ttl).await;
    let b = Member::join(&database, "node-b", LONG).await;
    let never = connect(&database, "node-c").await;
    let error = never.heartbeat(&node("node-c")).await.unwrap_err();
    assert!(matches!(error, StoreError::RegistrationLost { .. }), "{error:?}");

    for _ in 0..3 {
        tokio::time::sleep(ttl / 2).await;
        a.store.heartbeat(&a.id).await.unwrap();
        b.store.heartbeat(&b.id).await.unwrap();
    }
    let live = b.store.live_nodes(ttl).await.unwrap();
    assert_eq!(live.iter().map(|m| m.node.clone()).collect::<Vec<_>>(), [a.id.clone(), b.id.clone()]);
    let member = &live[0];
    assert!(member.heartbeat_at > member.registered_at + ttl, "{member:?}");
    assert!(member.heartbeat_at <= b.store.database_now().await.unwrap());

    assert_eq!(a.acquire(&repos(4), ttl).await.len(), 2, "a's share, next to b");
    a.store.deregister(&a.id).await.unwrap();
    assert!(a.store.leases().await.unwrap().iter().all(|lease| lease.holder != a.id), "a's repos are free");
    assert_eq!(b.store.live_nodes(ttl).await.unwrap().len(), 1);
    let error = a.store.heartbeat(&a.id).await.unwrap_err();
    assert!(matches!(error, StoreError::RegistrationLost { .. }), "{error:?}");
    Member::join(&database, "node-a", ttl).await;
    database.drop_database().await;
}

#[tokio::test]
async fn a_heartbeat_records_the_node_clock_skew_and_its_host() {
    let database = TestDatabase::create().await;
    let store = connect(&database, "node-a").await;
    store.register_node(&node("node-a"), "build-07", LONG).await.unwrap();
    let live = store.live_nodes(LONG).await.unwrap();
    assert_eq!((live[0].host.as_str(), live[0].clock_skew), ("build-07", None), "no skew before a heartbeat");

    // Node and database share this machine's clock: the skew is the statement's latency.
    let skew = store.heartbeat(&node("node-a")).await.unwrap();
    assert!(skew.num_milliseconds().abs() < 1_000, "{skew:?}");
    assert_eq!(store.live_nodes(LONG).await.unwrap()[0].clock_skew, Some(skew), "recorded as returned");
    database.drop_database().await;
}

#[tokio::test]
async fn a_dead_nodes_claim_taken_over_is_settled_by_the_new_holder_only() {
    let database = TestDatabase::create().await;
    let (dead, live) = (connect(&database, "node-dead").await, connect(&database, "node-live").await);
    let key = jobrunner_core::ActionKey {
        repo: RepoSlug::parse("octo/app").unwrap(),
        pr: 7,
        action: jobrunner_core::ActionId::parse("publish_draft"),
        head_sha: jobrunner_core::CommitSha::new("a".repeat(40)).unwrap(),
        review_at: None,
    };
    dead.claim(&key, &node("node-dead"), chrono::Utc::now()).await.unwrap();

    assert!(live.take_over_claim(&key, &node("node-dead")).await.unwrap());
    assert!(!live.take_over_claim(&key, &node("node-dead")).await.unwrap(), "taken once");
    assert_eq!(live.unconfirmed(&node("node-live")).await.unwrap(), std::slice::from_ref(&key));
    // The old holder, back from a partition, can neither release nor confirm it any more.
    dead.release(&key).await.unwrap();
    let error = dead.confirm(&key, jobrunner_store::Outcome::Done, chrono::Utc::now()).await.unwrap_err();
    assert!(matches!(error, StoreError::NotClaimed { .. }), "{error:?}");
    live.confirm(&key, jobrunner_store::Outcome::Done, chrono::Utc::now()).await.unwrap();
    database.drop_database().await;
}

#[tokio::test]
async fn inspecting_reads_the_schema_version_and_writes_nothing() {
    let database = TestDatabase::create().await;
    let (empty, version) = PgStore::inspect(database.url(), &node("node-status")).await.unwrap();
    assert_eq!(version, 0, "no node used it yet");
    empty.close().await;
    let (again, version) = PgStore::inspect(database.url(), &node("node-status")).await.unwrap();
    assert_eq!(version, 0, "inspecting migrated nothing");
    again.close().await;

    let a = Member::join(&database, "node-a", LONG).await;
    let (inspected, version) = PgStore::inspect(database.url(), &node("node-status")).await.unwrap();
    assert_eq!(version, jobrunner_store::POSTGRES_SCHEMA_VERSION);
    assert!(inspected.node().await.is_err(), "the inspecting handle recorded no node");
    assert_eq!(inspected.live_nodes(LONG).await.unwrap().len(), 1, "and reads the fleet");
    inspected.close().await;
    a.store.close().await;
    database.drop_database().await;
}

#[tokio::test]
async fn a_stopped_server_is_a_lost_connection_and_the_store_works_again_once_it_is_back() {
    let server = OwnServer::start();
    let store = PgStore::connect(server.url(), &node("node-a")).await.unwrap();
    store.register_node(&node("node-a"), "test-host", LONG).await.unwrap();

    server.pause();
    let error = store.heartbeat(&node("node-a")).await.unwrap_err();
    assert!(error.is_connection_lost(), "a stopped server is an outage, not a failure: {error:?}");
    assert!(error.to_string().contains("heartbeat"), "names what the store was doing: {error}");
    let error = store.acquire_leases(&node("node-a"), &repos(2), LONG).await.unwrap_err();
    assert!(error.is_connection_lost(), "{error:?}");

    server.resume();
    store.heartbeat(&node("node-a")).await.expect("the pool reconnects on its own");
    assert_eq!(store.acquire_leases(&node("node-a"), &repos(2), LONG).await.unwrap().len(), 2);
    store.close().await;
}

// The clock.

#[tokio::test]
async fn the_database_clock_is_readable_to_measure_skew() {
    let database = TestDatabase::create().await;
    // The runner holds the fleet's store as a trait object.
    let store: Arc<dyn FleetStore> = Arc::new(connect(&database, "node-a").await);
    let before = chrono::Utc::now();
    let now = store.database_now().await.unwrap();
    let after = chrono::Utc::now();
    // The same machine: the skew is the round trip at most, with a little slack.
    let slack = chrono::Duration::seconds(1);
    assert!(before - slack <= now && now <= after + slack, "{before} {now} {after}");
    let later = store.database_now().await.unwrap();
    assert!(later >= now, "the clock advances");
    database.drop_database().await;
}

#[tokio::test]
async fn claims_left_by_nodes_that_are_not_live_are_listed_for_the_survivors() {
    let database = TestDatabase::create().await;
    let live = connect(&database, "node-live").await;
    live.register_node(&node("node-live"), "test-host", Duration::from_secs(60)).await.unwrap();
    let gone = connect(&database, "node-gone").await;
    let key = |pr: u64, action: &str| jobrunner_core::ActionKey {
        repo: RepoSlug::parse("org/app").unwrap(),
        pr,
        action: jobrunner_core::ActionId::parse(action),
        head_sha: jobrunner_core::CommitSha::new("a".repeat(40)).unwrap(),
        review_at: None,
    };
    let now = chrono::Utc::now();
    live.claim(&key(1, "publish_draft"), &node("node-live"), now).await.unwrap();
    // node-gone never registered (or its registration lapsed): nobody will settle its claim.
    gone.claim(&key(2, "publish_draft"), &node("node-gone"), now).await.unwrap();
    gone.claim(&key(3, "close_child"), &node("node-gone"), now).await.unwrap();
    gone.confirm(&key(3, "close_child"), jobrunner_store::Outcome::Done, now).await.unwrap();

    let orphaned = live.orphaned_claims(Duration::from_secs(60)).await.unwrap();
    assert_eq!(
        orphaned,
        [(node("node-gone"), key(2, "publish_draft"))],
        "unconfirmed claims of dead nodes only"
    );
    // node-gone asking, as a node whose heartbeat an outage left stale would: its own claims
    // are its to settle, never orphans (and node-live's are a live node's).
    assert_eq!(gone.orphaned_claims(Duration::from_secs(60)).await.unwrap(), []);
}
