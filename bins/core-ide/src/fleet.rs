//! A node's membership of a fleet: with `CORE_DATABASE_URL` the state store is the shared
//! PostgreSQL database, the node registers its id there (refused while another live process
//! holds it), heartbeats, and leaves on a clean exit.

use std::sync::Arc;

use jobrunner_config::Settings;
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
