//! `kill -9` of `core-ide` at every step of an action, then a restart: the run still
//! completes, no mutation happens twice, and readers of the journal lose no line.
//!
//! The demo project is driven one `core-ide --once` process per cycle, with the simulator's
//! other parties acting between cycles. A seed picks a crash point (see
//! `jobrunner_core::crash_point`), the cycle from which it is armed and which pass through it
//! crashes; the process announces the point and hangs, and the test kills it with SIGKILL.
//! CI runs the fixed seeds 1 to 20, which cover every point four times.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use core_ide_e2e::CoreIde;
use jobrunner_core::crash_point;
use jobrunner_github_sim::{GitHubSim, IssueState, MutationKind, SimHandle, SimState};
use jobrunner_journal::{ReadFilter, read_journal};

const REPO: &str = "octo/app";
const MARKER: &str = "MARKER-crash-5e1d";
const TOKEN: &str = "ghp_crash_suite_token";
const MAX_RUNS: u32 = 40;

/// Where one seeded crash happens.
#[derive(Debug, Clone, Copy)]
struct Crash {
    point: &'static str,
    /// The first `--once` run (cycle) with the point armed; later runs stay armed until it fires.
    from_run: u32,
    /// Which pass through the point, within a run, crashes.
    pass: u32,
}

impl Crash {
    fn from_seed(seed: u64) -> Self {
        // splitmix64: a fixed, well-mixed function of the seed.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let points = crash_point::POINTS;
        Self {
            point: points[usize::try_from(seed % points.len() as u64).unwrap()],
            from_run: 1 + u32::try_from(z % 4).unwrap(),
            pass: 1 + u32::try_from((z >> 8) % 3).unwrap(),
        }
    }
}

/// What a run of the demo project left behind.
struct Outcome {
    crashed: bool,
    mutations: BTreeMap<(u64, String), usize>,
    journal: BTreeMap<(u64, String), usize>,
    journal_warnings: usize,
    outputs: String,
    data_dir: tempfile::TempDir,
}

/// The demo project driven to a complete epic, crashing once as `crash` says.
async fn drive(crash: Option<Crash>) -> Outcome {
    let state = SimState::default().with_closes_linked_on_merge(false).with_marker(MARKER);
    let sim = GitHubSim::start(state).await.expect("simulator starts");
    let dir = tempfile::tempdir().unwrap();
    let (mut crashed, mut outputs) = (false, String::new());
    for run in 1..=MAX_RUNS {
        if epic_complete(&sim) {
            break;
        }
        let armed = crash.filter(|c| !crashed && run >= c.from_run);
        let (hit, output) = once(&sim, dir.path(), armed).await;
        crashed |= hit;
        outputs.push_str(&output);
        sim.with_state(SimState::parties_act);
    }
    assert!(
        epic_complete(&sim),
        "the epic was not complete after {MAX_RUNS} runs ({crash:?}): {}",
        outputs
            .lines()
            .filter(|l| l.contains("acted") || l.contains("crash") || l.contains("WARN"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let journal = read_journal(&dir.path().join("journal"), &ReadFilter::default()).unwrap();
    let mut by_action = BTreeMap::new();
    for record in &journal.records {
        *by_action.entry((record.pr, record.action.clone())).or_insert(0) += 1;
    }
    let mut mutations = BTreeMap::new();
    for mutation in &sim.counters().mutation_log {
        *mutations.entry((mutation.number, kind_name(mutation.kind))).or_insert(0) += 1;
    }
    Outcome {
        crashed,
        mutations,
        journal: by_action,
        journal_warnings: journal.warnings.len(),
        outputs,
        data_dir: dir,
    }
}

/// One `core-ide --once`; with a crash armed, killed with SIGKILL when it reports the point.
/// Returns whether it was killed, and its output.
async fn once(sim: &SimHandle, dir: &Path, crash: Option<Crash>) -> (bool, String) {
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let (data, journal, api) = (path("data"), path("journal"), sim.base_url());
    let args = [
        "--once",
        "--repos",
        REPO,
        "--api-url",
        &api,
        "--data-dir",
        &data,
        "--journal-dir",
        &journal,
        "--node-id",
        "crash-node",
        "--mutation-gap",
        "0s",
    ];
    let mut command = CoreIde::new(&args).env("CORE_GITHUB_TOKEN", TOKEN);
    if let Some(crash) = crash {
        command = command.env(crash_point::ENV, format!("{}:{}", crash.point, crash.pass));
    }
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn();
        let mut stdout = child.stdout.take().unwrap();
        let drain = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let mut killed = false;
        let mut errors = String::new();
        for line in BufReader::new(child.stderr.take().unwrap()).lines() {
            let line = line.unwrap();
            errors.push_str(&line);
            errors.push('\n');
            if line.starts_with("crash point ") {
                child.kill().expect("SIGKILL");
                killed = true;
                break;
            }
        }
        let status = child.wait().unwrap();
        let output = drain.join().unwrap() + &errors;
        assert!(killed || status.success(), "core-ide --once failed: {output}");
        (killed, output)
    })
    .await
    .unwrap()
}

fn epic_complete(sim: &SimHandle) -> bool {
    sim.with_state(|s| {
        s.repo(REPO).open_pr_numbers().is_empty()
            && (2..=6).all(|c| s.is_ticked(REPO, 1, c) == Some(true))
            && (2..=6).all(|c| s.issue(REPO, c).state == IssueState::Closed)
    })
}

fn kind_name(kind: MutationKind) -> String {
    format!("{kind:?}")
}

/// Everything a crash must leave as an uninterrupted run does.
fn assert_like_an_uninterrupted_run(outcome: &Outcome, reference: &Outcome, crash: Crash) {
    assert!(outcome.crashed, "{crash:?} never fired: the crash point is not reached");
    assert_eq!(outcome.mutations, reference.mutations, "mutations after {crash:?}");
    assert_eq!(outcome.journal, reference.journal, "journal records after {crash:?}");
    let torn = usize::from(crash.point == crash_point::MID_JOURNAL_APPEND);
    assert_eq!(outcome.journal_warnings, torn, "only the torn half line is skipped ({crash:?})");
    assert!(!outcome.outputs.contains(MARKER) && !outcome.outputs.contains(TOKEN), "{}", outcome.outputs);
    for file in std::fs::read_dir(outcome.data_dir.path().join("data")).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(MARKER), "forge text in the store");
    }
}

async fn reference() -> Outcome {
    let reference = drive(None).await;
    assert!(reference.journal.values().all(|n| *n == 1), "each (PR, handler) once: {:?}", reference.journal);
    reference
}

async fn crash_with_seed(seed: u64) {
    let crash = Crash::from_seed(seed);
    let outcome = drive(Some(crash)).await;
    assert_like_an_uninterrupted_run(&outcome, &reference().await, crash);
}

macro_rules! seeds {
    ($($name:ident = $seed:literal),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            crash_with_seed($seed).await;
        }
    )*};
}

seeds!(
    crash_seed_01 = 1,
    crash_seed_02 = 2,
    crash_seed_03 = 3,
    crash_seed_04 = 4,
    crash_seed_05 = 5,
    crash_seed_06 = 6,
    crash_seed_07 = 7,
    crash_seed_08 = 8,
    crash_seed_09 = 9,
    crash_seed_10 = 10,
    crash_seed_11 = 11,
    crash_seed_12 = 12,
    crash_seed_13 = 13,
    crash_seed_14 = 14,
    crash_seed_15 = 15,
    crash_seed_16 = 16,
    crash_seed_17 = 17,
    crash_seed_18 = 18,
    crash_seed_19 = 19,
    crash_seed_20 = 20,
);

#[test]
fn the_fixed_seeds_cover_every_crash_point() {
    for point in crash_point::POINTS {
        let seeds = (1..=20).filter(|s| Crash::from_seed(*s).point == *point).count();
        assert!(seeds >= 4, "{point} has {seeds} seeds");
    }
}
