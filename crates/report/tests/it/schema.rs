//! `schemas/report-v1.json` is generated from the report's types and must stay current.

use std::path::Path;

#[test]
fn the_committed_report_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/report-v1.json");
    let generated = report::report_schema_json();
    if std::env::var_os("SCIM_HARNESS_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("writing schemas/report-v1.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/report-v1.json is out of date with the report types; regenerate it with\n  SCIM_HARNESS_UPDATE_SCHEMA=1 cargo test -p report --test it schema\nand commit the result"
    );
}

/// The report names its own schema id, and the schema's title says what it describes.
#[test]
fn the_schema_describes_the_report() {
    let schema: serde_json::Value =
        serde_json::from_str(&report::report_schema_json()).expect("the schema is JSON");
    assert_eq!(schema["title"], "scim-harness report");
    for key in [
        "schema",
        "harness_version",
        "started_at",
        "selection",
        "catalogue_digest",
        "cases",
    ] {
        assert!(
            schema["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|k| k == key)),
            "{key} is required: {schema}"
        );
    }
}
