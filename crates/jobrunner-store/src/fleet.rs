//! The fleet: many nodes sharing one PostgreSQL database and one set of repositories.
//!
//! [`FleetStore`] adds to [`Store`] what only a shared database can offer:
//! - **membership**: a node [registers](FleetStore::register_node) under its id at start,
//!   [heartbeats](FleetStore::heartbeat) while it runs and [deregisters](FleetStore::deregister)
//!   on a clean exit. A node is *live* while its last heartbeat is younger than the TTL. An id
//!   is refused ([`StoreError::NodeIdTaken`]) while another live registration holds it, and can
//!   be taken over once that one expired; each registration carries a fresh instance token, so
//!   the old process learns at its next heartbeat that it lost the id
//!   ([`StoreError::RegistrationLost`]) and stops acting.
//! - **repo leases**: each configured repository is polled by exactly one live node, which
//!   holds its lease until it expires. [`acquire_leases`](FleetStore::acquire_leases) is called
//!   once per cycle and does everything: renews, takes free and expired leases, gives up
//!   surplus ones (see below).
//! - **the database clock**: liveness and expiry are computed in SQL with the database's
//!   `now()`, never a node's clock, so nodes agree whatever their skew;
//!   [`database_now`](FleetStore::database_now) lets status checks measure that skew.
//!
//! # Fair, thrash-free lease split
//!
//! With `R` configured repositories and `N` live nodes (the caller counts as live), every node
//! should hold between `floor(R/N)` and `ceil(R/N)` leases (its *fair share*). Each call, under
//! a table lock so calls from all nodes apply one after another:
//! 1. the caller keeps and renews its unexpired leases;
//! 2. if it holds fewer than `ceil(R/N)`, it takes free repositories (no lease, or an expired
//!    one; its own expired ones first), but leaves enough of them for the other live nodes to
//!    reach `floor(R/N)`, and always takes enough to reach `floor(R/N)` itself;
//! 3. it gives up leases above `ceil(R/N)` (other live nodes are then necessarily under their
//!    share), and leases above `floor(R/N)` only as many as the other live nodes still lack to
//!    reach `floor(R/N)` once the free repositories, and what the others hold above
//!    `ceil(R/N)` (which they give up themselves), are counted.
//!
//! A split where every node is within its share and no repository is free is left unchanged,
//! so a steady fleet never moves a lease. A join moves only the leases the newcomers get, each
//! once (the others only give up); a departure (a node that stops renewing) frees its leases
//! when they expire, and only those move (the survivors only take). The unit tests check
//! both over hundreds of random call orders. A valid lease is never taken from its holder: a
//! repository is only handed over after its holder gave it up or let it expire.
//!
//! Every node must configure the same repositories: each counts shares over its own list.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use jobrunner_core::{ActionKey, NodeId, RepoSlug};

use crate::{Store, StoreError};

/// How far a node's clock may be off the database's before it is reported (in the node's
/// logs and by `core-status`). Coordination never reads node clocks, but journal lines,
/// cycle records and logs carry them: past this, a fleet's records stop lining up.
pub const CLOCK_SKEW_BOUND: Duration = Duration::from_secs(2);

/// A live node, as its registration shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetMember {
    /// The node's id.
    pub node: NodeId,
    /// When its current registration was made (database clock).
    pub registered_at: DateTime<Utc>,
    /// Its latest heartbeat (database clock).
    pub heartbeat_at: DateTime<Utc>,
    /// The machine the registration came from.
    pub host: String,
    /// The node's clock minus the database's at its latest heartbeat; `None` before the first.
    pub clock_skew: Option<TimeDelta>,
}

/// A repository's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoLease {
    /// The repository.
    pub repo: RepoSlug,
    /// The node that polls it.
    pub holder: NodeId,
    /// When the holder took it (renewals keep it; database clock).
    pub acquired_at: DateTime<Utc>,
    /// When the lease lapses unless renewed (database clock). Past it, the repository is free.
    pub expires_at: DateTime<Utc>,
}

/// The fleet's coordination, served by the PostgreSQL store only (see the
/// [module documentation](self)). Object-safe: the runner holds an `Arc<dyn FleetStore>`.
#[async_trait]
pub trait FleetStore: Store {
    /// The database's clock (`clock_timestamp()`), to compare with the node's.
    async fn database_now(&self) -> Result<DateTime<Utc>, StoreError>;

    /// Registers `node`, running on machine `host`, with a fresh instance token held by this
    /// store handle. Refused with
    /// [`StoreError::NodeIdTaken`] while another registration of the same id heartbeated less
    /// than `ttl` ago; an expired one is taken over. Registering again through the same handle
    /// renews its own registration.
    async fn register_node(&self, node: &NodeId, host: &str, ttl: Duration) -> Result<(), StoreError>;

    /// Refreshes this handle's registration of `node`, records the node's clock skew and
    /// returns it: this machine's clock minus the database's (one-way latency included).
    /// [`StoreError::RegistrationLost`] when the handle never registered it, or the
    /// registration was removed or taken over: the node must stop acting.
    async fn heartbeat(&self, node: &NodeId) -> Result<TimeDelta, StoreError>;

    /// Removes this handle's registration of `node` and releases the node's leases, for a
    /// clean exit. Does nothing when the registration is not this handle's (any more).
    async fn deregister(&self, node: &NodeId) -> Result<(), StoreError>;

    /// The nodes that heartbeated less than `ttl` ago, by id.
    async fn live_nodes(&self, ttl: Duration) -> Result<Vec<FleetMember>, StoreError>;

    /// Keys claimed and never confirmed or released by nodes that are not live (no heartbeat
    /// within `ttl`), with their node, oldest first: a dead node's actions in doubt, for the
    /// node now leasing the repository to settle. Never this store's own node's keys, even
    /// when its own heartbeat is stale (after an outage longer than `ttl`): those it settles
    /// as its own.
    async fn orphaned_claims(&self, ttl: Duration) -> Result<Vec<(NodeId, ActionKey)>, StoreError>;

    /// Makes `from`'s unconfirmed claim of `key` this store's node's, so that this node
    /// settles it and `from` (should it come back) cannot: true when taken over, false when
    /// `from` no longer holds it unconfirmed (it settled it, or another node took it first).
    async fn take_over_claim(&self, key: &ActionKey, from: &NodeId) -> Result<bool, StoreError>;

    /// Renews, takes and gives up leases so that `node` holds its fair share of `repos`, each
    /// lease valid for `ttl` from now, and returns the repositories `node` now holds, sorted:
    /// the ones it polls this cycle. Leases of repositories no longer in `repos` are released.
    /// `ttl` is also the liveness TTL used to count the live nodes.
    ///
    /// Requires this handle's registration of `node` ([`StoreError::RegistrationLost`]
    /// otherwise), so a process whose id was taken over cannot keep leasing.
    async fn acquire_leases(
        &self,
        node: &NodeId,
        repos: &[RepoSlug],
        ttl: Duration,
    ) -> Result<Vec<RepoSlug>, StoreError>;

    /// Releases every lease `node` holds.
    async fn release_leases(&self, node: &NodeId) -> Result<(), StoreError>;

    /// Every lease, expired ones included, by repository.
    async fn leases(&self) -> Result<Vec<RepoLease>, StoreError>;

    /// The nodes holding a lease (expired or not) without a live registration (no heartbeat
    /// within `ttl`), by id: dead nodes whose repositories wait for their leases to expire.
    async fn dead_lease_holders(&self, ttl: Duration) -> Result<Vec<NodeId>, StoreError>;
}

/// A database timestamp as the fixed-width text [`parse_timestamp`](crate::columns) reads.
macro_rules! utc_text {
    ($column:literal) => {
        concat!("to_char(", $column, " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
    };
}

/// The database clock.
pub(crate) const NOW: &str = concat!("SELECT ", utc_text!("clock_timestamp()"));

/// Registers node `$1` unless a registration heartbeated within `$2` microseconds and is not
/// this handle's (instance `$3`, NULL when none); returns the new instance token, or no row
/// when refused; `$4` is the host. One statement: of two processes registering one id, the second waits for the
/// first's row lock and then finds it live.
pub(crate) const REGISTER: &str = "INSERT INTO fleet_members (node, instance, registered_at, heartbeat_at, host) \
     VALUES ($1, gen_random_uuid()::text, now(), now(), $4) \
     ON CONFLICT (node) DO UPDATE SET instance = excluded.instance, \
     registered_at = excluded.registered_at, heartbeat_at = excluded.heartbeat_at, \
     host = excluded.host, clock_skew_ms = NULL \
     WHERE fleet_members.heartbeat_at <= now() - $2 * INTERVAL '1 microsecond' \
     OR fleet_members.instance = $3 \
     RETURNING instance";

/// Refreshes the registration of node `$1` if it is still instance `$2`'s, recording the
/// node's clock `$3` (sent with the statement) minus the database's; returns that skew.
pub(crate) const HEARTBEAT: &str = "UPDATE fleet_members SET heartbeat_at = now(), \
     clock_skew_ms = round(extract(epoch FROM ($3::timestamptz - clock_timestamp())) * 1000)::bigint \
     WHERE node = $1 AND instance = $2 RETURNING clock_skew_ms";

/// Whether node `$1` is still registered by instance `$2`.
pub(crate) const IS_REGISTERED: &str =
    "SELECT EXISTS (SELECT 1 FROM fleet_members WHERE node = $1 AND instance = $2)";

/// Removes the registration of node `$1` if it is still instance `$2`'s.
pub(crate) const DEREGISTER: &str = "DELETE FROM fleet_members WHERE node = $1 AND instance = $2";

/// The nodes that heartbeated within `$1` microseconds.
pub(crate) const LIVE: &str = concat!(
    "SELECT node, ",
    utc_text!("registered_at"),
    ", ",
    utc_text!("heartbeat_at"),
    ", host, clock_skew_ms FROM fleet_members \
     WHERE heartbeat_at > now() - $1 * INTERVAL '1 microsecond' ORDER BY node"
);

/// The ids of the nodes that heartbeated within `$1` microseconds.
pub(crate) const LIVE_IDS: &str =
    "SELECT node FROM fleet_members WHERE heartbeat_at > now() - $1 * INTERVAL '1 microsecond'";

/// Unconfirmed claims of nodes not live (crashed, or gone) other than `$2`, the asking node:
/// `$1` the liveness TTL.
pub(crate) const ORPHANED_CLAIMS: &str = "SELECT node, repo, pr, action, head_sha, review_at FROM ledger \
     WHERE status = 'claimed' AND node <> $2 AND node NOT IN \
     (SELECT node FROM fleet_members WHERE heartbeat_at > now() - $1 * INTERVAL '1 microsecond') \
     ORDER BY claimed_at, repo, pr, action, head_sha, review_at";

/// Serializes lease changes across the fleet for the rest of the transaction. EXCLUSIVE
/// conflicts with itself and with every write, and lets plain reads (`leases()`) through.
pub(crate) const LOCK_LEASES: &str = "LOCK TABLE repo_leases IN EXCLUSIVE MODE";

/// Releases node `$1`'s leases of repositories not in `$2`.
pub(crate) const DROP_UNCONFIGURED: &str =
    "DELETE FROM repo_leases WHERE holder = $1 AND NOT (repo = ANY($2))";

/// The leases of the repositories `$1`, and whether each is still valid.
pub(crate) const LEASES_OF: &str =
    "SELECT repo, holder, expires_at > now() FROM repo_leases WHERE repo = ANY($1)";

/// Gives node `$1` the leases of repositories `$2` until `$3` microseconds from now: new ones,
/// its own (renewed, keeping when it took them) and expired ones of any node. Never a valid
/// lease of another node, whatever the caller planned.
pub(crate) const TAKE: &str = "INSERT INTO repo_leases (repo, holder, acquired_at, expires_at) \
     SELECT repo, $1, now(), now() + $3 * INTERVAL '1 microsecond' FROM unnest($2::text[]) AS repo \
     ON CONFLICT (repo) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, \
     acquired_at = CASE WHEN repo_leases.holder = excluded.holder AND repo_leases.expires_at > now() \
     THEN repo_leases.acquired_at ELSE excluded.acquired_at END \
     WHERE repo_leases.holder = excluded.holder OR repo_leases.expires_at <= now()";

/// Releases node `$1`'s leases of repositories `$2`.
pub(crate) const GIVE_UP: &str = "DELETE FROM repo_leases WHERE holder = $1 AND repo = ANY($2)";

/// Releases every lease of node `$1`.
pub(crate) const RELEASE_ALL: &str = "DELETE FROM repo_leases WHERE holder = $1";

/// Every lease.
pub(crate) const LEASES: &str = concat!(
    "SELECT repo, holder, ",
    utc_text!("acquired_at"),
    ", ",
    utc_text!("expires_at"),
    " FROM repo_leases ORDER BY repo"
);

/// Lease holders without a heartbeat within `$1` microseconds.
pub(crate) const DEAD_HOLDERS: &str = "SELECT DISTINCT holder FROM repo_leases l WHERE NOT EXISTS \
     (SELECT 1 FROM fleet_members m WHERE m.node = l.holder \
     AND m.heartbeat_at > now() - $1 * INTERVAL '1 microsecond') ORDER BY holder";

/// A lease as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeaseRow {
    pub(crate) repo: String,
    pub(crate) holder: String,
    /// Not expired.
    pub(crate) valid: bool,
}

/// What one [`FleetStore::acquire_leases`] call changes for its node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LeasePlan {
    /// Valid leases the node keeps (renewed).
    pub(crate) keep: Vec<String>,
    /// Free repositories the node takes.
    pub(crate) take: Vec<String>,
    /// Valid leases the node gives up.
    pub(crate) give_up: Vec<String>,
}

impl LeasePlan {
    /// The repositories the node holds once the plan is applied, sorted.
    pub(crate) fn held(&self) -> Vec<String> {
        let mut held: Vec<String> = self.keep.iter().chain(&self.take).cloned().collect();
        held.sort();
        held
    }
}

/// Plans `me`'s leases among `repos`, given the live nodes and the current leases of those
/// repositories (the rule is in the module documentation). Pure, so the split is tested
/// without a database; [`FleetStore::acquire_leases`] applies it under the table lock.
pub(crate) fn plan_leases(
    me: &str,
    repos: &BTreeSet<String>,
    live: &BTreeSet<String>,
    leases: &[LeaseRow],
) -> LeasePlan {
    let mut nodes: BTreeSet<&str> = live.iter().map(String::as_str).collect();
    nodes.insert(me);
    let (lo, hi) = (repos.len() / nodes.len(), repos.len().div_ceil(nodes.len()));

    let configured: Vec<&LeaseRow> = leases.iter().filter(|lease| repos.contains(&lease.repo)).collect();
    let valid: BTreeMap<&str, &str> = configured
        .iter()
        .filter(|lease| lease.valid)
        .map(|lease| (lease.repo.as_str(), lease.holder.as_str()))
        .collect();
    let mut held: BTreeMap<&str, usize> = nodes.iter().map(|&node| (node, 0)).collect();
    for holder in valid.values() {
        if let Some(count) = held.get_mut(holder) {
            *count += 1;
        }
    }
    let mine: Vec<&str> = valid.iter().filter(|(_, holder)| **holder == me).map(|(repo, _)| *repo).collect();
    let mine_expired: BTreeSet<&str> = configured
        .iter()
        .filter(|lease| !lease.valid && lease.holder == me)
        .map(|lease| lease.repo.as_str())
        .collect();
    let mut free: Vec<&str> =
        repos.iter().map(String::as_str).filter(|repo| !valid.contains_key(repo)).collect();
    // Own expired leases first: taking back what one had moves nothing.
    free.sort_by_key(|repo| (!mine_expired.contains(repo), *repo));

    let others = || held.iter().filter(|(node, _)| **node != me).map(|(_, count)| *count);
    // What the other live nodes lack to reach the floor, and what they hold above the ceiling
    // (which they give up on their own next call, so it need not be given up here).
    let others_lack: usize = others().map(|count| lo.saturating_sub(count)).sum();
    let others_surplus: usize = others().map(|count| count.saturating_sub(hi)).sum();

    let take = if mine.len() < hi {
        let spare = free.len().saturating_sub(others_lack);
        (hi - mine.len()).min(spare.max(lo.saturating_sub(mine.len()))).min(free.len())
    } else {
        0
    };
    let count = mine.len() + take;
    let free_left = free.len() - take;
    let others_under_share = others().any(|count| count < hi);
    let mut give_up = 0;
    if count > hi && others_under_share {
        give_up = count - hi;
    }
    if count > lo {
        let still_lacking = others_lack.saturating_sub(free_left + others_surplus + give_up);
        give_up += (count - lo - give_up).min(still_lacking);
    }
    let give_up = give_up.min(mine.len());

    let owned = |repos: &[&str]| repos.iter().map(|repo| (*repo).to_owned()).collect::<Vec<_>>();
    LeasePlan {
        keep: owned(&mine[..mine.len() - give_up]),
        take: owned(&free[..take]),
        give_up: owned(&mine[mine.len() - give_up..]),
    }
}

/// A duration in whole microseconds, for SQL intervals.
pub(crate) fn micros(what: &'static str, ttl: Duration) -> Result<i64, StoreError> {
    i64::try_from(ttl.as_micros()).map_err(|_| StoreError::OutOfRange {
        what,
        value: u64::try_from(ttl.as_micros()).unwrap_or(u64::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fleet in memory, applying plans the way the store does, one call at a time.
    struct Fleet {
        repos: BTreeSet<String>,
        live: BTreeSet<String>,
        /// repo -> (holder, valid)
        leases: BTreeMap<String, (String, bool)>,
        moves: usize,
    }

    impl Fleet {
        fn new(repos: usize, nodes: &[&str]) -> Self {
            Self {
                repos: (0..repos).map(|i| format!("octo/r{i:02}")).collect(),
                live: nodes.iter().map(|&node| node.to_owned()).collect(),
                leases: BTreeMap::new(),
                moves: 0,
            }
        }

        fn acquire(&mut self, me: &str) -> Vec<String> {
            let rows: Vec<LeaseRow> = self
                .leases
                .iter()
                .map(|(repo, (holder, valid))| LeaseRow {
                    repo: repo.clone(),
                    holder: holder.clone(),
                    valid: *valid,
                })
                .collect();
            let plan = plan_leases(me, &self.repos, &self.live, &rows);
            for repo in &plan.give_up {
                self.leases.remove(repo);
                self.moves += 1;
            }
            for repo in &plan.take {
                let previous = self.leases.insert(repo.clone(), (me.to_owned(), true));
                assert!(
                    !matches!(previous, Some((ref holder, true)) if holder != me),
                    "took a valid lease of {repo}"
                );
                self.moves += 1;
            }
            plan.held()
        }

        /// Every live node calls once, in the order a seed picks.
        fn round(&mut self, seed: &mut u64) {
            let mut order: Vec<String> = self.live.iter().cloned().collect();
            for i in (1..order.len()).rev() {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                let j = usize::try_from(*seed % (i as u64 + 1)).unwrap();
                order.swap(i, j);
            }
            for node in order {
                self.acquire(&node);
            }
        }

        fn counts(&self) -> BTreeMap<String, usize> {
            let mut counts: BTreeMap<String, usize> =
                self.live.iter().map(|node| (node.clone(), 0)).collect();
            for (holder, valid) in self.leases.values() {
                if *valid {
                    *counts.entry(holder.clone()).or_default() += 1;
                }
            }
            counts
        }

        fn expire(&mut self, node: &str) {
            self.live.remove(node);
            for (holder, valid) in self.leases.values_mut() {
                if holder == node {
                    *valid = false;
                }
            }
        }

        /// Runs rounds until nothing moves; the split must then be fair and complete.
        fn settle(&mut self, seed: &mut u64) -> usize {
            for rounds in 1..=10 {
                let before = self.moves;
                self.round(seed);
                if self.moves == before {
                    self.assert_fair();
                    return rounds;
                }
            }
            panic!("no steady split after 10 rounds: {:?}", self.counts());
        }

        fn assert_fair(&self) {
            let (repos, nodes) = (self.repos.len(), self.live.len());
            let (lo, hi) = (repos / nodes, repos.div_ceil(nodes));
            let counts = self.counts();
            assert!(counts.values().all(|count| (lo..=hi).contains(count)), "{counts:?}");
            assert_eq!(counts.values().sum::<usize>(), repos, "every repo leased once: {counts:?}");
        }
    }

    #[test]
    fn three_nodes_split_twelve_repos_four_each_and_stay() {
        let mut fleet = Fleet::new(12, &["a", "b", "c"]);
        let mut seed = 7;
        fleet.settle(&mut seed);
        assert!(fleet.counts().values().all(|count| *count == 4), "{:?}", fleet.counts());
        let moves = fleet.moves;
        for _ in 0..5 {
            fleet.round(&mut seed);
        }
        assert_eq!(fleet.moves, moves, "a steady fleet moves no lease");
    }

    #[test]
    fn the_first_node_takes_everything_and_gives_up_only_what_newcomers_need() {
        let mut fleet = Fleet::new(12, &["a"]);
        assert_eq!(fleet.acquire("a").len(), 12);
        fleet.live.insert("b".into());
        assert_eq!(fleet.acquire("b").len(), 0, "nothing free yet");
        assert_eq!(fleet.acquire("a").len(), 6, "a gives up the half b needs");
        assert_eq!(fleet.acquire("b").len(), 6);
        fleet.assert_fair();
        assert_eq!(fleet.moves, 12 + 6 + 6);
    }

    /// Each node's valid leases.
    fn holdings(fleet: &Fleet) -> BTreeMap<String, BTreeSet<String>> {
        let mut holdings: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (repo, (holder, valid)) in &fleet.leases {
            if *valid {
                holdings.entry(holder.clone()).or_default().insert(repo.clone());
            }
        }
        holdings
    }

    #[test]
    fn joins_only_take_from_and_departures_only_add_to_the_others_for_many_seeds() {
        for seed in 1..=300_u64 {
            let mut seed = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let repos = usize::try_from(seed % 40).unwrap() + 1;
            let mut fleet = Fleet::new(repos, &["a", "b", "c"]);
            fleet.settle(&mut seed);
            let before = holdings(&fleet);
            let moves = fleet.moves;
            fleet.live.extend(["d".to_owned(), "e".to_owned()]);
            fleet.settle(&mut seed);
            let after = holdings(&fleet);
            for node in ["a", "b", "c"] {
                let (old, new) = (
                    before.get(node).cloned().unwrap_or_default(),
                    after.get(node).cloned().unwrap_or_default(),
                );
                assert!(
                    new.is_subset(&old),
                    "{repos} repos: {node} took {new:?} while others joined, had {old:?}"
                );
            }
            // Each repo the newcomers got changed hands once: given up, then taken.
            let newcomers: usize =
                ["d", "e"].iter().map(|node| after.get(*node).map_or(0, BTreeSet::len)).sum();
            assert_eq!(fleet.moves - moves, 2 * newcomers, "{repos} repos: {before:?} -> {after:?}");

            let before = after;
            let moves = fleet.moves;
            fleet.expire("b");
            fleet.expire("d");
            fleet.settle(&mut seed);
            let after = holdings(&fleet);
            for node in ["a", "c", "e"] {
                let (old, new) = (
                    before.get(node).cloned().unwrap_or_default(),
                    after.get(node).cloned().unwrap_or_default(),
                );
                assert!(
                    old.is_subset(&new),
                    "{repos} repos: {node} gave up {old:?} -> {new:?} while others left"
                );
            }
            let orphaned: usize =
                ["b", "d"].iter().map(|node| before.get(*node).map_or(0, BTreeSet::len)).sum();
            assert_eq!(fleet.moves - moves, orphaned, "{repos} repos: only the orphans moved");
        }
    }

    #[test]
    fn more_nodes_than_repos_leave_some_nodes_idle() {
        let mut fleet = Fleet::new(2, &["a", "b", "c", "d"]);
        let mut seed = 3;
        fleet.settle(&mut seed);
        assert_eq!(fleet.counts().values().filter(|count| **count == 1).count(), 2);
    }

    #[test]
    fn a_valid_lease_of_a_dead_node_is_waited_for() {
        let me = "a";
        let repos: BTreeSet<String> = ["octo/x".to_owned(), "octo/y".to_owned()].into();
        let live: BTreeSet<String> = [me.to_owned()].into();
        let leases = [LeaseRow { repo: "octo/x".into(), holder: "gone".into(), valid: true }];
        let plan = plan_leases(me, &repos, &live, &leases);
        assert_eq!(plan.take, ["octo/y"], "x stays with its holder until its lease expires");
        let expired = [LeaseRow { valid: false, ..leases[0].clone() }];
        assert_eq!(plan_leases(me, &repos, &live, &expired).held(), ["octo/x", "octo/y"]);
    }

    #[test]
    fn own_expired_leases_are_taken_back_first() {
        let repos: BTreeSet<String> = (0..4).map(|i| format!("octo/r{i}")).collect();
        let live: BTreeSet<String> = ["a".to_owned(), "b".to_owned()].into();
        let leases = [LeaseRow { repo: "octo/r3".into(), holder: "a".into(), valid: false }];
        let plan = plan_leases("a", &repos, &live, &leases);
        assert_eq!(plan.take, ["octo/r3", "octo/r0"], "b's share is left free");
    }

    #[test]
    fn no_repos_means_no_leases() {
        let plan = plan_leases("a", &BTreeSet::new(), &BTreeSet::new(), &[]);
        assert_eq!(plan, LeasePlan::default());
    }
}
