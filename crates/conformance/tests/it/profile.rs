//! Profiles: the shipped ones load; errors name file, line and column; unknown keys fail.

use std::path::Path;

use conformance::{Baseline, ConfigMethod, Profile, ProfileNeed};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/profiles")
        .join(name)
}

#[test]
fn shipped_profiles_load() {
    let r = Profile::load(&fixture("reference.toml")).expect("reference");
    assert!(r.saml.is_some() && r.session.is_some() && r.probes.is_some());
    assert_eq!(
        r.config.as_ref().map(|c| c.method),
        Some(ConfigMethod::ScimConfigApi)
    );
    assert!(r.provides(ProfileNeed::TeamSync) && r.provides(ProfileNeed::CreateUser));
    let g = Profile::load(&fixture("grafana.toml")).expect("grafana");
    assert!(g.saml.is_some());
    assert!(g.provides(ProfileNeed::ConfigApi) && g.provides(ProfileNeed::UserProbe));
    // Team Sync is an ini setting in Grafana, and creating users needs a server admin.
    assert!(!g.provides(ProfileNeed::TeamSync) && !g.provides(ProfileNeed::CreateUser));
    let s = Profile::load(&fixture("scim-only.toml")).expect("scim-only");
    assert!(s.saml.is_none() && s.config.is_none() && s.probes.is_none());
    for need in [
        ProfileNeed::Saml,
        ProfileNeed::ConfigApi,
        ProfileNeed::CreateUser,
    ] {
        assert!(!s.provides(need), "scim-only provides {need:?}");
    }
    assert_eq!(s.scim_base(Some("http://h:1/")), "http://h:1/scim/v2");
}

#[track_caller]
fn check_error(text: &str, expect: &[&str]) {
    let err = Profile::parse(text, "p.toml")
        .expect_err("should not load")
        .to_string();
    for part in expect {
        assert!(err.contains(part), "error `{err}` lacks `{part}`");
    }
}

const BASE: &str =
    "name = \"x\"\nbase_url = \"http://127.0.0.1:1\"\n[scim]\npath = \"/scim\"\ntoken = \"t\"\n";

#[test]
fn profile_errors_name_file_line_and_column() {
    check_error(
        &format!("{BASE}colour = 1\n"),
        &["p.toml:6:1", "unknown field `colour`"],
    );
    check_error(
        &format!("{BASE}[saml]\nacs = \"/a\"\nsp_entity_id = \"/m\"\nwhat = 1\n"),
        &["p.toml:9:1", "what"],
    );
    check_error("name = \"x\"\nbase_url = [\n", &["p.toml:2:"]);
    check_error(
        &format!("{BASE}[config]\nmethod = \"fixed\"\n"),
        &["p.toml:6:1", "fixed"],
    );
    check_error(
        &format!("{BASE}[config]\nmethod = \"carrier-pigeon\"\n"),
        &["p.toml:7:", "carrier-pigeon"],
    );
}

#[test]
fn a_missing_token_variable_is_named_without_a_value() {
    let p = Profile::parse(
        "name = \"x\"\nbase_url = \"http://h\"\n[scim]\npath = \"/s\"\ntoken = { env = \"SCIM_HARNESS_TEST_UNSET_VAR\" }\n",
        "p.toml",
    )
    .expect("parses");
    let err = p.token().expect_err("unset").to_string();
    assert!(err.contains("SCIM_HARNESS_TEST_UNSET_VAR"), "{err}");
}

#[test]
fn baselines_load_and_need_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.toml");
    std::fs::write(
        &path,
        "[[expected]]\ncase = \"users.*/okta/*\"\nreason = \"vendor bug 1\"\n",
    )
    .unwrap();
    let b = Baseline::load(&path).expect("loads");
    assert_eq!(
        b.entry_for("users.lifecycle/okta/default")
            .map(|e| e.reason.as_str()),
        Some("vendor bug 1")
    );
    assert!(b.entry_for("users.lifecycle/entra/default").is_none());
    std::fs::write(&path, "[[expected]]\ncase = \"x\"\nreason = \"\"\n").unwrap();
    assert!(Baseline::load(&path)
        .unwrap_err()
        .to_string()
        .contains("no reason"));
    std::fs::write(&path, "[[expected]]\ncase = \"x\"\nwhy = \"y\"\n").unwrap();
    let err = Baseline::load(&path).unwrap_err().to_string();
    assert!(err.contains(":3:1") && err.contains("why"), "{err}");
}

#[test]
fn shipped_profiles_say_how_their_target_refuses_and_logs_in() {
    use conformance::Refusal;
    let r = Profile::load(&fixture("reference.toml")).expect("reference");
    let (saml, session) = (r.saml.unwrap(), r.session.unwrap());
    assert!(!saml.allow_idp_initiated && saml.allow_sign_up);
    assert!(saml.settings_switch.is_some() && saml.login_path.is_some());
    assert_eq!(session.refusal, Refusal::Redirect);
    assert_eq!(
        session
            .messages
            .get("saml.idp-initiated-disabled")
            .map(String::as_str),
        Some("IdP-initiated login is disabled")
    );
    let g = Profile::load(&fixture("grafana.toml")).expect("grafana");
    let (saml, session) = (g.saml.unwrap(), g.session.unwrap());
    assert!(!saml.allow_idp_initiated && saml.settings_switch.is_none());
    assert_eq!(session.refusal, Refusal::Redirect);
    assert_eq!(session.message_marker.as_deref(), Some("\"loginError\":"));
    // Left open by Grafana's sources: judged by the refusal, the message reported.
    assert!(!session
        .messages
        .contains_key("user.sync.user-externalUID-mismatch"));
    let plain = Profile::parse(
        "name = \"p\"\nbase_url = \"http://h\"\n[scim]\npath = \"/s\"\ntoken = \"t\"\n\
         [saml]\nacs = \"/a\"\nsp_entity_id = \"/m\"\n[session]\nwhoami = \"/me\"\nlogin_pointer = \"/l\"\n",
        "p.toml",
    )
    .unwrap();
    assert_eq!(
        plain.session.unwrap().refusal,
        Refusal::Status,
        "the default"
    );
    check_error(
        "name = \"p\"\nbase_url = \"http://h\"\n[scim]\npath = \"/s\"\ntoken = \"t\"\n\
         [saml]\nacs = \"/a\"\nsp_entity_id = \"/m\"\n[session]\nwhoami = \"/me\"\nlogin_pointer = \"/l\"\nrefusal = \"json\"\n",
        &["p.toml:", "unknown variant `json`"],
    );
}
