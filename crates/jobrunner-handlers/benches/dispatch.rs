//! `cargo xtask bench dispatch`: time for the real dispatcher to plan 30,000 signals, the
//! decisions of one cycle over 1,000 repositories x 30 PRs.
//!
//! Target (issue 5): under 50 ms. The signals cover every stage of the flow, so every handler's
//! `matches` runs; the figure is the median of 15 runs after 3 warm-ups, in a release build.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use jobrunner_core::{
    CheckStatus, CommitSha, MergeStateStatus, Mergeable, PipelineSignal, PrState, RepoName, RepoOwner,
    ThreadId, UnresolvedThread,
};
use jobrunner_handlers::{HANDLER_NAMES, HandlerSettings, dispatcher};
use serde_json::json;

const REPOS: u64 = 1_000;
const PRS: u64 = 30;
const TARGET: Duration = Duration::from_millis(50);

/// PR `n` of repository `r`, at one of ten stages of the flow.
fn signal(r: u64, n: u64) -> PipelineSignal {
    let at = |minute: u32| Utc.with_ymd_and_hms(2026, 11, 22, 10, minute, 0).unwrap();
    let stage = n % 10;
    let thread = |i: u64| UnresolvedThread {
        id: ThreadId::new(format!("PRRT_{r}_{n}_{i}")).unwrap(),
        last_comment_at: at(5),
        outdated: true,
        answered_by_agent: false,
    };
    PipelineSignal {
        repo_owner: RepoOwner::new("bench-org").unwrap(),
        repo_name: RepoName::new(format!("repo-{r}")).unwrap(),
        epic_number: 1,
        child_number: n + 100,
        pr_number: n + 1_000,
        pr_state: if stage >= 8 { PrState::Merged } else { PrState::Open },
        is_draft: stage == 0,
        mergeable: match stage {
            1 => Mergeable::Conflicting,
            2 => Mergeable::Unknown,
            _ => Mergeable::Mergeable,
        },
        check_status: if stage == 3 { CheckStatus::Pending } else { CheckStatus::Success },
        threads_total: if stage == 4 || stage == 5 { 2 } else { 0 },
        threads_resolved: 0,
        last_commit_sha: CommitSha::new(format!("{:040x}", r * 1_000 + n)).unwrap(),
        last_commit_at: at(if stage == 5 { 20 } else { 1 }),
        last_review_at: (stage == 4 || stage == 5).then(|| at(10)),
        child_open: stage != 9,
        parent_ticked: stage == 9,
        auto_merge_enabled: stage == 7,
        has_fix_commit_after_review: stage == 5,
        unresolved_threads: if stage == 4 || stage == 5 { vec![thread(0), thread(1)] } else { Vec::new() },
        merge_state: MergeStateStatus::Clean,
        required_checks: None,
        optional_checks_failing: false,
        review_decision: None,
        auto_merge_allowed: true,
        auto_merge_ours: false,
        merge_queue: false,
        in_merge_queue: false,
        author_is_agent: false,
        scope_label: false,
        stop_label: false,
        threads_unread: 0,
        failing_checks: None,
        memory: jobrunner_core::PrMemory::default(),
        epic_repo_owner: None,
        epic_repo_name: None,
        epic_kind: jobrunner_core::EpicKind::Checklist,
        epic_body_sha256: None,
        epic_open_children: None,
    }
}

fn main() {
    let signals: Vec<PipelineSignal> = (0..REPOS).flat_map(|r| (0..PRS).map(move |n| signal(r, n))).collect();
    let dispatcher = dispatcher(&HandlerSettings::default(), &HANDLER_NAMES).expect("all handlers");
    let mut runs: Vec<Duration> = Vec::new();
    let mut acting = 0;
    for run in 0..18 {
        let started = Instant::now();
        let decisions = std::hint::black_box(dispatcher.plan(std::hint::black_box(&signals)));
        let elapsed = started.elapsed();
        acting = decisions.iter().filter(|d| d.action.is_some()).count();
        if run >= 3 {
            runs.push(elapsed);
        }
    }
    runs.sort_unstable();
    let median = runs[runs.len() / 2];
    let met = median < TARGET;
    println!(
        "Dispatch of {} signals ({acting} decide an action), median of {} runs",
        signals.len(),
        runs.len()
    );
    println!(
        "  median {:.2} ms, fastest {:.2} ms, slowest {:.2} ms; target < {} ms: {}",
        median.as_secs_f64() * 1e3,
        runs[0].as_secs_f64() * 1e3,
        runs[runs.len() - 1].as_secs_f64() * 1e3,
        TARGET.as_millis(),
        if met { "met" } else { "MISSED" }
    );
    let report = json!({
        "signals": signals.len(),
        "acting": acting,
        "median_ms": median.as_secs_f64() * 1e3,
        "fastest_ms": runs[0].as_secs_f64() * 1e3,
        "slowest_ms": runs[runs.len() - 1].as_secs_f64() * 1e3,
        "target_ms": TARGET.as_millis(),
        "met": met,
    });
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"), Into::into)
        .join("bench");
    std::fs::create_dir_all(&dir).expect("the bench directory is writable");
    std::fs::write(dir.join("dispatch.json"), serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("wrote {}", dir.join("dispatch.json").display());
}
