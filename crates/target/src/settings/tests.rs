//! Unit tests for settings loading: ini, environment precedence, booleans, Team Sync.

use std::io::Write;

use rstest::rstest;

use super::*;

fn ini_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(text.as_bytes()).expect("write ini");
    f
}

fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect::<Vec<_>>()
        .into_iter()
}

#[test]
fn defaults_are_grafanas_all_off() {
    let s = Settings::load_from(None, env(&[])).unwrap();
    assert_eq!(s, Settings::default());
    assert!(!s.scim.user_sync_enabled);
    assert!(!s.scim.group_sync_enabled);
    assert!(!s.scim.reject_non_provisioned_users);
    assert!(!s.team_sync.enabled);
}

#[test]
fn reads_auth_scim_from_ini() {
    let f = ini_file(
        "[auth.scim]\nuser_sync_enabled = true\ngroup_sync_enabled = True\nreject_non_provisioned_users = 1\n",
    );
    let s = Settings::load_from(Some(f.path()), env(&[])).unwrap();
    assert_eq!(
        s.scim,
        ScimSettings {
            user_sync_enabled: true,
            group_sync_enabled: true,
            reject_non_provisioned_users: true
        }
    );
}

#[test]
fn environment_overrides_ini() {
    let f = ini_file("[auth.scim]\nuser_sync_enabled = true\ngroup_sync_enabled = false\n");
    let s = Settings::load_from(
        Some(f.path()),
        env(&[
            ("GF_AUTH_SCIM_USER_SYNC_ENABLED", "false"),
            ("GF_AUTH_SCIM_GROUP_SYNC_ENABLED", "true"),
            ("UNRELATED", "x"),
        ]),
    )
    .unwrap();
    assert!(!s.scim.user_sync_enabled);
    assert!(s.scim.group_sync_enabled);
}

#[rstest]
#[case("auth.scim", "user_sync_enabled", "GF_AUTH_SCIM_USER_SYNC_ENABLED")]
#[case(
    "auth.scim",
    "reject_non_provisioned_users",
    "GF_AUTH_SCIM_REJECT_NON_PROVISIONED_USERS"
)]
#[case("team_sync", "enabled", "GF_TEAM_SYNC_ENABLED")]
#[case("auth.generic-oauth", "name", "GF_AUTH_GENERIC_OAUTH_NAME")]
fn env_names_follow_grafanas_rule(#[case] section: &str, #[case] key: &str, #[case] name: &str) {
    assert_eq!(env_var_name(section, key), name);
}

#[rstest]
#[case("true", Some(true))]
#[case(" TRUE ", Some(true))]
#[case("on", Some(true))]
#[case("0", Some(false))]
#[case("No", Some(false))]
#[case("maybe", None)]
fn booleans(#[case] input: &str, #[case] expect: Option<bool>) {
    assert_eq!(parse_bool(input), expect);
}

#[test]
fn a_bad_boolean_names_the_key_and_origin() {
    let f = ini_file("[auth.scim]\nuser_sync_enabled = sometimes\n");
    let err = Settings::load_from(Some(f.path()), env(&[])).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("[auth.scim] user_sync_enabled"), "{msg}");
    assert!(msg.contains("sometimes"), "{msg}");
    assert!(msg.contains(&f.path().display().to_string()), "{msg}");

    let err = Settings::load_from(None, env(&[("GF_TEAM_SYNC_ENABLED", "x")])).unwrap_err();
    assert!(err.to_string().contains("GF_TEAM_SYNC_ENABLED"), "{err}");
}

#[test]
fn an_empty_value_keeps_the_default() {
    let f = ini_file("[auth.scim]\nuser_sync_enabled =\n");
    let s = Settings::load_from(Some(f.path()), env(&[])).unwrap();
    assert!(!s.scim.user_sync_enabled);
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let err =
        Settings::load_from(Some(Path::new("/nonexistent/grafana.ini")), env(&[])).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/grafana.ini"),
        "{err}"
    );
}

#[rstest]
#[case::both_in_file("[auth.scim]\ngroup_sync_enabled = true\n[team_sync]\nenabled = true\n", &[])]
#[case::team_sync_from_env("[auth.scim]\ngroup_sync_enabled = true\n", &[("GF_TEAM_SYNC_ENABLED", "true")])]
#[case::group_sync_from_env("[team_sync]\nenabled = true\n", &[("GF_AUTH_SCIM_GROUP_SYNC_ENABLED", "true")])]
fn group_sync_with_team_sync_is_refused(#[case] ini: &str, #[case] vars: &[(&str, &str)]) {
    let f = ini_file(ini);
    let err = Settings::load_from(Some(f.path()), env(vars)).unwrap_err();
    assert!(matches!(err, SettingsError::GroupSyncWithTeamSync), "{err}");
    assert!(err.to_string().contains("team sync"), "{err}");
}

#[test]
fn team_sync_alone_or_with_user_sync_is_fine() {
    let f = ini_file("[auth.scim]\nuser_sync_enabled = true\n[team_sync]\nenabled = true\n");
    let s = Settings::load_from(Some(f.path()), env(&[])).unwrap();
    assert!(s.team_sync.enabled);
    assert!(s.scim.user_sync_enabled);
}
