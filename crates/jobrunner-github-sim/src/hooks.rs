//! Another party's move made just before the simulator serves a chosen request: a person
//! saving an epic between the client's read and its write, where no scenario step between two
//! cycles can reach.

use std::fmt;
use std::sync::Arc;

use crate::faults::{RequestInfo, RequestMatcher, Trigger};
use crate::state::SimState;

/// A party's move on the live state.
pub type HookStep = Arc<dyn Fn(&mut SimState) + Send + Sync>;

/// A change to the state the simulator makes right before serving a matching request (after
/// authentication and faults, before the request reads or changes anything).
#[derive(Clone)]
pub struct StateHook {
    /// Which requests the hook looks at.
    pub matcher: RequestMatcher,
    /// When it fires among them.
    pub trigger: Trigger,
    /// The move: runs on the live state.
    pub step: HookStep,
}

impl StateHook {
    /// `step` runs once, just before the next request with `method` on `path` (a route
    /// template such as `/repos/{owner}/{repo}/issues/{number}`, or a path prefix).
    #[must_use]
    pub fn once(
        method: http::Method,
        path: &str,
        step: impl Fn(&mut SimState) + Send + Sync + 'static,
    ) -> Self {
        Self { matcher: RequestMatcher::new(method, path), trigger: Trigger::Once, step: Arc::new(step) }
    }
}

impl fmt::Debug for StateHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateHook")
            .field("matcher", &self.matcher)
            .field("trigger", &self.trigger)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct ArmedHook {
    hook: StateHook,
    seen: u64,
    spent: bool,
}

/// The hooks set on a simulator, with their counts.
#[derive(Debug, Default)]
pub(crate) struct HookBook {
    hooks: Vec<ArmedHook>,
}

impl HookBook {
    pub(crate) fn add(&mut self, hook: StateHook) {
        self.hooks.push(ArmedHook { hook, seen: 0, spent: false });
    }

    /// The steps of every hook that fires on this request, in the order they were added.
    pub(crate) fn firing(&mut self, request: &RequestInfo<'_>) -> Vec<HookStep> {
        self.hooks
            .iter_mut()
            .filter(|armed| armed.hook.matcher.matches(request))
            .filter_map(|armed| {
                armed
                    .hook
                    .trigger
                    .fires(&mut armed.seen, &mut armed.spent)
                    .then(|| Arc::clone(&armed.hook.step))
            })
            .collect()
    }
}
