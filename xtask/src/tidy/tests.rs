//! Each tidy check against a violating input, and all of them on the real tree.

use serde_json::json;

use super::*;

/// The violations as `cargo xtask tidy` prints them.
#[track_caller]
fn check(found: Vec<Violation>, expect: &[&str]) {
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(shown, expect);
}

fn file(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.to_owned(),
        text: text.to_owned(),
    }
}

#[test]
fn the_real_tree_is_tidy() {
    let tree = Tree::load(&crate::workspace_root()).expect("reading the tree");
    let found: Vec<String> = tree.check().iter().map(ToString::to_string).collect();
    assert!(
        found.is_empty(),
        "tidy found {} violation(s):\n{}",
        found.len(),
        found.join("\n")
    );
}

// a. The crate table

/// `cargo metadata --no-deps` for crates under /ws/crates: (folder, normal deps, dev deps).
fn metadata(crates: &[(&str, &[&str], &[&str])]) -> Value {
    let dep = |name: &str, kind: Option<&str>| json!({"name": name, "kind": kind, "path": format!("/ws/crates/{name}")});
    let mut packages: Vec<Value> = crates
        .iter()
        .map(|(folder, normal, dev)| {
            let mut deps: Vec<Value> = normal.iter().map(|d| dep(d, None)).collect();
            deps.extend(dev.iter().map(|d| dep(d, Some("dev"))));
            deps.push(json!({"name": "serde", "kind": null}));
            json!({
                "name": folder,
                "manifest_path": format!("/ws/crates/{folder}/Cargo.toml"),
                "dependencies": deps,
            })
        })
        .collect();
    packages.push(json!({
        "name": "xtask",
        "manifest_path": "/ws/xtask/Cargo.toml",
        "dependencies": [dep("idp", None)],
    }));
    json!({ "packages": packages })
}

const TABLE: &str = "\
# Architecture

## Crates (a one-way graph)

| crate | depends on | role |
|---|---|---|
| `crates/scim` | — | SCIM. |
| `crates/idp` | scim | The mock IdP. |
| `crates/report` | idp | Reporters. |
| `crates/cli` | all of the above | The binary. |
| `xtask` | — | Automation. |

Architecture Invariant: reporters consume only `RunEvent`s.
";

fn tidy_metadata() -> Value {
    metadata(&[
        ("scim", &[], &[]),
        ("idp", &["scim"], &[]),
        ("report", &["idp"], &["scim"]),
        ("cli", &["scim", "idp", "report"], &[]),
    ])
}

#[test]
fn a_table_that_matches_cargo_metadata_passes() {
    check(check_crate_table(TABLE, &tidy_metadata()), &[]);
}

#[test]
fn a_dependency_the_table_does_not_list_fails() {
    let metadata = metadata(&[
        ("scim", &[], &[]),
        ("idp", &["scim"], &[]),
        ("report", &["idp", "scim"], &[]),
        ("cli", &["scim", "idp", "report"], &[]),
    ]);
    check(
        check_crate_table(TABLE, &metadata),
        &["ARCHITECTURE.md:9: crate table: `crates/report` depends on scim (crates/report/Cargo.toml [dependencies]) but its row does not list it"],
    );
}

#[test]
fn a_listed_dependency_cargo_does_not_have_fails() {
    let table = TABLE.replace(
        "| `crates/report` | idp |",
        "| `crates/report` | idp, scim |",
    );
    check(
        check_crate_table(&table, &tidy_metadata()),
        &["ARCHITECTURE.md:9: crate table: `crates/report` lists scim but crates/report/Cargo.toml has no such normal dependency"],
    );
}

#[test]
fn all_of_the_above_means_every_crate_above() {
    let metadata = metadata(&[
        ("scim", &[], &[]),
        ("idp", &["scim"], &[]),
        ("report", &["idp"], &[]),
        ("cli", &["idp", "report"], &[]),
    ]);
    check(
        check_crate_table(TABLE, &metadata),
        &["ARCHITECTURE.md:10: crate table: `crates/cli` lists scim but crates/cli/Cargo.toml has no such normal dependency"],
    );
}

#[test]
fn a_crate_without_a_row_and_a_row_without_a_crate_fail() {
    let mut crates = vec![
        ("scim", &[][..], &[][..]),
        ("idp", &["scim"][..], &[][..]),
        ("cli", &["scim", "idp"][..], &[][..]),
        ("saml", &[][..], &[][..]),
    ];
    let table = TABLE.replace("| `crates/report` | idp | Reporters. |\n", "");
    check(
        check_crate_table(&table, &metadata(&crates)),
        &["ARCHITECTURE.md:5: crate table: the workspace crate `crates/saml` has no row"],
    );
    crates.pop();
    let table = table.replace(
        "| `xtask` |",
        "| `crates/gone` | — | Nothing. |\n| `xtask` |",
    );
    check(
        check_crate_table(&table, &metadata(&crates)),
        &["ARCHITECTURE.md:10: crate table: `crates/gone` is not a workspace crate"],
    );
}

#[test]
fn a_name_that_is_no_crate_fails_and_package_names_resolve() {
    let table = TABLE.replace("| `crates/idp` | scim |", "| `crates/idp` | scim, sam |");
    check(
        check_crate_table(&table, &tidy_metadata()),
        &["ARCHITECTURE.md:8: crate table: `crates/idp` lists `sam`, which is not a workspace crate"],
    );
    let mut renamed = tidy_metadata();
    renamed["packages"][0]["name"] = json!("scim_core");
    let table = TABLE.replace("| `crates/idp` | scim |", "| `crates/idp` | scim-core |");
    check(check_crate_table(&table, &renamed), &[]);
}

#[test]
fn a_missing_table_fails() {
    check(
        check_crate_table("# Architecture\n\n## Crates\n\nNo table.\n", &tidy_metadata()),
        &["ARCHITECTURE.md: crate table: no `| crate | depends on | role |` table under \"## Crates\""],
    );
}

// b. Servers

const SERVERS: &[&str] = &["idp", "target"];

#[test]
fn the_invariant_about_axum_names_the_server_crates() {
    let line = "Architecture Invariant: `scim` and `saml` do no network IO; only `idp` and `target` (and their tests) open sockets or know axum.\n";
    check(check_server_invariant(line, SERVERS), &[]);
    let wider = line.replace("`idp` and `target`", "`idp`, `conformance` and `target`");
    check(check_server_invariant(&wider, SERVERS), &[
        "ARCHITECTURE.md:1: server crates: the invariant about axum names {\"conformance\", \"idp\", \"target\"}, but tidy's SERVER_CRATES is {\"idp\", \"target\"}",
    ]);
    check(
        check_server_invariant("Architecture Invariant: no sockets.\n", SERVERS),
        &["ARCHITECTURE.md: server crates: no \"Architecture Invariant:\" line mentions axum"],
    );
}

#[test]
fn axum_in_a_non_server_crates_dependencies_fails() {
    let manifests = [
        file(
            "crates/report/Cargo.toml",
            "[package]\nname = \"report\"\n\n[dependencies]\naxum.workspace = true\n\n[dev-dependencies]\naxum = \"0.8\"\n",
        ),
        file("crates/cli/Cargo.toml", "[dev-dependencies]\naxum.workspace = true\n"),
        file("crates/target/Cargo.toml", "[dependencies]\naxum.workspace = true\n"),
    ];
    check(check_server_manifests(&manifests, SERVERS), &[
        "crates/report/Cargo.toml:5: server crates: depends on axum, but only idp, target may run servers (tidy's SERVER_CRATES)",
    ]);
}

#[test]
fn a_listener_in_a_non_server_crates_source_fails() {
    let files = [
        file(
            "crates/conformance/src/http.rs",
            "//! A client.\n// not a TcpListener\nfn f() {\n    let l = std::net::TcpListener::bind(\"x\");\n}\n",
        ),
        file("crates/report/src/lib.rs", "//! R.\nuse axum::Router;\n"),
        file("crates/report/tests/it/main.rs", "//! T.\nuse tokio::net::TcpListener;\n"),
        file("crates/report/src/html/tests.rs", "//! T.\nuse tokio::net::TcpListener;\n"),
        file("crates/target/src/lib.rs", "//! S.\nuse axum::Router;\n"),
    ];
    check(check_server_sources(&files, SERVERS), &[
        "crates/conformance/src/http.rs:4: server crates: uses `TcpListener`, but only idp, target may run servers (tidy's SERVER_CRATES)",
        "crates/report/src/lib.rs:2: server crates: uses `axum::`, but only idp, target may run servers (tidy's SERVER_CRATES)",
    ]);
}

// c. unsafe

#[test]
fn unsafe_outside_its_module_fails() {
    let files = [
        file("crates/saml/src/ffi.rs", "//! F.\nfn f() {\n    unsafe { g() }\n}\n"),
        file("crates/idp/tests/it/main.rs", "//! T.\nunsafe impl Send for X {}\n"),
        file("xtask/src/main.rs", "//! X.\n#![deny(unsafe_code)]\n// unsafe here is a word\nconst S: &str = \"unsafe\";\n"),
        file("crates/saml/src/xmlsec_verify.rs", "//! The FFI.\nunsafe fn f() {}\n"),
    ];
    check(
        check_unsafe(&files, None),
        &[
            "crates/saml/src/ffi.rs:3: unsafe: `unsafe`, which no module may use",
            "crates/idp/tests/it/main.rs:2: unsafe: `unsafe`, which no module may use",
            "crates/saml/src/xmlsec_verify.rs:2: unsafe: `unsafe`, which no module may use",
        ],
    );
    check(check_unsafe(&files, Some("crates/saml/src/xmlsec_verify.rs")), &[
        "crates/saml/src/ffi.rs:3: unsafe: `unsafe` outside crates/saml/src/xmlsec_verify.rs, the one module allowed it",
        "crates/idp/tests/it/main.rs:2: unsafe: `unsafe` outside crates/saml/src/xmlsec_verify.rs, the one module allowed it",
    ]);
}

#[test]
fn code_only_blanks_comments_and_literals_and_keeps_lines() {
    let src = "a /* b\n c */ d // e\nr#\"f \" g\"# h 'i' '\\'' '\"' j<'k> b\"l\\\"\" m\nbr\"n\" o";
    let code = code_only(src);
    assert_eq!(code.lines().count(), src.lines().count());
    let words: Vec<&str> = code
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    assert_eq!(words, ["a", "d", "h", "j", "k", "b", "m", "o"]);
}

// d. `//!` summaries

#[test]
fn a_file_without_its_summary_line_fails() {
    let files = [
        file("crates/scim/src/lib.rs", "//! SCIM.\n"),
        file("crates/scim/tests/it/main.rs", "// tests\n//! late\n"),
        file("xtask/src/tidy.rs", "\n//! blank line first\n"),
    ];
    check(check_summaries(&files), &[
        "crates/scim/tests/it/main.rs:1: summary: the file does not start with a `//!` line saying what it holds",
        "xtask/src/tidy.rs:1: summary: the file does not start with a `//!` line saying what it holds",
    ]);
}

// e. File length

#[test]
fn a_source_file_past_the_limit_fails_unless_allowed_or_a_test() {
    let long = "//! Long.\n".to_owned() + &"x\n".repeat(MAX_LINES);
    let short = "//! Short.\n";
    let files = [
        file("crates/scim/src/filter.rs", &long),
        file("crates/idp/src/sync.rs", &long),
        file("crates/idp/src/sync/tests.rs", &long),
        file("crates/idp/src/sync/tests/cases.rs", &long),
        file("crates/idp/tests/it/sync.rs", &long),
        file("crates/saml/src/verify.rs", short),
    ];
    check(
        check_lengths(&files, &["crates/idp/src/sync.rs", "crates/saml/src/verify.rs", "crates/gone.rs"]),
        &[
            "crates/scim/src/filter.rs:801: file length: 801 lines, more than 800: split it into a folder module",
            "crates/saml/src/verify.rs: file length: 1 lines, no longer over 800: remove it from tidy's OVERSIZE_ALLOWED",
            "crates/gone.rs: file length: listed in tidy's OVERSIZE_ALLOWED but not in the tree",
        ],
    );
}
