//! The plain harness: each fuzz body over its seeds and simple deterministic variations of
//! them (every prefix, every byte replaced by a few telling values), on stable, without
//! libFuzzer. Not fuzzing: a check that the bodies build and hold on known inputs.

use std::path::Path;

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a seed").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files.iter().map(|f| std::fs::read(f).expect("a readable seed")).collect()
}

fn variations(seed: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let prefixes = (0..=seed.len()).map(|n| seed[..n].to_vec());
    let replaced = (0..seed.len()).flat_map(move |i| {
        [b'\n', b'[', b'"', b'#', 0x80].into_iter().map(move |byte| {
            let mut copy = seed.to_vec();
            copy[i] = byte;
            copy
        })
    });
    prefixes.chain(replaced)
}

fn run(target: &str, body: fn(&[u8])) {
    for seed in seeds(target) {
        for input in variations(&seed) {
            body(&input);
        }
    }
}

#[test]
fn checklist_seeds() {
    run("checklist", core_ide_fuzz::checklist);
}

#[test]
fn config_seeds() {
    run("config", core_ide_fuzz::config);
}

#[test]
fn journal_reader_seeds() {
    run("journal_reader", core_ide_fuzz::journal_reader);
}

#[test]
fn signal_file_seeds() {
    run("signal_file", core_ide_fuzz::signal_file);
}
