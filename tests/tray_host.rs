//! Once, a real tray host: `core-ide --desktop` under Xvfb with Debian's `lxqt-panel` (its
//! statusnotifier plugin is its own `StatusNotifierWatcher` and host) on a private session bus.
//! The panel draws the icon; a right click opens its menu, drawn by the panel from the item's
//! dbusmenu; the screenshot of it is kept at `$CARGO_TARGET_TMPDIR/tray.png`.
//!
//! The tools come from `scripts/desktop-for-tests.sh`; a missing one fails the test.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use core_ide_e2e::CoreIde;
use jobrunner_desktop::testing::{INSTALL_SCRIPT, PrivateBus, TrayItem};
use jobrunner_github_sim::{GitHubSim, SimState};

const WAIT: Duration = Duration::from_secs(60);
/// The paused icon's disc (jobrunner-desktop `icon.rs`), as RGB.
const PAUSED: [u8; 3] = [0xd9, 0x8c, 0x1f];
const SCREEN: (usize, usize) = (800, 400);

/// Child processes, killed when the test ends however it ends.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn tool(name: &str) -> Command {
    let found = Command::new("sh").args(["-c", &format!("command -v {name}")]).output().expect("sh runs");
    assert!(found.status.success(), "{name} is missing: install it with {INSTALL_SCRIPT}");
    Command::new(name)
}

/// Starts Xvfb on a free display and returns it (`:N`) once the server accepts clients.
fn xvfb(processes: &mut Processes) -> String {
    let mut server = tool("Xvfb")
        .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0"])
        .arg(format!("{}x{}x24", SCREEN.0, SCREEN.1))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts");
    let mut number = String::new();
    BufReader::new(server.stdout.take().expect("piped stdout"))
        .read_line(&mut number)
        .expect("Xvfb says its display");
    processes.0.push(server);
    let number = number.trim();
    assert!(!number.is_empty(), "Xvfb exited without a display");
    format!(":{number}")
}

/// The panel's configuration: one panel on top holding only the statusnotifier plugin.
fn panel_config(home: &Path) -> PathBuf {
    let config = home.join(".config");
    std::fs::create_dir_all(config.join("lxqt")).unwrap();
    std::fs::write(
        config.join("lxqt/panel.conf"),
        "[General]\n__userfile__=true\npanels=panel1\n\n[panel1]\nplugins=statusnotifier\nposition=Top\n\
         desktop=0\npanelSize=32\niconSize=24\nwidth=100\nwidth-percent=true\n\n\
         [statusnotifier]\nalignment=Right\ntype=statusnotifier\n",
    )
    .unwrap();
    config
}

/// A screenshot of the whole screen as (width, height, RGB bytes).
fn screen(display: &str) -> (usize, usize, Vec<u8>) {
    let out = tool("import")
        .args(["-display", display, "-window", "root", "-depth", "8", "ppm:-"])
        .output()
        .expect("import runs");
    assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
    ppm(&out.stdout)
}

/// A binary PPM (P6, 8 bits) decoded.
fn ppm(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if bytes[at] == b'#' {
            while bytes[at] != b'\n' {
                at += 1;
            }
            continue;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P6", "255"), "an 8-bit binary PPM");
    let (width, height) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = bytes[at + 1..].to_vec();
    assert_eq!(pixels.len(), width * height * 3);
    (width, height, pixels)
}

/// The centre of the pixels near `colour`, if there are any.
fn find(shot: &(usize, usize, Vec<u8>), colour: [u8; 3]) -> Option<(usize, usize)> {
    let (width, _, pixels) = shot;
    let near = |p: &[u8]| p.iter().zip(colour).all(|(&a, b)| a.abs_diff(b) <= 12);
    let hits: Vec<usize> = pixels.chunks(3).enumerate().filter(|(_, p)| near(p)).map(|(i, _)| i).collect();
    (hits.len() >= 20).then(|| {
        let (sx, sy) = hits.iter().fold((0, 0), |(sx, sy), i| (sx + i % width, sy + i / width));
        (sx / hits.len(), sy / hits.len())
    })
}

/// Light pixels below the panel: the menu, drawn by the panel's toolkit on a light ground.
fn light_below_panel(shot: &(usize, usize, Vec<u8>)) -> usize {
    let (width, _, pixels) = shot;
    pixels.chunks(3).skip(width * 40).filter(|p| p.iter().all(|&c| c > 200)).count()
}

/// Takes screenshots until `until` holds for one (each `import` takes a moment: no sleep is
/// needed between them), failing after `WAIT`.
fn screen_until(display: &str, what: &str, mut until: impl FnMut(&(usize, usize, Vec<u8>)) -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if until(&screen(display)) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{what}: not on screen within {WAIT:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lxqt_panel_shows_the_icon_and_its_menu() {
    let bin = tokio::task::spawn_blocking(core_ide_e2e::core_ide_desktop_bin).await.unwrap();
    let mut processes = Processes(Vec::new());
    let display = xvfb(&mut processes);
    let bus = PrivateBus::start();
    let home = tempfile::tempdir().unwrap();
    let config = panel_config(home.path());
    let panel = tool("lxqt-panel")
        .env("DISPLAY", &display)
        .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", &config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("lxqt-panel starts");
    processes.0.push(panel);
    bus.wait_for_name("org.kde.StatusNotifierWatcher", WAIT).await;

    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let args = [
        "--desktop",
        "--repos",
        "octo/app",
        "--api-url",
        &sim.base_url(),
        "--data-dir",
        &path("data"),
        "--journal-dir",
        &path("journal"),
        "--mcp",
        "true",
        "--mcp-bind",
        "127.0.0.1:0",
    ];
    let node = CoreIde::at(bin, &args)
        .env("CORE_GITHUB_TOKEN", "ghp_tray_host_token")
        .env("DBUS_SESSION_BUS_ADDRESS", bus.address())
        .env("DISPLAY", &display)
        .spawn();
    processes.0.push(node);

    // The panel's own watcher lists the item: it is the panel's to draw now.
    let listed = bus.registered_item(WAIT).await;
    assert!(listed.contains("StatusNotifierItem") || listed.starts_with(':'), "{listed}");

    let shot_display = display.clone();
    let (x, y) = tokio::task::spawn_blocking(move || {
        let mut at = None;
        screen_until(&shot_display, "the paused icon in the panel", |shot| {
            at = find(shot, PAUSED);
            at.is_some()
        });
        at.expect("found")
    })
    .await
    .unwrap();
    assert!(y < 32, "the icon is in the panel on top: at {x},{y}");

    // A right click opens the menu, which the panel builds from the item's dbusmenu.
    let clicked = tool("xdotool")
        .env("DISPLAY", &display)
        .args(["mousemove", &x.to_string(), &y.to_string(), "click", "3"])
        .status()
        .expect("xdotool runs");
    assert!(clicked.success());
    let shot_display = display.clone();
    tokio::task::spawn_blocking(move || {
        screen_until(&shot_display, "the tray menu", |shot| light_below_panel(shot) > 20_000);
    })
    .await
    .unwrap();
    let artifact = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tray.png");
    let saved = tool("import")
        .args(["-display", &display, "-window", "root"])
        .arg(&artifact)
        .status()
        .expect("import runs");
    assert!(saved.success(), "the screenshot is saved");
    eprintln!("tray host screenshot: {}", artifact.display());

    // What the panel drew from: the item's menu, read the way the panel reads it.
    let service = listed.split('/').next().expect("a bus name").to_owned();
    let item = TrayItem::new(&bus, &service).await;
    assert_eq!(
        item.labels().await,
        ["Start poller", "Poll now", "Open panel", "Open journal folder", "Check for updates", "Quit"]
    );
}
