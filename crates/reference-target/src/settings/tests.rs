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

#[test]
fn saml_defaults_are_grafanas() {
    let s = Settings::load_from(None, env(&[])).unwrap().saml;
    assert_eq!(s.assertion_attribute_external_uid, "userUID");
    assert_eq!(s.assertion_attribute_login, "mail");
    assert_eq!(s.assertion_attribute_email, "mail");
    assert_eq!(s.assertion_attribute_name, "displayName");
    assert!(s.allow_sign_up);
    assert!(!s.allow_idp_initiated);
    assert_eq!(s.refusal_answer, RefusalAnswer::Redirect);
    assert_eq!(s.clock_skew, time::Duration::seconds(60));
    assert_eq!(s.signature_policy, saml::SignaturePolicy::AssertionSigned);
}

#[test]
fn reads_auth_saml_and_root_url_with_environment_precedence() {
    let f = ini_file(
        "[server]\nroot_url = https://grafana.example.test/\n[auth.saml]\n\
         assertion_attribute_external_uid = http://schemas.microsoft.com/identity/claims/objectidentifier\n\
         allow_sign_up = false\nclock_skew = 1m30s\nsignature_policy = both\n\
         allow_idp_initiated = false\nrefusal_answer = redirect\n",
    );
    let s = Settings::load_from(
        Some(f.path()),
        env(&[
            ("GF_AUTH_SAML_ASSERTION_ATTRIBUTE_LOGIN", "Login"),
            ("GF_AUTH_SAML_ALLOW_IDP_INITIATED", "true"),
            ("GF_AUTH_SAML_REFUSAL_ANSWER", "JSON"),
        ]),
    )
    .unwrap();
    assert_eq!(
        s.server.root_url.as_deref(),
        Some("https://grafana.example.test")
    );
    assert_eq!(
        s.saml.assertion_attribute_external_uid,
        "http://schemas.microsoft.com/identity/claims/objectidentifier"
    );
    assert_eq!(s.saml.assertion_attribute_login, "Login");
    assert!(!s.saml.allow_sign_up);
    assert!(s.saml.allow_idp_initiated);
    assert_eq!(s.saml.refusal_answer, RefusalAnswer::Json);
    assert_eq!(s.saml.clock_skew, time::Duration::seconds(90));
    assert_eq!(s.saml.signature_policy, saml::SignaturePolicy::BothSigned);
}

#[rstest]
#[case::skew("[auth.saml]\nclock_skew = soon\n", "clock_skew")]
#[case::negative_skew("[auth.saml]\nclock_skew = -5s\n", "clock_skew")]
#[case::policy("[auth.saml]\nsignature_policy = none\n", "signature_policy")]
#[case::refusal("[auth.saml]\nrefusal_answer = html\n", "refusal_answer")]
#[case::root_url("[server]\nroot_url = grafana.local\n", "root_url")]
fn refuses_malformed_saml_settings(#[case] text: &str, #[case] key: &str) {
    let f = ini_file(text);
    let err = Settings::load_from(Some(f.path()), env(&[])).unwrap_err();
    assert!(err.to_string().contains(key), "{err}");
}

#[rstest]
#[case("90", 90)]
#[case("60s", 60)]
#[case("2m", 120)]
#[case("1m30s", 90)]
#[case("1h", 3600)]
fn durations(#[case] text: &str, #[case] seconds: i64) {
    assert_eq!(parse_duration(text), Some(time::Duration::seconds(seconds)));
}

#[test]
fn the_server_admin_defaults_to_admin_admin_and_reads_security_with_environment_precedence() {
    let s = Settings::load_from(None, env(&[])).unwrap();
    assert_eq!(s.security.admin_user, "admin");
    assert_eq!(s.security.admin_password, "admin");
    let f = ini_file("[security]\nadmin_user = root\nadmin_password = from-ini\n");
    let s = Settings::load_from(
        Some(f.path()),
        env(&[("GF_SECURITY_ADMIN_PASSWORD", "from-env")]),
    )
    .unwrap();
    assert_eq!(s.security.admin_user, "root");
    assert_eq!(s.security.admin_password, "from-env");
}

#[test]
fn the_admin_password_is_not_in_debug_output() {
    let s = SecuritySettings {
        admin_user: "root".into(),
        admin_password: "s3cret-pw".into(),
        role_less_token: Some("no-role-s3cret".into()),
    };
    let shown = format!("{s:?}");
    assert!(shown.contains("root"), "{shown}");
    assert!(!shown.contains("s3cret-pw"), "{shown}");
    assert!(!shown.contains("no-role-s3cret"), "{shown}");
}

#[test]
fn role_values_map_to_the_org_role_and_admin_flag() {
    let roles = RoleMapping {
        attribute: "role".into(),
        editor: vec!["Editor".into(), "dev".into()],
        admin: vec!["Admin".into()],
        grafana_admin: vec!["GrafanaAdmin".into()],
    };
    let map = |v: &[&str]| roles.map(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(map(&["dev"]), Some(("Editor", false)));
    assert_eq!(map(&["dev", "Admin"]), Some(("Admin", false)));
    assert_eq!(map(&["GrafanaAdmin"]), Some(("Admin", true)));
    assert_eq!(map(&[]), Some(("Viewer", false)));
    assert_eq!(RoleMapping::default().map(&["Admin".into()]), None);
    assert_eq!(value_list("a, b\tc  d"), ["a", "b", "c", "d"]);
}
