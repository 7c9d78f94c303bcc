//! [`DesktopError`]: why the desktop mode could not show itself.

/// Why there is no tray (the node runs on, with its web panel).
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    /// No D-Bus session bus to connect to.
    #[error(
        "no D-Bus session bus ({why}): no tray icon and no notifications; the web panel is still served \
         (start core-ide inside a desktop session, or set DBUS_SESSION_BUS_ADDRESS)"
    )]
    NoSessionBus {
        /// What connecting said.
        why: String,
    },
    /// The session has no `StatusNotifierWatcher`: its panel shows no `StatusNotifierItems`.
    #[error(
        "no StatusNotifierWatcher on the session bus: no tray icon; the web panel is still served \
         (GNOME needs the AppIndicator extension; i3bar shows no StatusNotifierItems)"
    )]
    NoWatcher,
    /// A watcher answered, but says no host draws the items.
    #[error(
        "the StatusNotifierWatcher has no StatusNotifierHost: no tray icon; the web panel is still served"
    )]
    NoHost,
    /// The tray could not be registered for another reason.
    #[error("the tray icon could not be registered ({why}); the web panel is still served")]
    Tray {
        /// What the bus said.
        why: String,
    },
}
