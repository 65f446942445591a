//! Scenario loader errors name the file, line and column.

use conformance::{parse_scenario, ProfileNeed, Step};

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

#[test]
fn set_config_needs_an_exclusive_scenario() {
    check_error(
        &format!("{HEAD}  - set_config: {{group_sync: false}}\n"),
        &[
            "scenarios/users/x.yaml:5:3",
            "step 1 (`set_config`)",
            "exclusive: true",
        ],
    );
    let text = "id: config.x\ntitle: t\nlevel: must\nexclusive: true\nsteps:\n  - set_config: {team_sync: true, group_sync: false, expect_refused: true}\n";
    let err = parse_scenario(text, "c.yaml", "config")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("c.yaml:6:3") && err.contains("not both"),
        "{err}"
    );
    let text = "id: config.x\ntitle: t\nlevel: must\nexclusive: true\nsteps:\n  - set_config: {expect_refused: true}\n";
    let err = parse_scenario(text, "c.yaml", "config")
        .unwrap_err()
        .to_string();
    assert!(err.contains("changes nothing"), "{err}");
}

#[test]
fn request_templates_name_known_keys_and_kinds() {
    check_error(
        &format!("{HEAD}  - add_user: {{user: a}}\n  - request: {{surface: scim, method: GET, path: \"/Users/{{user_id:b}}\"}}\n"),
        &[":6:3", "step 2 (`request`)", "user `b`"],
    );
    check_error(
        &format!(
            "{HEAD}  - request: {{surface: app, method: GET, path: \"/api/teams/{{team:x}}\"}}\n"
        ),
        &[":5:3", "unknown template `{team:x}`", "{team_id:KEY}"],
    );
    check_error(
        &format!("{HEAD}  - request: {{surface: scim, method: get, path: /Users}}\n"),
        &[":5:3", "upper-case"],
    );
    check_error(
        &format!("{HEAD}  - request: {{surface: ftp, method: GET, path: /Users}}\n"),
        &[":5:", "unknown variant `ftp`"],
    );
}

#[test]
fn a_response_expectation_needs_an_earlier_request_and_pointers() {
    check_error(
        &format!("{HEAD}  - expect: {{response: {{status: 200}}}}\n"),
        &[":5:3", "no earlier request"],
    );
    check_error(
        &format!("{HEAD}  - request: {{surface: scim, method: GET, path: /Users}}\n  - expect: {{response: {{json_type: {{totalResults: integer}}}}}}\n"),
        &[":6:3", "not a JSON pointer"],
    );
    check_error(
        &format!("{HEAD}  - request: {{surface: scim, method: GET, path: /Users}}\n  - expect: {{response: {{json_type: {{/totalResults: float}}}}}}\n"),
        &[":6:", "float"],
    );
}

/// A seeded app user's id is known from its creation; a directory user's needs the probe.
#[test]
fn needs_name_what_the_profile_must_provide() {
    let text = "id: config.x\ntitle: t\nlevel: must\nexclusive: true\nsteps:\n  - seed_app_user: {login: old, email: old@example.test}\n  - add_user: {user: a}\n  - set_config: {team_sync: false}\n  - request: {surface: app, method: GET, path: \"/api/users/{app_user_id:old}\"}\n  - login: {user: a}\n  - request: {surface: app, method: GET, path: \"/api/users/{app_user_id:a}\"}\n";
    let s = parse_scenario(text, "c.yaml", "config").expect("loads");
    assert_eq!(
        s.needs(),
        vec![
            ProfileNeed::CreateUser,
            ProfileNeed::TeamSync,
            ProfileNeed::Saml,
            ProfileNeed::UserProbe
        ]
    );
}

/// `login: {key: rollover}` needs the profile to declare the rollover certificate trusted.
#[test]
fn a_rollover_login_needs_the_rollover_key_trusted() {
    let text = "id: saml.x\ntitle: t\nlevel: should\nsteps:\n  - add_user: {user: a}\n  - login: {user: a, key: rollover}\n";
    let s = parse_scenario(text, "x.yaml", "saml").expect("loads");
    assert_eq!(s.needs(), vec![ProfileNeed::Saml, ProfileNeed::RolloverKey]);
    check_error(
        &format!("{HEAD}  - login: {{user: a, key: next}}\n"),
        &[":5:", "rollover"],
    );
}

/// `concurrent` checks each of its requests as `request` does, and needs at least one.
#[test]
fn concurrent_requests_are_checked_one_by_one() {
    check_error(
        &format!("{HEAD}  - concurrent: []\n"),
        &[":5:3", "at least one request"],
    );
    check_error(
        &format!("{HEAD}  - add_user: {{user: a}}\n  - concurrent:\n    - {{surface: scim, method: GET, path: \"/Users/{{user_id:a}}\"}}\n    - {{surface: scim, method: GET, path: \"/Users/{{user_id:b}}\"}}\n"),
        &[":6:3", "user `b`"],
    );
    let text = format!("{HEAD}  - concurrent:\n    - {{surface: scim, method: GET, path: /Users}}\n  - expect: {{response: {{status: 200}}}}\n");
    parse_scenario(&text, "u.yaml", "users").expect("an expectation may follow concurrent");
}

#[test]
fn kept_sessions_and_reused_requests_need_an_earlier_login() {
    let login = "  - add_user: {user: a}\n  - login: {user: a, keep_session: s}\n";
    check_error(
        &format!("{HEAD}{login}  - expect: {{session: {{key: t, valid: false}}}}\n"),
        &[":7:3", "no earlier login keeps a session as `t`"],
    );
    check_error(
        &format!("{HEAD}  - add_user: {{user: a}}\n  - login: {{user: a, reuse_request: true}}\n"),
        &[":6:3", "reuse_request: no earlier login"],
    );
    check_error(
        &format!("{HEAD}{login}  - login: {{user: a, reuse_request: true, relay_state: /x}}\n"),
        &[":7:3", "no flow or relay_state"],
    );
    let ok = format!(
        "{HEAD}{login}  - login: {{user: a, reuse_request: true}}\n  - expect: {{login: {{stays_on_site: true}}, session: {{key: s, valid: true}}}}\n"
    );
    parse_scenario(&ok, "scenarios/users/x.yaml", "users").expect("loads");
    check_error(
        &format!("{HEAD}{login}  - expect: {{login: {{}}}}\n"),
        &[":7:3", "exactly one"],
    );
}
