//! `core-status`: parses arguments, gathers the node's state through `jobrunner-status`,
//! renders it, and maps the outcome to an exit code: 0 fine, 1 a result at or above
//! `--fail-level` (or a maintenance step failed), 2 bad input, as one line on stderr.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use jobrunner_config::{ConfigArgs, ConfigError, Secret};
use jobrunner_notify::{Channel, NodeStatus, Notifier, RetryPolicy, Webhook, WebhookUrl};
use jobrunner_status::cleanup::{self, CleanupOptions};
use jobrunner_status::dashboard::{Pipeline, StoreState};
use jobrunner_status::render::{self, RenderOptions};
use jobrunner_status::{
    Category, GatherOptions, Inputs, KnownVar, Level, StatusError, StatusReport, Summary, checks,
};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// A core-ide node at a glance: profile, pipeline state, handler chains, and checks of its
/// configuration (env files, fleet role, runtime, state store, installation).
#[derive(Parser)]
#[command(name = "core-status", version, about, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(flatten)]
    sources: Sources,
    #[command(flatten)]
    report: ReportArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Where the node's files are, beyond its settings.
#[derive(Args)]
struct Sources {
    /// The node's env file [default: the one the systemd unit names, else deploy/core-ide.env]
    #[arg(long, value_name = "FILE", global = true)]
    env_file: Option<PathBuf>,
    /// The env file's sample [default: the env file's path with .sample appended]
    #[arg(long, value_name = "FILE", global = true)]
    env_sample: Option<PathBuf>,
    /// Read the systemd unit directories under DIR instead of / (a mounted image or container)
    #[arg(long, value_name = "DIR", default_value = "/", global = true)]
    systemd_root: PathBuf,
    /// The core-ide binary the updater replaces [default: the unit's program, else beside
    /// core-status, else on PATH]
    #[arg(long, value_name = "PATH", global = true)]
    binary: Option<PathBuf>,
}

#[derive(Args)]
struct ReportArgs {
    /// Print one JSON document (schema: docs/schema/status.json)
    #[arg(long)]
    json: bool,
    /// Leave out the profile, pipeline and handler sections
    #[arg(long)]
    checks_only: bool,
    /// Show the ok results too
    #[arg(long, short)]
    verbose: bool,
    /// Only the checks of this category (env, fleet, runtime, store, installation); repeatable
    #[arg(long = "category", value_name = "CATEGORY", value_parser = parse_category)]
    categories: Vec<Category>,
    /// Silence a check id such as env.W003, on top of the `silenced` setting; repeatable
    #[arg(long = "silence", value_name = "ID")]
    silence: Vec<String>,
    /// Exit 1 when a result at or above this level remains
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailLevel::Error)]
    fail_level: FailLevel,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailLevel {
    Warn,
    Error,
}

impl From<FailLevel> for Level {
    fn from(level: FailLevel) -> Self {
        match level {
            FailLevel::Warn => Level::Warn,
            FailLevel::Error => Level::Error,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// List stale *.tmp, *.part, *.lock and *.swp files under the data and journal directories;
    /// delete them with --execute
    CleanupOrphans {
        /// Only files not modified for this many hours
        #[arg(long, value_name = "HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..=87_600))]
        max_age_hours: u64,
        /// Delete them (default: only list them)
        #[arg(long)]
        execute: bool,
        /// Also empty or invalid cache files in the data directory's cache/
        #[arg(long)]
        caches: bool,
    },
    /// Post the node's status (version, role, store, last cycle, checks) to the configured Slack
    /// and Discord webhooks
    NotifyStartup,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("core-status: {}", one_line(&error));
            ExitCode::from(exit_code(&error))
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let options = GatherOptions {
        config: cli.config,
        env_file: cli.sources.env_file,
        env_sample: cli.sources.env_sample,
        systemd_root: cli.sources.systemd_root,
        binary: cli.sources.binary,
        known: KnownVar::of_binaries(&[&Cli::command()]),
        now: chrono::Utc::now(),
    };
    let inputs = runtime.block_on(jobrunner_status::gather(options))?;
    match cli.command {
        None => report(&inputs, cli.report),
        Some(Command::CleanupOrphans { max_age_hours, execute, caches }) => {
            Ok(cleanup_orphans(&inputs, Duration::from_secs(max_age_hours * 3600), execute, caches))
        }
        Some(Command::NotifyStartup) => runtime.block_on(notify_startup(&inputs)),
    }
}

fn report(inputs: &Inputs, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let mut silenced = inputs.settings.silenced.clone();
    silenced.extend(args.silence);
    checks::validate_silenced(&silenced)?;
    let results = checks::run(inputs, &args.categories, &silenced);
    let report = StatusReport::new(inputs, VERSION, results, args.fail_level.into(), args.checks_only);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let no_color = std::env::var_os("NO_COLOR");
        let color = RenderOptions::color_for(std::io::stdout().is_terminal(), no_color.as_deref());
        print!("{}", render::human(&report, RenderOptions { color, verbose: args.verbose }));
    }
    Ok(if report.summary.failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn cleanup_orphans(inputs: &Inputs, max_age: Duration, execute: bool, caches: bool) -> ExitCode {
    let settings = &inputs.settings;
    let options = CleanupOptions {
        data_dir: settings.data_dir.clone(),
        journal_dir: settings.journal_dir.clone(),
        max_age,
        caches,
        now: SystemTime::now(),
    };
    let scan = cleanup::scan(&options);
    for (dir, reason) in &scan.unreadable {
        eprintln!("core-status: warning: cannot list {}: {reason}", dir.display());
    }
    let places = format!("{} and {}", settings.data_dir.display(), settings.journal_dir.display());
    let hours = max_age.as_secs() / 3600;
    if scan.orphans.is_empty() {
        println!("no orphaned files older than {hours}h under {places}");
        return ExitCode::SUCCESS;
    }
    let bytes: u64 = scan.orphans.iter().map(|o| o.bytes).sum();
    if !execute {
        for orphan in &scan.orphans {
            println!("orphan   {}", orphan.line());
        }
        let count = scan.orphans.len();
        let files = if count == 1 { "file" } else { "files" };
        println!(
            "{count} orphaned {files} ({bytes} B) older than {hours}h: run with --execute to delete them"
        );
        return ExitCode::SUCCESS;
    }
    let mut kept = 0;
    for orphan in &scan.orphans {
        match orphan.delete() {
            Ok(()) => println!("deleted  {}", orphan.line()),
            Err(error) => {
                kept += 1;
                println!("kept     {}: {error}", orphan.line());
            }
        }
    }
    println!("deleted {} of {} orphaned files", scan.orphans.len() - kept, scan.orphans.len());
    if kept > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

async fn notify_startup(inputs: &Inputs) -> anyhow::Result<ExitCode> {
    let settings = &inputs.settings;
    let configured = [
        (Channel::Slack, "CORE_SLACK_WEBHOOK_URL", &settings.slack_webhook_url),
        (Channel::Discord, "CORE_DISCORD_WEBHOOK_URL", &settings.discord_webhook_url),
    ];
    let webhooks = configured
        .into_iter()
        .filter_map(|(channel, var, url)| url.as_ref().map(|url| webhook(channel, var, url)))
        .collect::<Result<Vec<_>, _>>()?;
    if webhooks.is_empty() {
        println!(
            "no notification channel: set CORE_SLACK_WEBHOOK_URL or CORE_DISCORD_WEBHOOK_URL; nothing posted"
        );
        return Ok(ExitCode::SUCCESS);
    }
    checks::validate_silenced(&settings.silenced)?;
    let summary = Summary::of(&checks::run(inputs, &[], &settings.silenced), Level::Error);
    let pipeline = Pipeline::new(inputs);
    let status = NodeStatus {
        node_id: settings.node_id.to_string(),
        version: VERSION.to_owned(),
        role: inputs.role().as_str().to_owned(),
        store_ok: pipeline.store == StoreState::Ok,
        last_cycle: pipeline
            .last_cycle
            .map(|c| c.ended_at.unwrap_or(c.started_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        checks_summary: summary.line(),
    };
    let notifier = Notifier::new(RetryPolicy::default())?;
    let deliveries = notifier.post_startup(&webhooks, &status).await;
    for delivery in &deliveries {
        println!("{delivery}");
    }
    Ok(if deliveries.iter().all(jobrunner_notify::Delivery::is_delivered) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A configured webhook URL, validated; the error names the variable, never the URL.
fn webhook(channel: Channel, var: &str, url: &Secret) -> Result<Webhook, StatusError> {
    WebhookUrl::parse(url.expose())
        .map(|url| Webhook { channel, url })
        .map_err(|error| StatusError::BadWebhook { var: var.to_owned(), reason: error.to_string() })
}

fn parse_category(value: &str) -> Result<Category, String> {
    value.parse()
}

/// Help and version go to stdout with exit 0; a usage error is one line and exit 2.
fn usage_error(error: &clap::Error) -> ExitCode {
    if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = error.print();
        return ExitCode::SUCCESS;
    }
    let text = error.to_string();
    let first = text.lines().next().unwrap_or_default().trim_start_matches("error: ");
    let expected = match error.get(ContextKind::ValidValue) {
        Some(ContextValue::Strings(values)) => format!(" (expected one of: {})", values.join(", ")),
        _ => String::new(),
    };
    eprintln!("core-status: {first}{expected}; see core-status --help");
    ExitCode::from(2)
}

fn exit_code(error: &anyhow::Error) -> u8 {
    if error.is::<StatusError>() || error.is::<ConfigError>() { 2 } else { 1 }
}

fn one_line(error: &anyhow::Error) -> String {
    error.chain().map(ToString::to_string).collect::<Vec<_>>().join(": ").replace('\n', " ")
}
