//! `core-ide demo`: the whole product against the built-in GitHub simulator — the real runner,
//! adapter, store and journal — with the simulator playing the agent, CI and auto-merge, until
//! the seeded epic is complete.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use jobrunner_bridge::BridgeConfig;
use jobrunner_config::{Secret, Settings, Source};
use jobrunner_core::RepoSlug;
use jobrunner_github_sim::{GitHubSim, PartyMove, SimHandle, SimState};
use jobrunner_node::{CycleEvent, CycleVerdict, Node, NodeHandle, NodeRun};
use serde_json::json;

const MAX_CYCLES: u32 = 40;
const REPO: &str = "octo/app";
const EPIC: u64 = 1;

pub(crate) async fn run(settings: &Settings, json: bool, serve: bool) -> anyhow::Result<()> {
    let started = Instant::now();
    let temp = tempfile::tempdir().context("creating the demo's data directory")?;
    let explicit = |key: &str| settings.sources.get(key).is_some_and(|s| *s != Source::Default);
    let data_dir = if explicit("data_dir") { settings.data_dir.clone() } else { temp.path().join("data") };
    let journal_dir =
        if explicit("journal_dir") { settings.journal_dir.clone() } else { data_dir.join("journal") };

    // GitHub closes linked issues on merge; turning that off lets close_child show its step.
    let state = SimState::default().with_closes_linked_on_merge(false);
    let sim = GitHubSim::start(state).await.context("starting the GitHub simulator on 127.0.0.1")?;
    let mut say = narrator(json);
    say(&format!(
        "GitHub simulator on {} with epic {REPO}#{EPIC} (children #2-#6, PRs #10-#14)",
        sim.base_url()
    ));
    let (node, run, failure) = start_node(settings, &sim, &data_dir, &journal_dir).await?;

    let mut by_handler: BTreeMap<&'static str, u32> = BTreeMap::new();
    let mut cycles = 0;
    while !epic_complete(&sim) {
        cycles += 1;
        if cycles > MAX_CYCLES {
            bail!(
                "the demo epic was not complete after {MAX_CYCLES} cycles: this is a bug, please report it"
            );
        }
        // The node is paused: each poll-now is one cycle, and the simulated parties move
        // between two cycles, as people and CI would between two polls.
        let Some(summary) = node.poll_now_and_wait().await else {
            run.finish().await?;
            bail!("the demo's node stopped before the epic was complete");
        };
        if !matches!(summary.verdict, CycleVerdict::Completed { .. }) {
            let why = failure
                .lock()
                .ok()
                .and_then(|f| f.clone())
                .unwrap_or_else(|| format!("{:?}", summary.verdict));
            bail!("demo cycle {cycles} failed: {why}");
        }
        for action in summary.actions().iter().filter(|a| a.outcome == "performed") {
            *by_handler.entry(action.action).or_default() += 1;
            say(&format!(
                "cycle {:>2}  core-ide   #{:<3} {:<17} {}",
                summary.cycle.unwrap_or_default(),
                action.pr,
                action.action,
                action.reason
            ));
        }
        for party in sim.with_state(jobrunner_github_sim::SimState::parties_act) {
            say(&format!("          {}", describe(&party)));
        }
    }
    let counters = sim.counters();
    let summary = json!({
        "complete": true,
        "cycles": cycles,
        "actions": by_handler,
        "api": { "requests": counters.requests, "primary_points": counters.primary_points(),
                 "rest_points": counters.rest_points, "graphql_points": counters.graphql_points,
                 "not_modified": counters.not_modified },
        "journal": journal_dir.join(REPO).display().to_string(),
        "seconds": started.elapsed().as_secs_f64(),
    });
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary, &by_handler);
    }
    if serve {
        serve_until_interrupted(settings, &node, &journal_dir, &mut say).await?;
    }
    node.shutdown();
    run.finish().await?;
    sim.shutdown().await;
    // Keep the journal for the user to read: dropping the temp dir would delete it.
    let _ = temp.keep();
    Ok(())
}

/// `--serve`: the demo's simulator and node stay up with the MCP bridge and the panel on
/// `mcp_bind` (loopback, no token) until Ctrl-C or SIGTERM, for a first MCP client or browser.
async fn serve_until_interrupted(
    settings: &Settings,
    node: &NodeHandle,
    journal_dir: &Path,
    say: &mut impl FnMut(&str),
) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let config = BridgeConfig {
        bind: settings.mcp_bind,
        read_only: settings.mcp_read_only,
        token: settings.mcp_token.as_ref().map(|t| t.expose().to_owned()),
        // The machine's own service is not the demo's: its checks would describe another node.
        checks: None,
    };
    let bridge = jobrunner_bridge::serve(config, node.clone(), journal_dir.to_path_buf())
        .await
        .map_err(|e| crate::InputError(e.to_string()))?;
    say(&format!("MCP: {}", bridge.mcp_url()));
    say(&format!("panel: {}", bridge.panel_url()));
    say("serving until Ctrl-C (the node is paused: poll now from the panel or the poll_now tool)");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    bridge.shutdown().await;
    Ok(())
}

/// The node the demo runs: the settings given, pointed at the simulator's one repository with
/// a standalone store in `data_dir` (whatever `CORE_DATABASE_URL` says), paused so that the
/// demo starts each cycle. The last cycle error's text is kept for the demo to report.
async fn start_node(
    settings: &Settings,
    sim: &SimHandle,
    data_dir: &Path,
    journal_dir: &Path,
) -> anyhow::Result<(NodeHandle, NodeRun, Arc<Mutex<Option<String>>>)> {
    let mut demo = settings.clone();
    demo.api_url = sim.base_url();
    demo.github_token = Some(("the demo", Secret::new("demo-token".to_owned())));
    demo.repos = vec![RepoSlug::parse(REPO)?];
    // The label the simulator's seeded epic carries, whatever the user's setting says.
    "epic".clone_into(&mut demo.epic_label);
    demo.database_url = None;
    demo.data_dir = data_dir.to_path_buf();
    demo.journal_dir = journal_dir.to_path_buf();
    // The simulator has no secondary limits to respect at this pace; a snappy demo.
    demo.mutation_gap = Duration::from_millis(100);
    let node = Node::from_settings(&demo).await?.paused(true);
    let failure = Arc::new(Mutex::new(None));
    let kept = Arc::clone(&failure);
    let (handle, run) = node.run(move |event| {
        if let (CycleEvent::Failed(error), Ok(mut kept)) = (event, kept.lock()) {
            *kept = Some(error.to_string());
        }
    });
    Ok((handle, run, failure))
}

fn epic_complete(sim: &SimHandle) -> bool {
    sim.with_state(|s| {
        let children = 2..=6;
        s.repo(REPO).open_pr_numbers().is_empty()
            && children.clone().all(|c| s.is_ticked(REPO, EPIC, c) == Some(true))
            && children
                .into_iter()
                .all(|c| s.issue(REPO, c).state == jobrunner_github_sim::IssueState::Closed)
    })
}

fn describe(party: &PartyMove) -> String {
    match party {
        PartyMove::AgentPushed { pr, .. } => format!("agent      #{pr:<3} pushes a fix commit"),
        PartyMove::ChecksPassed { pr, .. } => format!("CI         #{pr:<3} checks pass"),
        PartyMove::ReviewerApproved { pr, .. } => format!("reviewer   #{pr:<3} approves the fix"),
        PartyMove::AutoMerged { pr, .. } => {
            format!("GitHub     #{pr:<3} merges the PR (auto-merge or queue)")
        }
    }
}

/// Narration goes to stdout, or to stderr when stdout carries the JSON summary.
fn narrator(json: bool) -> impl FnMut(&str) {
    move |line: &str| {
        if json {
            eprintln!("{line}");
        } else {
            println!("{line}");
            let _ = std::io::stdout().flush();
        }
    }
}

fn print_summary(summary: &serde_json::Value, by_handler: &BTreeMap<&'static str, u32>) {
    println!();
    println!(
        "epic {REPO}#{EPIC} complete in {} cycles ({:.1} s)",
        summary["cycles"],
        summary["seconds"].as_f64().unwrap_or(0.0)
    );
    for (handler, count) in by_handler {
        println!("  {handler:<17} {count}");
    }
    let api = &summary["api"];
    println!(
        "API: {} requests, {} primary points ({} REST, {} GraphQL), {} answered 304",
        api["requests"],
        api["primary_points"],
        api["rest_points"],
        api["graphql_points"],
        api["not_modified"]
    );
    println!("journal: {}", summary["journal"].as_str().unwrap_or_default());
}
