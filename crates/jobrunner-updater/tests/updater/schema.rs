//! The shipped JSON Schema of the manifest is the one generated from the type.

use std::path::Path;

/// Fails when docs/schema/update-manifest.schema.json differs from the generated schema; rerun
/// with `UPDATE_SCHEMAS=1` to rewrite it.
#[test]
fn the_shipped_manifest_schema_is_current() {
    let text = serde_json::to_string_pretty(&jobrunner_updater::json_schema()).unwrap() + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema/update-manifest.schema.json");
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let shipped = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        shipped == text,
        "{} is out of date: run `UPDATE_SCHEMAS=1 cargo test -p jobrunner-updater` and commit it",
        path.display()
    );
}
