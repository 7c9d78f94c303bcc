//! Child processes: every one runs from the workspace root and is quoted exactly when it fails.

use std::ffi::OsString;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;

use anyhow::{Context, Result, bail};

/// A command kept as plain data so an error can print the very line that failed.
pub(crate) struct Cmd {
    program: OsString,
    /// `$CARGO` is a long toolchain path: logs show the name users type instead.
    shown: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Cmd {
    /// Cargo as `$CARGO`, so the toolchain that runs xtask also runs every step.
    pub(crate) fn cargo<'a>(args: impl IntoIterator<Item = &'a str>) -> Self {
        let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Self { program, shown: "cargo".to_owned(), args: Vec::new(), env: Vec::new() }.args(args)
    }

    /// Cargo through rustup's proxy on `PATH`, not `$CARGO`: so that `+nightly` can pick
    /// another toolchain (the fuzz targets need nightly).
    pub(crate) fn rustup_cargo<'a>(args: impl IntoIterator<Item = &'a str>) -> Self {
        Self { program: "cargo".into(), shown: "cargo".to_owned(), args: Vec::new(), env: Vec::new() }
            .args(args)
    }

    /// A script under the workspace root, shown by its relative path.
    pub(crate) fn script(root: &Path, relative: &str) -> Self {
        let program = root.join(relative).into_os_string();
        Self { program, shown: relative.to_owned(), args: Vec::new(), env: Vec::new() }
    }

    pub(crate) fn args<S: AsRef<str>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args.extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Runs with inherited stdio; `step` names the failure for whoever reads the CI log.
    pub(crate) fn run(&self, root: &Path, step: &str) -> Result<()> {
        println!("$ {self}");
        let status = self.command(root).status().with_context(|| self.not_started(step))?;
        self.check(status, step)
    }

    /// Whether the command exits 0, its output hidden: for probing installed tools.
    pub(crate) fn succeeds(&self, root: &Path) -> bool {
        self.command(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Runs with both output streams echoed line by line, returning what `pick` finds in the last
    /// line it accepts: from stdout if any, else from stderr, since tools log on either.
    pub(crate) fn run_scanning(
        &self,
        root: &Path,
        step: &str,
        pick: fn(&str) -> Option<&str>,
    ) -> Result<Option<String>> {
        println!("$ {self}");
        let mut child = self
            .command(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| self.not_started(step))?;
        let stdout = child.stdout.take().expect("stdout was requested as a pipe");
        let stderr = child.stderr.take().expect("stderr was requested as a pipe");
        let from_stderr = thread::spawn(move || echo_and_pick(stderr, std::io::stderr(), pick));
        let from_stdout = echo_and_pick(stdout, std::io::stdout(), pick);
        let from_stderr =
            from_stderr.join().expect("the stderr echo thread only does I/O and does not panic");
        let status = child.wait().with_context(|| format!("step {step} failed: waiting for `{self}`"))?;
        self.check(status, step)?;
        Ok(from_stdout?.or(from_stderr?))
    }

    fn command(&self, root: &Path) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).envs(self.env.iter().map(|(k, v)| (k, v))).current_dir(root);
        command
    }

    fn check(&self, status: ExitStatus, step: &str) -> Result<()> {
        if status.success() {
            return Ok(());
        }
        match status.code() {
            Some(code) => bail!("step {step} failed: {self} exited with status {code}"),
            None => bail!("step {step} failed: {self} exited with {status}"),
        }
    }

    fn not_started(&self, step: &str) -> String {
        format!("step {step} failed: could not start `{self}`: check that it is installed and on PATH")
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.env {
            write!(f, "{key}={} ", quoted(value))?;
        }
        f.write_str(&self.shown)?;
        for arg in &self.args {
            write!(f, " {}", quoted(arg))?;
        }
        Ok(())
    }
}

fn quoted(word: &str) -> String {
    if word.is_empty() || word.contains(char::is_whitespace) {
        format!("\"{word}\"")
    } else {
        word.to_owned()
    }
}

fn echo_and_pick(
    from: impl Read,
    mut to: impl Write,
    pick: fn(&str) -> Option<&str>,
) -> Result<Option<String>> {
    let mut reader = BufReader::new(from);
    let mut line = Vec::new();
    let mut picked = None;
    while reader.read_until(b'\n', &mut line).context("reading a child's output")? > 0 {
        to.write_all(&line).context("echoing a child's output")?;
        if let Some(found) = pick(&String::from_utf8_lossy(&line)) {
            picked = Some(found.to_owned());
        }
        line.clear();
    }
    Ok(picked)
}

/// Whether `path` is a file the CI may run as a hook; a present but non-executable hook is reported.
pub(crate) fn is_executable_hook(path: &Path) -> bool {
    let Ok(meta) = path.metadata() else { return false };
    if meta.is_file() && is_executable(&meta) {
        return true;
    }
    eprintln!("note: {} exists but is not an executable file: `chmod +x` it to run it", path.display());
    false
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_env_and_spaced_args() {
        let cmd = Cmd::script(Path::new("/repo"), "scripts/x.sh")
            .args(["a b", "c"])
            .env("RUSTDOCFLAGS", "-D warnings");
        assert_eq!(cmd.to_string(), "RUSTDOCFLAGS=\"-D warnings\" scripts/x.sh \"a b\" c");
    }

    #[cfg(unix)]
    #[test]
    fn run_scanning_picks_the_last_match_even_on_stderr() {
        let script = "echo 'pick: early' >&2; echo other; echo 'pick: late' >&2";
        let sh = Cmd::script(Path::new("/"), "bin/sh").args(["-c", script]);
        let picked = sh.run_scanning(Path::new("/"), "scan", |line| line.strip_prefix("pick: ")).unwrap();
        assert_eq!(picked.as_deref().map(str::trim_end), Some("late"));
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_command_names_the_step_and_the_status() {
        let sh = Cmd::script(Path::new("/"), "bin/sh").args(["-c", "exit 3"]);
        let err = sh.run(Path::new("/"), "test").unwrap_err().to_string();
        assert_eq!(err, "step test failed: bin/sh -c \"exit 3\" exited with status 3");
    }
}
