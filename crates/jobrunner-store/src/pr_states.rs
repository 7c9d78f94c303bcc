//! The structural state last seen per PR, so a restarted node knows what changed since.
//!
//! The state is opaque JSON to the store: the adapter decides its shape (and keeps free text
//! out of it, as everywhere).

/// The state of PR `$2` in repo `$1`.
pub(crate) const GET: &str = "SELECT state FROM pr_states WHERE repo = $1 AND pr = $2";

/// Stores the state of PR `$2` in repo `$1`, replacing any earlier one.
pub(crate) const PUT: &str = "INSERT INTO pr_states (repo, pr, state) VALUES ($1, $2, $3) \
     ON CONFLICT (repo, pr) DO UPDATE SET state = excluded.state";
