//! core-ide's desktop mode: a running node shown as a tray icon (a `StatusNotifierItem` over
//! D-Bus, with its `com.canonical.dbusmenu` menu) and desktop notifications when a PR starts
//! waiting on a person.
//!
//! [`start`] connects to the session bus beside a node (given its [`NodeHandle`]), registers
//! the tray with the desktop's `StatusNotifierWatcher` and follows [`NodeHandle::subscribe`]:
//! the icon shows a [`Look`] (idle, polling, executing, paused, error), the tooltip the latest
//! cycle and what waits on a person; every menu entry acts through the handle (pause, resume,
//! poll now, shutdown) or opens something with `xdg-open`. Updates are the binary's: it hands
//! in [`UpdateHooks`] when it can update itself, and the menu has its entries only then.
//!
//! It is *not* a GUI toolkit and draws no window: the desktop's panel draws the icon and the
//! menu from what the item publishes, and the web panel is the place for everything else. No
//! GTK or C library: ksni and zbus are pure Rust on the process's tokio runtime. Everything it
//! shows is structural (numbers, repository names, classes), never text from the forge.
//!
//! Without a session bus [`start`] fails with [`DesktopError::NoSessionBus`]; without a
//! `StatusNotifierWatcher` (GNOME without the `AppIndicator` extension, i3bar) it runs without the
//! icon and [`Desktop::without_tray`] says why, so the binary logs one line and carries on.
//!
//! `testing` (feature `testing`) is a private session bus with a fake watcher and a fake
//! notification server, and a probe of the registered item, for end-to-end tests.
//!
//! [`NodeHandle`]: jobrunner_node::NodeHandle
//! [`NodeHandle::subscribe`]: jobrunner_node::NodeHandle::subscribe
#![deny(missing_docs)]

mod desktop;
mod error;
mod icon;
mod look;
mod notices;
#[cfg(feature = "testing")]
pub mod testing;
mod tray;
mod updates;

pub use desktop::{Desktop, DesktopOptions, start};
pub use error::DesktopError;
pub use look::{Look, Tooltip};
pub use updates::{CheckUpdate, InstallUpdate, UpdateCheck, UpdateHooks};
