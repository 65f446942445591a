//! `scenarios/schema.json` is generated from the scenario types and must stay current.

use std::path::Path;

#[test]
fn the_committed_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/schema.json");
    let generated = conformance::schema_json();
    if std::env::var_os("SCIM_HARNESS_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("writing scenarios/schema.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "scenarios/schema.json is out of date with the scenario types; regenerate it with\n  SCIM_HARNESS_UPDATE_SCHEMA=1 cargo test -p conformance --test it schema\nand commit the result"
    );
}
