//! `core-ide`: parses arguments, wires the library crates, maps errors to exit codes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use jobrunner_config::{ConfigArgs, ConfigError, Settings};
use jobrunner_core::RepoSlug;
use jobrunner_journal::{ReadFilter, read_journal};
use jobrunner_runner::simulate::{self, SignalFileError};

mod demo;
mod desktop;
mod headless;
#[cfg(feature = "self-update")]
mod self_update;
#[cfg(feature = "self-update")]
mod update;

/// Autonomous PR-pipeline job runner.
#[derive(Parser)]
#[command(name = "core-ide", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    /// Run one cycle and exit: 0 when it succeeded, 1 when it failed.
    #[arg(long)]
    once: bool,
    /// Without a command: run the pipeline (headless, until SIGTERM or SIGINT).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Decide a JSON file of signals with the configured handlers, without a forge.
    Simulate {
        /// JSON array of pipeline signals (schema: docs/schema/pipeline-signal.schema.json).
        #[arg(long, value_name = "FILE")]
        signals: PathBuf,
        /// Print a JSON array of {repo, pr, action, reason}.
        #[arg(long)]
        json: bool,
    },
    /// Print journal records, skipping lines a crash tore.
    Journal {
        /// Journal directory [default: the configured journal directory].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Only this repository.
        #[arg(long, value_name = "OWNER/NAME", value_parser = parse_repo)]
        repo: Option<RepoSlug>,
        /// Only records from this UTC day on.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
        since: Option<NaiveDate>,
        /// Print a JSON array of records.
        #[arg(long)]
        json: bool,
    },
    /// Print the effective configuration, with the source of each value and the token redacted.
    Config,
    /// Run the whole pipeline against a built-in GitHub simulator until its epic is complete.
    Demo {
        /// Print the summary as JSON (narration goes to stderr).
        #[arg(long)]
        json: bool,
        /// Then keep the simulator and the node running with the MCP bridge and the web panel
        /// on --mcp-bind (default 127.0.0.1:9877) until Ctrl-C.
        #[arg(long)]
        serve: bool,
    },
    /// Update core-ide from the signed update manifest (exit codes: docs/updates.md).
    Update(UpdateArgs),
}

/// `core-ide update`'s flags: one action, and how it may act.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("action").required(true).args(["check", "apply", "rollback"])))]
#[allow(clippy::struct_excessive_bools, reason = "clap flags: one of three actions and two modifiers")]
struct UpdateArgs {
    /// Print the installed, previous and available versions and what --apply would do:
    /// exit 0 when up to date, 10 when an update is available.
    #[arg(long)]
    check: bool,
    /// Download, verify, install and switch to the update, if there is one.
    #[arg(long)]
    apply: bool,
    /// Switch back to the previous release and mark the current one failed.
    #[arg(long)]
    rollback: bool,
    /// With --rollback: only when the current release is an update that has not reported
    /// healthy (what an `OnFailure=` unit runs); otherwise exit 0 and change nothing.
    #[arg(long, requires = "rollback")]
    if_pending: bool,
    /// Install the channel's release even when it is below the installed one.
    #[arg(long, conflicts_with = "rollback")]
    allow_downgrade: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("core-ide: {}", one_line(&error));
            ExitCode::from(exit_code(&error))
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(&cli.config)?;
    let Some(command) = cli.command else {
        headless::init_logging();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")?;
        let checks = panel_checks(cli.config.clone());
        let outcome = runtime.block_on(headless::run(&settings, cli.once, checks))?;
        // Every task ends before an exec replaces the process.
        drop(runtime);
        return match outcome {
            headless::Outcome::Stopped => Ok(ExitCode::SUCCESS),
            headless::Outcome::Failed => Ok(ExitCode::from(1)),
            #[cfg(feature = "self-update")]
            headless::Outcome::Restart(prefix) => Err(self_update::restart_into(&prefix)),
        };
    };
    match command {
        Command::Simulate { signals, json } => simulate_file(&settings, &signals, json),
        Command::Journal { dir, repo, since, json } => {
            print_journal(&dir.unwrap_or(settings.journal_dir), &ReadFilter { repo, since }, json)
        }
        Command::Config => {
            print!("{}", settings.render_toml());
            Ok(())
        }
        Command::Demo { json, serve } => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(demo::run(&settings, json, serve))
        }
        Command::Update(args) => return run_update(&settings, &args),
    }
    .map(|()| ExitCode::SUCCESS)
}

#[cfg(feature = "self-update")]
fn run_update(settings: &Settings, args: &UpdateArgs) -> anyhow::Result<ExitCode> {
    let action = match (args.check, args.apply) {
        (true, _) => update::Action::Check,
        (_, true) => update::Action::Apply { allow_downgrade: args.allow_downgrade },
        _ => update::Action::Rollback { if_pending: args.if_pending },
    };
    update::run(settings, action)
}

#[cfg(not(feature = "self-update"))]
fn run_update(_: &Settings, _: &UpdateArgs) -> anyhow::Result<ExitCode> {
    Err(InputError(
        "this core-ide was built without self-update: update it the way it was installed (a package \
         manager), or rebuild with `--features self-update`"
            .to_owned(),
    )
    .into())
}

/// `core-status`'s checks for the panel, gathered the way `core-status` would with the same
/// flags: the service's env file and unit, its store, its fleet.
fn panel_checks(config: ConfigArgs) -> jobrunner_bridge::StatusChecks {
    use clap::CommandFactory;
    let known = jobrunner_status::KnownVar::of_binaries(&[&Cli::command()]);
    std::sync::Arc::new(move || {
        let options = jobrunner_status::GatherOptions {
            config: config.clone(),
            env_file: None,
            env_sample: None,
            systemd_root: PathBuf::from("/"),
            binary: None,
            known: known.clone(),
            now: chrono::Utc::now(),
        };
        Box::pin(async move {
            let inputs = match jobrunner_status::gather(options).await {
                Ok(inputs) => inputs,
                Err(error) => {
                    return vec![jobrunner_bridge::StatusLine {
                        id: "core-status".into(),
                        level: "error".into(),
                        message: format!("the checks could not gather the node's state: {error}"),
                        hint: Some("run core-status for the whole report".into()),
                    }];
                }
            };
            jobrunner_status::checks::run(&inputs, &[], &inputs.settings.silenced)
                .into_iter()
                .filter(|result| !result.silenced)
                .map(|result| jobrunner_bridge::StatusLine {
                    id: result.id.to_owned(),
                    level: result.level.as_str().to_owned(),
                    message: result.message,
                    hint: result.hint,
                })
                .collect()
        })
    })
}

fn simulate_file(settings: &Settings, path: &Path, json: bool) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError(format!("cannot read {}: {e}", path.display())))?;
    let signals = simulate::parse_signals(&text)?;
    let dispatcher = jobrunner_handlers::dispatcher(&settings.handlers, &settings.enabled_handlers)?;
    let runtime =
        tokio::runtime::Builder::new_current_thread().build().context("starting the async runtime")?;
    let decisions = runtime.block_on(simulate::simulate(&dispatcher, &signals));
    if json {
        println!("{}", serde_json::to_string_pretty(&decisions)?);
    } else {
        print!("{}", simulate::render_human(&decisions));
    }
    Ok(())
}

fn print_journal(dir: &Path, filter: &ReadFilter, json: bool) -> anyhow::Result<()> {
    let outcome = read_journal(dir, filter)?;
    for warning in &outcome.warnings {
        eprintln!("core-ide: warning: {}", printable(&warning.to_string()));
    }
    if json {
        // serde_json escapes C0 controls but writes DEL and C1 (U+009B is a one-character CSI)
        // as they are; outside strings the only control character it writes is the newline.
        let text = serde_json::to_string_pretty(&outcome.records)?;
        let escaped: String =
            text.chars()
                .map(|c| {
                    if c.is_control() && c != '\n' {
                        format!("\\u{:04x}", u32::from(c))
                    } else {
                        c.to_string()
                    }
                })
                .collect();
        println!("{escaped}");
        return Ok(());
    }
    if outcome.records.is_empty() {
        eprintln!("core-ide: no journal records under {}", dir.display());
    }
    for r in &outcome.records {
        let outcome = if r.result.success { "ok" } else { "failed" };
        let dry = if r.dry_run { "  dry-run" } else { "" };
        println!(
            "{}  {}#{}  {:<17}  {outcome} {}ms  epic #{} child #{}  cycle {}  {}{dry}",
            r.ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            r.repo,
            r.pr,
            printable(&r.action),
            r.result.duration_ms,
            r.epic,
            r.child,
            r.cycle,
            r.node,
        );
    }
    Ok(())
}

/// `text` with every control character (C0, DEL and C1: what starts a terminal escape
/// sequence) written as a `\u{..}` escape, so a journal file someone else wrote, or a file
/// name, cannot drive the terminal it is printed on.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let escaped = text
        .chars()
        .map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() })
        .collect();
    std::borrow::Cow::Owned(escaped)
}

/// A bad file or argument value found after parsing: exit code 2, like clap's own errors.
#[derive(Debug)]
pub(crate) struct InputError(pub(crate) String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn exit_code(error: &anyhow::Error) -> u8 {
    let usage = error.is::<ConfigError>()
        || error.is::<SignalFileError>()
        || error.is::<InputError>()
        || error.is::<jobrunner_core::RegistryError>()
        || error
            .downcast_ref::<jobrunner_node::NodeError>()
            .is_some_and(jobrunner_node::NodeError::is_setup_problem);
    if usage { 2 } else { 1 }
}

fn one_line(error: &anyhow::Error) -> String {
    error.chain().map(ToString::to_string).collect::<Vec<_>>().join(": ")
}

fn parse_repo(value: &str) -> Result<RepoSlug, String> {
    RepoSlug::parse(value).map_err(|e| e.to_string())
}

fn parse_day(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| "expected a UTC day as YYYY-MM-DD".to_owned())
}
