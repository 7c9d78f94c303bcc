//! The fuzz bodies, one per parser that reads outside input. Each takes arbitrary bytes and
//! must neither panic nor break the parser's promises, asserted here: the libFuzzer targets in
//! `fuzz_targets/` call them, and `tests/seeds.rs` runs them over the seeds on stable.

use std::path::Path;

use jobrunner_config::{ConfigArgs, Host, Settings};
use jobrunner_core::RepoSlug;
use jobrunner_core::checklist::{ChecklistGrammar, TickOutcome};
use jobrunner_journal::{ReadOutcome, read_lines};

/// Inputs longer than this are cut: the parsers' cost grows with input, not their surprises.
const MAX_INPUT: usize = 64 * 1024;

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(&data[..data.len().min(MAX_INPUT)]).ok()
}

/// An epic body: every listed child ticks by changing its box bytes and nothing else, and is
/// ticked afterwards; an unplaceable item is numbered within the task list and names no child.
pub fn checklist(data: &[u8]) {
    let Some(body) = text(data) else { return };
    let repo = RepoSlug::parse("octo/app").expect("a valid constant");
    let grammar = ChecklistGrammar::default();
    let parsed = grammar.parse(body, &repo);
    let task_items = body.matches('[').count();
    for unplaceable in &parsed.unplaceable {
        let item = usize::try_from(unplaceable.item).expect("fits");
        assert!((1..=task_items).contains(&item), "numbered from 1 within the task list");
    }
    for item in parsed.items.iter().take(64) {
        match grammar.tick(body, &repo, item.number) {
            TickOutcome::Ticked(new_body) => {
                assert_eq!(new_body.len(), body.len(), "ticking changes no length");
                let changed: Vec<usize> = body
                    .bytes()
                    .zip(new_body.bytes())
                    .enumerate()
                    .filter(|(_, (a, b))| a != b)
                    .map(|(i, _)| i)
                    .collect();
                let boxes: Vec<usize> = parsed
                    .items
                    .iter()
                    .filter(|i| i.refers_to(&repo, item.number) && !i.ticked)
                    .map(|i| i.checkbox.start + 1)
                    .collect();
                assert_eq!(changed, boxes, "only the unticked boxes of the child changed");
                assert_eq!(grammar.is_ticked(&new_body, &repo, item.number), Some(true));
            }
            TickOutcome::AlreadyTicked => assert_eq!(grammar.is_ticked(body, &repo, item.number), Some(true)),
            TickOutcome::NotListed => {
                assert!(!item.refers_to(&repo, item.number), "a listed item of this repository is found");
            }
        }
    }
}

/// A config file: it loads or fails with one line, and what loads renders.
pub fn config(data: &[u8]) {
    let Some(file) = text(data) else { return };
    let loaded = Settings::from_layers(
        Some((Path::new("/fuzz/config.toml"), file)),
        &ConfigArgs::default(),
        &Host::default(),
    );
    match loaded {
        Ok(settings) => {
            let rendered = settings.render_toml();
            assert!(rendered.lines().count() > 1);
        }
        Err(error) => {
            let message = error.to_string();
            assert!(!message.contains('\n'), "one line: {message}");
        }
    }
}

/// A journal file: any bytes read as records and warnings, and every record writes back as
/// JSON that reads as the same record.
pub fn journal_reader(data: &[u8]) {
    let mut outcome = ReadOutcome::default();
    read_lines(Path::new("fuzz.jsonl"), &data[..data.len().min(MAX_INPUT)], &mut outcome);
    for warning in &outcome.warnings {
        let _ = warning.to_string();
    }
    for record in &outcome.records {
        let line = serde_json::to_string(record).expect("a record encodes") + "\n";
        let mut again = ReadOutcome::default();
        read_lines(Path::new("again.jsonl"), line.as_bytes(), &mut again);
        assert_eq!(again.records.len(), 1, "a record read back: {line}");
    }
}

/// A signals file (`core-ide simulate --signals`): it parses or fails naming a JSON path, and
/// what parses is decided by the real dispatcher.
pub fn signal_file(data: &[u8]) {
    let Some(file) = text(data) else { return };
    match jobrunner_runner::simulate::parse_signals(file) {
        Ok(signals) => {
            let dispatcher = jobrunner_handlers::dispatcher(
                &jobrunner_handlers::HandlerSettings::default(),
                &jobrunner_handlers::HANDLER_NAMES,
            )
            .expect("the default handlers build");
            let decisions = dispatcher.plan(&signals);
            assert_eq!(decisions.len(), signals.len());
        }
        Err(error) => assert!(error.path.starts_with('$'), "{error}"),
    }
}
