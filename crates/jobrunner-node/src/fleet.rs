//! A node's membership of a fleet: with `CORE_DATABASE_URL` the state store is the shared
//! PostgreSQL database, the node registers its id there (refused while another live process
//! holds it), heartbeats, and leaves on a clean exit.

use std::sync::{Arc, Mutex};

use jobrunner_config::Settings;
use jobrunner_core::{ActionKey, RepoSlug};
use jobrunner_runner::WorkSplit;
use jobrunner_store::{CLOCK_SKEW_BOUND, FleetStore, PgStore, StoreError};
use tokio::task::JoinHandle;

use crate::NodeError;

/// A registered node, heartbeating until it leaves.
pub(crate) struct Membership {
    store: Arc<PgStore>,
    settings_node: jobrunner_core::NodeId,
    heartbeat: JoinHandle<()>,
    /// The repositories leased in the latest cycle, for the node's state.
    held: Arc<Mutex<Vec<RepoSlug>>>,
}

impl Membership {
    /// Connects to the fleet's database and registers this node.
    pub(crate) async fn join(settings: &Settings, url: &str) -> Result<(Arc<PgStore>, Self), NodeError> {
        if let Some(problem) = settings.fleet_timing_problem() {
            return Err(NodeError::FleetTiming(problem));
        }
        let node = settings.node_id.clone();
        let store = Arc::new(PgStore::connect(url, &node).await.map_err(NodeError::Fleet)?);
        let host = jobrunner_config::Host::current().hostname.unwrap_or_default();
        store.register_node(&node, &host, settings.lease_ttl).await.map_err(|error| match error {
            StoreError::NodeIdTaken { .. } => NodeError::NodeIdTaken(error),
            other => NodeError::Fleet(other),
        })?;
        tracing::info!(node = %node, "joined the fleet");
        let heartbeat = tokio::spawn(beat(Arc::clone(&store), node.clone(), settings.heartbeat_interval));
        let membership =
            Self { store: Arc::clone(&store), settings_node: node, heartbeat, held: Arc::default() };
        Ok((store, membership))
    }

    /// This node's share of `repos`, leased each cycle.
    pub(crate) fn leases(&self, repos: Vec<RepoSlug>, ttl: std::time::Duration) -> Arc<dyn WorkSplit> {
        Arc::new(Leases {
            store: Arc::clone(&self.store),
            node: self.settings_node.clone(),
            repos,
            ttl,
            held: Arc::clone(&self.held),
        })
    }

    /// Where the repositories this node leases are noted, cycle by cycle.
    pub(crate) fn lease_book(&self) -> LeaseBook {
        LeaseBook(Arc::clone(&self.held))
    }

    /// Stops heartbeating and gives the node id and its repositories back at once, instead of
    /// when the registration expires.
    pub(crate) async fn leave(self) {
        self.heartbeat.abort();
        if let Err(error) = self.store.deregister(&self.settings_node).await {
            tracing::warn!(error = %error, "leaving the fleet failed: the registration expires on its own");
        }
    }
}

/// The repositories a fleet node leased in its latest cycle, for its state.
pub(crate) struct LeaseBook(Arc<Mutex<Vec<RepoSlug>>>);

impl LeaseBook {
    /// The repositories leased in the latest cycle.
    pub(crate) fn held(&self) -> Vec<RepoSlug> {
        self.0.lock().map(|held| held.clone()).unwrap_or_default()
    }
}

/// Heartbeats every `every`. Logs what changes, not every beat: losing and regaining the
/// database, losing the registration, a clock skew past [`CLOCK_SKEW_BOUND`] and its end.
async fn beat(store: Arc<PgStore>, node: jobrunner_core::NodeId, every: std::time::Duration) {
    let mut ticks = tokio::time::interval(every);
    let mut health = BeatHealth::default();
    loop {
        ticks.tick().await;
        health.observe(store.heartbeat(&node).await);
    }
}

/// What the heartbeat last reported, so each change is logged once.
#[derive(Default)]
struct BeatHealth {
    failing: bool,
    skewed: bool,
}

impl BeatHealth {
    fn observe(&mut self, beat: Result<chrono::TimeDelta, StoreError>) {
        match beat {
            Ok(skew) => {
                if std::mem::replace(&mut self.failing, false) {
                    tracing::info!("fleet heartbeat works again");
                }
                let off = skew.abs().to_std().unwrap_or_default();
                let skew_ms = skew.num_milliseconds();
                if off > CLOCK_SKEW_BOUND && !std::mem::replace(&mut self.skewed, true) {
                    tracing::warn!(
                        skew_ms,
                        bound_ms = CLOCK_SKEW_BOUND.as_millis(),
                        "this node's clock is off the database's: journal and cycle times will not line up across the fleet; run NTP (chrony, systemd-timesyncd)"
                    );
                } else if off <= CLOCK_SKEW_BOUND && std::mem::replace(&mut self.skewed, false) {
                    tracing::info!(skew_ms, "this node's clock agrees with the database's again");
                }
            }
            Err(error) if !std::mem::replace(&mut self.failing, true) => {
                tracing::error!(error = %error, "fleet heartbeat failed");
            }
            Err(error) => tracing::debug!(error = %error, "fleet heartbeat still failing"),
        }
    }
}

/// Repository leases as the runner's [`WorkSplit`]: each cycle the node renews its leases and
/// takes or gives up repositories towards its fair share (see `FleetStore::acquire_leases`).
struct Leases {
    store: Arc<PgStore>,
    node: jobrunner_core::NodeId,
    repos: Vec<RepoSlug>,
    ttl: std::time::Duration,
    held: Arc<Mutex<Vec<RepoSlug>>>,
}

#[async_trait::async_trait]
impl WorkSplit for Leases {
    async fn assign(&self) -> Result<Vec<RepoSlug>, StoreError> {
        let leased = self.store.acquire_leases(&self.node, &self.repos, self.ttl).await?;
        if let Ok(mut held) = self.held.lock() {
            held.clone_from(&leased);
        }
        Ok(leased)
    }

    async fn orphaned(&self, leased: &[RepoSlug]) -> Result<Vec<ActionKey>, StoreError> {
        let mut taken = Vec::new();
        for (dead, key) in self.store.orphaned_claims(self.ttl).await? {
            // Taken over first: should the "dead" node only have been cut off, it finds the
            // key no longer its own and leaves it alone.
            if leased.contains(&key.repo) && self.store.take_over_claim(&key, &dead).await? {
                tracing::warn!(key = %key, from = %dead, "took over a claim of a node that stopped heartbeating");
                taken.push(key);
            }
        }
        Ok(taken)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn lost() -> StoreError {
        StoreError::RegistrationLost { node_id: jobrunner_core::NodeId::new("node-a").unwrap() }
    }

    #[test]
    fn a_failing_heartbeat_is_one_episode_until_a_beat_works_again() {
        let mut health = BeatHealth::default();
        health.observe(Err(lost()));
        health.observe(Err(lost()));
        assert!(health.failing);
        health.observe(Ok(TimeDelta::zero()));
        assert!(!health.failing, "a working beat ends the episode");
    }

    #[test]
    fn a_skew_past_the_bound_either_way_is_noticed_and_its_end_too() {
        let mut health = BeatHealth::default();
        let bound = TimeDelta::from_std(CLOCK_SKEW_BOUND).unwrap();
        health.observe(Ok(bound));
        assert!(!health.skewed, "the bound itself is fine");
        health.observe(Ok(-bound - TimeDelta::milliseconds(1)));
        assert!(health.skewed, "a clock behind counts like one ahead");
        health.observe(Ok(TimeDelta::milliseconds(40)));
        assert!(!health.skewed);
    }
}
