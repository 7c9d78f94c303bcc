//! [`Store`]: everything a node keeps between cycles, as one port made of one trait per concern.
//!
//! | trait | what it keeps |
//! |---|---|
//! | [`Identity`] | which node the store serves, and its schema version |
//! | [`Ledger`] | action keys claimed once, then confirmed or released ([`ledger`](crate::ledger)) |
//! | [`FixCounts`] | fix commands sent per PR without progress ([`fix_commands`](crate::fix_commands)) |
//! | [`Waits`] | what each waiting PR waits on, since when ([`pr_waits`](crate::pr_waits)) |
//! | [`SnapshotCache`] | what a source made of its latest answers ([`snapshots`](crate::snapshots)) |
//! | [`CycleLog`] | each poll cycle: when it ran, how it ended ([`cycles`](crate::cycles)) |
//!
//! Each trait is implemented once for both stores (over the crate's private statement layer),
//! next to its SQL in its module. A caller that needs one concern takes that trait; the runner,
//! which needs them all, holds an `Arc<dyn Store>`. The traits are object-safe.

use crate::{CycleLog, FixCounts, Identity, Ledger, SnapshotCache, Waits};

/// A node's state store: every concern at once.
///
/// A store handle serves one node, the one it was opened for. Every method is one atomic step:
/// when it returns `Ok`, the change is committed (and with SQLite, on disk). Implemented for
/// every type that implements each concern, [`SqliteStore`](crate::SqliteStore) and
/// [`PgStore`](crate::PgStore) among them; methods are called through the concern traits,
/// which must be in scope.
///
/// Later capabilities (the fleet's leases and heartbeats, which only the PostgreSQL store
/// serves) come as a separate trait extending this one
/// ([`FleetStore`](crate::FleetStore)), so existing implementations and callers keep compiling.
pub trait Store: Identity + Ledger + FixCounts + Waits + SnapshotCache + CycleLog {}

impl<T: Identity + Ledger + FixCounts + Waits + SnapshotCache + CycleLog + ?Sized> Store for T {}
