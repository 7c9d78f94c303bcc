//! [`start`]: the desktop mode beside a running node. The tray and the notices follow the
//! node's state from [`NodeHandle::subscribe`]; the task ends when the node stops.

use std::path::PathBuf;

use jobrunner_node::{NodeHandle, NodeState, Phase};
use ksni::TrayMethods as _;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::DesktopError;
use crate::look::{Look, Tooltip};
use crate::notices::{Notices, Notifier};
use crate::tray::{CoreTray, Request};
use crate::updates::{UpdateCheck, UpdateHooks, UpdateView};

/// The well-known name of the desktop's `StatusNotifierWatcher`.
const WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// What the desktop mode shows besides the node.
#[derive(Debug, Clone)]
pub struct DesktopOptions {
    /// The web panel's URL for "Open panel"; `None` when the bridge is off (the entry is
    /// greyed out).
    pub panel_url: Option<String>,
    /// The journal directory for "Open journal folder".
    pub journal_dir: PathBuf,
    /// The binary's update callbacks; `None` without self-update (no update entries).
    pub updates: Option<UpdateHooks>,
}

/// The desktop mode running; [`Desktop::shutdown`] takes the icon away.
pub struct Desktop {
    tray: Option<ksni::Handle<CoreTray>>,
    missing: Option<DesktopError>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Desktop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desktop")
            .field("tray", &self.tray.is_some())
            .field("missing", &self.missing)
            .field("task", &self.task)
            .finish()
    }
}

impl Desktop {
    /// Why there is no tray icon (the notifications are still sent), if there is none.
    #[must_use]
    pub fn without_tray(&self) -> Option<&DesktopError> {
        self.missing.as_ref()
    }

    /// Removes the icon from the panel and stops following the node.
    pub async fn shutdown(self) {
        self.task.abort();
        if let Some(tray) = self.tray {
            tray.shutdown().await;
        }
    }
}

/// Connects to the session bus, registers the tray icon and follows `node`. Without a session
/// bus this fails ([`DesktopError::NoSessionBus`]); without a watcher it runs with the
/// notifications only ([`Desktop::without_tray`]).
pub async fn start(node: NodeHandle, options: DesktopOptions) -> Result<Desktop, DesktopError> {
    let bus =
        zbus::Connection::session().await.map_err(|e| DesktopError::NoSessionBus { why: e.to_string() })?;
    let notifier =
        Notifier::new(&bus).await.map_err(|e| DesktopError::NoSessionBus { why: e.to_string() })?;
    let (requests, asked) = mpsc::unbounded_channel();
    let state = node.state();
    let updates_view = options.updates.as_ref().map(|_| UpdateView::NotChecked);
    let tray = CoreTray {
        node: node.clone(),
        look: Look::of(&state),
        tooltip: Tooltip::of(&state, None),
        paused: state.paused,
        panel_url: options.panel_url,
        journal_dir: options.journal_dir,
        updates: updates_view,
        requests,
    };
    let (tray, missing) = match register(&bus, tray).await {
        Ok(tray) => (Some(tray), None),
        Err(error) => (None, Some(error)),
    };
    let follow = Follow { tray: tray.clone(), notifier, notices: Notices::default(), hooks: options.updates };
    let task = tokio::spawn(follow.run(node.subscribe(), asked));
    Ok(Desktop { tray, missing, task })
}

/// Registers `tray` with the watcher, if the session has one.
async fn register(bus: &zbus::Connection, tray: CoreTray) -> Result<ksni::Handle<CoreTray>, DesktopError> {
    let dbus = zbus::fdo::DBusProxy::new(bus).await.map_err(|e| DesktopError::Tray { why: e.to_string() })?;
    let name = zbus::names::BusName::try_from(WATCHER).expect("the watcher's name is valid");
    if !dbus.name_has_owner(name).await.map_err(|e| DesktopError::Tray { why: e.to_string() })? {
        return Err(DesktopError::NoWatcher);
    }
    tray.spawn().await.map_err(|error| match error {
        ksni::Error::Watcher(zbus::fdo::Error::ServiceUnknown(_) | zbus::fdo::Error::NameHasNoOwner(_)) => {
            DesktopError::NoWatcher
        }
        ksni::Error::WontShow => DesktopError::NoHost,
        other => DesktopError::Tray { why: other.to_string() },
    })
}

/// The task following the node: the tray's look, the notices, the update requests.
struct Follow {
    tray: Option<ksni::Handle<CoreTray>>,
    notifier: Notifier,
    notices: Notices,
    hooks: Option<UpdateHooks>,
}

/// What the task hears.
enum Heard {
    State(NodeState),
    Asked(Request),
    Checked(UpdateCheck),
    InstallFailed(String),
    Stopped,
}

impl Follow {
    async fn run(
        mut self,
        mut watched: watch::Receiver<NodeState>,
        mut asked: mpsc::UnboundedReceiver<Request>,
    ) {
        let (results, mut heard_back) = mpsc::unbounded_channel::<Heard>();
        // Requests are turned into results on their own tasks, and heard back here.
        let mut update = UpdateView::NotChecked;
        let first = watched.borrow_and_update().clone();
        self.show(&first, &update).await;
        loop {
            let heard = tokio::select! {
                changed = watched.changed() => match changed {
                    Ok(()) => Heard::State(watched.borrow_and_update().clone()),
                    Err(_) => Heard::Stopped,
                },
                Some(request) = asked.recv() => Heard::Asked(request),
                Some(result) = heard_back.recv() => result,
            };
            match heard {
                Heard::State(state) => {
                    self.show(&state, &update).await;
                    if state.phase == Phase::Stopped {
                        return;
                    }
                }
                Heard::Asked(Request::CheckUpdates) => {
                    let Some(hooks) = &self.hooks else { continue };
                    update = UpdateView::Checking;
                    let (check, results) = (hooks.check.clone(), results.clone());
                    tokio::spawn(async move {
                        let _ = results.send(Heard::Checked(check().await));
                    });
                    self.show_now(&watched, &update).await;
                }
                Heard::Asked(Request::InstallUpdate(version)) => {
                    let Some(hooks) = &self.hooks else { continue };
                    tracing::info!(version, "installing the update, as asked in the tray");
                    update = UpdateView::Installing(version.clone());
                    let (install, results) = (hooks.install.clone(), results.clone());
                    tokio::spawn(async move {
                        if let Err(why) = install(version).await {
                            let _ = results.send(Heard::InstallFailed(why));
                        }
                    });
                    self.show_now(&watched, &update).await;
                }
                Heard::Checked(check) => {
                    update = UpdateView::from(check);
                    self.show_now(&watched, &update).await;
                }
                Heard::InstallFailed(why) => {
                    update = UpdateView::Failed(why);
                    self.show_now(&watched, &update).await;
                }
                Heard::Stopped => return,
            }
        }
    }

    /// Brings the tray up to the node's state now and `update`.
    async fn show_now(&mut self, watched: &watch::Receiver<NodeState>, update: &UpdateView) {
        let state = watched.borrow().clone();
        self.show(&state, update).await;
    }

    /// Brings the tray up to `state` and `update`, and tells the waits that are new.
    async fn show(&mut self, state: &NodeState, update: &UpdateView) {
        if let Some(tray) = &self.tray {
            let (look, tooltip, paused) =
                (Look::of(state), Tooltip::of(state, update.line().as_deref()), state.paused);
            let update = update.clone();
            tray.update(move |t| {
                t.look = look;
                t.tooltip = tooltip;
                t.paused = paused;
                if t.updates.is_some() {
                    t.updates = Some(update);
                }
            })
            .await;
        }
        for wait in self.notices.fresh(state) {
            self.notifier.tell(wait).await;
        }
    }
}
