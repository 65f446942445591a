//! The checks of `cargo xtask ci-recipes` on good and violating inputs.

use serde_json::json;

use super::{break_text, package_list_problems, summary_problems, VALIDATIONS};

fn report() -> serde_json::Value {
    json!({
        "summary": {
            "total": 3, "passed": 1, "failed": 1, "warned": 0, "skipped": 0,
            "errored": 1, "expected": 0, "stale_baseline": 0
        },
        "cases": [
            {"id": "users.create/entra/default", "outcome": "pass"},
            {"id": "identity.empty-uid/entra/default", "outcome": "fail"},
            {"id": "groups.add/okta/default", "outcome": "error"}
        ]
    })
}

const GOOD: &str = "## scim-harness: failed (exit 1)

| outcome | cases |
|---|---:|
| passed | 1 |
| failed | 1 |
| warned | 0 |
| skipped | 0 |
| errored | 1 |
| expected (baseline) | 0 |
| stale baseline entries | 0 |
| **total** | **3** |

| fail | must | `identity.empty-uid/entra/default` | step 4 |
| error | must | `groups.add/okta/default` | timeout |
";

#[track_caller]
fn check(summary: &str, code: i32, expect: &[&str]) {
    let problems = summary_problems(summary, &report(), code);
    assert_eq!(problems.len(), expect.len(), "{problems:#?}");
    for (problem, want) in problems.iter().zip(expect) {
        assert!(problem.contains(want), "{problem:?} should say {want:?}");
    }
}

#[test]
fn a_summary_that_says_it_all_passes() {
    check(GOOD, 1, &[]);
}

#[test]
fn a_wrong_count_a_missing_case_or_verdict_is_named() {
    check(
        &GOOD.replace("| passed | 1 |", "| passed | 2 |"),
        1,
        &["| passed | 1 |"],
    );
    check(
        &GOOD.replace("`groups.add/okta/default`", "groups.add"),
        1,
        &["erroring case `groups.add/okta/default`"],
    );
    check(GOOD, 0, &["## scim-harness: passed"]);
    check(&GOOD.replace("**3**", "**4**"), 1, &["**total** | **3**"]);
}

#[test]
fn the_install_list_must_equal_the_build_packages() {
    let script = "x=1\nbuild_packages=\"pkg-config libssl-dev\"\n";
    assert!(package_list_problems(script, &["pkg-config", "libssl-dev"]).is_empty());
    let drift = package_list_problems(script, &["pkg-config", "libssl-dev", "libxml2-dev"]);
    assert_eq!(drift.len(), 1);
    assert!(drift[0].contains("libxml2-dev"), "{drift:?}");
    assert_eq!(
        package_list_problems("apt-get install foo\n", &["foo"]).len(),
        1
    );
}

#[test]
fn every_negative_control_changes_its_recipe() {
    let root = crate::workspace_root();
    for v in VALIDATIONS {
        let text = std::fs::read_to_string(root.join(v.file)).expect("recipe");
        let broken = break_text(&text, v.breakage);
        assert!(
            broken.is_some_and(|b| b != text),
            "{}: `{}` not found",
            v.file,
            v.breakage.0
        );
    }
}

#[test]
fn the_install_script_lists_what_the_build_needs() {
    let script =
        std::fs::read_to_string(crate::workspace_root().join(super::INSTALL)).expect("script");
    let problems = package_list_problems(&script, &crate::system_packages::build_packages());
    assert!(problems.is_empty(), "{problems:?}");
}
