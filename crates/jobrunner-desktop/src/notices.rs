//! Desktop notifications (`org.freedesktop.Notifications`) when a PR starts waiting on a person:
//! [`Notices`] decides which waits are new, once per wait episode; [`Notifier`] sends them.

use std::collections::{HashMap, HashSet};

use jobrunner_node::{NodeState, PersonWait};

/// The waits already told about: a PR is told again only after it stopped waiting and
/// started again (a new episode). Waits present at start are new to it, so they are told too.
#[derive(Debug, Default)]
pub(crate) struct Notices {
    told: HashSet<(String, u64)>,
}

impl Notices {
    /// The waits of `state` not told about yet; forgets the ones that ended.
    pub(crate) fn fresh<'a>(&mut self, state: &'a NodeState) -> Vec<&'a PersonWait> {
        let now: HashSet<(String, u64)> =
            state.waiting_on_person.iter().map(|w| (w.repo.to_string(), w.pr)).collect();
        let fresh = state
            .waiting_on_person
            .iter()
            .filter(|w| !self.told.contains(&(w.repo.to_string(), w.pr)))
            .collect();
        self.told = now;
        fresh
    }
}

#[zbus::proxy(
    interface = "org.freedesktop.Notifications",
    default_service = "org.freedesktop.Notifications",
    default_path = "/org/freedesktop/Notifications"
)]
trait Notifications {
    #[allow(clippy::too_many_arguments, reason = "the D-Bus method's own signature")]
    fn notify(
        &self,
        app_name: &str,
        replaces_id: u32,
        app_icon: &str,
        summary: &str,
        body: &str,
        actions: &[&str],
        hints: HashMap<&str, zbus::zvariant::Value<'_>>,
        expire_timeout: i32,
    ) -> zbus::Result<u32>;
}

/// Sends the notices on the session bus; a missing notification server is logged once.
pub(crate) struct Notifier {
    proxy: NotificationsProxy<'static>,
    warned: bool,
}

impl Notifier {
    pub(crate) async fn new(bus: &zbus::Connection) -> zbus::Result<Self> {
        Ok(Self { proxy: NotificationsProxy::new(bus).await?, warned: false })
    }

    /// Tells the desktop that `wait`'s PR waits on a person.
    pub(crate) async fn tell(&mut self, wait: &PersonWait) {
        let summary = format!("{}#{} waits on a person", wait.repo, wait.pr);
        let body = "core-ide acts on it no further until someone does: see the panel";
        let sent = self.proxy.notify("core-ide", 0, "", &summary, body, &[], HashMap::new(), -1).await;
        if let Err(error) = sent
            && !std::mem::replace(&mut self.warned, true)
        {
            tracing::warn!(error = %error, "desktop notifications cannot be sent: no notification server answers");
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use jobrunner_core::{NodeId, RepoSlug};
    use jobrunner_node::{NodeMode, Phase};

    use super::*;

    fn waiting(prs: &[u64]) -> NodeState {
        NodeState {
            node: NodeId::new("node-a").unwrap(),
            mode: NodeMode::Standalone,
            profile: "development",
            dry_run: false,
            phase: Phase::Waiting,
            paused: true,
            cycles_run: 0,
            last_cycles: Vec::new(),
            next_cycle_due: None,
            sources: Vec::new(),
            leases: None,
            waiting_on_person: prs
                .iter()
                .map(|&pr| PersonWait {
                    repo: RepoSlug::parse("octo/app").unwrap(),
                    pr,
                    since: Utc::now(),
                    reason: "review requested".to_owned(),
                })
                .collect(),
        }
    }

    fn told(notices: &mut Notices, prs: &[u64]) -> Vec<u64> {
        notices.fresh(&waiting(prs)).iter().map(|w| w.pr).collect()
    }

    #[test]
    fn waits_present_at_start_are_told_and_each_only_once() {
        let mut notices = Notices::default();
        assert_eq!(told(&mut notices, &[11, 12]), [11, 12]);
        assert_eq!(told(&mut notices, &[11, 12]), Vec::<u64>::new());
        assert_eq!(told(&mut notices, &[11, 12, 13]), [13]);
    }

    #[test]
    fn a_pr_that_stopped_waiting_and_waits_again_is_told_again() {
        let mut notices = Notices::default();
        assert_eq!(told(&mut notices, &[11]), [11]);
        assert_eq!(told(&mut notices, &[]), Vec::<u64>::new());
        assert_eq!(told(&mut notices, &[11]), [11]);
    }
}
