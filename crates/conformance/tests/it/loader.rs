//! Scenario loader errors name the file, line and column.

use conformance::{parse_scenario, Step};

#[track_caller]
fn check_error(text: &str, expect: &[&str]) {
    let err = parse_scenario(text, "scenarios/users/x.yaml", "users")
        .expect_err("the scenario should not load")
        .to_string();
    for part in expect {
        assert!(err.contains(part), "error `{err}` lacks `{part}`");
    }
}

const HEAD: &str = "id: users.x\ntitle: t\nlevel: must\nsteps:\n";

#[test]
fn bad_yaml_names_file_line_and_column() {
    check_error(
        &format!("{HEAD}  - sync: {{}}\n   - sync: {{}}\n"),
        &["scenarios/users/x.yaml:6:"],
    );
    check_error(
        &format!("{HEAD}  - add_user: {{user: [alice\n"),
        &["scenarios/users/x.yaml:5:22", "expected a string"],
    );
}

#[test]
fn unknown_key_is_an_error_with_its_position() {
    check_error(
        &format!("{HEAD}  - add_user: {{user: alice, nickname: al}}\n"),
        &["scenarios/users/x.yaml:5:", "unknown field `nickname`"],
    );
    check_error(
        "id: users.x\ntitle: t\nlevel: must\ncolour: red\nsteps:\n  - sync: {}\n",
        &["scenarios/users/x.yaml:4:1", "unknown field `colour`"],
    );
}

#[test]
fn unknown_step_is_an_error_with_its_position() {
    check_error(
        &format!("{HEAD}  - add_user: {{user: alice}}\n  - sink: {{}}\n"),
        &["scenarios/users/x.yaml:6:5", "unknown variant `sink`"],
    );
}

#[test]
fn unknown_level_and_persona_are_errors() {
    check_error(
        "id: a.b\ntitle: t\nlevel: maybe\nsteps:\n  - sync: {}\n",
        &[":3:", "maybe"],
    );
    check_error(
        "id: a.b\ntitle: t\nlevel: must\npersonas: [azure]\nsteps:\n  - sync: {}\n",
        &[":4:", "azure"],
    );
}

#[test]
fn a_user_used_before_it_is_added_is_located_at_its_step() {
    check_error(
        &format!("{HEAD}  - sync: {{}}\n  - disable_user: bob\n"),
        &[
            "scenarios/users/x.yaml:6:3",
            "step 2 (`disable_user`)",
            "user `bob`",
        ],
    );
}

#[test]
fn an_unknown_attack_is_an_error() {
    check_error(
        &format!("{HEAD}  - add_user: {{user: a}}\n  - login: {{user: a, attack: xsw99}}\n"),
        &[":6:3", "xsw99"],
    );
}

#[test]
fn yaml_1_2_keeps_no_on_and_leading_zeros_as_strings() {
    let text = format!(
        "{HEAD}  - add_user: {{user: no, given_name: on, external_id: 0123}}\n  - expect: {{user: {{user: no, exists: true}}}}\n"
    );
    let s = parse_scenario(&text, "x.yaml", "users").expect("loads");
    match &s.scenario.steps[0] {
        Step::AddUser(u) => {
            assert_eq!(u.user, "no");
            assert_eq!(u.given_name.as_deref(), Some("on"));
            assert_eq!(u.external_id.as_deref(), Some("0123"));
        }
        other => panic!("unexpected step {other:?}"),
    }
}

#[test]
fn login_expectation_needs_exactly_one_verdict() {
    check_error(
        &format!("{HEAD}  - add_user: {{user: a}}\n  - login: {{user: a}}\n  - expect: {{login: {{accepted_as: a, rejected: 401}}}}\n"),
        &[":7:3", "exactly one"],
    );
}
