//! [`WorkSplit`]: which repositories this node polls, when nodes of a fleet share the work.

use async_trait::async_trait;
use jobrunner_core::{ActionKey, RepoSlug};
use jobrunner_store::StoreError;

/// Hands this node its share of the repositories each cycle (a fleet node's leases). Without
/// one, a node polls every configured repository.
#[async_trait]
pub trait WorkSplit: Send + Sync {
    /// The repositories to poll this cycle. An error fails the cycle before anything is
    /// polled or performed: a node that cannot reach the fleet's database stops acting.
    async fn assign(&self) -> Result<Vec<RepoSlug>, StoreError>;

    /// Keys in `leased` repositories that a node no longer alive claimed and never settled,
    /// each already taken over (claimed now by this node, so no other node settles it too):
    /// this node settles them like its own crash leftovers. None by default.
    async fn orphaned(&self, leased: &[RepoSlug]) -> Result<Vec<ActionKey>, StoreError> {
        let _ = leased;
        Ok(Vec::new())
    }
}
