//! Crash points: named places where the crash test suite stops a real `core-ide` process
//! with `kill -9`, deterministically instead of by timing.
//!
//! With `CORE_TEST_CRASH_POINT=<point>:<n>` in the environment, the `n`-th time the process
//! reaches `<point>` it writes `crash point <point>#<n> reached` to stderr and hangs until it
//! is killed. Without it (always, outside the tests) reaching a point is one load of an
//! initialised `OnceLock`. The points are listed in [`POINTS`].

use std::io::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable arming one crash point.
pub const ENV: &str = "CORE_TEST_CRASH_POINT";

/// Every crash point, in the order an action passes them.
pub const POINTS: &[&str] = &[AFTER_CLAIM, AFTER_EFFECT, MID_JOURNAL_APPEND, AFTER_JOURNAL, AFTER_CONFIRM];

/// The key is claimed in the ledger; the forge has not been asked yet.
pub const AFTER_CLAIM: &str = "after_claim";
/// The forge performed the action; nothing is journaled or confirmed yet.
pub const AFTER_EFFECT: &str = "after_effect";
/// Half of the journal line is written.
pub const MID_JOURNAL_APPEND: &str = "mid_journal_append";
/// The journal line is written; the key is not confirmed yet.
pub const AFTER_JOURNAL: &str = "after_journal";
/// The key is confirmed; the source has not heard the outcome yet.
pub const AFTER_CONFIRM: &str = "after_confirm";

struct Armed {
    point: String,
    at: u32,
    seen: AtomicU32,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let value = std::env::var(ENV).ok()?;
            let (point, at) = value.rsplit_once(':')?;
            Some(Armed { point: point.to_owned(), at: at.parse().ok()?, seen: AtomicU32::new(0) })
        })
        .as_ref()
}

/// Counts a pass through `point` and says whether this is the pass to crash at. Call
/// [`halt`] after doing whatever half-done work the crash should leave behind.
#[must_use]
pub fn due(point: &str) -> bool {
    armed().is_some_and(|a| a.point == point && a.seen.fetch_add(1, Ordering::SeqCst) + 1 == a.at)
}

/// Announces the crash point on stderr and hangs until the process is killed.
pub fn halt(point: &str) -> ! {
    let at = armed().map_or(0, |a| a.at);
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "crash point {point}#{at} reached");
    let _ = stderr.flush();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

/// Hangs here, to be killed, when this pass through `point` is the armed one.
pub fn reached(point: &str) {
    if due(point) {
        halt(point);
    }
}
