//! Test support (feature `testing`): a private D-Bus session bus ([`PrivateBus`], a
//! `dbus-daemon` of its own in a temporary directory), a fake `StatusNotifierWatcher`
//! ([`FakeWatcher`]) and a fake notification server ([`FakeNotifications`]) recording what
//! they are sent, and [`TrayItem`], a probe reading a registered item's tooltip and
//! `com.canonical.dbusmenu` layout and clicking its entries, as a tray host would.
//!
//! Every wait here is on a D-Bus signal or a recorded call, with a deadline; a missing
//! `dbus-daemon` fails the test, naming the script that installs it.

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio::sync::watch;
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};
use zbus::{Connection, MatchRule, MessageStream};

/// The script installing `dbus-daemon` and the tray host's tools.
pub const INSTALL_SCRIPT: &str = "scripts/desktop-for-tests.sh";

/// A `dbus-daemon` of the test's own, listening in a temporary directory; stopped on drop.
#[derive(Debug)]
pub struct PrivateBus {
    daemon: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl PrivateBus {
    /// Starts the daemon and waits for it to print its address (it listens by then).
    #[must_use]
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory for the bus");
        let config = dir.path().join("session.conf");
        let socket = dir.path().join("bus");
        std::fs::write(&config, config_text(&socket)).expect("the bus configuration is written");
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run dbus-daemon ({e}): install it with {INSTALL_SCRIPT}"));
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().expect("piped stdout"))
            .read_line(&mut address)
            .expect("dbus-daemon prints its address");
        let address = address.trim().to_owned();
        assert!(!address.is_empty(), "dbus-daemon exited without an address: {:?}", daemon.try_wait());
        Self { daemon, address, _dir: dir }
    }

    /// The address, for `DBUS_SESSION_BUS_ADDRESS`.
    #[must_use]
    pub fn address(&self) -> &str {
        &self.address
    }

    /// A new connection to the bus.
    pub async fn connect(&self) -> Connection {
        zbus::connection::Builder::address(self.address.as_str())
            .expect("the daemon's address parses")
            .build()
            .await
            .expect("the private bus accepts a connection")
    }
}

impl PrivateBus {
    /// Waits up to `timeout` for a peer to own `name` (a tray host's watcher, say).
    pub async fn wait_for_name(&self, name: &str, timeout: Duration) {
        let conn = self.connect().await;
        let dbus = zbus::fdo::DBusProxy::new(&conn).await.expect("the bus's own interface");
        let mut changes = dbus
            .receive_name_owner_changed_with_args(&[(0, name)])
            .await
            .expect("subscribing to name changes");
        let bus_name = zbus::names::BusName::try_from(name.to_owned()).expect("a bus name");
        if dbus.name_has_owner(bus_name).await.expect("NameHasOwner answers") {
            return;
        }
        let owned = tokio::time::timeout(timeout, async {
            while let Some(change) = changes.next().await {
                if change.args().is_ok_and(|a| a.new_owner.is_some()) {
                    return;
                }
            }
        })
        .await;
        assert!(owned.is_ok(), "nothing owned {name} on the bus within {timeout:?}");
    }

    /// Waits up to `timeout` for an item to be registered with whatever watcher the bus has
    /// (a fake one or a real tray host's), and returns its name as the watcher lists it.
    pub async fn registered_item(&self, timeout: Duration) -> String {
        let conn = self.connect().await;
        // Uncached: a watcher need not announce its property's changes (lxqt-panel's does not).
        let watcher: zbus::Proxy<'_> = zbus::proxy::Builder::new(&conn)
            .destination("org.kde.StatusNotifierWatcher")
            .and_then(|b| b.path("/StatusNotifierWatcher"))
            .and_then(|b| b.interface("org.kde.StatusNotifierWatcher"))
            .expect("the watcher's names are valid")
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .expect("the watcher's proxy");
        let mut registered = watcher
            .receive_signal("StatusNotifierItemRegistered")
            .await
            .expect("subscribing to registrations");
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let items: Vec<String> = watcher
                .get_property("RegisteredStatusNotifierItems")
                .await
                .expect("the watcher lists its items");
            if let Some(item) = items.into_iter().next() {
                return item;
            }
            let signalled = tokio::time::timeout_at(deadline, registered.next()).await;
            assert!(signalled.is_ok(), "no StatusNotifierItem registered within {timeout:?}");
        }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// A session bus that lets every peer own any name and talk to anyone.
fn config_text(socket: &std::path::Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        socket.display()
    )
}

/// Waits for `rx`'s value to satisfy `until`, failing the test after `timeout` with `what`.
async fn wait_on<T: Clone>(
    rx: &mut watch::Receiver<T>,
    timeout: Duration,
    what: &str,
    until: impl FnMut(&T) -> bool,
) -> T {
    match tokio::time::timeout(timeout, rx.wait_for(until)).await {
        Ok(Ok(seen)) => seen.clone(),
        Ok(Err(closed)) => panic!("{what}: the fake server stopped ({closed})"),
        Err(elapsed) => panic!("{what}: not within {timeout:?} ({elapsed})"),
    }
}

/// A `StatusNotifierWatcher` recording the items that register.
#[derive(Debug)]
pub struct FakeWatcher {
    _conn: Connection,
    items: watch::Receiver<Vec<String>>,
}

impl FakeWatcher {
    /// Serves the watcher on `bus` under its well-known name.
    pub async fn serve(bus: &PrivateBus) -> Self {
        let (items, watched) = watch::channel(Vec::new());
        let conn = zbus::connection::Builder::address(bus.address())
            .expect("the daemon's address parses")
            .serve_at("/StatusNotifierWatcher", served::Watcher { items })
            .expect("the watcher's path is valid")
            .name("org.kde.StatusNotifierWatcher")
            .expect("the watcher's name is valid")
            .build()
            .await
            .expect("the fake watcher is served");
        Self { _conn: conn, items: watched }
    }

    /// The first item to register (its bus name), waiting up to `timeout` for it.
    pub async fn first_item(&self, timeout: Duration) -> String {
        let mut items = self.items.clone();
        wait_on(&mut items, timeout, "a StatusNotifierItem registers", |items| !items.is_empty()).await[0]
            .clone()
    }

    /// Every item registered so far.
    #[must_use]
    pub fn items(&self) -> Vec<String> {
        self.items.borrow().clone()
    }
}

/// One `Notify` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The application's name.
    pub app_name: String,
    /// The summary line.
    pub summary: String,
    /// The body.
    pub body: String,
    /// The notification it replaces (0: none).
    pub replaces_id: u32,
    /// The icon asked for.
    pub app_icon: String,
    /// The actions offered.
    pub actions: Vec<String>,
    /// The names of the hints given.
    pub hints: Vec<String>,
    /// How long it shows, in ms (-1: the server decides).
    pub expire_timeout: i32,
}

/// An `org.freedesktop.Notifications` server recording every notification.
#[derive(Debug)]
pub struct FakeNotifications {
    _conn: Connection,
    calls: watch::Receiver<Vec<Notice>>,
}

impl FakeNotifications {
    /// Serves the notification server on `bus` under its well-known name.
    pub async fn serve(bus: &PrivateBus) -> Self {
        let (calls, watched) = watch::channel(Vec::new());
        let conn = zbus::connection::Builder::address(bus.address())
            .expect("the daemon's address parses")
            .serve_at("/org/freedesktop/Notifications", served::Notifications { calls })
            .expect("the server's path is valid")
            .name("org.freedesktop.Notifications")
            .expect("the server's name is valid")
            .build()
            .await
            .expect("the fake notification server is served");
        Self { _conn: conn, calls: watched }
    }

    /// Every notification so far.
    #[must_use]
    pub fn calls(&self) -> Vec<Notice> {
        self.calls.borrow().clone()
    }

    /// Waits up to `timeout` for the notifications to satisfy `until`, and returns them.
    pub async fn wait_for(&self, timeout: Duration, until: impl FnMut(&Vec<Notice>) -> bool) -> Vec<Notice> {
        let mut calls = self.calls.clone();
        wait_on(&mut calls, timeout, "the notifications expected", until).await
    }
}

/// One entry of a dbusmenu layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuEntry {
    /// The id a click names.
    pub id: i32,
    /// Its label; empty for a separator.
    pub label: String,
    /// A separator line.
    pub separator: bool,
    /// It can be clicked.
    pub enabled: bool,
}

/// A registered `StatusNotifierItem`, read and clicked the way a tray host does.
#[derive(Debug)]
pub struct TrayItem {
    conn: Connection,
    /// The item's unique bus name.
    owner: String,
    menu: OwnedObjectPath,
}

/// A dbusmenu layout node: id, properties, children.
type Node = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);

const ITEM_PATH: &str = "/StatusNotifierItem";
const ITEM: &str = "org.kde.StatusNotifierItem";
const MENU: &str = "com.canonical.dbusmenu";

impl TrayItem {
    /// The item registered as `service` on `bus`.
    pub async fn new(bus: &PrivateBus, service: &str) -> Self {
        let conn = bus.connect().await;
        let dbus = zbus::fdo::DBusProxy::new(&conn).await.expect("the bus's own interface");
        let name = zbus::names::BusName::try_from(service.to_owned()).expect("a bus name");
        let owner = dbus.get_name_owner(name).await.expect("the item's name has an owner").to_string();
        let mut item =
            Self { conn, owner, menu: OwnedObjectPath::from(ObjectPath::from_static_str_unchecked("/")) };
        let menu: OwnedObjectPath =
            item.property("Menu").await.try_into().expect("the item's Menu is an object path");
        item.menu = menu;
        item
    }

    async fn properties(&self) -> zbus::fdo::PropertiesProxy<'static> {
        zbus::fdo::PropertiesProxy::builder(&self.conn)
            .destination(self.owner.clone())
            .expect("a bus name")
            .path(ITEM_PATH)
            .expect("an object path")
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .expect("the properties proxy")
    }

    /// One property of the item.
    pub async fn property(&self, name: &str) -> OwnedValue {
        let interface = zbus::names::InterfaceName::from_static_str_unchecked(ITEM);
        self.properties().await.get(interface, name).await.unwrap_or_else(|e| panic!("reading {name}: {e}"))
    }

    /// The tooltip's title and description.
    pub async fn tooltip(&self) -> (String, String) {
        type Pixmaps = Vec<(i32, i32, Vec<u8>)>;
        let (_, _, title, description): (String, Pixmaps, String, String) =
            self.property("ToolTip").await.try_into().expect("ToolTip is (sa(iiay)ss)");
        (title, description)
    }

    /// The icon's pixmaps as (width, height, ARGB32 bytes).
    pub async fn icon_pixmap(&self) -> Vec<(i32, i32, Vec<u8>)> {
        self.property("IconPixmap").await.try_into().expect("IconPixmap is a(iiay)")
    }

    /// A stream of every signal the item's connection sends (new tooltip, icon, layout).
    async fn signals(&self) -> MessageStream {
        let rule = MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .sender(self.owner.clone())
            .expect("a bus name")
            .build();
        MessageStream::for_match_rule(rule, &self.conn, None)
            .await
            .expect("subscribing to the item's signals")
    }

    /// Waits up to `timeout` for the tooltip (title, description) to satisfy `until`,
    /// re-reading it after each signal of the item; returns it.
    pub async fn wait_for_tooltip(
        &self,
        timeout: Duration,
        mut until: impl FnMut(&str, &str) -> bool,
    ) -> (String, String) {
        let mut signals = self.signals().await;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let (title, description) = self.tooltip().await;
            if until(&title, &description) {
                return (title, description);
            }
            let signalled = tokio::time::timeout_at(deadline, signals.next()).await;
            assert!(
                signalled.is_ok(),
                "the tooltip expected did not show within {timeout:?}; it shows {title:?}: {description:?}"
            );
        }
    }

    /// The menu's top-level entries, from `GetLayout`.
    pub async fn menu(&self) -> Vec<MenuEntry> {
        let reply = self
            .conn
            .call_method(
                Some(self.owner.as_str()),
                &self.menu,
                Some(MENU),
                "GetLayout",
                &(0i32, -1i32, Vec::<String>::new()),
            )
            .await
            .expect("GetLayout answers");
        let (_revision, (_, _, children)): (u32, Node) =
            reply.body().deserialize().expect("GetLayout's (u(ia{sv}av))");
        children
            .into_iter()
            .map(|child| {
                let (id, props, _): Node = child.try_into().expect("a layout node is (ia{sv}av)");
                let text =
                    |key: &str| props.get(key).and_then(|v| String::try_from(v.try_clone().ok()?).ok());
                MenuEntry {
                    id,
                    label: text("label").unwrap_or_default(),
                    separator: text("type").as_deref() == Some("separator"),
                    enabled: props.get("enabled").and_then(|v| bool::try_from(v).ok()).unwrap_or(true),
                }
            })
            .collect()
    }

    /// The labels of the menu's entries, separators left out.
    pub async fn labels(&self) -> Vec<String> {
        self.menu().await.into_iter().filter(|e| !e.separator).map(|e| e.label).collect()
    }

    /// Waits up to `timeout` for the menu to satisfy `until`, re-reading it after each
    /// signal of the item; returns it.
    pub async fn wait_for_menu(
        &self,
        timeout: Duration,
        mut until: impl FnMut(&[MenuEntry]) -> bool,
    ) -> Vec<MenuEntry> {
        let mut signals = self.signals().await;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let menu = self.menu().await;
            if until(&menu) {
                return menu;
            }
            let signalled = tokio::time::timeout_at(deadline, signals.next()).await;
            assert!(
                signalled.is_ok(),
                "the menu expected did not show within {timeout:?}; it shows {menu:?}"
            );
        }
    }

    /// Clicks the entry labelled `label`, as a host does (dbusmenu `Event` "clicked").
    pub async fn click(&self, label: &str) {
        let menu = self.menu().await;
        let entry = menu
            .iter()
            .find(|e| e.label == label)
            .unwrap_or_else(|| panic!("no menu entry {label:?} in {menu:?}"));
        assert!(entry.enabled, "the menu entry {label:?} is disabled");
        self.conn
            .call_method(
                Some(self.owner.as_str()),
                &self.menu,
                Some(MENU),
                "Event",
                &(entry.id, "clicked", Value::from(0i32), 0u32),
            )
            .await
            .unwrap_or_else(|e| panic!("clicking {label:?}: {e}"));
    }
}

/// The D-Bus objects the fakes serve, private: zbus generates public items for them.
mod served {
    use std::collections::HashMap;

    use tokio::sync::watch;
    use zbus::message::Header;
    use zbus::object_server::SignalEmitter;
    use zbus::zvariant::OwnedValue;

    use super::Notice;

    pub(super) struct Watcher {
        pub(super) items: watch::Sender<Vec<String>>,
    }

    #[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
    #[allow(
        clippy::unused_self,
        reason = "D-Bus methods and properties of a fake that holds nothing for them"
    )]
    impl Watcher {
        async fn register_status_notifier_item(
            &self,
            service: &str,
            #[zbus(header)] header: Header<'_>,
            #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
        ) {
            // An item registers by bus name, or by object path on its own connection.
            let item = if service.starts_with('/') {
                format!("{}{service}", header.sender().map(ToString::to_string).unwrap_or_default())
            } else {
                service.to_owned()
            };
            self.items.send_modify(|items| items.push(item.clone()));
            let _ = Self::status_notifier_item_registered(&emitter, &item).await;
        }

        fn register_status_notifier_host(&self, service: &str) {
            tracing::debug!(service, "a StatusNotifierHost registered with the fake watcher");
        }

        #[zbus(property)]
        fn registered_status_notifier_items(&self) -> Vec<String> {
            self.items.borrow().clone()
        }

        #[zbus(property)]
        fn is_status_notifier_host_registered(&self) -> bool {
            true
        }

        #[zbus(property)]
        fn protocol_version(&self) -> i32 {
            0
        }

        /// Tells the hosts that an item registered.
        #[zbus(signal)]
        async fn status_notifier_item_registered(
            emitter: &SignalEmitter<'_>,
            service: &str,
        ) -> zbus::Result<()>;
    }

    pub(super) struct Notifications {
        pub(super) calls: watch::Sender<Vec<Notice>>,
    }

    #[zbus::interface(name = "org.freedesktop.Notifications")]
    #[allow(clippy::unused_self, reason = "D-Bus methods of a fake that holds nothing for them")]
    impl Notifications {
        #[allow(clippy::too_many_arguments, reason = "the D-Bus method's own signature")]
        #[allow(clippy::needless_pass_by_value, reason = "zbus hands the arguments over owned")]
        fn notify(
            &self,
            app_name: String,
            replaces_id: u32,
            app_icon: String,
            summary: String,
            body: String,
            actions: Vec<String>,
            hints: HashMap<String, OwnedValue>,
            expire_timeout: i32,
        ) -> u32 {
            let mut id = 0;
            let hints = hints.into_keys().collect();
            self.calls.send_modify(|calls| {
                calls.push(Notice {
                    app_name,
                    summary,
                    body,
                    replaces_id,
                    app_icon,
                    actions,
                    hints,
                    expire_timeout,
                });
                id = u32::try_from(calls.len()).unwrap_or(u32::MAX);
            });
            id
        }

        fn get_capabilities(&self) -> Vec<String> {
            vec!["body".to_owned()]
        }

        fn get_server_information(&self) -> (String, String, String, String) {
            ("fake".to_owned(), "core-ide tests".to_owned(), "0".to_owned(), "1.2".to_owned())
        }

        fn close_notification(&self, id: u32) {
            tracing::debug!(id, "a notification was closed at the fake server");
        }
    }
}
