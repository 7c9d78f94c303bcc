//! [`CoreTray`]: the `StatusNotifierItem` (ksni) a node is shown as, and its menu. Node actions
//! go through the [`NodeHandle`] at once; opening things spawns `xdg-open`; the update
//! entries ask the desktop's task, which runs the binary's callbacks.

use std::path::PathBuf;

use jobrunner_node::NodeHandle;
use ksni::menu::StandardItem;
use ksni::{MenuItem, ToolTip};
use tokio::sync::mpsc;

use crate::icon;
use crate::look::{Look, Tooltip};
use crate::updates::UpdateView;

/// The menu's labels, also what tests look for.
pub(crate) mod label {
    pub(crate) const START: &str = "Start poller";
    pub(crate) const STOP: &str = "Stop poller";
    pub(crate) const POLL_NOW: &str = "Poll now";
    pub(crate) const OPEN_PANEL: &str = "Open panel";
    pub(crate) const OPEN_JOURNAL: &str = "Open journal folder";
    pub(crate) const CHECK_UPDATES: &str = "Check for updates";
    pub(crate) const INSTALL_UPDATE: &str = "Install update";
    pub(crate) const QUIT: &str = "Quit";
}

/// What a click asks of the desktop's task (the work that awaits).
#[derive(Debug)]
pub(crate) enum Request {
    CheckUpdates,
    InstallUpdate(String),
}

/// The tray's state: what it shows and what its entries act on.
pub(crate) struct CoreTray {
    pub(crate) node: NodeHandle,
    pub(crate) look: Look,
    pub(crate) tooltip: Tooltip,
    pub(crate) paused: bool,
    /// `None` when the bridge (and so the panel) is off.
    pub(crate) panel_url: Option<String>,
    pub(crate) journal_dir: PathBuf,
    /// `None` without the binary's update callbacks: no update entries.
    pub(crate) updates: Option<UpdateView>,
    pub(crate) requests: mpsc::UnboundedSender<Request>,
}

impl ksni::Tray for CoreTray {
    // A click on the icon opens the menu: there is no window to activate.
    const MENU_ON_ACTIVATE: bool = true;

    fn id(&self) -> String {
        "core-ide".to_owned()
    }

    fn title(&self) -> String {
        "core-ide".to_owned()
    }

    fn status(&self) -> ksni::Status {
        if self.look == Look::Error { ksni::Status::NeedsAttention } else { ksni::Status::Active }
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        icon::pixmaps(self.look)
    }

    fn attention_icon_pixmap(&self) -> Vec<ksni::Icon> {
        icon::pixmaps(Look::Error)
    }

    fn tool_tip(&self) -> ToolTip {
        ToolTip {
            title: self.tooltip.title.clone(),
            description: self.tooltip.description(),
            ..ToolTip::default()
        }
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        let mut menu = vec![
            if self.paused {
                item(label::START, true, |tray| tray.node.resume())
            } else {
                item(label::STOP, true, |tray| tray.node.pause())
            },
            item(label::POLL_NOW, true, |tray| tray.node.poll_now()),
            MenuItem::Separator,
            item(label::OPEN_PANEL, self.panel_url.is_some(), |tray| {
                if let Some(url) = &tray.panel_url {
                    open(url.as_ref());
                }
            }),
            item(label::OPEN_JOURNAL, true, |tray| open(tray.journal_dir.as_os_str())),
        ];
        if let Some(updates) = &self.updates {
            menu.push(MenuItem::Separator);
            let idle = !matches!(updates, UpdateView::Checking | UpdateView::Installing(_));
            menu.push(item(label::CHECK_UPDATES, idle, |tray| {
                let _ = tray.requests.send(Request::CheckUpdates);
            }));
            if let UpdateView::Available(version) = updates {
                let version = version.clone();
                menu.push(item(&format!("{} {version}", label::INSTALL_UPDATE), true, move |tray| {
                    let _ = tray.requests.send(Request::InstallUpdate(version.clone()));
                }));
            }
        }
        menu.push(MenuItem::Separator);
        menu.push(item(label::QUIT, true, |tray| tray.node.shutdown()));
        menu
    }

    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        tracing::warn!(reason = ?reason, "the StatusNotifierWatcher went away: the icon shows again when it is back");
        true
    }
}

fn item(label: &str, enabled: bool, activate: impl Fn(&mut CoreTray) + Send + 'static) -> MenuItem<CoreTray> {
    StandardItem { label: label.to_owned(), enabled, activate: Box::new(activate), ..StandardItem::default() }
        .into()
}

/// Opens `what` (a URL or a folder) with the desktop's default application.
fn open(what: &std::ffi::OsStr) {
    let spawned = std::process::Command::new("xdg-open")
        .arg(what)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn();
    match spawned {
        // Reaped off the runtime: xdg-open returns once the application is started.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(error) => tracing::warn!(
            error = %error,
            what = %what.to_string_lossy(),
            "cannot run xdg-open: install xdg-utils, or open it by hand"
        ),
    }
}
