//! A node's membership of a fleet: with `CORE_DATABASE_URL` the state store is the shared
//! PostgreSQL database, the node registers its id there (refused while another live process
//! holds it), heartbeats, and leaves on a clean exit.

use std::sync::Arc;

use jobrunner_config::Settings;
use jobrunner_core::{ActionKey, RepoSlug};
use jobrunner_runner::WorkSplit;
use jobrunner_store::{FleetStore, PgStore, StoreError};
use tokio::task::JoinHandle;

use crate::InputError;

/// A registered node, heartbeating until it leaves.
pub(crate) struct Membership {
    store: Arc<PgStore>,
    settings_node: jobrunner_core::NodeId,
    heartbeat: JoinHandle<()>,
}

impl Membership {
    /// Connects to the fleet's database and registers this node.
    pub(crate) async fn join(settings: &Settings, url: &str) -> anyhow::Result<(Arc<PgStore>, Self)> {
        let node = settings.node_id.clone();
        let store = Arc::new(PgStore::connect(url, &node).await?);
        store.register_node(&node, settings.lease_ttl).await.map_err(|error| match error {
            StoreError::NodeIdTaken { .. } => anyhow::Error::from(InputError(error.to_string())),
            other => other.into(),
        })?;
        tracing::info!(node = %node, "joined the fleet");
        let heartbeat = tokio::spawn(beat(Arc::clone(&store), node.clone(), settings.heartbeat_interval));
        Ok((Arc::clone(&store), Self { store, settings_node: node, heartbeat }))
    }

    /// This node's share of `repos`, leased each cycle.
    pub(crate) fn leases(&self, repos: Vec<RepoSlug>, ttl: std::time::Duration) -> Arc<dyn WorkSplit> {
        Arc::new(Leases { store: Arc::clone(&self.store), node: self.settings_node.clone(), repos, ttl })
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

async fn beat(store: Arc<PgStore>, node: jobrunner_core::NodeId, every: std::time::Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if let Err(error) = store.heartbeat(&node).await {
            tracing::error!(error = %error, "fleet heartbeat failed");
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
}

#[async_trait::async_trait]
impl WorkSplit for Leases {
    async fn assign(&self) -> Result<Vec<RepoSlug>, StoreError> {
        self.store.acquire_leases(&self.node, &self.repos, self.ttl).await
    }

    async fn orphaned(&self, leased: &[RepoSlug]) -> Result<Vec<ActionKey>, StoreError> {
        let claims = self.store.orphaned_claims(self.ttl).await?;
        Ok(claims.into_iter().map(|(_, key)| key).filter(|key| leased.contains(&key.repo)).collect())
    }
}
