//! What every request handler and the [`SimHandle`](crate::SimHandle) share: the state, the
//! ledger, the fault rules and the hooks, each behind its own lock. The GraphQL schema is not
//! here: its resolvers read this, so holding it would make the two import each other.
//!
//! Locks are held only for a few statements and never across an `await`; no code path holds
//! two of them at once, so there is no lock order to get wrong.

use std::sync::atomic::AtomicU32;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

use crate::accounting::{Ledger, MutationRecord};
use crate::faults::FaultBook;
use crate::hooks::HookBook;
use crate::state::SimState;

/// State shared by the server and its handle.
pub(crate) struct Shared {
    state: Mutex<SimState>,
    ledger: Mutex<Ledger>,
    faults: Mutex<FaultBook>,
    hooks: Mutex<HookBook>,
    /// Requests being served right now (the concurrency secondary limit).
    pub(crate) in_flight: AtomicU32,
    /// `http://127.0.0.1:PORT`, for the URLs inside answers and `Link` headers.
    pub(crate) base_url: String,
    /// Bumped after every answered request (and when a fault fires), so tests can wait for
    /// traffic instead of sleeping.
    activity: watch::Sender<u64>,
}

impl Shared {
    pub(crate) fn new(state: SimState, base_url: String) -> Self {
        Self {
            state: Mutex::new(state),
            ledger: Mutex::new(Ledger::default()),
            faults: Mutex::new(FaultBook::default()),
            hooks: Mutex::new(HookBook::default()),
            in_flight: AtomicU32::new(0),
            base_url,
            activity: watch::Sender::new(0),
        }
    }

    // A test that panics inside `with_state` poisons the lock; the state is still whole
    // (every change is a few field writes), so later requests keep being served.
    pub(crate) fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultBook> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn hooks(&self) -> MutexGuard<'_, HookBook> {
        self.hooks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Logs changes made through the API.
    pub(crate) fn record(&self, records: Vec<MutationRecord>) {
        self.ledger().counters.mutation_log.extend(records);
    }

    /// Tells waiters the counters changed.
    pub(crate) fn bump_activity(&self) {
        self.activity.send_modify(|n| *n += 1);
    }

    pub(crate) fn watch_activity(&self) -> watch::Receiver<u64> {
        self.activity.subscribe()
    }
}
