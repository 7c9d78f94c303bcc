//! Running the real `core-ide` binary as a process, isolated from the user's machine.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The workspace root.
#[must_use]
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace root")
}

/// The `core-ide` binary of this build, built once per test process: cargo builds a package's
/// binaries only for that package's own tests, and these tests live in another package.
pub fn core_ide_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| built_core_ide(&[], "core-ide"))
}

/// The `core-ide` binary built with `--features desktop` (the tray), built once per test
/// process.
pub fn core_ide_desktop_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| built_core_ide(&["--features", "desktop"], "core-ide-desktop"))
}

/// `core-ide` built with `features`, at `target/<profile>/e2e-bin/<name>`. Cargo puts every
/// build of it at `target/<profile>/core-ide`, so each build and its link to `e2e-bin/` happen
/// under one file lock, and tests run the links: the default and the desktop build never
/// overwrite each other under a running test.
fn built_core_ide(features: &[&str], name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/cli-<hash> -> target/<profile>/core-ide
    let profile_dir = exe.parent().and_then(Path::parent).expect("test runs from target/<profile>/deps");
    let dir = profile_dir.join("e2e-bin");
    std::fs::create_dir_all(&dir).expect("target/<profile>/e2e-bin is created");
    let lock = std::fs::File::create(dir.join(".lock")).expect("the e2e-bin lock file");
    lock.lock().expect("the e2e-bin lock");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Benches run from target/release: build the binary they measure in release too.
    let release = profile_dir.ends_with("release").then_some("--release");
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--package", "core-ide", "--bin", "core-ide"])
        .args(features)
        .args(release)
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", profile_dir.parent().expect("target dir"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building core-ide {features:?} failed");
    // Linked beside, then renamed over: a test running the previous link keeps its file.
    let (linked, staged) = (dir.join(name), dir.join(format!(".{name}.{}", std::process::id())));
    let _ = std::fs::remove_file(&staged);
    std::fs::hard_link(profile_dir.join("core-ide"), &staged).expect("the build is linked into e2e-bin");
    std::fs::rename(&staged, &linked).expect("the link is put in place");
    drop(lock);
    linked
}

/// A `core-ide` invocation with a private HOME and no `CORE_*` or token variables inherited,
/// so neither the developer's config nor CI's environment leaks into a test; no display or
/// session bus either, so no test reaches the developer's desktop.
pub struct CoreIde {
    command: Command,
    /// The private home directory.
    pub home: tempfile::TempDir,
}

/// `binary` run from the workspace root with `home` as HOME and none of the variables that
/// would let the developer's or CI's settings, token or log filter into a test.
fn isolated(binary: &Path, home: &Path) -> Command {
    let mut command = Command::new(binary);
    command.current_dir(workspace_root()).env("HOME", home);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let desktop = ["DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"];
        if name.starts_with("CORE_")
            || ["GITHUB_TOKEN", "RUST_LOG", "NO_COLOR"].contains(&name.as_ref())
            || desktop.contains(&name.as_ref())
        {
            command.env_remove(name.as_ref());
        }
    }
    // Tests run many nodes at once: none serves the MCP bridge on the one default port unless
    // a test asks for it (a flag wins over this variable).
    command.env("CORE_MCP", "false");
    command
}

impl CoreIde {
    /// `core-ide` with `args`.
    #[must_use]
    pub fn new(args: &[&str]) -> Self {
        Self::at(core_ide_bin(), args)
    }

    /// `core-ide` built with the desktop feature ([`core_ide_desktop_bin`]) with `args`.
    #[must_use]
    pub fn desktop(args: &[&str]) -> Self {
        Self::at(core_ide_desktop_bin(), args)
    }

    /// The `core-ide` at `binary` (a copy installed somewhere) with `args`.
    #[must_use]
    pub fn at(binary: &Path, args: &[&str]) -> Self {
        let home = tempfile::tempdir().expect("temp home");
        let mut command = isolated(binary, home.path());
        command.args(args);
        Self { command, home }
    }

    /// Sets an environment variable for the run.
    #[must_use]
    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    /// Unsets an environment variable for the run.
    #[must_use]
    pub fn env_remove(mut self, name: &str) -> Self {
        self.command.env_remove(name);
        self
    }

    /// Starts the process with piped output and returns it running.
    #[must_use]
    pub fn spawn(mut self) -> std::process::Child {
        self.command
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("core-ide starts")
    }

    /// Runs to completion.
    #[must_use]
    pub fn run(mut self) -> Run {
        let output = self.command.output().expect("core-ide starts");
        Run { output }
    }
}

/// A finished run.
pub struct Run {
    /// What the process produced.
    pub output: Output,
}

impl Run {
    /// Exit code.
    #[must_use]
    pub fn code(&self) -> i32 {
        self.output.status.code().expect("exited, not killed")
    }

    /// Standard output as text.
    #[must_use]
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Standard error as text.
    #[must_use]
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Asserts exit code 0 and returns stdout.
    #[track_caller]
    #[must_use]
    pub fn success(&self) -> String {
        assert_eq!(self.code(), 0, "stderr: {}", self.stderr());
        self.stdout()
    }
}

/// A binary of the workspace, built once per test process like [`core_ide_bin`].
fn workspace_bin(package: &'static str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("test runs from target/<profile>/deps");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--package", package, "--bin", package])
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", profile_dir.parent().expect("target dir"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building {package} failed");
    profile_dir.join(package)
}

/// The `core-status` binary of this build, built once per test process.
pub fn core_status_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| workspace_bin("core-status"))
}

/// A `core-status` invocation isolated like [`CoreIde`]: a private HOME, no inherited `CORE_*`,
/// token, `RUST_LOG` or `NO_COLOR` variables, and `--systemd-root` at an empty directory, so the
/// machine's own units and settings never leak into a test.
pub struct CoreStatus {
    command: Command,
    /// The private home directory; `systemd/` under it is the (empty) systemd root.
    pub home: tempfile::TempDir,
}

impl CoreStatus {
    /// `core-status` with `args`.
    #[must_use]
    pub fn new(args: &[&str]) -> Self {
        let home = tempfile::tempdir().expect("temp home");
        let systemd_root = home.path().join("systemd");
        std::fs::create_dir_all(&systemd_root).expect("systemd root");
        let mut command = isolated(core_status_bin(), home.path());
        command.arg("--systemd-root").arg(&systemd_root).args(args);
        Self { command, home }
    }

    /// Sets an environment variable for the run.
    #[must_use]
    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    /// Runs to completion.
    #[must_use]
    pub fn run(mut self) -> Run {
        let output = self.command.output().expect("core-status starts");
        Run { output }
    }
}

/// The web panel's page from the node serving it on `127.0.0.1:port`, status line and all.
#[must_use]
pub fn panel_page(port: u16) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the panel listens");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(60))).expect("a read timeout");
    write!(stream, "GET / HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\n\r\n")
        .expect("the request");
    let mut page = String::new();
    let _ = stream.read_to_string(&mut page);
    page
}

/// An install prefix at `<root>/prefix` whose `current` release 1.0.0 is a copy of `binary`,
/// confirmed healthy: what an operator has after a first install.
#[must_use]
pub fn prefix_running(binary: &Path, root: &Path) -> PathBuf {
    let prefix = root.join("prefix");
    let release = prefix.join("releases/1.0.0");
    std::fs::create_dir_all(&release).expect("the release directory");
    std::fs::copy(binary, release.join("core-ide")).expect("the binary is copied into the release");
    std::os::unix::fs::symlink("releases/1.0.0", prefix.join("current")).expect("the current link");
    std::fs::write(prefix.join("highest-installed"), "1.0.0\n").expect("highest-installed");
    prefix
}
