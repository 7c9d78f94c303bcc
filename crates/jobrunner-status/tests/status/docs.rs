//! Every check id emitted in code is documented in docs/status-checks.md, and the reverse.

use std::collections::BTreeSet;
use std::path::Path;

use jobrunner_status::{Category, Level, checks};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `<category>.<E|W|I><NNN>` at the start of `text`.
fn id_at(text: &str) -> Option<&str> {
    let (category, rest) = text.split_once('.')?;
    let code = rest.get(..4)?;
    let valid = Category::ALL.iter().any(|c| c.as_str() == category)
        && matches!(code.as_bytes()[0], b'E' | b'W' | b'I')
        && code[1..].bytes().all(|b| b.is_ascii_digit());
    valid.then(|| &text[..category.len() + 5])
}

/// Ids written as string literals in the check modules: what the code can emit.
fn ids_in_source() -> BTreeSet<String> {
    let dir = crate_dir().join("src/checks");
    let mut ids = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = read(&entry.unwrap().path());
        for (index, _) in text.match_indices('"') {
            if let Some(id) =
                id_at(&text[index + 1..]).filter(|id| text[index + 1 + id.len()..].starts_with('"'))
            {
                ids.insert(id.to_owned());
            }
        }
    }
    ids
}

/// Ids in the first column of the doc's table.
fn ids_in_doc() -> BTreeSet<String> {
    let doc = read(&crate_dir().join("../../docs/status-checks.md"));
    doc.lines().filter_map(|line| line.strip_prefix("| `")).filter_map(id_at).map(str::to_owned).collect()
}

#[test]
fn every_id_in_the_code_is_documented_and_every_documented_id_is_in_the_code() {
    let (source, doc) = (ids_in_source(), ids_in_doc());
    assert!(source.len() >= 30, "{source:?}");
    let undocumented: Vec<_> = source.difference(&doc).collect();
    let stale: Vec<_> = doc.difference(&source).collect();
    assert!(undocumented.is_empty(), "add to docs/status-checks.md: {undocumented:?}");
    assert!(stale.is_empty(), "docs/status-checks.md documents ids no check emits: {stale:?}");
}

#[test]
fn the_registry_holds_exactly_the_ids_in_the_code() {
    let registry: BTreeSet<String> = checks::all().iter().map(|c| c.id.to_owned()).collect();
    assert_eq!(registry.len(), checks::all().len(), "ids are unique");
    assert_eq!(registry, ids_in_source());
}

#[test]
fn an_id_names_its_category_and_level() {
    for check in checks::all() {
        let (category, code) = check.id.split_once('.').unwrap();
        assert_eq!(category, check.category.as_str(), "{}", check.id);
        let letter = match check.level {
            Level::Error => 'E',
            Level::Warn => 'W',
            Level::Info => 'I',
            Level::Ok => panic!("{} is a check at level ok", check.id),
        };
        assert!(code.starts_with(letter), "{} is at level {}", check.id, check.level);
    }
}

#[test]
fn the_doc_names_each_categorys_ok_result() {
    let doc = read(&crate_dir().join("../../docs/status-checks.md"));
    for category in Category::ALL {
        assert!(doc.contains(&format!("`{}.ok`", category.as_str())), "{category}");
    }
}

#[test]
fn silencing_an_unknown_id_is_refused() {
    assert!(checks::validate_silenced(&["env.W003".into(), "store.I001".into()]).is_ok());
    let error = checks::validate_silenced(&["env.W999".into()]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown check id \"env.W999\": the ids are listed in docs/status-checks.md"
    );
}
