//! `kill -9` of `core-ide` at every step of an action, then a restart: the run still
//! completes, no mutation happens twice, and readers of the journal lose no line.
//!
//! The demo project is driven one `core-ide --once` process per cycle, with the simulator's
//! other parties acting between cycles. A seed picks a crash point (see
//! `jobrunner_core::crash_point`), the cycle from which it is armed and which pass through it
//! crashes; the process announces the point and hangs, and the test kills it with SIGKILL.
//! CI runs the fixed seeds 1 to 20, which cover every point four times, on the demo project,
//! and seeds 1 to 10 on a project of protected branches, whose PRs need the merge step's
//! other mutations: a branch update, an enqueue, arming and disarming auto-merge.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use core_ide_e2e::CoreIde;
use jobrunner_core::crash_point;
use jobrunner_github_sim::{
    CheckState, GitHubSim, IssueState, MutationKind, PrSpec, Protection, SimHandle, SimState,
};
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
    /// The crash of `seed` in `project`: a project with fewer actions per run crashes at an
    /// earlier pass and run, so that every seed's crash fires.
    fn for_project(project: Project, seed: u64) -> Self {
        let crash = Self::from_seed(seed);
        match project {
            Project::Demo => crash,
            Project::MergeSteps => {
                Self { from_run: 1 + (crash.from_run - 1) % 2, pass: 1 + (crash.pass - 1) % 2, ..crash }
            }
        }
    }

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

/// A forge state to drive to a complete epic, and the people who play their part in it.
#[derive(Debug, Clone, Copy)]
enum Project {
    /// The demo's epic: every stage of the flow.
    Demo,
    /// Protected branches: a strict up-to-date rule, a merge queue, a required check that
    /// fails once after auto-merge was armed, a required check failing until the agent fixes it.
    MergeSteps,
}

impl Project {
    fn state(self) -> SimState {
        match self {
            Self::Demo => SimState::default().with_closes_linked_on_merge(false).with_marker(MARKER),
            Self::MergeSteps => merge_steps_state(),
        }
    }

    fn children(self) -> std::ops::RangeInclusive<u64> {
        match self {
            Self::Demo => 2..=6,
            Self::MergeSteps => 2..=5,
        }
    }

    /// What people other than the agent, CI and GitHub's merge do between two runs, decided
    /// from the forge state alone so a crashed run and an uninterrupted one see the same.
    fn people_act(self, state: &mut SimState) {
        if let Self::MergeSteps = self {
            // #22's required check fails once after auto-merge was armed on it, and is re-run
            // green once the pipeline withdrew the auto-merge.
            let pr = state.pr(REPO, 22);
            let (armed, open) = (pr.auto_merge.is_some(), pr.is_open());
            let sha = pr.head_sha().to_owned();
            let check = state.repo(REPO).check(&sha);
            if open && armed && check == Some(CheckState::Pending) {
                state.checks_finish(REPO, 22, CheckState::Failure);
            } else if open && !armed && check == Some(CheckState::Failure) {
                state.checks_finish(REPO, 22, CheckState::Success);
            }
        }
    }
}

/// Three children, each PR on a protected branch of its own: #20 falls behind `main`'s strict
/// rule (branch update), #21 targets a merge-queue branch (enqueue), #22 waits on a required
/// check on `release` (auto-merge armed early, then disarmed when the check fails), #23's
/// required check fails on `release` (the CI command, then the agent's fix merges).
fn merge_steps_state() -> SimState {
    let required =
        |strict: bool| Protection { required_checks: vec!["ci".to_owned()], strict, ..Protection::default() };
    let mut state = SimState::empty().with_repo("octo", "app").with_marker(MARKER);
    let head = state.repo(REPO).default_head().to_owned();
    for branch in ["queue", "release"] {
        state.repo_mut(REPO).branches.insert(branch.to_owned(), head.clone());
    }
    let mut state = state
        .with_closes_linked_on_merge(false)
        .with_epic(REPO, 1, &[2, 3, 4, 5])
        .with_protection(REPO, "main", required(true))
        .with_protection(REPO, "queue", Protection { merge_queue: true, ..required(false) })
        .with_protection(REPO, "release", required(false))
        .with_pr(REPO, PrSpec::new(20).closes(&[2]))
        .with_pr(REPO, PrSpec::new(21).closes(&[3]).base("queue"))
        .with_pr(REPO, PrSpec::new(22).closes(&[4]).base("release").checks(CheckState::Pending))
        .with_pr(REPO, PrSpec::new(23).closes(&[5]).base("release").checks(CheckState::Failure));
    state.base_moves(REPO, &[]);
    state
}

/// `project` driven to a complete epic, crashing once as `crash` says.
async fn drive(project: Project, crash: Option<Crash>) -> Outcome {
    let sim = GitHubSim::start(project.state()).await.expect("simulator starts");
    let dir = tempfile::tempdir().unwrap();
    let (mut crashed, mut outputs) = (false, String::new());
    for run in 1..=MAX_RUNS {
        if epic_complete(&sim, project) {
            break;
        }
        let armed = crash.filter(|c| !crashed && run >= c.from_run);
        let (hit, output) = once(&sim, dir.path(), armed).await;
        crashed |= hit;
        outputs.push_str(&output);
        sim.with_state(|s| {
            project.people_act(s);
            s.parties_act();
        });
    }
    assert!(
        epic_complete(&sim, project),
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

fn epic_complete(sim: &SimHandle, project: Project) -> bool {
    sim.with_state(|s| {
        s.repo(REPO).open_pr_numbers().is_empty()
            && project.children().all(|c| s.is_ticked(REPO, 1, c) == Some(true))
            && project.children().all(|c| s.issue(REPO, c).state == IssueState::Closed)
            // close_epic's step, so a crash around it is driven through too.
            && s.issue(REPO, 1).state == IssueState::Closed
    })
}

fn kind_name(kind: MutationKind) -> String {
    format!("{kind:?}")
}

/// Everything a crash must leave as an uninterrupted run does. In the demo project the same
/// mutations happen; where the order of people and pipeline can change the path (a crash
/// delays arming auto-merge until CI already passed, so the PR is merged directly), each
/// mutation still happens at most once and each has its one journal record.
fn assert_like_an_uninterrupted_run(project: Project, outcome: &Outcome, reference: &Outcome, crash: Crash) {
    assert!(outcome.crashed, "{crash:?} never fired: the crash point is not reached");
    match project {
        Project::Demo => {
            assert_eq!(outcome.mutations, reference.mutations, "mutations after {crash:?}");
            assert_eq!(outcome.journal, reference.journal, "journal records after {crash:?}");
        }
        Project::MergeSteps => assert_each_mutation_once_and_journaled(outcome, crash),
    }
    let torn = usize::from(crash.point == crash_point::MID_JOURNAL_APPEND);
    assert_eq!(outcome.journal_warnings, torn, "only the torn half line is skipped ({crash:?})");
    assert!(!outcome.outputs.contains(MARKER) && !outcome.outputs.contains(TOKEN), "{}", outcome.outputs);
    for file in std::fs::read_dir(outcome.data_dir.path().join("data")).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(MARKER), "forge text in the store");
    }
}

/// No PR mutated twice the same way, every child ticked and closed once, and the journal has
/// one record per mutation (the merge step's per PR, `tick_parent` and `close_child` per child).
fn assert_each_mutation_once_and_journaled(outcome: &Outcome, crash: Crash) {
    let children = Project::MergeSteps.children().count();
    for ((number, kind), count) in &outcome.mutations {
        let expected = if (*number, kind.as_str()) == (1, "EditIssueBody") { children } else { 1 };
        assert_eq!(*count, expected, "#{number} {kind} after {crash:?}: {:?}", outcome.mutations);
    }
    let steps = ["Merge", "Enqueue", "UpdateBranch", "EnableAutoMerge", "DisableAutoMerge"];
    for pr in [20, 21, 22] {
        let performed =
            steps.iter().filter(|k| outcome.mutations.contains_key(&(pr, (**k).to_owned()))).count();
        let journaled = outcome.journal.get(&(pr, "enable_auto_merge".to_owned())).copied().unwrap_or(0);
        assert_eq!(journaled, performed, "#{pr}: one journal record per merge-step mutation ({crash:?})");
    }
    let journaled = |action: &str| {
        outcome.journal.iter().filter(|((_, a), _)| a == action).map(|(_, n)| n).sum::<usize>()
    };
    assert_eq!((journaled("tick_parent"), journaled("close_child")), (children, children), "{crash:?}");
}

async fn reference(project: Project) -> Outcome {
    let reference = drive(project, None).await;
    if let Project::Demo = project {
        assert!(
            reference.journal.values().all(|n| *n == 1),
            "each (PR, handler) once: {:?}",
            reference.journal
        );
    }
    reference
}

async fn crash_with_seed(project: Project, seed: u64) {
    let crash = Crash::for_project(project, seed);
    let outcome = drive(project, Some(crash)).await;
    assert_like_an_uninterrupted_run(project, &outcome, &reference(project).await, crash);
}

macro_rules! seeds {
    ($project:expr; $($name:ident = $seed:literal),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            crash_with_seed($project, $seed).await;
        }
    )*};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merge_steps_project_uses_every_merge_mutation_each_once() {
    let reference = reference(Project::MergeSteps).await;
    for (pr, kind) in [
        (20, "UpdateBranch"),
        (20, "Merge"),
        (21, "Enqueue"),
        (22, "EnableAutoMerge"),
        (22, "DisableAutoMerge"),
        (22, "Merge"),
        (23, "Comment"),
        (1, "CloseIssue"),
    ] {
        assert_eq!(
            reference.mutations.get(&(pr, kind.to_owned())),
            Some(&1),
            "#{pr} {kind}: {:?}",
            reference.mutations
        );
    }
}

seeds!(Project::MergeSteps;
    merge_steps_seed_01 = 1,
    merge_steps_seed_02 = 2,
    merge_steps_seed_03 = 3,
    merge_steps_seed_04 = 4,
    merge_steps_seed_05 = 5,
    merge_steps_seed_06 = 6,
    merge_steps_seed_07 = 7,
    merge_steps_seed_08 = 8,
    merge_steps_seed_09 = 9,
    merge_steps_seed_10 = 10,
);

seeds!(Project::Demo;
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
